import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AnalyzingPhase,
  BatchSnapshot,
  EnrichingPhase,
  ScrapingPhase,
  SnapshotSource,
} from '../../olostep/snapshot';
import { MAX_UNKNOWN_VALUES, MAX_UNKNOWN_VALUE_LENGTH } from '../../olostep/normalize';
import { recordPoll, recordPollError } from '../../workflows/poll-stats';
import { outcomeOf, progressOf } from '../../workflows/progress';
import { applySnapshot } from '../../workflows/reducer';
import { MAX_TIMELINE, initialState, isTerminal, type TrackerState } from '../../workflows/tracker-state';
import {
  BATCH_ID,
  CREATED,
  derive,
  enrichingFailedPath,
  happyPath,
  scrapingFailedPath,
  skipPath,
  snapshot,
  webhook,
} from './snapshot-builder';

/** Applies snapshots in order, one second apart (observed time), starting at CREATED. */
function run(snaps: readonly BatchSnapshot[], state = initialState(BATCH_ID, CREATED), start = CREATED): TrackerState {
  return snaps.reduce((s, snap, i) => applySnapshot(s, snap, start + i * 1_000), state);
}

/** The lifecycle-relevant part of the state: what must not depend on arrival order (observed times excluded). */
function lifecycleView(s: TrackerState): unknown {
  const phase = (p: keyof TrackerState['phases']) => {
    const { firstObservedAt: _observed, ...rest } = s.phases[p];
    return rest;
  };
  return {
    overall: s.overall,
    currentPhase: s.currentPhase,
    failedPhase: s.failedPhase,
    scraping: phase('scraping'),
    analyzing: phase('analyzing'),
    enriching: phase('enriching'),
    totalUrls: s.totalUrls,
    createdAt: s.createdAt,
    batchMode: s.batchMode,
    llmBatchId: s.llmBatchId,
    unknownValues: [...s.unknownValues].sort(),
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const RANK: Record<string, number> = { pending: 0, in_progress: 1, started: 1, completed: 2, failed: 2, skipped: 2 };

void describe('lifecycle: canonical paths', () => {
  void test('happy path: states, current phase, metrics, outcome', () => {
    const snaps = happyPath();
    const phases: Array<string | null> = [];
    let s = initialState(BATCH_ID, CREATED);
    snaps.forEach((snap, i) => {
      s = applySnapshot(s, snap, CREATED + i * 1_000);
      phases.push(s.currentPhase);
    });
    // Step 5 (enriching completed, overall not yet) keeps us in enriching, awaiting the terminal `completed`.
    assert.deepEqual(phases, ['scraping', 'scraping', 'analyzing', 'enriching', 'enriching', 'enriching', null]);
    assert.equal(s.overall, 'completed');
    assert.ok(isTerminal(s));
    assert.deepEqual(
      [s.phases.scraping.state, s.phases.analyzing.state, s.phases.enriching.state],
      ['completed', 'completed', 'completed'],
    );
    assert.deepEqual(s.phases.scraping.metrics, { submitted: 100, valid: 100, succeeded: 98, failed: 2 });
    assert.equal(s.phases.analyzing.metrics.itemsNeedingEnrichment, 45);
    assert.deepEqual(s.phases.analyzing.metrics.fieldsToEnrich, { author: 30, date_published: 20 });
    assert.equal(s.phases.enriching.metrics.itemsEnriched, 44);
    assert.equal(s.phases.enriching.metrics.llm?.model, 'default');
    assert.equal(s.llmBatchId, 'batch_llm_1');
    assert.equal(s.batchMode, true);
    assert.equal(s.stats.webhookEvents, 6);

    const out = outcomeOf(s, CREATED + 10_000);
    assert.equal(out.status, 'completed');
    assert.equal(out.terminal, true);
    assert.equal(out.failedPhase, null);
    assert.equal(out.error, null);
    assert.equal(out.phases.scraping.durationMs, 300_000); // from the API's started_at/completed_at
    assert.equal(out.phases.enriching.durationMs, 1_295_000);
    assert.equal(out.apiDurationMs, 1_597_000);
    assert.equal(out.observedDurationMs, 6_000);
    assert.deepEqual(
      out.timeline.map((e) => `${e.phase}:${e.from ?? '-'}>${e.to}`),
      [
        'scraping:->started',
        'analyzing:->pending',
        'enriching:->pending',
        'overall:->in_progress',
        'scraping:started>completed',
        'analyzing:pending>started',
        'analyzing:started>completed',
        'enriching:pending>started',
        'enriching:started>completed',
        'overall:in_progress>completed',
      ],
    );
    assert.equal(out.timeline[4]?.event, 'event.batch.airops.scraping_completed');
    assert.equal(out.timeline[0]?.source, 'create');
    assert.ok(!('event' in (out.timeline[0] ?? {})), 'no event key on create entries (JSON-stable)');
    const p = progressOf(s, CREATED + 10_000);
    assert.equal(p.percent, 100);
    assert.equal(p.etaMs, 0);
    assert.equal(p.stalled, false);
  });

  void test('enrichment skipped: completed, enriching skipped counts as done', () => {
    const s = run(skipPath());
    assert.equal(s.overall, 'completed');
    assert.equal(s.phases.enriching.state, 'skipped');
    assert.equal(s.currentPhase, null);
    const p = progressOf(s, CREATED + 10_000);
    assert.equal(p.phases.enriching.percent, 100);
    assert.equal(p.percent, 100);
    // Before the terminal event, skipped enrichment already contributes its full weight.
    const [create, sDone, aDone] = skipPath();
    const before = run([
      create!,
      sDone!,
      aDone!,
      derive(aDone!, { enriching: { state: 'skipped' }, source: { kind: 'status' } }),
    ]);
    assert.equal(progressOf(before, CREATED).percent, 99.9);
    assert.equal(outcomeOf(s, CREATED).phases.enriching.firstObservedAt.skipped, CREATED + 3_000);
  });

  void test('scraping failed: failed batch even while `overall` lags, later phases stay pending', () => {
    const snaps = scrapingFailedPath();
    const afterPhaseEvent = run(snaps.slice(0, 2));
    // The scraping_failed payload still says in_progress; a failed phase fails the batch (docs/airops-api.md#overall-status).
    assert.equal(afterPhaseEvent.overall, 'failed');
    assert.ok(isTerminal(afterPhaseEvent));
    const s = run(snaps);
    assert.equal(s.overall, 'failed');
    assert.equal(s.failedPhase, 'scraping');
    assert.equal(s.currentPhase, null);
    assert.equal(s.phases.analyzing.state, 'pending');
    assert.equal(s.phases.enriching.state, 'pending');
    const out = outcomeOf(s, CREATED + 5_000);
    assert.deepEqual(out.error, { code: 'SCRAPING_ERROR', message: 'All URLs failed to scrape' });
    assert.equal(out.phases.scraping.metrics.failed, 100);
    assert.equal(s.timeline.filter((e) => e.phase === 'overall' && e.to === 'failed').length, 1);
  });

  void test('enriching failed: failed batch, error kept, failedPhase enriching', () => {
    const s = run(enrichingFailedPath());
    assert.equal(s.overall, 'failed');
    assert.equal(s.failedPhase, 'enriching');
    assert.equal(s.phases.enriching.state, 'failed');
    assert.equal(s.phases.enriching.error?.code, 'LLM_BATCH_FAILED');
    assert.equal(outcomeOf(s, CREATED).error?.code, 'LLM_BATCH_FAILED');
  });

  void test('analyzing failure without its own event: overall failed names the phase that was current', () => {
    const [create, , sDone] = happyPath();
    const s = run([
      create!,
      sDone!,
      derive(sDone!, { overall: 'failed', source: webhook('failed', CREATED + 400_000) }),
    ]);
    assert.equal(s.overall, 'failed');
    assert.equal(s.failedPhase, 'analyzing');
    assert.equal(s.phases.analyzing.state, 'started');
    // Same when one poll shows both the move into analyzing and the failure.
    const onePoll = run([create!, derive(sDone!, { overall: 'failed', source: { kind: 'status' } })]);
    assert.equal(onePoll.failedPhase, 'analyzing');
  });

  void test('terminal overall wins over lagging phases', () => {
    const [create] = happyPath();
    const s = run([
      create!,
      snapshot({
        overall: 'completed',
        scraping: { state: 'completed' },
        analyzing: { state: 'completed' },
        enriching: { state: 'started' },
      }),
    ]);
    assert.ok(isTerminal(s));
    assert.equal(s.currentPhase, null);
    assert.equal(s.phases.enriching.state, 'started'); // observed as is, not invented
    assert.equal(progressOf(s, CREATED).percent, 100);
  });
});

void describe('lifecycle: monotonic merge', () => {
  void test('terminal is final: neither overall nor a terminal phase state changes afterwards', () => {
    const done = run(happyPath());
    const failedLater = snapshot({
      overall: 'failed',
      scraping: { state: 'completed' },
      analyzing: { state: 'completed' },
      enriching: { state: 'failed', error: { code: 'ENRICHING_ERROR', message: 'late' } },
      source: webhook('failed', CREATED + 2_000_000),
    });
    const regressed = snapshot({ overall: 'in_progress', scraping: { state: 'started' } });
    const s = run([failedLater, regressed], done, CREATED + 100_000);
    assert.equal(s.overall, 'completed');
    assert.equal(s.phases.enriching.state, 'completed');
    assert.equal(s.phases.scraping.state, 'completed');
    assert.equal(s.failedPhase, null);
    assert.equal(s.timeline.length, done.timeline.length);
  });

  void test('a phase never moves back and counts never decrease', () => {
    const snaps = happyPath();
    const s1 = run(snaps.slice(0, 4)); // up to analyzing_completed
    const old = snapshot({ scraping: { state: 'started', succeeded: 10, failed: 0 }, analyzing: { state: 'pending' } });
    const s2 = applySnapshot(s1, old, CREATED + 60_000);
    assert.deepEqual(lifecycleView(s2), lifecycleView(s1));
    assert.equal(s2.phases.scraping.metrics.succeeded, 98);
    assert.equal(s2.lastProgressAt, s1.lastProgressAt, 'a regression is not progress');
  });

  void test('out-of-order webhooks: every permutation ends in the in-order state', () => {
    for (const path of [happyPath(), enrichingFailedPath(), skipPath()]) {
      const [create, ...events] = path;
      const expected = lifecycleView(run(path));
      let count = 0;
      for (const perm of permutations(events)) {
        const s = run([create!, ...perm]);
        assert.deepEqual(
          lifecycleView(s),
          expected,
          `order: ${perm.map((e) => (e.source.kind === 'webhook' ? e.source.event : '')).join(', ')}`,
        );
        // Whatever the arrival order, each recorded transition moves forward.
        for (const e of s.timeline)
          assert.ok(e.from === null || (RANK[e.to] ?? -1) > (RANK[e.from] ?? -1), JSON.stringify(e));
        count++;
      }
      assert.equal(count, [1, 1, 2, 6, 24, 120, 720][events.length]);
    }
  });

  void test('out-of-order webhooks without the create response (first observation is a late event)', () => {
    const [, ...events] = happyPath();
    const expected = lifecycleView(run(happyPath()));
    for (const perm of permutations(events)) assert.deepEqual(lifecycleView(run(perm)), expected);
  });

  void test('duplicates are harmless and counted, even with a new timestamp on retry', () => {
    const snaps = happyPath();
    const once = run(snaps);
    const retried = snaps.flatMap((s) =>
      s.source.kind === 'webhook'
        ? [s, { ...s, source: { ...s.source, sentAt: (s.source.sentAt ?? 0) + 120_000 } }]
        : [s],
    );
    const twice = run(retried);
    assert.deepEqual(lifecycleView(twice), lifecycleView(once));
    assert.equal(twice.stats.duplicateEvents, 6);
    assert.equal(twice.stats.webhookEvents, 12);
    assert.equal(twice.timeline.length, once.timeline.length);
    // Same event name with different content is not a duplicate: it is merged.
    const moreContent = derive(snaps[5]!, { enriching: { itemsEnriched: 45, itemsFailed: 0 } });
    const merged = applySnapshot(once, moreContent, CREATED + 50_000);
    assert.equal(merged.stats.duplicateEvents, 0);
    assert.equal(merged.phases.enriching.metrics.itemsEnriched, 45);
  });

  void test('stale webhooks (older timestamp, no new progress) change nothing but staleIgnored', () => {
    const snaps = happyPath();
    const s1 = run(snaps.slice(0, 3)); // through scraping_completed
    const staleStarted = snapshot({
      scraping: { state: 'started', succeeded: 40, failed: 1 },
      source: webhook('scraping_started', CREATED + 5_000), // older than scraping_completed's timestamp
    });
    const s2 = applySnapshot(s1, staleStarted, CREATED + 90_000);
    assert.equal(s2.stats.staleIgnored, 1);
    const { stats: _a, seenEvents: _b, ...rest2 } = s2;
    const { stats: _c, seenEvents: _d, ...rest1 } = s1;
    assert.deepEqual(rest2, rest1);
    // An older webhook that still carries something new is merged (monotonically), not dropped.
    const olderButNew = snapshot({
      scraping: { state: 'completed', succeeded: 98, failed: 2 },
      analyzing: { state: 'started', itemsAnalyzed: 50 },
      source: webhook('analyzing_progress_test', CREATED + 1_000),
    });
    const s3 = applySnapshot(s2, olderButNew, CREATED + 91_000);
    assert.equal(s3.stats.staleIgnored, 1);
    assert.equal(s3.phases.analyzing.metrics.itemsAnalyzed, 50);
  });

  void test('stale counts from a lagging status poll never overwrite newer ones', () => {
    const s1 = run([
      snapshot({ scraping: { state: 'started', succeeded: 60, failed: 3 }, source: { kind: 'create' } }),
    ]);
    const s2 = applySnapshot(
      s1,
      snapshot({ scraping: { state: 'started', succeeded: 40, failed: 1 } }),
      CREATED + 10_000,
    );
    assert.equal(s2.phases.scraping.metrics.succeeded, 60);
    assert.equal(s2.phases.scraping.metrics.failed, 3);
    assert.equal(s2.lastProgressAt, CREATED);
  });

  void test('unknown enum values: no crash, known state kept, values recorded (deduped, bounded)', () => {
    const [create] = happyPath();
    const odd = snapshot({
      overall: 'paused',
      scraping: { state: 'started' },
      enriching: { state: 'cancelled' },
      source: webhook('enriching_planned', CREATED + 3_000),
      unknownValues: ['analyzing.fields_to_enrich.mood=3'],
    });
    let s = run([create!, odd, { ...odd, source: webhook('enriching_planned', CREATED + 4_000) }]);
    assert.equal(s.overall, 'in_progress');
    assert.equal(s.phases.enriching.state, 'pending');
    assert.deepEqual([...s.unknownValues].sort(), [
      'analyzing.fields_to_enrich.mood=3',
      'enriching.state=cancelled',
      'object=event.batch.airops.enriching_planned',
      'overall=paused',
    ]);
    for (let i = 0; i < 50; i++)
      s = applySnapshot(s, snapshot({ scraping: { state: `weird_${i}` } }), CREATED + 10_000 + i);
    assert.equal(s.unknownValues.length, MAX_UNKNOWN_VALUES);
    assert.equal(s.unknownValues.at(-1), 'scraping.state=weird_49');
    const long = applySnapshot(s, snapshot({ enriching: { state: 'x'.repeat(10_000) } }), CREATED + 20_000);
    assert.equal(long.unknownValues.at(-1), `enriching.state=${'x'.repeat(MAX_UNKNOWN_VALUE_LENGTH)}…`);
    // `skipped` is only known for enriching.
    const t = applySnapshot(initialState(BATCH_ID, CREATED), snapshot({ scraping: { state: 'skipped' } }), CREATED);
    assert.equal(t.phases.scraping.state, null); // never seen in a known state
    assert.ok(t.unknownValues.includes('scraping.state=skipped'));
  });

  void test('a snapshot for another batch is ignored and reported', () => {
    const s1 = run(happyPath().slice(0, 2));
    const s2 = applySnapshot(
      s1,
      snapshot({ batchId: 'batch_other', overall: 'failed', scraping: { state: 'failed' } }),
      CREATED + 9_000,
    );
    assert.equal(s2.overall, 'in_progress');
    assert.ok(s2.unknownValues.includes('batchId=batch_other'));
  });

  void test('pure: inputs are not mutated', () => {
    const state = deepFreeze(run(happyPath().slice(0, 3)));
    const snap = deepFreeze(happyPath()[4]!);
    const before = JSON.stringify(state);
    applySnapshot(state, snap, CREATED + 9_000);
    recordPollError(recordPoll(state, CREATED), 'RateLimited', 'x', CREATED);
    progressOf(state, CREATED + 9_000);
    outcomeOf(state, CREATED + 9_000);
    assert.equal(JSON.stringify(state), before);
  });
});

// A batch past analyzing: 100 URLs scraped, 90 need the LLM; only the enriching phase differs between snapshots.
const SCRAPED: Partial<ScrapingPhase> = { state: 'completed', submitted: 100, valid: 100, succeeded: 100, failed: 0 };
const ANALYZED: Partial<AnalyzingPhase> = {
  state: 'completed',
  itemsAnalyzed: 100,
  itemsNeedingEnrichment: 90,
  itemsComplete: 10,
};
const ENRICH_AT = CREATED + 400_000;

function enrichingSnap(enriching: Partial<EnrichingPhase>, source: SnapshotSource = { kind: 'status' }): BatchSnapshot {
  return snapshot({ scraping: SCRAPED, analyzing: ANALYZED, enriching: { itemsToEnrich: 90, ...enriching }, source });
}

/** Enriching running, with a webhook's estimate that ran ahead: 90 of 90 enriched. */
const estimate = (sentAt = ENRICH_AT + 1_000, enriched = 90): BatchSnapshot =>
  enrichingSnap({ state: 'started', itemsEnriched: enriched, itemsFailed: 0 }, webhook('enriching_started', sentAt));
/** The terminal status: 88 enriched, 2 failed. */
const finalStatus = (): BatchSnapshot => enrichingSnap({ state: 'completed', itemsEnriched: 88, itemsFailed: 2 });

function enrichCounts(s: TrackerState): [number | null, number | null, number | null] {
  const m = s.phases.enriching.metrics;
  return [m.itemsToEnrich, m.itemsEnriched, m.itemsFailed];
}

void describe("lifecycle: a phase's terminal snapshot sets its counts", () => {
  void test('a terminal status replaces counts a webhook estimate ran ahead with (90 → 88 + 2 failed)', () => {
    const running = run([estimate()]);
    assert.deepEqual(enrichCounts(running), [90, 90, 0]);
    const done = applySnapshot(running, finalStatus(), CREATED + 2_000_000);
    assert.equal(done.phases.enriching.state, 'completed');
    assert.deepEqual(enrichCounts(done), [90, 88, 2]);
    assert.deepEqual(outcomeOf(done, CREATED + 2_000_000).phases.enriching.metrics, {
      itemsToEnrich: 90,
      itemsEnriched: 88,
      itemsFailed: 2,
      llm: null,
    });
    const progress = progressOf(done, CREATED + 2_000_000).phases.enriching;
    assert.deepEqual([progress.done, progress.total], [90, 90]);
  });

  void test('the same when the terminal snapshot is a webhook (enriching_completed)', () => {
    const terminal = { ...finalStatus(), source: webhook('enriching_completed', ENRICH_AT + 900_000) };
    assert.deepEqual(enrichCounts(run([estimate(), terminal])), [90, 88, 2]);
  });

  void test('a non-terminal snapshot after the terminal one does not override its counts, in any form', () => {
    const done = run([estimate(), finalStatus()]);
    // A webhook older than one merged: stale, ignored.
    const stale = applySnapshot(done, estimate(ENRICH_AT + 500, 89), CREATED + 3_000_000);
    assert.equal(stale.stats.staleIgnored, 1);
    assert.deepEqual(enrichCounts(stale), [90, 88, 2]);
    // A lagging status poll, and a webhook with a newer timestamp still showing the phase running.
    const lagging = enrichingSnap({ state: 'started', itemsEnriched: 89, itemsFailed: 0 });
    const newer = enrichingSnap(
      { state: 'started', itemsEnriched: 95, itemsFailed: 1 },
      webhook('enriching_started', ENRICH_AT + 2_000_000),
    );
    // A state this client does not know is not terminal either.
    const odd = enrichingSnap({ state: 'cancelled', itemsEnriched: 90, itemsFailed: 0 });
    const after = run([lagging, newer, odd], done, CREATED + 3_000_000);
    assert.deepEqual(enrichCounts(after), [90, 88, 2]);
    assert.equal(after.phases.enriching.state, 'completed');
    assert.equal(after.lastProgressAt, done.lastProgressAt, 'no progress recorded');
  });

  void test('arrival order does not matter: estimate then terminal, or terminal then estimate', () => {
    const inOrder = run([estimate(), finalStatus()]);
    const reversed = run([finalStatus(), estimate()]);
    assert.deepEqual(lifecycleView(reversed), lifecycleView(inOrder));
    assert.deepEqual(enrichCounts(reversed), [90, 88, 2]);
  });

  void test('non-terminal data still never regresses: a stale estimate after a newer one keeps the higher counts', () => {
    const newer = enrichingSnap({ state: 'started', itemsEnriched: 60, itemsFailed: 1 });
    const older = enrichingSnap({ state: 'started', itemsEnriched: 40, itemsFailed: 0 });
    const s1 = run([newer, older]);
    assert.deepEqual(enrichCounts(s1), [90, 60, 1]);
    // A stale webhook estimate, older than one merged, changes nothing either.
    const webhookNewer = enrichingSnap(
      { state: 'started', itemsEnriched: 70, itemsFailed: 1 },
      webhook('enriching_started', ENRICH_AT + 5_000),
    );
    const webhookOlder = enrichingSnap(
      { state: 'started', itemsEnriched: 50, itemsFailed: 0 },
      webhook('enriching_started', ENRICH_AT + 1_000),
    );
    const s2 = run([webhookNewer, webhookOlder], s1, CREATED + 10_000);
    assert.deepEqual(enrichCounts(s2), [90, 70, 1]);
    // Then the terminal snapshot sets the final counts, lower than the running maximum or not.
    assert.deepEqual(enrichCounts(applySnapshot(s2, finalStatus(), CREATED + 20_000)), [90, 88, 2]);
  });

  void test('a count the terminal snapshot leaves unknown keeps the value seen before', () => {
    const terminal = enrichingSnap({ state: 'completed', itemsToEnrich: null, itemsEnriched: 88, itemsFailed: 2 });
    assert.deepEqual(enrichCounts(run([estimate(), terminal])), [90, 88, 2]);
  });

  void test('scraping and analyzing follow the same rule; a later terminal snapshot corrects an earlier one', () => {
    const scrapingEstimate = snapshot({
      scraping: { state: 'started', succeeded: 50, failed: 0 },
      analyzing: { state: 'pending' },
      source: webhook('scraping_started', CREATED + 1_000),
    });
    const scrapingDone = snapshot({
      scraping: { state: 'completed', succeeded: 48, failed: 2 },
      analyzing: { state: 'started', fieldsToEnrich: { author: 40, date_published: 12 } },
    });
    const analyzingDone = snapshot({
      scraping: { state: 'completed', succeeded: 48, failed: 2 },
      analyzing: { ...ANALYZED, itemsAnalyzed: 48, fieldsToEnrich: { author: 30 } },
    });
    const s1 = run([scrapingEstimate, scrapingDone, analyzingDone]);
    assert.deepEqual(s1.phases.scraping.metrics, { submitted: 100, valid: 100, succeeded: 48, failed: 2 });
    assert.equal(s1.phases.analyzing.metrics.itemsAnalyzed, 48);
    assert.deepEqual(s1.phases.analyzing.metrics.fieldsToEnrich, { author: 30 });
    // The stale running snapshot of scraping and analyzing touches neither.
    const s2 = applySnapshot(s1, scrapingDone, CREATED + 10_000);
    assert.deepEqual(s2.phases.analyzing.metrics.fieldsToEnrich, { author: 30 });
    // A newer terminal status with different counts is the latest word (here one URL fewer counted valid).
    const corrected = snapshot({
      scraping: { state: 'completed', valid: 99, succeeded: 47, failed: 2 },
      analyzing: { ...ANALYZED, itemsAnalyzed: 47, fieldsToEnrich: { author: 30 } },
    });
    const s3 = applySnapshot(s2, corrected, CREATED + 20_000);
    assert.deepEqual(s3.phases.scraping.metrics, { submitted: 100, valid: 99, succeeded: 47, failed: 2 });
    assert.equal(s3.phases.analyzing.metrics.itemsAnalyzed, 47);
    assert.equal(s3.lastProgressAt, s2.lastProgressAt, 'a correction down is not progress');
  });
});

void describe('lifecycle: observation, progress, stats', () => {
  void test('timeline and firstObservedAt record when WE first saw each state', () => {
    const t0 = CREATED + 500;
    let s = applySnapshot(initialState(BATCH_ID, CREATED), happyPath()[0]!, t0);
    assert.equal(s.phases.scraping.firstObservedAt.started, t0);
    // A poll 5 minutes later sees scraping completed: started stays t0, completed is the poll time.
    const t1 = CREATED + 305_000;
    const polled = derive(happyPath()[3]!, { source: { kind: 'status' } });
    s = applySnapshot(s, polled, t1);
    assert.deepEqual(s.phases.scraping.firstObservedAt, { pending: t0, started: t0, completed: t1 });
    // Analyzing jumped pending → completed in one observation: started is stamped with the same time.
    assert.deepEqual(s.phases.analyzing.firstObservedAt, { pending: t0, started: t1, completed: t1 });
    assert.deepEqual(
      s.timeline.filter((e) => e.at === t1).map((e) => `${e.phase}:${e.from}>${e.to}@${e.source}`),
      ['scraping:started>completed@status', 'analyzing:pending>completed@status'],
    );
    // Seeing the same state again later does not move the stamp.
    s = applySnapshot(s, polled, t1 + 60_000);
    assert.equal(s.phases.scraping.firstObservedAt.completed, t1);
    assert.equal(s.overallFirstObservedAt.in_progress, t0);
  });

  void test('timeline is bounded', () => {
    let s = initialState(BATCH_ID, CREATED);
    s = {
      ...s,
      timeline: Array.from({ length: MAX_TIMELINE }, (_, i) => ({
        at: i,
        phase: 'overall' as const,
        from: null,
        to: 'x',
        source: 'status' as const,
      })),
    };
    s = run(happyPath(), s);
    assert.equal(s.timeline.length, MAX_TIMELINE);
    assert.equal(s.timeline.at(-1)?.to, 'completed');
  });

  void test('ETA is sensible on a steady scraping rate', (t) => {
    // 100 URLs at 1 URL per 3 s, polled every 10 s for 100 s: ~200 s of scraping left, then the later phases.
    let s = initialState(BATCH_ID, CREATED);
    for (let sec = 0; sec <= 100; sec += 10) {
      const snap = snapshot({
        scraping: { state: 'started', succeeded: Math.floor(sec / 3), failed: 0, startedAt: CREATED },
        source: { kind: sec === 0 ? 'create' : 'status' },
      });
      s = applySnapshot(s, snap, CREATED + sec * 1_000);
    }
    const p = progressOf(s, CREATED + 100_000);
    assert.equal(p.etaBasis, 'rate');
    // scraping 300 s in total → analyzing ~2 s and enriching ~1,295 s by the typical ratio.
    const expected = 200_000 + 2_000 + 1_295_000;
    t.diagnostic(`etaMs=${p.etaMs} expected≈${expected} percent=${p.percent}`);
    assert.ok(p.etaMs !== null && Math.abs(p.etaMs - expected) / expected < 0.05, `eta ${p.etaMs}`);
    assert.equal(p.etaAt, CREATED + 100_000 + (p.etaMs ?? 0));
    assert.ok(Math.abs((p.phases.scraping.percent ?? 0) - 33) < 1);
    assert.ok(p.percent > 5 && p.percent < 8, `percent ${p.percent}`); // 0.19 × 33 %
    // Time passing without new counts eats into the estimate.
    const later = progressOf(s, CREATED + 150_000);
    assert.ok(later.etaMs !== null && p.etaMs !== null && later.etaMs < p.etaMs);
  });

  void test('ETA falls back to typical durations when counts do not move, and is null when unknown', () => {
    const s = run([
      snapshot({
        totalUrls: null,
        scraping: { state: 'started', submitted: null, valid: null, succeeded: null, failed: null },
        source: { kind: 'create' },
      }),
    ]);
    assert.equal(progressOf(s, CREATED + 1_000).etaMs, null);
    // In async enrichment the counts stay 0 until the end: typical ratio to the measured scraping duration.
    const inEnrich = run(happyPath().slice(0, 5));
    const p = progressOf(inEnrich, CREATED + 4_000 + 600_000);
    assert.equal(p.etaBasis, 'typical');
    assert.ok(p.etaMs !== null && Math.abs(p.etaMs - (1_295_000 - 600_000)) < 5_000, `eta ${p.etaMs}`);
    // Past the typical estimate, the ETA is unknown rather than "any moment now" forever.
    assert.equal(progressOf(inEnrich, CREATED + 4_000 + 2_000_000).etaMs, null);
  });

  void test('stalled flag: no progress for the stall timeout', () => {
    const s = run(happyPath().slice(0, 2));
    const last = s.lastProgressAt ?? 0;
    assert.equal(progressOf(s, last + 59_000, { stallTimeoutMs: 60_000 }).stalled, false);
    const p = progressOf(s, last + 61_000, { stallTimeoutMs: 60_000 });
    assert.equal(p.stalled, true);
    assert.equal(p.noProgressForMs, 61_000);
    // Same snapshot again is not progress; new counts are.
    const same = applySnapshot(s, { ...happyPath()[1]!, source: { kind: 'status' } }, last + 61_000);
    assert.equal(progressOf(same, last + 61_000, { stallTimeoutMs: 60_000 }).stalled, true);
    const moved = applySnapshot(s, snapshot({ scraping: { state: 'started', succeeded: 5 } }), last + 61_000);
    assert.equal(progressOf(moved, last + 62_000, { stallTimeoutMs: 60_000 }).stalled, false);
    // A terminal batch is never stalled.
    const done = run(happyPath());
    assert.equal(progressOf(done, CREATED + 10 * 3_600_000, { stallTimeoutMs: 60_000 }).stalled, false);
    // Before any snapshot, the clock runs from the start of tracking.
    assert.equal(
      progressOf(initialState(BATCH_ID, CREATED), CREATED + 61_000, { stallTimeoutMs: 60_000 }).stalled,
      true,
    );
  });

  void test('poll stats: calls, errors by type, last error', () => {
    let s = initialState(BATCH_ID, CREATED);
    s = recordPoll(s, CREATED + 1_000);
    s = recordPollError(s, 'RateLimited', '429 on GET /v1/batches-airops/batch_test', CREATED + 2_000);
    s = recordPollError(s, 'RateLimited', 'again', CREATED + 3_000);
    s = recordPollError(s, '__proto__', 'hostile type name', CREATED + 4_000);
    assert.equal(s.stats.calls, 4);
    assert.equal(s.stats.errors, 3);
    assert.equal(s.stats.errorsByType.RateLimited, 2);
    assert.equal(Object.getOwnPropertyDescriptor(s.stats.errorsByType, '__proto__')?.value, 1);
    assert.equal(Object.getPrototypeOf(s.stats.errorsByType), Object.prototype);
    assert.deepEqual(s.stats.lastError, { type: '__proto__', message: 'hostile type name', at: CREATED + 4_000 });
    assert.equal(s.stats.lastPolledAt, CREATED + 4_000);
    assert.deepEqual(outcomeOf(s, CREATED).pollStats, s.stats);
  });

  void test('JSON round-trip of state, progress and outcome equals the original', () => {
    let s = initialState(BATCH_ID, CREATED);
    const states: TrackerState[] = [s];
    for (const [i, snap] of [...happyPath(), ...happyPath()].entries()) {
      s = applySnapshot(s, snap, CREATED + i * 1_000);
      s = i % 3 === 0 ? recordPollError(s, 'Timeout', 'slow', CREATED + i) : recordPoll(s, CREATED + i);
      states.push(s);
    }
    s = applySnapshot(s, snapshot({ enriching: { state: 'cancelled' } }), CREATED + 99_000);
    states.push(s);
    for (const st of [...states, run(skipPath()), run(scrapingFailedPath())]) {
      assert.deepEqual(JSON.parse(JSON.stringify(st)), st);
      assert.deepEqual(structuredClone(st), st);
      const p = progressOf(st, CREATED + 5_000);
      assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
      const o = outcomeOf(st, CREATED + 5_000);
      assert.deepEqual(JSON.parse(JSON.stringify(o)), o);
      // Continue-as-new carries JSON: reducing on from the round-tripped state gives the same result.
      const snap = happyPath()[6]!;
      assert.deepEqual(
        applySnapshot(JSON.parse(JSON.stringify(st)) as TrackerState, snap, CREATED + 7_000),
        applySnapshot(st, snap, CREATED + 7_000),
      );
    }
  });
});
