// The pure parts of a run, without a server: the zod-free create-request check the workflow runs (the same checks
// as olostep's zod validator), the items summary, run keys, the JSONL sink and URL-list parsing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JsonlFileSink, resultsFileName } from '../../activities/results-sink';
import { ValidationError, validateCreateRequest } from '../../olostep';
import { checkCreateRequest, describeProblems } from '../../olostep/create-request';
import { RunInputError, buildRunRequest, parseUrlList, readUrlList, runKeyOf, urlListFormatOf } from '../../client/run';
import { runIdempotencyKey, runResultsKey } from '../../workflows/run-keys';
import { summarizeItems, type SummarizableItem } from '../../workflows/run-summary';
import { readJsonl, tempResultsDir } from '../../kit/run/helpers';

const item = (i: number) => ({ url: `https://example.com/page/${i}`, custom_id: `c${i}` });
const one = [item(0)];
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, 'v']));

/** Bad requests and the path the first problem must name. */
const BAD: { name: string; input: unknown; path: string }[] = [
  { name: 'body is null', input: null, path: '(request)' },
  { name: 'body is an array', input: [item(0)], path: '(request)' },
  { name: 'no items', input: {}, path: 'items' },
  { name: 'empty items', input: { items: [] }, path: 'items' },
  { name: '10,001 items', input: { items: Array.from({ length: 10_001 }, (_, i) => item(i)) }, path: 'items' },
  { name: 'items not an array', input: { items: { url: 'https://a.test' } }, path: 'items' },
  { name: 'item not an object', input: { items: ['https://a.test'] }, path: 'items[0]' },
  {
    name: 'bad URL (4th item)',
    input: { items: [item(0), item(1), item(2), { url: 'notaurl', custom_id: 'd' }] },
    path: 'items[3].url',
  },
  {
    name: 'URL with a space',
    input: { items: [{ url: 'https://exa mple.com/', custom_id: 'a' }] },
    path: 'items[0].url',
  },
  { name: 'ftp URL', input: { items: [{ url: 'ftp://example.com/f', custom_id: 'a' }] }, path: 'items[0].url' },
  { name: 'URL not a string', input: { items: [{ url: 42, custom_id: 'a' }] }, path: 'items[0].url' },
  { name: 'missing url', input: { items: [item(0), { custom_id: 'b' }] }, path: 'items[1].url' },
  { name: 'missing custom_id', input: { items: [{ url: 'https://a.test/' }] }, path: 'items[0].custom_id' },
  {
    name: 'empty custom_id',
    input: { items: [{ url: 'https://a.test/', custom_id: '' }] },
    path: 'items[0].custom_id',
  },
  {
    name: '256-char custom_id',
    input: { items: [{ url: 'https://a.test/', custom_id: 'x'.repeat(256) }] },
    path: 'items[0].custom_id',
  },
  { name: 'duplicate custom_id', input: { items: [item(0), item(1), item(0)] }, path: 'items[2].custom_id' },
  { name: 'unknown item field', input: { items: [{ ...item(0), extra: 1 }] }, path: 'items[0]' },
  { name: 'unknown top-level field', input: { items: one, webhook_url: 'https://h.test/' }, path: '(request)' },
  { name: '51 metadata keys', input: { items: one, metadata: keys(51) }, path: 'metadata' },
  { name: '41-char metadata key', input: { items: one, metadata: { ['k'.repeat(41)]: 'v' } }, path: 'metadata' },
  { name: 'metadata key with [', input: { items: one, metadata: { 'a[b': 'v' } }, path: 'metadata' },
  { name: '501-char metadata value', input: { items: one, metadata: { k: 'v'.repeat(501) } }, path: 'metadata.k' },
  { name: 'object metadata value', input: { items: one, metadata: { k: { a: 1 } } }, path: 'metadata.k' },
  { name: 'null metadata value', input: { items: one, metadata: { k: null } }, path: 'metadata.k' },
  { name: 'metadata is an array', input: { items: one, metadata: ['a'] }, path: 'metadata' },
  { name: 'empty brand', input: { items: one, brands: ['Acme', ''] }, path: 'brands[1]' },
  { name: '101-char brand', input: { items: one, brands: ['b'.repeat(101)] }, path: 'brands[0]' },
  { name: 'brands not an array', input: { items: one, brands: 'Acme' }, path: 'brands' },
  { name: 'bad country', input: { items: one, country: 'USA' }, path: 'country' },
  { name: 'lowercase country', input: { items: one, country: 'us' }, path: 'country' },
  { name: 'webhook not a URL', input: { items: one, webhook: 'nope' }, path: 'webhook' },
  { name: 'javascript: webhook', input: { items: one, webhook: 'javascript:alert(1)' }, path: 'webhook' },
];

