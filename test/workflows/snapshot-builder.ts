// Test-only builder of normalized BatchSnapshots (independent of olostep/normalize.ts on purpose), plus the
// canonical webhook sequences of docs/airops-api.md#event-sequences and a fake reference lifecycle for the poll-schedule simulation.
import type {
  AnalyzingPhase,
  BatchSnapshot,
  EnrichingPhase,
  ScrapingPhase,
  SnapshotSource,
} from '../../olostep/snapshot';

export const BATCH_ID = 'batch_test';
export const CREATED = 1_760_000_000_000;

export interface SnapshotParts {
  batchId?: string;
  createdAt?: number | null;
  totalUrls?: number | null;
  overall?: string;
  batchMode?: boolean | null;
  scraping?: Partial<ScrapingPhase>;
  analyzing?: Partial<AnalyzingPhase>;
  enriching?: Partial<EnrichingPhase>;
  source?: SnapshotSource;
  unknownValues?: string[];
}

/** A snapshot with every field present (pending phases, zero counts) unless overridden. */
export function snapshot(parts: SnapshotParts = {}): BatchSnapshot {
  return {
    batchId: parts.batchId ?? BATCH_ID,
    createdAt: parts.createdAt === undefined ? CREATED : parts.createdAt,
    totalUrls: parts.totalUrls === undefined ? 100 : parts.totalUrls,
    overall: parts.overall ?? 'in_progress',
    overallDerived: false,
    batchMode: parts.batchMode === undefined ? null : parts.batchMode,
    scraping: {
      state: 'pending',
      submitted: 100,
      valid: 100,
      succeeded: 0,
      failed: 0,
      startedAt: null,
      completedAt: null,
      error: null,
      ...parts.scraping,
    },
    analyzing: {
      state: 'pending',
      itemsAnalyzed: 0,
      itemsNeedingEnrichment: 0,
      itemsComplete: 0,
      fieldsToEnrich: null,
      startedAt: null,
      completedAt: null,
      ...parts.analyzing,
    },
    enriching: {
      state: 'pending',
      itemsToEnrich: 0,
      itemsEnriched: 0,
      itemsFailed: 0,
      llmBatchId: null,
      batchMode: null,
      llm: null,
      startedAt: null,
      completedAt: null,
      error: null,
      ...parts.enriching,
    },
    source: parts.source ?? { kind: 'status' },
    unknownValues: parts.unknownValues ?? [],
  };
}

export const webhook = (event: string, sentAt: number | null): SnapshotSource => ({
  kind: 'webhook',
  event: `event.batch.airops.${event}`,
  sentAt,
});

// Phase bodies at each step of the happy path (docs/airops-api.md#event-sequences): 100 URLs, 98 scraped, 45 need the LLM.
const T = { sStart: CREATED, sDone: CREATED + 300_000, aDone: CREATED + 302_000, eDone: CREATED + 1_597_000 };
const S_RUNNING: Partial<ScrapingPhase> = { state: 'started', startedAt: T.sStart };
const S_DONE: Partial<ScrapingPhase> = {
  state: 'completed',
  succeeded: 98,
  failed: 2,
  startedAt: T.sStart,
  completedAt: T.sDone,
};
const A_RUNNING: Partial<AnalyzingPhase> = { state: 'started', startedAt: T.sDone };
const A_DONE: Partial<AnalyzingPhase> = {
  state: 'completed',
  itemsAnalyzed: 98,
  itemsNeedingEnrichment: 45,
  itemsComplete: 53,
  fieldsToEnrich: { author: 30, date_published: 20 },
  startedAt: T.sDone,
  completedAt: T.aDone,
};
const E_PLANNED: Partial<EnrichingPhase> = { state: 'pending', itemsToEnrich: 45 };
const E_RUNNING: Partial<EnrichingPhase> = {
  state: 'started',
  itemsToEnrich: 45,
  llmBatchId: 'batch_llm_1',
  batchMode: true,
  startedAt: T.aDone,
};
const E_DONE: Partial<EnrichingPhase> = {
  ...E_RUNNING,
  state: 'completed',
  itemsEnriched: 44,
  itemsFailed: 1,
  completedAt: T.eDone,
  llm: {
    provider: 'olostep',
    model: 'default',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    completionTimeMs: 900,
  },
};

