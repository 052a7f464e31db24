// Auth: every API and control route needs `Authorization: Bearer <key>`; the key never reaches a log line, the
// request log, the webhook log or a response. Plus routing: unknown routes 404, wrong methods 405.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import { createBatch, items, request, startManual, startReceiver, type Receiver } from './helpers';

const KEY = 'sk_live_SECRET_7c1e9d55a0';
const WRONG = 'sk_live_WRONG_41f2b87c3d';

void describe('bearer auth', () => {
  let sim: SimulatorHandle;
  let receiver: Receiver;
  const lines: string[] = [];
  const responses: string[] = [];
  before(async () => {
    sim = await startManual({ apiKey: KEY, log: (line) => lines.push(line) });
    receiver = await startReceiver();
  });
  after(async () => {
    await sim.close();
    await receiver.close();
  });

  const routes = [
    ['POST', '/v1/batches-airops'],
    ['GET', '/v1/batches-airops/batch_x'],
    ['GET', '/v1/batches-airops/batch_x/items'],
    ['GET', '/_sim/clock'],
    ['GET', '/_sim/requests'],
    ['POST', '/_sim/faults'],
  ] as const;

  void test('missing key → 401 invalid_api_key on every route', async () => {
    for (const [method, path] of routes) {
      const res = await request(sim, method, path, {
        auth: null,
        body: method === 'POST' ? { items: items(1) } : undefined,
      });
      responses.push(res.text);
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal((res.json as { error_code: string }).error_code, 'invalid_api_key');
      assert.ok((res.json as { error_message: string }).error_message.length > 0);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
  });

  void test('wrong key, wrong scheme, empty token → 401', async () => {
    for (const auth of [
      `Bearer ${WRONG}`,
      `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`,
      KEY,
      'Bearer ',
      `Bearer ${KEY}x`,
    ]) {
      for (const [method, path] of routes) {
        const res = await request(sim, method, path, {
          auth,
          body: method === 'POST' ? { items: items(1) } : undefined,
        });
        responses.push(res.text);
        assert.equal(res.status, 401, `${auth.slice(0, 12)}… ${method} ${path}`);
      }
    }
    assert.equal(sim.batchIds().length, 0, 'no batch created without the key');
  });

  void test('the right key works (scheme case-insensitive)', async () => {
    const res = await request(sim, 'POST', '/v1/batches-airops', {
      auth: `bearer ${KEY}`,
      body: { items: items(2), webhook: receiver.url },
    });
    responses.push(res.text);
    assert.equal(res.status, 200);
    const id = (res.json as { id: string }).id;
    for (const path of [
      `/v1/batches-airops/${id}`,
      `/v1/batches-airops/${id}/items`,
      '/_sim/requests',
      '/_sim/webhook-deliveries',
    ]) {
      const r = await request(sim, 'GET', path, { auth: `Bearer ${KEY}` });
      responses.push(r.text);
      assert.equal(r.status, 200, path);
    }
    // A key in the query string (a client bug) must not be logged either.
    const q = await request(sim, 'GET', `/v1/batches-airops/${id}?api_key=${KEY}`, { auth: `Bearer ${KEY}` });
    assert.equal(q.status, 200);
    await sim.clock.advance(3_600_000);
  });

  void test('the key (right or wrong) appears in no log line, request log, delivery log or response', async () => {
    const haystacks = {
      'log lines': lines.join('\n'),
      'request log': JSON.stringify(sim.requests),
      'webhook log': JSON.stringify(sim.webhookDeliveries),
      'webhook payloads': JSON.stringify(receiver.received),
      responses: responses.join('\n'),
    };
    assert.ok(lines.length > 10 && sim.requests.length > 10, 'logs were written');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of [KEY, WRONG, Buffer.from(`user:${KEY}`).toString('base64')]) {
        assert.ok(!text.includes(secret), `${where} must not contain a key`);
      }
      assert.ok(!/authorization/i.test(where === 'responses' ? '' : text), `${where} has no Authorization header`);
    }
    for (const entry of sim.requests) {
      assert.deepEqual(Object.keys(entry).sort(), [
        'at',
        'batchId',
        'durationMs',
        'endpoint',
        'fault',
        'idempotency',
        'method',
        'path',
        'status',
      ]);
    }
  });
});

void describe('routing', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startManual();
  });
  after(() => sim.close());

  void test('unknown routes → 404; wrong method → 405 with Allow', async () => {
    for (const path of [
      '/',
      '/v1/batches',
      '/v1/batches-airops/',
      '/v1/batches-airops/b/items/extra',
      '/v1/airops-batches',
      '/v1/batches-airops/b/results',
    ]) {
      const res = await request(sim, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.equal((res.json as { error_code: string }).error_code, 'not_found');
    }
    const res = await request(sim, 'GET', '/v1/batches-airops');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    const del = await request(sim, 'DELETE', '/v1/batches-airops/batch_x');
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET');
  });

  void test('batch ids are URL-decoded, unknown ids → 404 Batch not found', async () => {
    const { id } = await createBatch(sim, { items: items(1) });
    assert.equal((await request(sim, 'GET', `/v1/batches-airops/${encodeURIComponent(id)}`)).status, 200);
    const nf = await request(sim, 'GET', `/v1/batches-airops/${encodeURIComponent('batch_ü/..')}`);
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json, { error_code: 'not_found', error_message: 'Batch not found' });
  });
});
