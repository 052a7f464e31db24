// The typed error family of the AirOps client (ky-style): one base class, literal `name`s set on each
// prototype (never derived from class names, which break on rename or minification), messages that say
// which request failed. No imports: activities and workflow code can test `name`/`retryable` cheaply.
// Nothing here ever holds a request's headers, so an API key cannot leak through message, cause or inspect.

/** One problem in a request, in the shape of the API's 400 `details` entries. */
export interface ErrorDetail {
  /** Where the problem is, e.g. `items[3].url`, `metadata.source`, `Idempotency-Key`. */
  path: string;
  message: string;
  /** A machine-readable code, e.g. `invalid_url`, `too_big`, `invalid_type`. */
  code: string;
}

export type OlostepErrorName =
  | 'OlostepError'
  | 'ValidationError'
  | 'UnauthorizedError'
  | 'PaymentRequiredError'
  | 'ForbiddenError'
  | 'NotFoundError'
  | 'ConflictError'
  | 'RateLimitedError'
  | 'ServerError'
  | 'UnexpectedStatusError'
  | 'NetworkError'
  | 'TimeoutError'
  | 'AbortedError'
  | 'ContractViolationError'
  | 'InvalidBatchIdError'
  | 'ClientConfigError';

export interface OlostepErrorInit {
  /** HTTP method of the request that failed, e.g. `GET`. */
  method: string;
  /** Request path without host or query, e.g. `/v1/batches-airops/batch_x`. */
  path: string;
  /** HTTP status, or null when no response arrived (or the request was never sent). */
  status: number | null;
  /** The API's error code (`not_found`, `validation_error`, ...), or null when none was sent. */
  code: string | null;
  /** What went wrong, already free of secrets; becomes the tail of `message`. */
  reason: string;
  /** Overrides the class default. */
  retryable?: boolean;
  /** A sanitized cause (never a raw axios error, which carries the request headers). */
  cause?: unknown;
  /** The start of the response body, redacted, for diagnosis. */
  bodySnippet?: string | null;
}

/** `GET /v1/batches-airops/batch_x: 404 not_found: Batch not found` */
function formatMessage(init: OlostepErrorInit): string {
  const head = [init.status === null ? null : String(init.status), init.code].filter((p) => p !== null).join(' ');
  return `${init.method} ${init.path}: ${head ? `${head}: ` : ''}${init.reason}`;
}

/**
 * Base of every error the AirOps client throws. `retryable` tells an activity whether to let Temporal retry;
 * `status` is null when no HTTP response was received (network failure, timeout, local validation).
 */
export class OlostepError extends Error {
  declare readonly name: OlostepErrorName;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly code: string | null;
  readonly retryable: boolean;
  /** `message` without the `METHOD path: status code:` prefix. */
  readonly reason: string;
  readonly bodySnippet: string | null;

  constructor(init: OlostepErrorInit, defaultRetryable = false) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable ?? defaultRetryable;
    this.reason = init.reason;
    this.bodySnippet = init.bodySnippet ?? null;
  }

  /** A plain, JSON-safe view (Error's own `message`/`name` are not enumerable, so JSON.stringify would drop them). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [k, v] of Object.entries(this)) out[k] = v;
    // `cause` is an own but non-enumerable property; include it in its sanitized, plain form.
    if (this.cause !== undefined) out.cause = describeCause(this.cause);
    return out;
  }
}

function describeCause(cause: unknown): unknown {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return { name: cause.name, message: cause.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return cause;
}

/** 400/422 from the API, or a request rejected client-side before sending (then `status` is null). */
export class ValidationError extends OlostepError {
  declare readonly name: 'ValidationError';
  readonly details: ErrorDetail[];
  constructor(init: OlostepErrorInit & { details?: ErrorDetail[] }) {
    super(init, false);
    this.details = init.details ?? [];
  }
}

