// Pure mapping of the three status-bearing shapes (create response, GET status, webhook payload) into the one
// BatchSnapshot, and the one place that sorts known enum values from unknown ones (the tracker's reducer asks
// here too). Workflow code imports this inside Temporal's deterministic sandbox to merge webhook payloads,
// so: no zod, no axios, no Node built-ins, no clock, no randomness; the only imports are types and const arrays.
// Every reader is defensive: the typed entry points accept zod-parsed bodies, but nothing here crashes on a
// missing optional field, and `toSnapshot` accepts unvalidated input.
import type { BatchItemsResponse, BatchStatusResponse, CreateBatchResponse, WebhookPayload } from './schemas';
import {
  CREATE_RESPONSE_OBJECT,
  EXTRACTION_METHODS,
  FAILED_STAGES,
  ITEM_ERROR_CODES,
  ITEM_STATUSES,
  ITEMS_RESPONSE_STATUSES,
  OVERALL_STATUSES,
  PAGE_TYPES,
  PHASE_ERROR_CODES,
  STATES_BY_PHASE,
  STATUS_RESPONSE_OBJECT,
  WEBHOOK_EVENT_TYPES,
  isKnownValue,
  type KnownOverallStatus,
  type KnownPhaseState,
  type PhaseName,
} from './enums';
import type {
  AnalyzingPhase,
  BatchSnapshot,
  EnrichingPhase,
  LlmInfo,
  PhaseError,
  PhaseState,
  ScrapingPhase,
  SnapshotSource,
} from './snapshot';

type Obj = Record<string, unknown>;

/** Longest value quoted in `unknownValues` (webhook bodies are untrusted and end up in workflow history). */
export const MAX_UNKNOWN_VALUE_LENGTH = 64;
/** Most entries kept in `unknownValues`. */
export const MAX_UNKNOWN_VALUES = 20;
/** How a missing phase state is recorded in `unknownValues`. */
export const MISSING_VALUE = '(missing)';

// ---------------------------------------------------------------------------------------------------------------
// Known or unknown: the one place that decides
// ---------------------------------------------------------------------------------------------------------------

/** `phase`'s state when it is one this client knows for that phase (`skipped` only for enriching), else null. */
export function knownPhaseState(phase: PhaseName, value: string): KnownPhaseState | null {
  return isKnownValue(STATES_BY_PHASE[phase], value) ? value : null;
}

/** The overall status when it is one this client knows, else null. */
export function knownOverallStatus(value: string): KnownOverallStatus | null {
  return isKnownValue(OVERALL_STATUSES, value) ? value : null;
}

/** Whether `event` (a payload's `object`) is one of the documented webhook event names. */
export function isKnownWebhookEvent(event: string): boolean {
  return isKnownValue(WEBHOOK_EVENT_TYPES, event);
}

/** A string from an untrusted body, cut to {@link MAX_UNKNOWN_VALUE_LENGTH} characters (then `…`). */
export function clipUnknownValue(value: string): string {
  return value.length > MAX_UNKNOWN_VALUE_LENGTH ? `${value.slice(0, MAX_UNKNOWN_VALUE_LENGTH)}…` : value;
}

/** How an unknown value is listed in `unknownValues`: `path=value`, the value clipped. */
export function unknownValueEntry(path: string, value: string): string {
  return `${path}=${clipUnknownValue(value)}`;
}

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const bool = (x: unknown): boolean | null => (typeof x === 'boolean' ? x : null);

// Collects unknown enum values as `path=value`, deduplicated, truncated and capped.
class Unknowns {
  readonly values: string[] = [];
  add(path: string, value: string): void {
    if (this.values.length >= MAX_UNKNOWN_VALUES) return;
    const entry = unknownValueEntry(path, value);
    if (!this.values.includes(entry)) this.values.push(entry);
  }
  check(path: string, known: readonly string[], value: unknown): void {
    if (typeof value === 'string' && !isKnownValue(known, value)) this.add(path, value);
  }
}

function phaseState(raw: Obj | null, phase: PhaseName, unknowns: Unknowns): PhaseState {
  const state = raw === null ? null : str(raw.state);
  if (state === null || state === '') {
    unknowns.add(`${phase}.state`, MISSING_VALUE);
    return 'pending';
  }
  if (knownPhaseState(phase, state) === null) unknowns.add(`${phase}.state`, state);
  return state;
}

function phaseError(raw: unknown, path: string, unknowns: Unknowns): PhaseError | null {
  if (typeof raw === 'string') return { code: 'UNKNOWN', message: raw };
  if (!isObj(raw)) return null;
  const code = str(raw.code) ?? 'UNKNOWN';
  unknowns.check(`${path}.error.code`, PHASE_ERROR_CODES, code);
  return { code, message: str(raw.message) ?? '' };
}

