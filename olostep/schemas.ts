// zod schemas for every body of the AirOps Batches API (spec /work/shared/olostep-airops-api.md), each with a
// same-named inferred type. Two stances:
// - Requests are checked strictly, with every documented limit, so a bad batch fails here with a message naming
//   the offending item instead of as a 400 after a network round trip.
// - Responses and webhooks are parsed tolerantly (spec §5): unknown fields are kept, enum-like fields are open
//   strings (normalize.ts reports unknown values), counts and timestamps may be null or missing, and `status`
//   may be a string or an object on any of the three status-bearing shapes. A count that is present must be a
//   non-negative integer: a negative or fractional one is a broken contract, not a tolerable variation.
import { z } from 'zod';
import { batchIdProblem, previewString } from './batch-id';
import { type ErrorDetail, ValidationError } from './errors';

export {
  PHASE_STATES,
  SCRAPING_STATES,
  ANALYZING_STATES,
  ENRICHING_STATES,
  OVERALL_STATUSES,
  WEBHOOK_EVENT_TYPES,
  PAGE_TYPES,
  FAILED_STAGES,
  PHASE_ERROR_CODES,
  ITEM_ERROR_CODES,
  ITEM_STATUSES,
  ITEMS_RESPONSE_STATUSES,
  EXTRACTION_METHODS,
} from './enums';

// ---------------------------------------------------------------------------------------------------------------
// Create request (POST /v1/batches-airops), spec §2.1
// ---------------------------------------------------------------------------------------------------------------

/** Documented limits of the create request. */
export const CREATE_LIMITS = {
  minItems: 1,
  maxItems: 10_000,
  maxCustomIdLength: 255,
  maxBrandLength: 100,
  maxMetadataKeys: 50,
  maxMetadataKeyLength: 40,
  maxMetadataValueLength: 500,
} as const;

export const CREATE_BATCH_PATH = '/v1/batches-airops';

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// Shared message for "wrong type" issues: "is required" when absent, otherwise what arrived.
function expected(what: string) {
  return (iss: { input?: unknown; code?: string }) =>
    iss.input === undefined ? `is required (${what})` : `must be ${what}, got ${typeName(iss.input)}`;
}

/** Why `s` is not an acceptable http(s) URL, or null when it is. */
export function httpUrlProblem(s: string): string | null {
  if (s.length === 0) return 'is empty';
  if (/[\s\p{Cc}]/u.test(s)) return 'contains whitespace or control characters';
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return 'cannot be parsed';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `uses ${JSON.stringify(url.protocol.slice(0, -1))}; only http and https are allowed`;
  }
  if (url.hostname === '') return 'has no host';
  return null;
}

const HttpUrlString = z.string({ error: expected('a URL string') }).check((ctx) => {
  const problem = httpUrlProblem(ctx.value);
  if (problem !== null) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `${previewString(ctx.value, 80)} is not a valid URL (${problem})`,
      params: { code: 'invalid_url' },
    });
  }
});

function unknownKeysMessage(keys: readonly string[], hints: Record<string, string> = {}): string {
  const shown = keys.slice(0, 5).map((k) => previewString(k));
  const hint = keys.map((k) => hints[k]).find((h) => h !== undefined);
  return `unknown field${keys.length > 1 ? 's' : ''} ${shown.join(', ')}${keys.length > 5 ? ', …' : ''}${hint ? ` (${hint})` : ''}`;
}

function objectError(what: string, hints?: Record<string, string>) {
  return (iss: { input?: unknown; code?: string; keys?: readonly string[] }) =>
    iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys ?? [], hints) : expected(what)(iss);
}

const lengthOf = (input: unknown): number => (typeof input === 'string' ? input.length : 0);

/** One entry of `items`. Unknown fields are refused: the server may silently ignore them. */
export const CreateBatchItem = z.strictObject(
  {
    url: HttpUrlString,
    custom_id: z
      .string({ error: expected('a string of 1 to 255 characters') })
      .min(1, { error: 'must not be empty (1 to 255 characters)' })
      .max(CREATE_LIMITS.maxCustomIdLength, {
        error: (iss) => `must be at most ${CREATE_LIMITS.maxCustomIdLength} characters, got ${lengthOf(iss.input)}`,
      }),
  },
  { error: objectError('an object {url, custom_id}') },
);
export type CreateBatchItem = z.infer<typeof CreateBatchItem>;

