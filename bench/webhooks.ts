// Benchmark: the webhook receiver, and what webhooks buy over polling.
//   npx tsx bench/webhooks.ts [--duration 10] [--connections 32] [--batches 200] [--rate 50] [--scale 200]
//                             [--lag-runs 3] [--skip-lag] [--skip-throughput]
//
// 0. The receiver alone, with a stub Temporal client (5 s): its own ceiling, to see where the time goes.
// 1. Throughput. A Temporal dev server, the real tracker worker, 200 batches in a simulator with their trackers
//    running, and the receiver. autocannon (in its own process, loopback only, bounded duration) POSTs valid AirOps
//    webhook payloads (10 progress levels per batch, so most are real merges, not duplicates) across the 200 batch
//    ids; every one is a signalWithStart into a running tracker. Accepted events/s = 2xx answers / duration; the
//    latency is autocannon's (request sent → answer, which includes Temporal accepting the signal). Twice: closed
//    loop (saturation: the capacity, and the queueing latency at it), then open loop at --rate events/s offered,
//    evenly spaced (bench/lib/paced-load.ts; latency from when each request was due)
//    (the latency a sender sees below capacity).
//    Then the same with the receiver's ingest journal (WEBHOOK_JOURNAL_DIR): the answer goes out once the event is
//    fsync'd to the journal, and a forwarder signals the trackers from it. Closed loop (its acceptance capacity), then
//    open loop at --journal-rate events/s; after each, until the forwarder has signaled everything: delivered/s
//    (what Temporal took) and receipt → signal accepted, the end-to-end latency to the tracker.
// 2. Detection lag on the reference lifecycle (scraping 300 s, analyzing 2 s, enriching 1,295 s): per transition,
//    simulator transition → the tracker's first observation of it.
//    - webhooks: dev server + real-clock simulator at --scale× delivering to the receiver. The lag is wall-clock
//      work (HTTP, receiver, Temporal, workflow task) that does not shrink with the time scale, so it is reported in
//      wall ms, which is what production sees; in the scaled run's virtual time it would look --scale× larger.
//    - polling only: the same tracker on the time-skipping server with the simulator's manual clock synced to
//      Temporal's, no webhook: the tracker's own poll schedule runs in virtual time = production time, exactly.
// Prints the figures last, and writes bench/results/webhooks.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startAirOpsBatchTracker } from '../client/track';
import { startSimulator, type SimulatorHandle } from '../simulator/server';
import { createTrackerWorker, WORKFLOWS_PATH } from '../worker/worker';
import { getPollStats, type TrackResult } from '../workflows/contract';
import { WebhookJournal } from '../webhooks/journal';
import { runPacedLoad } from './lib/paced-load';
import { createWebhookReceiver, webhookUrlFor, type SignaledEvent } from '../webhooks/server';
import { TrackerSignaler } from '../webhooks/tracker-signal';
import { payloadFor } from '../kit/webhooks/helpers';
import type { WebhookPayload } from '../olostep/schemas';
import { createDevServerEnv, createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../kit/helpers/temporal';
import { TEST_API_KEY, clockSyncedActivities, syncSimClock, urls } from '../kit/helpers/tracker';

const SECRET = 'whsec_bench_8c1e2f3a4b5d6e7f8091';
/** webhooks.json; with --sa-cache-refresh off (a production server setting) webhooks-sa-cache-off.json. */
const resultsFile = (saCacheRefresh: boolean) =>
  join(__dirname, 'results', saCacheRefresh ? 'webhooks.json' : 'webhooks-sa-cache-off.json');

// ---- autocannon, run in a child process so the load generator does not share the receiver's event loop ----

interface AutocannonSummary {
  duration: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  reqPerSecAvg: number;
  latency: { average: number; p50: number; p90: number; p99: number; max: number };
}

// \`bodies\` are spread over the connections: connection k starts at body k × stride and walks on from there, so
// concurrent requests go to different batches, as Olostep's would (one batch's events come one at a time). With
// autocannon's plain \`requests\` list every connection would start at body 0, and 32 concurrent signals to the same
// workflow queue on its lock in Temporal's history service: a measure of that lock, not of the receiver.
const LOADER = `
const autocannon = require(process.argv[1]);
const spec = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const { bodies, stride, ...opts } = spec;
let connections = 0;
opts.requests = [{
  method: 'POST',
  setupRequest: (req, context) => {
    if (context.next === undefined) context.next = (connections++ * stride) % bodies.length;
    const body = bodies[context.next];
    context.next = (context.next + 1) % bodies.length;
    return { ...req, body };
  },
}];
autocannon(opts).then((r) => {
  process.stdout.write(JSON.stringify({
    duration: r.duration, total: r.requests.total, ok2xx: r['2xx'], non2xx: r.non2xx, errors: r.errors,
    timeouts: r.timeouts, reqPerSecAvg: r.requests.average,
    latency: { average: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
  }));
}, (e) => { console.error(e); process.exit(1); });
`;

/**
 * Open loop at an even `rate` (bench/lib/paced-load.ts; autocannon's overallRate sends each second's quota in a
 * burst), in the same summary shape. Latency counts from when each request was due.
 */
async function runPaced(spec: Record<string, unknown>, rate: number): Promise<AutocannonSummary> {
  const r = await runPacedLoad({
    url: spec.url as string,
    bodies: spec.bodies as string[],
    rate,
    durationS: spec.duration as number,
  });
  return {
    duration: r.duration,
    total: r.sent,
    ok2xx: r.ok2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: 0,
    reqPerSecAvg: Math.round(r.ok2xx / r.duration),
    latency: r.latency,
  };
}

async function runAutocannon(spec: Record<string, unknown>): Promise<AutocannonSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-'));
  try {
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const child = spawn(process.execPath, ['-e', LOADER, require.resolve('autocannon'), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`autocannon exited with ${code}`);
    return JSON.parse(out) as AutocannonSummary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- part 1: throughput ----

/** Bodies: scraping progress 0..9 per batch (most signals are real merges, not duplicates), shaped as docs/airops-api.md#webhook-payload. */
function webhookBodies(batches: { id: string; created: number }[]): string[] {
  const bodies: string[] = [];
  for (let level = 0; level < 10; level++) {
    for (const { id, created } of batches) {
      const body = payloadFor(id, 'scraping_started', created, {
        submitted: 100,
        succeeded: level * 10,
        timestamp: created + level * 1_000,
      });
      bodies.push(JSON.stringify(body));
    }
  }
  return bodies;
}

/** The access log stays on (info), so its cost is in the figures; lines are counted, not kept. */
const countingLog = () => {
  const stream = { lines: 0, write: () => ++stream.lines };
  return stream;
};

/**
 * The receiver's own ceiling: everything up to the Temporal call (HTTP, auth, parse, zod, log), with a stub client
 * whose signalWithStart resolves at once. Not a figure for the goal, a reference for where the time goes.
 */
async function receiverAlone(opts: { duration: number; connections: number }): Promise<AutocannonSummary> {
  const stub = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: { signalWithStart: async () => ({}) },
  } as unknown as Client;
  const receiver = createWebhookReceiver({ client: stub, secret: SECRET, logger: { stream: countingLog() } });
  try {
    const base = await receiver.listen();
    const ids = Array.from({ length: 200 }, (_, i) => ({ id: `batch_stub_${i}`, created: 1_760_000_000_000 }));
    return await runAutocannon({
      url: webhookUrlFor(base, SECRET),
      headers: { 'content-type': 'application/json' },
      method: 'POST',
      bodies: webhookBodies(ids),
      stride: Math.max(1, Math.floor(ids.length / opts.connections)),
      connections: opts.connections,
      duration: opts.duration,
    });
  } finally {
    await receiver.close();
  }
}

/**
 * The signals the receiver would send, straight from this process: `connections` concurrent callers walking the
 * bodies from spread offsets, as autocannon does. What is left of the end-to-end figure is the receiver's share.
 */
async function directSignals(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  bodies: string[],
  opts: { duration: number; connections: number },
): Promise<ThroughputResult['direct']> {
  const stride = Math.max(1, Math.floor(bodies.length / 10 / opts.connections));
  // The receiver's own Temporal side (normalize, then signalWithStart), without its HTTP layer.
  const signaler = new TrackerSignaler(
    { client: env.client, taskQueue, signalTimeoutMs: 30_000, readinessTimeoutMs: 5_000 },
    { signaled: 0, trackerClosed: 0, inFlight: 0 },
  );
  const latencies: number[] = [];
  const end = Date.now() + opts.duration * 1_000;
  await Promise.all(
    Array.from({ length: opts.connections }, async (_, k) => {
      let next = (k * stride) % bodies.length;
      while (Date.now() < end) {
        const payload = JSON.parse(bodies[next] as string) as WebhookPayload;
        next = (next + 1) % bodies.length;
        const t0 = performance.now();
        await signaler.signal(payload);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return {
    count: latencies.length,
    perSec: Math.round(latencies.length / opts.duration),
    p50: at(0.5),
    p99: at(0.99),
  };
}

interface ThroughputResult {
  connections: number;
  batches: number;
  /** Closed loop, as fast as answers come: the capacity. */
  saturation: AutocannonSummary & { acceptedPerSec: number };
  /** The same signals sent straight from this process with the client (no HTTP, no receiver): Temporal's share. */
  direct: { count: number; perSec: number; p50: number; p99: number };
  /** Open loop at a fixed offered rate below capacity: the latency a sender sees in normal operation. */
  paced: (AutocannonSummary & { offeredPerSec: number; acceptedPerSec: number }) | null;
  receiver: { signaled: number; rejected: Record<string, number> };
  /** Journal mode: acknowledged once fsync'd; forwarded to Temporal afterwards. */
  journal: { saturation: JournalPass; paced: JournalPass | null };
  trackersReceived: number;
  trackersStillRunning: number;
}

interface JournalPass {
  http: AutocannonSummary & { acceptedPerSec: number; offeredPerSec: number | null };
  /** Events the forwarder signaled, and how long from the first acknowledgement until the last was signaled. */
  forwarded: number;
  drainedAfterS: number;
  /** Signals Temporal accepted per second over that time. */
  deliveredPerSec: number;
  /** Receipt of the delivery → Temporal accepted its signal. */
  receiptToSignalMs: { p50: number; p99: number; max: number };
  forwardRetries: number;
}

/** One pass through a journal-mode receiver: autocannon, then wait until the forwarder has signaled everything. */
async function journalPass(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  spec: Record<string, unknown>,
  rate: number | null,
  connections: number,
  forwardConcurrency: number,
): Promise<JournalPass> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-journal-'));
  const signals: SignaledEvent[] = [];
  const receiver = createWebhookReceiver({
    client: env.client,
    taskQueue,
    secret: SECRET,
    logger: { stream: countingLog() },
    journal: await WebhookJournal.open({ dir }),
    forwardConcurrency,
    onSignal: (e) => signals.push(e),
  });
  try {
    const base = await receiver.listen();
    const t0 = Date.now();
    const r =
      rate === null
        ? await runAutocannon({ ...spec, url: webhookUrlFor(base, SECRET), connections })
        : await runPaced({ ...spec, url: webhookUrlFor(base, SECRET) }, rate);
    const limit = Date.now() + 300_000;
    while (receiver.stats().backlog > 0 && Date.now() < limit) await new Promise((res) => setTimeout(res, 100));
    const drainedAfterS = (Date.now() - t0) / 1000;
    const lat = signals.map((e) => e.answeredAt - e.receivedAt).sort((a, b) => a - b);
    const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? NaN;
    return {
      http: { ...r, acceptedPerSec: Math.round(r.ok2xx / r.duration), offeredPerSec: rate },
      forwarded: signals.length,
      drainedAfterS: Math.round(drainedAfterS * 10) / 10,
      deliveredPerSec: Math.round(signals.length / drainedAfterS),
      receiptToSignalMs: { p50: at(0.5), p99: at(0.99), max: lat.at(-1) ?? NaN },
      forwardRetries: receiver.stats().forwardRetries,
    };
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function throughput(
  env: TestWorkflowEnvironment,
  opts: {
    duration: number;
    connections: number;
    batches: number;
    rate: number;
    journalRate: number;
    forwardConcurrency: number;
  },
): Promise<ThroughputResult> {
  const taskQueue = uniqueTaskQueue('bench-wh');
  // Real clock at 1×: the batches stay in scraping for 5 minutes, so every tracker is running throughout.
  // Each simulator gets its own seed: batch ids derive from it, and a tracker id reused across phases would land
  // in the previous phase's tracker (USE_EXISTING), on a task queue nobody polls any more.
  const sim = await startSimulator({ apiKey: TEST_API_KEY, seed: 'bench-throughput' });
  const log = countingLog();
  const receiver = createWebhookReceiver({ client: env.client, taskQueue, secret: SECRET, logger: { stream: log } });
  const worker = await createTrackerWorker({
    connection: env.nativeConnection,
    taskQueue,
    olostep: { apiKey: TEST_API_KEY, baseUrl: sim.url },
    workflowBundle: await workflowBundle(WORKFLOWS_PATH),
  });
  const running = worker.run();
  try {
    const base = await receiver.listen();
    const batches = Array.from({ length: opts.batches }, (_, i) => {
      const created = sim.createBatch({ items: urls(100, `b${i}-`) });
      return { id: created.id, created: created.created };
    });
    await Promise.all(batches.map(({ id }) => startAirOpsBatchTracker(env.client, id, { taskQueue })));
    const spec = {
      url: webhookUrlFor(base, SECRET),
      headers: { 'content-type': 'application/json' },
      method: 'POST',
      bodies: webhookBodies(batches),
      stride: Math.max(1, Math.floor(batches.length / opts.connections)),
      duration: opts.duration,
      timeout: 30,
    };
    console.log(
      `end to end, saturation: ${opts.connections} connections × ${opts.duration} s, ${opts.batches} trackers`,
    );
    const saturation = await runAutocannon({ ...spec, connections: opts.connections });
    console.log(`direct signalWithStart (no HTTP, no receiver): ${opts.connections} callers × ${opts.duration} s`);
    const direct = await directSignals(env, taskQueue, spec.bodies, opts);
    let paced: ThroughputResult['paced'] = null;
    if (opts.rate > 0) {
      console.log(`end to end, paced: ${opts.rate} events/s offered × ${opts.duration} s`);
      const r = await runPaced(spec, opts.rate);
      paced = { ...r, offeredPerSec: opts.rate, acceptedPerSec: Math.round(r.ok2xx / r.duration) };
    }
    // 5 s: at several thousand acknowledgements a second, a longer closed loop only lengthens the forwarding tail.
    const closedS = Math.min(5, opts.duration);
    console.log(`journal mode, saturation: ${opts.connections} connections × ${closedS} s, then until forwarded`);
    const journalSaturation = await journalPass(
      env,
      taskQueue,
      { ...spec, duration: closedS },
      null,
      opts.connections,
      opts.forwardConcurrency,
    );
    let journalPaced: JournalPass | null = null;
    if (opts.journalRate > 0) {
      console.log(
        `journal mode, paced: ${opts.journalRate} events/s offered × ${opts.duration} s, then until forwarded`,
      );
      journalPaced = await journalPass(
        env,
        taskQueue,
        spec,
        opts.journalRate,
        opts.connections,
        opts.forwardConcurrency,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000)); // let the last signals' workflow tasks run
    let trackersReceived = 0;
    let trackersStillRunning = 0;
    for (const { id } of batches) {
      const handle = env.client.workflow.getHandle(`airops-batch-${id}`);
      trackersReceived += (await handle.query(getPollStats)).webhookEvents;
      if ((await handle.describe()).status.name === 'RUNNING') trackersStillRunning++;
    }
    const stats = receiver.stats();
    return {
      connections: opts.connections,
      batches: opts.batches,
      saturation: { ...saturation, acceptedPerSec: Math.round(saturation.ok2xx / saturation.duration) },
      direct,
      paced,
      receiver: { signaled: stats.signaled, rejected: stats.rejected },
      journal: { saturation: journalSaturation, paced: journalPaced },
      trackersReceived,
      trackersStillRunning,
    };
  } finally {
    await receiver.close();
    worker.shutdown();
    await running;
    await sim.close();
    if (log.lines === 0) console.warn('(no access-log lines were written)');
  }
}

// ---- part 2: detection lag ----

const TRANSITIONS = [
  { name: 'scraping completed', phase: 'scraping', state: 'completed' },
  { name: 'analyzing started', phase: 'analyzing', state: 'started' },
  { name: 'analyzing completed', phase: 'analyzing', state: 'completed' },
  { name: 'enriching started', phase: 'enriching', state: 'started' },
  { name: 'enriching completed', phase: 'enriching', state: 'completed' },
  { name: 'batch completed', phase: 'overall', state: 'completed' },
] as const;
type TransitionName = (typeof TRANSITIONS)[number]['name'];

/** Virtual time of each transition (ground truth) and the tracker's first observation of it (tracker clock). */
function transitionTimes(sim: SimulatorHandle, batchId: string, result: TrackResult) {
  const truth = sim.groundTruth(batchId);
  return TRANSITIONS.map((t) => {
    let happened: number | null;
    let observed: number | null;
    if (t.phase === 'overall') {
      happened = truth.terminalAt;
      observed = result.timeline.find((e) => e.phase === 'overall' && e.to === t.state)?.at ?? null;
    } else {
      const final = truth.final[t.phase];
      happened = t.state === 'started' ? final.started_at : final.completed_at;
      observed = result.phases[t.phase].firstObservedAt[t.state] ?? null;
    }
    return { name: t.name, happened, observed };
  });
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};

type LagSummary = Record<TransitionName, { median: number; max: number }>;
const summarize = (m: Map<TransitionName, number[]>): LagSummary =>
  Object.fromEntries(
    [...m].map(([k, v]) => [k, { median: Math.round(median(v)), max: Math.round(Math.max(...v)) }]),
  ) as LagSummary;

interface LagResult {
  webhooks: {
    scale: number;
    runs: number;
    statusCalls: number[];
    lagMs: LagSummary;
    lagFromSendMs: LagSummary;
    breakdownMs: { deliveryToAnswer: number; answerToObserved: number };
  };
  polling: { runs: number; statusCalls: number[]; lagMs: LagSummary };
}

async function lagWithWebhooks(
  env: TestWorkflowEnvironment,
  scale: number,
  runs: number,
): Promise<LagResult['webhooks']> {
  const taskQueue = uniqueTaskQueue('bench-lag');
  const sim = await startSimulator({
    apiKey: TEST_API_KEY,
    timeScale: scale,
    webhookTimeoutMs: 5_000,
    seed: 'bench-lag',
  });
  // The simulator's virtual clock against the wall clock the dev server stamps workflow time with.
  const anchorVirtual = sim.clock.now();
  const anchorWall = Date.now();
  const wallOf = (virtual: number) => anchorWall + (virtual - anchorVirtual) / scale;
  const signals: SignaledEvent[] = [];
  const receiver = createWebhookReceiver({
    client: env.client,
    taskQueue,
    secret: SECRET,
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
    const lags = new Map<TransitionName, number[]>();
    const fromSend = new Map<TransitionName, number[]>();
    const statusCalls: number[] = [];
    const deliveryToAnswer: number[] = [];
    const answerToObserved: number[] = [];
    await Promise.all(
      Array.from({ length: runs }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 300)); // staggered, so the runs do not share instants
        const batchId = sim.createBatch({ items: urls(100, `lag${i}-`), webhook: hook }, { scenario: 'happy' }).id;
        const handle = await startAirOpsBatchTracker(env.client, batchId, { taskQueue });
        console.log(`  webhooks run ${i + 1}: tracking ${batchId}`);
        const result = await handle.result();
        statusCalls.push(sim.requests.filter((r) => r.endpoint === 'status' && r.batchId === batchId).length);
        const sends = sim.webhookDeliveries.filter((d) => d.batchId === batchId && d.attempt === 1 && !d.duplicate);
        for (const t of transitionTimes(sim, batchId, result)) {
          if (t.happened === null || t.observed === null) throw new Error(`${batchId}: ${t.name} not seen`);
          const list = lags.get(t.name) ?? [];
          list.push(t.observed - wallOf(t.happened));
          lags.set(t.name, list);
          // When the simulator actually sent the event carrying it: at 200× consecutive transitions are ms apart
          // and one batch's deliveries go out one at a time, so a delivery can queue behind the previous one.
          const sent = sends.find((d) => d.eventAt === t.happened);
          if (sent) fromSend.set(t.name, [...(fromSend.get(t.name) ?? []), t.observed - wallOf(sent.at)]);
        }
        const completed = signals.find((s) => s.batchId === batchId && s.event === 'event.batch.airops.completed');
        const observed = result.timeline.find((e) => e.phase === 'overall' && e.to === 'completed')?.at;
        if (completed && observed !== undefined) {
          deliveryToAnswer.push(completed.answeredAt - wallOf(sim.groundTruth(batchId).terminalAt));
          answerToObserved.push(observed - completed.answeredAt);
        }
      }),
    );
    const lagMs = summarize(lags);
    const lagFromSendMs = summarize(fromSend);
    return {
      scale,
      runs,
      statusCalls,
      lagMs,
      lagFromSendMs,
      breakdownMs: {
        deliveryToAnswer: Math.round(median(deliveryToAnswer)),
        answerToObserved: Math.round(median(answerToObserved)),
      },
    };
  } finally {
    await receiver.close();
    worker.shutdown();
    await running;
    await sim.close();
  }
}

async function lagPollingOnly(runs: number): Promise<LagResult['polling']> {
  const env = await createTimeSkippingEnv();
  const sim = await startSimulator({
    clock: 'manual',
    apiKey: TEST_API_KEY,
    startTime: await env.currentTimeMs(),
    seed: 'bench-poll',
  });
  const taskQueue = uniqueTaskQueue('bench-poll');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    activities: clockSyncedActivities(sim, env),
  });
  const running = worker.run();
  try {
    const lags = new Map<TransitionName, number[]>();
    const statusCalls: number[] = [];
    // One after another: each batch has the simulator's (and Temporal's) clock to itself.
    for (let i = 0; i < runs; i++) {
      await syncSimClock(sim, await env.currentTimeMs());
      const batchId = sim.createBatch({ items: urls(100, `poll${i}-`) }, { scenario: 'happy' }).id;
      const result = await (await startAirOpsBatchTracker(env.client, batchId, { taskQueue })).result();
      statusCalls.push(result.pollStats.calls);
      for (const t of transitionTimes(sim, batchId, result)) {
        if (t.happened === null || t.observed === null) throw new Error(`${t.name} not seen`);
        lags.set(t.name, [...(lags.get(t.name) ?? []), t.observed - t.happened]);
      }
    }
    return { runs, statusCalls, lagMs: summarize(lags) };
  } finally {
    worker.shutdown();
    await running;
    await sim.close();
    await env.teardown();
  }
}

// ---- main ----

const fmt = (a: AutocannonSummary) =>
  `${a.total} requests in ${a.duration} s (${a.ok2xx} 2xx, ${a.non2xx} non-2xx, ${a.errors} errors, ${a.timeouts} timeouts); ` +
  `latency ms avg ${a.latency.average}, p50 ${a.latency.p50}, p90 ${a.latency.p90}, p99 ${a.latency.p99}, max ${a.latency.max}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      batches: { type: 'string', default: '200' },
      rate: { type: 'string', default: '50' },
      'journal-rate': { type: 'string', default: '500' },
      'forward-concurrency': { type: 'string', default: '64' },
      scale: { type: 'string', default: '200' },
      'lag-runs': { type: 'string', default: '3' },
      // `temporal server start-dev` forces a search-attribute cache refresh from the database on every read (so a
      // just-registered attribute is usable at once); a production server does not. off = the production setting.
      'sa-cache-refresh': { type: 'string', default: 'on' },
      'skip-lag': { type: 'boolean', default: false },
      'skip-throughput': { type: 'boolean', default: false },
    },
  });
  const started = performance.now();
  const duration = Math.min(60, Number(values.duration));
  const connections = Number(values.connections);
  let alone: AutocannonSummary | null = null;
  let tp: ThroughputResult | null = null;
  let lag: LagResult | null = null;
  if (!values['skip-throughput']) {
    console.log(`receiver alone (stub Temporal): ${connections} connections × 5 s`);
    alone = await receiverAlone({ duration: 5, connections });
  }
  const saCacheRefresh = values['sa-cache-refresh'] !== 'off';
  const env = await createDevServerEnv(
    saCacheRefresh
      ? {}
      : { extraArgs: ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'] },
  );
  try {
    if (!values['skip-throughput']) {
      tp = await throughput(env, {
        duration,
        connections,
        batches: Number(values.batches),
        rate: Number(values.rate),
        journalRate: Number(values['journal-rate']),
        forwardConcurrency: Number(values['forward-concurrency']),
      });
    }
    if (!values['skip-lag']) {
      const scale = Number(values.scale);
      console.log(
        `detection lag: reference lifecycle, webhooks at ${scale}× (dev server), polling only (time-skipping)`,
      );
      const webhooks = await lagWithWebhooks(env, scale, Number(values['lag-runs']));
      const polling = await lagPollingOnly(Number(values['lag-runs']));
      lag = { webhooks, polling };
    }
  } finally {
    await env.teardown();
  }

  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const os = await import('node:os');
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', loadavg: os.loadavg() };
  writeFileSync(
    resultsFile(saCacheRefresh),
    `${JSON.stringify({ at: new Date().toISOString(), wallMs: Math.round(performance.now() - started), machine, devServer: { forceSearchAttributesCacheRefreshOnRead: saCacheRefresh }, receiverAlone: alone, throughput: tp, lag }, null, 2)}\n`,
  );

  console.log('');
  console.log(`machine: ${machine.cpus} CPUs, load average now ${machine.loadavg.map((l) => l.toFixed(1)).join(' ')}`);
  if (alone !== null)
    console.log(`receiver alone (stub Temporal): ${Math.round(alone.ok2xx / alone.duration)}/s; ${fmt(alone)}`);
  if (tp !== null) {
    console.log(`end to end, saturation: ${fmt(tp.saturation)}`);
    console.log(
      `direct signalWithStart, same load without HTTP/receiver: ${tp.direct.perSec}/s, p50 ${tp.direct.p50} ms, p99 ${tp.direct.p99} ms`,
    );
    if (tp.paced !== null) console.log(`end to end, paced at ${tp.paced.offeredPerSec}/s: ${fmt(tp.paced)}`);
    for (const [name, j] of [
      ['saturation', tp.journal.saturation],
      [`paced at ${tp.journal.paced?.http.offeredPerSec}/s`, tp.journal.paced],
    ] as const) {
      if (j === null) continue;
      console.log(
        `journal mode, ${name}: answered ${fmt(j.http)}; forwarded ${j.forwarded} in ${j.drainedAfterS} s ` +
          `(${j.deliveredPerSec}/s delivered), receipt → signal p50 ${j.receiptToSignalMs.p50} ms, p99 ${j.receiptToSignalMs.p99} ms`,
      );
    }
    console.log(
      `receiver signaled ${tp.receiver.signaled} + ${tp.direct.count} sent directly; the trackers counted ` +
        `${tp.trackersReceived} webhook events; ` +
        `${tp.trackersStillRunning}/${tp.batches} trackers still running`,
    );
  }
  if (lag !== null) {
    const w = lag.webhooks;
    console.log('');
    console.log(
      `detection lag, reference lifecycle, median / max of ${w.runs} runs (webhooks: wall ms = production; polling only: virtual = production)`,
    );
    console.log(
      `${'transition'.padEnd(22)}${'webhooks'.padStart(16)}${'(from send)'.padStart(16)}${'polling only'.padStart(18)}`,
    );
    for (const t of TRANSITIONS) {
      const wl = w.lagMs[t.name];
      const ws = w.lagFromSendMs[t.name];
      const pl = lag.polling.lagMs[t.name];
      console.log(
        `${t.name.padEnd(22)}${`${wl.median} / ${wl.max} ms`.padStart(16)}` +
          `${ws === undefined ? '–'.padStart(16) : `${ws.median} / ${ws.max} ms`.padStart(16)}` +
          `${`${(pl.median / 1000).toFixed(1)} / ${(pl.max / 1000).toFixed(1)} s`.padStart(18)}`,
      );
    }
    console.log(
      `${'status calls'.padEnd(22)}${w.statusCalls.join(', ').padStart(16)}${''.padStart(16)}${lag.polling.statusCalls.join(', ').padStart(18)}`,
    );
    console.log(
      `webhook path (batch completed, median): transition → receiver answered ${w.breakdownMs.deliveryToAnswer} ms, ` +
        `answered → tracker observed ${w.breakdownMs.answerToObserved} ms`,
    );
  }
  console.log('');
  if (tp !== null) {
    console.log(`accepted events/s: ${tp.saturation.acceptedPerSec}   (goal ≥ 500)`);
    console.log(`p99 latency: ${tp.saturation.latency.p99} ms at saturation (goal ≤ 50 ms)`);
    if (tp.paced !== null)
      console.log(`p99 latency: ${tp.paced.latency.p99} ms at ${tp.paced.offeredPerSec} events/s offered`);
    const jp = tp.journal.paced;
    console.log(
      `journal mode: ${tp.journal.saturation.http.acceptedPerSec} events/s accepted at saturation (p99 ${tp.journal.saturation.http.latency.p99} ms)` +
        (jp === null
          ? ''
          : `; at ${jp.http.offeredPerSec}/s offered: ${jp.http.acceptedPerSec}/s accepted, p99 ${jp.http.latency.p99} ms; ` +
            `forwarded to Temporal at ${jp.deliveredPerSec}/s, receipt → signal p99 ${jp.receiptToSignalMs.p99} ms`),
    );
  }
  console.log(`(written to ${resultsFile(saCacheRefresh)})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
