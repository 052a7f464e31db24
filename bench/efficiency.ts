// Benchmark 1: efficiency on the reference lifecycle (100 URLs; scraping 300 s, analyzing 2 s, enriching 1,295 s):
// status calls and detection lag per transition, for four pollers, in one run so the ratios compare like with like.
//   npm run bench:efficiency [-- --runs 5 --webhook-runs 10 --scale 100]
//
//   (a) ours, polling only: trackAirOpsBatch on the time-skipping server; the simulator's manual clock follows
//       Temporal's (clockSyncedActivities), so virtual time = production time, exactly.
//   (b) ours with webhooks: the dev server, the simulator on a real clock at --scale× delivering to the webhook
//       receiver, the tracker's intervals (min/max poll, stall, not-found grace) divided by --scale so its calls are
//       those of production. Lag after receipt is wall ms (HTTP + receiver + Temporal + workflow task: work that does
//       not shrink with the scale), from the receiver receiving the delivery to the tracker's workflow task.
//   (c) naive Temporal workflow (bench/baselines/naive-workflow.ts): activity, sleep 5 s, repeat. Time-skipping,
//       clock-synced, the same activity.
//   (d) Olostep-SDK-style in-process loop (bench/baselines/sdk-loop.ts): OlostepClient.getBatchStatus every 10 s,
//       on the simulator's manual clock.
// Status calls are counted at the simulator (every GET of the batch). Detection lag of a transition: for (a) and
// (b) the tracker's first observation (its timeline, workflow time) minus when it happened; for (c) and (d) the
// first status call at or after it (the response then shows it) minus when it happened.
// Prints the figures last; writes bench/results/efficiency.json.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startAirOpsBatchTracker } from '../client/track';
import { OlostepClient } from '../olostep/client';
import { startSimulator, type SimulatorHandle } from '../simulator/server';
import { createWebhookReceiver, webhookUrlFor, type SignaledEvent } from '../webhooks/server';
import { createTrackerWorker, WORKFLOWS_PATH } from '../worker/worker';
import type { TimelineEntry, TrackOptions } from '../workflows/contract';
import { createDevServerEnv, createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../kit/helpers/temporal';
import { TEST_API_KEY, clockSyncedActivities, syncSimClock, urls } from '../kit/helpers/tracker';
import { SDK_POLL_INTERVAL_MS, pollEvery10s } from './baselines/sdk-loop';
import type { naivePollAirOpsBatch } from './baselines/naive-workflow';
import { REFERENCE_SCRIPT, REFERENCE_URLS } from './lib/reference';
import { machineInfo, ms, ratio, round, summarize, table, writeResult, type Summary } from './lib/common';

const NAIVE_WORKFLOWS_PATH = require.resolve('./baselines/naive-workflow');
const SECRET = 'whsec_bench_efficiency_5d7e9f1a2b3c';

const PHASE_OF: Record<string, { phase: string; to: string }> = {
  'event.batch.airops.scraping_completed': { phase: 'scraping', to: 'completed' },
  'event.batch.airops.analyzing_completed': { phase: 'analyzing', to: 'completed' },
  'event.batch.airops.enriching_started': { phase: 'enriching', to: 'started' },
  'event.batch.airops.enriching_completed': { phase: 'enriching', to: 'completed' },
  'event.batch.airops.completed': { phase: 'overall', to: 'completed' },
};
const TRANSITIONS = Object.keys(PHASE_OF);
const short = (event: string) => event.replace('event.batch.airops.', '');

type PollerKey = 'ours-polling' | 'ours-webhooks' | 'naive-5s' | 'sdk-10s';
const POLLERS: Record<PollerKey, string> = {
  'ours-polling': 'ours, polling only',
  'ours-webhooks': 'ours + webhooks',
  'naive-5s': 'naive workflow (5 s)',
  'sdk-10s': 'SDK-style loop (10 s)',
};

interface RunResult {
  batchId: string;
  statusCalls: number;
  /** Per transition (short event name): lag ms. */
  lagMs: Record<string, number>;
  /** Webhooks only: lag after the receiver received the delivery that carried the transition (wall ms). */
  lagAfterReceiptMs?: Record<string, number>;
  wallMs: number;
}

interface PollerResult {
  poller: PollerKey;
  label: string;
  how: string;
  runs: RunResult[];
  calls: Summary;
  lag: Summary;
  lagByTransition: Record<string, Summary>;
  lagAfterReceipt?: Summary;
}

/** Transitions of the batch (ground truth, virtual ms), without scraping_started (the create response shows it). */
function transitionsOf(sim: SimulatorHandle, batchId: string): { event: string; at: number }[] {
  return sim
    .groundTruth(batchId)
    .events.filter((e) => TRANSITIONS.includes(e.type))
    .map((e) => ({ event: e.type, at: e.at }));
}

function statusRequests(sim: SimulatorHandle, batchId: string) {
  return sim.requests.filter((r) => r.endpoint === 'status' && r.batchId === batchId);
}

/** Lag when detection is "the first status call at or after the transition". */
function lagFromRequests(sim: SimulatorHandle, batchId: string): Record<string, number> {
  const times = statusRequests(sim, batchId)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const out: Record<string, number> = {};
  for (const t of transitionsOf(sim, batchId)) {
    const seen = times.find((at) => at >= t.at);
    if (seen === undefined) throw new Error(`${batchId}: no status call after ${t.event}`);
    out[short(t.event)] = seen - t.at;
  }
  return out;
}

/** Lag from the tracker's own timeline (first observation, workflow time); `toTrackerTime` maps simulator time. */
function lagFromTimeline(
  sim: SimulatorHandle,
  batchId: string,
  timeline: readonly TimelineEntry[],
  toTrackerTime: (virtual: number) => number = (v) => v,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of transitionsOf(sim, batchId)) {
    const want = PHASE_OF[t.event];
    const seen = timeline.find((e) => e.phase === want?.phase && e.to === want?.to);
    if (!seen) throw new Error(`${batchId}: the tracker never observed ${t.event}`);
    out[short(t.event)] = seen.at - toTrackerTime(t.at);
  }
  return out;
}

