import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AirOpsErrorBody,
  BatchItemsResponse,
  BatchStatusResponse,
  CompletedBatchItemsResponse,
  CompletedItem,
  CreateBatchResponse,
  ENRICHING_STATES,
  FAILED_STAGES,
  FailedItem,
  InProgressBatchItemsResponse,
  InProgressItem,
  LegacyErrorBody,
  OVERALL_STATUSES,
  PAGE_TYPES,
  PHASE_ERROR_CODES,
  PHASE_STATES,
  ProblemDetailsBody,
  WEBHOOK_EVENT_TYPES,
  WebhookPayload,
  explainIssues,
  formatIssuePath,
  snapshotFromCreateResponse,
  snapshotFromStatusResponse,
  snapshotFromWebhook,
  unknownItemValues,
  validateCreateRequest,
} from '../../olostep';
import {
  completedItemsBody,
  openApiExamples,
  specJsonBlocks,
  statusBody,
  statusPageExamples,
} from './helpers/fixtures';

void describe('known enums', () => {
  void test('match the documented lists', () => {
    assert.equal(PHASE_STATES.length, 5);
    assert.deepEqual([...ENRICHING_STATES].sort(), [...PHASE_STATES].sort());
    assert.deepEqual([...OVERALL_STATUSES], ['pending', 'in_progress', 'completed', 'failed']);
    assert.equal(WEBHOOK_EVENT_TYPES.length, 9);
    assert.ok(WEBHOOK_EVENT_TYPES.every((e) => e.startsWith('event.batch.airops.')));
    assert.equal(PAGE_TYPES.length, 21);
    assert.equal(new Set(PAGE_TYPES).size, 21);
    assert.ok(PAGE_TYPES.includes('social_media_profile') && PAGE_TYPES.includes('job_posting'));
    assert.deepEqual([...FAILED_STAGES], ['scraping', 'analyzing', 'enriching']);
    assert.deepEqual(
      [...PHASE_ERROR_CODES],
      ['SCRAPING_ERROR', 'ENRICHING_ERROR', 'LLM_BATCH_FAILED', 'LLM_BATCH_EXPIRED'],
    );
  });
});

void describe('spec markdown examples', () => {
  const blocks = specJsonBlocks();

  void test('the markdown has the four JSON examples this test expects', () => {
    assert.equal(blocks.length, 4);
  });

  void test('create response (no-frills example) parses and normalizes', () => {
    const body = CreateBatchResponse.parse(blocks[0]);
    const snap = snapshotFromCreateResponse(body);
    assert.equal(snap.batchId, 'batch_7q2k');
    assert.equal(snap.createdAt, 1760000000000);
    assert.equal(snap.totalUrls, 2);
    assert.equal(snap.overall, 'in_progress');
    assert.equal(snap.overallDerived, false);
    assert.equal(snap.scraping.state, 'started');
    assert.equal(snap.scraping.submitted, 2);
    assert.equal(snap.enriching.llmBatchId, null);
    assert.deepEqual(snap.unknownValues, []);
  });

  void test('completed and failed item examples parse', () => {
    const completed = CompletedItem.parse(blocks[1]);
    assert.equal(completed.page_type, 'news_article');
    assert.deepEqual(completed.brand_mentions, ['Acme']);
    const failed = FailedItem.parse(blocks[2]);
    assert.equal(failed.failed_stage, 'scraping');
    assert.deepEqual(failed.error, { code: 'SCRAPE_FAILED', message: 'URL failed to scrape' });
  });

  void test('webhook example (phases elided as {}) parses; missing states are reported, not fatal', () => {
    const body = WebhookPayload.parse(blocks[3]);
    const snap = snapshotFromWebhook(body);
    assert.equal(snap.batchId, 'batch_7q2k');
    assert.deepEqual(snap.source, {
      kind: 'webhook',
      event: 'event.batch.airops.analyzing_completed',
      sentAt: 1760000302000,
    });
    assert.equal(snap.overall, 'in_progress');
    assert.equal(snap.scraping.state, 'pending');
    assert.ok(snap.unknownValues.includes('scraping.state=(missing)'));
  });

  void test('the docs/airops-api.md#batch-items items bodies (finished and still running) parse', () => {
    const done = BatchItemsResponse.parse(completedItemsBody());
    assert.ok('counts' in done);
    const running = BatchItemsResponse.parse({
      batch_id: 'batch_7q2k',
      status: 'in_progress',
      items: [],
      message: 'Batch is still processing',
    });
    assert.equal(running.status, 'in_progress');
    assert.equal('counts' in running, false);
    assert.ok(InProgressBatchItemsResponse.safeParse(running).success);
    assert.equal(CompletedBatchItemsResponse.safeParse(running).success, false);
  });
});

