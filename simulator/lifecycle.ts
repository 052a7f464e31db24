// The batch lifecycle as a pure function of (plan, virtual time). A plan fixes every item's outcome and every
// transition time when the batch is created; GETs then compute the state lazily (binary searches over sorted
// per-item completion times), so polling is cheap and the ground truth is known up front.
import { Rng } from './rng';
import type { ResolvedScript, Scenario } from './scenarios';
import {
  ENRICHABLE_FIELDS,
  PAGE_TYPES,
  type AnalyzingStatus,
  type BatchStatusResponse,
  type CreateBatchResponse,
  type EnrichableField,
  type EnrichingStatus,
  type ExtractedFields,
  type FieldsToEnrich,
  type ItemResult,
  type ItemsFinalResponse,
  type ItemsResponse,
  type LlmInfo,
  type OverallStatus,
  type PageType,
  type ScrapingStatus,
  type StepError,
  type WebhookEventType,
  type WorkflowStatus,
} from './types';

export interface PlannedItem {
  custom_id: string;
  url: string;
  scrapeOk: boolean;
  /** Virtual time the URL finished scraping (success or failure). */
  scrapedAt: number;
  needsEnrichment: boolean;
  missing: EnrichableField[];
  /** null when the item is not sent to the LLM. */
  enrichOk: boolean | null;
  enrichedAt: number | null;
  /** Final extracted fields if the item completes. */
  fields: ExtractedFields;
}

export interface PlannedEvent {
  type: WebhookEventType;
  at: number;
  /** Position in the canonical sequence (ties at the same `at` keep this order). */
  order: number;
}

export interface BatchPlan {
  id: string;
  scenario: Scenario;
  seed: number | string;
  created: number;
  totalUrls: number;
  batchMode: boolean;
  llmBatchId: string | null;
  items: PlannedItem[];
  scrapeOkTimes: number[];
  scrapeFailTimes: number[];
  enrichOkTimes: number[];
  enrichFailTimes: number[];
  succeeded: number;
  scrapeFailed: number;
  needing: number;
  fieldsToEnrich: FieldsToEnrich;
  times: {
    scrapingEnd: number;
    analyzingEnd: number;
    /** When enriching starts, or is skipped. */
    enrichDecision: number;
    enrichingEnd: number | null;
    terminal: number;
  };
  outcome: 'completed' | 'failed';
  failure: { phase: 'scraping' | 'analyzing' | 'enriching'; error: StepError; at: number } | null;
  llm: LlmInfo | null;
  events: PlannedEvent[];
}

export interface PlanInput {
  id: string;
  created: number;
  items: readonly { url: string; custom_id: string }[];
  brands: readonly string[];
  script: ResolvedScript;
}

const AUTHORS = ['Jane Roe', 'John Doe', 'A. Writer', 'Priya Natarajan', 'Kenji Sato', 'Maria Garcia', 'Olu Adeyemi'];

