import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BatchSnapshot } from '../../olostep/snapshot';
import {
  deriveOverall,
  detectShape,
  isBatchSnapshot,
  isWebhookPayload,
  snapshotFromCreateResponse,
  snapshotFromStatusResponse,
  snapshotFromWebhook,
  toSnapshot,
  unknownItemValues,
} from '../../olostep/normalize';
import type { WebhookPayload } from '../../olostep/schemas';
import { BatchStatusResponse } from '../../olostep/schemas';
import { specJsonBlocks, statusBody } from './helpers/fixtures';

const phases = (s: string, a: string, e: string) => ({
  scraping: { state: s },
  analyzing: { state: a },
  enriching: { state: e },
});

function webhook(event: string, s: string, a: string, e: string, overall?: string): WebhookPayload {
  return {
    object: `event.batch.airops.${event}`,
    id: 'batch_7q2k',
    created: 1760000000000,
    timestamp: 1760000302000,
    status: { ...(overall === undefined ? {} : { overall }), ...phases(s, a, e) },
  };
}

void describe('deriveOverall (docs/airops-api.md#overall-status)', () => {
  const cases: [string, string, string, string][] = [
    ['pending', 'pending', 'pending', 'pending'],
    ['started', 'pending', 'pending', 'in_progress'],
    ['completed', 'started', 'pending', 'in_progress'],
    ['completed', 'completed', 'started', 'in_progress'],
    ['completed', 'completed', 'completed', 'completed'],
    ['completed', 'completed', 'skipped', 'completed'],
    ['failed', 'pending', 'pending', 'failed'],
    ['completed', 'failed', 'pending', 'failed'],
    ['completed', 'completed', 'failed', 'failed'],
    // Unknown states count as progress, never as terminal.
    ['completed', 'completed', 'cancelled', 'in_progress'],
    ['paused', 'pending', 'pending', 'in_progress'],
  ];
  for (const [scraping, analyzing, enriching, expected] of cases) {
    void test(`${scraping}/${analyzing}/${enriching} → ${expected}`, () => {
      assert.equal(deriveOverall({ scraping, analyzing, enriching }), expected);
    });
  }
});

void describe('canonical webhook sequence (docs/airops-api.md#event-sequences)', () => {
  const rows: [string, string, string, string, string][] = [
    ['scraping_started', 'started', 'pending', 'pending', 'in_progress'],
    ['scraping_completed', 'completed', 'started', 'pending', 'in_progress'],
    ['analyzing_completed', 'completed', 'completed', 'pending', 'in_progress'],
    ['enriching_started', 'completed', 'completed', 'started', 'in_progress'],
    ['enriching_completed', 'completed', 'completed', 'completed', 'completed'],
    ['completed', 'completed', 'completed', 'completed', 'completed'],
    ['scraping_failed', 'failed', 'pending', 'pending', 'failed'],
    ['enriching_failed', 'completed', 'completed', 'failed', 'failed'],
  ];
  for (const [event, s, a, e, overall] of rows) {
    void test(`${event}: with and without status.overall`, () => {
      const given = snapshotFromWebhook(webhook(event, s, a, e, overall));
      assert.equal(given.overall, overall);
      assert.equal(given.overallDerived, false);
      assert.deepEqual(given.unknownValues, []);
      const derived = snapshotFromWebhook(webhook(event, s, a, e));
      assert.equal(derived.overall, overall);
      assert.equal(derived.overallDerived, true);
      assert.equal(derived.source.kind, 'webhook');
    });
  }
});