void describe('OpenAPI examples', () => {
  const examples = openApiExamples();

  void test('there are request and response examples for all three operations', () => {
    const ids = new Set(examples.map((e) => `${e.operationId}:${e.where}`));
    assert.deepEqual([...ids].sort(), [
      'createAirOpsBatch:200',
      'createAirOpsBatch:request',
      'getAirOpsBatch:200',
      'getAirOpsBatchItems:200',
    ]);
  });

  for (const ex of examples) {
    void test(`${ex.operationId} ${ex.where} example parses`, () => {
      if (ex.where === 'request') {
        const req = validateCreateRequest(ex.example);
        assert.equal(req.items.length, 2);
        assert.equal(req.country, 'US');
      } else if (ex.operationId === 'createAirOpsBatch') {
        const snap = snapshotFromCreateResponse(CreateBatchResponse.parse(ex.example));
        assert.equal(snap.overall, 'in_progress');
        assert.deepEqual(snap.unknownValues, []);
      } else if (ex.operationId === 'getAirOpsBatch') {
        const snap = snapshotFromStatusResponse(BatchStatusResponse.parse(ex.example));
        assert.equal(snap.overall, 'completed');
        assert.equal(snap.batchMode, true);
        assert.equal(snap.enriching.llmBatchId, 'batch_xyz789');
        // analyzing.fields_to_enrich is absent from this example (docs/airops-api.md#optional-fields).
        assert.equal(snap.analyzing.fieldsToEnrich, null);
        assert.deepEqual(snap.unknownValues, []);
      } else {
        const body = BatchItemsResponse.parse(ex.example);
        assert.equal(body.items?.length, 3);
        assert.deepEqual(unknownItemValues(body), []);
      }
    });
  }
});

void describe('status-endpoint page (seed)', () => {
  const examples = statusPageExamples();
  void test('both JSON examples are found', () => assert.equal(examples.length, 2));
  for (const [i, ex] of examples.entries()) {
    void test(`example ${i + 1} parses as a GET status body`, () => {
      const snap = snapshotFromStatusResponse(BatchStatusResponse.parse(ex));
      assert.equal(snap.overall, 'completed');
      assert.equal(snap.source.kind, 'status');
      assert.equal(snap.createdAt, 1705315200000);
      assert.deepEqual(snap.unknownValues, []);
    });
  }
  void test('fields_to_enrich is kept when present (and its counts are not cross-checked, docs/airops-api.md#count-relations)', () => {
    const snap = snapshotFromStatusResponse(BatchStatusResponse.parse(examples[1]));
    assert.equal(snap.analyzing.fieldsToEnrich?.page_type, 98);
    assert.equal(snap.analyzing.itemsNeedingEnrichment, 45);
  });
});

