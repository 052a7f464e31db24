// The Dockerfile, built without Docker (dockerfile-emulator.ts: its COPY lines copy what they name, honouring
// .dockerignore; its RUN lines run: `npm ci --omit=dev`, `npm ci`, `npm run build`, the platform prune), then the
// image's directory run the way the compose file runs it, against the dev server and the simulator: the worker
// (its CMD) tracks a batch to completion, the webhook receiver from the same image starts a tracker that completes,
// the CLI from the same image reads the result, and the health probe answers for each.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { startAirOpsBatchTracker } from '../../client/track';
import { trackerWorkflowId, type TrackResult } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import { assertOutcomeMatchesTruth, urls } from '../../kit/helpers/tracker';
import { QUICK, eventually } from '../client/stack';
import { buildDockerfile, diskUsage, type BuildResult } from './dockerfile-emulator';
import {
  DOCKERFILE,
  ROOT,
  asArgv,
  filledTemplate,
  freePort,
  loadCompose,
  startProcess,
  stopProcess,
  type Child,
} from './helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const KEY = 'sk_test_IMAGE_WORKER_5e1f0c';
const SECRET = 'image-webhook-secret-0123456789abcdef';
const MB = 1024 * 1024;
/** The worker metrics docs/operations.md#worker-metrics names (those that exist before any failure of their own). */
const WATCHED_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency_bucket',
  'temporal_activity_execution_failed',
  'temporal_activity_execution_latency_bucket',
  'temporal_activity_schedule_to_start_latency_bucket',
  'temporal_worker_task_slots_available',
  'temporal_num_pollers',
  'temporal_sticky_cache_size',
  'temporal_workflow_completed',
  'temporal_request',
];