const Brand = z
  .string({ error: expected('a string of 1 to 100 characters') })
  .min(1, { error: 'must not be empty (1 to 100 characters)' })
  .max(CREATE_LIMITS.maxBrandLength, {
    error: (iss) => `must be at most ${CREATE_LIMITS.maxBrandLength} characters, got ${lengthOf(iss.input)}`,
  });

const Country = z.string({ error: expected('"RANDOM" or an ISO 3166-1 alpha-2 code') }).check((ctx) => {
  if (ctx.value !== 'RANDOM' && !/^[A-Z]{2}$/.test(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `${previewString(ctx.value)} is not "RANDOM" or an ISO 3166-1 alpha-2 code (two uppercase letters, e.g. "US")`,
      params: { code: 'invalid_country' },
    });
  }
});

/** Metadata values as a caller may pass them; numbers and booleans become strings (Olostep-wide rule). */
export type MetadataInputValue = string | number | boolean;

// Hand-written rather than z.record so that key and value problems are all reported in one pass, each with
// its key in the path (z.record skips later checks once a value fails).
const Metadata = z.unknown().transform((input, ctx): Record<string, string> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    ctx.addIssue({
      code: 'invalid_type',
      expected: 'record',
      input,
      message: `must be an object of string values, got ${typeName(input)}`,
    });
    return z.NEVER;
  }
  const entries = Object.entries(input);
  const out: Record<string, string> = {};
  if (entries.length > CREATE_LIMITS.maxMetadataKeys) {
    ctx.addIssue({
      code: 'too_big',
      origin: 'object',
      maximum: CREATE_LIMITS.maxMetadataKeys,
      input,
      message: `must have at most ${CREATE_LIMITS.maxMetadataKeys} keys, got ${entries.length}`,
    });
  }
  for (const [key, value] of entries) {
    if (key.length > CREATE_LIMITS.maxMetadataKeyLength) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: key,
        message: `key must be at most ${CREATE_LIMITS.maxMetadataKeyLength} characters, got ${key.length}`,
        params: { code: 'invalid_metadata_key' },
      });
    }
    if (key.includes('[') || key.includes(']')) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: key,
        message: 'key must not contain "[" or "]"',
        params: { code: 'invalid_metadata_key' },
      });
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = String(value);
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: value,
        message: `value must be a string, number or boolean, got ${typeof value === 'number' ? String(value) : typeName(value)}`,
        params: { code: 'invalid_metadata_value' },
      });
      continue;
    }
    if (text.length > CREATE_LIMITS.maxMetadataValueLength) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: value,
        message: `value must be at most ${CREATE_LIMITS.maxMetadataValueLength} characters, got ${text.length}`,
        params: { code: 'invalid_metadata_value' },
      });
    }
    out[key] = text;
  }
  return out;
});

// Top-level fields that look right but are not part of this endpoint (drafts or the general /v1/batches).
const CREATE_FIELD_HINTS: Record<string, string> = {
  webhook_url: 'did you mean "webhook"?',
  url: 'put URLs in items[].url',
  urls: 'put URLs in items[].url',
  brand: 'did you mean "brands"?',
};

/**
 * The create request. Strict: unknown top-level and item fields are refused (a misspelt `webhook_url` would
 * otherwise lose every webhook). `custom_id`s must be unique, as the docs describe them ("your unique
 * identifier") and results are matched back by them. Output has metadata values coerced to strings.
 */
