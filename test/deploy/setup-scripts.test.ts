// The compose stack's one-shot scripts, run here as the admin-tools container runs them (POSIX sh):
// - register-search-attributes.sh against a real Temporal (the dev server, with the real `temporal` CLI on PATH):
//   creates the namespace, registers the tracker's attributes, is idempotent, refuses a type clash, and a tracker
//   in that namespace then upserts every attribute and completes.
// - setup-schema.sh: its control flow only (no PostgreSQL or temporal-sql-tool here; both are stand-ins that
//   record their calls): which databases, which steps, in which order, and that a failed migration fails it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { devServerExecutable } from '../../scripts/temporal-servers';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { WORKFLOWS_PATH, createTrackerWorker } from '../../worker/worker';
import { startAirOpsBatchTracker } from '../../client/track';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { TEST_API_KEY, assertOutcomeMatchesTruth, urls } from '../../kit/helpers/tracker';
import { ROOT } from './helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const REGISTER = join(ROOT, 'deploy', 'temporal', 'register-search-attributes.sh');
const SCHEMA = join(ROOT, 'deploy', 'temporal', 'setup-schema.sh');
const INDEXED = { KEYWORD: 2, INT: 3, BOOL: 5 } as const; // temporal.api.enums.v1.IndexedValueType

function temporalCliDir(): string {
  const exe = devServerExecutable();
  if (exe.type !== 'existing-path') {
    throw new Error('these tests run the Temporal CLI itself: run `npm run provision` (or set TEMPORAL_CLI_PATH)');
  }
  return dirname(exe.path);
}

function sh(script: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  const r = spawnSync('sh', [script], { env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('register-search-attributes.sh against the dev server', () => {
  let env: TestWorkflowEnvironment;
  let baseEnv: NodeJS.ProcessEnv;
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  before(async () => {
    env = await createDevServerEnv();
    baseEnv = {
      PATH: `${temporalCliDir()}:${process.env.PATH}`,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: env.address,
      SETUP_WAIT_SECONDS: '60',
    };
  });
  after(async () => {
    await env?.teardown();
  });

  async function customAttributes(namespace: string): Promise<Record<string, number>> {
    const res = await env.connection.operatorService.listSearchAttributes({ namespace });
    return Object.fromEntries(Object.entries(res.customAttributes ?? {}).map(([k, v]) => [k, Number(v)]));
  }

  it('creates the namespace, registers every attribute with its type, and a second run changes nothing', async (t) => {
    const namespace = `airops-deploy-${suffix}`;
    const first = sh(REGISTER, { ...baseEnv, TEMPORAL_NAMESPACE: namespace, TEMPORAL_NAMESPACE_RETENTION: '48h' });
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, new RegExp(`namespace ${namespace} created \\(retention 48h\\)`));
    for (const k of ALL_SEARCH_ATTRIBUTES) assert.match(first.out, new RegExp(`registered ${k.name} \\(`));
    const want = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, INDEXED[k.type]]));
    assert.deepEqual(await customAttributes(namespace), want);
    const described = await env.connection.workflowService.describeNamespace({ namespace });
    assert.equal(Number(described.config?.workflowExecutionRetentionTtl?.seconds), 48 * 3600);

    const second = sh(REGISTER, { ...baseEnv, TEMPORAL_NAMESPACE: namespace });
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, new RegExp(`namespace ${namespace} exists`));
    for (const k of ALL_SEARCH_ATTRIBUTES)
      assert.match(second.out, new RegExp(`${k.name} \\(\\w+\\) already registered`));
    assert.deepEqual(await customAttributes(namespace), want);
    t.diagnostic(first.out.trim().split('\n').at(-1)!);

    // A tracker in that namespace upserts every attribute (the server rejects unregistered ones) and completes.
    const sim: SimulatorHandle = await startSimulator({ apiKey: TEST_API_KEY, timeScale: 200, seed: suffix });
    const taskQueue = uniqueTaskQueue('deploy-sa');
    const worker = await createTrackerWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      olostep: { apiKey: TEST_API_KEY, baseUrl: sim.url, timeoutMs: 5_000 },
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    });
    try {
      await worker.runUntil(async () => {
        const client = new Client({ connection: env.connection, namespace });
        const batch = sim.createBatch({ items: urls(12) });
        const handle = await startAirOpsBatchTracker(client, batch.id, {
          taskQueue,
          minPollIntervalMs: 200,
          maxPollIntervalMs: 1_000,
        });
        assertOutcomeMatchesTruth(await handle.result(), sim.groundTruth(batch.id));
        const d = await handle.describe();
        const sa = d.searchAttributes;
        assert.deepEqual(sa.AirOpsBatchId, [batch.id]);
        assert.deepEqual(sa.AirOpsStatus, ['completed']);
        assert.deepEqual(sa.AirOpsTotalUrls, [12]);
        assert.ok(Array.isArray(sa.AirOpsStalled), 'AirOpsStalled upserted');
      });
    } finally {
      await sim.close();
    }
  });

  it('on the default namespace (attributes already there, as after a restart): exit 0, nothing created', async () => {
    const r = sh(REGISTER, { ...baseEnv, TEMPORAL_NAMESPACE: 'default' });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /namespace default exists/);
    assert.doesNotMatch(r.out, /registered \w+ \(/);
  });

  it('an attribute registered with another type stops it with exit 1 and says which', async () => {
    const namespace = `airops-clash-${suffix}`;
    const cli = (args: string[]) =>
      spawnSync(join(temporalCliDir(), 'temporal'), [...args, '--address', env.address], { encoding: 'utf8' });
    assert.equal(cli(['operator', 'namespace', 'create', '--namespace', namespace]).status, 0);
    // The namespace cache needs a moment; the script's own wait covers that, here we retry the one call.
    let created = false;
    for (let i = 0; i < 30 && !created; i++) {
      created =
        cli(['operator', 'search-attribute', 'create', '-n', namespace, '--name', 'AirOpsStalled', '--type', 'Keyword'])
          .status === 0;
      if (!created) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(created);
    const r = sh(REGISTER, { ...baseEnv, TEMPORAL_NAMESPACE: namespace });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /AirOpsStalled is registered with another type .*the tracker needs Bool/);
  });

  it('an unreachable Temporal: gives up after SETUP_WAIT_SECONDS with exit 1', () => {
    const r = sh(REGISTER, { ...baseEnv, TEMPORAL_ADDRESS: '127.0.0.1:1', SETUP_WAIT_SECONDS: '4' }, 60_000);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /gave up waiting for the Temporal frontend at 127\.0\.0\.1:1 after 4 s/);
  });
});

