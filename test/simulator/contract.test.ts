// Contract: in every scenario, at every transition (manual clock), every simulator body validates against the
// AirOps OpenAPI file (the fixture in test/olostep/fixtures), converted for ajv (test/simulator/openapi.ts), both
// as published (open objects) and "closed" (no undocumented field). Webhook payloads use the schema of
// docs/airops-api.md#webhook-payload (every field required).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import type { BatchScript } from '../../simulator/scenarios';
import { WEBHOOK_EVENTS } from '../../simulator/types';
import { loadOpenApi, responseSchemaName, type OpenApiValidators } from './openapi';
import {
  advanceTo,
  createBatch,
  items,
  request,
  sampleTimes,
  startManual,
  startReceiver,
  type Receiver,
} from './helpers';

let open: OpenApiValidators;
let closed: OpenApiValidators;

function assertValid(name: string, body: unknown, label: string): void {
  for (const [kind, v] of [
    ['open', open],
    ['closed', closed],
  ] as const) {
    const errors = v.validate(name, body);
    assert.deepEqual(errors, [], `${label} does not match ${name} (${kind}): ${JSON.stringify(body)}`);
  }
}

before(() => {
  open = loadOpenApi();
  closed = loadOpenApi({ closed: true });
});

void describe('OpenAPI conversion', () => {
  void test('the documented examples validate, closed, against their own response schemas', () => {
    const doc = open.doc as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    let checked = 0;
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const example = (op.responses['200'] as { content: { 'application/json': { example?: unknown } } }).content[
          'application/json'
        ].example;
        if (example === undefined) continue;
        assertValid(responseSchemaName(open.doc, route, method, '200'), example, `${method} ${route} example`);
        checked++;
      }
    }
    assert.equal(checked, 3);
  });

  void test('nullable, enums and closed objects are enforced', () => {
    const name = 'BatchDetailResponse';
    assert.deepEqual(open.validate('ScrapingStatus', { state: 'started', started_at: null, error: null }), []);
    assert.notDeepEqual(open.validate(name, { status: 'cancelled' }), []);
    assert.notDeepEqual(open.validate('ScrapingStatus', { submitted: null }), [], 'submitted is not nullable');
    assert.notDeepEqual(open.validate('EnrichingStatus', { state: 'started', items_to_enrich: 1.5 }), []);
    assert.deepEqual(open.validate(name, { id: 'b', surprise: 1 }), [], 'open schema allows unknown fields');
    assert.notDeepEqual(closed.validate(name, { id: 'b', surprise: 1 }), [], 'closed schema refuses unknown fields');
    assert.notDeepEqual(open.validate('CreateBatchRequest', { items: [{ url: 'not a uri', custom_id: 'a' }] }), []);
  });
});

interface ScenarioCase {
  name: string;
  script: BatchScript;
  outcome: 'completed' | 'failed';
}

const CASES: ScenarioCase[] = [
  { name: 'happy', script: { scenario: 'happy' }, outcome: 'completed' },
  { name: 'enrichment_skipped', script: { scenario: 'enrichment_skipped' }, outcome: 'completed' },
  { name: 'partial_failures', script: { scenario: 'partial_failures' }, outcome: 'completed' },
  { name: 'scraping_failed', script: { scenario: 'scraping_failed' }, outcome: 'failed' },
  { name: 'analyzing_failed', script: { scenario: 'analyzing_failed' }, outcome: 'failed' },
  { name: 'enriching_failed LLM_BATCH_FAILED', script: { scenario: 'llm_batch_failed' }, outcome: 'failed' },
  { name: 'enriching_failed LLM_BATCH_EXPIRED', script: { scenario: 'llm_batch_expired' }, outcome: 'failed' },
  { name: 'enriching_failed ENRICHING_ERROR', script: { scenario: 'enriching_error' }, outcome: 'failed' },
  { name: 'sync mode (batch_mode false)', script: { scenario: 'happy', batchMode: false }, outcome: 'completed' },
];

