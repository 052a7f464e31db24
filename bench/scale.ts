// Benchmark 3: N concurrent trackers on ONE worker against the dev server (or, with --server native, Temporal on
// PostgreSQL as docker-compose.yml runs it): poll schedule slip, worker RSS and CPU, server CPU.
//   npm run bench:scale-1000 | bench:scale-5000 | bench:scale-10000
//   npx tsx bench/scale.ts --trackers 5000 [--settle 60] [--window 90] [--drain-max 300] [--sample 300]
//                          [--start-concurrency 64] [--urls 100] [--scraping-min 30] [--created-ago-min 0]
//                          [--cache 10000] [--wft 40] [--activities 100] [--wf-pollers 10] [--act-pollers 10]
//                          [--partitions 1] [--sa-cache-refresh on|off] [--source-maps on|off] [--cpu-prof DIR]
//                          [--workflow tracker|bare] [--compare bare] [--bare-activity regular|local]
//                          [--bare-interval S] [--label NAME] [--server dev|native] [--slots tracker|fixed]
//   npm run bench:overhead-1000 | bench:overhead-5000   (--compare bare: the tracker against a bare loop)
//
// The dev server (in-memory SQLite, our own process so /proc gives its CPU), the simulator in this process on a
// real clock with 6-hour scraping phases (every tracker stays open, polling on the production schedule: often at
// first, geometrically sparser), the production worker (createTrackerWorker, production defaults for the tracker)
// in its own process. N trackers are started with bounded parallelism (all of them polling at once at first: the
// heaviest load, a backlog), then until every tracker has polled once (the backlog drained; at most --drain-max s),
// then --settle seconds, then the steady --window.
// --server native: the same against temporal-server on PostgreSQL, configured from docker-compose.yml (kit/stack:
// its shards, dynamic config, namespace and search-attribute setup); its CPU is the server's and every PostgreSQL
// process's. Results get a -native suffix. --slots fixed: the SDK's fixed-size workflow-task slots instead of the
// tracker's supplier (which admits one non-sticky task at a time), to measure what that costs (-fixed-slots).
// Slip of a poll = when the worker began its status call (ActivityTaskStarted of the status call) minus when it was
// due (TimerStarted + startToFireTimeout), from the histories of a seeded random sample of trackers; also the timer's own lateness
// (TimerFired) and, for the first poll, start → first call. Reported per period (starting, settling, window); the
// goal is read on the window. CPU per status call (from /proc, over the window) is the figure least disturbed by
// other load on the machine, also reported (the `machine` row is every process's CPU, ours or not).
// --created-ago-min M: the batches were created M minutes before their trackers start, so every tracker starts on a
// batch already in mid-scraping and follows it at the rate of its counts (the steady state of a fleet, without the
// start storm of N brand-new batches at once); written to scale-<N>-running.json. --cache C adds -cacheC to the name.
// Prints the figures last; writes bench/results/scale-<N>.json.
//
// Overhead comparison (--compare bare): two phases one after the other, each on a fresh dev server, simulator and
// worker process with the same worker settings (createTrackerWorker: cache, slots and the tracker's slot supplier,
// pollers) and the same bundle (bench/baselines/bench-workflows.ts: the package's workflows plus the bare loop, the
// tracker's shared modules preloaded): first N trackers, then N bare loops (bench/baselines/bare-loop.ts: sleep + one
// fetchAirOpsBatchStatus call, a regular activity like the tracker's, or a local one with --bare-activity local). The
// bare loop polls at a fixed interval, N ÷ the trackers' status calls per second in their window (or --bare-interval
// S), so that both fleets make the same number of calls per second: CPU per poll depends on the rate (what the
// worker and server do between polls is spread over fewer or more of them), and the tracker's adaptive schedule
// follows each batch's state, which a bare loop has none of. Per phase: worker CPU ms per status call (window),
// history events per poll (events of the sampled histories in the window ÷ the polls scheduled in it), worker memory
// per cached workflow ((memory at the end of the window − before the first start) ÷ workflows that ran: RSS, main
// thread heap after a full GC, workflow threads' heap), the machine's load; then ours ÷ bare for each. Writes
// bench/results/overhead-<N>[-local][-<label>].json. --workflow bare runs the bare loop alone (scale-<N>-bare.json;
// needs --bare-interval).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { trackerWorkflowId } from '../workflows/contract';
import { SHARED_WORKFLOW_MODULES } from '../worker/worker';
import type { bareLoopAirOpsBatch, BareLoopActivity } from './baselines/bare-loop';
import {
  countRunning,
  pollTimings,
  sampleHistories,
  startFleet,
  waitAllPolled,
  FLEET_BATCH,
  type FleetOptions,
  type PollTiming,
  type WorkerSettings,
} from './lib/fleet';
import { eventsPerPoll } from './lib/overhead';
import type { WorkerMemory } from './lib/fleet-worker';
import { machineInfo, ms, round, sleep, summarize, table, writeResult, type Summary } from './lib/common';

