// Wire shapes the simulator sends, as documented in docs/airops-api.md (endpoints, webhook events, errors).
// Deliberately separate from olostep/ (the client side): the simulator must not share the client's
// assumptions, or contract bugs cancel out.

export type ScrapingState = 'pending' | 'started' | 'completed' | 'failed';
export type AnalyzingState = 'pending' | 'started' | 'completed' | 'failed';
export type EnrichingState = 'pending' | 'started' | 'completed' | 'failed' | 'skipped';
export type OverallStatus = 'pending' | 'in_progress' | 'completed' | 'failed';

export interface StepError {
  code: string;
  message: string;
}

export interface ScrapingStatus {
  state: ScrapingState;
  submitted: number;
  valid: number;
  succeeded: number;
  failed: number;
  started_at: number | null;
  completed_at: number | null;
  error: StepError | null;
}

export const ENRICHABLE_FIELDS = ['page_type', 'author', 'date_published', 'date_modified', 'brand_mentions'] as const;
export type EnrichableField = (typeof ENRICHABLE_FIELDS)[number];
export type FieldsToEnrich = Record<EnrichableField, number>;

export interface AnalyzingStatus {
  state: AnalyzingState;
  items_analyzed: number;
  items_needing_enrichment: number;
  items_complete: number;
  fields_to_enrich: FieldsToEnrich | null;
  started_at: number | null;
  completed_at: number | null;
}

export interface LlmInfo {
  provider: string;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  completion_time_ms: number | null;
}

export interface EnrichingStatus {
  state: EnrichingState;
  items_to_enrich: number;
  items_enriched: number;
  items_failed: number;
  llm_batch_id: string | null;
  /** GET status shape only, once enriching has started. */
  batch_mode?: boolean;
  /** Once enriching has completed. */
  llm?: LlmInfo | null;
  started_at: number | null;
  completed_at: number | null;
  error: StepError | null;
}

/** `status` of the create response and of webhook payloads. */
export interface WorkflowStatus {
  overall: OverallStatus;
  scraping: ScrapingStatus;
  analyzing: AnalyzingStatus;
  enriching: EnrichingStatus;
}

/** POST /v1/batches-airops, HTTP 200. */
export interface CreateBatchResponse {
  id: string;
  object: 'batch_airops';
  created: number;
  total_urls: number;
  status: WorkflowStatus;
}

/** GET /v1/batches-airops/{id}: `status` is a string and the phases sit at the top level. */
export interface BatchStatusResponse {
  id: string;
  object: 'batch';
  created_at: number;
  total_urls: number;
  status: OverallStatus;
  batch_mode: boolean;
  scraping: ScrapingStatus;
  analyzing: AnalyzingStatus;
  enriching: EnrichingStatus;
}

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

export interface ExtractedFields {
  page_type: PageType | null;
  author: string | null;
  date_published: string | null;
  date_modified: string | null;
  brand_mentions: string[];
}

export interface CompletedItem extends ExtractedFields {
  custom_id: string;
  url: string;
  status: 'completed';
}

export interface FailedItem {
  custom_id: string;
  url: string;
  status: 'failed';
  failed_stage: 'scraping' | 'analyzing' | 'enriching';
  error: StepError;
}

export type ItemResult = CompletedItem | FailedItem;

/** GET /v1/batches-airops/{id}/items while the batch is not final. */
export interface ItemsInProgressResponse {
  batch_id: string;
  status: 'in_progress';
  items: [];
  message: string;
}

/** GET /v1/batches-airops/{id}/items once final; `status: "failed"` is a simulator choice (docs/airops-api.md#batch-items). */
export interface ItemsFinalResponse {
  batch_id: string;
  completed_at: string;
  status: 'completed' | 'failed';
  counts: { total: number; succeeded: number; failed: number };
  items: ItemResult[];
  message?: string;
}

export type ItemsResponse = ItemsInProgressResponse | ItemsFinalResponse;

export const WEBHOOK_EVENTS = [
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
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** The AirOps webhook payload (docs/airops-api.md#webhook-payload): `id` is the batch id, no event id, no delivery counter. */
export interface WebhookPayload {
  object: WebhookEventType;
  id: string;
  created: number;
  timestamp: number;
  status: WorkflowStatus;
}

export interface ValidationDetail {
  path: string;
  message: string;
  code: string;
}

/** AirOps error body (the AirOps format of docs/airops-api.md#error-bodies). */
export interface ErrorBody {
  error_code: string;
  error_message: string;
  details?: ValidationDetail[];
}
