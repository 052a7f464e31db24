// Idempotency-Key on create (docs/airops-api.md#idempotency): same key + same body → the cached response; same key + different
// body → 422 idempotency_key_reuse; 400s do not consume the key; keys live 24 h (virtual).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import { items, request, startManual } from './helpers';

void describe('Idempotency-Key', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startManual();
  });
  after(() => sim.close());

  const post = (body: unknown, key?: string, headerName = 'Idempotency-Key') =>
    request(sim, 'POST', '/v1/batches-airops', { body, headers: key === undefined ? {} : { [headerName]: key } });

  void test('same key + same body → the cached response, one batch', async () => {
    const before = sim.batchIds().length;
    const body = { items: items(3), brands: ['Acme'], metadata: { a: '1', b: '2' } };
    const first = await post(body, 'key-1');
    assert.equal(first.status, 200);
    await sim.clock.advance(60_000);
    // Same body with keys in another order, header name in another case.
    const again = await post(
      { metadata: { b: '2', a: '1' }, brands: ['Acme'], items: items(3) },
      'key-1',
      'IDEMPOTENCY-KEY',
    );
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text, 'byte-identical cached response (created time included)');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(sim.batchIds().length, before + 1);
    assert.equal(sim.requests.at(-1)?.idempotency, 'replayed');
  });

  void test('same key + different body → 422 idempotency_key_reuse', async () => {
    await post({ items: items(1) }, 'key-2');
    const res = await post({ items: items(2) }, 'key-2');
    assert.equal(res.status, 422);
    assert.equal((res.json as { error_code: string }).error_code, 'idempotency_key_reuse');
  });

  void test('without a key every POST creates a new batch', async () => {
    const a = await post({ items: items(1) });
    const b = await post({ items: items(1) });
    assert.notEqual((a.json as { id: string }).id, (b.json as { id: string }).id);
  });

  void test('a 400 does not consume the key; an invalid key is a 400', async () => {
    const bad = await post({ items: [] }, 'key-3');
    assert.equal(bad.status, 400);
    const good = await post({ items: items(1) }, 'key-3');
    assert.equal(good.status, 200);
    const tooLong = await post({ items: items(1) }, 'k'.repeat(256));
    assert.equal(tooLong.status, 400);
    assert.equal((tooLong.json as { details: { path: string }[] }).details[0]?.path, 'headers.Idempotency-Key');
  });

  void test('an injected 5xx/429 does not consume the key', async () => {
    sim.faults.set({ fault: { type: 'server_error', status: 503, format: 'airops' }, count: 1 });
    assert.equal((await post({ items: items(1) }, 'key-4')).status, 503);
    const retry = await post({ items: items(1) }, 'key-4');
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), null, 'first real processing');
  });

  void test('keys expire after 24 h of virtual time', async () => {
    const first = await post({ items: items(1) }, 'key-5');
    await sim.clock.advance(24 * 3_600_000);
    const later = await post({ items: items(1) }, 'key-5');
    assert.equal(later.status, 200);
    assert.notEqual((later.json as { id: string }).id, (first.json as { id: string }).id);
  });
});
