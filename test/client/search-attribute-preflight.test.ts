// The search-attribute preflight (client/search-attribute-preflight.ts) against real dev servers started WITHOUT the project's
// search attributes (a plain `temporal server start-dev`):
//   - the worker process registers them, logs which, and tracks a simulated batch to the end;
//   - behind a proxy that refuses AddSearchAttributes with PERMISSION_DENIED (what Temporal Cloud answers a namespace
//     API key), the worker exits 2 with one line naming the attributes and the command that adds them;
//   - an attribute of ours registered with another type: exit 2, one line (registering cannot fix it);
//   - the webhook receiver runs the same preflight: exit 2 when the server's own limit refuses registration;
//   - the client library's start functions throw MissingSearchAttributesError instead of starting a tracker that
//     cannot run, checking once per client and namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerExecutable, sdkExecutable } from '../../scripts/temporal-servers';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { startAirOpsBatchTracker } from '../../client/track';
import { startRun } from '../../client/run';
import { MissingSearchAttributesError } from '../../client/errors';
import { classifyError } from '../../client/cli/exit-codes';
import {
  REQUIRED_SEARCH_ATTRIBUTES,
  checkSearchAttributes,
  preflightSearchAttributes,
} from '../../client/search-attribute-preflight';
import { searchAttributes } from '../../workflows/contract';
import { startRefusingProxy } from '../worker/refusing-proxy';
import { replayNet, watchEnv } from '../../kit/helpers/replay-net';
import { eventually } from '../../kit/helpers/wait';

replayNet(__filename);

const ROOT = resolve(__dirname, '..', '..');
const WORKER_MAIN = join(ROOT, 'worker', 'main.ts');
const RECEIVER_MAIN = join(ROOT, 'webhooks', 'main.ts');
const KEY = 'sk_test_SEARCH_ATTRIBUTE_PREFLIGHT_9f3';
const NAMES = REQUIRED_SEARCH_ATTRIBUTES.map((a) => a.name);
const ADD_SEARCH_ATTRIBUTES = '/temporal.api.operatorservice.v1.OperatorService/AddSearchAttributes';
const FULL_COMMAND =
  'temporal operator search-attribute create --namespace default --name AirOpsBatchId --type Keyword ' +
  '--name AirOpsStatus --type Keyword --name AirOpsPhase --type Keyword --name AirOpsTotalUrls --type Int ' +
  '--name AirOpsStalled --type Bool';

