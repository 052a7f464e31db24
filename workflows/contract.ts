// The tracker's public contract: everything a client, the worker, the webhook receiver or another language's SDK
// needs to talk to trackAirOpsBatch. Clients import these very objects (house style), so names live in one place.
// No implementation here: importing this module pulls in no workflow code, zod or axios.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BatchSnapshot } from '../olostep/snapshot';
import type { WebhookPayload } from '../olostep/schemas';
import type { BatchOutcome, BatchProgress, PollStats, TimelineEntry, TrackerState } from './lifecycle';

export type { BatchOutcome, BatchProgress, PollStats, TimelineEntry } from './lifecycle';

/** Default task queue for the tracker's workflows and activities. Override with TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'airops-batches';

export const TRACK_WORKFLOW_TYPE = 'trackAirOpsBatch';

/** Workflow id rule: one tracker per batch, so starting twice is idempotent (workflowIdConflictPolicy USE_EXISTING). */
export function trackerWorkflowId(batchId: string): string {
  return `airops-batch-${batchId}`;
}

/** Custom search attributes, registered on the server (dev server: at start; production: `temporal operator`). */
export const searchAttributes = {
  batchId: defineSearchAttributeKey('AirOpsBatchId', 'KEYWORD'),
  status: defineSearchAttributeKey('AirOpsStatus', 'KEYWORD'),
  phase: defineSearchAttributeKey('AirOpsPhase', 'KEYWORD'),
  totalUrls: defineSearchAttributeKey('AirOpsTotalUrls', 'INT'),
  stalled: defineSearchAttributeKey('AirOpsStalled', 'BOOL'),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(searchAttributes);

/** Options of trackAirOpsBatch. All durations in ms; all optional. Never put secrets here: inputs are in history. */
export interface TrackOptions {
  /** Shortest gap between status polls. Default 2 s. */
  minPollIntervalMs?: number;
  /**
   * Longest gap between status polls. Default 15 min: a 24-hour LLM enrichment then costs ~100 polls, not ~1,400;
   * webhooks and `refreshNow` give freshness where it matters.
   */
  maxPollIntervalMs?: number;
  /** Stop tracking this long after tracking started (fails with `TrackingDeadlineExceeded`). Default: none. */
  deadlineMs?: number;
  /** No count or state moved for this long: flagged as stalled (queries, `AirOpsStalled`). Default 30 min. */
  stallTimeoutMs?: number;
  /** Fail with `BatchStalled` once stalled, instead of only flagging it. Default false. */
  failOnStall?: boolean;
  /** 404s within this window after tracking started are retried (a just-created batch may not be visible yet). Default 2 min. */
  notFoundGraceMs?: number;
  /** Continue-as-new after this many status polls in one run, so no run's history grows large. Default 100. */
  maxPollsPerRun?: number;
}

/** How tracking ended: the batch reached a terminal status, or someone cancelled the tracker. */
export type TrackEndReason = 'terminal' | 'cancelled';

/** The workflow's result: final status, per-phase metrics and durations, the observed timeline, poll stats. */
export interface TrackResult extends BatchOutcome {
  endedBy: TrackEndReason;
  /** How many runs (1 + continue-as-new count) tracking took. */
  runs: number;
}

/** State carried across continue-as-new. Internal, but part of the workflow's input, hence defined here. */
export interface TrackCarry {
  state: TrackerState;
  runs: number;
  stalledFlag: boolean;
}

/** A webhook payload as Olostep sends it, or an already-normalized snapshot. */
export type AirOpsEvent = WebhookPayload | BatchSnapshot;

/** Merges an AirOps webhook payload (or a normalized snapshot) at once and wakes the poll loop. */
export const airopsEvent = defineSignal<[AirOpsEvent]>('airopsEvent');
/** Polls the API immediately and returns the fresh progress. */
export const refreshNow = defineUpdate<BatchProgress, []>('refreshNow');
/** Overall status, current phase, per-phase metrics, percent, ETA, stalled flag. Plain JSON. */
export const getProgress = defineQuery<BatchProgress>('getProgress');
/** Observed transitions, oldest first. */
export const getTimeline = defineQuery<TimelineEntry[]>('getTimeline');
/** Status calls, errors by type, last error, webhook events received. */
export const getPollStats = defineQuery<PollStats>('getPollStats');

/** ApplicationFailure types the tracker ends with (stable strings, never class names). */
export const TRACK_FAILURE_TYPES = {
  notFound: 'NotFound',
  unauthorized: 'Unauthorized',
  paymentRequired: 'PaymentRequired',
  forbidden: 'Forbidden',
  invalidBatchId: 'InvalidBatchId',
  deadlineExceeded: 'TrackingDeadlineExceeded',
  stalled: 'BatchStalled',
} as const;
