// Bad input sent raw: every malformed create body gets 400 validation_error with details naming the path.
// Where the OpenAPI request schema can express the rule, ajv must refuse the body too (both agree).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import type { ErrorBody } from '../../simulator/types';
import { loadOpenApi, type OpenApiValidators } from './openapi';
import { request, startManual } from './helpers';

const ok = { url: 'https://example.com/a', custom_id: 'a' };
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${i}`, custom_id: `c${i}` }));
const meta = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

interface BadCase {
  name: string;
  /** Sent as-is when a string, JSON-encoded otherwise. */
  body: unknown;
  /** A path the details must name. */
  path: string;
  /** Whether the OpenAPI schema can express this rule (then ajv must refuse the body as well). */
  schema?: boolean;
}

const BAD: BadCase[] = [
  { name: 'not JSON', body: '{"items": [', path: 'body' },
  { name: 'empty body', body: '', path: 'body' },
  { name: 'JSON array', body: [ok], path: 'body', schema: true },
  { name: 'JSON null', body: 'null', path: 'body' },
  { name: 'JSON string', body: '"items"', path: 'body' },
  { name: 'items missing', body: { brands: ['x'] }, path: 'items', schema: true },
  { name: 'items not an array', body: { items: ok }, path: 'items', schema: true },
  { name: 'items empty', body: { items: [] }, path: 'items', schema: true },
  { name: 'items over 10,000', body: { items: many(10_001) }, path: 'items', schema: true },
  { name: 'item not an object', body: { items: ['https://example.com'] }, path: 'items[0]', schema: true },
  { name: 'url missing', body: { items: [{ custom_id: 'a' }] }, path: 'items[0].url', schema: true },
  { name: 'url not a string', body: { items: [{ url: 42, custom_id: 'a' }] }, path: 'items[0].url', schema: true },
  {
    name: 'url not a URL',
    body: { items: [ok, { url: 'not a url', custom_id: 'b' }] },
    path: 'items[1].url',
    schema: true,
  },
  {
    name: 'url relative',
    body: { items: [{ url: '/blog/post', custom_id: 'a' }] },
    path: 'items[0].url',
    schema: true,
  },
  { name: 'url ftp scheme', body: { items: [{ url: 'ftp://example.com/f', custom_id: 'a' }] }, path: 'items[0].url' },
  {
    name: 'url with spaces',
    body: { items: [{ url: 'https://exa mple.com/', custom_id: 'a' }] },
    path: 'items[0].url',
    schema: true,
  },
  { name: 'custom_id missing', body: { items: [{ url: ok.url }] }, path: 'items[0].custom_id', schema: true },
  {
    name: 'custom_id empty',
    body: { items: [{ url: ok.url, custom_id: '' }] },
    path: 'items[0].custom_id',
    schema: true,
  },
  {
    name: 'custom_id too long',
    body: { items: [{ url: ok.url, custom_id: 'x'.repeat(256) }] },
    path: 'items[0].custom_id',
    schema: true,
  },
  {
    name: 'custom_id a number',
    body: { items: [{ url: ok.url, custom_id: 7 }] },
    path: 'items[0].custom_id',
    schema: true,
  },
  { name: 'brands not an array', body: { items: [ok], brands: 'Acme' }, path: 'brands', schema: true },
  { name: 'brand empty', body: { items: [ok], brands: ['Acme', ''] }, path: 'brands[1]', schema: true },
  { name: 'brand too long', body: { items: [ok], brands: ['b'.repeat(101)] }, path: 'brands[0]', schema: true },
  { name: 'brand not a string', body: { items: [ok], brands: [{ name: 'Acme' }] }, path: 'brands[0]', schema: true },
  { name: 'country unknown code', body: { items: [ok], country: 'XX' }, path: 'country' },
  { name: 'country a name', body: { items: [ok], country: 'Germany' }, path: 'country' },
  { name: 'country not a string', body: { items: [ok], country: 1 }, path: 'country', schema: true },
  { name: 'webhook not a URL', body: { items: [ok], webhook: 'my-server/hook' }, path: 'webhook', schema: true },
  { name: 'webhook a number', body: { items: [ok], webhook: 8080 }, path: 'webhook', schema: true },
  { name: 'metadata an array', body: { items: [ok], metadata: ['a'] }, path: 'metadata', schema: true },
  { name: 'metadata 51 keys', body: { items: [ok], metadata: meta(51) }, path: 'metadata', schema: true },
  {
    name: 'metadata key over 40',
    body: { items: [ok], metadata: { ['k'.repeat(41)]: 'v' } },
    path: `metadata.${'k'.repeat(41)}`,
  },
  { name: 'metadata key with [', body: { items: [ok], metadata: { 'a[0]': 'v' } }, path: 'metadata.a[0]' },
  {
    name: 'metadata value over 500',
    body: { items: [ok], metadata: { k: 'v'.repeat(501) } },
    path: 'metadata.k',
    schema: true,
  },
  {
    name: 'metadata value an object',
    body: { items: [ok], metadata: { k: { nested: 1 } } },
    path: 'metadata.k',
    schema: true,
  },
  { name: 'metadata value an array', body: { items: [ok], metadata: { k: [1, 2] } }, path: 'metadata.k', schema: true },
  { name: 'metadata value null', body: { items: [ok], metadata: { k: null } }, path: 'metadata.k', schema: true },
];

void describe('malformed create bodies → 400 validation_error naming the path', () => {
  let sim: SimulatorHandle;
  let openApi: OpenApiValidators;
  before(async () => {
    sim = await startManual();
    openApi = loadOpenApi();
  });
  after(() => sim.close());

  void test(`there are at least 20 cases (${BAD.length})`, () => assert.ok(BAD.length >= 20));

  for (const c of BAD) {
    void test(c.name, async () => {
      const opts = typeof c.body === 'string' ? { rawBody: c.body } : { body: c.body };
      const res = await request(sim, 'POST', '/v1/batches-airops', opts);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      const body = res.json as ErrorBody;
      assert.equal(body.error_code, 'validation_error');
      assert.ok(body.error_message.length > 0);
      assert.ok(Array.isArray(body.details) && body.details.length > 0, 'non-empty details');
      for (const d of body.details) {
        assert.equal(typeof d.path, 'string');
        assert.ok(d.message.length > 0 && d.code.length > 0);
      }
      assert.ok(
        body.details.some((d) => d.path === c.path),
        `details name ${c.path}: ${JSON.stringify(body.details.map((d) => d.path))}`,
      );
      if (c.schema) assert.notDeepEqual(openApi.validate('CreateBatchRequest', c.body), [], 'ajv refuses it too');
    });
  }

  void test('every problem is reported, not only the first', async () => {
    const res = await request(sim, 'POST', '/v1/batches-airops', {
      body: {
        items: [{ url: 'nope', custom_id: '' }, ok],
        brands: [''],
        country: 'ZZ',
        webhook: 'x',
        metadata: { k: {} },
      },
    });
    assert.deepEqual(
      (res.json as ErrorBody).details!.map((d) => d.path),
      ['items[0].url', 'items[0].custom_id', 'brands[0]', 'country', 'webhook', 'metadata.k'],
    );
  });

  void test('no batch is created by a rejected body', async () => {
    const before = sim.batchIds().length;
    await request(sim, 'POST', '/v1/batches-airops', { body: { items: [] } });
    assert.equal(sim.batchIds().length, before);
  });

  void test('valid edge cases are accepted (and valid against the OpenAPI request schema)', async () => {
    const bodies: unknown[] = [
      { items: [ok] },
      { items: many(10_000) },
      { items: [{ url: 'http://a.b', custom_id: 'x'.repeat(255) }], brands: ['b'.repeat(100)], country: 'RANDOM' },
      { items: [ok], country: 'gb', webhook: null, metadata: { s: 'v'.repeat(500), ['k'.repeat(40)]: 'x' } },
      { items: [ok, ok], metadata: meta(50), brands: [] },
      { items: [ok], future_field: 'ignored' },
    ];
    for (const body of bodies) {
      const res = await request(sim, 'POST', '/v1/batches-airops', { body });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.deepEqual(openApi.validate('CreateBatchRequest', body), []);
    }
    // Numbers and booleans in metadata are coerced to strings (Olostep-wide rule, docs/airops-api.md#create-request), although the
    // OpenAPI Metadata schema only lists strings.
    const coerced = { items: [ok], metadata: { n: 12, f: 1.5, b: true } };
    assert.equal((await request(sim, 'POST', '/v1/batches-airops', { body: coerced })).status, 200);
    assert.notDeepEqual(openApi.validate('CreateBatchRequest', coerced), []);
  });

  void test('oversized bodies get 413', async () => {
    const small = await startManual({ maxBodyBytes: 1_000 });
    try {
      const res = await request(small, 'POST', '/v1/batches-airops', { body: { items: many(100) } });
      assert.equal(res.status, 413);
      assert.equal((res.json as ErrorBody).error_code, 'payload_too_large');
    } finally {
      await small.close();
    }
  });
});
