// Benchmark 2: history per tracked batch, ours against the naive 5 s workflow, on the time-skipping server with the
// simulator's clock synced to Temporal's (virtual time = production time).
//   npm run bench:history [-- --naive-full-day]
//
// Lifecycles: the reference (100 URLs; 300 s / 2 s / 1,295 s) and a 24-hour enrichment. For each run of the chain
// (continue-as-new) the events and the bytes of its history (protobuf-encoded, as the server stores it) and the
// JSON size. The naive workflow over 24 h makes ~17,300 status calls, 8+ minutes of wall time here, so by default it
// is measured over a 2-hour enrichment and extrapolated linearly per poll (its history is the same 11 events per
// poll from the second on, checked against the reference run); --naive-full-day measures it. Either way it could
// not run on a real server: Temporal terminates a run at 51,200 events (limit.historyCount.error), and a single
// naive run passes it after ~4,650 polls (6.5 hours).
// Prints the figures last; writes bench/results/history.json.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { startAirOpsBatchTracker } from '../client/track';
import { startSimulator, type BatchScript } from '../simulator/server';
import { WORKFLOWS_PATH } from '../worker/worker';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../kit/helpers/temporal';
import { TEST_API_KEY, clockSyncedActivities, syncSimClock, urls } from '../kit/helpers/tracker';
import type { naivePollAirOpsBatch } from './baselines/naive-workflow';
import { machineInfo, ms, ratio, round, table, writeResult } from './lib/common';
import { DAY_LONG_SCRIPT, REFERENCE_SCRIPT, REFERENCE_URLS } from './lib/reference';

const NAIVE_WORKFLOWS_PATH = require.resolve('./baselines/naive-workflow');
/** Temporal's default per-run history limits (events; bytes), past which the server terminates the run. */
export const HISTORY_LIMITS = { eventsError: 51_200, eventsWarn: 10_240, bytesError: 50 * 2 ** 20 };
const TWO_HOURS_SCRIPT: BatchScript = {
  ...REFERENCE_SCRIPT,
  durations: { ...REFERENCE_SCRIPT.durations, enrichingMs: 2 * 3_600_000 },
};

interface RunHistory {
  runId: string;
  events: number;
  bytes: number;
  jsonBytes: number;
}

interface ChainResult {
  workflow: 'ours' | 'naive';
  lifecycle: string;
  measured: boolean;
  runs: RunHistory[];
  totalEvents: number;
  totalBytes: number;
  maxEventsPerRun: number;
  maxBytesPerRun: number;
  statusCalls: number;
  eventsPerCall: number;
  wallMs: number;
}

async function chainHistories(client: Client, workflowId: string, firstRunId: string): Promise<RunHistory[]> {
  const out: RunHistory[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    out.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      jsonBytes: JSON.stringify(history).length,
    });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
  }
  return out;
}

function chainResult(
  workflow: ChainResult['workflow'],
  lifecycle: string,
  runs: RunHistory[],
  statusCalls: number,
  wallMs: number,
): ChainResult {
  const totalEvents = runs.reduce((n, r) => n + r.events, 0);
  return {
    workflow,
    lifecycle,
    measured: true,
    runs,
    totalEvents,
    totalBytes: runs.reduce((n, r) => n + r.bytes, 0),
    maxEventsPerRun: Math.max(...runs.map((r) => r.events)),
    maxBytesPerRun: Math.max(...runs.map((r) => r.bytes)),
    statusCalls,
    eventsPerCall: round(totalEvents / statusCalls, 2),
    wallMs: round(wallMs),
  };
}