void describe('snapshot fields', () => {
  void test('GET body maps every field', () => {
    const snap = snapshotFromStatusResponse(
      BatchStatusResponse.parse(
        statusBody({
          enriching: {
            state: 'completed',
            items_to_enrich: 3,
            items_enriched: 2,
            items_failed: 1,
            llm_batch_id: 'batch_llm',
            batch_mode: false,
            llm: {
              provider: 'olostep',
              model: 'default',
              usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
              completion_time_ms: 1200,
            },
            started_at: 5,
            completed_at: 6,
            error: { code: 'LLM_BATCH_FAILED', message: 'status: expired' },
          },
        }),
      ),
    );
    const expected: BatchSnapshot = {
      batchId: 'batch_abc123xyz',
      createdAt: 1705315200000,
      totalUrls: 2,
      overall: 'in_progress',
      overallDerived: false,
      batchMode: true,
      scraping: {
        state: 'completed',
        submitted: 2,
        valid: 2,
        succeeded: 2,
        failed: 0,
        startedAt: 1705315200000,
        completedAt: 1705315500000,
        error: null,
      },
      analyzing: {
        state: 'started',
        itemsAnalyzed: 0,
        itemsNeedingEnrichment: 0,
        itemsComplete: 0,
        fieldsToEnrich: null,
        startedAt: 1705315500000,
        completedAt: null,
      },
      enriching: {
        state: 'completed',
        itemsToEnrich: 3,
        itemsEnriched: 2,
        itemsFailed: 1,
        llmBatchId: 'batch_llm',
        batchMode: false,
        llm: {
          provider: 'olostep',
          model: 'default',
          usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
          completionTimeMs: 1200,
        },
        startedAt: 5,
        completedAt: 6,
        error: { code: 'LLM_BATCH_FAILED', message: 'status: expired' },
      },
      source: { kind: 'status' },
      unknownValues: [],
    };
    assert.deepEqual(snap, expected);
  });

  void test('top-level batch_mode falls back to enriching.batch_mode', () => {
    const snap = snapshotFromStatusResponse(
      BatchStatusResponse.parse(
        statusBody({ batch_mode: undefined, enriching: { state: 'pending', batch_mode: false } }),
      ),
    );
    assert.equal(snap.batchMode, false);
  });

  void test('snapshots are plain JSON (they cross Temporal payload conversion unchanged)', () => {
    const snap = toSnapshot(specJsonBlocks()[0]);
    assert.ok(snap);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  });

  void test('a bare-string phase error and an error without code are tolerated', () => {
    const snap = toSnapshot({
      id: 'batch_1',
      status: 'failed',
      scraping: { state: 'failed', error: 'All URLs failed to scrape' },
      enriching: { state: 'failed', error: { message: 'boom' } },
    });
    assert.deepEqual(snap?.scraping.error, { code: 'UNKNOWN', message: 'All URLs failed to scrape' });
    assert.deepEqual(snap?.enriching.error, { code: 'UNKNOWN', message: 'boom' });
  });
});

void describe('toSnapshot / detectShape', () => {
  void test('detects each documented shape', () => {
    const [create, , , hook] = specJsonBlocks();
    assert.equal(detectShape(create), 'create');
    assert.equal(detectShape(statusBody()), 'status');
    assert.equal(detectShape(hook), 'webhook');
    assert.equal(toSnapshot(create)?.source.kind, 'create');
    assert.equal(toSnapshot(statusBody())?.source.kind, 'status');
    assert.deepEqual(toSnapshot(hook)?.source, {
      kind: 'webhook',
      event: 'event.batch.airops.analyzing_completed',
      sentAt: 1760000302000,
    });
  });

  void test('without `object`, a string status or created_at means GET, a status object means create', () => {
    assert.equal(detectShape({ id: 'b', status: 'completed' }), 'status');
    assert.equal(detectShape({ id: 'b', status: {}, created_at: 1 }), 'status');
    assert.equal(detectShape({ id: 'b', status: {}, created: 1 }), 'create');
  });

  void test('returns an existing snapshot unchanged', () => {
    const snap = toSnapshot(statusBody());
    assert.ok(snap);
    assert.equal(toSnapshot(snap), snap);
  });

  void test('returns null (never throws) for anything else', () => {
    for (const input of [
      null,
      undefined,
      0,
      'batch_1',
      [],
      {},
      { id: 1, status: 'x' },
      { id: '', status: 'x' },
      { id: 'b' },
    ]) {
      assert.equal(toSnapshot(input), null, JSON.stringify(input));
    }
  });

  void test('does not crash on missing optional fields anywhere', () => {
    const minimal = [
      { id: 'b', status: {} },
      { id: 'b', status: { overall: null, scraping: null } },
      { id: 'b', object: 'batch', status: 'in_progress' },
      { id: 'b', object: 'event.batch.airops.completed', status: { enriching: { state: 'completed', llm: {} } } },
      { id: 'b', status: 'x', scraping: { state: 7, submitted: '3' }, analyzing: [], enriching: 'pending' },
    ];
    for (const input of minimal) {
      const snap = toSnapshot(input);
      assert.ok(snap, JSON.stringify(input));
      assert.ok(isBatchSnapshot(snap));
    }
    const empty = toSnapshot({ id: 'b', status: {} });
    assert.equal(empty?.overall, 'pending');
    assert.equal(empty?.overallDerived, true);
    assert.deepEqual(empty?.unknownValues, [
      'scraping.state=(missing)',
      'analyzing.state=(missing)',
      'enriching.state=(missing)',
    ]);
    const junk = toSnapshot({ id: 'b', status: 'x', scraping: { state: 7, submitted: '3' } });
    assert.equal(junk?.scraping.submitted, null);
  });

  void test('unknownValues are truncated (webhook bodies are untrusted) and capped', () => {
    const snap = toSnapshot({
      id: 'b',
      object: `event.${'x'.repeat(5000)}`,
      status: { overall: 'y'.repeat(5000), ...phases('a1', 'a2', 'a3') },
    });
    assert.ok(snap);
    assert.equal(snap.unknownValues.length, 5);
    assert.ok(snap.unknownValues.every((v) => v.length < 100));
    const items = Array.from({ length: 50 }, (_, i) => ({
      custom_id: `c${i}`,
      status: 'completed',
      page_type: `t${i}`,
    }));
    assert.equal(unknownItemValues({ batch_id: 'b', status: 'completed', counts: {}, items }).length, 20);
  });

  void test('flags unexpected `object` values on create and GET bodies', () => {
    assert.deepEqual(
      snapshotFromCreateResponse({
        id: 'b',
        object: 'batch_v2',
        status: { overall: 'in_progress' },
      }).unknownValues.filter((v) => v.startsWith('object=')),
      ['object=batch_v2'],
    );
    assert.deepEqual(
      snapshotFromStatusResponse({ id: 'b', object: 'batch_airops', status: 'pending' }).unknownValues.filter((v) =>
        v.startsWith('object='),
      ),
      ['object=batch_airops'],
    );
  });
});

