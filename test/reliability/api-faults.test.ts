// Reliability, API faults (short version; the long one is bench/soak-api-faults.ts): every transient API fault at once
// (20% 5xx, 5% 429 + Retry-After, 5% slower than the client timeout, 2% truncated JSON, 2% unknown fields) on
// every endpoint while 40 batches run (30 trackers, 10 runs). All finish with ground-truth state, none fails, and
// each tracker's getPollStats counts exactly the faults injected into its batch's status requests, by type.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeApiFaultReport, runApiFaultScenario } from '../../kit/reliability/api-faults';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

describe('reliability: API faults at once (dev server, worker process, simulator global faults)', () => {
  it('40 batches finish, no workflow fails, poll statistics count the injected faults by type', async (t) => {
    const report = await runApiFaultScenario({
      trackers: 30,
      runs: 10,
      timeScale: 60,
      spreadMs: 5_000,
      clientTimeoutMs: 1_500,
      seed: 10_003,
      timeoutMs: 180_000,
      apiKey: 'sk_rel_faults_5a0c3e9b1d7f4268',
      progress: (line) => t.diagnostic(line),
    });
    for (const line of describeApiFaultReport(report)) t.diagnostic(line);
    assert.deepEqual(report.failures, []);
    assert.equal(report.completed, 40);
    assert.equal(report.failedWorkflows, 0);
    const status = report.requests.status;
    assert.ok(status !== undefined);
    // Enough requests that every fault type was injected and counted.
    for (const fault of ['server_error', 'rate_limit', 'slow', 'truncated_json', 'extra_fields']) {
      assert.ok((status.faults[fault] ?? 0) > 0, `no ${fault} injected into status calls`);
    }
    for (const type of ['ServerError', 'RateLimited', 'Timeout', 'ContractViolation']) {
      assert.ok((report.pollErrors[type] ?? 0) > 0, `no ${type} counted`);
    }
    assert.equal(report.pollCalls.counted, report.pollCalls.seen);
  });
});
