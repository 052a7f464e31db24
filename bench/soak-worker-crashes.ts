// Soak, worker crashes: 200 batches on the dev server (140 trackers, 60 runs that create their batch over HTTP),
// the worker process SIGKILLed every 2–5 s of uptime and restarted, the first kill landing on creates in flight.
// Every batch must finish with the simulator's ground truth and no run may create a second batch. ≤ 10 min.
//   npm run soak:worker-crashes [-- --trackers 140 --runs 60 --scale 40 --spread 150000]
// The short version is test/reliability/worker-crashes.test.ts.
import { describeWorkerCrashReport, runWorkerCrashScenario } from '../kit/reliability/worker-crashes';
import { runSoak, soakFlags } from './soak-common';

const f = soakFlags({ trackers: 140, runs: 60, scale: 40, spread: 150_000, seed: 20_001 });

void runSoak(
  'worker-crashes',
  `worker SIGKILLs: ${f.trackers + f.runs} batches`,
  (progress) =>
    runWorkerCrashScenario({
      trackers: f.trackers,
      runs: f.runs,
      timeScale: f.scale,
      spreadMs: f.spread,
      upMs: [2_000, 5_000],
      slowCreates: { count: 6, delayMs: 4_000 },
      seed: f.seed,
      timeoutMs: 560_000,
      apiKey: `sk_soak_crash_${f.seed}_7f3e`,
      progress,
    }),
  describeWorkerCrashReport,
  ({ log: _log, ...r }) => r,
);
