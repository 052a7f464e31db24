// Soak, secrets: the secrets scenario at a larger size (20 trackers with continue-as-new, 12 runs, every
// failure kind, the CLI), then every history, log line, error, query answer and results file searched for the
// API key, a wrong key and the webhook secret. ≤ 10 min.
//   npm run soak:secrets [-- --trackers 20 --runs 12]
// The short version is test/reliability/secrets.test.ts.
import { describeSecretsReport, runSecretsScenario } from '../kit/reliability/secrets';
import { runSoak, soakFlags } from './soak-common';

const f = soakFlags({ trackers: 20, runs: 12, scale: 200, seed: 20_005 });

void runSoak(
  'secrets',
  `secrets: ${f.trackers} trackers, ${f.runs} runs`,
  async (progress) => {
    const r = await runSecretsScenario({
      trackers: f.trackers,
      runs: f.runs,
      timeScale: f.scale,
      seed: f.seed,
      progress,
    });
    return { ...r, failures: [...r.failures, ...r.leaks.map((l) => `leak: ${l}`)] };
  },
  describeSecretsReport,
);
