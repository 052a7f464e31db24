// The receiver's ingest journal: the journal on its own (durability, order, recovery, clean-up), then the receiver
// in journal mode over real HTTP against a real dev server: 202 once the event is on disk even while Temporal is
// down, forwarded when it is back, a SIGKILLed receiver's acknowledged events delivered by the next one, and a
// full journal answering 503.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { snapshotFromWebhook } from '../../olostep/normalize';
import type { WebhookPayload } from '../../olostep/schemas';
import { WebhookJournal } from '../../webhooks/journal';
import { createWebhookReceiver, webhookUrlFor, type SignaledEvent, type WebhookReceiver } from '../../webhooks/server';
import { trackerWorkflowId } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import {
  SECRET,
  captureLog,
  closedPort,
  freshBatchId,
  payloadFor,
  post,
  trackerExists,
} from '../../kit/webhooks/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const ROOT = join(__dirname, '..', '..');
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'airops-journal-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const payload = (id: string) => payloadFor(id) as unknown as WebhookPayload;
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl'));

describe('webhook journal', () => {
  it('appends durably in order; a reopened journal holds exactly the undelivered entries, and numbering goes on', async () => {
    const dir = tempDir();
    const j = await WebhookJournal.open({ dir });
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => j.append(payload(`b${i}`), 1_000 + i)));
    assert.deepEqual(
      entries.map((e) => e.seq),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(j.backlog, 50);
    for (let i = 0; i < 20; i++) j.delivered(j.take()!);
    assert.equal(j.backlog, 30);
    await j.close();

    const k = await WebhookJournal.open({ dir });
    assert.deepEqual(k.recovery, { pending: 30, unreadable: 0 });
    const left: string[] = [];
    for (let e = k.take(); e !== undefined; e = k.take()) left.push(e.payload.id);
    assert.deepEqual(
      left,
      Array.from({ length: 30 }, (_, i) => `b${i + 20}`),
    );
    assert.equal((await k.append(payload('next'), 1)).seq, 51);
    await k.close();
  });

  it('a torn last line (crash mid-write, never acknowledged) is skipped; the rest is recovered', async () => {
    const dir = tempDir();
    const j = await WebhookJournal.open({ dir });
    await j.append(payload('a'), 1);
    await j.append(payload('b'), 2);
    await j.close();
    const [seg] = segments(dir);
    appendFileSync(join(dir, seg as string), '{"s":3,"t":3,"p":{"object":"event.batch.air');
    const k = await WebhookJournal.open({ dir });
    assert.deepEqual(k.recovery, { pending: 2, unreadable: 1 });
    assert.equal(k.take()?.payload.id, 'a');
    await k.close();
  });

  it('a segment is deleted once every entry in it is delivered; the full journal refuses more', async () => {
    const dir = tempDir();
    const j = await WebhookJournal.open({ dir, segmentEntries: 10, maxBacklog: 25 });
    for (let i = 0; i < 25; i++) await j.append(payload(`c${i}`), i);
    assert.equal(j.isFull(), true);
    assert.equal(segments(dir).length, 3);
    for (let i = 0; i < 20; i++) j.delivered(j.take()!);
    assert.equal(j.isFull(), false);
    await j.close();
    // The two sealed, fully delivered segments are gone; the third (5 undelivered) stays.
    assert.deepEqual(segments(dir), ['seg-000000000000021.jsonl']);
    const k = await WebhookJournal.open({ dir });
    assert.equal(k.recovery.pending, 5);
    await k.close();
  });
});

