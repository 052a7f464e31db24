// zod schemas for every body of the AirOps Batches API (docs/airops-api.md), each with a same-named type. Two
// stances:
// - Requests are checked strictly, with every documented limit, so a bad batch fails here with a message naming
//   the offending item instead of as a 400 after a network round trip. The checks live in ./create-request.ts,
//   zod-free, so that workflow code runs the very same ones.
// - Responses and webhooks are parsed tolerantly (docs/airops-api.md#reading-responses): unknown fields are kept,
//   enum-like fields are open strings (normalize.ts reports unknown values), counts and timestamps may be null or
//   missing, and `status` may be a string or an object on any of the three status-bearing shapes. A count that is
//   present must be a non-negative integer: a negative or fractional one is a broken contract, not a tolerable
//   variation.
import { z } from 'zod';
import { batchIdProblem } from './batch-id';
import {
  createRequestBody,
  createRequestIssues,
  describeProblems,
  formatIssuePath,
  typeName,
  type CreateBatchRequestBody,
  type CreateBatchRequestInput,
  type CreateRequestIssue,
} from './create-request';
import { type ErrorDetail, ValidationError } from './errors';

export {
  CREATE_LIMITS,
  formatIssuePath,
  httpUrlProblem,
  summarizeDetails,
  type CreateBatchRequestInput,
  type MetadataInputValue,
} from './create-request';

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
// Create request (POST /v1/batches-airops), docs/airops-api.md#create-request: the checks of ./create-request.ts
// ---------------------------------------------------------------------------------------------------------------

export const CREATE_BATCH_PATH = '/v1/batches-airops';

/** Issues of ./create-request.ts as zod issues: custom ones carrying the check's code, with the same path. */
function pushCreateIssues(
  issues: readonly CreateRequestIssue[],
  ctx: { value: unknown; issues: z.core.$ZodRawIssue[] },
): void {
  for (const issue of issues) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      path: issue.path,
      message: issue.message,
      params: { code: issue.code },
    });
  }
}

/**
 * The create request. Strict: unknown top-level and item fields are refused (a misspelt `webhook_url` would
 * otherwise lose every webhook). `custom_id`s must be unique, as the docs describe them ("your unique
 * identifier") and results are matched back by them. Output has metadata values coerced to strings. The checks
 * are those of ./create-request.ts, which workflow code runs without zod.
 */
export const CreateBatchRequest = z
  .unknown()
  .check((ctx) => pushCreateIssues(createRequestIssues(ctx.value), ctx))
  .transform((input) => createRequestBody(input as CreateBatchRequestInput));
export type CreateBatchRequest = CreateBatchRequestBody;

/** One entry of `items`: `{url, custom_id}`, checked as the request checks it. */
export const CreateBatchItem = z
  .unknown()
  .check((ctx) => {
    // The item's own problems, as the request's first item (a lone item has no duplicate).
    const own = createRequestIssues({ items: [ctx.value] }).filter((i) => i.path[0] === 'items' && i.path.length > 1);
    pushCreateIssues(
      own.map((i) => ({ ...i, path: i.path.slice(2) })),
      ctx,
    );
  })
  .transform((input) => createRequestBody({ items: [input as CreateBatchItem] }).items[0] as CreateBatchItem);
export type CreateBatchItem = CreateBatchRequestBody['items'][number];

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

/**
 * Validates a create request against every documented limit (docs/airops-api.md#create-request) and returns the
 * request as it is sent (metadata numbers/booleans coerced to strings, no defaults added).
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
    reason: describeProblems({ problems: details, total: details.length }),
    details,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Status-bearing bodies: create response, GET status, webhook payload (docs/airops-api.md#create-response,
// #batch-status, #phase-objects, #webhook-payload)
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

/** Per-field counts of values still missing after analyzing (docs/airops-api.md#phase-objects), each a count. */
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
  // Not documented for analyzing (docs/airops-api.md#phase-objects), accepted in case it appears.
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
  /**
   * An LLM-provider id despite the `batch_` look: never resolve it against Olostep endpoints
   * (docs/airops-api.md#phase-objects).
   */
  llm_batch_id: OptionalString,
  batch_mode: z.boolean().nullable().optional(),
  llm: LlmDetails,
  started_at: Timestamp,
  completed_at: Timestamp,
  error: StepError,
});
export type EnrichingStatus = z.infer<typeof EnrichingStatus>;

/**
 * The nested `status` object of the create response and of webhooks; `overall` may be missing
 * (docs/airops-api.md#overall-status).
 */
export const WorkflowStatus = z.looseObject({
  overall: OpenEnum,
  scraping: ScrapingStatus.nullable().optional(),
  analyzing: AnalyzingStatus.nullable().optional(),
  enriching: EnrichingStatus.nullable().optional(),
});
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;

/**
 * `status` is an object on create/webhooks and a string on GET (docs/airops-api.md#three-shapes); accepted either way
 * everywhere.
 */
export const StatusField = z.union([z.string(), WorkflowStatus]);
export type StatusField = z.infer<typeof StatusField>;

// Fields every status-bearing body may carry; top-level phases are documented for GET only, tolerated on all.
// `status` is optional on create and GET: the overall status can be derived from the phases
// (docs/airops-api.md#overall-status), and rejecting a create response for lacking it would invite a retry that
// creates a second batch.
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
// Items (GET /v1/batches-airops/{id}/items), docs/airops-api.md#batch-items
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
// Error bodies (docs/airops-api.md#error-bodies): accept all three formats
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
