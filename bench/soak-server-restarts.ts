// Soak, server restarts: 200 batches (150 trackers, 50 runs) while the Temporal dev server is stopped and started
// again on the same port and SQLite file six times, alternating SIGTERM and SIGKILL; the worker process is never
// restarted. Every batch must finish with ground truth, none lost, no second batch created. ≤ 10 min.
//   npm run soak:server-restarts [-- --trackers 150 --runs 50 --restarts 6 --every 25000 --down 3000]
// The short version is test/reliability/server-restarts.test.ts.
import { describeServerRestartReport, runServerRestartScenario } from '../kit/reliability/server-restarts';
import { runSoak, soakFlags } from './soak-common';

const f = soakFlags({
  trackers: 150,
  runs: 50,
  scale: 40,
  spread: 120_000,
  restarts: 6,
  every: 25_000,
  down: 3_000,
  seed: 20_002,
});

void runSoak(
  'server-restarts',
  `dev server restarts: ${f.trackers + f.runs} batches`,
  (progress) =>
    runServerRestartScenario({
      trackers: f.trackers,
      runs: f.runs,
      timeScale: f.scale,
      spreadMs: f.spread,
      restartAtMs: Array.from({ length: f.restarts }, (_, i) => 15_000 + i * f.every),
      downMs: f.down,
      seed: f.seed,
      timeoutMs: 540_000,
      apiKey: `sk_soak_restart_${f.seed}_41c2`,
      progress,
    }),
  describeServerRestartReport,
  ({ log: _log, ...r }) => r,
);
