// Benchmark 3: N concurrent trackers on ONE worker against the dev server: poll schedule slip, worker RSS and CPU,
// dev server CPU.
//   npm run bench:scale-1000 | bench:scale-5000 | bench:scale-10000
//   npx tsx bench/scale.ts --trackers 5000 [--window 90] [--sample 300] [--start-concurrency 64]
//                          [--cache 10000] [--wft 40] [--activities 100] [--wf-pollers 10] [--act-pollers 10]
//                          [--cpu-prof DIR]
//
// The dev server (in-memory SQLite, our own process so /proc gives its CPU), the simulator in this process on a
// real clock with 6-hour scraping phases (every tracker stays open, polling on the production schedule: often at
// first, geometrically sparser), the production worker (createTrackerWorker, production defaults for the tracker)
// in its own process. N trackers are started with bounded parallelism, then the fleet runs for --window seconds.
// Slip of a poll = when the worker began its status call (ActivityTaskStarted) minus when it was due (TimerStarted
// + startToFireTimeout), from the histories of a seeded random sample of trackers; also the timer's own lateness
// (TimerFired) and, for the first poll, start → first call. Reported for polls due while trackers were still being
// started (the ramp, the heaviest load) and for those due in the steady window after.
// Prints the figures last; writes bench/results/scale-<N>.json.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { countRunning, samplePollTimings, startFleet, type PollTiming, type WorkerSettings } from './lib/fleet';
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
    /** The status call itself (simulator over loopback + activity completion). */
    callMs: summarize(timer.map((p) => (p.completedAt ?? NaN) - p.startedAt)),
    firstPolls: first.length,
    startToFirstCallMs: summarize(first.map((p) => p.startedAt - p.plannedAt)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trackers: { type: 'string', default: '1000' },
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
      'cpu-prof': { type: 'string' },
    },
  });
  const trackers = Number(values.trackers);
  const windowS = Number(values.window);
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
  const dynamicConfig =
    values.partitions === undefined
      ? undefined
      : {
          'matching.numTaskqueueReadPartitions': Number(values.partitions),
          'matching.numTaskqueueWritePartitions': Number(values.partitions),
        };
  const t0 = performance.now();
  const fleet = await startFleet({
    trackers,
    startConcurrency: Number(values['start-concurrency']),
    worker,
    ...(dynamicConfig ? { dynamicConfig } : {}),
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
  });
  // Status calls per second, counted where they land.
  let result: Record<string, unknown>;
  try {
    const windowStart = Date.now();
    console.log(`steady window: ${windowS} s`);
    await sleep(windowS * 1_000);
    const windowEnd = Date.now();
    const usageStart = fleet.monitor.report(fleet.startedFrom);
    const usageWindow = fleet.monitor.report(windowStart);
    const running = await countRunning(fleet);
    console.log(`${running} trackers open; reading ${values.sample} histories`);
    const timings = await samplePollTimings(fleet, Number(values.sample));
    const sampled = new Set(timings.map((t) => t.workflowId)).size;
    const ramp = timings.filter((t) => t.plannedAt < fleet.startedUntil);
    const steady = timings.filter((t) => t.plannedAt >= windowStart && t.plannedAt <= windowEnd);
    const rate = (list: PollTiming[], seconds: number) => round((list.length * (trackers / sampled)) / seconds, 1);
    const rampS = (fleet.startedUntil - fleet.startedFrom) / 1000;
    const all = slipStats(timings);
    const loop = fleet.workerStats.filter((s) => s.type === 'stats');
    result = {
      benchmark: `scale-${trackers}`,
      at: new Date().toISOString(),
      machine: machineInfo(),
      trackers,
      running,
      worker: { ...worker, pid: fleet.workerPid },
      devServer: { args: fleet.server.args.filter((a) => !a.startsWith('AirOps')) },
      start: { seconds: round(rampS, 1), startsPerSec: fleet.startsPerSec },
      windowS,
      sample: { trackers: sampled, polls: timings.length },
      pollRatePerSec: { ramp: rate(ramp, rampS), steady: rate(steady, windowS) },
      slip: { all, ramp: slipStats(ramp), steady: slipStats(steady) },
      usage: { sinceFirstStart: usageStart, steadyWindow: usageWindow },
      workerEventLoopDelayMs: {
        p99Max: Math.max(...loop.map((s) => (s.type === 'stats' ? s.eventLoopDelayMs.p99 : 0))),
        max: Math.max(...loop.map((s) => (s.type === 'stats' ? s.eventLoopDelayMs.max : 0))),
      },
      workerHeapUsedMiBMax: Math.max(...loop.map((s) => (s.type === 'stats' ? s.heapUsedMiB : 0))),
    };
  } finally {
    await fleet.stop();
  }
  const wallMs = round(performance.now() - t0);
  const r = result as {
    slip: Record<'all' | 'ramp' | 'steady', ReturnType<typeof slipStats>>;
    usage: Record<string, Record<string, { cpuPercent: number; rssPeakMiB: number }>>;
    pollRatePerSec: { ramp: number; steady: number };
    running: number;
  };
  const workerRss = r.usage.sinceFirstStart?.worker?.rssPeakMiB ?? NaN;
  const p99 = r.slip.all.startSlipMs.p99;
  const goal =
    trackers === 5_000
      ? { slipP99MaxMs: 2_000, workerRssMaxMiB: 1_024, met: p99 <= 2_000 && workerRss <= 1_024 }
      : { note: 'the goal is stated for 5,000 trackers' };
  const file = writeResult(`scale-${trackers}`, { ...result, wallMs, goal });

  const row = (name: string, s: Summary) => [name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  console.log('');
  console.log(
    table(
      ['slip (all sampled polls)', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        row('poll started − due', r.slip.all.startSlipMs),
        row('timer fired − due', r.slip.all.fireSlipMs),
        row('poll scheduled − due', r.slip.all.scheduleSlipMs),
        row('  ramp: started − due', r.slip.ramp.startSlipMs),
        row('  steady: started − due', r.slip.steady.startSlipMs),
        row('status call duration', r.slip.all.callMs),
        row('start → first call', r.slip.all.startToFirstCallMs),
      ],
    ),
  );
  console.log('');
  const u = (period: string, who: string) => r.usage[period]?.[who];
  console.log(
    table(
      ['process', 'CPU % (ramp+window)', 'CPU % (steady)', 'RSS peak MiB'],
      ['worker', 'devServer', 'bench', 'machine'].map((p) => [
        p === 'bench' ? 'bench (client + simulator)' : p === 'machine' ? 'whole machine (anyone)' : p,
        u('sinceFirstStart', p)?.cpuPercent ?? '–',
        u('steadyWindow', p)?.cpuPercent ?? '–',
        u('sinceFirstStart', p)?.rssPeakMiB ?? '–',
      ]),
    ),
  );
  console.log('');
  console.log(`(written to ${file}; wall time ${ms(wallMs)}; CPU % is of one core, this machine has 2)`);
  console.log(
    `${trackers} trackers (${r.running} open), polls ${r.pollRatePerSec.ramp}/s during the ramp, ${r.pollRatePerSec.steady}/s steady: ` +
      `slip p50 ${ms(r.slip.all.startSlipMs.p50)}, p99 ${ms(p99)}; worker RSS peak ${workerRss} MiB` +
      ('met' in goal ? ` (goal p99 ≤ 2 s, RSS ≤ 1 GiB: ${goal.met ? 'MET' : 'NOT MET'})` : ''),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