function summarizePoller(poller: PollerKey, how: string, runs: RunResult[]): PollerResult {
  const lagByTransition: Record<string, Summary> = {};
  for (const t of TRANSITIONS.map(short)) lagByTransition[t] = summarize(runs.map((r) => r.lagMs[t] ?? NaN));
  const after = runs.flatMap((r) => Object.values(r.lagAfterReceiptMs ?? {}));
  return {
    poller,
    label: POLLERS[poller],
    how,
    runs,
    calls: summarize(runs.map((r) => r.statusCalls)),
    lag: summarize(runs.flatMap((r) => Object.values(r.lagMs))),
    lagByTransition,
    ...(after.length > 0 ? { lagAfterReceipt: summarize(after) } : {}),
  };
}

// ---- (a) and (c): time-skipping server, clock-synced activities ----

async function timeSkippingPollers(runs: number): Promise<{ ours: PollerResult; naive: PollerResult }> {
  const env: TestWorkflowEnvironment = await createTimeSkippingEnv();
  const sim = await startSimulator({
    clock: 'manual',
    apiKey: TEST_API_KEY,
    startTime: await env.currentTimeMs(),
    requestLogLimit: 100_000,
  });
  const oursQueue = uniqueTaskQueue('bench-eff-ours');
  const naiveQueue = uniqueTaskQueue('bench-eff-naive');
  const [oursBundle, naiveBundle] = await Promise.all([
    workflowBundle(WORKFLOWS_PATH),
    workflowBundle(NAIVE_WORKFLOWS_PATH),
  ]);
  const workers = await Promise.all([
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: oursQueue,
      workflowBundle: oursBundle,
      activities: clockSyncedActivities(sim, env),
    }),
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: naiveQueue,
      workflowBundle: naiveBundle,
      activities: clockSyncedActivities(sim, env),
    }),
  ]);
  const running = workers.map((w) => w.run());
  const create = async (i: number, prefix: string) => {
    await syncSimClock(sim, await env.currentTimeMs());
    return sim.createBatch({ items: urls(REFERENCE_URLS, `${prefix}${i}-`) }, { ...REFERENCE_SCRIPT, seed: `ref-${i}` })
      .id;
  };
  try {
    const ours: RunResult[] = [];
    const naive: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      let started = performance.now();
      const batchId = await create(i, 'ours');
      const result = await (await startAirOpsBatchTracker(env.client, batchId, { taskQueue: oursQueue })).result();
      ours.push({
        batchId,
        statusCalls: statusRequests(sim, batchId).length,
        lagMs: lagFromTimeline(sim, batchId, result.timeline),
        wallMs: round(performance.now() - started),
      });
      if (result.pollStats.calls !== statusRequests(sim, batchId).length) {
        throw new Error(`poll stats (${result.pollStats.calls}) disagree with the simulator's request log`);
      }

      started = performance.now();
      const naiveId = await create(i, 'naive');
      await env.client.workflow.execute<typeof naivePollAirOpsBatch>('naivePollAirOpsBatch', {
        taskQueue: naiveQueue,
        workflowId: `naive-${naiveId}`,
        args: [naiveId],
      });
      naive.push({
        batchId: naiveId,
        statusCalls: statusRequests(sim, naiveId).length,
        lagMs: lagFromRequests(sim, naiveId),
        wallMs: round(performance.now() - started),
      });
      console.log(
        `  run ${i + 1}/${runs}: ours ${ours[i]?.statusCalls} calls (${ours[i]?.wallMs} ms wall), naive ${naive[i]?.statusCalls} calls (${naive[i]?.wallMs} ms wall)`,
      );
    }
    return {
      ours: summarizePoller('ours-polling', 'time-skipping server, clock-synced simulator', ours),
      naive: summarizePoller('naive-5s', 'time-skipping server, clock-synced simulator', naive),
    };
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await sim.close();
    await env.teardown();
  }
}

