// Lifecycle per scenario on the manual clock: the phase sequence a poller sees matches docs/airops-api.md#event-sequences,
// counts add up (docs/airops-api.md#count-relations) and only ever grow, and at the end GET status and GET items equal the ground truth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulatorHandle } from '../../simulator/server';
import type { BatchScript } from '../../simulator/scenarios';
import type { BatchStatusResponse, ItemsFinalResponse } from '../../simulator/types';
import { T0, advanceTo, createBatch, items, request, sampleTimes, startManual } from './helpers';

type Row = string; // "S/A/E overall"
const row = (s: BatchStatusResponse): Row =>
  `${s.scraping.state}/${s.analyzing.state}/${s.enriching.state} ${s.status}`;

// The canonical sequences of docs/airops-api.md#event-sequences, as a poller sees them (the create row is the first).
const HAPPY: Row[] = [
  'started/pending/pending in_progress',
  'completed/started/pending in_progress',
  'completed/completed/pending in_progress',
  'completed/completed/started in_progress',
  'completed/completed/completed completed',
];
const SEQUENCES: Record<string, Row[]> = {
  happy: HAPPY,
  partial_failures: HAPPY,
  enrichment_skipped: [...HAPPY.slice(0, 3), 'completed/completed/skipped completed'],
  scraping_failed: ['started/pending/pending in_progress', 'failed/pending/pending failed'],
  analyzing_failed: [...HAPPY.slice(0, 2), 'completed/failed/pending failed'],
  enriching_failed: [...HAPPY.slice(0, 4), 'completed/completed/failed failed'],
};

function checkInvariants(s: BatchStatusResponse, total: number, label: string): void {
  const { scraping: sc, analyzing: an, enriching: en } = s;
  assert.equal(sc.submitted, total, `${label}: submitted`);
  assert.equal(sc.valid, total, `${label}: valid`);
  assert.ok(sc.succeeded + sc.failed <= sc.valid, `${label}: succeeded+failed <= valid`);
  if (sc.state === 'completed' || sc.state === 'failed') {
    assert.equal(sc.succeeded + sc.failed, sc.valid, `${label}: succeeded+failed = valid`);
    assert.ok(sc.completed_at !== null && sc.started_at !== null && sc.completed_at >= sc.started_at);
  } else {
    assert.equal(sc.completed_at, null);
  }
  if (sc.state === 'failed') {
    assert.equal(sc.succeeded, 0, 'scraping fails only when every URL fails');
    assert.equal(sc.error?.code, 'SCRAPING_ERROR');
  }
  if (an.state === 'completed') {
    assert.equal(an.items_analyzed, sc.succeeded, `${label}: items_analyzed = scraping.succeeded`);
    assert.equal(an.items_needing_enrichment + an.items_complete, an.items_analyzed, `${label}: needing+complete`);
    assert.equal(en.items_to_enrich, an.items_needing_enrichment, `${label}: items_to_enrich = needing`);
    const fte = an.fields_to_enrich;
    assert.ok(fte, 'fields_to_enrich once analysis completed');
    for (const v of Object.values(fte)) assert.ok(v >= 0 && v <= an.items_needing_enrichment, `${label}: field count`);
  } else {
    assert.equal(an.fields_to_enrich, null);
    assert.equal(an.items_analyzed, 0);
  }
  assert.ok(en.items_enriched + en.items_failed <= en.items_to_enrich, `${label}: enriched+failed <= to_enrich`);
  if (en.state === 'completed' || en.state === 'failed') {
    assert.equal(en.items_enriched + en.items_failed, en.items_to_enrich, `${label}: enriched+failed = to_enrich`);
  }
  if (en.state === 'started' || en.state === 'completed' || en.state === 'failed') {
    assert.equal(en.batch_mode, s.batch_mode, 'enriching.batch_mode once started (GET)');
    if (s.batch_mode) assert.match(en.llm_batch_id ?? '', /^batch_/, 'llm_batch_id once enriching started');
  } else {
    assert.equal(en.llm_batch_id, null);
    assert.equal(en.batch_mode, undefined);
  }
  if (en.state === 'completed') {
    assert.ok(en.llm && en.llm.usage.total_tokens === en.llm.usage.prompt_tokens + en.llm.usage.completion_tokens);
  } else {
    assert.equal(en.llm, undefined, 'llm only once enrichment completed');
  }
  if (en.state === 'failed')
    assert.match(en.error?.code ?? '', /^(LLM_BATCH_FAILED|LLM_BATCH_EXPIRED|ENRICHING_ERROR)$/);
  // After a phase fails, later phases stay pending (docs/airops-api.md#phase-states).
  if (sc.state === 'failed') assert.deepEqual([an.state, en.state], ['pending', 'pending']);
  if (an.state === 'failed') assert.equal(en.state, 'pending');
}

