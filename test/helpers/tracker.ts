// Shared plumbing for tracker tests: the real activities (real OlostepClient, real HTTP) against the simulator,
// with the simulator's manual clock following Temporal's (possibly skipped) time, plus history utilities.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { createActivities } from '../../activities';
import { OlostepClient } from '../../olostep/client';
import type { SimulatorHandle } from '../../simulator/server';

export const TEST_API_KEY = 'sk_test_TRACKER_SECRET_9f3a1c';

/**
 * The production activities, except that before each call the simulator's manual clock is moved to the time the
 * activity was scheduled at, so simulated batches progress exactly as fast as the time-skipping server's clock.
 */
export function clockSyncedActivities(sim: SimulatorHandle, clientTimeoutMs = 2_000) {
  const olostep = new OlostepClient({ apiKey: TEST_API_KEY, baseUrl: sim.url, timeoutMs: clientTimeoutMs });
  const real = createActivities({ olostep });
  return {
    async fetchAirOpsBatchStatus(batchId: string) {
      await syncSimClock(sim, Context.current().info.currentAttemptScheduledTimestampMs);
      return real.fetchAirOpsBatchStatus(batchId);
    },
  };
}

export async function syncSimClock(sim: SimulatorHandle, to: number): Promise<void> {
  const ahead = Math.floor(to - sim.clock.now());
  if (ahead > 0) await sim.clock.advance(ahead);
}

export function urls(n: number, prefix = 'u'): { url: string; custom_id: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    url: `https://example.test/${prefix}/${i}`,
    custom_id: `${prefix}${i}`,
  }));
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

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/** With RECORD_HISTORIES=1, saves a history for the replay tests (test/histories/<name>.json). */
export async function maybeRecordHistory(
  client: Client,
  workflowId: string,
  runId: string,
  name: string,
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}

/** A webhook payload (spec §3 shape) built from a GET-shape status: what Olostep would POST for `event`. */
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