describe('webhook receiver with a journal (stub Temporal client)', () => {
  it('an event Temporal refuses as invalid is dropped (logged, counted) instead of blocking the journal', async () => {
    const signaled: string[] = [];
    const args: unknown[] = [];
    const client = {
      withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
      workflow: {
        signalWithStart: async (_type: string, o: { workflowId: string; signalArgs: unknown[] }) => {
          if (o.workflowId.includes('poison')) {
            throw Object.assign(new Error('3 INVALID_ARGUMENT: blob size exceeds limit'), {
              code: 3,
              details: 'blob size exceeds limit',
              metadata: {},
            });
          }
          signaled.push(o.workflowId);
          args.push(...o.signalArgs);
          return {};
        },
      },
    } as unknown as Client;
    const log = captureLog();
    const r = createWebhookReceiver({
      client,
      secret: SECRET,
      logger: { stream: log },
      journal: await WebhookJournal.open({ dir: tempDir() }),
      forwardConcurrency: 1,
    });
    const hook = webhookUrlFor(await r.listen(), SECRET);
    const ids = ['batch_poison_1', 'batch_ok_1', 'batch_ok_2'];
    for (const id of ids) assert.equal((await post(hook, payloadFor(id))).status, 202);
    const end = Date.now() + 5_000;
    while (r.stats().backlog > 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    assert.equal(r.stats().backlog, 0, 'the journal drained past the refused event');
    assert.deepEqual(signaled, ['batch_ok_1', 'batch_ok_2'].map(trackerWorkflowId));
    // The journal keeps what Olostep sent; the forwarder signals it normalized, like a direct delivery.
    assert.deepEqual(
      args,
      ['batch_ok_1', 'batch_ok_2'].map((id) => snapshotFromWebhook(payload(id))),
    );
    assert.equal(r.stats().forwardDropped, 1);
    assert.equal(r.stats().forwardRetries, 0);
    assert.ok(
      log.lines.some((l) => l.includes('refused a journaled event as invalid') && l.includes('batch_poison_1')),
    );
    await r.close();
  });
});

describe('webhook receiver with a journal (dev server)', () => {
  let env: TestWorkflowEnvironment;
  const taskQueue = uniqueTaskQueue('whj');
  const log = captureLog();

  before(async () => {
    env = await createDevServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  /** A journal-mode receiver whose Temporal is down (a closed port), run by `body`, then closed with its connection. */
  async function withTemporalDown(
    journal: { dir: string; maxBacklog?: number },
    body: (r: WebhookReceiver, url: string) => Promise<void>,
  ): Promise<void> {
    const down = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    try {
      const r = createWebhookReceiver({
        client: new Client({ connection: down }),
        taskQueue,
        secret: SECRET,
        signalTimeoutMs: 500,
        logger: { stream: log },
        journal: await WebhookJournal.open(journal),
      });
      try {
        await body(r, await r.listen());
      } finally {
        await r.close();
      }
    } finally {
      await down.close();
    }
  }

  async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('Temporal down: 202 once on disk; the events reach their trackers when a receiver with Temporal starts on the journal', async () => {
    const dir = tempDir();
    const ids = Array.from({ length: 5 }, () => freshBatchId('batch_whj'));
    await withTemporalDown({ dir }, async (a, url) => {
      for (const id of ids) {
        const t0 = Date.now();
        const res = await post(webhookUrlFor(url, SECRET), payloadFor(id));
        assert.equal(res.status, 202, JSON.stringify(res.body));
        assert.deepEqual(res.body, { status: 'queued', workflowId: trackerWorkflowId(id) });
        assert.ok(Date.now() - t0 < 1_000, 'answered without waiting for Temporal');
      }
      await waitFor(() => a.stats().forwardRetries > 0, 5_000, 'a failed forward');
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, 'accepting while Temporal is down');
      assert.deepEqual(await ready.json(), { status: 'ready', temporal: 'unreachable', backlog: 5 });
      assert.equal(a.stats().backlog, 5);
    });
    for (const id of ids) assert.equal(await trackerExists(env.client, id), false);

    const signaled: SignaledEvent[] = [];
    const b = createWebhookReceiver({
      client: env.client,
      taskQueue,
      secret: SECRET,
      logger: { stream: log },
      journal: await WebhookJournal.open({ dir }),
      onSignal: (e) => signaled.push(e),
    });
    await b.listen();
    await waitFor(() => b.stats().backlog === 0, 15_000, 'the backlog to drain');
    assert.deepEqual(signaled.map((e) => e.batchId).sort(), [...ids].sort());
    for (const id of ids) assert.equal(await trackerExists(env.client, id), true, id);
    await b.close();
    assert.deepEqual(segments(dir), [], 'delivered segments are removed');
  });

  it('a SIGKILLed receiver process: every event it acknowledged is delivered by the next receiver', async () => {
    const dir = tempDir();
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'webhooks/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_PORT: String(port),
        WEBHOOK_JOURNAL_DIR: dir,
        WEBHOOK_LOG_LEVEL: 'silent',
        TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, // Temporal is down for this process
        TASK_QUEUE: taskQueue,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('webhook receiver ready'), 30_000, `the receiver to start: ${out}`);
      assert.match(out, /journal=.*0 undelivered from before/);
      const url = webhookUrlFor(`http://127.0.0.1:${port}`, SECRET);
      const ids = Array.from({ length: 20 }, () => freshBatchId('batch_whk'));
      const answers = await Promise.all(ids.map((id) => post(url, payloadFor(id))));
      assert.deepEqual(
        answers.map((a) => a.status),
        ids.map(() => 202),
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      const signaled: string[] = [];
      const journal = await WebhookJournal.open({ dir });
      assert.equal(journal.recovery.pending, 20);
      const next = createWebhookReceiver({
        client: env.client,
        taskQueue,
        secret: SECRET,
        logger: { stream: log },
        journal,
        onSignal: (e) => signaled.push(e.batchId),
      });
      await next.listen();
      await waitFor(() => next.stats().backlog === 0, 20_000, 'the backlog to drain');
      await next.close();
      assert.deepEqual([...new Set(signaled)].sort(), [...ids].sort());
      for (const id of ids) assert.equal(await trackerExists(env.client, id), true, id);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a full journal answers 503 with Retry-After, and /readyz says so', async () => {
    await withTemporalDown({ dir: tempDir(), maxBacklog: 2 }, async (_r, url) => {
      const hook = webhookUrlFor(url, SECRET);
      assert.equal((await post(hook, payloadFor(freshBatchId()))).status, 202);
      assert.equal((await post(hook, payloadFor(freshBatchId()))).status, 202);
      const full = await post(hook, payloadFor(freshBatchId()));
      assert.equal(full.status, 503);
      assert.equal(full.body?.error, 'busy');
      assert.equal(full.headers.get('retry-after'), '30');
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { status: string }).status, 'journal_full');
      assert.ok(!log.lines.some((l) => l.includes(SECRET)), 'no log line holds the secret');
    });
  });
});
