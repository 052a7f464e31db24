// Foundation smoke tests: each real server runs a real workflow, and a missing server fails loudly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv, createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { replayNet } from '../../kit/helpers/replay-net';
import { searchAttributes } from '../../workflows/contract';
import {
  ServerNotProvisionedError,
  TEMPORAL_SERVER_VERSION,
  devServerExecutable,
  productionServer,
  testServerExecutable,
} from '../../scripts/temporal-servers';
import { join } from 'node:path';
import type { sleepDays, tagBatch } from '../fixtures/smoke-workflows';

const smokeWorkflows = require.resolve('../fixtures/smoke-workflows');
replayNet(__filename, { bundles: { sleepDays: smokeWorkflows, tagBatch: smokeWorkflows } });

describe('provisioned executables', () => {
  it('resolves both servers from the provisioned cache, not the SDK download', () => {
    for (const exe of [devServerExecutable(), testServerExecutable()]) {
      assert.equal(exe.type, 'existing-path', `expected a provisioned server, got ${JSON.stringify(exe)}`);
    }
  });

  it('the dev server binary is the pinned Temporal CLI', () => {
    const exe = devServerExecutable();
    assert.equal(exe.type, 'existing-path');
    const r = spawnSync(exe.path, ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Server 1\.\d+\.\d+/);
  });

  it('the production server and its SQL tool are the pinned version the dev server embeds', () => {
    const dir = productionServer();
    const version = TEMPORAL_SERVER_VERSION.slice(1);
    for (const bin of ['temporal-server', 'temporal-sql-tool']) {
      const r = spawnSync(join(dir, bin), ['--version'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${bin} --version: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`version ${version.replace(/\./g, '\\.')}\\b`), `${bin}: ${r.stdout}`);
    }
    const exe = devServerExecutable();
    assert.equal(exe.type, 'existing-path');
    const cli = spawnSync(exe.path, ['--version'], { encoding: 'utf8' });
    assert.match(cli.stdout, new RegExp(`Server ${version.replace(/\./g, '\\.')}\\b`), cli.stdout);
  });

  it('a missing production server is an error that names the command that fixes it', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AIROPS_CACHE_DIR: '/nonexistent/airops-cache' };
    delete env.TEMPORAL_SERVER_DIR;
    assert.throws(
      () => productionServer(env),
      (err: unknown) => err instanceof ServerNotProvisionedError && /npm run provision/.test(err.message),
    );
  });

  it('a missing server is an error that names the command that fixes it', () => {
    const env = { ...process.env, AIROPS_CACHE_DIR: '/nonexistent/airops-cache', TEMPORAL_CLI_PATH: '' };
    assert.throws(
      () => devServerExecutable(env),
      (err: unknown) => {
        assert.ok(err instanceof ServerNotProvisionedError);
        assert.match(err.message, /npm run provision/);
        return true;
      },
    );
    assert.throws(() => testServerExecutable({ ...env, TEMPORAL_TEST_SERVER_PATH: '' }), /npm run provision/);
    assert.throws(() => devServerExecutable({ ...env, TEMPORAL_CLI_PATH: '/no/such/temporal' }), /TEMPORAL_CLI_PATH/);
  });
});

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps 7 days in well under 5 s of wall time', async (t) => {
    const taskQueue = uniqueTaskQueue('smoke-ts');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(smokeWorkflows),
    });
    const started = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof sleepDays>('sleepDays', {
        args: [7],
        taskQueue,
        workflowId: taskQueue,
        workflowExecutionTimeout: '30 days',
      }),
    );
    const wallMs = Date.now() - started;
    t.diagnostic(`7 days of workflow time took ${wallMs} ms of wall time`);
    assert.equal(result, 'slept 7 days in sleepDays');
    assert.ok(wallMs < 5_000, `7 days took ${wallMs} ms of wall time`);
  });
});

describe('dev server', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createDevServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('finds a workflow by a visibility query on a custom search attribute', async () => {
    const taskQueue = uniqueTaskQueue('smoke-dev');
    const batchId = `batch_smoke_${Date.now()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(smokeWorkflows),
    });
    await worker.runUntil(async () => {
      const result = await env.client.workflow.execute<typeof tagBatch>('tagBatch', {
        args: [batchId],
        taskQueue,
        workflowId: `smoke-${batchId}`,
        workflowExecutionTimeout: '30 s', // a broken workflow task fails the test instead of hanging it
      });
      assert.equal(result, batchId);
    });
    // Visibility is eventually consistent: poll briefly for the indexed record.
    const query = `${searchAttributes.batchId.name} = '${batchId}'`;
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of env.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found, [`smoke-${batchId}`]);
  });
});
