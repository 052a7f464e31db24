// Cross-check with the client side: every simulator body, in every scenario, parses with the zod schemas of
// olostep/schemas.ts and normalizes (olostep/normalize.ts) to a snapshot that agrees with the ground truth,
// with no unknown enum values. Item error codes other than SCRAPE_FAILED are deliberate: it is the only item code
// documented, and codes are open strings (docs/airops-api.md#batch-items, docs/airops-api.md#phase-error-codes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import { ERROR_FORMATS } from '../../simulator/faults';
import {
  AirOpsErrorBody,
  BatchItemsResponse,
  BatchStatusResponse,
  CreateBatchResponse,
  ErrorBody,
  WebhookPayload,
} from '../../olostep/schemas';
import { toSnapshot, unknownItemValues } from '../../olostep/normalize';
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

const SCENARIOS = [
  'happy',
  'enrichment_skipped',
  'partial_failures',
  'scraping_failed',
  'analyzing_failed',
  'llm_batch_failed',
  'llm_batch_expired',
] as const;

function parseOk<T>(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown; data?: T } },
  body: unknown,
  label: string,
): T {
  const r = schema.safeParse(body);
  assert.ok(r.success, `${label}: ${JSON.stringify(r.error)}`);
  return r.data as T;
}

void describe('simulator bodies parse with the client schemas (olostep/schemas.ts)', () => {
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

  for (const scenario of SCENARIOS) {
    void test(scenario, async () => {
      const { id, res } = await createBatch(sim, {
        items: items(12),
        brands: ['Acme'],
        webhook: receiver.url,
        metadata: { sim_scenario: scenario },
      });
      const created = parseOk(CreateBatchResponse, res.json, 'create');
      const snap0 = toSnapshot(created);
      assert.ok(snap0);
      assert.deepEqual(snap0.unknownValues, []);
      assert.equal(snap0.overall, 'in_progress');
      assert.equal(snap0.overallDerived, false);

      const truth = sim.groundTruth(id);
      for (const t of sampleTimes(
        truth.events.map((e) => e.at),
        truth.created,
      )) {
        await advanceTo(sim, t);
        const status = parseOk(
          BatchStatusResponse,
          (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json,
          `status @${t}`,
        );
        const snap = toSnapshot(status);
        assert.ok(snap);
        assert.deepEqual(snap.unknownValues, [], `status @${t}`);
        assert.equal(snap.source.kind, 'status');
        const list = parseOk(
          BatchItemsResponse,
          (await request(sim, 'GET', `/v1/batches-airops/${id}/items`)).json,
          `items @${t}`,
        );
        const unknown = unknownItemValues(list).filter((v) => !v.startsWith('items[].error.code='));
        assert.deepEqual(unknown, [], `items @${t}`);
      }
      const final = toSnapshot(
        parseOk(BatchStatusResponse, (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json, 'final'),
      );
      assert.ok(final);
      assert.equal(final.overall, truth.outcome);
      assert.equal(final.scraping.succeeded, truth.final.scraping.succeeded);
      assert.equal(final.enriching.itemsEnriched, truth.final.enriching.items_enriched);

      await sim.whenIdle();
      const hooks = receiver.received.filter((p) => p.id === id);
      assert.equal(hooks.length, truth.events.length);
      for (const p of hooks) {
        const parsed = parseOk(WebhookPayload, p, `webhook ${p.object}`);
        const snap = toSnapshot(parsed);
        assert.ok(snap);
        assert.equal(snap.source.kind, 'webhook');
        assert.deepEqual(snap.unknownValues, [], p.object);
      }
    });
  }

  void test('error bodies: AirOps format and every injected 5xx/429 JSON format', async () => {
    for (const path of ['/v1/batches-airops/batch_missing', '/v1/batches-airops/batch_missing/items']) {
      parseOk(AirOpsErrorBody, (await request(sim, 'GET', path)).json, '404');
    }
    parseOk(AirOpsErrorBody, (await request(sim, 'POST', '/v1/batches-airops', { body: { items: [] } })).json, '400');
    parseOk(AirOpsErrorBody, (await request(sim, 'GET', '/v1/batches-airops/x', { auth: null })).json, '401');
    for (const format of ERROR_FORMATS) {
      sim.faults.set({ fault: { type: 'server_error', status: 503, format }, count: 1 });
      const r = await request(sim, 'GET', '/v1/batches-airops/batch_missing');
      assert.equal(r.status, 503);
      if (format === 'text' || format === 'html') assert.equal(r.json, undefined, 'not JSON: handled before parsing');
      else parseOk(ErrorBody, r.json, `503 ${format}`);
    }
  });
});
