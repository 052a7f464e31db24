import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ContractViolationError,
  NetworkError,
  NotFoundError,
  OlostepError,
  RateLimitedError,
  ServerError,
  UnexpectedStatusError,
  ValidationError,
  errorFromResponse,
  isOlostepError,
  parseErrorBody,
  parseRetryAfter,
  previewString,
  redactSecret,
  validateBatchId,
} from '../../olostep';
import * as errors from '../../olostep/errors';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function respond(status: number, bodyText: string, headers: Record<string, string> = {}) {
  return errorFromResponse({
    method: 'GET',
    path: '/v1/batches-airops/batch_x',
    status,
    bodyText,
    header: (name) => headers[name.toLowerCase()] ?? null,
    redact: (t) => t.split('sk_live_KEY').join('[REDACTED]'),
    nowMs: NOW,
  });
}

void describe('error classes', () => {
  void test('every class has a literal name on its prototype, not derived from the constructor', () => {
    const classes = Object.entries(errors).filter(
      (entry): entry is [string, typeof OlostepError] =>
        typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
    );
    assert.ok(classes.length >= 15);
    for (const [exportName, cls] of classes) {
      assert.equal(Object.getOwnPropertyDescriptor(cls.prototype, 'name')?.value, exportName);
    }
  });

  void test('message says method, path, status and code; stack header uses the literal name', () => {
    const err = new NotFoundError({
      method: 'GET',
      path: '/v1/batches-airops/batch_x',
      status: 404,
      code: 'not_found',
      reason: 'Batch not found',
    });
    assert.equal(err.message, 'GET /v1/batches-airops/batch_x: 404 not_found: Batch not found');
    assert.equal(String(err), 'NotFoundError: GET /v1/batches-airops/batch_x: 404 not_found: Batch not found');
    assert.match(err.stack ?? '', /^NotFoundError: GET/);
    assert.equal(err.reason, 'Batch not found');
    assert.ok(err instanceof OlostepError && err instanceof Error);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(err)) as object).slice(0, 2), ['name', 'message']);
  });

  void test('without status or code the message has no empty segments', () => {
    const err = new NetworkError({
      method: 'POST',
      path: '/v1/batches-airops',
      status: null,
      code: null,
      reason: 'refused',
    });
    assert.equal(err.message, 'POST /v1/batches-airops: refused');
    assert.equal(err.retryable, true);
  });

  void test('retryable defaults per class and can be overridden', () => {
    const init = { method: 'GET', path: '/p', status: 200, code: null, reason: 'r' };
    assert.equal(new ContractViolationError(init).retryable, true);
    assert.equal(new ContractViolationError({ ...init, retryable: false }).retryable, false);
    assert.equal(new ValidationError(init).retryable, false);
    assert.deepEqual(new ValidationError(init).details, []);
  });

  void test('isOlostepError is structural (survives duplicated module copies)', () => {
    const err = new ServerError({ method: 'GET', path: '/p', status: 500, code: null, reason: 'r' });
    assert.ok(isOlostepError(err));
    const lookalike = Object.assign(new Error('x'), { name: 'ServerError', retryable: true, method: 'GET' });
    assert.ok(isOlostepError(lookalike));
    assert.equal(isOlostepError(Object.assign(new Error('x'), { retryable: true, method: 'GET' })), false);
    assert.equal(isOlostepError({ name: 'ServerError', retryable: true, method: 'GET' }), false);
  });
});

void describe('parseErrorBody: the three formats of docs/airops-api.md#error-bodies and gateway bodies', () => {
  void test('AirOps', () => {
    assert.deepEqual(
      parseErrorBody(
        JSON.stringify({
          error_code: 'validation_error',
          error_message: 'Bad',
          details: [{ path: ['items', 0, 'url'], message: 'Invalid url', code: 'invalid_string' }],
        }),
      ),
      {
        format: 'airops',
        code: 'validation_error',
        message: 'Bad',
        details: [{ path: 'items[0].url', message: 'Invalid url', code: 'invalid_string' }],
        usageLimitReached: false,
      },
    );
  });

  void test('RFC 7807: code from `code`, else from the type URI', () => {
    const withCode = parseErrorBody(
      JSON.stringify({
        object: 'error',
        code: 'not_found',
        title: 'Not Found',
        detail: 'Batch not found',
        status: 404,
      }),
    );
    assert.equal(withCode.format, 'problem');
    assert.equal(withCode.code, 'not_found');
    assert.equal(withCode.message, 'Batch not found');
    const fromType = parseErrorBody(
      JSON.stringify({ type: 'https://docs.olostep.com/api-reference/errors/rate-limit-exceeded', title: 'Too Many' }),
    );
    assert.equal(fromType.code, 'rate_limit_exceeded');
    assert.equal(fromType.message, 'Too Many');
  });

  void test('legacy bodies', () => {
    assert.deepEqual(parseErrorBody('{"message":"Bad URL","malformed_request":true}'), {
      format: 'legacy',
      code: null,
      message: 'Bad URL',
      details: [],
      usageLimitReached: false,
    });
    assert.equal(parseErrorBody('{"error":{"message":"nested"}}').message, 'nested');
    assert.equal(parseErrorBody('{"error":"flat"}').message, 'flat');
    assert.equal(parseErrorBody('{"usage_limit_reached":true,"message":"Out"}').usageLimitReached, true);
  });

  void test('other JSON, HTML, text, truncated JSON, empty', () => {
    assert.deepEqual(parseErrorBody('{"weird":1}').format, 'json');
    assert.deepEqual(parseErrorBody('<!DOCTYPE html><html><title> 502\n Bad Gateway </title></html>'), {
      format: 'html',
      code: null,
      message: 'HTML page: 502 Bad Gateway',
      details: [],
      usageLimitReached: false,
    });
    assert.equal(parseErrorBody('<p>no title</p>', 'text/html').message, 'HTML page (15 chars)');
    assert.equal(
      parseErrorBody('  Network error\n communicating with endpoint ').message,
      'Network error communicating with endpoint',
    );
    assert.equal(parseErrorBody('{"error_code":"x","error_mess').format, 'text');
    assert.equal(parseErrorBody('   ').format, 'empty');
    assert.equal(parseErrorBody('x'.repeat(10_000)).message?.length, 301);
  });
});