const BENCH_WORKFLOWS_PATH = require.resolve('./baselines/bench-workflows');

/** The bench entry (package workflows + bare loop) bundled once per invocation, into a file for the worker. */
async function benchBundlePath(): Promise<string> {
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: BENCH_WORKFLOWS_PATH,
    preloadModules: [...SHARED_WORKFLOW_MODULES],
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
  const file = join(tmpdir(), `airops-bench-workflows-${process.pid}.js`);
  writeFileSync(file, code);
  return file;
}

function bareStarter(intervalMs: number, activity: BareLoopActivity) {
  return (client: Client, batchId: string, taskQueue: string) =>
    client.workflow.start<typeof bareLoopAirOpsBatch>('bareLoopAirOpsBatch', {
      workflowId: trackerWorkflowId(batchId),
      taskQueue,
      args: [batchId, intervalMs, activity],
    });
}

/** Memory per workflow that ran (entered the cache): (now − before the first start) ÷ n, KiB. */
function memoryPerWorkflow(before: WorkerMemory, after: WorkerMemory, n: number) {
  const per = (a: number, b: number) => round(((a - b) * 1024) / n, 1);
  return {
    workflows: n,
    before,
    after,
    rssKiB: per(after.rssMiB, before.rssMiB),
    mainHeapKiB: per(after.mainHeapUsedMiB, before.mainHeapUsedMiB),
    workflowThreadsHeapKiB: per(after.workflowThreadsHeapUsedMiB, before.workflowThreadsHeapUsedMiB),
    heapKiB: per(
      after.mainHeapUsedMiB + after.workflowThreadsHeapUsedMiB,
      before.mainHeapUsedMiB + before.workflowThreadsHeapUsedMiB,
    ),
    /** Heap committed (main thread and workflow threads), used or not: the heap's share of the RSS. */
    heapCommittedKiB: per(
      after.mainHeapTotalMiB + after.workflowThreadsHeapTotalMiB,
      before.mainHeapTotalMiB + before.workflowThreadsHeapTotalMiB,
    ),
  };
}

function slipStats(polls: PollTiming[]) {
  const timer = polls.filter((p) => p.kind === 'timer');
  const first = polls.filter((p) => p.kind === 'first');
  return {
    timerPolls: timer.length,
    /** Worker began the call − due time. */
    startSlipMs: summarize(timer.map((p) => p.startedAt - p.plannedAt)),
    /** Server fired the timer − due time. */
    fireSlipMs: summarize(timer.map((p) => (p.firedAt ?? NaN) - p.plannedAt)),
    /** Workflow task decided to poll − due time. */
    scheduleSlipMs: summarize(timer.map((p) => p.scheduledAt - p.plannedAt)),
    /** The status call itself (simulator over loopback) and the completion of the workflow task that made it. */
    callMs: summarize(timer.map((p) => (p.completedAt ?? NaN) - p.startedAt)),
    firstPolls: first.length,
    startToFirstCallMs: summarize(first.map((p) => p.startedAt - p.plannedAt)),
  };
}