// ---- (d): the in-process 10 s loop on the manual clock ----

async function sdkLoop(runs: number): Promise<PollerResult> {
  const sim = await startSimulator({ clock: 'manual', apiKey: TEST_API_KEY, startTime: Date.UTC(2026, 0, 1) });
  const client = new OlostepClient({ apiKey: TEST_API_KEY, baseUrl: sim.url, timeoutMs: 5_000 });
  try {
    const out: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const batchId = sim.createBatch(
        { items: urls(REFERENCE_URLS, `sdk${i}-`) },
        { ...REFERENCE_SCRIPT, seed: `ref-${i}` },
      ).id;
      // The reference phases last whole multiples of 10 s, so a loop polling at exactly 0, 10, 20 s… would land on
      // every transition. Real durations are not round: start run i (i + 0.5)/runs of an interval after the create,
      // spreading the loop's phase over the interval as production does.
      await sim.clock.advance(Math.round(((i + 0.5) / runs) * SDK_POLL_INTERVAL_MS));
      await pollEvery10s(client, batchId, (wait) => sim.clock.advance(wait));
      out.push({
        batchId,
        statusCalls: statusRequests(sim, batchId).length,
        lagMs: lagFromRequests(sim, batchId),
        wallMs: round(performance.now() - started),
      });
    }
    return summarizePoller('sdk-10s', 'in-process loop, simulator manual clock', out);
  } finally {
    await sim.close();
  }
}

// ---- (b): webhooks on the dev server, time-scaled simulator, scaled tracker intervals ----

/** The tracker's defaults divided by the scale, so its calls over the scaled lifecycle are production's. */
export function scaledTrackOptions(scale: number): TrackOptions {
  return {
    minPollIntervalMs: Math.max(100, Math.round(2_000 / scale)),
    maxPollIntervalMs: Math.round((15 * 60_000) / scale),
    stallTimeoutMs: Math.round((30 * 60_000) / scale),
    notFoundGraceMs: Math.round((2 * 60_000) / scale),
  };
}

