// Plumbing for runAirOpsBatch tests: the production activities against the simulator (clock-synced for the
// time-skipping server), a temporary results directory, history measurements and sink reading.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createActivities, JsonlFileSink, type Activities } from '../../activities';
import { OlostepClient } from '../../olostep/client';
import type { SimulatorHandle } from '../../simulator/server';
import {
  TEST_API_KEY,
  activityTime,
  syncSimClock,
  writeCommittedHistory,
  type TemporalClock,
} from '../helpers/tracker';

export { TEST_API_KEY } from '../helpers/tracker';

export function tempResultsDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'airops-run-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunActivityOptions {
  resultsDir: string;
  /** Client deadline for create/status (ms). */
  clientTimeoutMs?: number;
  /** Move the simulator's manual clock to each call's Temporal time, read from this clock (time-skipping server). */
  clock?: TemporalClock;
}

/** The production activities with a real OlostepClient pointed at the simulator. */
export function runActivities(sim: SimulatorHandle, opts: RunActivityOptions): Activities {
  const olostep = new OlostepClient({
    apiKey: TEST_API_KEY,
    baseUrl: sim.url,
    timeoutMs: opts.clientTimeoutMs ?? 2_000,
    itemsTimeoutMs: 30_000,
  });
  const real = createActivities({ olostep, resultsSink: new JsonlFileSink({ dir: opts.resultsDir }) });
  const clock = opts.clock;
  if (clock === undefined) return real;
  const sync = async () => syncSimClock(sim, await activityTime(clock));
  return {
    async fetchAirOpsBatchStatus(...args) {
      await sync();
      return real.fetchAirOpsBatchStatus(...args);
    },
    async createAirOpsBatch(...args) {
      await sync();
      return real.createAirOpsBatch(...args);
    },
    async fetchAirOpsBatchItems(...args) {
      await sync();
      return real.fetchAirOpsBatchItems(...args);
    },
    awaitAirOpsTracker: real.awaitAirOpsTracker,
  };
}

export interface HistoryStats {
  events: number;
  /** Size of the history as Temporal stores and sends it (protobuf-encoded). */
  bytes: number;
  /** Largest single event, protobuf-encoded. */
  maxEventBytes: number;
}

/** Events and protobuf bytes of one run's history. */
export async function historyStats(client: Client, workflowId: string, runId?: string): Promise<HistoryStats> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  let maxEventBytes = 0;
  for (const e of events) {
    maxEventBytes = Math.max(maxEventBytes, temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  }
  return { events: events.length, bytes, maxEventBytes };
}

/** Every run of a chain (continue-as-new), summed. */
export async function chainStats(client: Client, workflowId: string): Promise<HistoryStats & { runs: number }> {
  const total = { events: 0, bytes: 0, maxEventBytes: 0, runs: 0 };
  const first = await client.workflow.getHandle(workflowId).describe();
  let runId: string | null | undefined = first.raw.workflowExecutionInfo?.firstRunId ?? first.runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    total.runs++;
    total.events += events.length;
    total.bytes += temporal.api.history.v1.History.encode(history).finish().length;
    for (const e of events) {
      total.maxEventBytes = Math.max(
        total.maxEventBytes,
        temporal.api.history.v1.HistoryEvent.encode(e).finish().length,
      );
    }
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
  }
  return total;
}

/** The JSONL sink file, parsed: one item per line. */
export function readJsonl(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** `n` URLs whose paths hit several of the simulator classifier's page types. */
export function mixedUrls(n: number, prefix = 'u'): { url: string; custom_id: string }[] {
  const paths = ['blog/post-', 'products/item-', 'docs/page-', 'pricing', 'news/story-', 'forum/t/', 'misc/x-'];
  return Array.from({ length: n }, (_, i) => ({
    url: `https://site${i % 97}.example.test/${paths[i % paths.length]}${i}`,
    custom_id: `${prefix}${i}`,
  }));
}

export const RUN_HISTORIES_DIR = join(__dirname, '..', '..', 'test', 'histories', 'run');

/** With RECORD_HISTORIES=1, saves a run's history for test/workflows/run-replay.test.ts (test/histories/run/<name>.json). */
export async function maybeRecordRunHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await writeCommittedHistory(join(RUN_HISTORIES_DIR, `${name}.json`), history);
}
