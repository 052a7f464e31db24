// OlostepClient against a real in-process HTTP server on port 0: status → error-class mapping, headers, URL
// encoding, hostile batch ids, timeouts, and that the API key never appears in anything an error exposes.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import axios from 'axios';
import {
  AbortedError,
  ClientConfigError,
  ConflictError,
  ContractViolationError,
  ForbiddenError,
  InvalidBatchIdError,
  NetworkError,
  NotFoundError,
  OlostepClient,
  type OlostepError,
  PaymentRequiredError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
  UnexpectedStatusError,
  ValidationError,
  isOlostepError,
} from '../../olostep';
import { completedItemsBody, specJsonBlocks, statusBody } from './helpers/fixtures';
import { type Handler, type TestServer, closedPort, sendJson, sendText, startServer } from './helpers/http-server';

const SECRET = 'sk_test_SECRET123';
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const BATCH = 'batch_abc123xyz';
const STATUS_PATH = `/v1/batches-airops/${BATCH}`;
const createBody = specJsonBlocks()[0] as Record<string, unknown>;
const request = { items: [{ url: 'https://example.com/a', custom_id: 'a' }] };

/** Fails if the API key can be read from the error in any of the ways a log line or a tracer would. */
function assertNoSecret(err: unknown): void {
  const views = [
    String(err),
    err instanceof Error ? (err.stack ?? '') : '',
    JSON.stringify(err),
    inspect(err, { depth: Infinity, showHidden: true }),
  ];
  if (err instanceof Error && err.cause !== undefined) {
    views.push(
      inspect(err.cause),
      JSON.stringify(err.cause),
      inspect(err.cause, { depth: Infinity, showHidden: true }),
    );
  }
  for (const view of views) assert.ok(!view.includes(SECRET), `secret leaked in: ${view.slice(0, 300)}`);
  assert.ok(!views.join('\n').includes('Bearer sk_'), 'bearer token leaked');
}

type ErrorClass = abstract new (...args: never[]) => OlostepError;

async function expectError<E extends OlostepError>(
  promise: Promise<unknown>,
  cls: ErrorClass & { prototype: E },
  expected: {
    name: string;
    status: number | null;
    retryable: boolean;
    code?: string | null;
    message?: RegExp | string;
  },
): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof cls, `expected ${expected.name}, got ${inspect(caught)}`);
  const err = caught;
  assert.equal(err.name, expected.name);
  assert.ok(isOlostepError(err));
  assert.equal(err.status, expected.status);
  assert.equal(err.retryable, expected.retryable);
  if (expected.code !== undefined) assert.equal(err.code, expected.code);
  if (typeof expected.message === 'string') assert.equal(err.message, expected.message);
  else if (expected.message) assert.match(err.message, expected.message);
  assertNoSecret(err);
  return err;
}

let server: TestServer;
let client: OlostepClient;
const use = (h: Handler) => server.setHandler(h);

before(async () => {
  server = await startServer();
  client = new OlostepClient({
    apiKey: SECRET,
    baseUrl: server.url,
    timeoutMs: 2_000,
    itemsTimeoutMs: 2_000,
    now: () => NOW,
  });
});
after(() => server.close());
afterEach(() => {
  server.requests.length = 0;
});