function zodProblems(input: unknown): { path: string; message: string }[] {
  try {
    validateCreateRequest(input);
    return [];
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.details;
  }
}

describe('checkCreateRequest (zod-free, for workflow code)', () => {
  for (const c of BAD) {
    it(`refuses ${c.name} like validateCreateRequest, naming ${c.path}`, () => {
      const pure = checkCreateRequest(c.input);
      const zod = zodProblems(c.input);
      assert.ok(pure.total > 0, 'pure check accepted it');
      assert.ok(zod.length > 0, 'zod accepted it');
      assert.ok(
        pure.problems.some((p) => p.path.startsWith(c.path)),
        `pure paths: ${pure.problems.map((p) => p.path).join(', ')}`,
      );
      assert.ok(
        zod.some((p) => p.path.startsWith(c.path)),
        `zod paths: ${zod.map((p) => p.path).join(', ')}`,
      );
      // The same problems, paths and wording: both run the checks of olostep/create-request.
      assert.deepEqual(pure.problems, zod.slice(0, pure.problems.length));
      assert.equal(pure.total, zod.length);
    });
  }

  it('accepts what validateCreateRequest accepts (limits at their maximum)', () => {
    const good = [
      { items: one },
      {
        items: Array.from({ length: 10_000 }, (_, i) => item(i)),
        brands: ['b'.repeat(100)],
        country: 'GB',
        webhook: 'https://hooks.example.com/airops',
        metadata: { ...keys(47), ['k'.repeat(40)]: 'v'.repeat(500), n: 5, flag: true },
      },
      { items: one, country: 'RANDOM', webhook: null },
    ];
    for (const g of good) {
      assert.deepEqual(zodProblems(g), []);
      assert.deepEqual(checkCreateRequest(g), { problems: [], total: 0 });
    }
  });

  it('names 10,001 URLs by the first item over the limit, and counts every problem while keeping 20', () => {
    const over = checkCreateRequest({ items: Array.from({ length: 10_001 }, (_, i) => item(i)) });
    assert.match(describeProblems(over), /items: must contain at most 10000 items, got 10001 \(items\[10000\]/);
    const bad = checkCreateRequest({ items: Array.from({ length: 500 }, (_, i) => ({ url: 'x', custom_id: `${i}` })) });
    assert.equal(bad.total, 500);
    assert.equal(bad.problems.length, 20);
    assert.match(describeProblems(bad), /^invalid create request \(500 problems\): items\[0\]\.url: .*; and 497 more$/);
  });
});

describe('summarizeItems', () => {
  const items: SummarizableItem[] = [
    {
      custom_id: 'a',
      url: 'https://a',
      status: 'completed',
      page_type: 'news_article',
      author: 'J',
      date_published: '2025-01-01',
      date_modified: null,
      brand_mentions: ['Acme', 'Acme', 'Beta'],
    },
    { custom_id: 'b', url: 'https://b', status: 'completed', page_type: null, author: null, brand_mentions: [] },
    { custom_id: 'c', url: 'https://c', status: 'success', page_type: 'news_article', brand_mentions: ['Beta'] },
    {
      custom_id: 'd',
      url: 'https://d',
      status: 'failed',
      failed_stage: 'scraping',
      error: { code: 'SCRAPE_FAILED', message: 'x' },
    },
    {
      custom_id: 'e',
      url: 'https://e',
      status: 'failed',
      failed_stage: 'enriching',
      error: { code: 'LLM_BATCH_FAILED' },
    },
    { custom_id: 'f', url: null, status: 'failed', error: null },
    { custom_id: 'g', status: 'pending' },
  ];

  it('counts status, failures by stage and code, page types, brands and missing fields', () => {
    const s = summarizeItems(items, { itemsStatus: 'failed', complete: false, apiCounts: null });
    assert.equal(s.total, 7);
    assert.deepEqual(s.byStatus, { failed: 3, completed: 2, pending: 1, success: 1 });
    assert.equal(s.failed.total, 3);
    assert.deepEqual(s.failed.byStage, {
      '(unknown)': { total: 1, byCode: { '(none)': 1 } },
      enriching: { total: 1, byCode: { LLM_BATCH_FAILED: 1 } },
      scraping: { total: 1, byCode: { SCRAPE_FAILED: 1 } },
    });
    assert.deepEqual(s.pageTypes, { news_article: 2, '(null)': 1 });
    assert.deepEqual(s.brandMentions, { itemsWithMentions: 2, itemsWithout: 1, byBrand: { Beta: 2, Acme: 1 } });
    assert.deepEqual(s.missingFields, {
      page_type: 1,
      author: 2,
      date_published: 2,
      date_modified: 3,
      brand_mentions: 0,
    });
    assert.deepEqual(
      s.failedSamples.map((f) => [f.custom_id, f.stage, f.code]),
      [
        ['d', 'scraping', 'SCRAPE_FAILED'],
        ['e', 'enriching', 'LLM_BATCH_FAILED'],
        ['f', '(unknown)', '(none)'],
      ],
    );
  });

  it('stays bounded against a drifting API: 100 keys per map, clipped keys, __proto__ as a plain key', () => {
    const many: SummarizableItem[] = Array.from({ length: 500 }, (_, i) => ({
      custom_id: `x${i}`,
      status: 'completed',
      page_type: `type_${i}_${'z'.repeat(100)}`,
      brand_mentions: ['__proto__'],
    }));
    const s = summarizeItems(many, { itemsStatus: 'completed', complete: true });
    assert.equal(Object.keys(s.pageTypes).length, 101);
    assert.equal(s.pageTypes['(other)'], 400);
    assert.ok(Object.keys(s.pageTypes).every((k) => k.length <= 64));
    assert.equal(Object.getPrototypeOf(s.brandMentions.byBrand), Object.prototype);
    assert.equal((JSON.parse(JSON.stringify(s.brandMentions.byBrand)) as Record<string, number>)['__proto__'], 500);
    assert.ok(JSON.stringify(s).length < 10_000);
  });
});

describe('run keys', () => {
  it('the Idempotency-Key is ≤ 255 visible ASCII, stable, and distinct per first run', () => {
    const runId = '6f1c1a8e-8f0e-4d6b-9b7a-2f6f4c1e9a11';
    const key = runIdempotencyKey('airops-run-abc', runId);
    assert.equal(key, `airops-run-abc-${runId}`);
    assert.equal(runIdempotencyKey('airops-run-abc', runId), key);
    assert.notEqual(runIdempotencyKey('airops-run-abc', runId.replace('6f', '70')), key);
    const odd = runIdempotencyKey(`airops-run-${'ü x'.repeat(200)}`, runId);
    assert.ok(odd.length <= 255);
    assert.match(odd, /^[\x21-\x7e]+$/);
    assert.ok(odd.endsWith(runId));
    assert.equal(runResultsKey('airops-run-abc', 'batch_1'), 'airops-run-abc.batch_1');
  });
});

describe('JsonlFileSink', () => {
  it('writes one item per line atomically, overwrites on retry, and reports size and hash', async () => {
    const { dir, cleanup } = tempResultsDir();
    try {
      const sink = new JsonlFileSink({ dir: join(dir, 'nested') });
      const items = [{ custom_id: 'a', x: 'é' }, { custom_id: 'b' }];
      const first = await sink.write('airops-run-k.batch_1', [{ stale: true }]);
      assert.equal(first.items, 1);
      const ref = await sink.write('airops-run-k.batch_1', items);
      assert.equal(ref.path, first.path);
      assert.equal(ref.kind, 'jsonl-file');
      assert.ok(ref.uri.startsWith('file://'));
      assert.deepEqual(readJsonl(ref.path!), items);
      const bytes = readFileSync(ref.path!);
      assert.equal(ref.bytes, bytes.length);
      assert.equal(ref.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.deepEqual(readdirSync(join(dir, 'nested')), ['airops-run-k.batch_1.jsonl'], 'no temp file left');
    } finally {
      cleanup();
    }
  });

  it('file names are safe and collision-free for odd run keys', () => {
    assert.equal(resultsFileName('airops-run-k.batch_1'), 'airops-run-k.batch_1.jsonl');
    const a = resultsFileName('../../etc/passwd');
    const b = resultsFileName('.._.._etc_passwd');
    assert.match(a, /^[A-Za-z0-9][A-Za-z0-9._-]*\.jsonl$/);
    assert.ok(!a.includes('/'));
    assert.notEqual(a, b);
  });
});

describe('URL lists (client/url-list.ts)', () => {
  it('txt: one URL per line, blank and # lines skipped, ids from line numbers', () => {
    const list = parseUrlList('\uFEFF# my urls\nhttps://a.test/1\n\n  https://a.test/2  \r\nhttps://a.test/3\n');
    assert.deepEqual(list.items, [
      { url: 'https://a.test/1', custom_id: 'line-2' },
      { url: 'https://a.test/2', custom_id: 'line-4' },
      { url: 'https://a.test/3', custom_id: 'line-5' },
    ]);
    assert.deepEqual(list.lines, [2, 4, 5]);
  });

  it('csv with a header: url and custom_id/id columns in any order, quoted fields', () => {
    const csv =
      'Name,ID,URL\n"Acme, Inc",a1,https://a.test/x\nBeta,,"https://a.test/""q"""\n\n"multi\nline",m,https://a.test/m\n';
    const list = parseUrlList(csv, 'csv');
    assert.deepEqual(list.items, [
      { url: 'https://a.test/x', custom_id: 'a1' },
      { url: 'https://a.test/"q"', custom_id: 'line-3' },
      { url: 'https://a.test/m', custom_id: 'm' },
    ]);
    assert.deepEqual(list.lines, [2, 3, 5]);
  });

  it('csv without a header: column 1 URL, column 2 id', () => {
    const list = parseUrlList('https://a.test/1,one\r\nhttps://a.test/2\r\n', 'csv');
    assert.deepEqual(list.items, [
      { url: 'https://a.test/1', custom_id: 'one' },
      { url: 'https://a.test/2', custom_id: 'line-2' },
    ]);
  });

  it('csv: commas, quotes and line breaks inside quoted fields; BOM, mixed line endings, spaces around quotes', () => {
    const csv =
      '\uFEFF"https://a.test/q?tags=a,b","id, with comma"\r\n' +
      '  "https://a.test/2"  ,"say ""hi"""\n' +
      '"https://a.test/3","two\r\nlines"\r' +
      ',\r\n' +
      'https://a.test/5,"x""y"\n';
    const list = parseUrlList(csv, 'csv');
    assert.deepEqual(list.items, [
      { url: 'https://a.test/q?tags=a,b', custom_id: 'id, with comma' },
      { url: 'https://a.test/2', custom_id: 'say "hi"' },
      { url: 'https://a.test/3', custom_id: 'two\r\nlines' },
      { url: 'https://a.test/5', custom_id: 'x"y' },
    ]);
    assert.deepEqual(list.lines, [1, 2, 3, 6]);
  });

  it('csv errors name the line the bad record starts on', () => {
    assert.throws(
      () => parseUrlList('url\r\nhttps://a.test/1\r\n\r\n"https://a.test/2\r\nhttps://a.test/3\r\n', 'csv'),
      (err: unknown) => err instanceof RunInputError && err.message === 'line 4: a quoted CSV field is never closed',
    );
    assert.throws(
      () => parseUrlList('url,id\n"multi\nline",a\n"https://a.test/"x,b\n', 'csv'),
      (err: unknown) => err instanceof RunInputError && /^line 4: text follows a closing quote/.test(err.message),
    );
  });

  it('refuses an empty list and an unclosed quote', () => {
    assert.throws(() => parseUrlList('# nothing\n\n'), RunInputError);
    assert.throws(() => parseUrlList('url\n"https://a.test', 'csv'), /line 2: a quoted CSV field is never closed/);
  });

  it('buildRunRequest names the bad item and its line; 10,001 URLs are refused', () => {
    const list = parseUrlList('https://a.test/1\n\nnotaurl\nhttps://a.test/4\n');
    assert.throws(
      () => buildRunRequest(list),
      (err: unknown) => {
        assert.ok(err instanceof RunInputError);
        assert.match(err.message, /items\[1\]\.url \(line 3\): "notaurl" is not a valid URL/);
        assert.deepEqual(err.problems[0], {
          path: 'items[1].url',
          line: 3,
          message: '"notaurl" is not a valid URL (cannot be parsed)',
        });
        return true;
      },
    );
    const big = parseUrlList(Array.from({ length: 10_001 }, (_, i) => `https://a.test/${i}`).join('\n'));
    assert.throws(() => buildRunRequest(big), /items: must contain at most 10000 items, got 10001/);
    const ok = buildRunRequest(parseUrlList('https://a.test/1'), { brands: ['Acme'], country: 'US' });
    assert.deepEqual(ok, {
      items: [{ url: 'https://a.test/1', custom_id: 'line-1' }],
      brands: ['Acme'],
      country: 'US',
    });
  });

  it('run keys follow content, not key order; files are read by extension', async () => {
    const a = runKeyOf({ items: one, brands: ['x'], country: 'US' });
    assert.equal(a, runKeyOf({ country: 'US', brands: ['x'], items: one }));
    assert.notEqual(a, runKeyOf({ items: one, brands: ['y'], country: 'US' }));
    assert.equal(urlListFormatOf('x/urls.CSV'), 'csv');
    assert.equal(urlListFormatOf('urls.txt'), 'txt');
    const { dir, cleanup } = tempResultsDir();
    try {
      const path = join(dir, 'urls.csv');
      writeFileSync(path, 'url,custom_id\nhttps://a.test/1,a\n');
      assert.deepEqual((await readUrlList(path)).items, [{ url: 'https://a.test/1', custom_id: 'a' }]);
      assert.ok(existsSync(path));
    } finally {
      cleanup();
    }
  });
});