export const CreateBatchRequest = z.strictObject(
  {
    items: z
      .array(CreateBatchItem, { error: expected('an array of {url, custom_id}') })
      .min(CREATE_LIMITS.minItems, { error: 'must contain at least 1 item' })
      .max(CREATE_LIMITS.maxItems, {
        error: (iss) =>
          `must contain at most ${CREATE_LIMITS.maxItems} items, got ${Array.isArray(iss.input) ? iss.input.length : '?'}`,
      })
      .check((ctx) => {
        const seen = new Map<string, number>();
        ctx.value.forEach((item, index) => {
          const first = seen.get(item.custom_id);
          if (first === undefined) seen.set(item.custom_id, index);
          else
            ctx.issues.push({
              code: 'custom',
              input: item.custom_id,
              path: [index, 'custom_id'],
              message: `${previewString(item.custom_id)} duplicates items[${first}].custom_id`,
              params: { code: 'duplicate_custom_id' },
            });
        });
      }),
    brands: z.array(Brand, { error: expected('an array of strings') }).optional(),
    country: Country.optional(),
    webhook: HttpUrlString.nullable().optional(),
    metadata: Metadata.optional(),
  },
  { error: objectError('an object', CREATE_FIELD_HINTS) },
);
export type CreateBatchRequest = z.infer<typeof CreateBatchRequest>;

/** What callers may pass to `validateCreateRequest` / `createBatch` (metadata numbers/booleans allowed). */
export interface CreateBatchRequestInput {
  items: { url: string; custom_id: string }[];
  brands?: string[];
  country?: string;
  webhook?: string | null;
  metadata?: Record<string, MetadataInputValue>;
}

/** `['items', 3, 'url']` → `items[3].url`; odd metadata keys are quoted: `metadata["a b"]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out +=
        /^[A-Za-z_$][\w$-]*$/.test(key) && key.length <= 40 ? `${out ? '.' : ''}${key}` : `[${previewString(key)}]`;
    }
  }
  return out || '(request)';
}

/** Whether an issue only says the value is not of the option's type at all (e.g. an object where a string goes). */
const wrongTypeOnly = (issues: readonly z.core.$ZodIssue[]): boolean =>
  issues.every((i) => i.code === 'invalid_type' && i.path.length === 0);

/**
 * The issues as a reader needs them. When every option of a union failed, zod reports a bare "Invalid input" at the
 * union (`status`, a string or an object); this reports instead the issues of the option the value was meant for
 * (the one whose type it has, the fewest issues on a tie), with full paths: `status.scraping.submitted: must be a
 * non-negative integer, got -5`. A union none of whose options has the value's type keeps zod's issue.
 */
export function explainIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue): z.core.$ZodIssue[] => {
    if (issue.code !== 'invalid_union') return [issue];
    let best: readonly z.core.$ZodIssue[] | undefined;
    for (const option of issue.errors) {
      if (option.length > 0 && !wrongTypeOnly(option) && (best === undefined || option.length < best.length)) {
        best = option;
      }
    }
    if (best === undefined) return [issue];
    return explainIssues(best).map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
  });
}

/** Converts zod issues into the API's 400 `details` shape. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.map((issue) => {
    const custom = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    return {
      path: formatIssuePath(issue.path),
      message: issue.message,
      code: typeof custom === 'string' ? custom : issue.code,
    };
  });
}

/** `items[3].url: "x" is not a valid URL; items[4]...; and 7 more` */
export function summarizeDetails(details: readonly ErrorDetail[], max = 3): string {
  const shown = details.slice(0, max).map((d) => `${d.path}: ${d.message}`);
  if (details.length > max) shown.push(`and ${details.length - max} more`);
  return shown.join('; ');
}

/**
 * Validates a create request against every documented limit (spec §2.1) and returns the parsed request
 * (metadata numbers/booleans coerced to strings, no defaults added).
 *
 * @throws ValidationError with `status: null`, `code: 'validation_error'`, `details: [{path, message, code}]`
 *   and a message naming the first problems, e.g. `items[3].url: "notaurl" is not a valid URL (cannot be parsed)`.
 */