const COUNTERS = [
  (s: BatchStatusResponse) => s.scraping.succeeded,
  (s: BatchStatusResponse) => s.scraping.failed,
  (s: BatchStatusResponse) => s.analyzing.items_analyzed,
  (s: BatchStatusResponse) => s.enriching.items_enriched,
  (s: BatchStatusResponse) => s.enriching.items_failed,
];

interface Case {
  name: string;
  sequence: keyof typeof SEQUENCES;
  script: BatchScript;
  n: number;
}
const CASES: Case[] = [
  { name: 'happy', sequence: 'happy', script: { scenario: 'happy' }, n: 40 },
  { name: 'enrichment_skipped', sequence: 'enrichment_skipped', script: { scenario: 'enrichment_skipped' }, n: 40 },
  { name: 'partial_failures', sequence: 'partial_failures', script: { scenario: 'partial_failures' }, n: 80 },
  { name: 'scraping_failed', sequence: 'scraping_failed', script: { scenario: 'scraping_failed' }, n: 25 },
  { name: 'analyzing_failed', sequence: 'analyzing_failed', script: { scenario: 'analyzing_failed' }, n: 25 },
  {
    name: 'enriching_failed (LLM_BATCH_FAILED)',
    sequence: 'enriching_failed',
    script: { scenario: 'llm_batch_failed' },
    n: 60,
  },
  {
    name: 'enriching_failed (LLM_BATCH_EXPIRED)',
    sequence: 'enriching_failed',
    script: { scenario: 'llm_batch_expired' },
    n: 60,
  },
  { name: 'one URL', sequence: 'happy', script: { scenario: 'happy' }, n: 1 },
];

