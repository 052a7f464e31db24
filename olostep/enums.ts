// The enum values the AirOps contract documents (docs/airops-api.md), as plain const arrays: the one list of each,
// for the whole project. Kept free of zod and of any import so that workflow code (Temporal's deterministic
// sandbox) can use them. The API has changed these before (docs/airops-api.md#unknown-values): schemas accept any
// string, and olostep/normalize.ts, the one place that sorts known values from unknown ones, reports strings that
// are not listed here in `BatchSnapshot.unknownValues`; it never rejects them.

/** The three phases of a batch, in the order they run. */
export const PHASES = ['scraping', 'analyzing', 'enriching'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Every phase state documented for any phase. */
export const PHASE_STATES = ['pending', 'started', 'completed', 'failed', 'skipped'] as const;
export type KnownPhaseState = (typeof PHASE_STATES)[number];

/** Phase states per phase: only enriching may be `skipped` (docs/airops-api.md#phase-states). */
export const SCRAPING_STATES = ['pending', 'started', 'completed', 'failed'] as const;
export const ANALYZING_STATES = ['pending', 'started', 'completed', 'failed'] as const;
export const ENRICHING_STATES = ['pending', 'started', 'completed', 'failed', 'skipped'] as const;
/** The states each phase may be in. */
export const STATES_BY_PHASE: Readonly<Record<PhaseName, readonly KnownPhaseState[]>> = {
  scraping: SCRAPING_STATES,
  analyzing: ANALYZING_STATES,
  enriching: ENRICHING_STATES,
};

/** `status.overall` (create, webhooks) and the `status` string of GET /v1/batches-airops/{id}. */
export const OVERALL_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type KnownOverallStatus = (typeof OVERALL_STATUSES)[number];
/** The overall statuses that are final. */
export const TERMINAL_OVERALL: readonly KnownOverallStatus[] = ['completed', 'failed'];

/** The 9 AirOps webhook event names, carried in the payload's `object` field (docs/airops-api.md#webhook-events). */
export const WEBHOOK_EVENT_TYPES = [
  'event.batch.airops.scraping_started',
  'event.batch.airops.scraping_completed',
  'event.batch.airops.scraping_failed',
  'event.batch.airops.analyzing_completed',
  'event.batch.airops.enriching_started',
  'event.batch.airops.enriching_completed',
  'event.batch.airops.enriching_failed',
  'event.batch.airops.completed',
  'event.batch.airops.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The 21 documented `page_type` values (docs/airops-api.md#page-types); new ones appeared in Jan 2026, expect more. */
export const PAGE_TYPES = [
  'homepage',
  'product_page',
  'collection_page',
  'pricing_page',
  'informational_article',
  'documentation',
  'listicle_article',
  'comparison_page',
  'support_article',
  'review_page',
  'forum_thread',
  'social_media_post',
  'social_media_profile',
  'video_page',
  'news_article',
  'case_study',
  'marketplace_listing',
  'landing_page',
  'deal_page',
  'job_posting',
  'other',
] as const;
export type PageType = (typeof PAGE_TYPES)[number];

/** `failed_stage` of a failed item: the phase it failed in. */
export const FAILED_STAGES = PHASES;

/**
 * Phase-level `error.code` values (docs/airops-api.md#phase-error-codes). Item errors use other codes
 * (`SCRAPE_FAILED`).
 */
export const PHASE_ERROR_CODES = [
  'SCRAPING_ERROR',
  'ENRICHING_ERROR',
  'LLM_BATCH_FAILED',
  'LLM_BATCH_EXPIRED',
] as const;

/** Item-level `error.code` values; only one is documented. */
export const ITEM_ERROR_CODES = ['SCRAPE_FAILED'] as const;

/**
 * Item `status`: AirOps says `completed`, the general Olostep batches say `success`
 * (docs/airops-api.md#batch-items).
 */
export const ITEM_STATUSES = ['completed', 'success', 'failed'] as const;

/**
 * Items endpoint `status`: documented `completed`/`in_progress`; `failed`/`pending` tolerated
 * (docs/airops-api.md#batch-items).
 */
export const ITEMS_RESPONSE_STATUSES = ['completed', 'in_progress', 'failed', 'pending'] as const;

/** Values of the optional `methods` map (OpenAPI `EnrichedData`). */
export const EXTRACTION_METHODS = ['classifier', 'parser', 'llm', 'not_found'] as const;

/** The `object` value of each non-webhook body. */
export const CREATE_RESPONSE_OBJECT = 'batch_airops';
export const STATUS_RESPONSE_OBJECT = 'batch';

/** True when `value` is one of `known` (a typed `includes` that accepts any string). */
export function isKnownValue<T extends string>(known: readonly T[], value: string): value is T {
  return (known as readonly string[]).includes(value);
}