void describe('parseRetryAfter', () => {
  const cases: [string | null | undefined, number | null][] = [
    ['7', 7_000],
    [' 120 ', 120_000],
    ['1.5', 1_500],
    ['0', 0],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    [new Date(NOW - 30_000).toUTCString(), 0],
    ['-5', null],
    ['1e3', null],
    ['soon', null],
    ['', null],
    [null, null],
    [undefined, null],
  ];
  for (const [value, expected] of cases) {
    void test(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, NOW), expected));
  }
});

void describe('errorFromResponse: status table of docs/airops-api.md#status-codes', () => {
  const table: [number, string, boolean][] = [
    [400, 'ValidationError', false],
    [401, 'UnauthorizedError', false],
    [402, 'UnauthorizedError', false],
    [403, 'ForbiddenError', false],
    [404, 'NotFoundError', false],
    [408, 'UnexpectedStatusError', true],
    [409, 'ConflictError', true],
    [410, 'UnexpectedStatusError', false],
    [422, 'ValidationError', false],
    [429, 'RateLimitedError', true],
    [500, 'ServerError', true],
    [501, 'ServerError', true],
    [502, 'ServerError', true],
    [503, 'ServerError', true],
    [504, 'ServerError', true],
  ];
  for (const [status, name, retryable] of table) {
    void test(`${status} → ${name} (retryable: ${retryable})`, () => {
      const err = respond(status, '');
      assert.equal(err.name, name);
      assert.equal(err.retryable, retryable);
      assert.equal(err.status, status);
    });
  }

  void test('empty bodies fall back to the HTTP reason phrase', () => {
    assert.equal(respond(501, '').message, 'GET /v1/batches-airops/batch_x: 501: Not Implemented');
  });

  void test('server-provided text is redacted in message, details and snippet', () => {
    const err = respond(
      400,
      JSON.stringify({
        error_code: 'validation_error',
        error_message: 'key sk_live_KEY is bad',
        details: [{ path: 'h', message: 'sk_live_KEY', code: 'c' }],
      }),
    );
    assert.ok(err instanceof ValidationError);
    const all = `${err.message} ${JSON.stringify(err.details)} ${err.bodySnippet}`;
    assert.ok(!all.includes('sk_live_KEY'));
    assert.match(err.message, /key \[REDACTED\] is bad/);
  });

  void test('details without a message become the reason', () => {
    const err = respond(
      400,
      JSON.stringify({ error_code: 'validation_error', details: [{ path: 'items', message: 'too many' }] }),
    );
    assert.equal(err.message, 'GET /v1/batches-airops/batch_x: 400 validation_error: items: too many');
  });

  void test('429 Retry-After is read from the headers', () => {
    const err = respond(429, '', { 'retry-after': '3' });
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.retryAfterMs, 3_000);
  });

  void test('a 503 with Retry-After carries it too', () => {
    const err = respond(503, 'Service Unavailable', { 'retry-after': '10' });
    assert.ok(err instanceof ServerError);
    assert.equal(err.retryAfterMs, 10_000);
    const plain = respond(500, '');
    assert.ok(plain instanceof ServerError);
    assert.equal(plain.retryAfterMs, null);
  });

  void test('a 3xx is unexpected and not retryable', () => {
    const err = respond(301, '');
    assert.ok(err instanceof UnexpectedStatusError);
    assert.equal(err.retryable, false);
  });
});

void describe('redactSecret', () => {
  void test('long secrets are removed wherever they occur, bearer tokens too', () => {
    assert.equal(redactSecret('keysk_live_ABCDEFGH!', 'sk_live_ABCDEFGH'), 'key[REDACTED]!');
    assert.equal(redactSecret('auth: Bearer abc.def-ghi, ok', 'unrelated-secret'), 'auth: Bearer [REDACTED], ok');
  });

  void test('short (simulator) keys are removed only as whole tokens, so words stay readable', () => {
    assert.equal(
      redactSecret('Network error; key k is bad; k', 'k'),
      'Network error; key [REDACTED] is bad; [REDACTED]',
    );
    assert.equal(redactSecret('idempotency_key_reuse', 'k'), 'idempotency_key_reuse');
    assert.equal(redactSecret('a.b* a.b*c', 'a.b*'), '[REDACTED] a.b*c');
  });
});

void describe('batch ids', () => {
  void test('validateBatchId returns good ids unchanged', () => {
    for (const id of ['batch_abc123xyz', 'batch_🚀', 'b', 'x'.repeat(255), 'batch.with.dots', 'batch-1_2~3']) {
      assert.equal(validateBatchId(id), id);
    }
  });

  void test('previewString quotes, escapes and cuts long values', () => {
    assert.equal(previewString('a\u0000b'), '"a\\u0000b"');
    assert.equal(previewString('x'.repeat(100)), `"${'x'.repeat(40)}"… (100 chars)`);
  });

  void test('InvalidBatchIdError uses the caller-supplied method and path template', () => {
    assert.throws(
      () => validateBatchId('', { method: 'GET', path: '/v1/batches-airops/{batch_id}/items' }),
      /^InvalidBatchIdError: GET \/v1\/batches-airops\/\{batch_id\}\/items: invalid_batch_id: batch id is empty$/,
    );
  });
});