/** docs/airops-api.md#event-sequences, steps 0..6 (create response, then the six webhooks), sentAt increasing. */
export function happyPath(): BatchSnapshot[] {
  return [
    snapshot({ scraping: S_RUNNING, source: { kind: 'create' } }),
    snapshot({ scraping: S_RUNNING, source: webhook('scraping_started', T.sStart + 10) }),
    snapshot({ scraping: S_DONE, analyzing: A_RUNNING, source: webhook('scraping_completed', T.sDone) }),
    snapshot({
      scraping: S_DONE,
      analyzing: A_DONE,
      enriching: E_PLANNED,
      source: webhook('analyzing_completed', T.aDone),
    }),
    snapshot({
      scraping: S_DONE,
      analyzing: A_DONE,
      enriching: E_RUNNING,
      source: webhook('enriching_started', T.aDone + 10),
    }),
    snapshot({
      scraping: S_DONE,
      analyzing: A_DONE,
      enriching: E_DONE,
      source: webhook('enriching_completed', T.eDone),
    }),
    snapshot({
      overall: 'completed',
      scraping: S_DONE,
      analyzing: A_DONE,
      enriching: E_DONE,
      source: webhook('completed', T.eDone + 10),
    }),
  ];
}

/** Skip path: after analyzing nothing needs the LLM, enriching goes pending → skipped, then `completed`. */
export function skipPath(): BatchSnapshot[] {
  const aAll: Partial<AnalyzingPhase> = {
    ...A_DONE,
    itemsNeedingEnrichment: 0,
    itemsComplete: 98,
    fieldsToEnrich: null,
  };
  return [
    snapshot({ scraping: S_RUNNING, source: { kind: 'create' } }),
    snapshot({ scraping: S_DONE, analyzing: A_RUNNING, source: webhook('scraping_completed', T.sDone) }),
    snapshot({ scraping: S_DONE, analyzing: aAll, source: webhook('analyzing_completed', T.aDone) }),
    snapshot({
      overall: 'completed',
      scraping: S_DONE,
      analyzing: aAll,
      enriching: { state: 'skipped' },
      source: webhook('completed', T.aDone + 10),
    }),
  ];
}

export function scrapingFailedPath(): BatchSnapshot[] {
  const sFailed: Partial<ScrapingPhase> = {
    state: 'failed',
    succeeded: 0,
    failed: 100,
    startedAt: T.sStart,
    completedAt: T.sDone,
    error: { code: 'SCRAPING_ERROR', message: 'All URLs failed to scrape' },
  };
  return [
    snapshot({ scraping: S_RUNNING, source: { kind: 'create' } }),
    snapshot({ overall: 'in_progress', scraping: sFailed, source: webhook('scraping_failed', T.sDone) }),
    snapshot({ overall: 'failed', scraping: sFailed, source: webhook('failed', T.sDone + 10) }),
  ];
}

export function enrichingFailedPath(): BatchSnapshot[] {
  const eFailed: Partial<EnrichingPhase> = {
    ...E_RUNNING,
    state: 'failed',
    completedAt: T.eDone,
    error: { code: 'LLM_BATCH_FAILED', message: 'LLM batch failed, status: expired' },
  };
  const [create, started, sDone, aDone, eStarted] = happyPath();
  return [
    create!,
    started!,
    sDone!,
    aDone!,
    eStarted!,
    snapshot({ scraping: S_DONE, analyzing: A_DONE, enriching: eFailed, source: webhook('enriching_failed', T.eDone) }),
    snapshot({
      overall: 'failed',
      scraping: S_DONE,
      analyzing: A_DONE,
      enriching: eFailed,
      source: webhook('failed', T.eDone + 10),
    }),
  ];
}

/** Durations (ms) of the reference lifecycle used by the schedule simulation. */
export interface ReferenceLifecycle {
  scrapingMs: number;
  analyzingMs: number;
  enrichingMs: number;
  urls: number;
  /** Nothing needs the LLM: enriching is skipped right after analyzing. */
  skipEnrichment?: boolean;
}