function scrapingPhase(raw: Obj | null, unknowns: Unknowns): ScrapingPhase {
  const p = raw ?? {};
  return {
    state: phaseState(raw, 'scraping', unknowns),
    submitted: num(p.submitted),
    valid: num(p.valid),
    succeeded: num(p.succeeded),
    failed: num(p.failed),
    startedAt: num(p.started_at),
    completedAt: num(p.completed_at),
    error: phaseError(p.error, 'scraping', unknowns),
  };
}

function fieldsToEnrich(raw: unknown): Record<string, number> | null {
  if (!isObj(raw)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    const n = num(v);
    if (n !== null) out[k] = n;
  }
  return out;
}

function analyzingPhase(raw: Obj | null, unknowns: Unknowns): AnalyzingPhase {
  const p = raw ?? {};
  return {
    state: phaseState(raw, 'analyzing', unknowns),
    itemsAnalyzed: num(p.items_analyzed),
    itemsNeedingEnrichment: num(p.items_needing_enrichment),
    itemsComplete: num(p.items_complete),
    fieldsToEnrich: fieldsToEnrich(p.fields_to_enrich),
    startedAt: num(p.started_at),
    completedAt: num(p.completed_at),
  };
}

function llmInfo(raw: unknown): LlmInfo | null {
  if (!isObj(raw)) return null;
  const usage = isObj(raw.usage)
    ? {
        promptTokens: num(raw.usage.prompt_tokens),
        completionTokens: num(raw.usage.completion_tokens),
        totalTokens: num(raw.usage.total_tokens),
      }
    : null;
  return { provider: str(raw.provider), model: str(raw.model), usage, completionTimeMs: num(raw.completion_time_ms) };
}

function enrichingPhase(raw: Obj | null, unknowns: Unknowns): EnrichingPhase {
  const p = raw ?? {};
  return {
    state: phaseState(raw, 'enriching', unknowns),
    itemsToEnrich: num(p.items_to_enrich),
    itemsEnriched: num(p.items_enriched),
    itemsFailed: num(p.items_failed),
    llmBatchId: str(p.llm_batch_id),
    batchMode: bool(p.batch_mode),
    llm: llmInfo(p.llm),
    startedAt: num(p.started_at),
    completedAt: num(p.completed_at),
    error: phaseError(p.error, 'enriching', unknowns),
  };
}

/**
 * The overall status implied by the phase states (docs/airops-api.md#overall-status), used when a body carries no
 * `overall`: `completed` if enriching is completed or skipped; else `failed` if any phase failed; `pending` if every
 * phase is pending; otherwise `in_progress` (unknown states count as progress, never as terminal).
 */
export function deriveOverall(states: { scraping: string; analyzing: string; enriching: string }): KnownOverallStatus {
  const { scraping, analyzing, enriching } = states;
  if (enriching === 'completed' || enriching === 'skipped') return 'completed';
  if (scraping === 'failed' || analyzing === 'failed' || enriching === 'failed') return 'failed';
  if (scraping === 'pending' && analyzing === 'pending' && enriching === 'pending') return 'pending';
  return 'in_progress';
}

function buildSnapshot(body: Obj, source: SnapshotSource, expectedObject: string | null): BatchSnapshot {
  const unknowns = new Unknowns();
  const objectValue = str(body.object);
  if (objectValue !== null) {
    if (expectedObject !== null && objectValue !== expectedObject) unknowns.add('object', objectValue);
    if (source.kind === 'webhook' && !isKnownWebhookEvent(objectValue)) unknowns.add('object', objectValue);
  }
  // Phases sit in the `status` object (create, webhooks) or at the top level (GET); accept either anywhere.
  const statusObj = isObj(body.status) ? body.status : null;
  const pick = (name: string): Obj | null => {
    const nested = statusObj?.[name];
    if (isObj(nested)) return nested;
    const top = body[name];
    return isObj(top) ? top : null;
  };
  const scraping = scrapingPhase(pick('scraping'), unknowns);
  const analyzing = analyzingPhase(pick('analyzing'), unknowns);
  const enriching = enrichingPhase(pick('enriching'), unknowns);

  const sent = typeof body.status === 'string' ? body.status : statusObj ? str(statusObj.overall) : null;
  let overall: string;
  let overallDerived = false;
  if (sent !== null && sent !== '') {
    overall = sent;
    if (knownOverallStatus(sent) === null) unknowns.add('overall', sent);
  } else {
    overall = deriveOverall({ scraping: scraping.state, analyzing: analyzing.state, enriching: enriching.state });
    overallDerived = true;
  }

  return {
    batchId: str(body.id) ?? '',
    createdAt: num(body.created) ?? num(body.created_at),
    totalUrls: num(body.total_urls),
    overall,
    overallDerived,
    batchMode: bool(body.batch_mode) ?? enriching.batchMode,
    scraping,
    analyzing,
    enriching,
    source,
    unknownValues: unknowns.values,
  };
}

