// Soak, hostile input: 20,000 random hostile batch ids through the library (plus the named ones through every
// entry point and the CLI), 2,000 random printable Unicode ids round-tripped through the simulator, typed
// failures for API 400/401/402/404, and a 20,000-request fuzz of the webhook receiver process. ≤ 10 min.
//   npm run soak:hostile-input [-- --ids 20000 --unicode 2000 --fuzz 20000 --seed 20004]
// The short version is test/reliability/hostile-input.test.ts.
import { describeHostileInputReport, runHostileInputScenario } from '../kit/reliability/hostile-input';
import { runSoak, soakFlags } from './soak-common';

const f = soakFlags({ ids: 20_000, unicode: 2_000, fuzz: 20_000, seed: 20_004 });

void runSoak(
  'hostile-input',
  `hostile input: ${f.ids} ids, ${f.unicode} Unicode ids, ${f.fuzz} fuzzed deliveries`,
  (progress) =>
    runHostileInputScenario({
      randomIds: f.ids,
      randomUnicodeIds: f.unicode,
      fuzzRequests: f.fuzz,
      seed: f.seed,
      apiKey: `sk_soak_hostile_${f.seed}_c5a1`,
      webhookSecret: `whsec_soak_hostile_${f.seed}_0e7b9d`,
      progress,
    }),
  describeHostileInputReport,
  ({ log: _log, ...r }) => r,
);