describe('setup-schema.sh (control flow, with recording stand-ins for nc, pg_isready and temporal-sql-tool)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airops-schema-'));
    writeFileSync(join(dir, 'nc'), '#!/bin/sh\nexit 0\n');
    // Records each call; `create` of an existing database fails like the real tool; FAIL_STEP makes a step fail.
    writeFileSync(
      join(dir, 'temporal-sql-tool'),
      [
        '#!/bin/sh',
        'echo "$SQL_PLUGIN $SQL_HOST:$SQL_PORT $SQL_USER pw=${SQL_PASSWORD:+set} $*" >> "$LOG"',
        'case "$*" in *"--db temporal create"*) exit 1 ;; esac',
        'case "$*" in *"$FAIL_STEP"*) [ -n "$FAIL_STEP" ] && exit 1 ;; esac',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'nc'), 0o755);
    chmodSync(join(dir, 'temporal-sql-tool'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (extra: NodeJS.ProcessEnv) => {
    const log = join(dir, `log-${Math.random().toString(36).slice(2)}`);
    writeFileSync(log, '');
    const r = sh(SCHEMA, {
      PATH: `${dir}:${process.env.PATH}`,
      LOG: log,
      SQL_HOST: 'postgresql',
      SQL_USER: 'temporal',
      SQL_PASSWORD: 'secret',
      ...extra,
    });
    return { ...r, calls: readFileSync(log, 'utf8').trim().split('\n') };
  };

  it('both databases: create (an existing one is fine), setup-schema 0.0, update-schema to the versioned dir', () => {
    const r = run({});
    assert.equal(r.code, 0, r.out);
    const dirs = '/etc/temporal/schema/postgresql/v12';
    assert.deepEqual(r.calls, [
      'postgres12 postgresql:5432 temporal pw=set --db temporal create',
      'postgres12 postgresql:5432 temporal pw=set --db temporal setup-schema -v 0.0',
      `postgres12 postgresql:5432 temporal pw=set --db temporal update-schema -d ${dirs}/temporal/versioned`,
      'postgres12 postgresql:5432 temporal pw=set --db temporal_visibility create',
      'postgres12 postgresql:5432 temporal pw=set --db temporal_visibility setup-schema -v 0.0',
      `postgres12 postgresql:5432 temporal pw=set --db temporal_visibility update-schema -d ${dirs}/visibility/versioned`,
    ]);
    assert.match(r.out, /database temporal not created \(it exists already/);
    assert.match(r.out, /created database temporal_visibility/);
    assert.ok(!r.out.includes('secret'), 'the password is never printed');
  });

  it('a failed migration fails the one-shot (so the server never starts on a half-migrated schema)', () => {
    const r = run({ FAIL_STEP: 'temporal_visibility update-schema' });
    assert.notEqual(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /temporal-schema: done/);
  });

  it('without nc (the native stack: PostgreSQL client tools instead) it waits with pg_isready on the same address', () => {
    // A PATH with the script's tools but no nc: sh, date, sleep, the recording temporal-sql-tool, a pg_isready
    // stand-in that records its arguments and answers "not ready" once.
    const bin = mkdtempSync(join(tmpdir(), 'airops-schema-nonc-'));
    try {
      for (const tool of ['sh', 'date', 'sleep']) {
        const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        assert.ok(found, `${tool} on PATH`);
        symlinkSync(found, join(bin, tool));
      }
      symlinkSync(join(dir, 'temporal-sql-tool'), join(bin, 'temporal-sql-tool'));
      writeFileSync(
        join(bin, 'pg_isready'),
        [
          '#!/bin/sh',
          'echo "pg_isready $*" >> "$LOG"',
          '[ -e "$LOG.ready" ] && exit 0',
          ': > "$LOG.ready"',
          'exit 2',
          '',
        ].join('\n'),
      );
      chmodSync(join(bin, 'pg_isready'), 0o755);
      const r = run({ PATH: bin, SQL_HOST: '127.0.0.1', SQL_PORT: '45432' });
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(r.calls.slice(0, 2), [
        'pg_isready -q -h 127.0.0.1 -p 45432',
        'pg_isready -q -h 127.0.0.1 -p 45432',
      ]);
      assert.equal(r.calls.length, 2 + 6, 'then the same six temporal-sql-tool calls');
      assert.ok(r.calls.slice(2).every((c) => c.startsWith('postgres12 127.0.0.1:45432 temporal pw=set --db ')));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('a missing password stops it before any call', () => {
    const r = run({ SQL_PASSWORD: '' });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /SQL_PASSWORD must be set/);
    assert.deepEqual(r.calls, ['']);
  });
});