async function withWebhooks(runs: number, scale: number): Promise<PollerResult> {
  const env = await createDevServerEnv();
  const taskQueue = uniqueTaskQueue('bench-eff-wh');
  const sim = await startSimulator({ apiKey: TEST_API_KEY, timeScale: scale, webhookTimeoutMs: 5_000 });
  const anchorVirtual = sim.clock.now();
  const anchorWall = Date.now();
  const wallOf = (virtual: number) => anchorWall + (virtual - anchorVirtual) / scale;
  const trackOptions = scaledTrackOptions(scale);
  const signals: SignaledEvent[] = [];
  const receiver = createWebhookReceiver({
    client: env.client,
    taskQueue,
    secret: SECRET,
    trackOptions,
    logger: false,
    onSignal: (e) => signals.push(e),
  });
  const worker = await createTrackerWorker({
    connection: env.nativeConnection,
    taskQueue,
    olostep: { apiKey: TEST_API_KEY, baseUrl: sim.url },
    workflowBundle: await workflowBundle(WORKFLOWS_PATH),
  });
  const running = worker.run();
  try {
    const hook = webhookUrlFor(await receiver.listen(), SECRET);
    const out = await Promise.all(
      Array.from({ length: runs }, async (_, i): Promise<RunResult> => {
        await new Promise((r) => setTimeout(r, i * 500)); // staggered: the runs do not share instants
        const started = performance.now();
        const batchId = sim.createBatch(
          { items: urls(REFERENCE_URLS, `wh${i}-`), webhook: hook },
          { ...REFERENCE_SCRIPT, seed: `ref-${i}` },
        ).id;
        const result = await (
          await startAirOpsBatchTracker(env.client, batchId, { taskQueue, ...trackOptions })
        ).result();
        const truth = transitionsOf(sim, batchId);
        const eventAt = new Map(sim.groundTruth(batchId).events.map((e) => [e.type as string, e.at]));
        const mine = signals.filter((s) => s.batchId === batchId).sort((a, b) => a.receivedAt - b.receivedAt);
        const lagAfterReceiptMs: Record<string, number> = {};
        const observed = lagFromTimeline(sim, batchId, result.timeline, () => 0); // = observation times
        for (const t of truth) {
          const receipt = mine.find((s) => (eventAt.get(s.event) ?? -Infinity) >= t.at);
          const seen = observed[short(t.event)];
          if (receipt && seen !== undefined) lagAfterReceiptMs[short(t.event)] = seen - receipt.receivedAt;
        }
        return {
          batchId,
          statusCalls: statusRequests(sim, batchId).length,
          lagMs: lagFromTimeline(sim, batchId, result.timeline, wallOf),
          lagAfterReceiptMs,
          wallMs: round(performance.now() - started),
        };
      }),
    );
    return summarizePoller(
      'ours-webhooks',
      `dev server, simulator at ${scale}× real clock, tracker intervals ÷${scale}; lag in wall ms`,
      out,
    );
  } finally {
    await receiver.close();
    worker.shutdown();
    await running;
    await sim.close();
    await env.teardown();
  }
}

