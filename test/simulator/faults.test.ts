// Fault injection: each fault type is observable from a client, rules can be global or per batch, per
// endpoint, "next N" or probabilistic (seeded, reproducible), and clear() restores normal answers.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import { loadOpenApi } from './openapi';
import { createBatch, items, request, startManual } from './helpers';

void describe('fault injection', () => {
  let sim: SimulatorHandle;
  let batchId: string;
  before(async () => {
    sim = await startManual();
    batchId = (await createBatch(sim, { items: items(3) })).id;
  });
  after(() => sim.close());
  afterEach(() => sim.faults.clear());

  const get = (id = batchId, opts: { signal?: AbortSignal } = {}) =>
    request(sim, 'GET', `/v1/batches-airops/${id}`, opts);

  void test('server_error: 500/502/503/504 in every documented error body format', async () => {
    const expectations = {
      airops: (r: { json: unknown; headers: Headers }) => {
        assert.match(r.headers.get('content-type')!, /^application\/json/);
        assert.equal(typeof (r.json as { error_code: string }).error_code, 'string');
      },
      problem: (r: { json: unknown; headers: Headers }) => {
        assert.match(r.headers.get('content-type')!, /^application\/problem\+json/);
        const b = r.json as { object: string; type: string; status: number; created: number; id: string };
        assert.equal(b.object, 'error');
        assert.match(b.type, /^https:\/\/docs\.olostep\.com\/api-reference\/errors\//);
        assert.match(b.id, /^error_/);
        assert.ok(b.created < 1e11, 'created in seconds');
      },
      legacy_message: (r: { json: unknown }) =>
        assert.equal((r.json as { malformed_request: boolean }).malformed_request, false),
      legacy_error: (r: { json: unknown }) =>
        assert.equal(typeof (r.json as { error: { message: string } }).error.message, 'string'),
      text: (r: { json: unknown; headers: Headers; text: string }) => {
        assert.match(r.headers.get('content-type')!, /^text\/plain/);
        assert.equal(r.json, undefined);
        assert.ok(r.text.length > 0);
      },
      html: (r: { json: unknown; headers: Headers; text: string }) => {
        assert.match(r.headers.get('content-type')!, /^text\/html/);
        assert.match(r.text, /<html>/);
      },
    } as const;
    for (const status of [500, 502, 503, 504] as const) {
      for (const [format, check] of Object.entries(expectations)) {
        sim.faults.set({
          fault: { type: 'server_error', status, format: format as keyof typeof expectations },
          count: 1,
        });
        const r = await get();
        assert.equal(r.status, status, `${status} ${format}`);
        check(r);
        assert.equal((await get()).status, 200, 'count 1: only the next request');
      }
    }
    sim.faults.set({ fault: { type: 'server_error', status: 504, format: 'text' }, count: 1 });
    assert.equal((await get()).text, 'Network error communicating with endpoint');
    sim.faults.set({ fault: { type: 'server_error', status: 503, format: 'legacy_message' }, count: 1 });
    assert.deepEqual((await get()).json, {
      message: 'Not enough resources available for the batch execution.',
      malformed_request: false,
    });
  });

  void test('rate_limit: 429 with Retry-After in seconds (or without the header)', async () => {
    sim.faults.set({ fault: { type: 'rate_limit', retryAfterSeconds: 7 }, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await get();
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '7');
      assert.deepEqual(r.json, {
        error_code: 'rate_limit_exceeded',
        error_message: 'Rate limit exceeded. Retry later.',
      });
    }
    assert.equal((await get()).status, 200);
    sim.faults.set({ fault: { type: 'rate_limit', retryAfterSeconds: null, format: 'problem' }, count: 1 });
    const r = await get();
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
    assert.equal((r.json as { code: string }).code, 'rate_limit_exceeded');
  });

  void test('slow: the answer comes after the delay, beyond a client timeout', async () => {
    sim.faults.set({ fault: { type: 'slow', delayMs: 400 }, count: 2 });
    await assert.rejects(get(batchId, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
    const started = performance.now();
    const r = await get();
    assert.equal(r.status, 200);
    assert.ok(performance.now() - started >= 380, 'delayed');
    const log = sim.requests.filter((e) => e.fault === 'slow');
    assert.ok(log.length >= 1);
  });

  void test('hold: the answer waits until released, then carries the state at release time', async () => {
    const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, count: 1, endpoints: ['status'] });
    const held = get();
    while (sim.faults.held(ruleId) === 0) await new Promise((r) => setImmediate(r));
    const free = await get(); // the rule was for one request: the next one answers at once
    assert.equal(free.status, 200);
    assert.equal(sim.faults.held(), 1);
    const before = sim.clock.now();
    await sim.clock.advance(5_000);
    assert.equal(sim.faults.release(ruleId), 1);
    const r = await held;
    assert.equal(r.status, 200);
    assert.equal(sim.faults.held(), 0);
    assert.ok(sim.clock.now() >= before + 5_000);
    assert.equal(sim.requests.filter((e) => e.fault === 'hold').length, 1);
  });

  void test('hold: POST /_sim/faults/release answers every held request', async () => {
    sim.faults.set({ fault: { type: 'hold' }, count: 2, endpoints: ['status'] });
    const held = [get(), get()];
    while (sim.faults.held() < 2) await new Promise((r) => setImmediate(r));
    const r = await request(sim, 'POST', '/_sim/faults/release');
    assert.deepEqual(r.json, { released: 2 });
    for (const h of await Promise.all(held)) assert.equal(h.status, 200);
  });

  void test('slow create: the batch exists; a retry with the same Idempotency-Key gets 409, then the cached answer', async () => {
    sim.faults.set({ fault: { type: 'slow', delayMs: 300 }, endpoints: ['create'], count: 1 });
    const body = { items: items(2) };
    const headers = { 'idempotency-key': 'slow-create-1' };
    await assert.rejects(
      request(sim, 'POST', '/v1/batches-airops', { body, headers, signal: AbortSignal.timeout(50) }),
      { name: 'TimeoutError' },
    );
    const during = await request(sim, 'POST', '/v1/batches-airops', { body, headers });
    assert.equal(during.status, 409);
    assert.equal((during.json as { error_code: string }).error_code, 'idempotency_key_in_progress');
    await new Promise((r) => setTimeout(r, 350));
    const afterDelay = await request(sim, 'POST', '/v1/batches-airops', { body, headers });
    assert.equal(afterDelay.status, 200);
    assert.equal(afterDelay.headers.get('idempotent-replayed'), 'true');
    assert.ok(sim.batchIds().includes((afterDelay.json as { id: string }).id));
  });

  void test('truncated_json: a complete response whose JSON is cut, or a connection dropped mid-body', async () => {
    sim.faults.set({ fault: { type: 'truncated_json' }, count: 1 });
    const r = await get();
    assert.equal(r.status, 200);
    assert.equal(r.json, undefined, 'not parseable');
    assert.ok(r.text.startsWith('{"id":"batch_'));
    sim.faults.set({ fault: { type: 'truncated_json', mode: 'connection' }, count: 1 });
    await assert.rejects(get(), /terminated|other side closed|aborted/i);
    assert.equal((await get()).status, 200);
  });

  void test('extra_fields: unknown fields at the top, in phases and in items; still valid against the open schema', async () => {
    const openApi = loadOpenApi();
    const closedApi = loadOpenApi({ closed: true });
    sim.faults.set({ fault: { type: 'extra_fields' } });
    const s = (await get()).json as Record<string, Record<string, unknown>>;
    assert.ok('x_sim_unknown' in s && 'request_id' in s);
    assert.ok('progress_pct' in s.scraping! && 'progress_pct' in s.enriching!);
    assert.deepEqual(openApi.validate('BatchDetailResponse', s), []);
    assert.notDeepEqual(closedApi.validate('BatchDetailResponse', s), []);

    await sim.clock.advance(3_600_000);
    const list = (await request(sim, 'GET', `/v1/batches-airops/${batchId}/items`)).json as {
      items: Record<string, unknown>[];
    };
    assert.ok(list.items.every((i) => 'x_sim_confidence' in i));
    assert.deepEqual(openApi.validate('ListBatchItemsResponse', list), []);
    const created = (await request(sim, 'POST', '/v1/batches-airops', { body: { items: items(1) } })).json as Record<
      string,
      unknown
    >;
    assert.ok('x_sim_unknown' in created);
  });

  void test('not_found_after_create: GETs 404 for a window of virtual time after creation, then 200', async () => {
    sim.faults.set({ fault: { type: 'not_found_after_create', windowMs: 5_000 } });
    const { id } = await createBatch(sim, { items: items(1) });
    for (const path of [`/v1/batches-airops/${id}`, `/v1/batches-airops/${id}/items`]) {
      const r = await request(sim, 'GET', path);
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { error_code: 'not_found', error_message: 'Batch not found' });
    }
    await sim.clock.advance(4_999);
    assert.equal((await get(id)).status, 404);
    await sim.clock.advance(1);
    assert.equal((await get(id)).status, 200);
    assert.equal((await get(batchId)).status, 200, 'older batches are outside the window');
  });

  void test('per batch and per endpoint rules leave everything else alone', async () => {
    const other = (await createBatch(sim, { items: items(1) })).id;
    sim.faults.set({
      fault: { type: 'server_error', status: 502, format: 'airops' },
      batchId: other,
      endpoints: ['items'],
    });
    assert.equal((await request(sim, 'GET', `/v1/batches-airops/${other}/items`)).status, 502);
    assert.equal((await get(other)).status, 200, 'status endpoint unaffected');
    assert.equal(
      (await request(sim, 'GET', `/v1/batches-airops/${batchId}/items`)).status,
      200,
      'other batch unaffected',
    );
    assert.equal(sim.faults.list().length, 1);
    sim.faults.clear({ batchId: other });
    assert.equal((await request(sim, 'GET', `/v1/batches-airops/${other}/items`)).status, 200);
  });

  void test('probabilistic rules fire about as often as asked, reproducibly from the seed', async () => {
    const run = async () => {
      const s = await startManual({ seed: 42 });
      try {
        const { id } = await createBatch(s, { items: items(1) });
        s.faults.set({ fault: { type: 'server_error', status: 503, format: 'text' }, probability: 0.3 });
        const statuses: number[] = [];
        for (let i = 0; i < 200; i++) statuses.push((await request(s, 'GET', `/v1/batches-airops/${id}`)).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    const failures = a.filter((x) => x === 503).length;
    assert.ok(failures > 35 && failures < 85, `${failures}/200 failed at p=0.3`);
    assert.deepEqual(a, await run(), 'same seed → same sequence');
  });

  void test('the request log names the injected fault; bad rules are refused', async () => {
    sim.faults.set({ fault: { type: 'server_error', status: 500, format: 'airops' }, count: 1 });
    await get();
    const last = sim.requests.at(-1)!;
    assert.deepEqual([last.status, last.fault, last.endpoint, last.batchId], [500, 'server_error', 'status', batchId]);
    assert.throws(() => sim.faults.set({ fault: { type: 'server_error', status: 501 as never } }), {
      name: 'ZodError',
    });
    assert.throws(() => sim.faults.set({ fault: { type: 'slow' } as never }), { name: 'ZodError' });
  });
});