void describe('guards', () => {
  void test('isWebhookPayload', () => {
    assert.ok(isWebhookPayload(specJsonBlocks()[3]));
    assert.ok(isWebhookPayload({ object: 'batch.completed', id: 'b', status: {} }));
    assert.equal(isWebhookPayload(specJsonBlocks()[0]), false); // create response
    assert.equal(isWebhookPayload(statusBody()), false);
    assert.equal(isWebhookPayload({ object: 'event.x', id: 'b' }), false);
    assert.equal(isWebhookPayload({ object: 'event.x', status: {} }), false);
    assert.equal(isWebhookPayload(null), false);
    assert.equal(isWebhookPayload('event'), false);
  });

  void test('isBatchSnapshot', () => {
    const snap = toSnapshot(statusBody());
    assert.ok(isBatchSnapshot(snap));
    assert.ok(isBatchSnapshot(JSON.parse(JSON.stringify(snap))));
    assert.equal(isBatchSnapshot(statusBody()), false);
    assert.equal(isBatchSnapshot({ ...snap, scraping: {} }), false);
    assert.equal(isBatchSnapshot({ ...snap, unknownValues: undefined }), false);
    assert.equal(isBatchSnapshot(null), false);
  });
});

void describe('sandbox safety', () => {
  // Workflow code imports these modules inside Temporal's deterministic sandbox: only type imports and the
  // zod-free modules are allowed at runtime.
  const allowed: Record<string, string[]> = {
    'normalize.ts': ['./enums'],
    'enums.ts': [],
    'snapshot.ts': [],
    'errors.ts': [],
    'batch-id.ts': ['./errors'],
  };
  for (const [file, runtimeImports] of Object.entries(allowed)) {
    void test(`olostep/${file} has no runtime imports beyond ${JSON.stringify(runtimeImports)}`, () => {
      const src = readFileSync(join(__dirname, '..', '..', 'olostep', file), 'utf8');
      const imports = [...src.matchAll(/^import\s+(type\s+)?[\s\S]*?from\s+'([^']+)';/gm)]
        .filter((m) => m[1] === undefined)
        .map((m) => m[2]);
      assert.deepEqual(imports, runtimeImports);
      assert.doesNotMatch(src, /\brequire\(|Date\.now|Math\.random|process\./);
    });
  }
});