/** Normalizes a POST /v1/batches-airops response (`status` object, `overall` possibly missing). */
export function snapshotFromCreateResponse(body: CreateBatchResponse): BatchSnapshot {
  return buildSnapshot(body, { kind: 'create' }, CREATE_RESPONSE_OBJECT);
}

/** Normalizes a GET /v1/batches-airops/{id} response (`status` string, phases at the top level). */
export function snapshotFromStatusResponse(body: BatchStatusResponse): BatchSnapshot {
  return buildSnapshot(body, { kind: 'status' }, STATUS_RESPONSE_OBJECT);
}

/**
 * Normalizes a webhook payload. `source.event` is the `object` (event name, unknown names kept and reported),
 * `source.sentAt` the payload's `timestamp`.
 */
export function snapshotFromWebhook(body: WebhookPayload): BatchSnapshot {
  const raw = body as Obj;
  const event = str(raw.object) ?? '';
  return buildSnapshot(raw, { kind: 'webhook', event, sentAt: num(raw.timestamp) }, null);
}

/** Which of the three shapes `input` looks like, or null when it is none of them. */
export function detectShape(input: unknown): 'create' | 'status' | 'webhook' | null {
  if (!isObj(input) || typeof input.id !== 'string' || input.id === '') return null;
  if (typeof input.status !== 'string' && !isObj(input.status)) return null;
  const object = str(input.object);
  if (object === CREATE_RESPONSE_OBJECT) return 'create';
  if (object === STATUS_RESPONSE_OBJECT) return 'status';
  if (object !== null && object !== '') return 'webhook';
  // No `object`: fall back on the other documented differences (docs/airops-api.md#three-shapes).
  if (typeof input.status === 'string' || 'created_at' in input) return 'status';
  return 'create';
}

/**
 * Normalizes any of the three shapes, detected from `object` (`batch_airops`, `batch`, or an event name), or
 * failing that from `status` being a string. An existing BatchSnapshot is returned unchanged.
 * Returns null when `input` has no batch id or no `status`. Does not validate: parse with zod first when the
 * input crosses a trust boundary.
 */
export function toSnapshot(input: unknown): BatchSnapshot | null {
  if (isBatchSnapshot(input)) return input;
  switch (detectShape(input)) {
    case 'create':
      return snapshotFromCreateResponse(input as CreateBatchResponse);
    case 'status':
      return snapshotFromStatusResponse(input as BatchStatusResponse);
    case 'webhook':
      return snapshotFromWebhook(input as WebhookPayload);
    default:
      return null;
  }
}

/**
 * Structural guard for an AirOps webhook body: a batch `id`, an `object` that is an event name (anything but the
 * create/GET object names, since unknown events must be accepted) and a `status`.
 */
export function isWebhookPayload(x: unknown): x is WebhookPayload {
  return detectShape(x) === 'webhook';
}

function isPhase(x: unknown): boolean {
  return isObj(x) && typeof x.state === 'string';
}

/** Structural guard for a BatchSnapshot (e.g. one that crossed Temporal's payload converter). */
export function isBatchSnapshot(x: unknown): x is BatchSnapshot {
  return (
    isObj(x) &&
    typeof x.batchId === 'string' &&
    typeof x.overall === 'string' &&
    typeof x.overallDerived === 'boolean' &&
    isPhase(x.scraping) &&
    isPhase(x.analyzing) &&
    isPhase(x.enriching) &&
    isObj(x.source) &&
    typeof x.source.kind === 'string' &&
    Array.isArray(x.unknownValues)
  );
}

/**
 * Enum strings in an items response that this client does not know (`status`, item `status`, `page_type`,
 * `failed_stage`, item `error.code`, `methods` values), as deduplicated `path=value` entries, e.g.
 * `items[].page_type=press_release`.
 */
export function unknownItemValues(body: BatchItemsResponse): string[] {
  const unknowns = new Unknowns();
  const raw = body as Obj;
  unknowns.check('status', ITEMS_RESPONSE_STATUSES, raw.status);
  const items = Array.isArray(raw.items) ? (raw.items as unknown[]) : [];
  for (const item of items) {
    if (!isObj(item)) continue;
    unknowns.check('items[].status', ITEM_STATUSES, item.status);
    unknowns.check('items[].page_type', PAGE_TYPES, item.page_type);
    unknowns.check('items[].failed_stage', FAILED_STAGES, item.failed_stage);
    if (isObj(item.error)) unknowns.check('items[].error.code', ITEM_ERROR_CODES, item.error.code);
    if (isObj(item.methods)) {
      for (const v of Object.values(item.methods)) unknowns.check('items[].methods', EXTRACTION_METHODS, v);
    }
  }
  return unknowns.values;
}