export function validateCreateRequest(input: unknown): CreateBatchRequest {
  const parsed = CreateBatchRequest.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = issuesToDetails(parsed.error.issues);
  throw new ValidationError({
    method: 'POST',
    path: CREATE_BATCH_PATH,
    status: null,
    code: 'validation_error',
    reason: `invalid create request (${details.length} problem${details.length === 1 ? '' : 's'}): ${summarizeDetails(details)}`,
    details,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Status-bearing bodies: create response, GET status, webhook payload (spec §2.2-§2.4, §3)
// ---------------------------------------------------------------------------------------------------------------

function countMessage(input: unknown): string {
  return `must be a non-negative integer, got ${typeof input === 'number' ? String(input) : typeName(input)}`;
}

/**
 * A count (URLs, items, fields, tokens): a non-negative integer; 0 is fine. Fractions, negatives, NaN, Infinity and
 * strings are refused with a message saying what arrived (a number is shown, a string only as "a string"). The
 * issue does not abort, so inside a union (`status` may be a string or an object) it still names the count's path.
 */
const NonNegativeInteger = z.number({ error: (iss) => countMessage(iss.input) }).check((ctx) => {
  if (!Number.isInteger(ctx.value) || ctx.value < 0) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: countMessage(ctx.value),
      params: { code: 'invalid_count' },
      continue: true,
    });
  }
});
const Count = NonNegativeInteger.nullable().optional();
/** A duration in ms (`llm.completion_time_ms`): a number, not a count. */
const Milliseconds = z.number().nullable().optional();
const Timestamp = z.number().nullable().optional();
const OptionalString = z.string().nullable().optional();
/** An enum-like field: any string is accepted; normalize.ts reports values outside the known lists. */
const OpenEnum = z.string().nullable().optional();

/** A phase or item error: `{code, message}` or null; a bare string is tolerated. */
export const StepError = z
  .union([z.looseObject({ code: OptionalString, message: OptionalString }), z.string()])
  .nullable()
  .optional();
export type StepError = z.infer<typeof StepError>;

export const ScrapingStatus = z.looseObject({
  state: OpenEnum,
  submitted: Count,
  valid: Count,
  succeeded: Count,
  failed: Count,
  started_at: Timestamp,
  completed_at: Timestamp,
  error: StepError,
});
export type ScrapingStatus = z.infer<typeof ScrapingStatus>;

/** Per-field counts of values still missing after analyzing (spec §2.4), each a count. */
export const FieldsToEnrich = z.record(z.string(), NonNegativeInteger.nullable()).nullable().optional();
export type FieldsToEnrich = z.infer<typeof FieldsToEnrich>;

export const AnalyzingStatus = z.looseObject({
  state: OpenEnum,
  items_analyzed: Count,
  items_needing_enrichment: Count,
  items_complete: Count,
  fields_to_enrich: FieldsToEnrich,
  started_at: Timestamp,
  completed_at: Timestamp,
  // Not documented for analyzing (spec §5.15), accepted in case it appears.
  error: StepError,
});
export type AnalyzingStatus = z.infer<typeof AnalyzingStatus>;

export const LlmUsage = z
  .looseObject({ prompt_tokens: Count, completion_tokens: Count, total_tokens: Count })
  .nullable()
  .optional();
export type LlmUsage = z.infer<typeof LlmUsage>;

/** The enriching phase's `llm` object (OpenAPI `LLMInfo`; snapshot.ts has the normalized `LlmInfo`). */
export const LlmDetails = z
  .looseObject({ provider: OptionalString, model: OptionalString, usage: LlmUsage, completion_time_ms: Milliseconds })
  .nullable()
  .optional();
export type LlmDetails = z.infer<typeof LlmDetails>;

export const EnrichingStatus = z.looseObject({
  state: OpenEnum,
  items_to_enrich: Count,
  items_enriched: Count,
  items_failed: Count,
  /** An LLM-provider id despite the `batch_` look: never resolve it against Olostep endpoints (spec §5.16). */
  llm_batch_id: OptionalString,
  batch_mode: z.boolean().nullable().optional(),
  llm: LlmDetails,
  started_at: Timestamp,
  completed_at: Timestamp,
  error: StepError,
});
export type EnrichingStatus = z.infer<typeof EnrichingStatus>;

/** The nested `status` object of the create response and of webhooks; `overall` may be missing (spec §5.4). */
export const WorkflowStatus = z.looseObject({
  overall: OpenEnum,
  scraping: ScrapingStatus.nullable().optional(),
  analyzing: AnalyzingStatus.nullable().optional(),
  enriching: EnrichingStatus.nullable().optional(),
});
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;

