// The summary of a batch's items (counts by status, failures by stage and code, page types, brand mentions,
// fields still missing) and the shapes a run hands around. Pure and import-free at runtime: the items activity
// computes the summary next to the results sink, and workflow code imports the types.
import type { CreateBatchRequestInput } from '../olostep/schemas';

/** The create request as runAirOpsBatch takes it: the API's own shape (docs/airops-api.md#create-request). */
export type RunRequest = CreateBatchRequestInput;

/** Where a results sink put a batch's items: small enough for history, enough to find and verify them. */
export interface ResultsRef {
  /** Which sink wrote it, e.g. `jsonl-file`. */
  kind: string;
  /** Where the items are, e.g. `file:///srv/results/airops-run-x.batch_y.jsonl`. */
  uri: string;
  /** Local path for file sinks; null otherwise. */
  path: string | null;
  /** Items written (one JSON object per line for JSONL). */
  items: number;
  bytes: number;
  /** Hex SHA-256 of the written bytes. */
  sha256: string;
}

/** Completed items lacking a field (null or absent; `brand_mentions` also counts `[]` apart, see `brandMentions`). */
export interface MissingFieldCounts {
  page_type: number;
  author: number;
  date_published: number;
  date_modified: number;
  brand_mentions: number;
}

export interface FailedItemSample {
  custom_id: string;
  url: string | null;
  stage: string;
  code: string;
}

export interface ItemsSummary {
  /** The items body's `status` (`completed`; `failed` for a failed batch; `in_progress` when not ready). */
  itemsStatus: string;
  /** True for the finished body (`status: "completed"` with `counts`). A failed batch's items are partial. */
  complete: boolean;
  /** `counts` as the API sent them, or null. */
  apiCounts: { total: number | null; succeeded: number | null; failed: number | null } | null;
  total: number;
  /** Items by `status` (`completed`, `failed`, ...). */
  byStatus: Record<string, number>;
  /** Failed items by `failed_stage`, then by `error.code`. */
  failed: { total: number; byStage: Record<string, { total: number; byCode: Record<string, number> }> };
  /** `page_type` of completed items (`(null)` when null or absent). */
  pageTypes: Record<string, number>;
  brandMentions: {
    /** Completed items with at least one mention. */
    itemsWithMentions: number;
    /** Completed items whose `brand_mentions` is `[]`. */
    itemsWithout: number;
    /** Mentions per brand, across completed items. */
    byBrand: Record<string, number>;
  };
  /** Completed items still missing each field after enrichment. */
  missingFields: MissingFieldCounts;
  /** Up to 10 failed items, in input order, for a first look. */
  failedSamples: FailedItemSample[];
  /** Enum strings the client does not know, e.g. `items[].page_type=press_release` (bounded). */
  unknownValues: string[];
}

/** At most this many keys per map: an API that drifts (or a hostile one) cannot bloat history. */
export const MAX_SUMMARY_KEYS = 100;
export const MAX_SUMMARY_KEY_LENGTH = 64;
export const MAX_FAILED_SAMPLES = 10;
const OVERFLOW_KEY = '(other)';

function clip(value: string, max = MAX_SUMMARY_KEY_LENGTH): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Adds one to `map[key]`, folding keys beyond MAX_SUMMARY_KEYS into `(other)`. */
function bump(map: Record<string, number>, rawKey: string, by = 1): void {
  const key = clip(rawKey);
  if (Object.prototype.hasOwnProperty.call(map, key)) {
    map[key] = (map[key] ?? 0) + by;
    return;
  }
  const k = Object.keys(map).length >= MAX_SUMMARY_KEYS ? OVERFLOW_KEY : key;
  map[k] = (map[k] ?? 0) + by;
}

// Maps built with a null prototype: keys come from the API, and `__proto__` must stay an ordinary key.
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Defines an own property even for the key `__proto__` (plain assignment would set the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Sorted by count (desc), then key, into a plain object: stable output for tests, logs and history. */
function sorted(map: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(map).sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0))) {
    setOwn(out, k, v);
  }
  return out;
}

const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