describe('the Dockerfile, built outside Docker, and its image run against the dev server', () => {
  let out: string;
  let build: BuildResult;
  let buildMs = 0;
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  let worker: Child | undefined;
  let receiver: Child | undefined;
  const taskQueue = uniqueTaskQueue('image');

  /** What a container of this image sees: the image's ENV over a bare PATH/HOME, then the service's own settings. */
  const containerEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: tmpdir(),
    ...build.image.env,
    ...extra,
  });

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'airops-image-'));
    const started = Date.now();
    // The dev server starts while the image builds; npm's cache stands in for the registry where it can.
    const [built, devEnv] = await Promise.all([
      buildDockerfile({
        contextDir: ROOT,
        dockerfile: DOCKERFILE,
        outDir: out,
        runEnv: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          npm_config_prefer_offline: 'true',
          npm_config_update_notifier: 'false',
        },
      }),
      createDevServerEnv(),
    ]);
    build = built;
    env = devEnv;
    buildMs = Date.now() - started;
    sim = await startSimulator({ apiKey: KEY, timeScale: 50, seed: `image-${process.pid}-${Date.now()}` });
  });

  after(async () => {
    await stopProcess(receiver, 'SIGKILL');
    await stopProcess(worker, 'SIGKILL');
    await sim?.close();
    await env?.teardown();
    // ~80,000 files (three stages' node_modules): removed in the background, the suite need not wait for the disk.
    if (out && process.env.KEEP_IMAGE_BUILD !== '1') {
      spawn('rm', ['-rf', out], { detached: true, stdio: 'ignore' }).unref();
    }
  });

  it('builds: three stages, the RUN lines that matter ran, the image is compiled JS on production deps only', (t) => {
    assert.deepEqual([...build.stages.keys()].sort(), ['build', 'deps', 'runtime']);
    const ran = build.runs.map((r) => `${r.stage}: ${r.command.split(/\s+/).slice(0, 3).join(' ')}`);
    for (const r of ['deps: npm ci --omit=dev', 'build: npm ci --ignore-scripts', 'build: npm run build']) {
      assert.ok(ran.includes(r), `${r} ran (${ran.join('; ')})`);
    }
    const img = build.image;
    assert.match(build.stages.get('deps')!.base, /^node:20\.\d+\.\d+-bookworm-slim$/, 'a pinned node:20 slim base');
    assert.ok(
      [...build.stages.values()].every((s) => s.base === img.base),
      'all stages on the same base',
    );
    assert.equal(img.user, 'node', 'runs as the unprivileged node user');
    assert.equal(img.env.NODE_ENV, 'production');
    assert.deepEqual(img.cmd, ['node', 'dist/worker/main.js'], 'the worker is the default command');
    assert.deepEqual(img.healthcheck?.test, ['node', 'deploy/healthcheck.mjs']);
    // Production dependencies only: no TypeScript, tsx or test tooling, and no TypeScript sources.
    for (const devOnly of ['typescript', 'tsx', 'eslint', 'prettier', 'playwright-core', 'autocannon']) {
      assert.ok(!existsSync(join(img.dir, 'node_modules', devOnly)), `${devOnly} is not in the image`);
    }
    const sources = readdirSync(img.dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('node_modules'),
    );
    assert.deepEqual(sources, [], 'no TypeScript sources outside node_modules');
    // The core bridge keeps this platform's binary only.
    const releases = readdirSync(join(img.dir, 'node_modules', '@temporalio', 'core-bridge', 'releases'));
    assert.deepEqual(releases, [`${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu`]);
    // Nothing from the context that the Dockerfile does not name (tests, benches, secrets) reached the image.
    for (const absent of ['test', 'bench', '.env', 'docker-compose.yml', 'README.md', 'tsconfig.json']) {
      assert.ok(!existsSync(join(img.dir, absent)), `${absent} is not in the image`);
    }
    const size = diskUsage(img.dir);
    const modules = diskUsage(join(img.dir, 'node_modules'));
    assert.ok(size < 220 * MB, `image layers ${Math.round(size / MB)} MB`);
    for (const r of build.runs) t.diagnostic(`${r.stage}: ${r.command.slice(0, 60)} … ${(r.ms / 1000).toFixed(1)} s`);
    t.diagnostic(
      `build ${(buildMs / 1000).toFixed(0)} s (with the dev server starting alongside); image layers ` +
        `${Math.round(size / MB)} MB over the base, of which node_modules ${Math.round(modules / MB)} MB`,
    );
  });

  it('every entry point docker-compose.yml runs from the image exists in it', () => {
    const compose = loadCompose(filledTemplate());
    const fromImage = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    assert.deepEqual(fromImage.map(([n]) => n).sort(), ['airops', 'simulator', 'webhooks', 'worker']);
    for (const [name, svc] of fromImage) {
      const argv = [...asArgv(svc.entrypoint), ...asArgv(svc.command)];
      const script = argv.find((a) => /\.(m?js)$/.test(a));
      assert.ok(script && existsSync(join(build.image.dir, script)), `${name}: ${script} is in the image`);
      const probe = asArgv(svc.healthcheck?.test).find((a) => a.endsWith('.mjs'));
      if (probe) assert.ok(existsSync(join(build.image.dir, probe)), `${name}: ${probe} is in the image`);
      assert.equal(svc.build!.target, 'runtime');
    }
  });

  it('the worker (the image CMD) tracks a batch to completion with ground truth; its probe says healthy', async (t) => {
    const metricsPort = await freePort();
    const started = Date.now();
    worker = await startProcess(build.image.cmd!, {
      name: 'image worker',
      cwd: build.image.dir,
      env: containerEnv({
        TEMPORAL_ADDRESS: env.address,
        TASK_QUEUE: taskQueue,
        OLOSTEP_API_KEY: KEY,
        OLOSTEP_BASE_URL: sim.url,
        METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        RESULTS_DIR: join(build.image.dir, 'results'),
      }),
      ready: /"msg":"worker ready"/,
    });
    t.diagnostic(`worker ready in ${Date.now() - started} ms (bundles the compiled workflows at start)`);

    // One failed status call on the way, so the failure counter docs/operations.md#worker-metrics says to alert on
    // exists.
    sim.faults.set({ fault: { type: 'server_error', status: 503 }, endpoints: ['status'], count: 1 });
    const batch = sim.createBatch({ items: urls(30, 'img') }, QUICK);
    const handle = await startAirOpsBatchTracker(env.client, batch.id, {
      taskQueue,
      minPollIntervalMs: 200,
      maxPollIntervalMs: 1_000,
    });
    const result = await handle.result();
    assertOutcomeMatchesTruth(result, sim.groundTruth(batch.id));
    assert.equal(result.endedBy, 'terminal');

    assert.equal(result.pollStats.errorsByType.ServerError, 1, 'the injected 503 was one failed poll');

    // The metrics docs/operations.md#worker-metrics tells operators to watch are on the worker's endpoint.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const name of WATCHED_METRICS) assert.match(metrics, new RegExp(`^${name}[{ ]`, 'm'), name);
    assert.match(
      metrics,
      /^temporal_activity_execution_failed\{[^}]*activity_type="fetchAirOpsBatchStatus"[^}]*\} 1$/m,
    );

    // The HEALTHCHECK as Docker runs it: no arguments, METRICS_ADDRESS from the environment.
    const probe = spawnSync('node', build.image.healthcheck!.test.slice(1), {
      cwd: build.image.dir,
      env: containerEnv({ METRICS_ADDRESS: `0.0.0.0:${metricsPort}` }),
      encoding: 'utf8',
    });
    assert.equal(probe.status, 0, probe.stderr);
    const down = spawnSync('node', ['deploy/healthcheck.mjs', 'http://127.0.0.1:1/metrics', '--timeout-ms', '1000'], {
      cwd: build.image.dir,
      env: containerEnv({}),
      encoding: 'utf8',
    });
    assert.equal(down.status, 1, 'a dead endpoint is unhealthy');
    const cliContainer = spawnSync('node', ['deploy/healthcheck.mjs'], {
      cwd: build.image.dir,
      env: containerEnv({}),
      encoding: 'utf8',
    });
    assert.equal(cliContainer.status, 0, 'no endpoint configured (a CLI container): nothing to probe');
    assert.ok(!worker.output().includes(KEY), 'the API key never reaches the log');
  });

  it('the receiver from the same image starts a tracker from a webhook; the CLI from it reads the outcome', async () => {
    const port = await freePort();
    receiver = await startProcess(['node', 'dist/webhooks/main.js'], {
      name: 'image webhook receiver',
      cwd: build.image.dir,
      env: containerEnv({
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PORT: String(port),
        TEMPORAL_ADDRESS: env.address,
        TASK_QUEUE: taskQueue,
      }),
      ready: /webhook receiver ready/,
    });
    // The compose healthcheck: /readyz (Temporal reachable).
    await eventually(async () => {
      const r = spawnSync('node', ['deploy/healthcheck.mjs', `http://127.0.0.1:${port}/readyz`], {
        cwd: build.image.dir,
        env: containerEnv({}),
      });
      return r.status === 0 ? true : undefined;
    });

    // Nobody starts this tracker: the simulator's webhook deliveries reach the receiver, which starts it.
    const hook = `http://127.0.0.1:${port}/webhooks/airops/${SECRET}`;
    const batch = sim.createBatch({ items: urls(25, 'hook'), webhook: hook }, QUICK);
    const handle = env.client.workflow.getHandle<() => Promise<TrackResult>>(trackerWorkflowId(batch.id));
    await eventually(async () => ((await handle.describe()) ? true : undefined), 30_000, 'a tracker started');
    assertOutcomeMatchesTruth(await handle.result(), sim.groundTruth(batch.id));
    assert.ok(
      sim.webhookDeliveries.some((d) => d.batchId === batch.id),
      'the simulator delivered webhooks for the batch',
    );

    // `docker compose run --rm airops status <id> --json`: bin/airops.mjs finds no tsx here and runs dist/.
    const cli = spawnSync('node', ['bin/airops.mjs', 'status', batch.id, '--json'], {
      cwd: build.image.dir,
      env: containerEnv({ TEMPORAL_ADDRESS: env.address }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(cli.status, 0, cli.stderr);
    const status = JSON.parse(cli.stdout) as { workflowStatus: string; progress: { overall: string; percent: number } };
    assert.equal(status.workflowStatus, 'COMPLETED');
    assert.equal(status.progress.overall, sim.groundTruth(batch.id).outcome);
    assert.equal(status.progress.percent, 100);
    assert.ok(!receiver.output().includes(SECRET), 'the receiver never logs its secret');
  });

  it('SIGTERM (docker stop): worker and receiver exit 0', async () => {
    worker!.proc.kill('SIGTERM');
    receiver!.proc.kill('SIGTERM');
    assert.equal(await worker!.exited, 0, worker!.output().slice(-2000));
    assert.equal(await receiver!.exited, 0, receiver!.output().slice(-2000));
    assert.ok(readFileSync(join(ROOT, 'Dockerfile'), 'utf8').includes('USER node'));
  });
});