/** `status` is an object on create/webhooks and a string on GET (spec §5.3); accepted either way everywhere. */
export const StatusField = z.union([z.string(), WorkflowStatus]);
export type StatusField = z.infer<typeof StatusField>;

// Fields every status-bearing body may carry; top-level phases are documented for GET only, tolerated on all.
// `status` is optional on create and GET: the overall status can be derived from the phases (spec §5.4), and
// rejecting a create response for lacking it would invite a retry that creates a second batch.
const batchBodyShape = {
  id: z.string().min(1),
  object: z.string().optional(),
  total_urls: Count,
  batch_mode: z.boolean().nullable().optional(),
  status: StatusField.optional(),
  scraping: ScrapingStatus.nullable().optional(),
  analyzing: AnalyzingStatus.nullable().optional(),
  enriching: EnrichingStatus.nullable().optional(),
};

/** POST /v1/batches-airops → 200: `object: "batch_airops"`, `created`, nested `status` object. */
export const CreateBatchResponse = z.looseObject({
  ...batchBodyShape,
  created: Timestamp,
  created_at: Timestamp,
});
export type CreateBatchResponse = z.infer<typeof CreateBatchResponse>;

/** GET /v1/batches-airops/{id} → 200: `object: "batch"`, `created_at`, `status` string, top-level phases. */
export const BatchStatusResponse = z.looseObject({
  ...batchBodyShape,
  created_at: Timestamp,
  created: Timestamp,
});
export type BatchStatusResponse = z.infer<typeof BatchStatusResponse>;

/**
 * A webhook POST body: `object` = event name (unknown names accepted), `id` = the **batch** id (checked like
 * any batch id, since it will address workflows and URLs), `created`, `timestamp` (send time), `status` object.
 */
