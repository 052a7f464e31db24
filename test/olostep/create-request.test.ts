// Create-request validation: every documented limit (docs/airops-api.md#create-request), messages naming the offending item, and
// nothing sent over HTTP when validation fails. The OpenAPI request schema (compiled with ajv) cross-checks
// the zod schema: where the OpenAPI schema can express a limit, both must reject the same input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  CREATE_LIMITS,
  type CreateBatchRequestInput,
  OlostepClient,
  ValidationError,
  validateCreateRequest,
} from '../../olostep';
import { openApiDocument } from './helpers/fixtures';
import { type TestServer, sendJson, startServer } from './helpers/http-server';

const item = (i: number) => ({ url: `https://example.com/page/${i}`, custom_id: `c${i}` });
const one = [item(0)];
const withItems = (items: unknown) => ({ items });
const withMeta = (metadata: unknown) => ({ items: one, metadata });
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, 'v']));

interface Case {
  name: string;
  input: unknown;
  /** Substring the error message (and one detail's `path: message`) must contain. */
  expect: string;
  /** True when the OpenAPI schema alone also rejects it; false when this client is deliberately stricter. */
  openapi: boolean;
}

const cases: Case[] = [
  { name: 'no items field', input: {}, expect: 'items: is required', openapi: true },
  { name: 'empty items', input: withItems([]), expect: 'items: must contain at least 1 item', openapi: true },
  {
    name: '10,001 items',
    input: withItems(Array.from({ length: 10_001 }, (_, i) => item(i))),
    expect: 'items: must contain at most 10000 items, got 10001',
    openapi: true,
  },
  {
    name: 'items not an array',
    input: withItems({ url: 'https://a.test' }),
    expect: 'items: must be an array',
    openapi: true,
  },
  {
    name: 'item not an object',
    input: withItems(['https://a.test']),
    expect: 'items[0]: must be an object',
    openapi: true,
  },
  {
    name: 'bad URL (4th item)',
    input: withItems([item(0), item(1), item(2), { url: 'notaurl', custom_id: 'd' }]),
    expect: 'items[3].url: "notaurl" is not a valid URL',
    openapi: true,
  },
  {
    name: 'URL with a space',
    input: withItems([{ url: 'https://exa mple.com/', custom_id: 'a' }]),
    expect: 'items[0].url: "https://exa mple.com/" is not a valid URL (contains whitespace',
    openapi: true,
  },
  {
    name: 'ftp URL',
    input: withItems([{ url: 'ftp://example.com/file', custom_id: 'a' }]),
    expect: 'items[0].url: "ftp://example.com/file" is not a valid URL (uses "ftp"; only http and https',
    openapi: false,
  },
  {
    name: 'URL not a string',
    input: withItems([{ url: 42, custom_id: 'a' }]),
    expect: 'items[0].url: must be a URL string, got a number',
    openapi: true,
  },
  {
    name: 'missing url',
    input: withItems([item(0), { custom_id: 'b' }]),
    expect: 'items[1].url: is required',
    openapi: true,
  },
  {
    name: 'missing custom_id',
    input: withItems([item(0), item(1), { url: 'https://a.test' }]),
    expect: 'items[2].custom_id: is required',
    openapi: true,
  },
  {
    name: 'empty custom_id',
    input: withItems([{ url: 'https://a.test', custom_id: '' }]),
    expect: 'items[0].custom_id: must not be empty',
    openapi: true,
  },
  {
    name: '256-char custom_id',
    input: withItems([item(0), { url: 'https://a.test', custom_id: 'x'.repeat(256) }]),
    expect: 'items[1].custom_id: must be at most 255 characters, got 256',
    openapi: true,
  },
  {
    name: 'duplicate custom_id',
    input: withItems([
      { url: 'https://a.test/1', custom_id: 'same' },
      { url: 'https://a.test/2', custom_id: 'same' },
    ]),
    expect: 'items[1].custom_id: "same" duplicates items[0].custom_id',
    openapi: false,
  },
  {
    name: 'unknown item field',
    input: withItems([{ ...item(0), title: 'x' }]),
    expect: 'items[0]: unknown field "title"',
    openapi: false,
  },
  {
    name: '51 metadata keys',
    input: withMeta(keys(51)),
    expect: 'metadata: must have at most 50 keys, got 51',
    openapi: true,
  },
  {
    name: '41-char metadata key',
    input: withMeta({ ['k'.repeat(41)]: 'v' }),
    expect: 'key must be at most 40 characters, got 41',
    openapi: false,
  },
  {
    name: 'metadata key with [',
    input: withMeta({ 'tags[0]': 'v' }),
    expect: 'metadata["tags[0]"]: key must not contain "[" or "]"',
    openapi: false,
  },
  {
    name: 'metadata key with ]',
    input: withMeta({ 'a]': 'v' }),
    expect: 'metadata["a]"]: key must not contain',
    openapi: false,
  },
  {
    name: '501-char metadata value',
    input: withMeta({ note: 'x'.repeat(501) }),
    expect: 'metadata.note: value must be at most 500 characters, got 501',
    openapi: true,
  },
  {
    name: '600-char metadata value next to valid ones',
    input: withMeta({ ok: 1, long: 'y'.repeat(500), longer: 'z'.repeat(600) }),
    expect: 'metadata.longer: value must be at most 500 characters, got 600',
    openapi: true,
  },
  {
    name: 'object metadata value',
    input: withMeta({ nested: { a: 1 } }),
    expect: 'metadata.nested: value must be a string, number or boolean, got an object',
    openapi: true,
  },
  {
    name: 'array metadata value',
    input: withMeta({ list: [1, 2] }),
    expect: 'metadata.list: value must be a string, number or boolean, got an array',
    openapi: true,
  },
  {
    name: 'null metadata value',
    input: withMeta({ gone: null }),
    expect: 'metadata.gone: value must be a string, number or boolean, got null',
    openapi: true,
  },
  {
    name: 'metadata is an array',
    input: withMeta(['a']),
    expect: 'metadata: must be an object of string values, got an array',
    openapi: true,
  },
  {
    name: 'empty brand',
    input: { items: one, brands: ['Acme', ''] },
    expect: 'brands[1]: must not be empty',
    openapi: true,
  },
  {
    name: '101-char brand',
    input: { items: one, brands: ['b'.repeat(101)] },
    expect: 'brands[0]: must be at most 100 characters, got 101',
    openapi: true,
  },
  {
    name: 'brands not an array',
    input: { items: one, brands: 'Acme' },
    expect: 'brands: must be an array of strings, got a string',
    openapi: true,
  },
  {
    name: 'bad country',
    input: { items: one, country: 'USA' },
    expect: 'country: "USA" is not "RANDOM" or an ISO 3166-1 alpha-2 code',
    openapi: false,
  },
  {
    name: 'lowercase country',
    input: { items: one, country: 'us' },
    expect: 'country: "us" is not "RANDOM"',
    openapi: false,
  },
  {
    name: 'webhook not a URL',
    input: { items: one, webhook: 'not a url' },
    expect: 'webhook: "not a url" is not a valid URL',
    openapi: true,
  },
  {
    name: 'webhook with a javascript: scheme',
    input: { items: one, webhook: 'javascript:alert(1)' },
    expect: 'webhook: "javascript:alert(1)" is not a valid URL (uses "javascript"',
    openapi: false,
  },
  {
    name: 'misspelt webhook_url',
    input: { items: one, webhook_url: 'https://hooks.test/x' },
    expect: '(request): unknown field "webhook_url" (did you mean "webhook"?)',
    openapi: false,
  },
  { name: 'body is a string', input: 'items', expect: '(request): must be an object, got a string', openapi: true },
  { name: 'body is null', input: null, expect: '(request): must be an object, got null', openapi: true },
  { name: 'body is an array', input: [item(0)], expect: '(request): must be an object, got an array', openapi: true },
];