function codeOf(error: unknown): string {
  if (typeof error === 'string') return error === '' ? '(none)' : error;
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return '(none)';
}

/** An item as the items endpoint sends it (docs/airops-api.md#batch-items); everything but `custom_id` and `status` is optional. */
export interface SummarizableItem {
  custom_id: string;
  status: string;
  url?: string | null;
  page_type?: string | null;
  author?: string | null;
  date_published?: string | null;
  date_modified?: string | null;
  brand_mentions?: readonly string[] | null;
  failed_stage?: string | null;
  error?: unknown;
}

/**
 * Summarizes a batch's items in one pass. Items whose status is `completed` (or `success`, the general batches'
 * word) count as completed; `failed` items are grouped by `failed_stage` and `error.code`.
 */
export function summarizeItems(
  items: readonly SummarizableItem[],
  meta: {
    itemsStatus: string;
    complete: boolean;
    apiCounts?: ItemsSummary['apiCounts'];
    unknownValues?: readonly string[];
  },
): ItemsSummary {
  const byStatus = dict<number>();
  const byStage = dict<{ total: number; byCode: Record<string, number> }>();
  const pageTypes = dict<number>();
  const byBrand = dict<number>();
  const missing: MissingFieldCounts = {
    page_type: 0,
    author: 0,
    date_published: 0,
    date_modified: 0,
    brand_mentions: 0,
  };
  const failedSamples: FailedItemSample[] = [];
  let failedTotal = 0;
  let withMentions = 0;
  let without = 0;

  for (const item of items) {
    const status = typeof item.status === 'string' ? item.status : '(none)';
    bump(byStatus, status);
    if (status === 'completed' || status === 'success') {
      bump(pageTypes, isBlank(item.page_type) ? '(null)' : String(item.page_type));
      if (isBlank(item.page_type)) missing.page_type++;
      if (isBlank(item.author)) missing.author++;
      if (isBlank(item.date_published)) missing.date_published++;
      if (isBlank(item.date_modified)) missing.date_modified++;
      const mentions = item.brand_mentions;
      if (!Array.isArray(mentions)) missing.brand_mentions++;
      else if (mentions.length === 0) without++;
      else {
        withMentions++;
        // A brand mentioned twice in one item counts once for that item.
        for (const brand of new Set(mentions.filter((b): b is string => typeof b === 'string'))) bump(byBrand, brand);
      }
    } else if (status === 'failed') {
      failedTotal++;
      const stage = isBlank(item.failed_stage) ? '(unknown)' : String(item.failed_stage);
      const code = codeOf(item.error);
      const stageKey = clip(stage);
      let entry = byStage[stageKey];
      if (entry === undefined) {
        if (Object.keys(byStage).length >= MAX_SUMMARY_KEYS)
          entry = byStage[OVERFLOW_KEY] ??= { total: 0, byCode: dict<number>() };
        else entry = byStage[stageKey] = { total: 0, byCode: dict<number>() };
      }
      entry.total++;
      bump(entry.byCode, code);
      if (failedSamples.length < MAX_FAILED_SAMPLES) {
        failedSamples.push({
          custom_id: clip(String(item.custom_id), 255),
          url: typeof item.url === 'string' ? clip(item.url, 200) : null,
          stage: stageKey,
          code: clip(code),
        });
      }
    }
  }

  const stages: ItemsSummary['failed']['byStage'] = {};
  for (const [stage, entry] of Object.entries(byStage).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    setOwn(stages, stage, { total: entry.total, byCode: sorted(entry.byCode) });
  }
  return {
    itemsStatus: clip(meta.itemsStatus),
    complete: meta.complete,
    apiCounts: meta.apiCounts ?? null,
    total: items.length,
    byStatus: sorted(byStatus),
    failed: { total: failedTotal, byStage: stages },
    pageTypes: sorted(pageTypes),
    brandMentions: { itemsWithMentions: withMentions, itemsWithout: without, byBrand: sorted(byBrand) },
    missingFields: missing,
    failedSamples,
    unknownValues: (meta.unknownValues ?? []).slice(0, 20).map((v) => clip(v)),
  };
}
