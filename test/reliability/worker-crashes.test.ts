// Reliability, worker crashes (short version; the long one is bench/soak-worker-crashes.ts): the worker process is SIGKILLed
// every few seconds and restarted while 48 batches run on the dev server (36 trackers, 12 runs that create their
// batch over HTTP). Every workflow finishes, each final state equals the simulator's ground truth, and no run
// creates a second batch, although the first kill cuts off a create request in flight.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeWorkerCrashReport, runWorkerCrashScenario } from '../../kit/reliability/worker-crashes';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const API_KEY = 'sk_rel_crash_3b7e1f0a9c5d42e8';

describe('reliability: worker SIGKILLed every few seconds (dev server, worker process, simulator at 100×)', () => {
  it('48 batches all finish with ground-truth state; one batch per run; the API key in no log line', async (t) => {
    const report = await runWorkerCrashScenario({
      trackers: 36,
      runs: 12,
      timeScale: 100,
      spreadMs: 30_000,
      upMs: [2_000, 5_000],
      slowCreates: { count: 2, delayMs: 4_000 },
      seed: 10_001,
      timeoutMs: 240_000,
      apiKey: API_KEY,
      progress: (line) => t.diagnostic(line),
    });
    for (const line of describeWorkerCrashReport(report)) t.diagnostic(line);
    assert.deepEqual(report.failures, []);
    assert.equal(report.completed, 48);
    assert.ok(report.kills >= 5, `only ${report.kills} kills`);
    assert.ok(report.killsDuringCreates >= 1);
    // The cut-off create was retried and answered from the idempotency cache: more POSTs than batches.
    assert.ok(report.creates.replayed >= 1, JSON.stringify(report.creates));
    assert.ok(report.creates.posts > report.creates.batchesCreatedOverHttp);
    assert.ok(!report.log.text().includes(API_KEY), 'the API key reached a log line');
  });
});