void describe('lifecycle per scenario (manual clock)', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startManual();
  });
  after(() => sim.close());

  for (const c of CASES) {
    void test(c.name, async () => {
      sim.scriptNextBatch(c.script);
      const { id, res } = await createBatch(sim, { items: items(c.n), brands: ['Acme', 'Globex'] });
      const created = res.json as { created: number; status: { scraping: { state: string } } };
      const truth = sim.groundTruth(id);
      // A regular grid (for rates) plus every transition.
      const grid = Array.from(
        { length: 60 },
        (_, i) => truth.created + Math.round(((truth.terminalAt - truth.created) * i) / 60),
      );
      const times = [
        ...new Set([
          ...grid,
          ...sampleTimes(
            truth.events.map((e) => e.at),
            truth.created,
          ),
        ]),
      ].sort((a, b) => a - b);
      const seen: Row[] = [`${created.status.scraping.state}/pending/pending in_progress`];
      let prev: BatchStatusResponse | null = null;
      let risingScrape = 0;
      let risingEnrich = 0;
      for (const t of times) {
        await advanceTo(sim, t);
        const s = (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json as BatchStatusResponse;
        const label = `${c.name} at +${t - truth.created} ms`;
        checkInvariants(s, c.n, label);
        if (seen[seen.length - 1] !== row(s)) seen.push(row(s));
        if (prev) {
          for (const counter of COUNTERS) assert.ok(counter(s) >= counter(prev), `${label}: counters never go down`);
          if (
            s.scraping.state === 'started' &&
            s.scraping.succeeded + s.scraping.failed > prev.scraping.succeeded + prev.scraping.failed
          )
            risingScrape++;
          if (
            s.enriching.state === 'started' &&
            s.enriching.items_enriched + s.enriching.items_failed >
              prev.enriching.items_enriched + prev.enriching.items_failed
          )
            risingEnrich++;
        }
        prev = s;
        const list = (await request(sim, 'GET', `/v1/batches-airops/${id}/items`)).json as {
          status: string;
          items: unknown[];
        };
        if (t < truth.terminalAt) assert.deepEqual([list.status, list.items.length], ['in_progress', 0], label);
      }
      assert.deepEqual(seen, SEQUENCES[c.sequence], 'phase sequence (docs/airops-api.md#event-sequences)');
      if (c.n >= 20) {
        assert.ok(risingScrape >= 3, `scraping counts rise during the phase (${risingScrape})`);
        if (truth.events.some((e) => e.type.endsWith('enriching_started')))
          assert.ok(risingEnrich >= 2, `enrichment counts rise (${risingEnrich})`);
      }

      // The end: GET status and items equal the ground truth.
      const final = (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json as BatchStatusResponse;
      assert.deepEqual(final, truth.final);
      assert.equal(final.status, truth.outcome);
      const list = (await request(sim, 'GET', `/v1/batches-airops/${id}/items`)).json as ItemsFinalResponse;
      assert.equal(list.status, truth.outcome);
      assert.deepEqual(list.items, truth.items);
      assert.deepEqual(list.counts, truth.counts);
      assert.equal(list.completed_at, new Date(truth.terminalAt).toISOString());
      // Items: input order, counts consistent with the phases.
      assert.deepEqual(
        list.items.map((i) => i.custom_id),
        items(c.n).map((i) => i.custom_id),
      );
      assert.equal(list.counts.total, c.n);
      assert.equal(list.counts.succeeded + list.counts.failed, c.n);
      const scrapeFailed = list.items.filter((i) => i.status === 'failed' && i.failed_stage === 'scraping');
      assert.equal(scrapeFailed.length, final.scraping.failed);
      for (const i of scrapeFailed)
        assert.deepEqual(i.status === 'failed' && i.error, { code: 'SCRAPE_FAILED', message: 'URL failed to scrape' });
      if (truth.outcome === 'completed') {
        assert.equal(list.counts.failed, final.scraping.failed + final.enriching.items_failed);
        for (const i of list.items) {
          if (i.status !== 'completed') continue;
          for (const b of i.brand_mentions) assert.ok(['Acme', 'Globex'].includes(b), 'brand_mentions ⊆ brands');
          assert.ok(i.date_published === null || /^\d{4}-\d{2}-\d{2}$/.test(i.date_published));
        }
      } else {
        assert.ok(truth.failure);
        assert.equal(list.message, `Batch failed during ${truth.failure.phase}: ${truth.failure.error.code}`);
      }
    });
  }

  void test('phase timings follow the reference lifecycle: scraping 300 s, analyzing 2 s, enriching 1,295 s', async () => {
    sim.scriptNextBatch({ scenario: 'happy' });
    const { id } = await createBatch(sim, { items: items(10) });
    const t = sim.groundTruth(id).final;
    assert.equal(t.scraping.completed_at! - t.scraping.started_at!, 300_000);
    assert.equal(t.analyzing.completed_at! - t.analyzing.started_at!, 2_000);
    assert.equal(t.enriching.completed_at! - t.enriching.started_at!, 1_295_000);
    assert.equal(t.enriching.llm?.completion_time_ms, 1_295_000);
  });

  void test('durations, rates and failing custom_ids are configurable per batch', async () => {
    sim.scriptNextBatch({
      durations: { scrapingMs: 10_000, analyzingMs: 500, enrichSubmitMs: 100, enrichingMs: 20_000 },
      needsEnrichmentRate: 1,
      failCustomIds: { scraping: ['item-1'], enriching: ['item-2'] },
    });
    const { id } = await createBatch(sim, { items: items(5) });
    const truth = sim.groundTruth(id);
    assert.equal(truth.terminalAt - truth.created, 10_000 + 500 + 100 + 20_000);
    assert.equal(truth.final.scraping.failed, 1);
    assert.equal(truth.final.analyzing.items_needing_enrichment, 4);
    assert.equal(truth.final.enriching.items_failed, 1);
    const byId = Object.fromEntries(truth.items.map((i) => [i.custom_id, i]));
    assert.deepEqual(byId['item-1'], {
      custom_id: 'item-1',
      url: 'https://example.test/blog/post-1',
      status: 'failed',
      failed_stage: 'scraping',
      error: { code: 'SCRAPE_FAILED', message: 'URL failed to scrape' },
    });
    assert.equal(byId['item-2']?.status === 'failed' && byId['item-2'].failed_stage, 'enriching');
  });

  void test('scenario from metadata sim_* keys; bad sim_* values are validation errors', async () => {
    const { id } = await createBatch(sim, {
      items: items(3),
      metadata: { sim_scenario: 'llm_batch_expired', sim_scraping_ms: 1000, sim_enriching_ms: '5000' },
    });
    const truth = sim.groundTruth(id);
    assert.equal(truth.scenario, 'enriching_failed');
    assert.equal(truth.failure?.error.code, 'LLM_BATCH_EXPIRED');
    assert.equal(truth.final.scraping.completed_at! - truth.created, 1000);
    // EXPIRED fails at the end of the enriching window.
    assert.equal(truth.terminalAt - truth.final.enriching.started_at!, 5000);

    const bad = await request(sim, 'POST', '/v1/batches-airops', {
      body: { items: items(1), metadata: { sim_scenario: 'nope', sim_scraping_ms: 'soon', sim_typo: 'x' } },
    });
    assert.equal(bad.status, 400);
    const paths = (bad.json as { details: { path: string }[] }).details.map((d) => d.path).sort();
    assert.deepEqual(paths, ['metadata.sim_scraping_ms', 'metadata.sim_typo']);
    const badName = await request(sim, 'POST', '/v1/batches-airops', {
      body: { items: items(1), metadata: { sim_scenario: 'nope' } },
    });
    assert.equal(badName.status, 400);
    assert.deepEqual(
      (badName.json as { details: { path: string }[] }).details.map((d) => d.path),
      ['metadata.sim_scenario'],
    );
  });

  void test('precedence: default < next-batch script < metadata < scriptBatch', async () => {
    sim.setDefaultScript({ scenario: 'scraping_failed' });
    try {
      const a = await createBatch(sim, { items: items(2) });
      assert.equal(sim.groundTruth(a.id).scenario, 'scraping_failed');
      sim.scriptNextBatch({ scenario: 'enrichment_skipped' }, 2);
      const b = await createBatch(sim, { items: items(2) });
      const c = await createBatch(sim, { items: items(2), metadata: { sim_scenario: 'analyzing_failed' } });
      const d = await createBatch(sim, { items: items(2) });
      assert.deepEqual(
        [b, c, d].map((x) => sim.groundTruth(x.id).scenario),
        ['enrichment_skipped', 'analyzing_failed', 'scraping_failed'],
      );
      sim.scriptBatch(d.id, { scenario: 'happy' });
      assert.equal(sim.groundTruth(d.id).scenario, 'happy');
      await sim.clock.advance(1);
      assert.throws(() => sim.scriptBatch(d.id, { scenario: 'happy' }), { name: 'SimulatorControlError' });
      assert.throws(() => sim.scriptBatch('batch_nope', {}), { name: 'SimulatorControlError' });
      assert.throws(() => sim.scriptNextBatch({ scenario: 'bogus' as never }), { name: 'ZodError' });
    } finally {
      sim.setDefaultScript(undefined);
    }
  });
});