/** A plain dev server: only the search attributes given here (none by default), in memory. */
async function plainDevServer(searchAttrs: { name: string; type: SearchAttributeType }[] = []) {
  // watchEnv: the replay net reads its workflows before teardown
  return watchEnv(
    await TestWorkflowEnvironment.createLocal({
      server: {
        executable: sdkExecutable(devServerExecutable()),
        ip: '127.0.0.1',
        ...(searchAttrs.length > 0 ? { searchAttributes: searchAttrs } : {}),
      },
    }),
  );
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startProcess(entry: string, env: Record<string, string>): Proc {
  let stdout = '';
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Exit code within `ms`, or a failure naming what the process printed. */
async function exitWithin(p: Proc, ms: number): Promise<number | null> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

function workerEnv(address: string, taskQueue: string, simUrl = 'http://127.0.0.1:9'): Record<string, string> {
  return { TEMPORAL_ADDRESS: address, TASK_QUEUE: taskQueue, OLOSTEP_API_KEY: KEY, OLOSTEP_BASE_URL: simUrl };
}

/** Counts the ListSearchAttributes calls a client makes. */
function countListCalls(connection: Connection): () => number {
  let calls = 0;
  const svc = connection.operatorService;
  const original = svc.listSearchAttributes.bind(svc);
  svc.listSearchAttributes = ((req: Parameters<typeof original>[0]) => {
    calls++;
    return original(req);
  }) as typeof svc.listSearchAttributes;
  return () => calls;
}

describe('search-attribute preflight', () => {
  describe('a dev server without our search attributes', () => {
    let env: TestWorkflowEnvironment;
    let sim: SimulatorHandle;
    let worker: Proc | undefined;

    before(async () => {
      env = await plainDevServer();
      sim = await startSimulator({ apiKey: KEY, timeScale: 200, seed: `sa-preflight-${Date.now()}` });
    });
    after(async () => {
      if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await sim?.close();
      await env?.teardown();
    });

    it('the client library refuses to start a tracker or a run: MissingSearchAttributesError, nothing started', async () => {
      const client = new Client({ connection: env.connection });
      const calls = countListCalls(env.connection);
      const batch = sim.createBatch({ items: [{ url: 'https://example.test/a', custom_id: 'a' }] });
      const err = await startAirOpsBatchTracker(client, batch.id, { taskQueue: 'nobody' }).then(
        () => assert.fail('started a tracker on a namespace without the attributes'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof MissingSearchAttributesError, String(err));
      assert.equal(err.name, 'MissingSearchAttributesError');
      assert.equal(err.namespace, 'default');
      assert.deepEqual(
        err.missing.map((m) => `${m.name}:${m.type}`),
        [
          'AirOpsBatchId:Keyword',
          'AirOpsStatus:Keyword',
          'AirOpsPhase:Keyword',
          'AirOpsTotalUrls:Int',
          'AirOpsStalled:Bool',
        ],
      );
      assert.deepEqual(err.wrongType, []);
      assert.ok(err.message.includes(FULL_COMMAND), err.message);
      assert.ok(!err.message.includes('\n'));
      assert.equal(classifyError(err).code, 2, 'the CLI exits 2 (configuration) on it');

      const runErr = await startRun(
        client,
        { items: [{ url: 'https://example.test/a', custom_id: 'a' }] },
        { taskQueue: 'nobody' },
      ).then(
        () => assert.fail('started a run on a namespace without the attributes'),
        (e: unknown) => e,
      );
      assert.ok(runErr instanceof MissingSearchAttributesError, String(runErr));
      assert.equal(calls(), 2, 'a negative answer is not cached');
      const open = await env.client.workflow.count();
      assert.equal(open.count, 0, 'no workflow was started');
    });

    it('the worker registers them, logs which, and tracks a batch to the end', async (t) => {
      const taskQueue = `sa-preflight-${process.pid}`;
      worker = startProcess(WORKER_MAIN, workerEnv(env.address, taskQueue, sim.url));
      const w = worker;
      await eventually(() => (w.stdout().includes('"msg":"worker ready"') ? true : undefined), 60_000, 'worker ready');
      const lines = w
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string; level: string; registered?: string[]; namespace?: string });
      const registered = lines.find((l) => l.msg === 'registered search attributes');
      assert.ok(registered, w.stdout());
      assert.equal(registered.level, 'INFO');
      assert.equal(registered.namespace, 'default');
      assert.deepEqual(registered.registered, NAMES);
      const listed = await checkSearchAttributes(env.connection, 'default');
      assert.deepEqual([listed.missing, listed.wrongType], [[], []]);

      // Right after the preflight: a tracker starts (the client's check passes now, and is cached) and runs.
      const client = new Client({ connection: env.connection });
      const calls = countListCalls(env.connection);
      const batch = sim.createBatch({
        items: [
          { url: 'https://example.test/a', custom_id: 'a' },
          { url: 'https://example.test/b', custom_id: 'b' },
        ],
      });
      const handle = await startAirOpsBatchTracker(client, batch.id, {
        taskQueue,
        minPollIntervalMs: 300,
        maxPollIntervalMs: 1_000,
      });
      await startAirOpsBatchTracker(client, batch.id, { taskQueue }); // idempotent start: no second check
      assert.equal(calls(), 1, 'the positive answer is cached per client and namespace');
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      const described = await handle.describe();
      assert.equal(described.typedSearchAttributes.get(searchAttributes.status), 'completed');
      assert.equal(described.typedSearchAttributes.get(searchAttributes.batchId), batch.id);
      assert.ok(!w.stdout().includes('workflow task failed'), 'no workflow task failed');
      t.diagnostic(`registered ${registered.registered.join(', ')}; tracker ended ${result.status}`);

      w.child.kill('SIGTERM');
      assert.equal(await exitWithin(w, 30_000), 0, w.stderr());
    });

    it('two preflights at once (workers starting together) both pass', async () => {
      const fresh = await plainDevServer();
      try {
        const [a, b] = await Promise.all([
          preflightSearchAttributes(fresh.connection, 'default'),
          preflightSearchAttributes(fresh.connection, 'default'),
        ]);
        assert.ok(a.registered.length + b.registered.length >= NAMES.length, 'one of them registered all');
        const listed = await checkSearchAttributes(fresh.connection, 'default');
        assert.deepEqual(listed.missing, []);
      } finally {
        await fresh.teardown();
      }
    });
  });

  describe('a server that refuses registration (PERMISSION_DENIED, as a managed service answers)', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      env = await plainDevServer();
    });
    after(async () => {
      await env?.teardown();
    });

    it('the worker exits 2 with one line naming the attributes and the command', async () => {
      const proxy = await startRefusingProxy(env.address, [ADD_SEARCH_ATTRIBUTES]);
      try {
        const p = startProcess(WORKER_MAIN, workerEnv(proxy.address, 'refused'));
        const code = await exitWithin(p, 60_000);
        assert.equal(code, 2, p.stderr());
        const lines = p.stderr().trim().split('\n');
        assert.equal(lines.length, 1, p.stderr());
        const line = lines[0]!;
        for (const name of NAMES) assert.ok(line.includes(name), `names ${name}: ${line}`);
        assert.ok(line.includes(FULL_COMMAND), line);
        assert.match(line, /refused to register them \(PERMISSION_DENIED: Request unauthorized\.\)/);
        assert.deepEqual(proxy.refused, [ADD_SEARCH_ATTRIBUTES], 'the worker asked once and was refused');
        assert.ok(!p.stdout().includes('worker ready'));
        assert.ok(!p.stdout().includes(KEY) && !p.stderr().includes(KEY));
        const listed = await checkSearchAttributes(env.connection, 'default');
        assert.equal(listed.missing.length, NAMES.length, 'nothing was registered');
      } finally {
        await proxy.close();
      }
    });
  });

  describe('an attribute of ours with another type (AirOpsTotalUrls as Keyword)', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      env = await plainDevServer([{ name: 'AirOpsTotalUrls', type: 'KEYWORD' }]);
    });
    after(async () => {
      await env?.teardown();
    });

    it('the worker exits 2 with one line; nothing is registered', async () => {
      const p = startProcess(WORKER_MAIN, workerEnv(env.address, 'wrong-type'));
      assert.equal(await exitWithin(p, 60_000), 2, p.stderr());
      const lines = p.stderr().trim().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      assert.match(lines[0]!, /AirOpsTotalUrls is Keyword, the tracker needs Int/);
      assert.match(lines[0]!, /cannot be changed by registering/);
      assert.ok(
        lines[0]!.includes(
          'temporal operator search-attribute remove --namespace default --name AirOpsTotalUrls && ' +
            'temporal operator search-attribute create --namespace default --name AirOpsTotalUrls --type Int',
        ),
        lines[0],
      );
      const listed = await checkSearchAttributes(env.connection, 'default');
      assert.deepEqual(
        listed.missing.map((m) => m.name),
        NAMES.filter((n) => n !== 'AirOpsTotalUrls'),
        'the preflight registers nothing while a type is wrong',
      );
    });

    it('the client library: MissingSearchAttributesError with the wrong-typed attribute', async () => {
      const err = await startAirOpsBatchTracker(new Client({ connection: env.connection }), 'batch_wrongtype', {
        taskQueue: 'nobody',
      }).then(
        () => assert.fail('started'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof MissingSearchAttributesError, String(err));
      assert.deepEqual(err.wrongType, [{ name: 'AirOpsTotalUrls', expected: 'Int', actual: 'Keyword' }]);
    });
  });

  describe('the webhook receiver (same preflight) against a server whose own limit refuses registration', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      // The dev server's SQL visibility has three Bool columns: with them taken, it refuses AirOpsStalled.
      env = await plainDevServer([
        { name: 'OtherFlagA', type: 'BOOL' },
        { name: 'OtherFlagB', type: 'BOOL' },
        { name: 'OtherFlagC', type: 'BOOL' },
      ]);
    });
    after(async () => {
      await env?.teardown();
    });

    it('exits 2 with one line naming the attributes, the server reason and the command; never listens', async () => {
      const p = startProcess(RECEIVER_MAIN, {
        TEMPORAL_ADDRESS: env.address,
        WEBHOOK_SECRET: 'receiver-preflight-secret-0123456789',
        WEBHOOK_PORT: '0',
      });
      assert.equal(await exitWithin(p, 60_000), 2, `${p.stdout()}\n${p.stderr()}`);
      const lines = p.stderr().trim().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      for (const name of NAMES) assert.ok(lines[0]!.includes(name), lines[0]);
      assert.match(
        lines[0]!,
        /INVALID_ARGUMENT: Unable to create search attributes: cannot have more than 3 search attribute of type Bool/,
      );
      assert.ok(lines[0]!.includes(FULL_COMMAND), lines[0]);
      assert.ok(!p.stdout().includes('webhook receiver ready'), p.stdout());
    });
  });
});
