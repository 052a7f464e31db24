// Benchmark 3: N concurrent trackers on ONE worker against the dev server: poll schedule slip, worker RSS and CPU,
// dev server CPU.
//   npm run bench:scale-1000 | bench:scale-5000 | bench:scale-10000
//   npx tsx bench/scale.ts --trackers 5000 [--settle 60] [--window 90] [--drain-max 300] [--sample 300]
//                          [--start-concurrency 64] [--urls 100] [--scraping-min 30] [--created-ago-min 0]
//                          [--cache 10000] [--wft 40] [--activities 100] [--wf-pollers 10] [--act-pollers 10]
//                          [--partitions 1] [--sa-cache-refresh on|off] [--source-maps on|off] [--cpu-prof DIR]
//
// The dev server (in-memory SQLite, our own process so /proc gives its CPU), the simulator in this process on a
// real clock with 6-hour scraping phases (every tracker stays open, polling on the production schedule: often at
// first, geometrically sparser), the production worker (createTrackerWorker, production defaults for the tracker)
// in its own process. N trackers are started with bounded parallelism (all of them polling at once at first: the
// heaviest load, a backlog), then until every tracker has polled once (the backlog drained; at most --drain-max s),
// then --settle seconds, then the steady --window.
// Slip of a poll = when the worker began its status call (the workflow task after the timer fired: the call is a
// local activity) minus when it was due (TimerStarted
// + startToFireTimeout), from the histories of a seeded random sample of trackers; also the timer's own lateness
// (TimerFired) and, for the first poll, start → first call. Reported per period (starting, settling, window); the
// goal is read on the window. CPU per status call (from /proc, over the window) is the figure least disturbed by
// other load on the machine, also reported (the `machine` row is every process's CPU, ours or not).
// --created-ago-min M: the batches were created M minutes before their trackers start, so every tracker starts on a
// batch already in mid-scraping and follows it at the rate of its counts (the steady state of a fleet, without the
// start storm of N brand-new batches at once); written to scale-<N>-running.json. --cache C adds -cacheC to the name.
// Prints the figures last; writes bench/results/scale-<N>.json.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import {
  countRunning,
  samplePollTimings,
  startFleet,
  waitAllPolled,
  FLEET_BATCH,
  type PollTiming,
  type WorkerSettings,
} from './lib/fleet';
import { machineInfo, ms, round, sleep, summarize, table, writeResult, type Summary } from './lib/common';

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
    },
  });
  const trackers = Number(values.trackers);
  const createdAgoMs = Number(values['created-ago-min']) * 60_000;
  // A smaller worker cache than the fleet is its own result (memory traded for replays), never the fleet's figure.
  const name = `scale-${trackers}${createdAgoMs > 0 ? '-running' : ''}${values.cache === undefined ? '' : `-cache${values.cache}`}`;
  const settleS = Number(values.settle);
  const windowS = Number(values.window);
  const drainMaxS = Number(values['drain-max']);
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
  };
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
  const sourceMaps = values['source-maps'] !== 'off';
  const batchShape = {
    urlsPerBatch: values.urls === undefined ? FLEET_BATCH.urls : Number(values.urls),
    scrapingMs: values['scraping-min'] === undefined ? FLEET_BATCH.scrapingMs : Number(values['scraping-min']) * 60_000,
    createdAgoMs,
  };
  const t0 = performance.now();
  const fleet = await startFleet({
    trackers,
    startConcurrency: Number(values['start-concurrency']),
    worker,
    sourceMaps,
    ...(Object.keys(dynamicConfig).length > 0 ? { dynamicConfig } : {}),
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    ...batchShape,
  });
  let result: Record<string, unknown>;
  let summary: { slip: Summary; rssPeak: number; running: number; steadyRate: number; rampRate: number };
  try {
    // The start storm: every new tracker polls at 2, 4, 8 … s, so N started at once ask for ~6 N polls in their first
    // minute. Wait for its backlog (every tracker has made its first status call, at most --drain-max s), then --settle
    // s for the young trackers' dense first polls to thin out, then the steady window. Every period is reported.
    const drainStart = Date.now();
    const drained = await waitAllPolled(fleet, drainMaxS * 1_000);
    console.log(
      drained
        ? `every tracker polled once after ${round((Date.now() - drainStart) / 1000, 1)} s more`
        : `only ${fleet.polledOnce().count} of ${trackers} trackers polled within ${drainMaxS} s`,
    );
    const settleStart = Date.now();
    console.log(`settling ${settleS} s, then a steady window of ${windowS} s`);
    await sleep(settleS * 1_000);
    const windowStart = Date.now();
    await sleep(windowS * 1_000);
    const windowEnd = Date.now();
    const usageAll = fleet.monitor.report(fleet.startedFrom);
    const usageWindow = fleet.monitor.report(windowStart);
    const running = await countRunning(fleet);
    console.log(`${running} trackers open; reading ${values.sample} histories`);
    const timings = await samplePollTimings(fleet, Number(values.sample));
    const sampledTrackers = Math.min(Number(values.sample), trackers);
    const periods = {
      start: [fleet.startedFrom, fleet.startedUntil],
      drain: [fleet.startedUntil, settleStart],
      settle: [settleStart, windowStart],
      window: [windowStart, windowEnd],
    } as const;
    const calls = (from: number, to: number) => fleet.statusCallTimes.filter((t) => t >= from && t < to).length;
    const rates = Object.fromEntries(
      Object.entries(periods).map(([k, [a, b]]) => [k, round(calls(a, b) / ((b - a) / 1000), 1)]),
    ) as Record<keyof typeof periods, number>;
    const windowCalls = calls(windowStart, windowEnd);
    const cpuPerCall = Object.fromEntries(
      ['worker', 'devServer', 'bench'].map((p) => [p, round((usageWindow[p]?.cpuMs ?? NaN) / windowCalls, 2)]),
    );
    const slip = Object.fromEntries(
      Object.entries(periods).map(([k, [a, b]]) => [
        k,
        slipStats(timings.filter((t) => t.plannedAt >= a && t.plannedAt < b)),
      ]),
    ) as Record<keyof typeof periods, ReturnType<typeof slipStats>>;
    const loop = fleet.workerStats.flatMap((s) => (s.type === 'stats' ? [s] : []));
    result = {
      benchmark: name,
      at: new Date().toISOString(),
      machine: machineInfo(),
      trackers,
      running,
      worker: { ...worker, sourceMaps, pid: fleet.workerPid },
      batches: batchShape,
      devServer: { args: fleet.server.args },
      start: { seconds: round((fleet.startedUntil - fleet.startedFrom) / 1000, 1), startsPerSec: fleet.startsPerSec },
      settleS,
      windowS,
      sample: { trackers: sampledTrackers, polls: timings.length },
      statusCallsPerSec: rates,
      windowStatusCalls: windowCalls,
      // When every tracker had made its first status call (s after the first start), null: not within the run.
      allPolledOnceAfterS: (() => {
        const p = fleet.polledOnce();
        return p.allAt === null ? null : round((p.allAt - fleet.startedFrom) / 1000, 1);
      })(),
      polledOnceByEnd: fleet.polledOnce().count,
      cpuMsPerStatusCall: cpuPerCall,
      slip,
      slipAllPolls: slipStats(timings),
      usage: { sinceFirstStart: usageAll, window: usageWindow },
      workerEventLoopDelayMs: {
        p99Max: Math.max(...loop.map((s) => s.eventLoopDelayMs.p99)),
        max: Math.max(...loop.map((s) => s.eventLoopDelayMs.max)),
      },
      workerHeapUsedMiBMax: Math.max(...loop.map((s) => s.heapUsedMiB)),
    };
    summary = {
      slip: slip.window.startSlipMs,
      rssPeak: usageAll.worker?.rssPeakMiB ?? NaN,
      running,
      steadyRate: rates.window,
      rampRate: rates.start,
    };
  } finally {
    await fleet.stop();
  }
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

  const r = result as {
    slip: Record<'start' | 'drain' | 'settle' | 'window', ReturnType<typeof slipStats>>;
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
        row(
          'start → first call (all)',
          (result as { slipAllPolls: ReturnType<typeof slipStats> }).slipAllPolls.startToFirstCallMs,
        ),
      ],
    ),
  );
  console.log('');
  const u = (period: string, who: string) => r.usage[period]?.[who];
  console.log(
    table(
      ['process', 'CPU % (whole run)', 'CPU % (window)', 'CPU ms / status call', 'RSS peak MiB'],
      ['worker', 'devServer', 'bench', 'machine'].map((p) => [
        p === 'bench' ? 'bench (client + simulator)' : p === 'machine' ? 'whole machine (anyone)' : p,
        u('sinceFirstStart', p)?.cpuPercent ?? '–',
        u('window', p)?.cpuPercent ?? '–',
        r.cpuMsPerStatusCall[p] ?? '–',
        p === 'machine' ? '–' : (u('sinceFirstStart', p)?.rssPeakMiB ?? '–'),
      ]),
    ),
  );
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