void describe('tolerance (docs/airops-api.md#reading-responses)', () => {
  void test('unknown fields are kept at every level', () => {
    const body = BatchStatusResponse.parse(
      statusBody({
        request_id: 'req_1',
        scraping: { state: 'started', progress_pct: 12 },
        enriching: { state: 'pending', llm: { provider: 'olostep', model: 'default', extra: true } },
      }),
    );
    assert.equal(body.request_id, 'req_1');
    assert.equal(body.scraping?.progress_pct, 12);
    assert.equal(body.enriching?.llm?.extra, true);
  });

  void test('status may be a string or an object on any status-bearing body', () => {
    const asObject = BatchStatusResponse.parse(statusBody({ status: { overall: 'in_progress' } }));
    assert.equal(snapshotFromStatusResponse(asObject).overall, 'in_progress');
    const createWithString = CreateBatchResponse.parse({
      id: 'batch_1',
      object: 'batch_airops',
      created: 1,
      status: 'in_progress',
      scraping: { state: 'started' },
    });
    const snap = snapshotFromCreateResponse(createWithString);
    assert.equal(snap.overall, 'in_progress');
    assert.equal(snap.scraping.state, 'started');
  });

  void test('a create response without `status` is accepted (rejecting it would invite a duplicate create)', () => {
    const snap = snapshotFromCreateResponse(
      CreateBatchResponse.parse({ id: 'batch_1', object: 'batch_airops', created: 1 }),
    );
    assert.equal(snap.batchId, 'batch_1');
    assert.equal(snap.overall, 'pending');
    assert.equal(snap.overallDerived, true);
  });

  void test('unknown enum strings are accepted, and reported by the normalizer', () => {
    const body = BatchStatusResponse.parse(
      statusBody({ status: 'paused', enriching: { state: 'cancelled', error: { code: 'LLM_QUOTA', message: 'x' } } }),
    );
    const snap = snapshotFromStatusResponse(body);
    assert.equal(snap.overall, 'paused');
    assert.equal(snap.enriching.state, 'cancelled');
    assert.deepEqual(snap.unknownValues.sort(), [
      'enriching.error.code=LLM_QUOTA',
      'enriching.state=cancelled',
      'overall=paused',
    ]);
  });

  void test('numbers and optional extras may be null or missing', () => {
    const body = BatchStatusResponse.parse({
      id: 'batch_1',
      status: 'in_progress',
      total_urls: null,
      created_at: null,
      batch_mode: null,
      scraping: { state: 'started', submitted: null, error: null },
      analyzing: { state: 'pending', fields_to_enrich: { page_type: null, author: 3 } },
      enriching: { state: 'pending', llm: null, llm_batch_id: null },
    });
    const snap = snapshotFromStatusResponse(body);
    assert.equal(snap.totalUrls, null);
    assert.equal(snap.batchMode, null);
    assert.deepEqual(snap.analyzing.fieldsToEnrich, { author: 3 });
  });

  void test('items: `success` status (known, docs/airops-api.md#batch-items), methods map, null page_type, new page types and unknown item statuses', () => {
    const body = BatchItemsResponse.parse({
      batch_id: 'batch_1',
      status: 'completed',
      completed_at: '2026-01-02T03:04:05.000Z',
      counts: { total: 4, succeeded: 3, failed: 1 },
      items: [
        { custom_id: 'a', url: 'https://a.test', status: 'success', page_type: null, brand_mentions: [] },
        {
          custom_id: 'b',
          url: 'https://b.test',
          status: 'completed',
          page_type: 'press_release',
          methods: { page_type: 'llm', author: 'vision' },
        },
        {
          custom_id: 'c',
          url: 'https://c.test',
          status: 'failed',
          failed_stage: 'rendering',
          error: { code: 'TIMEOUT' },
        },
        { custom_id: 'd', url: 'https://d.test', status: 'queued' },
      ],
    });
    assert.equal(body.items?.length, 4);
    assert.ok(InProgressItem.safeParse(body.items?.[3]).success);
    assert.deepEqual(unknownItemValues(body).sort(), [
      'items[].error.code=TIMEOUT',
      'items[].failed_stage=rendering',
      'items[].methods=vision',
      'items[].page_type=press_release',
      'items[].status=queued',
    ]);
  });

  void test('a completed item with a malformed field is not laundered through the catch-all item shape', () => {
    const bad = { custom_id: 'a', url: 'https://a.test', status: 'completed', brand_mentions: 'Acme' };
    assert.equal(CompletedItem.safeParse(bad).success, false);
    assert.equal(InProgressItem.safeParse(bad).success, false);
  });

  void test('missing required fields still fail: id, webhook status, batch_id, custom_id', () => {
    assert.equal(BatchStatusResponse.safeParse({ status: 'completed' }).success, false);
    assert.equal(CreateBatchResponse.safeParse({ object: 'batch_airops', status: {} }).success, false);
    assert.equal(WebhookPayload.safeParse({ id: 'batch_1', object: 'event.batch.airops.completed' }).success, false);
    assert.equal(BatchItemsResponse.safeParse({ status: 'completed', items: [] }).success, false);
    assert.equal(
      BatchItemsResponse.safeParse({ batch_id: 'b', status: 'completed', counts: {}, items: [{ status: 'completed' }] })
        .success,
      false,
    );
  });

  void test('a webhook whose batch id is hostile is refused (it would address URLs and workflows)', () => {
    const base = { object: 'event.batch.airops.completed', created: 1, timestamp: 2, status: { overall: 'completed' } };
    assert.ok(WebhookPayload.safeParse({ ...base, id: 'batch_ok' }).success);
    for (const id of ['', '../x', 'a/b', 'batch\u0000x', 'x'.repeat(256), ' batch']) {
      assert.equal(WebhookPayload.safeParse({ ...base, id }).success, false, JSON.stringify(id));
    }
  });

  void test('webhook with an unknown (draft) event name is accepted and reported', () => {
    const body = WebhookPayload.parse({
      object: 'batch.completed',
      id: 'batch_1',
      created: 1,
      timestamp: 2,
      status: { scraping: { state: 'completed' }, analyzing: { state: 'completed' }, enriching: { state: 'skipped' } },
    });
    const snap = snapshotFromWebhook(body);
    assert.equal(snap.overall, 'completed');
    assert.equal(snap.overallDerived, true);
    assert.deepEqual(snap.unknownValues, ['object=batch.completed']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Counts at the trust boundary: every count of every response and webhook shape is a non-negative integer
// ---------------------------------------------------------------------------------------------------------------

type Body = Record<string, unknown>;

/** A deep copy of `body` with `value` at `path` (objects created, or replacing a non-object, on the way). */
function withValue(body: Body, path: readonly string[], value: unknown): Body {
  const copy = structuredClone(body);
  let at: Body = copy;
  path.slice(0, -1).forEach((key) => {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Body;
  });
  at[path[path.length - 1] as string] = value;
  return copy;
}

function valueAt(body: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((at, key) => (at as Body | undefined)?.[key], body);
}

const PHASE_COUNTS: Record<string, string[]> = {
  scraping: ['submitted', 'valid', 'succeeded', 'failed'],
  analyzing: ['items_analyzed', 'items_needing_enrichment', 'items_complete'],
  enriching: ['items_to_enrich', 'items_enriched', 'items_failed'],
};

/** Every count of the three phase objects under `prefix`, per-field and token counts included. */
function phaseCountPaths(prefix: string[]): string[][] {
  return [
    ...Object.entries(PHASE_COUNTS).flatMap(([phase, keys]) => keys.map((k) => [...prefix, phase, k])),
    [...prefix, 'analyzing', 'fields_to_enrich', 'author'],
    ...['prompt_tokens', 'completion_tokens', 'total_tokens'].map((k) => [...prefix, 'enriching', 'llm', 'usage', k]),
  ];
}

function webhookBody(): Body {
  const get = statusBody();
  return {
    object: 'event.batch.airops.scraping_completed',
    id: 'batch_abc123xyz',
    created: 1705315200000,
    timestamp: 1705315500000,
    status: { overall: 'in_progress', scraping: get.scraping, analyzing: get.analyzing, enriching: get.enriching },
  };
}

interface Shape {
  name: string;
  schema: { safeParse(input: unknown): { success: boolean; data?: unknown; error?: { issues: unknown[] } } };
  base: () => Body;
  paths: string[][];
}

const ITEM_COUNT_PATHS = ['total', 'succeeded', 'failed'].map((k) => ['counts', k]);
const SHAPES: Shape[] = [
  {
    name: 'GET status',
    schema: BatchStatusResponse,
    base: () => statusBody(),
    // Top-level phases (documented) and a nested status object (tolerated) alike.
    paths: [['total_urls'], ...phaseCountPaths([]), ...phaseCountPaths(['status'])],
  },
  {
    name: 'create response',
    schema: CreateBatchResponse,
    base: () => structuredClone(specJsonBlocks()[0]) as Body,
    paths: [['total_urls'], ...phaseCountPaths(['status']), ...phaseCountPaths([])],
  },
  {
    name: 'webhook payload',
    schema: WebhookPayload,
    base: webhookBody,
    paths: [['total_urls'], ...phaseCountPaths(['status']), ...phaseCountPaths([])],
  },
  { name: 'finished items body', schema: BatchItemsResponse, base: completedItemsBody, paths: ITEM_COUNT_PATHS },
  {
    name: "a failed batch's partial items body (counts, no items)",
    schema: BatchItemsResponse,
    base: () => ({ batch_id: 'batch_abc123xyz', status: 'failed', counts: { total: 2, succeeded: 1, failed: 1 } }),
    paths: ITEM_COUNT_PATHS,
  },
];

/** What arrives, and how the message must describe it (a string is never echoed). */
const BAD_COUNTS: [unknown, string][] = [
  [-5, '-5'],
  [-1, '-1'],
  [1.5, '1.5'],
  [0.000001, '0.000001'],
  ['3', 'a string'],
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [true, 'a boolean'],
  [[3], 'an array'],
  [{ n: 3 }, 'an object'],
];

/** `path: message` of each issue, as the client and the receiver report them. */
function explained(result: { error?: { issues: unknown[] } }): string[] {
  return explainIssues((result.error?.issues ?? []) as Parameters<typeof explainIssues>[0]).map(
    (i) => `${formatIssuePath(i.path)}: ${i.message}`,
  );
}

void describe('counts are non-negative integers (responses and webhooks)', () => {
  for (const shape of SHAPES) {
    void test(`${shape.name}: every count refuses negatives, fractions, NaN, strings; the issue names the path`, () => {
      assert.ok(shape.schema.safeParse(shape.base()).success, 'the base body parses');
      for (const path of shape.paths) {
        for (const [bad, shown] of BAD_COUNTS) {
          const result = shape.schema.safeParse(withValue(shape.base(), path, bad));
          assert.equal(result.success, false, `${path.join('.')} = ${String(bad)} was accepted`);
          assert.deepEqual(explained(result), [
            `${formatIssuePath(path)}: must be a non-negative integer, got ${shown}`,
          ]);
        }
      }
    });

    void test(`${shape.name}: 0, a large integer and null are accepted as sent`, () => {
      for (const path of shape.paths) {
        for (const good of [0, 7, 1_000_000_000, null]) {
          const result = shape.schema.safeParse(withValue(shape.base(), path, good));
          assert.ok(result.success, `${path.join('.')} = ${String(good)}: ${explained(result).join('; ')}`);
          assert.equal(valueAt(result.data, path), good);
        }
      }
    });
  }

  void test('every bad count is reported, not just the first', () => {
    let body = webhookBody();
    body = withValue(body, ['status', 'scraping', 'submitted'], -5);
    body = withValue(body, ['status', 'enriching', 'items_enriched'], 2.5);
    body = withValue(body, ['total_urls'], '10');
    assert.deepEqual(explained(WebhookPayload.safeParse(body)).sort(), [
      'status.enriching.items_enriched: must be a non-negative integer, got 2.5',
      'status.scraping.submitted: must be a non-negative integer, got -5',
      'total_urls: must be a non-negative integer, got a string',
    ]);
  });

  void test('a status that is neither a string nor an object keeps the union issue (no option to blame)', () => {
    const result = WebhookPayload.safeParse({ ...webhookBody(), status: 42 });
    assert.equal(result.success, false);
    const issues = explainIssues(result.error?.issues ?? []);
    assert.deepEqual(
      issues.map((i) => [formatIssuePath(i.path), i.code]),
      [['status', 'invalid_union']],
    );
  });

  void test('llm.completion_time_ms is a duration, not a count: a fraction is tolerated', () => {
    const body = withValue(statusBody(), ['enriching', 'llm'], {
      provider: 'olostep',
      model: 'default',
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      completion_time_ms: 812.5,
    });
    assert.ok(BatchStatusResponse.safeParse(body).success);
  });
});

void describe('error body formats (docs/airops-api.md#error-bodies)', () => {
  void test('AirOps body with details', () => {
    const b = AirOpsErrorBody.parse({
      error_code: 'validation_error',
      error_message: 'Invalid request',
      details: [{ path: 'items.0.url', message: 'Invalid url', code: 'invalid_string' }],
    });
    assert.equal(b.details?.[0]?.path, 'items.0.url');
  });

  void test('RFC 7807 problem details', () => {
    const b = ProblemDetailsBody.parse({
      id: 'error_1',
      object: 'error',
      code: 'not_found',
      type: 'https://docs.olostep.com/api-reference/errors/not-found',
      status: 404,
      title: 'Not Found',
      detail: 'Batch not found',
      created: 1760000000,
      metadata: {},
      errors: [{ loc: ['body', 'items', 0], msg: 'bad', type: 'value_error' }],
    });
    assert.equal(b.detail, 'Batch not found');
  });

  void test('legacy bodies', () => {
    assert.ok(LegacyErrorBody.safeParse({ message: 'x', malformed_request: true }).success);
    assert.ok(LegacyErrorBody.safeParse({ error: { message: 'x' } }).success);
    assert.ok(LegacyErrorBody.safeParse({ usage_limit_reached: true, message: 'Out of credits' }).success);
    assert.equal(LegacyErrorBody.safeParse({ foo: 1 }).success, false);
  });
});