type Periods = 'start' | 'drain' | 'settle' | 'window';

interface PhaseParams {
  /** The result's name (file name without .json). */
  name: string;
  trackers: number;
  workflow: 'tracker' | 'bare';
  bare?: { intervalMs: number; activity: BareLoopActivity };
  bundlePath?: string;
  worker: WorkerSettings;
  sourceMaps: boolean;
  dynamicConfig: Record<string, unknown>;
  server: 'dev' | 'native';
  cpuProfDir?: string;
  batchShape: { urlsPerBatch: number; scrapingMs: number; createdAgoMs: number };
  startConcurrency: number;
  drainMaxS: number;
  settleS: number;
  windowS: number;
  sample: number;
}

interface PhaseSummary {
  slip: Summary;
  rssPeak: number;
  running: number;
  steadyRate: number;
  rampRate: number;
  workerCpuMsPerPoll: number;
  historyEventsPerPoll: number;
  memory: ReturnType<typeof memoryPerWorkflow>;
}

async function runPhase(p: PhaseParams): Promise<{ result: Record<string, unknown>; summary: PhaseSummary }> {
  const { trackers, settleS, windowS } = p;
  const worker: WorkerSettings = { ...p.worker, ...(p.bundlePath !== undefined ? { bundlePath: p.bundlePath } : {}) };
  const fleetOptions: FleetOptions = {
    trackers,
    startConcurrency: p.startConcurrency,
    worker,
    sourceMaps: p.sourceMaps,
    server: p.server,
    ...(Object.keys(p.dynamicConfig).length > 0 ? { dynamicConfig: p.dynamicConfig } : {}),
    ...(p.cpuProfDir ? { cpuProfDir: p.cpuProfDir } : {}),
    ...(p.bare ? { start: bareStarter(p.bare.intervalMs, p.bare.activity) } : {}),
    ...p.batchShape,
  };
  const fleet = await startFleet(fleetOptions);
  try {
    // The start storm: every new tracker polls at 2, 4, 8 … s, so N started at once ask for ~6 N polls in their first
    // minute. Wait for its backlog (every tracker has made its first status call, at most --drain-max s), then --settle
    // s for the young trackers' dense first polls to thin out, then the steady window. Every period is reported.
    const drainStart = Date.now();
    const drained = await waitAllPolled(fleet, p.drainMaxS * 1_000);
    console.log(
      drained
        ? `every ${p.workflow} polled once after ${round((Date.now() - drainStart) / 1000, 1)} s more`
        : `only ${fleet.polledOnce().count} of ${trackers} ${p.workflow}s polled within ${p.drainMaxS} s`,
    );
    const settleStart = Date.now();
    console.log(`settling ${settleS} s, then a steady window of ${windowS} s`);
    await sleep(settleS * 1_000);
    const windowStart = Date.now();
    await sleep(windowS * 1_000);
    const windowEnd = Date.now();
    const usageAll = fleet.monitor.report(fleet.startedFrom);
    const usageWindow = fleet.monitor.report(windowStart);
    // Every workflow that has polled once has run, so it is in the worker's cache (the cache holds the fleet).
    const memoryAfter = await fleet.workerMemory();
    const ran = Math.min(fleet.polledOnce().count, worker.maxCachedWorkflows ?? Infinity);
    const memory = memoryPerWorkflow(fleet.memoryBeforeStarts, memoryAfter, ran);
    const running = await countRunning(fleet);
    console.log(`${running} ${p.workflow}s open; reading ${p.sample} histories`);
    const histories = await sampleHistories(fleet, p.sample);
    const timings = histories.flatMap((h) => pollTimings(h.workflowId, h.events));
    const historyWindow = eventsPerPoll(histories, windowStart, windowEnd);
    const sampledTrackers = Math.min(p.sample, trackers);
    const periods = {
      start: [fleet.startedFrom, fleet.startedUntil],
      drain: [fleet.startedUntil, settleStart],
      settle: [settleStart, windowStart],
      window: [windowStart, windowEnd],
    } as const;
    const calls = (from: number, to: number) => fleet.statusCallTimes.filter((t) => t >= from && t < to).length;
    const rates = Object.fromEntries(
      Object.entries(periods).map(([k, [a, b]]) => [k, round(calls(a, b) / ((b - a) / 1000), 1)]),
    ) as Record<Periods, number>;
    const windowCalls = calls(windowStart, windowEnd);
    const cpuPerCall = Object.fromEntries(
      ['worker', 'server', 'bench'].map((k) => [k, round((usageWindow[k]?.cpuMs ?? NaN) / windowCalls, 2)]),
    );
    const slip = Object.fromEntries(
      Object.entries(periods).map(([k, [a, b]]) => [
        k,
        slipStats(timings.filter((t) => t.plannedAt >= a && t.plannedAt < b)),
      ]),
    ) as Record<Periods, ReturnType<typeof slipStats>>;
    const loop = fleet.workerStats.flatMap((st) => (st.type === 'stats' ? [st] : []));
    const result: Record<string, unknown> = {
      benchmark: p.name,
      at: new Date().toISOString(),
      machine: machineInfo(),
      workflow: p.workflow,
      ...(p.bare ? { bare: p.bare } : {}),
      trackers,
      running,
      worker: { ...p.worker, sourceMaps: p.sourceMaps, pid: fleet.workerPid },
      batches: p.batchShape,
      server: { kind: fleet.server.kind, args: fleet.server.args },
      start: { seconds: round((fleet.startedUntil - fleet.startedFrom) / 1000, 1), startsPerSec: fleet.startsPerSec },
      settleS,
      windowS,
      sample: { trackers: sampledTrackers, polls: timings.length },
      statusCallsPerSec: rates,
      windowStatusCalls: windowCalls,
      // When every tracker had made its first status call (s after the first start), null: not within the run.
      allPolledOnceAfterS: (() => {
        const po = fleet.polledOnce();
        return po.allAt === null ? null : round((po.allAt - fleet.startedFrom) / 1000, 1);
      })(),
      polledOnceByEnd: fleet.polledOnce().count,
      cpuMsPerStatusCall: cpuPerCall,
      historyWindow,
      memoryPerWorkflow: memory,
      slip,
      slipAllPolls: slipStats(timings),
      usage: { sinceFirstStart: usageAll, window: usageWindow },
      workerEventLoopDelayMs: {
        p99Max: Math.max(...loop.map((st) => st.eventLoopDelayMs.p99)),
        max: Math.max(...loop.map((st) => st.eventLoopDelayMs.max)),
      },
      workerHeapUsedMiBMax: Math.max(...loop.map((st) => st.heapUsedMiB)),
    };
    const summary: PhaseSummary = {
      slip: slip.window.startSlipMs,
      rssPeak: usageAll.worker?.rssPeakMiB ?? NaN,
      running,
      steadyRate: rates.window,
      rampRate: rates.start,
      workerCpuMsPerPoll: cpuPerCall.worker ?? NaN,
      historyEventsPerPoll: historyWindow.eventsPerPoll,
      memory,
    };
    return { result, summary };
  } finally {
    await fleet.stop();
  }
}

