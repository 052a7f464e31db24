// The tracker's public contract: everything a client, the worker, the webhook receiver or another language's SDK
// needs to talk to trackAirOpsBatch. Clients import these very objects (house style), so names live in one place.
// No implementation here: importing this module pulls in no workflow code, zod or axios.
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BatchSnapshot } from '../olostep/snapshot';
import type { WebhookPayload } from '../olostep/schemas';
import type { BatchOutcome, BatchProgress } from './progress';
import type { TrackOptions } from './track-options';
import type { PollStats, TimelineEntry, TrackerState } from './tracker-state';

export type { BatchOutcome, BatchProgress } from './progress';
export type { PollStats, TimelineEntry } from './tracker-state';
export { TRACK_DEFAULTS, TRACK_OPTION_MINIMUMS, type TrackOptions } from './track-options';

/** Default task queue for the tracker's workflows and activities. Override with TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'airops-batches';

export const TRACK_WORKFLOW_TYPE = 'trackAirOpsBatch';

/** Workflow id rule: one tracker per batch, so starting twice is idempotent (workflowIdConflictPolicy USE_EXISTING). */
export function trackerWorkflowId(batchId: string): string {
  return `airops-batch-${batchId}`;
}

/** The `AirOpsPhase` of a batch that reached its final status (no phase is current any more). */
export const DONE_PHASE = 'done';

/** Custom search attributes, registered on the server (dev server: at start; production: `temporal operator`). */
export const searchAttributes = {
  batchId: defineSearchAttributeKey('AirOpsBatchId', 'KEYWORD'),
  status: defineSearchAttributeKey('AirOpsStatus', 'KEYWORD'),
  phase: defineSearchAttributeKey('AirOpsPhase', 'KEYWORD'),
  totalUrls: defineSearchAttributeKey('AirOpsTotalUrls', 'INT'),
  stalled: defineSearchAttributeKey('AirOpsStalled', 'BOOL'),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(searchAttributes);

/** What every start of a tracker sets, whoever starts it (client library, webhook receiver, runAirOpsBatch). */
export interface TrackerStartOptions {
  /** `trackerWorkflowId(batchId)`: one tracker per batch. */
  workflowId: string;
  /** `AirOpsBatchId`, set from the start so the tracker can be found before its first upsert. */
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
}

/**
 * The start options of the tracker of `batchId`, for `client.workflow.start`, `signalWithStart` or `startChild`:
 * its workflow id, its `AirOpsBatchId` and what the Temporal UI shows. `startedBy` says who started it, e.g.
 * `a webhook event` (none: the client library).
 */
export function trackerStartOptions(batchId: string, startedBy?: string): TrackerStartOptions {
  const by = startedBy === undefined ? '' : ` Started by ${startedBy}.`;
  return {
    workflowId: trackerWorkflowId(batchId),
    typedSearchAttributes: [{ key: searchAttributes.batchId, value: batchId }],
    staticSummary: `AirOps batch ${batchId}`,
    staticDetails: `Tracks Olostep AirOps batch \`${batchId}\` (scraping → analyzing → enriching) until it completes or fails.${by}`,
  };
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

/** ApplicationFailure types the tracker ends with (stable strings, never class names): the table in ./failure-types. */
export { NOT_FOUND_FAILURE_TYPES, TRACK_FAILURE_TYPES } from './failure-types';

// ---------------------------------------------------------------------------------------------------------------
// runAirOpsBatch: create a batch from URLs, track it to the end as a child, collect and summarize its items.
// ---------------------------------------------------------------------------------------------------------------

export type { FailedItemSample, ItemsSummary, MissingFieldCounts, ResultsRef, RunRequest } from './run-summary';
import type { ItemsSummary, ResultsRef } from './run-summary';

export const RUN_WORKFLOW_TYPE = 'runAirOpsBatch';

/**
 * Workflow id rule for runs: `airops-run-<runKey>`. The client library derives `runKey` from the request's content
 * (so re-issuing the same command while it runs attaches to the same run, `workflowIdConflictPolicy: USE_EXISTING`)
 * unless the caller names the run. The batch the run creates is tracked under `trackerWorkflowId(batchId)`.
 */
export function runWorkflowId(runKey: string): string {
  return `airops-run-${runKey}`;
}

/** Options of runAirOpsBatch. All optional. Inputs are in history: never put secrets here. */
export interface RunOptions {
  /**
   * Sent as the create request's `webhook` (the receiver's public URL); overrides `request.webhook`. It is a
   * workflow input, so it is in history for anyone who can read it: never a URL that carries a secret (the
   * receiver's secret path). For that, set OLOSTEP_WEBHOOK_URL on the worker, which adds it outside history.
   */
  webhookUrl?: string;
  /** Options of the child trackAirOpsBatch (poll intervals, deadline, stall handling). */
  track?: TrackOptions;
}

/** Where a run is: validating → creating → tracking → collecting → done (or failed). */
export type RunStage = 'validating' | 'creating' | 'tracking' | 'collecting' | 'done' | 'failed';

/** What `getRunStatus` answers: enough for a CLI to find the tracker and show its progress. */
export interface RunStatus {
  stage: RunStage;
  /** Null until the create call returned. */
  batchId: string | null;
  /** `trackerWorkflowId(batchId)`: query it with `getProgress` for live phase metrics. */
  trackerWorkflowId: string | null;
  /** True when a tracker for the batch already existed (e.g. started by the webhook receiver) and the run attached to it. */
  trackerAttached: boolean;
  totalUrls: number;
  /** The Idempotency-Key the create call sends on every attempt. */
  idempotencyKey: string;
  /** Set once the items are in the results sink. */
  results: ResultsRef | null;
}

/** The run's result. Small by construction: items live in the results sink, only a reference and a summary here. */
export interface RunResult {
  batchId: string;
  trackerWorkflowId: string;
  trackerAttached: boolean;
  idempotencyKey: string;
  /** Final overall status of the batch (`completed` or `failed`). */
  status: string | null;
  failedPhase: string | null;
  /** The phase error the API reported, if any. */
  error: { code: string; message: string } | null;
  /** The tracker's result: per-phase metrics and durations, timeline, poll statistics. */
  tracking: TrackResult;
  /** Where the items were written; null when they could not be collected (see `itemsError`). */
  results: ResultsRef | null;
  /** Counts by status, failures by stage and code, page types, brand mentions, missing fields. */
  summary: ItemsSummary | null;
  /** Why items are missing, e.g. `{type: 'ItemsNotReady', ...}` after every attempt; null when collected. */
  itemsError: { type: string; message: string } | null;
}

/** Asks a run where it is. */
export const getRunStatus = defineQuery<RunStatus>('getRunStatus');

/** ApplicationFailure types runAirOpsBatch itself ends with: the table in ./failure-types. */
export { RUN_FAILURE_TYPES } from './failure-types';
