// The webhook receiver against a real Temporal dev server (no worker: trackers it starts just wait), over real
// HTTP: what it accepts is signaled (or starts the tracker), everything else gets a 4xx/5xx and nothing reaches
// Temporal; health, readiness, limits, graceful shutdown, configuration, and an access log without secrets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isBatchSnapshot, snapshotFromWebhook } from '../../olostep/normalize';
import type { WebhookPayload } from '../../olostep/schemas';
import { searchAttributes, trackerWorkflowId } from '../../workflows/contract';
import { loadWebhookConfig } from '../../webhooks/config';
import {
  createWebhookReceiver,
  redactUrl,
  webhookUrlFor,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '../../webhooks/server';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import {
  HMAC_SECRET,
  SECRET,
  captureLog,
  closedPort,
  freshBatchId,
  payloadFor,
  post,
  postChunked,
  trackerExists,
} from '../../kit/webhooks/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const WRONG = 'whsec_wrong_00000000000000000000';

describe('webhook receiver (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let receiver: WebhookReceiver;
  let base: string;
  let hook: string;
  const log = captureLog();
  const taskQueue = uniqueTaskQueue('wh');
  const extra: WebhookReceiver[] = [];

  /** A receiver on the dev server (or `client`), sharing the log capture, closed after the suite (or before). */
  async function start(options: Partial<WebhookReceiverOptions> = {}): Promise<{ r: WebhookReceiver; url: string }> {
    const r = createWebhookReceiver({
      client: env.client,
      taskQueue,
      secret: SECRET,
      logger: { stream: log },
      ...options,
    });
    extra.push(r);
    return { r, url: await r.listen() };
  }

  before(async () => {
    env = await createDevServerEnv();
    receiver = createWebhookReceiver({ client: env.client, taskQueue, secret: SECRET, logger: { stream: log } });
    base = await receiver.listen();
    hook = webhookUrlFor(base, SECRET);
  });
  after(async () => {
    for (const r of extra) await r.close();
    await receiver?.close();
    await env?.teardown();
  });

  async function assertNothingSignaled(batchId: string): Promise<void> {
    assert.equal(await trackerExists(env.client, batchId), false, `a tracker exists for ${batchId}`);
  }

  /** The argument of every `airopsEvent` signal in the tracker's history, decoded. */
  async function signalArgs(batchId: string): Promise<unknown[]> {
    const history = await env.client.workflow.getHandle(trackerWorkflowId(batchId)).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const signaled = e.workflowExecutionSignaledEventAttributes;
      if (signaled?.signalName !== 'airopsEvent') return [];
      const [arg] = signaled.input?.payloads ?? [];
      return arg === undefined ? [] : [defaultPayloadConverter.fromPayload(arg)];
    });
  }

  describe('accepted deliveries', () => {
    it('secret path: 200 after Temporal accepted it; the tracker is started with the event, id rule and search attribute', async () => {
      const id = freshBatchId();
      const res = await post(hook, payloadFor(id));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { status: 'accepted', workflowId: trackerWorkflowId(id) });
      const handle = env.client.workflow.getHandle(trackerWorkflowId(id));
      const d = await handle.describe();
      assert.equal(d.type, 'trackAirOpsBatch');
      assert.equal(d.taskQueue, taskQueue);
      assert.equal(d.typedSearchAttributes.get(searchAttributes.batchId), id);
      assert.equal(await d.staticSummary(), `AirOps batch ${id}`);
      const history = await handle.fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      assert.ok(started, 'started by signalWithStart');
      const signaled = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes);
      assert.equal(signaled?.workflowExecutionSignaledEventAttributes?.signalName, 'airopsEvent');
    });

    it('the signal carries the payload normalized into the snapshot the tracker merges, not the raw payload', async () => {
      const id = freshBatchId();
      const payload = payloadFor(id, 'scraping_completed');
      assert.equal((await post(hook, payload)).status, 200);
      const [arg, ...more] = await signalArgs(id);
      assert.equal(more.length, 0);
      assert.ok(isBatchSnapshot(arg), `not a snapshot: ${JSON.stringify(arg)}`);
      assert.deepEqual(arg, snapshotFromWebhook(payload as WebhookPayload));
      assert.deepEqual(arg.source, { kind: 'webhook', event: payload.object, sentAt: payload.timestamp });
      assert.deepEqual(arg.unknownValues, []);
    });

    it('a second event for the same batch signals the same tracker (no second run)', async () => {
      const id = freshBatchId();
      assert.equal((await post(hook, payloadFor(id, 'scraping_started'))).status, 200);
      assert.equal((await post(hook, payloadFor(id, 'scraping_completed'))).status, 200);
      assert.equal((await post(hook, payloadFor(id, 'scraping_completed'))).status, 200, 'duplicate');
      const handle = env.client.workflow.getHandle(trackerWorkflowId(id));
      const history = await handle.fetchHistory();
      const signals = history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes) ?? [];
      assert.equal(signals.length, 3);
      const runs = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowId = '${trackerWorkflowId(id)}'` }))
        runs.push(w);
      assert.equal(runs.length, 1);
    });

    it('token instead of the path segment: Authorization: Bearer and X-Webhook-Token', async () => {
      const a = freshBatchId();
      const b = freshBatchId();
      assert.equal(
        (await post(`${base}/webhooks/airops`, payloadFor(a), { authorization: `Bearer ${SECRET}` })).status,
        200,
      );
      assert.equal((await post(`${base}/webhooks/airops`, payloadFor(b), { 'x-webhook-token': SECRET })).status, 200);
      assert.ok(await trackerExists(env.client, a));
      assert.ok(await trackerExists(env.client, b));
    });

    it('a future event.batch.airops.* name is accepted and signaled (its status is still a status)', async () => {
      const id = freshBatchId();
      const res = await post(hook, payloadFor(id, 'event.batch.airops.enriching_skipped'));
      assert.equal(res.status, 200);
      assert.ok(await trackerExists(env.client, id));
      const [arg] = await signalArgs(id);
      assert.ok(isBatchSnapshot(arg));
      assert.deepEqual(arg.unknownValues, ['object=event.batch.airops.enriching_skipped']);
    });
  });

  describe('wrong or missing secret: 401, nothing signaled', () => {
    const cases: [string, (id: string) => Promise<{ status: number }>][] = [
      ['wrong secret in the path', (id) => post(`${base}/webhooks/airops/${WRONG}`, payloadFor(id))],
      ['no secret at all', (id) => post(`${base}/webhooks/airops`, payloadFor(id))],
      [
        'wrong bearer token',
        (id) => post(`${base}/webhooks/airops`, payloadFor(id), { authorization: `Bearer ${WRONG}` }),
      ],
      ['empty bearer', (id) => post(`${base}/webhooks/airops`, payloadFor(id), { authorization: 'Bearer ' })],
      ['Basic scheme', (id) => post(`${base}/webhooks/airops`, payloadFor(id), { authorization: `Basic ${SECRET}` })],
      ['wrong X-Webhook-Token', (id) => post(`${base}/webhooks/airops`, payloadFor(id), { 'x-webhook-token': WRONG })],
      ['secret prefix only', (id) => post(`${base}/webhooks/airops/${SECRET.slice(0, -1)}`, payloadFor(id))],
      ['secret plus a character', (id) => post(`${base}/webhooks/airops/${SECRET}x`, payloadFor(id))],
      ['right path, wrong token alongside', (id) => post(hook, payloadFor(id), { 'x-webhook-token': WRONG })],
    ];
    for (const [name, send] of cases) {
      it(name, async () => {
        const id = freshBatchId();
        const res = await send(id);
        assert.equal(res.status, 401);
        await assertNothingSignaled(id);
      });
    }
  });

  describe('bad bodies: 4xx, nothing signaled', () => {
    it('malformed JSON → 400 invalid_json', async () => {
      for (const body of ['{', '{"object": "event.batch.airops.completed", "id": "batch_x"', 'not json', '{"a":1}{}']) {
        const res = await post(hook, body);
        assert.equal(res.status, 400, body);
        assert.equal(res.body?.error, 'invalid_json');
      }
    });

    it('empty body → 400', async () => {
      assert.equal((await post(hook, '')).status, 400);
    });

    it('wrong shapes → 400 invalid_payload', async () => {
      const id = freshBatchId();
      const good = payloadFor(id);
      const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== k));
      const bodies: [string, unknown][] = [
        ['an array', [good]],
        ['a string', JSON.stringify('event')],
        ['null', null],
        ['no id', without('id')],
        ['no object', without('object')],
        ['no status', without('status')],
        ['status a number', { ...good, status: 42 }],
        ['id with a slash', { ...good, id: `${id}/../x` }],
        ['id with whitespace', { ...good, id: `${id} x` }],
        ['id a number', { ...good, id: 7 }],
        ['id too long', { ...good, id: 'b'.repeat(300) }],
        ['timestamp a string', { ...good, timestamp: 'yesterday' }],
        ['phase not an object', { ...good, status: { overall: 'in_progress', scraping: 'started' } }],
        ['a count as a string', { ...good, status: { overall: 'x', scraping: { state: 'started', succeeded: '3' } } }],
        ['the general Olostep envelope', { id: 'event_1', object: 'batch.completed', timestamp: 1, data: {} }],
      ];
      for (const [name, body] of bodies) {
        const res = await post(hook, body);
        assert.equal(res.status, 400, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body?.error, 'invalid_payload', name);
      }
      await assertNothingSignaled(id);
    });

    it('an authenticated payload with a negative count → 400 naming the field; nothing started or signaled', async () => {
      const id = freshBatchId();
      const good = payloadFor(id);
      const status = good.status as Record<string, Record<string, unknown>>;
      const bad = { ...good, status: { ...status, scraping: { ...status.scraping, submitted: -5 } } };
      const signaledBefore = receiver.stats().signaled;
      const res = await post(hook, bad);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        error: 'invalid_payload',
        message: 'not an AirOps webhook payload',
        issues: [{ path: 'status.scraping.submitted', message: 'must be a non-negative integer, got -5' }],
      });
      assert.ok(!JSON.stringify(res.body).includes(SECRET));
      // Not started…
      await assertNothingSignaled(id);
      assert.equal(receiver.stats().signaled, signaledBefore);
      // …and not signaled either once a tracker exists: its history keeps the one good event.
      assert.equal((await post(hook, good)).status, 200);
      assert.equal((await post(hook, bad)).status, 400);
      const history = await env.client.workflow.getHandle(trackerWorkflowId(id)).fetchHistory();
      const signals = history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes) ?? [];
      assert.equal(signals.length, 1);
      assert.equal(receiver.stats().signaled, signaledBefore + 1);
    });

    it('fractions, strings and other bad counts → 400 with the path and what was wrong', async () => {
      const id = freshBatchId();
      const good = payloadFor(id);
      const status = good.status as Record<string, Record<string, unknown>>;
      const cases: [string, Record<string, unknown>, { path: string; message: string }][] = [
        [
          'a fraction',
          { ...good, status: { ...status, enriching: { ...status.enriching, items_enriched: 1.5 } } },
          { path: 'status.enriching.items_enriched', message: 'must be a non-negative integer, got 1.5' },
        ],
        [
          'a numeric string',
          { ...good, status: { ...status, scraping: { ...status.scraping, failed: '2' } } },
          { path: 'status.scraping.failed', message: 'must be a non-negative integer, got a string' },
        ],
        [
          'a per-field count',
          { ...good, status: { ...status, analyzing: { ...status.analyzing, fields_to_enrich: { author: -1 } } } },
          { path: 'status.analyzing.fields_to_enrich.author', message: 'must be a non-negative integer, got -1' },
        ],
        [
          'total_urls',
          { ...good, total_urls: -10 },
          { path: 'total_urls', message: 'must be a non-negative integer, got -10' },
        ],
      ];
      for (const [name, body, issue] of cases) {
        const res = await post(hook, body);
        assert.equal(res.status, 400, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body?.error, 'invalid_payload', name);
        assert.deepEqual(res.body?.issues, [issue], name);
      }
      await assertNothingSignaled(id);
      // Zero is a count like any other.
      const zeros = { ...good, total_urls: 0, status: { ...status, scraping: { ...status.scraping, submitted: 0 } } };
      assert.equal((await post(hook, zeros)).status, 200);
    });

    it('unknown event types (not event.batch.airops.*) → 422 unsupported_event', async () => {
      const id = freshBatchId();
      for (const object of [
        'batch.completed',
        'event.batch.completed',
        'event.crawl.completed',
        'EVENT.BATCH.AIROPS.COMPLETED',
        'event.batch.airops.',
        'x',
      ]) {
        const res = await post(hook, { ...payloadFor(id), object });
        assert.equal(res.status, 422, object);
        assert.equal(res.body?.error, 'unsupported_event');
      }
      await assertNothingSignaled(id);
    });

    it('a body over 1 MiB → 413, declared or chunked', async () => {
      const id = freshBatchId();
      const big = { ...payloadFor(id), padding: 'x'.repeat(1_048_576) };
      const res = await post(hook, big);
      assert.equal(res.status, 413);
      assert.equal(res.body?.error, 'payload_too_large');
      // Without Content-Length (chunked): still cut off at the limit.
      const head = JSON.stringify(payloadFor(id)).slice(0, -1);
      const chunks = [head, ...Array.from({ length: 20 }, (_, i) => `,"p${i}":"${'y'.repeat(65_536)}"`), '}'];
      const streamed = await postChunked(hook, chunks);
      assert.equal(streamed.status, 413);
      await assertNothingSignaled(id);
    });

    it('just under the limit is still read (and then judged on its shape)', async () => {
      const id = freshBatchId();
      const body = JSON.stringify({ ...payloadFor(id), padding: '' });
      const padded = body.replace('"padding":""', `"padding":"${'z'.repeat(1_048_576 - body.length)}"`);
      assert.equal(Buffer.byteLength(padded), 1_048_576);
      const res = await post(hook, padded);
      assert.equal(res.status, 200);
    });

    it('not JSON (text/plain, form, none) → 415', async () => {
      const id = freshBatchId();
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const res = await fetch(hook, {
          method: 'POST',
          headers: { 'content-type': type },
          body: JSON.stringify(payloadFor(id)),
        });
        assert.equal(res.status, 415, type);
      }
      await assertNothingSignaled(id);
    });

    it('unknown routes → 404 without echoing the path; GET on the webhook → 404', async () => {
      const res = await post(`${base}/webhooks/other/${SECRET}`, payloadFor(freshBatchId()));
      assert.equal(res.status, 404);
      assert.ok(!JSON.stringify(res.body).includes(SECRET));
      assert.equal((await fetch(hook)).status, 404);
    });
  });

  describe('HMAC (ready for when Olostep signs)', () => {
    it('with hmacSecret: a valid X-Olostep-Signature passes; missing, wrong or over another body → 401', async () => {
      const { url } = await start({ hmacSecret: HMAC_SECRET });
      const signedHook = webhookUrlFor(url, SECRET);
      const sign = (raw: string) => `sha256=${createHmac('sha256', HMAC_SECRET).update(raw).digest('hex')}`;
      const ok = freshBatchId();
      const raw = JSON.stringify(payloadFor(ok));
      assert.equal((await post(signedHook, raw, { 'x-olostep-signature': sign(raw) })).status, 200);
      assert.ok(await trackerExists(env.client, ok));

      const bad = freshBatchId();
      const rawBad = JSON.stringify(payloadFor(bad));
      const other = JSON.stringify(payloadFor(bad, 'completed'));
      for (const sig of [undefined, 'sha256=00', sign(other), sign(rawBad).toUpperCase(), `sha1=${'a'.repeat(40)}`]) {
        const res = await post(signedHook, rawBad, sig === undefined ? {} : { 'x-olostep-signature': sig });
        assert.equal(res.status, 401, String(sig));
      }
      await assertNothingSignaled(bad);
    });
  });

  describe('Temporal unreachable', () => {
    it('5xx (503 + Retry-After) within the signal timeout; /readyz 503; /healthz 200', async () => {
      const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
      try {
        const client = new Client({ connection });
        const { r, url } = await start({ client, signalTimeoutMs: 1_000, readinessTimeoutMs: 500 });
        const t0 = Date.now();
        const res = await post(webhookUrlFor(url, SECRET), payloadFor(freshBatchId()));
        const ms = Date.now() - t0;
        assert.equal(res.status, 503);
        assert.equal(res.body?.error, 'temporal_unavailable');
        assert.equal(res.headers.get('retry-after'), '30');
        assert.ok(ms < 3_000, `answered after ${ms} ms`);
        assert.equal((await fetch(`${url}/readyz`)).status, 503);
        assert.equal((await fetch(`${url}/healthz`)).status, 200);
        await r.close(); // waits for the Temporal calls it gave up on, before their connection goes
      } finally {
        await connection.close();
      }
    });

    it('/readyz 200 and /healthz 200 when Temporal answers', async () => {
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready' });
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    });
  });

  describe('limits and shutdown', () => {
    it('too many failed authentications from one IP → 429 for its further failures; the right secret is never throttled', async () => {
      const { url } = await start({ authFailureLimit: { max: 3, windowMs: 60_000 }, trustProxy: true });
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      const wrong = () => post(`${url}/webhooks/airops/${WRONG}`, payloadFor(freshBatchId()), from('203.0.113.7'));
      for (let i = 0; i < 3; i++) assert.equal((await wrong()).status, 401);
      const id = freshBatchId();
      const blocked = await post(`${url}/webhooks/airops/${WRONG}`, payloadFor(id), from('203.0.113.7'));
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      await assertNothingSignaled(id);
      // Another IP still gets plain 401s; the right secret gets through from both.
      assert.equal(
        (await post(`${url}/webhooks/airops/${WRONG}`, payloadFor(freshBatchId()), from('203.0.113.8'))).status,
        401,
      );
      assert.equal((await post(webhookUrlFor(url, SECRET), payloadFor(id), from('203.0.113.7'))).status, 200);
      assert.ok(await trackerExists(env.client, id));
    });

    it('more deliveries in flight than maxInFlight → 503 busy at once', async () => {
      const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
      try {
        const { r, url } = await start({ client: new Client({ connection }), maxInFlight: 1, signalTimeoutMs: 1_500 });
        const slow = post(webhookUrlFor(url, SECRET), payloadFor(freshBatchId()));
        await new Promise((r) => setImmediate(r));
        let busy = await post(webhookUrlFor(url, SECRET), payloadFor(freshBatchId()));
        // The first request may not have reached the handler yet; try a few times while it waits on Temporal.
        for (let i = 0; i < 20 && busy.body?.error !== 'busy'; i++) {
          busy = await post(webhookUrlFor(url, SECRET), payloadFor(freshBatchId()));
        }
        assert.equal(busy.status, 503);
        assert.equal(busy.body?.error, 'busy');
        assert.equal((await slow).body?.error, 'temporal_unavailable');
        await r.close();
      } finally {
        await connection.close();
      }
    });

    it('graceful shutdown: an in-flight delivery still gets its answer; then the port is closed', async () => {
      const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
      try {
        const r = createWebhookReceiver({
          client: new Client({ connection }),
          secret: SECRET,
          signalTimeoutMs: 1_000,
          logger: { stream: log },
        });
        const url = await r.listen();
        const inflight = post(webhookUrlFor(url, SECRET), payloadFor(freshBatchId()));
        while (r.stats().inFlight === 0) await new Promise((res) => setTimeout(res, 5));
        const t0 = Date.now();
        await r.close();
        const answer = await inflight;
        assert.equal(answer.status, 503, 'the in-flight request was answered, not dropped');
        assert.ok(Date.now() - t0 >= 500, 'close waited for the in-flight delivery');
        await assert.rejects(fetch(`${url}/healthz`));
      } finally {
        await connection.close();
      }
    });
  });

  describe('access log', () => {
    it('one line per request, the secret never in it (the structured redaction alone suffices)', async () => {
      await post(hook, payloadFor(freshBatchId()));
      await post(`${hook}?token=${SECRET}`, payloadFor(freshBatchId()));
      await post(`${base}/webhooks/airops`, payloadFor(freshBatchId()), { authorization: `Bearer ${SECRET}` });
      await post(`${base}/not/${SECRET}`, '{');
      const all = log.lines.join('');
      assert.ok(log.lines.length > 50, `${log.lines.length} lines`);
      for (const s of [SECRET, WRONG, HMAC_SECRET, SECRET.slice(0, 16)])
        assert.ok(!all.includes(s), 'a secret is in the log');
      assert.ok(!all.includes('[scrubbed]'), 'the last-resort scrubber had to act');
      const access = log.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'webhook request');
      assert.ok(
        access.some((l) => l.path === '/webhooks/airops/[secret]' && l.status === 200 && typeof l.batchId === 'string'),
      );
      assert.ok(access.some((l) => l.path === '/webhooks/airops/[secret]?[redacted]'));
      assert.ok(access.some((l) => l.path === '/not/[redacted]' && l.status === 404));
      assert.ok(access.some((l) => l.status === 401 && l.code === 'unauthorized'));
      assert.ok(access.every((l) => typeof l.ms === 'number' && typeof l.method === 'string'));
    });

    it('redactUrl: secret segment, query string and long segments', () => {
      assert.equal(redactUrl(`/webhooks/airops/${SECRET}`), '/webhooks/airops/[secret]');
      assert.equal(redactUrl(`/webhooks/airops/${SECRET}?a=b`), '/webhooks/airops/[secret]?[redacted]');
      assert.equal(redactUrl('/webhooks/airops'), '/webhooks/airops');
      assert.equal(redactUrl(`/hooks/${SECRET}`, '/hooks'), '/hooks/[secret]');
      assert.equal(redactUrl(`/x/${SECRET}/y`), '/x/[redacted]/y');
      assert.equal(redactUrl('/healthz'), '/healthz');
    });
  });

  describe('configuration and URL helper', () => {
    it('webhookUrlFor builds <base><path>/<secret> and refuses weak secrets and bad bases', () => {
      assert.equal(
        webhookUrlFor('https://hooks.example.com', SECRET),
        `https://hooks.example.com/webhooks/airops/${SECRET}`,
      );
      assert.equal(
        webhookUrlFor('https://hooks.example.com/', SECRET),
        `https://hooks.example.com/webhooks/airops/${SECRET}`,
      );
      assert.equal(webhookUrlFor('https://example.com/api/', SECRET, '/wh'), `https://example.com/api/wh/${SECRET}`);
      assert.throws(() => webhookUrlFor('https://x.test', 'short'), /at least 16/);
      assert.throws(() => webhookUrlFor('https://x.test', 'has space 0123456789'), /may only contain/);
      assert.throws(() => webhookUrlFor('ftp://x.test', SECRET), /http/);
      assert.throws(() => webhookUrlFor('not a url', SECRET), /http/);
      assert.throws(() => webhookUrlFor('https://x.test', SECRET, 'no-slash'), /path/);
    });

    it('createWebhookReceiver refuses a weak secret without printing it', () => {
      assert.throws(
        () => createWebhookReceiver({ client: env.client, secret: 'tooshort' }),
        (err: Error) => err instanceof RangeError && !err.message.includes('tooshort'),
      );
      assert.throws(() => createWebhookReceiver({ client: env.client, secret: SECRET, path: '/a/' }), /path/);
      assert.throws(() => createWebhookReceiver({ client: env.client, secret: SECRET, bodyLimit: 10 }), /bodyLimit/);
    });

    it('loadWebhookConfig: defaults, then one line naming each bad variable and never a secret value', () => {
      const c = loadWebhookConfig({ WEBHOOK_SECRET: SECRET });
      assert.equal(c.WEBHOOK_PORT, 8788);
      assert.equal(c.WEBHOOK_HOST, '127.0.0.1');
      assert.equal(c.WEBHOOK_PATH, '/webhooks/airops');
      assert.equal(c.WEBHOOK_BODY_LIMIT, 1_048_576);
      assert.equal(c.WEBHOOK_HMAC_SECRET, undefined);
      assert.equal(c.temporal.address, 'localhost:7233');
      assert.equal(c.TEMPORAL_ADDRESS, 'localhost:7233');
      assert.equal(c.temporal.namespace, 'default');
      assert.equal(c.temporal.tls, false);
      assert.equal(c.TASK_QUEUE, 'airops-batches');
      assert.equal(c.WEBHOOK_TRUST_PROXY, false);
      const full = loadWebhookConfig({
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_PORT: '9000',
        WEBHOOK_PATH: '/hooks/olostep',
        WEBHOOK_BODY_LIMIT: '65536',
        WEBHOOK_HMAC_SECRET: 'any chars at all, 16+ long',
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'temporal-api-key-not-printed',
        TASK_QUEUE: 'q',
        WEBHOOK_TRUST_PROXY: 'true',
      });
      assert.equal(full.WEBHOOK_PORT, 9000);
      assert.equal(full.WEBHOOK_BODY_LIMIT, 65_536);
      assert.equal(full.WEBHOOK_TRUST_PROXY, true);
      // The Temporal connection is read like the worker's (envconfig): an API key turns TLS on, as for Cloud.
      assert.equal(full.temporal.address, 'temporal:7233');
      assert.equal(full.temporal.namespace, 'ns.acct');
      assert.equal(full.temporal.apiKey, true);
      assert.equal(full.temporal.tls, true);

      const weak = 'weak-secret-xyz';
      assert.throws(
        () =>
          loadWebhookConfig({
            WEBHOOK_SECRET: weak,
            WEBHOOK_PORT: 'eighty',
            WEBHOOK_BODY_LIMIT: '5',
            TEMPORAL_ADDRESS: 'http://x',
          }),
        (err: Error) => {
          assert.equal(err.name, 'WebhookConfigError');
          assert.ok(!err.message.includes('\n'), 'one line');
          assert.ok(!err.message.includes(weak), 'the secret value is printed');
          for (const v of ['WEBHOOK_SECRET', 'WEBHOOK_PORT', 'WEBHOOK_BODY_LIMIT', 'TEMPORAL_ADDRESS'])
            assert.match(err.message, new RegExp(v));
          return true;
        },
      );
      assert.throws(() => loadWebhookConfig({}), /WEBHOOK_SECRET is required/);
      assert.throws(() => loadWebhookConfig({ WEBHOOK_SECRET: `${SECRET}/x` }), /WEBHOOK_SECRET may only contain/);
      assert.throws(
        () => loadWebhookConfig({ WEBHOOK_SECRET: SECRET, WEBHOOK_HMAC_SECRET: 'short' }),
        /WEBHOOK_HMAC_SECRET/,
      );
      assert.throws(() => loadWebhookConfig({ WEBHOOK_SECRET: SECRET, WEBHOOK_PATH: 'webhooks' }), /WEBHOOK_PATH/);
    });
  });
});
