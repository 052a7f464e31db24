// Loads the documented examples from the reference copies in test/olostep/fixtures (see its README).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '..', 'fixtures');

/** The JSON code blocks of the spec markdown, in order. */
export function specJsonBlocks(): unknown[] {
  const md = readFileSync(join(dir, 'olostep-airops-api.md.txt'), 'utf8');
  const blocks: unknown[] = [];
  for (const m of md.matchAll(/```json\n([\s\S]*?)```/g)) blocks.push(JSON.parse(m[1] ?? ''));
  return blocks;
}

/** The JSON bodies on the original status-endpoint page: each starts with a `{` line and ends with a `}` line. */
export function statusPageExamples(): unknown[] {
  const lines = readFileSync(join(dir, 'status-endpoint-page.txt'), 'utf8').split('\n');
  const out: unknown[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    if (current === null && line === '{') current = [line];
    else if (current !== null) {
      current.push(line);
      if (line === '}') {
        out.push(JSON.parse(current.join('\n')));
        current = null;
      }
    }
  }
  return out;
}

export interface OpenApiExample {
  operationId: string;
  /** `request` or the HTTP status of the response. */
  where: string;
  example: unknown;
}

type Json = Record<string, unknown>;

export function openApiDocument(): Json {
  return JSON.parse(readFileSync(join(dir, 'olostep-airops-openapi.json'), 'utf8')) as Json;
}

/** Every request and response `example` under `paths`. */
export function openApiExamples(): OpenApiExample[] {
  const doc = openApiDocument();
  const out: OpenApiExample[] = [];
  for (const methods of Object.values(doc.paths as Json)) {
    for (const op of Object.values(methods as Json) as Json[]) {
      const operationId = op.operationId as string;
      const reqExample = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as
        Json | undefined;
      if (reqExample && 'example' in reqExample)
        out.push({ operationId, where: 'request', example: reqExample.example });
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const media = ((response as Json).content as Json | undefined)?.['application/json'] as Json | undefined;
        if (media && 'example' in media) out.push({ operationId, where: status, example: media.example });
      }
    }
  }
  return out;
}

/** A GET status body with every documented field; pass overrides for the parts a test cares about. */
export function statusBody(overrides: Json = {}): Json {
  return {
    id: 'batch_abc123xyz',
    object: 'batch',
    created_at: 1705315200000,
    total_urls: 2,
    status: 'in_progress',
    batch_mode: true,
    scraping: {
      state: 'completed',
      submitted: 2,
      valid: 2,
      succeeded: 2,
      failed: 0,
      started_at: 1705315200000,
      completed_at: 1705315500000,
      error: null,
    },
    analyzing: {
      state: 'started',
      items_analyzed: 0,
      items_needing_enrichment: 0,
      items_complete: 0,
      fields_to_enrich: null,
      started_at: 1705315500000,
      completed_at: null,
    },
    enriching: {
      state: 'pending',
      items_to_enrich: 0,
      items_enriched: 0,
      items_failed: 0,
      llm_batch_id: null,
      batch_mode: true,
      started_at: null,
      completed_at: null,
      error: null,
    },
    ...overrides,
  };
}

/** The finished items body of docs/airops-api.md#batch-items (two completed items, one failed). */
export function completedItemsBody(batchId = 'batch_abc123xyz'): Json {
  return {
    batch_id: batchId,
    completed_at: '2026-01-02T03:04:05.000Z',
    status: 'completed',
    counts: { total: 2, succeeded: 1, failed: 1 },
    items: [
      {
        custom_id: 'a1',
        url: 'https://ex.test/blog/x',
        status: 'completed',
        page_type: 'news_article',
        author: 'J. Roe',
        date_published: '2025-11-03',
        date_modified: null,
        brand_mentions: ['Acme'],
      },
      {
        custom_id: 'a2',
        url: 'https://ex.test/dead',
        status: 'failed',
        failed_stage: 'scraping',
        error: { code: 'SCRAPE_FAILED', message: 'URL failed to scrape' },
      },
    ],
  };
}
