// The control API over HTTP (/_sim/...), for the CLI and other processes: same bearer key, JSON in and out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import type { GroundTruth } from '../../simulator/lifecycle';
import { T0, createBatch, items, request, startManual } from './helpers';

void describe('/_sim control API', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startManual();
  });
  after(() => sim.close());

  void test('GET /_sim lists the routes; GET /_sim/clock', async () => {
    const index = await request(sim, 'GET', '/_sim');
    assert.equal(index.status, 200);
    assert.ok((index.json as { endpoints: string[] }).endpoints.length >= 10);
    const clock = await request(sim, 'GET', '/_sim/clock');
    assert.deepEqual(clock.json, { mode: 'manual', time_scale: 1, now: T0 });
  });

  void test('script the next batch, read ground truth, advance the clock', async () => {
    const scripted = await request(sim, 'POST', '/_sim/next-scripts', {
      body: { script: { scenario: 'scraping_failed', durations: { scrapingMs: 1_000 } } },
    });
    assert.equal(scripted.status, 200);
    const { id } = await createBatch(sim, { items: items(2) });
    const truth = (await request(sim, 'GET', `/_sim/batches/${id}/ground-truth`)).json as GroundTruth;
    assert.equal(truth.scenario, 'scraping_failed');
    assert.equal(truth.terminalAt, truth.created + 1_000);
    assert.deepEqual(truth, JSON.parse(JSON.stringify(sim.groundTruth(id))));
    const adv = await request(sim, 'POST', '/_sim/clock/advance', { body: { ms: 1_000 } });
    assert.deepEqual(adv.json, { now: truth.created + 1_000 });
    const status = (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json as { status: string };
    assert.equal(status.status, 'failed');
    const list = (await request(sim, 'GET', '/_sim/batches')).json as { batch_ids: string[] };
    assert.ok(list.batch_ids.includes(id));
  });

  void test('re-script a batch at its creation instant; later → 409', async () => {
    const { id } = await createBatch(sim, { items: items(2) });
    const ok = await request(sim, 'PUT', `/_sim/batches/${id}/script`, { body: { scenario: 'analyzing_failed' } });
    assert.equal(ok.status, 200);
    assert.equal(sim.groundTruth(id).scenario, 'analyzing_failed');
    await request(sim, 'POST', '/_sim/clock/advance', { body: { ms: 1 } });
    const late = await request(sim, 'PUT', `/_sim/batches/${id}/script`, { body: { scenario: 'happy' } });
    assert.equal(late.status, 409);
    const missing = await request(sim, 'GET', '/_sim/batches/batch_nope/ground-truth');
    assert.equal(missing.status, 404);
  });

  void test('default script; invalid scripts → 400 with details', async () => {
    assert.equal(
      (await request(sim, 'PUT', '/_sim/default-script', { body: { scenario: 'enrichment_skipped' } })).status,
      200,
    );
    const { id } = await createBatch(sim, { items: items(2) });
    assert.equal(sim.groundTruth(id).scenario, 'enrichment_skipped');
    assert.equal((await request(sim, 'PUT', '/_sim/default-script', { body: null })).status, 200);
    const { id: id2 } = await createBatch(sim, { items: items(2) });
    assert.equal(sim.groundTruth(id2).scenario, 'happy');

    const bad = await request(sim, 'PUT', '/_sim/default-script', { body: { scenario: 'nope', extra: 1 } });
    assert.equal(bad.status, 400);
    assert.ok((bad.json as { details: unknown[] }).details.length >= 2);
    const notJson = await request(sim, 'POST', '/_sim/faults', { rawBody: '{oops' });
    assert.equal(notJson.status, 400);
  });

  void test('faults: add, list, use, delete', async () => {
    const add = await request(sim, 'POST', '/_sim/faults', {
      body: [{ fault: { type: 'rate_limit', retryAfterSeconds: 3 }, endpoints: ['status'] }],
    });
    assert.equal(add.status, 200);
    const ids = (add.json as { ids: string[] }).ids;
    assert.equal(ids.length, 1);
    const listed = (await request(sim, 'GET', '/_sim/faults')).json as { faults: { id: string }[] };
    assert.deepEqual(
      listed.faults.map((f) => f.id),
      ids,
    );
    const { id } = await createBatch(sim, { items: items(1) });
    assert.equal((await request(sim, 'GET', `/v1/batches-airops/${id}`)).status, 429);
    assert.equal((await request(sim, 'DELETE', `/_sim/faults?id=${ids[0]}`)).status, 200);
    assert.equal((await request(sim, 'GET', `/v1/batches-airops/${id}`)).status, 200);
  });

  void test('request and webhook logs are readable; unknown control routes 404', async () => {
    const reqs = (await request(sim, 'GET', '/_sim/requests')).json as { requests: { path: string }[] };
    assert.ok(reqs.requests.some((r) => r.path === '/v1/batches-airops'));
    const hooks = (await request(sim, 'GET', '/_sim/webhook-deliveries')).json as { deliveries: unknown[] };
    assert.ok(Array.isArray(hooks.deliveries));
    assert.equal((await request(sim, 'GET', '/_sim/nope')).status, 404);
  });

  void test('advancing a real clock is refused', async () => {
    const real = await startSimulator({ apiKey: 'k' });
    try {
      const res = await request(real, 'POST', '/_sim/clock/advance', { body: { ms: 10 }, auth: 'Bearer k' });
      assert.equal(res.status, 409);
    } finally {
      await real.close();
    }
  });
});
