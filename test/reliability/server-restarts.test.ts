// Reliability, server restarts (short version; the long one is bench/soak-server-restarts.ts): the Temporal dev server is
// stopped and started again on the same port and SQLite file twice mid-run (once SIGTERM, once SIGKILL) while 40
// batches run (30 trackers, 10 runs). Every workflow finishes with ground-truth state, none is lost, no run creates
// a second batch, and the worker process rides the outages out without a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeServerRestartReport, runServerRestartScenario } from '../../kit/reliability/server-restarts';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

describe('reliability: dev server stopped and restarted mid-run (persisted SQLite, same port)', () => {
  it('40 batches all finish with ground-truth state across a clean stop and a crash of the server', async (t) => {
    const report = await runServerRestartScenario({
      trackers: 30,
      runs: 10,
      timeScale: 50,
      spreadMs: 15_000,
      restartAtMs: [8_000, 24_000],
      downMs: 3_000,
      seed: 10_002,
      timeoutMs: 180_000,
      apiKey: 'sk_rel_restart_7d21c9e04b8a4f15',
      progress: (line) => t.diagnostic(line),
    });
    for (const line of describeServerRestartReport(report)) t.diagnostic(line);
    assert.deepEqual(report.failures, []);
    assert.equal(report.completed, 40);
    assert.equal(report.restarts.length, 2);
    assert.ok(
      report.restarts.every((r) => r.running > 0),
      'every restart happened while workflows were running',
    );
    assert.equal(report.workerExits, 0);
  });
});
