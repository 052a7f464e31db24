// `npm run worker` as a process: a bad setting stops it with one line (exit 2); against the dev server it logs
// JSON without the API key, serves Prometheus metrics on METRICS_ADDRESS, and on SIGTERM lets the in-flight
// status call finish (the activity completes in history) before exiting 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { startAirOpsBatchTracker } from '../../client/track';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import { eventually } from '../../kit/helpers/wait';
import { replayNet } from '../../kit/helpers/replay-net';
import { freePort } from '../../kit/reliability/processes';

replayNet(__filename);

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'worker', 'main.ts');
const KEY = 'sk_test_WORKER_PROCESS_SECRET_42';

describe('worker process (worker/main.ts)', () => {
  it('an invalid configuration: exit 2, one line on stderr naming the variables, nothing else', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: 'nope', LOG_LEVEL: 'loud' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      /^invalid worker configuration: TEMPORAL_ADDRESS .*OLOSTEP_API_KEY is required.*LOG_LEVEL /,
    );
  });

  describe('against the dev server', () => {
    let env: TestWorkflowEnvironment;
    let sim: SimulatorHandle;
    let child: ChildProcess | undefined;
    let stdout = '';
    let stderr = '';
    const taskQueue = uniqueTaskQueue('worker-main');

    before(async () => {
      env = await createDevServerEnv();
      sim = await startSimulator({ apiKey: KEY, timeScale: 50, seed: `worker-${Date.now()}` });
    });
    after(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await sim?.close();
      await env?.teardown();
    });

    it('JSON logs without the key, Prometheus metrics, graceful SIGTERM with the in-flight status call finished', async (t) => {
      const metricsPort = await freePort();
      child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: env.address,
          TASK_QUEUE: taskQueue,
          OLOSTEP_API_KEY: KEY,
          OLOSTEP_BASE_URL: sim.url,
          METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
          SHUTDOWN_GRACE_MS: '20000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      await eventually(
        async () => (stdout.includes('"msg":"worker ready"') ? true : undefined),
        60_000,
        'worker ready',
      );

      // Metrics: the runtime's Prometheus exporter.
      const metrics = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const text = await res.text();
        return text.includes('temporal_') ? text : undefined;
      });
      assert.match(metrics, /^# (HELP|TYPE) temporal_\w+/m);

      // An in-flight status call when SIGTERM arrives: the simulator holds it for 4 s.
      sim.faults.set({ fault: { type: 'slow', delayMs: 4_000 }, endpoints: ['status'], count: 1 });
      const batch = sim.createBatch({ items: [{ url: 'https://example.test/a', custom_id: 'a' }] });
      const handle = await startAirOpsBatchTracker(env.client, batch.id, { taskQueue });
      // The slow fault is taken when the status call arrives at the simulator.
      const ruleId = sim.faults.list()[0]?.id;
      assert.ok(ruleId !== undefined);
      await eventually(
        async () => (sim.faults.list().some((r) => r.id === ruleId) ? undefined : true),
        20_000,
        'the status call reached the simulator',
      );
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const tookMs = Date.now() - signalledAt;
      assert.equal(code, 0, stderr);
      assert.ok(tookMs >= 1_500, `waited for the in-flight call (${tookMs} ms)`);
      const history = await handle.fetchHistory();
      const types = (history.events ?? []).map((e) => String(e.eventType));
      assert.ok(
        (history.events ?? []).some((e) => e.activityTaskCompletedEventAttributes),
        `the in-flight status call completed and was recorded: ${types.join(',')}`,
      );

      // Every stdout line is a JSON log entry; the key appears nowhere.
      const lines = stdout.trim().split('\n');
      for (const line of lines) {
        const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; time?: unknown };
        assert.ok(typeof entry.level === 'string' && typeof entry.msg === 'string' && typeof entry.time === 'string');
      }
      const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      for (const m of [
        'worker starting',
        'worker ready',
        'shutdown requested: finishing in-flight activities',
        'worker stopped',
      ]) {
        assert.ok(messages.includes(m), `logged "${m}"`);
      }
      assert.ok(!stdout.includes(KEY) && !stderr.includes(KEY), 'the API key is never logged');
      t.diagnostic(`SIGTERM → exit 0 in ${tookMs} ms (in-flight call held 4 s); ${lines.length} JSON log lines`);
      await handle.terminate('test cleanup');
    });
  });
});