export const WebhookPayload = z.looseObject({
  ...batchBodyShape,
  id: z.string().check((ctx) => {
    const problem = batchIdProblem(ctx.value);
    if (problem !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
  }),
  object: z.string().min(1),
  status: StatusField,
  created: Timestamp,
  created_at: Timestamp,
  timestamp: Timestamp,
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

// ---------------------------------------------------------------------------------------------------------------
// Items (GET /v1/batches-airops/{id}/items), spec §2.5
// ---------------------------------------------------------------------------------------------------------------

const itemBaseShape = { custom_id: z.string(), url: z.string().nullable().optional() };

/** A completed item: extracted fields at the root. `status` is `completed` (AirOps) or `success` (general). */
export const CompletedItem = z.looseObject({
  ...itemBaseShape,
  status: z.enum(['completed', 'success']),
  page_type: OpenEnum,
  author: OptionalString,
  date_published: OptionalString,
  date_modified: OptionalString,
  brand_mentions: z.array(z.string()).nullable().optional(),
  /** Unused OpenAPI `EnrichedData.methods`: field → `classifier` | `parser` | `llm` | `not_found`. */
  methods: z.record(z.string(), z.string()).nullable().optional(),
});
export type CompletedItem = z.infer<typeof CompletedItem>;

/** A failed item: no extracted fields; `failed_stage` and `error` explain why. */
export const FailedItem = z.looseObject({
  ...itemBaseShape,
  status: z.literal('failed'),
  failed_stage: OpenEnum,
  error: StepError,
});
export type FailedItem = z.infer<typeof FailedItem>;

/** An item in any other state (`pending`, `in_progress`, or a new value): not documented, tolerated. */
export const InProgressItem = z.looseObject({
  ...itemBaseShape,
  status: z.string().refine((s) => s !== 'completed' && s !== 'success' && s !== 'failed', {
    error: 'completed/failed items must match their own shape',
  }),
});
export type InProgressItem = z.infer<typeof InProgressItem>;

export const BatchItemResult = z.union([CompletedItem, FailedItem, InProgressItem]);
export type BatchItemResult = z.infer<typeof BatchItemResult>;

export const ItemCounts = z.looseObject({ total: Count, succeeded: Count, failed: Count });
export type ItemCounts = z.infer<typeof ItemCounts>;

/** The finished body: `counts`, `completed_at` (an ISO-8601 **string**, unlike every other timestamp), all items. */
export const CompletedBatchItemsResponse = z.looseObject({
  batch_id: z.string(),
  status: z.string(),
  completed_at: OptionalString,
  counts: ItemCounts,
  items: z.array(BatchItemResult),
  message: OptionalString,
});
export type CompletedBatchItemsResponse = z.infer<typeof CompletedBatchItemsResponse>;

/**
 * The still-running body: `{batch_id, status: "in_progress", items: [], message}`, no counts, no completed_at. Also
 * what a failed batch's partial body parses as; `counts`, when one carries them, are checked like the finished
 * body's (otherwise bad counts would pass through this shape unchecked).
 */
export const InProgressBatchItemsResponse = z.looseObject({
  batch_id: z.string(),
  status: z.string(),
  counts: ItemCounts.nullable().optional(),
  items: z.array(BatchItemResult).optional(),
  message: OptionalString,
});
export type InProgressBatchItemsResponse = z.infer<typeof InProgressBatchItemsResponse>;

export const BatchItemsResponse = z.union([CompletedBatchItemsResponse, InProgressBatchItemsResponse]);
export type BatchItemsResponse = z.infer<typeof BatchItemsResponse>;

// ---------------------------------------------------------------------------------------------------------------
// Error bodies (spec §4.1): accept all three formats
// ---------------------------------------------------------------------------------------------------------------

export const ValidationErrorDetail = z.looseObject({
  path: z
    .union([z.string(), z.array(z.union([z.string(), z.number()]))])
    .nullable()
    .optional(),
  message: OptionalString,
  code: OptionalString,
});
export type ValidationErrorDetail = z.infer<typeof ValidationErrorDetail>;

/** 1. AirOps OpenAPI: `{error_code, error_message, details?}`. */
export const AirOpsErrorBody = z.looseObject({
  error_code: z.string(),
  error_message: OptionalString,
  details: z.array(ValidationErrorDetail).nullable().optional(),
});
export type AirOpsErrorBody = z.infer<typeof AirOpsErrorBody>;

export const ProblemDetailsError = z.looseObject({
  loc: z
    .union([z.string(), z.array(z.union([z.string(), z.number()]))])
    .nullable()
    .optional(),
  msg: OptionalString,
  type: OptionalString,
});
export type ProblemDetailsError = z.infer<typeof ProblemDetailsError>;

/** 2. Olostep-wide RFC 7807 problem details (`object: "error"`, `code`, `type`, `title`, `detail`, `errors`). */
export const ProblemDetailsBody = z
  .looseObject({
    id: OptionalString,
    object: OptionalString,
    code: OptionalString,
    type: OptionalString,
    status: z.number().nullable().optional(),
    title: OptionalString,
    detail: OptionalString,
    created: z.number().nullable().optional(),
    metadata: z.unknown().optional(),
    errors: z.array(ProblemDetailsError).nullable().optional(),
  })
  .refine((b) => b.object === 'error' || typeof b.type === 'string' || typeof b.title === 'string', {
    error: 'not a problem-details body',
  });
export type ProblemDetailsBody = z.infer<typeof ProblemDetailsBody>;

/** 3. Legacy bodies: `{message, malformed_request}`, `{error: {message}}`, `{usage_limit_reached, message}`. */
export const LegacyErrorBody = z
  .looseObject({
    message: OptionalString,
    malformed_request: z.unknown().optional(),
    usage_limit_reached: z.boolean().nullable().optional(),
    error: z
      .union([z.string(), z.looseObject({ message: OptionalString, code: OptionalString })])
      .nullable()
      .optional(),
  })
  .refine(
    (b) =>
      typeof b.message === 'string' || (b.error !== undefined && b.error !== null) || b.usage_limit_reached === true,
    {
      error: 'not a legacy error body',
    },
  );
export type LegacyErrorBody = z.infer<typeof LegacyErrorBody>;

/** Any JSON error body; plain-text and HTML gateway bodies are handled by the client before parsing. */
export const ErrorBody = z.union([AirOpsErrorBody, ProblemDetailsBody, LegacyErrorBody]);
export type ErrorBody = z.infer<typeof ErrorBody>;