/** 401, or a 402 that is not about credits (legacy SDKs treat those as auth failures, docs/airops-api.md#status-codes). */
export class UnauthorizedError extends OlostepError {
  declare readonly name: 'UnauthorizedError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/** 402 `credits_exhausted` or a legacy `{usage_limit_reached: true}` body: out of credits. */
export class PaymentRequiredError extends OlostepError {
  declare readonly name: 'PaymentRequiredError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/** 403: access restricted (`approval_required`, `access_denied`, ... or an AWS gateway 403 on a bad route). */
export class ForbiddenError extends OlostepError {
  declare readonly name: 'ForbiddenError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/** 404: unknown batch (`not_found` / `batch_not_found`). */
export class NotFoundError extends OlostepError {
  declare readonly name: 'NotFoundError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/** 409 `idempotency_key_in_progress`: the same key is still being processed; retry later with the same key. */
export class ConflictError extends OlostepError {
  declare readonly name: 'ConflictError';
  constructor(init: OlostepErrorInit) {
    super(init, true);
  }
}

/** 429: back off; `retryAfterMs` comes from `Retry-After` (seconds or an HTTP date), null when absent. */
export class RateLimitedError extends OlostepError {
  declare readonly name: 'RateLimitedError';
  readonly retryAfterMs: number | null;
  constructor(init: OlostepErrorInit & { retryAfterMs: number | null }) {
    super(init, true);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * 5xx: transient server or gateway trouble, retryable. A POST that got a 5xx may still have created the batch:
 * retry a create only with the same `Idempotency-Key` (docs/airops-api.md#idempotency).
 */
export class ServerError extends OlostepError {
  declare readonly name: 'ServerError';
  /** From `Retry-After` when the server sent one (common on 503), else null. */
  readonly retryAfterMs: number | null;
  constructor(init: OlostepErrorInit & { retryAfterMs?: number | null }) {
    super(init, true);
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

/** Any other non-2xx status (3xx, 405, 413, ...): not retryable unless the status says so (408, 425). */
export class UnexpectedStatusError extends OlostepError {
  declare readonly name: 'UnexpectedStatusError';
  constructor(init: OlostepErrorInit) {
    super(init, init.status === 408 || init.status === 425);
  }
}

/** No response: connection refused or reset, DNS failure, socket hang-up. */
export class NetworkError extends OlostepError {
  declare readonly name: 'NetworkError';
  constructor(init: OlostepErrorInit) {
    super(init, true);
  }
}

/** The response did not arrive within the client's timeout. */
export class TimeoutError extends OlostepError {
  declare readonly name: 'TimeoutError';
  readonly timeoutMs: number;
  constructor(init: OlostepErrorInit & { timeoutMs: number }) {
    super(init, true);
    this.timeoutMs = init.timeoutMs;
  }
}

/** The caller's AbortSignal fired (e.g. activity cancellation); not retryable, the caller asked to stop. */
export class AbortedError extends OlostepError {
  declare readonly name: 'AbortedError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/**
 * A 2xx response whose body is not the documented shape: unparseable or truncated JSON, or JSON that fails the
 * schema. Retryable by default since truncated bodies are usually transient; `issues` summarizes what failed.
 */
export class ContractViolationError extends OlostepError {
  declare readonly name: 'ContractViolationError';
  readonly issues: string[];
  constructor(init: OlostepErrorInit & { issues?: string[] }) {
    super(init, true);
    this.issues = init.issues ?? [];
  }
}

/** A batch id refused before any request (empty, too long, whitespace, control characters, path tricks). */
export class InvalidBatchIdError extends OlostepError {
  declare readonly name: 'InvalidBatchIdError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

/** Bad client options (missing API key, malformed base URL); thrown by the constructor, never retryable. */
export class ClientConfigError extends OlostepError {
  declare readonly name: 'ClientConfigError';
  constructor(init: OlostepErrorInit) {
    super(init, false);
  }
}

// Literal names on the prototypes: set before any instance exists, so even the stack header reads
// `NotFoundError: GET ...`, and not enumerable, so they never clutter JSON or inspect output.
const NAMES: [abstract new (...args: never[]) => OlostepError, OlostepErrorName][] = [
  [OlostepError, 'OlostepError'],
  [ValidationError, 'ValidationError'],
  [UnauthorizedError, 'UnauthorizedError'],
  [PaymentRequiredError, 'PaymentRequiredError'],
  [ForbiddenError, 'ForbiddenError'],
  [NotFoundError, 'NotFoundError'],
  [ConflictError, 'ConflictError'],
  [RateLimitedError, 'RateLimitedError'],
  [ServerError, 'ServerError'],
  [UnexpectedStatusError, 'UnexpectedStatusError'],
  [NetworkError, 'NetworkError'],
  [TimeoutError, 'TimeoutError'],
  [AbortedError, 'AbortedError'],
  [ContractViolationError, 'ContractViolationError'],
  [InvalidBatchIdError, 'InvalidBatchIdError'],
  [ClientConfigError, 'ClientConfigError'],
];
for (const [cls, name] of NAMES) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: false, enumerable: false, configurable: true });
}

/** Structural check that survives duplicated module copies (where `instanceof` would not). */
export function isOlostepError(value: unknown): value is OlostepError {
  return (
    value instanceof Error &&
    typeof (value as { retryable?: unknown }).retryable === 'boolean' &&
    typeof (value as { method?: unknown }).method === 'string' &&
    NAMES.some(([, name]) => name === value.name)
  );
}
