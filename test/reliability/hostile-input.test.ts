// Reliability, hostile input (short version; the long one is bench/soak-hostile-input.ts): hostile batch ids are refused by
// the library and the CLI before anything starts (no workflow, no HTTP request, no connection), printable Unicode
// such as emoji is accepted and travels URL-encoded, API answers 400/401/402/404 give typed failures, and 1,000
// fuzzed requests against the webhook receiver process signal nothing and leave it up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeHostileInputReport, runHostileInputScenario } from '../../kit/reliability/hostile-input';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

describe('reliability: hostile input (library, CLI, API answers, webhook receiver)', () => {
  it('refused before anything starts, typed API failures, 1,000 fuzzed deliveries signal nothing', async (t) => {
    const report = await runHostileInputScenario({
      randomIds: 500,
      randomUnicodeIds: 100,
      fuzzRequests: 1_000,
      seed: 10_004,
      apiKey: 'sk_rel_hostile_2c8b6f1e0a9d4735',
      webhookSecret: 'whsec_rel_hostile_9e4a7c2b5d1f0836',
      progress: (line) => t.diagnostic(line),
    });
    for (const line of describeHostileInputReport(report)) t.diagnostic(line);
    assert.deepEqual(report.failures, []);
    assert.equal(report.libraryCallsRefused, report.libraryCalls);
    assert.equal(report.cliConnections, 0);
    assert.equal(report.cliRefused, 12);
    assert.equal(report.unicodeIdsRoundTripped, report.unicodeIdsTried);
    assert.deepEqual(
      report.typedFailures.map((f) => `${f.what} ${f.status} ${f.type}`),
      [
        'tracker 400 Validation',
        'tracker 401 Unauthorized',
        'tracker 402 PaymentRequired',
        'tracker 404 NotFound',
        'run (create) 400 Validation',
        'run (create) 401 Unauthorized',
        'run (create) 402 PaymentRequired',
      ],
    );
    assert.equal(report.fuzz.requests, 1_000);
    assert.equal(report.fuzz.trackersStarted, 0);
  });
});