export const REFERENCE: ReferenceLifecycle = {
  scrapingMs: 300_000,
  analyzingMs: 2_000,
  enrichingMs: 1_295_000,
  urls: 100,
};

/**
 * The GET status snapshot at `t` ms after create, for a batch following `ref`: scraping counts rise linearly,
 * analyzing is instant-ish, async (batch-mode) enrichment shows no item counts until it completes.
 */
export function referenceStatusAt(
  ref: ReferenceLifecycle,
  t: number,
  kind: 'create' | 'status' = 'status',
): BatchSnapshot {
  const sEnd = ref.scrapingMs;
  const aEnd = sEnd + ref.analyzingMs;
  const eEnd = aEnd + (ref.skipEnrichment ? 0 : ref.enrichingMs);
  const needing = ref.skipEnrichment ? 0 : Math.round(ref.urls * 0.45);
  const scraped = Math.min(ref.urls, Math.floor((ref.urls * t) / sEnd));
  const at = (ms: number): number => CREATED + ms;
  return snapshot({
    totalUrls: ref.urls,
    overall: t >= eEnd ? 'completed' : 'in_progress',
    batchMode: true,
    scraping: {
      state: t >= sEnd ? 'completed' : 'started',
      submitted: ref.urls,
      valid: ref.urls,
      succeeded: scraped,
      failed: 0,
      startedAt: at(0),
      completedAt: t >= sEnd ? at(sEnd) : null,
    },
    analyzing: {
      state: t >= aEnd ? 'completed' : t >= sEnd ? 'started' : 'pending',
      itemsAnalyzed: t >= aEnd ? ref.urls : 0,
      itemsNeedingEnrichment: t >= aEnd ? needing : 0,
      itemsComplete: t >= aEnd ? ref.urls - needing : 0,
      startedAt: t >= sEnd ? at(sEnd) : null,
      completedAt: t >= aEnd ? at(aEnd) : null,
    },
    enriching: ref.skipEnrichment
      ? { state: t >= aEnd ? 'skipped' : 'pending' }
      : {
          state: t >= eEnd ? 'completed' : t >= aEnd ? 'started' : 'pending',
          itemsToEnrich: t >= aEnd ? needing : 0,
          itemsEnriched: t >= eEnd ? needing : 0,
          startedAt: t >= aEnd ? at(aEnd) : null,
          completedAt: t >= eEnd ? at(eEnd) : null,
          batchMode: true,
        },
    source: { kind },
  });
}

/** The transitions of the reference lifecycle after create, as (phase, state, time since create). */
export function referenceTransitions(ref: ReferenceLifecycle): Array<{ phase: string; state: string; at: number }> {
  const sEnd = ref.scrapingMs;
  const aEnd = sEnd + ref.analyzingMs;
  const eEnd = aEnd + (ref.skipEnrichment ? 0 : ref.enrichingMs);
  return [
    { phase: 'scraping', state: 'completed', at: sEnd },
    { phase: 'analyzing', state: 'started', at: sEnd },
    { phase: 'analyzing', state: 'completed', at: aEnd },
    ...(ref.skipEnrichment
      ? [{ phase: 'enriching', state: 'skipped', at: aEnd }]
      : [
          { phase: 'enriching', state: 'started', at: aEnd },
          { phase: 'enriching', state: 'completed', at: eEnd },
        ]),
    { phase: 'overall', state: 'completed', at: eEnd },
  ];
}

/** A copy of `base` with some parts replaced (phase parts replace the whole phase object's given fields). */
export function derive(base: BatchSnapshot, parts: SnapshotParts): BatchSnapshot {
  return snapshot({
    batchId: base.batchId,
    createdAt: base.createdAt,
    totalUrls: base.totalUrls,
    overall: base.overall,
    batchMode: base.batchMode,
    source: base.source,
    unknownValues: base.unknownValues,
    ...parts,
    scraping: { ...base.scraping, ...parts.scraping },
    analyzing: { ...base.analyzing, ...parts.analyzing },
    enriching: { ...base.enriching, ...parts.enriching },
  });
}
