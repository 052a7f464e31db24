// Reliability, secrets: a run of everything with a random API key, a wrong key and a webhook secret; none of them appears
// in any history (every execution, continue-as-new runs and children included, payloads decoded), log line
// (worker processes at DEBUG, receiver, simulator, CLI), error, query answer, description or results file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeSecretsReport, runSecretsScenario } from '../../kit/reliability/secrets';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

describe('reliability: secrets never leave the processes that hold them', () => {
  it('the API key and the webhook secret appear in no history, log line, error or query result', async (t) => {
    const report = await runSecretsScenario({
      trackers: 4,
      runs: 3,
      timeScale: 200,
      seed: 10_005,
      progress: (l) => t.diagnostic(l),
    });
    for (const line of describeSecretsReport(report)) t.diagnostic(line);
    assert.deepEqual(report.leaks, []);
    assert.deepEqual(report.failures, []);
    assert.ok(report.histories >= 15, `only ${report.histories} histories`);
    assert.ok(report.continuedAsNew >= 1 && report.children >= 1);
    assert.ok(report.logLines > 100, `only ${report.logLines} log lines`);
  });
});