// OpenAPI 3.0 `nullable` → JSON Schema type unions, so ajv can compile the document's components.
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable' && k !== 'example') out[k] = toJsonSchema(v);
  const src = node as Record<string, unknown>;
  if (src.nullable === true && typeof src.type === 'string') out.type = [src.type, 'null'];
  return out;
}

function openApiRequestValidator(): (data: unknown) => boolean {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = toJsonSchema(openApiDocument().components);
  ajv.addSchema({ $id: 'airops', components });
  const validate = ajv.getSchema('airops#/components/schemas/CreateBatchRequest');
  assert.ok(validate);
  return (data) => validate(data) === true;
}

void describe('validateCreateRequest: malformed requests', () => {
  void test(`there are at least 20 cases (${cases.length})`, () => assert.ok(cases.length >= 20));

  for (const c of cases) {
    void test(c.name, () => {
      assert.throws(
        () => validateCreateRequest(c.input),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.equal(err.name, 'ValidationError');
          assert.equal(err.status, null);
          assert.equal(err.code, 'validation_error');
          assert.equal(err.retryable, false);
          assert.ok(err.message.startsWith('POST /v1/batches-airops: validation_error: invalid create request'));
          assert.ok(
            err.message.includes(c.expect),
            `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(c.expect)}`,
          );
          assert.ok(err.details.length >= 1);
          for (const d of err.details) {
            assert.equal(typeof d.path, 'string');
            assert.equal(typeof d.message, 'string');
            assert.equal(typeof d.code, 'string');
          }
          assert.ok(
            err.details.some((d) => `${d.path}: ${d.message}`.includes(c.expect)),
            `no detail carries ${JSON.stringify(c.expect)}`,
          );
          // Echoed values are cut short: a 10,000-item or 600-char input never lands in the message whole.
          assert.ok(err.message.length < 1000, `message is ${err.message.length} chars`);
          return true;
        },
      );
    });
  }

  void test('all problems are reported at once, the message summarizes the first three', () => {
    try {
      validateCreateRequest({
        items: [{ url: 'nope', custom_id: '' }, { url: 'ftp://x' }],
        brands: [''],
        country: 'xx',
      });
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(
        err.details.map((d) => [d.path, d.code]),
        [
          ['items[0].url', 'invalid_url'],
          ['items[0].custom_id', 'too_small'],
          ['items[1].url', 'invalid_url'],
          ['items[1].custom_id', 'invalid_type'],
          ['brands[0]', 'too_small'],
          ['country', 'invalid_country'],
        ],
      );
      assert.match(
        err.message,
        /\(6 problems\): items\[0\]\.url: .*; items\[0\]\.custom_id: .*; items\[1\]\.url: .*; and 3 more$/,
      );
    }
  });
});