/** A URL-pattern classifier, standing in for Olostep's: deterministic from the URL. */
export function classifyUrl(url: string, rng: Rng): PageType {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'other';
  }
  const host = u.hostname.toLowerCase();
  const path = u.pathname.toLowerCase();
  const rules: [RegExp | boolean, PageType][] = [
    [/(^|\.)(youtube\.com|vimeo\.com|youtu\.be)$/.test(host) || path.includes('/watch'), 'video_page'],
    [/(^|\.)(twitter\.com|x\.com|linkedin\.com|instagram\.com|facebook\.com)$/.test(host), 'social_media_post'],
    [path === '/' || path === '', 'homepage'],
    [/\/pricing|\/plans/, 'pricing_page'],
    [/\/docs?\/|\/documentation|\/api-reference/, 'documentation'],
    [/\/products?\//, 'product_page'],
    [/\/collections?\/|\/category\/|\/categories\//, 'collection_page'],
    [/-vs-|\/vs\/|\/compare/, 'comparison_page'],
    [/\/support\/|\/help\/|\/faq/, 'support_article'],
    [/\/reviews?\//, 'review_page'],
    [/\/forum|\/threads?\/|\/t\//, 'forum_thread'],
    [/\/jobs?\/|\/careers?\//, 'job_posting'],
    [/case-stud/, 'case_study'],
    [/\/deals?\/|\/coupons?\//, 'deal_page'],
    [/\/news\//, 'news_article'],
    [/\/blog\/.*(top-|best-|\d+-)/, 'listicle_article'],
    [/\/blog\/|\/articles?\/|\/guides?\//, 'informational_article'],
    [/\/lp\/|\/landing/, 'landing_page'],
  ];
  for (const [test, type] of rules) {
    if (typeof test === 'boolean' ? test : test.test(path)) return type;
  }
  return rng.pick(PAGE_TYPES);
}

function isoDate(rng: Rng, fromYear: number, toYear: number): string {
  const y = rng.int(fromYear, toYear);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Number of sorted values ≤ t. */
export function countUpTo(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function buildPlan(input: PlanInput): BatchPlan {
  const { script, created } = input;
  const d = script.durations;
  const batchRng = new Rng(`${String(script.seed)}:batch`);
  const scrapingEnd = created + d.scrapingMs;
  const analyzingEnd = scrapingEnd + d.analyzingMs;
  const enrichDecision = analyzingEnd + d.enrichSubmitMs;
  const brands = input.brands;

  // 1. Per-item outcomes, each from its own stream so one item's outcome does not depend on the others.
  const forcedScrapeFail = script.scenario === 'scraping_failed';
  const items: PlannedItem[] = input.items.map((item, index) => {
    const rng = new Rng(`${String(script.seed)}:item:${index}:${item.url}`);
    const explicitFail = script.failCustomIds.scraping.has(item.custom_id);
    const scrapeOk = !forcedScrapeFail && !explicitFail && !rng.chance(script.scrapeFailureRate);
    const scrapedAt = created + Math.max(1, Math.ceil(rng.next() * d.scrapingMs));
    const pageType = classifyUrl(item.url, rng);
    const published = isoDate(rng, 2019, 2025);
    const fields: ExtractedFields = {
      page_type: pageType,
      author: rng.pick(AUTHORS),
      date_published: published,
      date_modified: rng.chance(0.5) ? published : isoDate(rng, 2025, 2025),
      brand_mentions: brands.filter(() => rng.chance(0.35)),
    };
    let missing: EnrichableField[] = [];
    const needsEnrichment = script.scenario !== 'enrichment_skipped' && rng.chance(script.needsEnrichmentRate);
    if (needsEnrichment) {
      const p: Record<EnrichableField, number> = {
        page_type: 0.3,
        author: 0.5,
        date_published: 0.4,
        date_modified: 0.6,
        brand_mentions: brands.length > 0 ? 0.5 : 0,
      };
      missing = ENRICHABLE_FIELDS.filter((f) => rng.chance(p[f]));
      if (missing.length === 0) missing = [rng.pick(['author', 'date_modified', 'date_published'] as const)];
      // The LLM does not always find what the parser missed: some fields stay empty.
      for (const f of missing) {
        if (!rng.chance(0.3)) continue;
        if (f === 'brand_mentions') fields.brand_mentions = [];
        else fields[f] = null;
      }
    }
    const enrichFail = script.failCustomIds.enriching.has(item.custom_id) || rng.chance(script.enrichFailureRate);
    return {
      custom_id: item.custom_id,
      url: item.url,
      scrapeOk,
      scrapedAt,
      needsEnrichment,
      missing,
      enrichOk: enrichFail ? false : true, // trimmed below for items that are not enriched
      enrichedAt: null,
      fields,
    };
  });

  // 2. Scraping fails only when every URL fails (docs/airops-api.md#phase-states). Outside `scraping_failed`, keep one URL alive
  //    unless the caller explicitly failed them all.
  if (!forcedScrapeFail && items.length > 0 && items.every((i) => !i.scrapeOk)) {
    const rescue = items.find((i) => !script.failCustomIds.scraping.has(i.custom_id));
    if (rescue) rescue.scrapeOk = true;
  }
  const scraped = items.filter((i) => i.scrapeOk);
  for (const item of items) {
    if (!item.scrapeOk) {
      item.needsEnrichment = false;
      item.missing = [];
    }
  }
  // Scenarios that are about enrichment need at least one item to enrich.
  const wantsEnrichment = ['happy', 'partial_failures', 'enriching_failed'].includes(script.scenario);
  if (wantsEnrichment && scraped.length > 0 && !scraped.some((i) => i.needsEnrichment)) {
    const first = scraped[0] as PlannedItem;
    first.needsEnrichment = true;
    first.missing = ['author'];
  }

  const succeeded = scraped.length;
  const scrapeFailed = items.length - succeeded;
  let failure: BatchPlan['failure'] = null;
  if (succeeded === 0) {
    failure = {
      phase: 'scraping',
      at: scrapingEnd,
      error: { code: 'SCRAPING_ERROR', message: 'All URLs failed to scrape' },
    };
  } else if (script.scenario === 'analyzing_failed') {
    failure = {
      phase: 'analyzing',
      at: analyzingEnd,
      error: { code: 'ANALYZING_ERROR', message: 'Gap analysis failed' },
    };
  }

  const needingItems = failure ? [] : scraped.filter((i) => i.needsEnrichment);
  const needing = needingItems.length;
  const fieldsToEnrich = Object.fromEntries(ENRICHABLE_FIELDS.map((f) => [f, 0])) as FieldsToEnrich;
  for (const item of needingItems) for (const f of item.missing) fieldsToEnrich[f] += 1;

  // 3. Enrichment window.
  let enrichingEnd: number | null = null;
  let terminal: number;
  if (failure) {
    terminal = failure.at;
  } else if (needing === 0) {
    terminal = enrichDecision;
  } else {
    enrichingEnd = enrichDecision + d.enrichingMs;
    terminal = enrichingEnd;
    if (script.scenario === 'enriching_failed') {
      const at = enrichDecision + Math.max(1, Math.round(d.enrichingMs * script.enrichingFailAt));
      failure = { phase: 'enriching', at, error: enrichingError(script.enrichingErrorCode) };
      terminal = at;
      enrichingEnd = null;
    }
  }
  const needingSet = new Set(needingItems);
  for (const item of items) {
    if (needingSet.has(item)) {
      const rng = new Rng(`${String(script.seed)}:enrich:${item.custom_id}:${item.url}`);
      item.enrichedAt = enrichDecision + Math.max(1, Math.ceil(rng.next() * d.enrichingMs));
    } else {
      item.enrichOk = null;
    }
  }

  const sortedTimes = (pred: (i: PlannedItem) => boolean, time: (i: PlannedItem) => number | null) =>
    items
      .filter(pred)
      .map(time)
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b);

  const batchMode = script.batchMode;
  const llmBatchId = batchMode && needing > 0 ? `batch_${batchRng.alnum(24)}` : null;
  const llm: LlmInfo | null =
    needing > 0 && !failure
      ? {
          provider: 'olostep',
          model: 'default',
          usage: (() => {
            const prompt = needing * batchRng.int(1200, 2400);
            const completion = needing * batchRng.int(60, 180);
            return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
          })(),
          completion_time_ms: d.enrichingMs,
        }
      : null;

  const plan: BatchPlan = {
    id: input.id,
    scenario: script.scenario,
    seed: script.seed,
    created,
    totalUrls: items.length,
    batchMode,
    llmBatchId,
    items,
    scrapeOkTimes: sortedTimes(
      (i) => i.scrapeOk,
      (i) => i.scrapedAt,
    ),
    scrapeFailTimes: sortedTimes(
      (i) => !i.scrapeOk,
      (i) => i.scrapedAt,
    ),
    enrichOkTimes: sortedTimes(
      (i) => i.enrichOk === true,
      (i) => i.enrichedAt,
    ),
    enrichFailTimes: sortedTimes(
      (i) => i.enrichOk === false,
      (i) => i.enrichedAt,
    ),
    succeeded,
    scrapeFailed,
    needing,
    fieldsToEnrich,
    times: { scrapingEnd, analyzingEnd, enrichDecision, enrichingEnd, terminal },
    outcome: failure ? 'failed' : 'completed',
    failure,
    llm,
    events: [],
  };
  plan.events = eventsOf(plan);
  return plan;
}

function enrichingError(code: ResolvedScript['enrichingErrorCode']): StepError {
  switch (code) {
    case 'LLM_BATCH_FAILED':
      return { code, message: 'LLM batch failed: status: failed' };
    case 'LLM_BATCH_EXPIRED':
      return { code, message: 'LLM batch did not finish in time: status: expired' };
    case 'ENRICHING_ERROR':
      return { code, message: 'Enrichment failed' };
  }
}

/** The canonical event sequence (docs/airops-api.md#event-sequences) for a plan. */
function eventsOf(plan: BatchPlan): PlannedEvent[] {
  const t = plan.times;
  const out: Omit<PlannedEvent, 'order'>[] = [{ type: 'event.batch.airops.scraping_started', at: plan.created }];
  const f = plan.failure;
  if (f?.phase === 'scraping') {
    out.push({ type: 'event.batch.airops.scraping_failed', at: f.at }, { type: 'event.batch.airops.failed', at: f.at });
  } else {
    out.push({ type: 'event.batch.airops.scraping_completed', at: t.scrapingEnd });
    if (f?.phase === 'analyzing') {
      // No analyzing_failed event exists: only the terminal `failed`.
      out.push({ type: 'event.batch.airops.failed', at: f.at });
    } else {
      out.push({ type: 'event.batch.airops.analyzing_completed', at: t.analyzingEnd });
      if (plan.needing === 0) {
        // Skip path: no enriching_* event.
        out.push({ type: 'event.batch.airops.completed', at: t.enrichDecision });
      } else {
        out.push({ type: 'event.batch.airops.enriching_started', at: t.enrichDecision });
        if (f?.phase === 'enriching') {
          out.push(
            { type: 'event.batch.airops.enriching_failed', at: f.at },
            { type: 'event.batch.airops.failed', at: f.at },
          );
        } else {
          const end = t.enrichingEnd as number;
          out.push(
            { type: 'event.batch.airops.enriching_completed', at: end },
            { type: 'event.batch.airops.completed', at: end },
          );
        }
      }
    }
  }
  return out.map((e, order) => ({ ...e, order }));
}

export type StatusShape = 'create' | 'status' | 'webhook';

function scrapingAt(plan: BatchPlan, t: number): ScrapingStatus {
  const done = t >= plan.times.scrapingEnd;
  const failed = done && plan.failure?.phase === 'scraping';
  return {
    state: !done ? 'started' : failed ? 'failed' : 'completed',
    submitted: plan.totalUrls,
    valid: plan.totalUrls,
    succeeded: done ? plan.succeeded : countUpTo(plan.scrapeOkTimes, t),
    failed: done ? plan.scrapeFailed : countUpTo(plan.scrapeFailTimes, t),
    started_at: plan.created,
    completed_at: done ? plan.times.scrapingEnd : null,
    error: failed ? { ...(plan.failure as NonNullable<BatchPlan['failure']>).error } : null,
  };
}

function analyzingAt(plan: BatchPlan, t: number): AnalyzingStatus {
  const pending: AnalyzingStatus = {
    state: 'pending',
    items_analyzed: 0,
    items_needing_enrichment: 0,
    items_complete: 0,
    fields_to_enrich: null,
    started_at: null,
    completed_at: null,
  };
  if (t < plan.times.scrapingEnd || plan.failure?.phase === 'scraping') return pending;
  const started_at = plan.times.scrapingEnd;
  if (t < plan.times.analyzingEnd) return { ...pending, state: 'started', started_at };
  if (plan.failure?.phase === 'analyzing') {
    return { ...pending, state: 'failed', started_at, completed_at: plan.times.analyzingEnd };
  }
  return {
    state: 'completed',
    items_analyzed: plan.succeeded,
    items_needing_enrichment: plan.needing,
    items_complete: plan.succeeded - plan.needing,
    fields_to_enrich: { ...plan.fieldsToEnrich },
    started_at,
    completed_at: plan.times.analyzingEnd,
  };
}

function enrichingAt(plan: BatchPlan, t: number, shape: StatusShape): EnrichingStatus {
  const base: EnrichingStatus = {
    state: 'pending',
    items_to_enrich: 0,
    items_enriched: 0,
    items_failed: 0,
    llm_batch_id: null,
    started_at: null,
    completed_at: null,
    error: null,
  };
  const { analyzingEnd, enrichDecision, enrichingEnd } = plan.times;
  const f = plan.failure;
  if (t < analyzingEnd || f?.phase === 'scraping' || f?.phase === 'analyzing') return base;
  // The enrichment plan is known once analysis completes (the analyzing_completed example fills items_to_enrich).
  base.items_to_enrich = plan.needing;
  if (t < enrichDecision) return base;
  if (plan.needing === 0) return { ...base, state: 'skipped' };
  // Key order as in the GET example: ..., llm_batch_id, batch_mode (GET only), started_at, ...
  const started: EnrichingStatus = {
    state: 'started',
    items_to_enrich: plan.needing,
    items_enriched: 0,
    items_failed: 0,
    llm_batch_id: plan.llmBatchId,
    ...(shape === 'status' ? { batch_mode: plan.batchMode } : {}),
    started_at: enrichDecision,
    completed_at: null,
    error: null,
  };
  if (f?.phase === 'enriching') {
    if (t < f.at) {
      return {
        ...started,
        items_enriched: countUpTo(plan.enrichOkTimes, t),
        items_failed: countUpTo(plan.enrichFailTimes, t),
      };
    }
    const enriched = countUpTo(plan.enrichOkTimes, f.at);
    return {
      ...started,
      state: 'failed',
      items_enriched: enriched,
      items_failed: plan.needing - enriched,
      completed_at: f.at,
      error: { ...f.error },
    };
  }
  const end = enrichingEnd as number;
  if (t < end) {
    return {
      ...started,
      items_enriched: countUpTo(plan.enrichOkTimes, t),
      items_failed: countUpTo(plan.enrichFailTimes, t),
    };
  }
  return {
    ...started,
    state: 'completed',
    items_enriched: plan.enrichOkTimes.length,
    items_failed: plan.enrichFailTimes.length,
    llm: plan.llm ? { ...plan.llm, usage: { ...plan.llm.usage } } : null,
    completed_at: end,
  };
}

/** Overall status from phase states (docs/airops-api.md#overall-status). */
export function overallOf(s: Pick<WorkflowStatus, 'scraping' | 'analyzing' | 'enriching'>): OverallStatus {
  const states = [s.scraping.state, s.analyzing.state, s.enriching.state];
  if (states.includes('failed')) return 'failed';
  if (s.enriching.state === 'completed' || s.enriching.state === 'skipped') return 'completed';
  if (states.every((x) => x === 'pending')) return 'pending';
  return 'in_progress';
}

/** `{overall, scraping, analyzing, enriching}` at virtual time t (t is clamped to the creation time). */
export function workflowStatusAt(plan: BatchPlan, t: number, shape: StatusShape = 'webhook'): WorkflowStatus {
  const at = Math.max(t, plan.created);
  const scraping = scrapingAt(plan, at);
  const analyzing = analyzingAt(plan, at);
  const enriching = enrichingAt(plan, at, shape);
  return { overall: overallOf({ scraping, analyzing, enriching }), scraping, analyzing, enriching };
}

export function createResponseOf(plan: BatchPlan): CreateBatchResponse {
  return {
    id: plan.id,
    object: 'batch_airops',
    created: plan.created,
    total_urls: plan.totalUrls,
    status: workflowStatusAt(plan, plan.created, 'create'),
  };
}

export function statusResponseAt(plan: BatchPlan, t: number): BatchStatusResponse {
  const s = workflowStatusAt(plan, t, 'status');
  return {
    id: plan.id,
    object: 'batch',
    created_at: plan.created,
    total_urls: plan.totalUrls,
    status: s.overall,
    batch_mode: plan.batchMode,
    scraping: s.scraping,
    analyzing: s.analyzing,
    enriching: s.enriching,
  };
}

/** Final item results in input order. */
export function finalItems(plan: BatchPlan): ItemResult[] {
  const f = plan.failure;
  return plan.items.map((item): ItemResult => {
    const head = { custom_id: item.custom_id, url: item.url };
    if (!item.scrapeOk) {
      return {
        ...head,
        status: 'failed',
        failed_stage: 'scraping',
        error: { code: 'SCRAPE_FAILED', message: 'URL failed to scrape' },
      };
    }
    if (f?.phase === 'analyzing') {
      return { ...head, status: 'failed', failed_stage: 'analyzing', error: { ...f.error } };
    }
    if (item.enrichOk !== null) {
      const enrichedAt = item.enrichedAt as number;
      if (f?.phase === 'enriching' && !(item.enrichOk && enrichedAt <= f.at)) {
        return { ...head, status: 'failed', failed_stage: 'enriching', error: { ...f.error } };
      }
      if (!item.enrichOk) {
        return {
          ...head,
          status: 'failed',
          failed_stage: 'enriching',
          error: { code: 'ENRICHMENT_FAILED', message: 'LLM extraction failed for this item' },
        };
      }
    }
    return { ...head, status: 'completed', ...item.fields, brand_mentions: [...item.fields.brand_mentions] };
  });
}

export function itemsResponseAt(plan: BatchPlan, t: number): ItemsResponse {
  if (t < plan.times.terminal) {
    return {
      batch_id: plan.id,
      status: 'in_progress',
      items: [],
      message: 'Batch is still processing. Items are available once it completes.',
    };
  }
  const items = finalItems(plan);
  const succeeded = items.filter((i) => i.status === 'completed').length;
  const body: ItemsFinalResponse = {
    batch_id: plan.id,
    completed_at: new Date(plan.times.terminal).toISOString(),
    status: plan.outcome,
    counts: { total: items.length, succeeded, failed: items.length - succeeded },
    items,
  };
  if (plan.failure) body.message = `Batch failed during ${plan.failure.phase}: ${plan.failure.error.code}`;
  return body;
}

/** What the batch really did: the final phase metrics and items, for tests to compare against. */
export interface GroundTruth {
  batchId: string;
  scenario: Scenario;
  seed: number | string;
  created: number;
  terminalAt: number;
  outcome: 'completed' | 'failed';
  failure: { phase: 'scraping' | 'analyzing' | 'enriching'; error: StepError; at: number } | null;
  events: { type: WebhookEventType; at: number }[];
  /** Final status in the GET shape. */
  final: BatchStatusResponse;
  items: ItemResult[];
  counts: { total: number; succeeded: number; failed: number };
}

export function groundTruthOf(plan: BatchPlan): GroundTruth {
  const items = finalItems(plan);
  const succeeded = items.filter((i) => i.status === 'completed').length;
  return {
    batchId: plan.id,
    scenario: plan.scenario,
    seed: plan.seed,
    created: plan.created,
    terminalAt: plan.times.terminal,
    outcome: plan.outcome,
    failure: plan.failure ? { ...plan.failure, error: { ...plan.failure.error } } : null,
    events: plan.events.map(({ type, at }) => ({ type, at })),
    final: statusResponseAt(plan, plan.times.terminal),
    items,
    counts: { total: items.length, succeeded, failed: items.length - succeeded },
  };
}