void describe('successful calls', () => {
  void test('createBatch sends the validated body, auth, JSON headers and Idempotency-Key', async () => {
    use((_req, res) => sendJson(res, 200, createBody));
    const result = await client.createBatch(
      { ...request, metadata: { run: 7, dry: false } },
      { idempotencyKey: 'create-7f3a' },
    );
    assert.equal(result.batchId, 'batch_7q2k');
    assert.equal(result.httpStatus, 200);
    assert.equal(result.snapshot.source.kind, 'create');
    assert.equal(result.snapshot.overall, 'in_progress');
    assert.equal(server.requests.length, 1);
    const [req] = server.requests;
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/batches-airops');
    assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(req.headers['idempotency-key'], 'create-7f3a');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    assert.match(req.headers.accept ?? '', /application\/json/);
    assert.match(req.headers['user-agent'] ?? '', /^airops-temporal\//);
    assert.deepEqual(JSON.parse(req.body), { ...request, metadata: { run: '7', dry: 'false' } });
  });

  void test('no Idempotency-Key header unless one is given', async () => {
    use((_req, res) => sendJson(res, 200, createBody));
    await client.createBatch(request);
    assert.equal(server.requests[0]?.headers['idempotency-key'], undefined);
  });

  void test('any 2xx is accepted for create (201, 202)', async () => {
    for (const status of [201, 202]) {
      use((_req, res) => sendJson(res, status, createBody));
      assert.equal((await client.createBatch(request)).httpStatus, status);
    }
  });

  void test('getBatchStatus returns the parsed body and its snapshot', async () => {
    use((_req, res) => sendJson(res, 200, statusBody({ extra_field: { kept: true } })));
    const { raw, snapshot } = await client.getBatchStatus(BATCH);
    assert.equal(server.requests[0]?.url, STATUS_PATH);
    assert.equal(server.requests[0]?.method, 'GET');
    assert.deepEqual(raw.extra_field, { kept: true });
    assert.equal(snapshot.batchId, BATCH);
    assert.equal(snapshot.source.kind, 'status');
    assert.equal(snapshot.analyzing.state, 'started');
  });

  void test('getBatchItems: finished body', async () => {
    use((_req, res) => sendJson(res, 200, completedItemsBody()));
    const items = await client.getBatchItems(BATCH);
    assert.equal(server.requests[0]?.url, `${STATUS_PATH}/items`);
    assert.equal(items.complete, true);
    assert.equal(items.status, 'completed');
    assert.deepEqual(items.counts, { total: 2, succeeded: 1, failed: 1 });
    assert.equal(items.items.length, 2);
    assert.equal(items.message, null);
    assert.deepEqual(items.unknownValues, []);
  });

  void test('getBatchItems: still-running body (no counts, a message)', async () => {
    use((_req, res) =>
      sendJson(res, 200, { batch_id: BATCH, status: 'in_progress', items: [], message: 'Batch is still processing' }),
    );
    const items = await client.getBatchItems(BATCH);
    assert.equal(items.complete, false);
    assert.equal(items.counts, null);
    assert.deepEqual(items.items, []);
    assert.equal(items.message, 'Batch is still processing');
  });

  void test('batch ids are URL-encoded (emoji and reserved characters)', async () => {
    const seen: string[] = [];
    use((req, res) => {
      seen.push(req.url);
      const id = decodeURIComponent(req.url.split('/')[3] ?? '');
      sendJson(res, 200, statusBody({ id }));
    });
    for (const id of ['batch_🚀', 'batch:1+2=3&x', "batch_é'(*)"]) {
      const { snapshot } = await client.getBatchStatus(id);
      assert.equal(snapshot.batchId, id);
    }
    assert.deepEqual(seen, [
      '/v1/batches-airops/batch_%F0%9F%9A%80',
      '/v1/batches-airops/batch%3A1%2B2%3D3%26x',
      "/v1/batches-airops/batch_%C3%A9'(*)",
    ]);
  });

  void test('baseUrl may carry a path prefix and a trailing slash', async () => {
    const prefixed = new OlostepClient({ apiKey: SECRET, baseUrl: `${server.url}/sim/` });
    use((_req, res) => sendJson(res, 200, statusBody()));
    await prefixed.getBatchStatus(BATCH);
    assert.equal(server.requests[0]?.url, `/sim${STATUS_PATH}`);
  });
});

void describe('HTTP statuses map to error classes', () => {
  void test('400 AirOps body with details → ValidationError with the API details', async () => {
    use((_req, res) =>
      sendJson(res, 400, {
        error_code: 'validation_error',
        error_message: 'Invalid request body',
        details: [{ path: 'items.0.url', message: 'Invalid url', code: 'invalid_string' }],
      }),
    );
    const err = await expectError(client.createBatch(request), ValidationError, {
      name: 'ValidationError',
      status: 400,
      retryable: false,
      code: 'validation_error',
      message: 'POST /v1/batches-airops: 400 validation_error: Invalid request body',
    });
    assert.deepEqual(err.details, [{ path: 'items.0.url', message: 'Invalid url', code: 'invalid_string' }]);
  });

  void test('400 RFC 7807 body with errors[] → ValidationError, loc/msg/type mapped', async () => {
    use((_req, res) =>
      sendJson(
        res,
        400,
        {
          id: 'error_1',
          object: 'error',
          code: 'validation_error',
          type: 'https://docs.olostep.com/api-reference/errors/validation-error',
          status: 400,
          title: 'Bad Request',
          detail: 'Request validation failed',
          created: 1760000000,
          errors: [{ loc: ['body', 'items', 0, 'url'], msg: 'invalid URL', type: 'value_error.url' }],
        },
        { 'content-type': 'application/problem+json' },
      ),
    );
    const err = await expectError(client.createBatch(request), ValidationError, {
      name: 'ValidationError',
      status: 400,
      retryable: false,
      code: 'validation_error',
    });
    assert.deepEqual(err.details, [{ path: 'body.items[0].url', message: 'invalid URL', code: 'value_error.url' }]);
  });

  void test('401 → UnauthorizedError; a key echoed by the server is redacted', async () => {
    use((_req, res) =>
      sendJson(res, 401, {
        error_code: 'invalid_api_key',
        error_message: `Invalid API key: ${SECRET} (Bearer ${SECRET})`,
      }),
    );
    const err = await expectError(client.getBatchStatus(BATCH), UnauthorizedError, {
      name: 'UnauthorizedError',
      status: 401,
      retryable: false,
      code: 'invalid_api_key',
    });
    assert.match(err.message, /\[REDACTED\]/);
    assert.ok(!(err.bodySnippet ?? '').includes(SECRET));
  });

  void test('402 credits_exhausted → PaymentRequiredError', async () => {
    use((_req, res) =>
      sendJson(res, 402, {
        object: 'error',
        code: 'credits_exhausted',
        title: 'Payment Required',
        detail: 'Out of credits',
        status: 402,
      }),
    );
    await expectError(client.createBatch(request), PaymentRequiredError, {
      name: 'PaymentRequiredError',
      status: 402,
      retryable: false,
      code: 'credits_exhausted',
      message: 'POST /v1/batches-airops: 402 credits_exhausted: Out of credits',
    });
  });

  void test('402 legacy {usage_limit_reached: true} → PaymentRequiredError', async () => {
    use((_req, res) => sendJson(res, 402, { usage_limit_reached: true, message: 'Usage limit reached' }));
    await expectError(client.createBatch(request), PaymentRequiredError, {
      name: 'PaymentRequiredError',
      status: 402,
      retryable: false,
    });
  });

  void test('402 without a credits signal → UnauthorizedError (legacy SDK rule)', async () => {
    use((_req, res) => sendJson(res, 402, { error_code: 'invalid_api_key', error_message: 'Invalid API key' }));
    await expectError(client.createBatch(request), UnauthorizedError, {
      name: 'UnauthorizedError',
      status: 402,
      retryable: false,
      code: 'invalid_api_key',
    });
    use((_req, res) => sendJson(res, 402, { message: 'Payment required' }));
    await expectError(client.createBatch(request), UnauthorizedError, {
      name: 'UnauthorizedError',
      status: 402,
      retryable: false,
    });
  });

  void test('403 AWS gateway body → ForbiddenError, code from x-amzn-ErrorType', async () => {
    use((_req, res) =>
      sendJson(
        res,
        403,
        { message: 'Missing Authentication Token' },
        { 'x-amzn-ErrorType': 'IncompleteSignatureException' },
      ),
    );
    await expectError(client.getBatchStatus(BATCH), ForbiddenError, {
      name: 'ForbiddenError',
      status: 403,
      retryable: false,
      code: 'IncompleteSignatureException',
      message: `GET ${STATUS_PATH}: 403 IncompleteSignatureException: Missing Authentication Token`,
    });
  });

  void test('404 → NotFoundError with method and path in the message', async () => {
    use((_req, res) => sendJson(res, 404, { error_code: 'not_found', error_message: 'Batch not found' }));
    await expectError(client.getBatchStatus('batch_x'), NotFoundError, {
      name: 'NotFoundError',
      status: 404,
      retryable: false,
      code: 'not_found',
      message: 'GET /v1/batches-airops/batch_x: 404 not_found: Batch not found',
    });
    use((_req, res) =>
      sendJson(res, 404, {
        object: 'error',
        code: 'batch_not_found',
        type: 'https://docs.olostep.com/api-reference/errors/batch-not-found',
        title: 'Not Found',
      }),
    );
    await expectError(client.getBatchItems('batch_x'), NotFoundError, {
      name: 'NotFoundError',
      status: 404,
      retryable: false,
      code: 'batch_not_found',
      message: 'GET /v1/batches-airops/batch_x/items: 404 batch_not_found: Not Found',
    });
  });

  void test('409 idempotency_key_in_progress → ConflictError, retryable', async () => {
    use((_req, res) =>
      sendJson(res, 409, { error_code: 'idempotency_key_in_progress', error_message: 'Request in progress' }),
    );
    await expectError(client.createBatch(request, { idempotencyKey: 'k1' }), ConflictError, {
      name: 'ConflictError',
      status: 409,
      retryable: true,
      code: 'idempotency_key_in_progress',
    });
  });

  void test('422 idempotency_key_reuse → ValidationError, not retryable', async () => {
    use((_req, res) =>
      sendJson(res, 422, { object: 'error', code: 'idempotency_key_reuse', title: 'Unprocessable', status: 422 }),
    );
    await expectError(client.createBatch(request, { idempotencyKey: 'k1' }), ValidationError, {
      name: 'ValidationError',
      status: 422,
      retryable: false,
      code: 'idempotency_key_reuse',
    });
  });

  void test('429 with Retry-After seconds', async () => {
    use((_req, res) =>
      sendJson(res, 429, { error_code: 'rate_limit_exceeded', error_message: 'Slow down' }, { 'retry-after': '7' }),
    );
    const err = await expectError(client.getBatchStatus(BATCH), RateLimitedError, {
      name: 'RateLimitedError',
      status: 429,
      retryable: true,
      code: 'rate_limit_exceeded',
    });
    assert.equal(err.retryAfterMs, 7_000);
  });

  void test('429 with Retry-After as an HTTP date', async () => {
    const at = new Date(NOW + 90_000).toUTCString();
    use((_req, res) => sendText(res, 429, 'Too Many Requests'));
    use((_req, res) => {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': at });
      res.end('Too Many Requests');
    });
    const err = await expectError(client.getBatchStatus(BATCH), RateLimitedError, {
      name: 'RateLimitedError',
      status: 429,
      retryable: true,
      code: null,
      message: `GET ${STATUS_PATH}: 429: Too Many Requests`,
    });
    assert.equal(err.retryAfterMs, 90_000);
  });

  void test('429 without Retry-After → retryAfterMs null', async () => {
    use((_req, res) => sendJson(res, 429, { message: 'rate limited' }));
    const err = await expectError(client.getBatchStatus(BATCH), RateLimitedError, {
      name: 'RateLimitedError',
      status: 429,
      retryable: true,
    });
    assert.equal(err.retryAfterMs, null);
  });

  void test('500 AirOps body → ServerError, retryable', async () => {
    use((_req, res) => sendJson(res, 500, { error_code: 'internal_server_error', error_message: 'Something broke' }));
    await expectError(client.createBatch(request), ServerError, {
      name: 'ServerError',
      status: 500,
      retryable: true,
      code: 'internal_server_error',
    });
  });

  void test('503 legacy {error: {message}} → ServerError', async () => {
    use((_req, res) =>
      sendJson(res, 503, { error: { message: 'Not enough resources available for the batch execution.' } }),
    );
    await expectError(client.createBatch(request), ServerError, {
      name: 'ServerError',
      status: 503,
      retryable: true,
      message: 'POST /v1/batches-airops: 503: Not enough resources available for the batch execution.',
    });
  });

  void test('504 plain text → ServerError with the text', async () => {
    use((_req, res) => sendText(res, 504, 'Network error communicating with endpoint'));
    await expectError(client.getBatchStatus(BATCH), ServerError, {
      name: 'ServerError',
      status: 504,
      retryable: true,
      message: `GET ${STATUS_PATH}: 504: Network error communicating with endpoint`,
    });
  });

  void test('502 HTML gateway page → ServerError naming the page title, not the whole page', async () => {
    const html = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center>${'<p>x</p>'.repeat(5000)}</body></html>`;
    use((_req, res) => sendText(res, 502, html, 'text/html'));
    const err = await expectError(client.getBatchStatus(BATCH), ServerError, {
      name: 'ServerError',
      status: 502,
      retryable: true,
      message: `GET ${STATUS_PATH}: 502: HTML page: 502 Bad Gateway`,
    });
    assert.ok((err.bodySnippet ?? '').length <= 500);
  });

  void test('a redirect is not followed → UnexpectedStatusError', async () => {
    use((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });
    await expectError(client.getBatchStatus(BATCH), UnexpectedStatusError, {
      name: 'UnexpectedStatusError',
      status: 302,
      retryable: false,
    });
    assert.equal(server.requests.length, 1);
  });

  void test('405 → UnexpectedStatusError, not retryable', async () => {
    use((_req, res) => sendText(res, 405, ''));
    await expectError(client.getBatchStatus(BATCH), UnexpectedStatusError, {
      name: 'UnexpectedStatusError',
      status: 405,
      retryable: false,
      message: `GET ${STATUS_PATH}: 405: Method Not Allowed`,
    });
  });
});

void describe('2xx bodies that break the contract', () => {
  void test('truncated JSON → ContractViolationError, retryable, says so', async () => {
    const full = JSON.stringify(statusBody());
    use((_req, res) => sendText(res, 200, full.slice(0, 120), 'application/json'));
    await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
      message: /response body is not valid JSON \(120 chars, application\/json, looks truncated\)/,
    });
  });

  void test('HTML on a 200 → ContractViolationError naming the content type', async () => {
    use((_req, res) => sendText(res, 200, '<html><title>Login</title></html>', 'text/html; charset=utf-8'));
    await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
      message: /not valid JSON \(\d+ chars, text\/html/,
    });
  });

  void test('empty 200 → ContractViolationError', async () => {
    use((_req, res) => sendText(res, 200, '', 'application/json'));
    await expectError(client.createBatch(request), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
      message: /response body is empty/,
    });
  });

  void test('JSON of the wrong shape → ContractViolationError with the zod issues summarized', async () => {
    use((_req, res) => sendJson(res, 200, { id: 42, status: { overall: 'x' }, scraping: { submitted: 'three' } }));
    const err = await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
      message: /response body does not match the contract: id: .*; scraping\.submitted: /,
    });
    assert.deepEqual(
      err.issues.map((i) => i.split(':')[0]),
      ['id', 'scraping.submitted'],
    );
  });

  void test('a negative count in a status body → ContractViolationError naming the field and the value', async () => {
    use((_req, res) =>
      sendJson(
        res,
        200,
        statusBody({ scraping: { state: 'started', submitted: -5, valid: 2, succeeded: 0, failed: 0 } }),
      ),
    );
    const err = await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
      message: /response body does not match the contract: scraping\.submitted: must be a non-negative integer, got -5/,
    });
    assert.deepEqual(err.issues, ['scraping.submitted: must be a non-negative integer, got -5']);
  });

  void test('fractions, strings and counts inside a status object are refused with their full path', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ total_urls: 1.5 }, 'total_urls: must be a non-negative integer, got 1.5'],
      [
        { enriching: { state: 'started', items_enriched: '44' } },
        'enriching.items_enriched: must be a non-negative integer, got a string',
      ],
      [
        { analyzing: { state: 'completed', fields_to_enrich: { author: -2 } } },
        'analyzing.fields_to_enrich.author: must be a non-negative integer, got -2',
      ],
      // `status` may be a string or an object: the issue names the count, not just "status".
      [
        { status: { overall: 'in_progress', scraping: { state: 'started', failed: -1 } } },
        'status.scraping.failed: must be a non-negative integer, got -1',
      ],
    ];
    for (const [overrides, issue] of cases) {
      use((_req, res) => sendJson(res, 200, statusBody(overrides)));
      const err = await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
        name: 'ContractViolationError',
        status: 200,
        retryable: true,
      });
      assert.deepEqual(err.issues, [issue]);
      assert.ok(err.message.includes(issue), err.message);
    }
  });

  void test('zero counts are fine', async () => {
    use((_req, res) =>
      sendJson(res, 200, statusBody({ total_urls: 0, scraping: { state: 'started', submitted: 0, failed: 0 } })),
    );
    const { snapshot } = await client.getBatchStatus(BATCH);
    assert.equal(snapshot.totalUrls, 0);
    assert.equal(snapshot.scraping.submitted, 0);
  });

  void test('a bad count in a create response → ContractViolationError (the POST may have created a batch)', async () => {
    const status = createBody.status as Record<string, unknown>;
    const scraping = status.scraping as Record<string, unknown>;
    use((_req, res) =>
      sendJson(res, 200, { ...createBody, status: { ...status, scraping: { ...scraping, submitted: -5 } } }),
    );
    const err = await expectError(client.createBatch(request), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
    });
    assert.deepEqual(err.issues, ['status.scraping.submitted: must be a non-negative integer, got -5']);
  });

  void test('bad item counts → ContractViolationError, finished or partial body alike', async () => {
    use((_req, res) =>
      sendJson(res, 200, { ...completedItemsBody(), counts: { total: 2, succeeded: 1.5, failed: 1 } }),
    );
    const finished = await expectError(client.getBatchItems(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
    });
    assert.deepEqual(finished.issues, ['counts.succeeded: must be a non-negative integer, got 1.5']);
    // A failed batch's body with counts and no items: not laundered through the still-running shape.
    use((_req, res) =>
      sendJson(res, 200, { batch_id: BATCH, status: 'failed', counts: { total: -2, succeeded: 0, failed: 0 } }),
    );
    const partial = await expectError(client.getBatchItems(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: true,
    });
    assert.deepEqual(partial.issues, ['counts.total: must be a non-negative integer, got -2']);
  });

  void test('a status body about another batch → ContractViolationError, not retryable', async () => {
    use((_req, res) => sendJson(res, 200, statusBody({ id: 'batch_other' })));
    await expectError(client.getBatchStatus(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: false,
      message: /another batch: "batch_other"/,
    });
    use((_req, res) => sendJson(res, 200, completedItemsBody('batch_other')));
    await expectError(client.getBatchItems(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: false,
    });
  });

  void test('a created batch with an unusable id → ContractViolationError', async () => {
    use((_req, res) => sendJson(res, 200, { ...createBody, id: '../admin' }));
    await expectError(client.createBatch(request), ContractViolationError, {
      name: 'ContractViolationError',
      status: 200,
      retryable: false,
      message: /unusable id/,
    });
  });

  void test('a response larger than maxResponseBytes → ContractViolationError, not retryable', async () => {
    const small = new OlostepClient({ apiKey: SECRET, baseUrl: server.url, maxResponseBytes: 1024 });
    use((_req, res) => sendJson(res, 200, { ...completedItemsBody(), pad: 'x'.repeat(5000) }));
    await expectError(small.getBatchItems(BATCH), ContractViolationError, {
      name: 'ContractViolationError',
      status: null,
      retryable: false,
      message: /response too large/,
    });
  });
});

void describe('transport failures', () => {
  void test('connection refused → NetworkError, retryable, sanitized cause', async () => {
    const port = await closedPort();
    const dead = new OlostepClient({ apiKey: SECRET, baseUrl: `http://127.0.0.1:${port}` });
    const err = await expectError(dead.getBatchStatus(BATCH), NetworkError, {
      name: 'NetworkError',
      status: null,
      retryable: true,
      code: null,
      message: new RegExp(`^GET ${STATUS_PATH}: network error \\(ECONNREFUSED\\): `),
    });
    assert.ok(err.cause instanceof Error);
    assert.equal((err.cause as Error & { code?: string }).code, 'ECONNREFUSED');
    assert.equal(Object.keys(err.cause).includes('config'), false);
  });

  void test('connection reset mid-request → NetworkError', async () => {
    use((_req, res) => {
      res.socket?.destroy();
    });
    await expectError(client.createBatch(request), NetworkError, {
      name: 'NetworkError',
      status: null,
      retryable: true,
    });
  });

  void test('no response within timeoutMs → TimeoutError, retryable', async () => {
    const quick = new OlostepClient({ apiKey: SECRET, baseUrl: server.url, timeoutMs: 100 });
    use(() => undefined); // never answers; the server closes the socket at teardown
    const err = await expectError(quick.getBatchStatus(BATCH), TimeoutError, {
      name: 'TimeoutError',
      status: null,
      retryable: true,
      message: `GET ${STATUS_PATH}: no complete response within 100 ms`,
    });
    assert.equal(err.timeoutMs, 100);
  });

  void test('headers on time but the body stalls → TimeoutError (the deadline covers the body)', async () => {
    const quick = new OlostepClient({ apiKey: SECRET, baseUrl: server.url, timeoutMs: 100 });
    use((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"batch_abc123xyz",');
    });
    await expectError(quick.getBatchStatus(BATCH), TimeoutError, {
      name: 'TimeoutError',
      status: null,
      retryable: true,
    });
  });

  void test('items use itemsTimeoutMs, status uses timeoutMs', async () => {
    const split = new OlostepClient({ apiKey: SECRET, baseUrl: server.url, timeoutMs: 50, itemsTimeoutMs: 2_000 });
    use((req, res) => {
      const body = req.url.endsWith('/items') ? completedItemsBody() : statusBody();
      setTimeout(() => sendJson(res, 200, body), 150);
    });
    assert.equal((await split.getBatchItems(BATCH)).complete, true);
    await expectError(split.getBatchStatus(BATCH), TimeoutError, {
      name: 'TimeoutError',
      status: null,
      retryable: true,
    });
  });

  void test("the caller's AbortSignal → AbortedError, not retryable", async () => {
    use(() => undefined);
    const controller = new AbortController();
    const pending = client.getBatchStatus(BATCH, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expectError(pending, AbortedError, { name: 'AbortedError', status: null, retryable: false });
    await expectError(client.getBatchStatus(BATCH, { signal: AbortSignal.abort() }), AbortedError, {
      name: 'AbortedError',
      status: null,
      retryable: false,
    });
  });
});

void describe('batch ids are checked before any request', () => {
  const hostile: [string, string, RegExp][] = [
    ['empty', '', /batch id is empty/],
    ['a space', ' ', /whitespace or a control\/format character \(U\+0020\)/],
    ['inner space', 'batch 1', /U\+0020/],
    ['tab', 'batch\t1', /U\+0009/],
    ['newline', 'batch_1\n', /U\+000A/],
    ['NUL', 'batch\u0000x', /U\+0000/],
    ['DEL', 'batch\u007fx', /U\+007F/],
    ['no-break space', 'batch\u00a0x', /U\+00A0/],
    ['bidi override', '\u202ebatch', /U\+202E/],
    ['zero-width space', 'batch\u200bx', /U\+200B/],
    ['10KB', 'b'.repeat(10_240), /10240 characters long \(at most 255\)/],
    ['256 chars', 'b'.repeat(256), /256 characters long/],
    ['path traversal', '../../v1/x', /contains "\/"/],
    ['dot-dot', '..', /starts with "\."/],
    ['leading dot', '.batch', /starts with "\."/],
    ['slash', 'batch/items', /contains "\/"/],
    ['backslash', 'batch\\x', /contains "\\\\"/],
    ['encoded slash', '%2F', /contains "%"/],
    ['query', 'batch?x=1', /contains "\?"/],
    ['fragment', 'batch#x', /contains "#"/],
    ['lone surrogate', 'batch\ud800', /unpaired UTF-16 surrogate/],
  ];

  for (const [name, id, why] of hostile) {
    void test(`refused: ${name}`, async () => {
      for (const call of [() => client.getBatchStatus(id), () => client.getBatchItems(id)]) {
        const err = await expectError(call(), InvalidBatchIdError, {
          name: 'InvalidBatchIdError',
          status: null,
          retryable: false,
          code: 'invalid_batch_id',
          message: why,
        });
        // A hostile id is quoted at most 40 characters long (JSON-escaped, so controls stay visible).
        assert.ok(err.message.length < 200, `message is ${err.message.length} chars`);
      }
      assert.equal(server.requests.length, 0);
    });
  }

  void test('non-string ids are refused too (untyped callers)', async () => {
    for (const id of [undefined, null, 42, {}]) {
      await expectError(client.getBatchStatus(id as string), InvalidBatchIdError, {
        name: 'InvalidBatchIdError',
        status: null,
        retryable: false,
      });
    }
    assert.equal(server.requests.length, 0);
  });
});

void describe('client options and secrets', () => {
  void test('the API key is required and checked without being echoed', () => {
    for (const apiKey of ['', '   ', `${SECRET}\n`, `${SECRET} extra`, undefined]) {
      assert.throws(
        () => new OlostepClient({ apiKey: apiKey as string }),
        (err: unknown) => {
          assert.ok(err instanceof ClientConfigError);
          assert.equal(err.retryable, false);
          assertNoSecret(err);
          return true;
        },
      );
    }
  });

  void test('baseUrl must be http(s) without credentials or query; timeouts must be positive', () => {
    for (const baseUrl of ['nope', 'ftp://x', 'https://user:pw@api.test', 'https://api.test/?a=1']) {
      assert.throws(() => new OlostepClient({ apiKey: SECRET, baseUrl }), ClientConfigError);
    }
    assert.throws(() => new OlostepClient({ apiKey: SECRET, timeoutMs: 0 }), ClientConfigError);
    assert.throws(() => new OlostepClient({ apiKey: SECRET, itemsTimeoutMs: Number.NaN }), ClientConfigError);
    const c = new OlostepClient({ apiKey: SECRET });
    assert.equal(c.baseUrl, 'https://api.olostep.com');
    assert.equal(c.timeoutMs, 30_000);
    assert.equal(c.itemsTimeoutMs, 120_000);
  });

  void test('the key is not visible on the client object', () => {
    const views = [
      JSON.stringify(client),
      inspect(client, { depth: Infinity, showHidden: true }),
      `${inspect(client)}`,
    ];
    for (const v of views) assert.ok(!v.includes(SECRET), v.slice(0, 200));
  });

  void test('the leak check works, and raw axios errors would leak (which is why causes are sanitized)', async () => {
    assert.throws(() => assertNoSecret(new Error(`boom ${SECRET}`)), /secret leaked/);
    const port = await closedPort();
    const raw = await axios
      .get(`http://127.0.0.1:${port}/`, { headers: { Authorization: `Bearer ${SECRET}` }, proxy: false })
      .then(
        () => assert.fail('expected a connection error'),
        (err: unknown) => err,
      );
    assert.ok(inspect(raw, { depth: 5 }).includes(SECRET));
    assert.throws(() => assertNoSecret(raw), /secret leaked/);
  });

  void test('toJSON carries the sanitized cause', async () => {
    const port = await closedPort();
    const dead = new OlostepClient({ apiKey: SECRET, baseUrl: `http://127.0.0.1:${port}` });
    const err = await expectError(dead.getBatchItems(BATCH), NetworkError, {
      name: 'NetworkError',
      status: null,
      retryable: true,
    });
    const json = JSON.parse(JSON.stringify(err)) as { cause?: { code?: string } };
    assert.equal(json.cause?.code, 'ECONNREFUSED');
  });

  void test('olostep/ never reads process.env (entry points pass options)', () => {
    const dir = join(__dirname, '..', '..', 'olostep');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      assert.doesNotMatch(readFileSync(join(dir, file), 'utf8'), /process\.env/, file);
    }
  });
});