void describe('validateCreateRequest: valid requests and limits', () => {
  void test('boundaries are accepted: 10,000 items, 255-char id, 100-char brand, 50 keys, 40-char key, 500-char value', () => {
    const req = validateCreateRequest({
      items: Array.from({ length: CREATE_LIMITS.maxItems }, (_, i) => item(i)),
      brands: ['b'.repeat(100)],
      metadata: { ...keys(49), ['k'.repeat(40)]: 'v'.repeat(500) },
    });
    assert.equal(req.items.length, 10_000);
    assert.equal(Object.keys(req.metadata ?? {}).length, 50);
    validateCreateRequest({ items: [{ url: 'https://a.test', custom_id: 'x'.repeat(255) }] });
  });

  void test('metadata numbers and booleans become strings; nothing else is added', () => {
    const input: CreateBatchRequestInput = {
      items: one,
      metadata: { n: 5, f: 1.5, neg: -2, t: true, no: false, s: 'x' },
    };
    const req = validateCreateRequest(input);
    assert.deepEqual(req, {
      items: one,
      metadata: { n: '5', f: '1.5', neg: '-2', t: 'true', no: 'false', s: 'x' },
    });
    assert.equal('brands' in req || 'country' in req || 'webhook' in req, false);
  });

  void test('non-finite numbers are refused (JSON cannot carry them)', () => {
    assert.throws(() => validateCreateRequest(withMeta({ x: Number.NaN })), /metadata\.x: value must be a string/);
  });

  void test('country RANDOM or two uppercase letters; webhook null, http(s), localhost and IPs; IDN URLs', () => {
    for (const country of ['RANDOM', 'US', 'GB', 'DE']) validateCreateRequest({ items: one, country });
    for (const webhook of [null, 'https://hooks.test/x', 'http://127.0.0.1:8080/hook', 'http://localhost/h']) {
      validateCreateRequest({ items: one, webhook });
    }
    validateCreateRequest({ items: [{ url: 'https://例え.jp/パス?q=1#frag', custom_id: 'idn' }], brands: [] });
  });
});

void describe('cross-check with the OpenAPI request schema (ajv)', () => {
  const openapiAccepts = openApiRequestValidator();

  void test('the OpenAPI request example and our valid requests pass both', () => {
    const valid = [
      {
        items: [
          { url: 'https://example.com/blog/post-1', custom_id: 'post-1' },
          { url: 'https://example.com/blog/post-2', custom_id: 'post-2' },
        ],
        brands: ['Acme Corp', 'TechBrand'],
        country: 'US',
        webhook: 'https://your-server.com/webhook',
        metadata: { project_id: '12345', source: 'weekly-crawl' },
      },
      { items: one, webhook: null },
    ];
    for (const v of valid) {
      assert.ok(openapiAccepts(v));
      assert.ok(openapiAccepts(validateCreateRequest(v)));
    }
  });

  for (const c of cases) {
    void test(`${c.name}: OpenAPI ${c.openapi ? 'rejects it too' : 'accepts it (this client is stricter)'}`, () => {
      assert.equal(openapiAccepts(c.input), !c.openapi);
    });
  }
});

void describe('nothing is sent when the request is invalid', () => {
  let server: TestServer;
  let client: OlostepClient;
  before(async () => {
    server = await startServer((_req, res) => sendJson(res, 500, { error_code: 'should_not_be_called' }));
    client = new OlostepClient({ apiKey: 'sk_test_SECRET123', baseUrl: server.url });
  });
  after(() => server.close());

  for (const c of cases) {
    void test(`createBatch refuses: ${c.name}`, async () => {
      await assert.rejects(client.createBatch(c.input as CreateBatchRequestInput), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.status, null);
        assert.ok(err.message.includes(c.expect));
        return true;
      });
      assert.equal(server.requests.length, 0);
    });
  }

  for (const key of ['', 'k'.repeat(256), 'has space', 'ключ', 'line\nbreak']) {
    void test(`createBatch refuses Idempotency-Key ${JSON.stringify(key.slice(0, 12))}`, async () => {
      await assert.rejects(client.createBatch({ items: one }, { idempotencyKey: key }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.code, 'invalid_idempotency_key');
        assert.match(err.message, /Idempotency-Key/);
        return true;
      });
      assert.equal(server.requests.length, 0);
    });
  }
});
