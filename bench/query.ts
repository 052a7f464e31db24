// Benchmark 4: getProgress query latency with 1,000 open trackers on one worker (dev server).
//   npm run bench:query [-- --trackers 1000 --queries 1000 --concurrency 8 --settle 30]
//
// The fleet of bench/scale.ts (dev server process, simulator with 6-hour batches, the production worker in its own
// process, trackers polling on their production schedule meanwhile). Once every tracker has polled once (a query
// to a tracker whose first workflow task has not run waits for it) and --settle more seconds, getProgress on random
// trackers through the client: first one at a time (the latency a caller sees), then --concurrency at a time
// (a dashboard refreshing many). Latency = client call → answer (frontend → matching → the worker's sticky queue,
// answered from the worker's cache → back).
// Prints the figures last; writes bench/results/query.json.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { getProgress } from '../workflows/contract';
import { FLEET_BATCH, countRunning, startFleet, waitAllPolled } from './lib/fleet';
import { machineInfo, mapLimit, ms, round, sleep, summarize, table, writeResult, type Summary } from './lib/common';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trackers: { type: 'string', default: '1000' },
      queries: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '8' },
      settle: { type: 'string', default: '30' },
      'cpu-prof': { type: 'string' },
      urls: { type: 'string' },
      'scraping-min': { type: 'string' },
    },
  });
  const trackers = Number(values.trackers);
  const queries = Number(values.queries);
  const concurrency = Number(values.concurrency);
  const batchShape = {
    urlsPerBatch: values.urls === undefined ? FLEET_BATCH.urls : Number(values.urls),
    scrapingMs: values['scraping-min'] === undefined ? FLEET_BATCH.scrapingMs : Number(values['scraping-min']) * 60_000,
  };
  const t0 = performance.now();
  const worker = { maxCachedWorkflows: Math.max(trackers, 1_000) };
  const fleet = await startFleet({
    trackers,
    startConcurrency: 64,
    worker,
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    ...batchShape,
  });
  let out: Record<string, unknown>;
  let sequential: Summary;
  let parallel: Summary;
  let errors = 0;
  let drainedAfterS = NaN;
  try {
    // A query to a tracker whose first workflow task has not run yet waits for it: first let every tracker poll once
    // (the start backlog drains), then --settle more seconds.
    const drainStart = Date.now();
    const drained = await waitAllPolled(fleet, 300_000);
    drainedAfterS = round((Date.now() - drainStart) / 1000, 1);
    console.log(
      drained
        ? `every tracker polled once after ${drainedAfterS} s; settling ${values.settle} s`
        : `only ${fleet.polledOnce().count} trackers polled within 300 s; settling ${values.settle} s anyway`,
    );
    await sleep(Number(values.settle) * 1_000);
    const running = await countRunning(fleet);
    let seed = 7;
    const pick = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return fleet.workflowIds[seed % fleet.workflowIds.length] as string;
    };
    const timeOne = async (): Promise<number> => {
      const started = performance.now();
      try {
        const p = await fleet.client.workflow.getHandle(pick()).query(getProgress);
        if (typeof p.percent !== 'number') throw new Error('not a progress');
      } catch {
        errors++;
        return NaN;
      }
      return performance.now() - started;
    };
    const windowStart = Date.now();
    console.log(`${queries} queries one at a time`);
    const seq: number[] = [];
    for (let i = 0; i < queries; i++) seq.push(await timeOne());
    console.log(`${queries * 2} queries, ${concurrency} at a time`);
    const par0 = performance.now();
    const par = await mapLimit(
      Array.from({ length: queries * 2 }, (_, i) => i),
      concurrency,
      () => timeOne(),
    );
    const parSeconds = (performance.now() - par0) / 1000;
    sequential = summarize(seq.filter(Number.isFinite));
    parallel = summarize(par.filter(Number.isFinite));
    out = {
      benchmark: 'query',
      at: new Date().toISOString(),
      machine: machineInfo(),
      trackers,
      running,
      worker,
      batches: batchShape,
      startBacklogDrainedAfterS: drainedAfterS,
      settleS: Number(values.settle),
      sequential,
      parallel: { concurrency, ...parallel, queriesPerSec: round((queries * 2) / parSeconds, 1) },
      errors,
      usage: fleet.monitor.report(windowStart),
    };
  } finally {
    await fleet.stop();
  }
  const wallMs = round(performance.now() - t0);
  const goal = { p99MaxMs: 50, met: sequential.p99 <= 50 };
  const file = writeResult('query', { ...out, wallMs, goal });
  const row = (name: string, s: Summary) => [name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  console.log('');
  console.log(
    table(
      ['getProgress latency', 'n', 'p50', 'p90', 'p99', 'max'],
      [row('one at a time', sequential), row(`${concurrency} in flight`, parallel)],
    ),
  );
  console.log('');
  console.log(`(written to ${file}; wall time ${ms(wallMs)}; ${errors} errors)`);
  console.log(
    `getProgress with ${trackers} open trackers: p50 ${ms(sequential.p50)}, p99 ${ms(sequential.p99)} (goal ≤ 50 ms: ${goal.met ? 'MET' : 'NOT MET'})`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