// ---- main ----

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      'webhook-runs': { type: 'string', default: '10' },
      scale: { type: 'string', default: '100' },
    },
  });
  const runs = Number(values.runs);
  const webhookRuns = Number(values['webhook-runs']);
  const scale = Number(values.scale);
  const t0 = performance.now();

  console.log(`(a)+(c) ours polling only and the naive 5 s workflow: ${runs} runs each, time-skipping server`);
  const { ours, naive } = await timeSkippingPollers(runs);
  console.log(`(d) SDK-style 10 s loop: ${runs} runs, manual clock`);
  const sdk = await sdkLoop(runs);
  console.log(`(b) ours with webhooks: ${webhookRuns} runs at ${scale}×, dev server`);
  const webhooks = await withWebhooks(webhookRuns, scale);
  const pollers = [ours, webhooks, naive, sdk];

  const versus = (p: PollerResult, base: PollerResult) => ({
    calls: ratio(p.calls.p50, base.calls.p50),
    lagP50: ratio(p.lag.p50, base.lag.p50),
    lagMax: ratio(p.lag.max, base.lag.max),
  });
  const ratios = {
    'ours-polling': { vsNaive: versus(ours, naive), vsSdk: versus(ours, sdk) },
    'ours-webhooks': { vsNaive: versus(webhooks, naive), vsSdk: versus(webhooks, sdk) },
  };
  const goals = {
    oursPolling: {
      callsMax: 40,
      lagP50MaxMs: 10_000,
      lagMaxMs: 60_000,
      met: ours.calls.max <= 40 && ours.lag.p50 <= 10_000 && ours.lag.max <= 60_000,
    },
    oursWebhooks: {
      callsMax: 3,
      lagAfterReceiptP99MaxMs: 1_000,
      met: webhooks.calls.max <= 3 && (webhooks.lagAfterReceipt?.p99 ?? Infinity) <= 1_000,
    },
  };
  const wallMs = round(performance.now() - t0);
  const file = writeResult('efficiency', {
    benchmark: 'efficiency',
    at: new Date().toISOString(),
    machine: machineInfo(),
    wallMs,
    reference: { urls: REFERENCE_URLS, script: REFERENCE_SCRIPT },
    settings: { runs, webhookRuns, scale, webhookTrackOptions: scaledTrackOptions(scale) },
    pollers,
    ratios,
    goals,
  });

  console.log('');
  console.log('detection lag per transition (p50 over runs)');
  console.log(
    table(
      ['transition', ...pollers.map((p) => p.label)],
      TRANSITIONS.map(short).map((t) => [t, ...pollers.map((p) => ms(p.lagByTransition[t]?.p50))]),
    ),
  );
  console.log('');
  const r = (x: number | null) => (x === null ? '–' : `${x}×`);
  console.log(
    table(
      ['poller', 'status calls (p50)', 'calls range', 'lag p50', 'lag p99', 'lag max', 'after receipt p99'],
      pollers.map((p) => [
        p.label,
        p.calls.p50,
        `${p.calls.min}–${p.calls.max}`,
        ms(p.lag.p50),
        ms(p.lag.p99),
        ms(p.lag.max),
        p.lagAfterReceipt ? ms(p.lagAfterReceipt.p99) : '–',
      ]),
    ),
  );
  console.log('');
  console.log(
    table(
      ['ratio (ours ÷ baseline)', 'calls', 'lag p50', 'lag max'],
      [
        ['polling only ÷ naive 5 s', ...Object.values(ratios['ours-polling'].vsNaive).map(r)],
        ['polling only ÷ SDK 10 s', ...Object.values(ratios['ours-polling'].vsSdk).map(r)],
        ['webhooks ÷ naive 5 s', ...Object.values(ratios['ours-webhooks'].vsNaive).map(r)],
        ['webhooks ÷ SDK 10 s', ...Object.values(ratios['ours-webhooks'].vsSdk).map(r)],
      ],
    ),
  );
  console.log('');
  console.log(`(written to ${file}; wall time ${ms(wallMs)})`);
  console.log(
    `ours polling only: ${ours.calls.max} calls max (goal ≤ 40), lag p50 ${ms(ours.lag.p50)} (goal ≤ 10 s), max ${ms(ours.lag.max)} (goal ≤ 60 s): ${goals.oursPolling.met ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `ours + webhooks: ${webhooks.calls.max} calls max (goal ≤ 3), lag after receipt p99 ${ms(webhooks.lagAfterReceipt?.p99)} (goal ≤ 1 s): ${goals.oursWebhooks.met ? 'MET' : 'NOT MET'}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
