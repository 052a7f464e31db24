// `npm run bench`: every benchmark in turn, each in its own process (so one's servers and heap never touch the
// next one's), then the report (bench/results/REPORT.md and its PNG charts). Stops at the first failure unless
// --keep-going. Each benchmark's wall time goes to bench/results/runs.json for the report.
//   npm run bench [-- --only efficiency,history] [--keep-going]
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readResult, round, writeResult } from './lib/common';

/** Name → script and arguments (the same as the package.json bench:<name> entries). */
export const BENCHMARKS: Record<string, string[]> = {
  efficiency: ['bench/efficiency.ts'],
  schedule: ['bench/schedule.ts'],
  history: ['bench/history.ts'],
  'scale-1000': ['bench/scale.ts', '--trackers', '1000', '--settle', '60', '--window', '90'],
  'scale-5000': ['bench/scale.ts', '--trackers', '5000', '--settle', '60', '--window', '90'],
  'scale-5000-running': [
    'bench/scale.ts',
    ...['--trackers', '5000', '--created-ago-min', '2', '--settle', '30', '--window', '90'],
  ],
  'scale-10000': [
    'bench/scale.ts',
    ...['--trackers', '10000', '--settle', '60', '--window', '60', '--drain-max', '240'],
  ],
  'overhead-1000': [
    'bench/scale.ts',
    ...['--compare', 'bare', '--trackers', '1000', '--created-ago-min', '2', '--settle', '30', '--window', '60'],
  ],
  'overhead-5000': [
    'bench/scale.ts',
    ...['--compare', 'bare', '--trackers', '5000', '--created-ago-min', '2'],
    ...['--drain-max', '300', '--settle', '20', '--window', '60'],
  ],
  query: ['bench/query.ts'],
  'query-slow-api': ['bench/query-slow-api.ts'],
  webhooks: ['bench/webhooks.ts'],
  'webhooks-sa-cache-off': ['bench/webhooks.ts', '--sa-cache-refresh', 'off', '--skip-lag'],
};

function run(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
    child.once('exit', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, 'keep-going': { type: 'boolean', default: false } },
  });
  const names = values.only ? values.only.split(',') : Object.keys(BENCHMARKS);
  const runs = readResult<Record<string, { wallS: number; exitCode: number | null; at: string }>>('runs') ?? {};
  let failed = 0;
  for (const name of names) {
    const args = BENCHMARKS[name];
    if (!args) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    console.log(`\n=== ${name}: tsx ${args.join(' ')}`);
    const t0 = performance.now();
    const code = await run(args);
    const wallS = round((performance.now() - t0) / 1000, 1);
    runs[name] = { wallS, exitCode: code, at: new Date().toISOString() };
    writeResult('runs', runs);
    console.log(`=== ${name}: exit ${code}, ${wallS} s`);
    if (code !== 0) {
      failed++;
      if (!values['keep-going']) break;
    }
  }
  console.log('\n=== report');
  await run(['bench/report.ts']);
  console.log('');
  for (const name of names) {
    const r = runs[name];
    if (r) console.log(`${name.padEnd(12)} ${String(r.wallS).padStart(7)} s   exit ${r.exitCode}`);
  }
  if (failed > 0) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