/** The naive chain over a longer lifecycle, from two measured ones: a line through (calls, events/bytes). */
function extrapolate(a: ChainResult, b: ChainResult, calls: number, lifecycle: string): ChainResult {
  const perCall = (x: number, y: number) => (y - x) / (b.statusCalls - a.statusCalls);
  const ev = a.totalEvents + perCall(a.totalEvents, b.totalEvents) * (calls - a.statusCalls);
  const by = a.totalBytes + perCall(a.totalBytes, b.totalBytes) * (calls - a.statusCalls);
  return {
    workflow: 'naive',
    lifecycle,
    measured: false,
    runs: [{ runId: '(extrapolated)', events: Math.round(ev), bytes: Math.round(by), jsonBytes: NaN }],
    totalEvents: Math.round(ev),
    totalBytes: Math.round(by),
    maxEventsPerRun: Math.round(ev),
    maxBytesPerRun: Math.round(by),
    statusCalls: calls,
    eventsPerCall: round(ev / calls, 2),
    wallMs: 0,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'naive-full-day': { type: 'boolean', default: false } } });
  const t0 = performance.now();
  const env = await createTimeSkippingEnv();
  const sim = await startSimulator({
    clock: 'manual',
    apiKey: TEST_API_KEY,
    startTime: await env.currentTimeMs(),
    requestLogLimit: 100_000,
  });
  const oursQueue = uniqueTaskQueue('bench-hist-ours');
  const naiveQueue = uniqueTaskQueue('bench-hist-naive');
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: oursQueue,
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
      activities: clockSyncedActivities(sim, env),
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: naiveQueue,
      workflowBundle: await workflowBundle(NAIVE_WORKFLOWS_PATH),
      activities: clockSyncedActivities(sim, env),
    }),
  ]);
  const running = workers.map((w) => w.run());
  const calls = (batchId: string) =>
    sim.requests.filter((r) => r.endpoint === 'status' && r.batchId === batchId).length;
  const create = async (script: BatchScript, prefix: string) => {
    await syncSimClock(sim, await env.currentTimeMs());
    const slug = prefix.replace(/[^a-z0-9]+/gi, '-');
    return sim.createBatch({ items: urls(REFERENCE_URLS, slug) }, { ...script, seed: `hist-${slug}` }).id;
  };
  const ours = async (script: BatchScript, lifecycle: string) => {
    const started = performance.now();
    const batchId = await create(script, `ours-${lifecycle}`);
    const handle = await startAirOpsBatchTracker(env.client, batchId, { taskQueue: oursQueue });
    await handle.result();
    const runs = await chainHistories(env.client, handle.workflowId, handle.firstExecutionRunId);
    console.log(`  ours, ${lifecycle}: ${runs.length} run(s), ${ms(performance.now() - started)} wall`);
    return chainResult('ours', lifecycle, runs, calls(batchId), performance.now() - started);
  };
  const naive = async (script: BatchScript, lifecycle: string) => {
    const started = performance.now();
    const batchId = await create(script, `naive-${lifecycle}`);
    const handle = await env.client.workflow.start<typeof naivePollAirOpsBatch>('naivePollAirOpsBatch', {
      taskQueue: naiveQueue,
      workflowId: `naive-${batchId}`,
      args: [batchId],
    });
    await handle.result();
    const runs = await chainHistories(env.client, handle.workflowId, handle.firstExecutionRunId);
    console.log(`  naive, ${lifecycle}: ${ms(performance.now() - started)} wall`);
    return chainResult('naive', lifecycle, runs, calls(batchId), performance.now() - started);
  };
  let results: ChainResult[];
  try {
    const oursRef = await ours(REFERENCE_SCRIPT, 'reference');
    const oursDay = await ours(DAY_LONG_SCRIPT, '24 h enrichment');
    const naiveRef = await naive(REFERENCE_SCRIPT, 'reference');
    let naiveDay: ChainResult;
    let naive2h: ChainResult | null = null;
    if (values['naive-full-day']) {
      naiveDay = await naive(DAY_LONG_SCRIPT, '24 h enrichment');
    } else {
      naive2h = await naive(TWO_HOURS_SCRIPT, '2 h enrichment');
      // 5 s apart from create to the end of a 24 h enrichment (300 + 2 + 3 s + 24 h), plus the first poll.
      const dayMs = 300_000 + 2_000 + 3_000 + 24 * 3_600_000;
      naiveDay = extrapolate(naiveRef, naive2h, Math.ceil(dayMs / 5_000) + 1, '24 h enrichment');
    }
    results = [oursRef, oursDay, naiveRef, ...(naive2h ? [naive2h] : []), naiveDay];
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await sim.close();
    await env.teardown();
  }

  const find = (w: string, l: string) => results.find((r) => r.workflow === w && r.lifecycle === l) as ChainResult;
  const oursDay = find('ours', '24 h enrichment');
  const goal = {
    totalEventsMax: 2_000,
    eventsPerRunMax: 4_096,
    met: oursDay.totalEvents <= 2_000 && oursDay.maxEventsPerRun <= 4_096,
  };
  const ratios = Object.fromEntries(
    ['reference', '24 h enrichment'].map((l) => [
      l,
      {
        events: ratio(find('ours', l).totalEvents, find('naive', l).totalEvents),
        bytes: ratio(find('ours', l).totalBytes, find('naive', l).totalBytes),
        maxEventsPerRun: ratio(find('ours', l).maxEventsPerRun, find('naive', l).maxEventsPerRun),
      },
    ]),
  );
  const wallMs = round(performance.now() - t0);
  const file = writeResult('history', {
    benchmark: 'history',
    at: new Date().toISOString(),
    machine: machineInfo(),
    wallMs,
    limits: HISTORY_LIMITS,
    chains: results,
    ratios,
    goal,
  });

  console.log('');
  console.log(
    table(
      [
        'workflow',
        'lifecycle',
        'runs',
        'status calls',
        'events',
        'max events/run',
        'bytes',
        'max bytes/run',
        'ev/call',
      ],
      results.map((r) => [
        r.workflow + (r.measured ? '' : ' (extrapolated)'),
        r.lifecycle,
        r.runs.length,
        r.statusCalls,
        r.totalEvents,
        r.maxEventsPerRun,
        r.totalBytes,
        r.maxBytesPerRun,
        r.eventsPerCall,
      ]),
    ),
  );
  console.log('');
  for (const [l, r] of Object.entries(ratios)) {
    console.log(
      `ours ÷ naive, ${l}: events ${r.events}×, bytes ${r.bytes}×, largest run ${r.maxEventsPerRun}× (naive runs over ${HISTORY_LIMITS.eventsError} events are terminated by a real server)`,
    );
  }
  console.log(`(written to ${file}; wall time ${ms(wallMs)})`);
  console.log(
    `ours, 24 h enrichment: ${oursDay.totalEvents} events in total (goal ≤ 2,000), ${oursDay.maxEventsPerRun} in the largest of ${oursDay.runs.length} runs (goal ≤ 4,096): ${goal.met ? 'MET' : 'NOT MET'}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