function printPhase(result: Record<string, unknown>): void {
  const r = result as {
    slip: Record<Periods, ReturnType<typeof slipStats>>;
    slipAllPolls: ReturnType<typeof slipStats>;
    usage: Record<string, Record<string, { cpuPercent: number; rssPeakMiB: number }>>;
    statusCallsPerSec: Record<string, number>;
    cpuMsPerStatusCall: Record<string, number>;
  };
  const row = (name: string, s: Summary) => [name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  console.log('');
  console.log(
    table(
      ['slip: poll started − due', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        row(`while starting (${r.statusCallsPerSec.start}/s calls)`, r.slip.start.startSlipMs),
        row(`until all polled once (${r.statusCallsPerSec.drain}/s)`, r.slip.drain.startSlipMs),
        row(`settling (${r.statusCallsPerSec.settle}/s)`, r.slip.settle.startSlipMs),
        row(`steady window (${r.statusCallsPerSec.window}/s)`, r.slip.window.startSlipMs),
        row('  window: timer fired − due', r.slip.window.fireSlipMs),
        row('  window: poll scheduled − due', r.slip.window.scheduleSlipMs),
        row('  window: status call', r.slip.window.callMs),
        row('start → first call (all)', r.slipAllPolls.startToFirstCallMs),
      ],
    ),
  );
  console.log('');
  const u = (period: string, who: string) => r.usage[period]?.[who];
  console.log(
    table(
      ['process', 'CPU % (whole run)', 'CPU % (window)', 'CPU ms / status call', 'RSS peak MiB'],
      ['worker', 'server', 'bench', 'machine'].map((k) => [
        k === 'bench'
          ? 'bench (client + simulator)'
          : k === 'machine'
            ? 'whole machine (anyone)'
            : k === 'server'
              ? `server (${String((result as { server?: { kind?: string } }).server?.kind)})`
              : k,
        u('sinceFirstStart', k)?.cpuPercent ?? '–',
        u('window', k)?.cpuPercent ?? '–',
        r.cpuMsPerStatusCall[k] ?? '–',
        k === 'machine' ? '–' : (u('sinceFirstStart', k)?.rssPeakMiB ?? '–'),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trackers: { type: 'string', default: '1000' },
      settle: { type: 'string', default: '60' },
      'drain-max': { type: 'string', default: '300' },
      window: { type: 'string', default: '90' },
      sample: { type: 'string', default: '300' },
      'start-concurrency': { type: 'string', default: '64' },
      cache: { type: 'string' },
      wft: { type: 'string' },
      activities: { type: 'string' },
      'wf-pollers': { type: 'string' },
      'act-pollers': { type: 'string' },
      'non-sticky-ratio': { type: 'string' },
      partitions: { type: 'string' },
      'sa-cache-refresh': { type: 'string' },
      'source-maps': { type: 'string', default: 'on' },
      'cpu-prof': { type: 'string' },
      urls: { type: 'string' },
      'scraping-min': { type: 'string' },
      'created-ago-min': { type: 'string', default: '0' },
      workflow: { type: 'string', default: 'tracker' },
      compare: { type: 'string' },
      'bare-activity': { type: 'string', default: 'regular' },
      'bare-interval': { type: 'string' },
      label: { type: 'string' },
      server: { type: 'string', default: 'dev' },
      slots: { type: 'string', default: 'tracker' },
    },
  });
  const trackers = Number(values.trackers);
  const createdAgoMs = Number(values['created-ago-min']) * 60_000;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const pollers = (v: string | undefined) => (v === 'auto' ? 'auto' : num(v));
  // The cache holds every open tracker (an evicted one is replayed from history on its next task).
  const worker: WorkerSettings = {
    maxCachedWorkflows: num(values.cache) ?? Math.max(trackers, 1_000),
    maxConcurrentWorkflowTaskExecutions: num(values.wft),
    maxConcurrentActivityTaskExecutions: num(values.activities),
    workflowTaskPollers: pollers(values['wf-pollers']),
    activityTaskPollers: pollers(values['act-pollers']),
    nonStickyToStickyPollRatio: num(values['non-sticky-ratio']),
    ...(values.slots === 'fixed' ? { slots: 'fixed' as const } : {}),
  };
  if (values.slots !== 'tracker' && values.slots !== 'fixed') throw new Error('--slots: tracker or fixed');
  const dynamicConfig: Record<string, unknown> = {
    ...(values.partitions === undefined
      ? {}
      : {
          'matching.numTaskqueueReadPartitions': Number(values.partitions),
          'matching.numTaskqueueWritePartitions': Number(values.partitions),
        }),
    ...(values['sa-cache-refresh'] === undefined
      ? {}
      : { 'system.forceSearchAttributesCacheRefreshOnRead': values['sa-cache-refresh'] === 'on' }),
  };
  const bareActivity = values['bare-activity'];
  if (bareActivity !== 'regular' && bareActivity !== 'local') throw new Error('--bare-activity: regular or local');
  if (values.compare !== undefined && values.compare !== 'bare') throw new Error('--compare: only bare');
  if (values.workflow !== 'tracker' && values.workflow !== 'bare') throw new Error('--workflow: tracker or bare');
  const compare = values.compare === 'bare';
  const server = values.server as 'dev' | 'native';
  if (server !== 'dev' && server !== 'native') throw new Error('--server: dev or native');
  if (server === 'native' && Object.keys(dynamicConfig).length > 0) {
    throw new Error('--server native runs the compose dynamic config: no --partitions or --sa-cache-refresh');
  }
  const base = {
    trackers,
    worker,
    sourceMaps: values['source-maps'] !== 'off',
    dynamicConfig,
    server,
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    batchShape: {
      urlsPerBatch: values.urls === undefined ? FLEET_BATCH.urls : Number(values.urls),
      scrapingMs:
        values['scraping-min'] === undefined ? FLEET_BATCH.scrapingMs : Number(values['scraping-min']) * 60_000,
      createdAgoMs,
    },
    startConcurrency: Number(values['start-concurrency']),
    drainMaxS: Number(values['drain-max']),
    settleS: Number(values.settle),
    windowS: Number(values.window),
    sample: Number(values.sample),
  };
  // Results on the PostgreSQL-backed server are their own files (`-native`); the dev server's keep their names.
  const label = `${server === 'native' ? '-native' : ''}${values.slots === 'fixed' ? '-fixed-slots' : ''}${values.label === undefined ? '' : `-${values.label}`}`;
  const t0 = performance.now();

  if (compare || values.workflow === 'bare') {
    const bundlePath = await benchBundlePath();
    const phases: Record<string, { result: Record<string, unknown>; summary: PhaseSummary }> = {};
    let intervalMs = values['bare-interval'] === undefined ? undefined : Number(values['bare-interval']) * 1_000;
    if (compare) {
      console.log(`phase 1 of 2: ${trackers} trackers`);
      phases.tracker = await runPhase({ ...base, name: 'tracker', workflow: 'tracker', bundlePath });
      printPhase(phases.tracker.result);
      // As many status calls per second as the trackers made in their window.
      intervalMs ??= Math.round((trackers / phases.tracker.summary.steadyRate) * 1_000);
    }
    if (intervalMs === undefined || !Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new Error('--workflow bare needs --bare-interval S');
    }
    const bare = { intervalMs, activity: bareActivity } as const;
    console.log(
      `${compare ? 'phase 2 of 2: ' : ''}${trackers} bare loops (${bareActivity} activity) every ${ms(intervalMs)}`,
    );
    phases.bare = await runPhase({ ...base, name: 'bare', workflow: 'bare', bare, bundlePath });
    printPhase(phases.bare.result);
    const wallMs = round(performance.now() - t0);
    if (!compare) {
      const file = writeResult(`scale-${trackers}-bare${label}`, { ...phases.bare.result, wallMs });
      console.log(`(written to ${file}; wall time ${ms(wallMs)})`);
      return;
    }
    const ours = phases.tracker!.summary;
    const theirs = phases.bare.summary;
    const ratio = (a: number, b: number) => round(a / b, 3);
    const figures = (x: PhaseSummary) => ({
      statusCallsPerSec: x.steadyRate,
      workerCpuMsPerPoll: x.workerCpuMsPerPoll,
      historyEventsPerPoll: x.historyEventsPerPoll,
      rssKiBPerWorkflow: x.memory.rssKiB,
      heapKiBPerWorkflow: x.memory.heapKiB,
      workerRssPeakMiB: x.rssPeak,
      slipP99Ms: x.slip.p99,
    });
    const comparison = {
      tracker: figures(ours),
      bare: figures(theirs),
      oursOverBare: {
        workerCpuMsPerPoll: ratio(ours.workerCpuMsPerPoll, theirs.workerCpuMsPerPoll),
        historyEventsPerPoll: ratio(ours.historyEventsPerPoll, theirs.historyEventsPerPoll),
        rssKiBPerWorkflow: ratio(ours.memory.rssKiB, theirs.memory.rssKiB),
        heapKiBPerWorkflow: ratio(ours.memory.heapKiB, theirs.memory.heapKiB),
      },
    };
    const name = `overhead-${trackers}${bareActivity === 'local' ? '-local' : ''}${label}`;
    const file = writeResult(name, {
      benchmark: name,
      at: new Date().toISOString(),
      command: `npx tsx bench/scale.ts ${process.argv.slice(2).join(' ')}`,
      bareLoop: {
        activity: bareActivity,
        intervalMs,
        chosen:
          values['bare-interval'] === undefined
            ? 'same status calls/s as the trackers in their window'
            : '--bare-interval',
      },
      comparison,
      phases: { tracker: phases.tracker!.result, bare: phases.bare.result },
      wallMs,
    });
    const m = (x: PhaseSummary) => x.memory;
    console.log('');
    console.log(
      table(
        ['per poll / per workflow', 'tracker', `bare loop (${bareActivity})`, 'ours ÷ bare'],
        [
          ['status calls/s (window)', ours.steadyRate, theirs.steadyRate, ''],
          [
            'worker CPU ms / poll',
            ours.workerCpuMsPerPoll,
            theirs.workerCpuMsPerPoll,
            comparison.oursOverBare.workerCpuMsPerPoll,
          ],
          [
            'history events / poll',
            ours.historyEventsPerPoll,
            theirs.historyEventsPerPoll,
            comparison.oursOverBare.historyEventsPerPoll,
          ],
          ['worker RSS KiB / workflow', m(ours).rssKiB, m(theirs).rssKiB, comparison.oursOverBare.rssKiBPerWorkflow],
          [
            'worker heap KiB / workflow',
            m(ours).heapKiB,
            m(theirs).heapKiB,
            comparison.oursOverBare.heapKiBPerWorkflow,
          ],
          ['  main thread', m(ours).mainHeapKiB, m(theirs).mainHeapKiB, ''],
          ['  workflow threads', m(ours).workflowThreadsHeapKiB, m(theirs).workflowThreadsHeapKiB, ''],
          ['worker heap committed KiB / workflow', m(ours).heapCommittedKiB, m(theirs).heapCommittedKiB, ''],
          ['worker RSS peak MiB', ours.rssPeak, theirs.rssPeak, ''],
          ['slip p99 (window)', ms(ours.slip.p99), ms(theirs.slip.p99), ''],
        ],
      ),
    );
    console.log(`(written to ${file}; wall time ${ms(wallMs)})`);
    return;
  }

  // A smaller worker cache than the fleet is its own result (memory traded for replays), never the fleet's figure.
  const name = `scale-${trackers}${createdAgoMs > 0 ? '-running' : ''}${values.cache === undefined ? '' : `-cache${values.cache}`}${label}`;
  const { result, summary } = await runPhase({ ...base, name, workflow: 'tracker' });
  const wallMs = round(performance.now() - t0);
  const goal =
    trackers === 5_000
      ? {
          slipP99MaxMs: 2_000,
          workerRssMaxMiB: 1_024,
          met: summary.slip.p99 <= 2_000 && summary.rssPeak <= 1_024,
        }
      : { note: 'the goal is stated for 5,000 trackers' };
  const file = writeResult(name, { ...result, wallMs, goal });
  printPhase(result);
  console.log('');
  console.log(`(written to ${file}; wall time ${ms(wallMs)}; CPU % is of one core, this machine has 2)`);
  console.log(
    `${trackers} trackers (${summary.running} open), ${summary.rampRate} status calls/s while starting, ${summary.steadyRate}/s in the window: ` +
      `slip p50 ${ms(summary.slip.p50)}, p99 ${ms(summary.slip.p99)}; worker RSS peak ${summary.rssPeak} MiB` +
      ('met' in goal ? ` (goal p99 ≤ 2 s, RSS ≤ 1 GiB: ${goal.met ? 'MET' : 'NOT MET'})` : ''),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
