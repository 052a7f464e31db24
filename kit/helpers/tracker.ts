// Shared plumbing for tracker tests: the real activities (real OlostepClient, real HTTP) against the simulator,
// with the simulator's manual clock following Temporal's (possibly skipped) time, plus history utilities.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { simulatorActivities, type TemporalClock } from '../../testing';
import assert from 'node:assert/strict';
import type { GroundTruth, SimulatorHandle } from '../../simulator/server';
import type { BatchOutcome } from '../../workflows/contract';

export const TEST_API_KEY = 'sk_test_TRACKER_SECRET_9f3a1c';

export { activityTime, sampleItems as urls, syncSimClock, type TemporalClock } from '../../testing';

/**
 * The production activities, except that before each call the simulator's manual clock is moved to the Temporal
 * time of the call, so simulated batches progress exactly as fast as the time-skipping server's clock.
 */
export function clockSyncedActivities(sim: SimulatorHandle, clock: TemporalClock, clientTimeoutMs = 2_000) {
  return simulatorActivities(sim, { apiKey: TEST_API_KEY, clock, timeoutMs: clientTimeoutMs });
}

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every run of a workflow chain (following continue-as-new), with its history. */
export async function historiesOfChain(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runId: string; events: HistoryEvent[]; bytes: number }[]> {
  const out: { runId: string; events: HistoryEvent[]; bytes: number }[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    out.push({ runId, events, bytes: JSON.stringify(history).length });
    const last: HistoryEvent | undefined = events[events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
  }
  return out;
}

export const HISTORIES_DIR = join(__dirname, '..', '..', 'test', 'histories');

/** With RECORD_HISTORIES=1, saves a history for the replay tests (test/histories/<name>.json). */
export async function maybeRecordHistory(
  client: Client,
  workflowId: string,
  runId: string,
  name: string,
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await writeCommittedHistory(join(HISTORIES_DIR, `${name}.json`), history);
}

/**
 * Writes a history to be committed: JSON as `temporal workflow show -o json` prints it, with failures' stack traces
 * emptied (they name the recording machine's paths; replay never reads them).
 */
export async function writeCommittedHistory(file: string, history: temporal.api.history.v1.IHistory): Promise<void> {
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  const json = JSON.parse(historyToJSON(history)) as unknown;
  const strip = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(strip);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.stackTrace === 'string') o.stackTrace = '';
      Object.values(o).forEach(strip);
    }
  };
  strip(json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/** A webhook payload (docs/airops-api.md#webhook-payload) built from a GET-shape status: what Olostep would POST for `event`. */
export function webhookFromStatus(
  status: { id: string; created_at: number; status: string; scraping: unknown; analyzing: unknown; enriching: unknown },
  event: string,
  timestamp: number,
): Record<string, unknown> {
  return {
    object: event,
    id: status.id,
    created: status.created_at,
    timestamp,
    status: {
      overall: status.status,
      scraping: status.scraping,
      analyzing: status.analyzing,
      enriching: status.enriching,
    },
  };
}

const EVENT_TO_OBSERVATION: Record<string, { phase: string; to: string }> = {
  'event.batch.airops.scraping_started': { phase: 'scraping', to: 'started' },
  'event.batch.airops.scraping_completed': { phase: 'scraping', to: 'completed' },
  'event.batch.airops.scraping_failed': { phase: 'scraping', to: 'failed' },
  'event.batch.airops.analyzing_completed': { phase: 'analyzing', to: 'completed' },
  'event.batch.airops.enriching_started': { phase: 'enriching', to: 'started' },
  'event.batch.airops.enriching_completed': { phase: 'enriching', to: 'completed' },
  'event.batch.airops.enriching_failed': { phase: 'enriching', to: 'failed' },
  'event.batch.airops.completed': { phase: 'overall', to: 'completed' },
  'event.batch.airops.failed': { phase: 'overall', to: 'failed' },
};

/**
 * Detection lag per transition: when the tracker first observed it (its timeline, workflow time) minus when the
 * simulator made it happen (ground-truth event time). Both clocks must be the same (time-skipping tests sync them;
 * with a time-scaled real clock, convert before calling).
 */
export function detectionLags(
  truthEvents: readonly { type: string; at: number }[],
  timeline: readonly { at: number; phase: string; to: string }[],
): { event: string; lagMs: number | null }[] {
  return truthEvents
    .filter((e) => e.type !== 'event.batch.airops.scraping_started') // the create response already shows it
    .map((e) => {
      const want = EVENT_TO_OBSERVATION[e.type];
      const seen = want ? timeline.find((t) => t.phase === want.phase && t.to === want.to) : undefined;
      return { event: e.type.replace('event.batch.airops.', ''), lagMs: seen ? seen.at - e.at : null };
    });
}

/** The tracker's final view equals the simulator's ground truth: status, phase states and their counts. */
export function assertOutcomeMatchesTruth(result: BatchOutcome, truth: GroundTruth): void {
  assert.equal(result.status, truth.outcome);
  assert.equal(result.terminal, true);
  assert.equal(result.totalUrls, truth.final.total_urls);
  const s = result.phases.scraping.metrics;
  assert.equal(s.succeeded, truth.final.scraping.succeeded);
  assert.equal(s.failed, truth.final.scraping.failed);
  assert.equal(result.phases.scraping.state, truth.final.scraping.state);
  assert.equal(result.phases.analyzing.state, truth.final.analyzing.state);
  assert.equal(result.phases.enriching.state, truth.final.enriching.state);
  assert.equal(result.phases.analyzing.metrics.itemsNeedingEnrichment, truth.final.analyzing.items_needing_enrichment);
  assert.equal(result.phases.enriching.metrics.itemsEnriched, truth.final.enriching.items_enriched);
  assert.equal(result.phases.enriching.metrics.itemsFailed, truth.final.enriching.items_failed);
}