void describe('every response validates in every scenario', () => {
  let sim: SimulatorHandle;
  let receiver: Receiver;
  before(async () => {
    sim = await startManual();
    receiver = await startReceiver();
  });
  after(async () => {
    await sim.close();
    await receiver.close();
  });

  const createSchema = () => responseSchemaName(open.doc, '/v1/batches-airops', 'post', '200');
  const statusSchema = () => responseSchemaName(open.doc, '/v1/batches-airops/{batch_id}', 'get', '200');
  const itemsSchema = () => responseSchemaName(open.doc, '/v1/batches-airops/{batch_id}/items', 'get', '200');

  for (const c of CASES) {
    void test(c.name, async () => {
      sim.scriptNextBatch(c.script);
      const before = receiver.received.length;
      const { id, res } = await createBatch(sim, {
        items: items(15),
        brands: ['Acme', 'TechBrand'],
        country: 'US',
        webhook: receiver.url,
        metadata: { project: 'contract', run: 7, dry: false },
      });
      assertValid(createSchema(), res.json, 'create response');

      const truth = sim.groundTruth(id);
      assert.equal(truth.outcome, c.outcome);
      const times = sampleTimes(
        truth.events.map((e) => e.at),
        truth.created,
      );
      assert.ok(times.length >= 5, 'samples every transition');
      for (const t of times) {
        await advanceTo(sim, t);
        const status = await request(sim, 'GET', `/v1/batches-airops/${id}`);
        assert.equal(status.status, 200);
        assertValid(statusSchema(), status.json, `GET status at +${t - truth.created} ms`);

        const list = await request(sim, 'GET', `/v1/batches-airops/${id}/items`);
        assert.equal(list.status, 200);
        const body = list.json as { status: string };
        if (body.status === 'failed') {
          // Known deviation, on purpose: the OpenAPI enum lists only completed/in_progress, but the items body of
          // a failed batch is not documented (docs/airops-api.md#batch-items), and the simulator answers it with
          // `status: "failed"` and partial items. Everything else about the body must still match the documented
          // schema.
          assert.equal(c.outcome, 'failed');
          assertValid(
            itemsSchema(),
            { ...body, status: 'completed' },
            `GET items (failed batch) at +${t - truth.created} ms`,
          );
        } else {
          assertValid(itemsSchema(), body, `GET items at +${t - truth.created} ms`);
        }
      }

      await sim.whenIdle();
      const payloads = receiver.received.slice(before).filter((p) => p.id === id);
      assert.deepEqual(
        payloads.map((p) => p.object),
        truth.events.map((e) => e.type),
      );
      for (const p of payloads) {
        assert.ok((WEBHOOK_EVENTS as readonly string[]).includes(p.object), `known event ${p.object}`);
        assertValid('WebhookPayload', p, `webhook ${p.object}`);
      }
    });
  }

  void test('error bodies validate: 400, 401, 404, 405, 409, 422, 429 and 500 (AirOps format)', async () => {
    const bad = await request(sim, 'POST', '/v1/batches-airops', { body: { items: [] } });
    assert.equal(bad.status, 400);
    assertValid(responseSchemaName(open.doc, '/v1/batches-airops', 'post', '400'), bad.json, '400');

    const unauth = await request(sim, 'GET', '/v1/batches-airops/batch_x', { auth: null });
    assert.equal(unauth.status, 401);
    assertValid(responseSchemaName(open.doc, '/v1/batches-airops', 'post', '401'), unauth.json, '401');

    for (const path of ['/v1/batches-airops/batch_missing', '/v1/batches-airops/batch_missing/items']) {
      const nf = await request(sim, 'GET', path);
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.json, { error_code: 'not_found', error_message: 'Batch not found' });
      assertValid(responseSchemaName(open.doc, '/v1/batches-airops/{batch_id}', 'get', '404'), nf.json, '404');
    }

    const others: unknown[] = [];
    others.push((await request(sim, 'DELETE', '/v1/batches-airops/batch_x')).json); // 405
    const body = { items: items(1) };
    await request(sim, 'POST', '/v1/batches-airops', { body, headers: { 'idempotency-key': 'k-contract' } });
    const reuse = await request(sim, 'POST', '/v1/batches-airops', {
      body: { items: items(2) },
      headers: { 'idempotency-key': 'k-contract' },
    });
    assert.equal(reuse.status, 422);
    others.push(reuse.json);
    sim.faults.set({ fault: { type: 'slow', delayMs: 300 }, count: 1, endpoints: ['create'] });
    const slow = request(sim, 'POST', '/v1/batches-airops', { body, headers: { 'idempotency-key': 'k-slow' } });
    await new Promise((r) => setTimeout(r, 50));
    const inProgress = await request(sim, 'POST', '/v1/batches-airops', {
      body,
      headers: { 'idempotency-key': 'k-slow' },
    });
    assert.equal(inProgress.status, 409);
    others.push(inProgress.json);
    await slow;
    sim.faults.set([
      { fault: { type: 'rate_limit' }, count: 1 },
      { fault: { type: 'server_error', status: 500, format: 'airops' }, count: 1 },
    ]);
    const limited = await request(sim, 'GET', '/v1/batches-airops/batch_x');
    assert.equal(limited.status, 429);
    others.push(limited.json);
    const broken = await request(sim, 'POST', '/v1/batches-airops', { body });
    assert.equal(broken.status, 500);
    assertValid(responseSchemaName(open.doc, '/v1/batches-airops', 'post', '500'), broken.json, '500');
    for (const o of others) assertValid('Error', o, 'error body');
  });
});