void describe('determinism', () => {
  void test('same seed and input → same ids and ground truth; another seed → different outcomes', async () => {
    const run = async (seed: number) => {
      const sim = await startManual({ seed });
      try {
        sim.setDefaultScript({ scenario: 'partial_failures' });
        const { id } = await createBatch(sim, { items: items(50), brands: ['Acme'] });
        return sim.groundTruth(id);
      } finally {
        await sim.close();
      }
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    assert.deepEqual(a, b);
    assert.notEqual(a.batchId, c.batchId);
    assert.notDeepEqual(a.items, c.items);
    // An explicit script seed reproduces outcomes across simulators and batch ids.
    const withSeed = async (simSeed: number) => {
      const sim = await startManual({ seed: simSeed });
      try {
        const { id } = sim.createBatch({ items: items(30) }, { scenario: 'partial_failures', seed: 'fixed' });
        const t = sim.groundTruth(id);
        return { items: t.items, final: { ...t.final, id: '' } };
      } finally {
        await sim.close();
      }
    };
    assert.deepEqual(await withSeed(1), await withSeed(2));
  });

  void test('createdAgoMs backdates a batch: it is that far into its lifecycle at once; a negative age is refused', async () => {
    const sim = await startManual();
    try {
      const script: BatchScript = { scenario: 'happy', seed: 'aged', durations: { scrapingMs: 600_000 } };
      const fresh = sim.createBatch({ items: items(100) }, script);
      const aged = sim.createBatch({ items: items(100) }, script, { createdAgoMs: 300_000 });
      const [f, a] = await Promise.all(
        [fresh.id, aged.id].map(
          async (id) => (await request(sim, 'GET', `/v1/batches-airops/${id}`)).json as BatchStatusResponse,
        ),
      );
      assert.equal(a!.created_at, f!.created_at - 300_000);
      assert.equal(f!.scraping.succeeded, 0);
      // Halfway through a 10-minute scraping phase: some items done, not all.
      assert.ok(a!.scraping.succeeded > 0 && a!.scraping.succeeded < 100, `${a!.scraping.succeeded}`);
      assert.throws(
        () => sim.createBatch({ items: items(1) }, script, { createdAgoMs: -1 }),
        /createdAgoMs must be >= 0/,
      );
    } finally {
      await sim.close();
    }
  });

  void test('10,000 URLs: create and GETs stay cheap', async () => {
    const sim = await startManual();
    try {
      const started = performance.now();
      const { id } = await createBatch(sim, { items: items(10_000) });
      const createMs = performance.now() - started;
      await sim.clock.advance(150_000);
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) await request(sim, 'GET', `/v1/batches-airops/${id}`);
      const perGet = (performance.now() - t0) / 50;
      assert.ok(createMs < 15_000, `create of 10,000 items took ${createMs.toFixed(0)} ms`);
      assert.ok(perGet < 100, `GET status took ${perGet.toFixed(2)} ms`);
      await sim.clock.advance(3_600_000);
      const list = (await request(sim, 'GET', `/v1/batches-airops/${id}/items`)).json as ItemsFinalResponse;
      assert.equal(list.items.length, 10_000);
    } finally {
      await sim.close();
    }
  });
});

void describe('real clock', () => {
  void test('virtual time = start + elapsed × timeScale; a batch completes in scaled wall time', async () => {
    const { startSimulator } = await import('../../simulator/server');
    const sim = await startSimulator({ timeScale: 20_000, startTime: T0, apiKey: 'k' });
    try {
      const before = sim.clock.now();
      await assert.rejects(sim.clock.advance(1), /manual clock/);
      const res = await fetch(`${sim.url}/v1/batches-airops`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ items: items(5) }),
      });
      const { id } = (await res.json()) as { id: string };
      // 300 + 2 + 3 + 1,295 s = 1,600 s virtual = 80 ms wall at 20,000×.
      let status = '';
      const deadline = Date.now() + 5_000;
      while (status !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        const s = await fetch(`${sim.url}/v1/batches-airops/${id}`, { headers: { authorization: 'Bearer k' } });
        status = ((await s.json()) as { status: string }).status;
      }
      assert.equal(status, 'completed');
      assert.ok(sim.clock.now() - before >= 1_600_000);
      assert.ok(before >= T0 && before < T0 + 20_000 * 1_000, 'virtual time starts at startTime');
    } finally {
      await sim.close();
    }
  });
});
