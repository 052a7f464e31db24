// Durability on the real dev server: the worker runs as its own process (worker/main.ts, as in production) and is
// killed with SIGKILL mid-batch, then restarted; the tracker still finishes with the simulator's ground truth.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { startAirOpsBatchTracker } from '../../client/track';
import { getProgress } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import { TEST_API_KEY, assertOutcomeMatchesTruth, urls } from '../../kit/helpers/tracker';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const ROOT = join(__dirname, '..', '..');

describe('worker process killed mid-batch (dev server, real HTTP)', () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  const taskQueue = uniqueTaskQueue('crash');
  const workers: ChildProcess[] = [];
  const logs: string[] = [];

  before(async () => {
    env = await createDevServerEnv();
    sim = await startSimulator({ apiKey: TEST_API_KEY, timeScale: 100 }); // reference lifecycle in ~16 s
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await sim?.close();
    await env?.teardown();
  });

  /** Starts worker/main.ts as a child process and resolves once it reports ready. */
  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker', 'main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: 'default',
        TASK_QUEUE: taskQueue,
        OLOSTEP_BASE_URL: sim.url,
        OLOSTEP_API_KEY: TEST_API_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(child);
    return new Promise((resolve, reject) => {
      const onData = (buf: Buffer) => {
        const text = buf.toString();
        logs.push(text);
        if (/worker ready/.test(text)) resolve(child);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before ready: ${logs.join('')}`)));
    });
  }

  it('finishes with ground-truth metrics after a SIGKILL and restart', async (t) => {
    let worker = await startWorker();
    const created = sim.createBatch({ items: urls(40) });
    const handle = await startAirOpsBatchTracker(env.client, created.id, {
      taskQueue,
      minPollIntervalMs: 500,
      maxPollIntervalMs: 2_000,
    });
    // Let it get going, then kill the worker without warning.
    for (let i = 0; i < 100; i++) {
      const p = await handle.query(getProgress);
      if ((p.phases.scraping.done ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const killedAt = sim.clock.now();
    t.diagnostic(`worker SIGKILLed at virtual +${Math.round((killedAt - created.created) / 1000)} s`);
    worker = await startWorker();
    const result = await handle.result();
    assert.equal(result.endedBy, 'terminal');
    assertOutcomeMatchesTruth(result, sim.groundTruth(created.id));
    const creates = sim.requests.filter((r) => r.method === 'POST');
    assert.equal(creates.length, 0, 'tracking never creates batches');
    for (const line of logs) assert.ok(!line.includes(TEST_API_KEY), 'the API key never reaches a log line');
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  });
});
