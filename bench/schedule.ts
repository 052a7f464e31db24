// Benchmark 1b: the poll schedule's tail. The efficiency benchmark runs the real workflow a few times; this runs the
// workflow's own schedule and reducer (bench/lib/schedule-model.ts: no Temporal, virtual time) over many seeds of the
// reference lifecycle and of a 24-hour enrichment, so the distribution of status calls and detection lag shows.
//   npm run bench:schedule [-- --seeds 300]
// Prints the figures last; writes bench/results/schedule.json.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { machineInfo, ms, round, summarize, table, writeResult } from './lib/common';
import { DAY_LONG_SCRIPT, REFERENCE_SCRIPT, REFERENCE_URLS } from './lib/reference';
import { modelTracking } from './lib/schedule-model';

function main(): void {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '300' } } });
  const seeds = Number(values.seeds);
  const t0 = performance.now();
  // `approachEnd`: the tracker's schedule; without it, landing on the estimated end (the schedule it replaced).
  const lifecycles = [
    { name: 'reference', script: REFERENCE_SCRIPT, approachEnd: true },
    { name: '24 h enrichment', script: DAY_LONG_SCRIPT, approachEnd: true },
    { name: 'reference, before the patch', script: REFERENCE_SCRIPT, approachEnd: false },
    { name: '24 h, before the patch', script: DAY_LONG_SCRIPT, approachEnd: false },
  ].map(({ name, script, approachEnd }) => {
    const runs = Array.from({ length: seeds }, (_, i) =>
      modelTracking(script, `seed-${i}`, REFERENCE_URLS, { approachEnd }),
    );
    const maxLagPerRun = runs.map((r) => Math.max(...Object.values(r.lagMs)));
    const transitions = Object.keys(runs[0]?.lagMs ?? {});
    return {
      name,
      approachEnd,
      calls: summarize(runs.map((r) => r.calls)),
      lag: summarize(runs.flatMap((r) => Object.values(r.lagMs))),
      lagByTransition: Object.fromEntries(transitions.map((t) => [t, summarize(runs.map((r) => r.lagMs[t] ?? NaN))])),
      maxLagPerRun: summarize(maxLagPerRun),
      runsOver60s: maxLagPerRun.filter((l) => l > 60_000).length,
      runsOver40Calls: runs.filter((r) => r.calls > 40).length,
    };
  });
  const ref = lifecycles[0] as (typeof lifecycles)[number];
  const before = lifecycles[2] as (typeof lifecycles)[number];
  const wallMs = round(performance.now() - t0);
  const file = writeResult('schedule', {
    benchmark: 'schedule',
    at: new Date().toISOString(),
    machine: machineInfo(),
    wallMs,
    seeds,
    lifecycles,
  });
  console.log(
    table(
      [
        'lifecycle',
        'calls p50',
        'calls p99',
        'calls max',
        'lag p50',
        'lag p90',
        'lag p99',
        'lag max',
        'runs > 60 s lag',
      ],
      lifecycles.map((l) => [
        l.name,
        l.calls.p50,
        l.calls.p99,
        l.calls.max,
        ms(l.lag.p50),
        ms(l.lag.p90),
        ms(l.lag.p99),
        ms(l.lag.max),
        `${l.runsOver60s}/${seeds}`,
      ]),
    ),
  );
  console.log('');
  console.log(
    table(
      ['reference, per transition', 'p50', 'p90', 'p99', 'max'],
      Object.entries(ref.lagByTransition).map(([t, s]) => [t, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)]),
    ),
  );
  console.log('');
  console.log(`(written to ${file}; wall time ${ms(wallMs)})`);
  console.log(
    `reference lifecycle over ${seeds} seeds: calls p50 ${ref.calls.p50}, p99 ${ref.calls.p99} (goal ≤ 40); lag p50 ${ms(ref.lag.p50)} (goal ≤ 10 s), ` +
      `max ${ms(ref.lag.max)}, ${ref.runsOver60s} runs with a lag over 60 s (goal: none); ` +
      `before the patch: calls p99 ${before.calls.p99}, lag max ${ms(before.lag.max)}, ${before.runsOver60s} runs over 60 s`,
  );
}

main();
