// Soak, API faults: 200 batches (160 trackers, 40 runs) with every transient API fault at once on every
// endpoint (20% 5xx, 5% 429 + Retry-After, 5% slower than the client timeout, 2% truncated JSON, 2% unknown
// fields). None may fail; each tracker's poll statistics must equal the faults injected into its batch. ≤ 10 min.
//   npm run soak:api-faults [-- --trackers 160 --runs 40 --scale 40 --spread 60000 --timeout 1500]
// The short version is test/reliability/api-faults.test.ts.
import { describeApiFaultReport, runApiFaultScenario } from '../kit/reliability/api-faults';
import { runSoak, soakFlags } from './soak-common';

const f = soakFlags({ trackers: 160, runs: 40, scale: 40, spread: 60_000, timeout: 1_500, seed: 20_003 });

void runSoak(
  'api-faults',
  `API faults at once: ${f.trackers + f.runs} batches`,
  (progress) =>
    runApiFaultScenario({
      trackers: f.trackers,
      runs: f.runs,
      timeScale: f.scale,
      spreadMs: f.spread,
      clientTimeoutMs: f.timeout,
      seed: f.seed,
      timeoutMs: 540_000,
      apiKey: `sk_soak_faults_${f.seed}_9b0d`,
      progress,
    }),
  describeApiFaultReport,
  ({ log: _log, ...r }) => r,
);
