// Turns a non-2xx response into the right error class: parses the three error-body formats of docs/airops-api.md#error-bodies
// (AirOps `{error_code, error_message, details}`, RFC 7807 problem details, legacy bodies) plus plain-text and
// HTML gateway bodies, and applies the status table of docs/airops-api.md#status-codes.
import { STATUS_CODES } from 'node:http';
import {
  ConflictError,
  type ErrorDetail,
  ForbiddenError,
  NotFoundError,
  type OlostepError,
  type OlostepErrorInit,
  PaymentRequiredError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  UnexpectedStatusError,
  ValidationError,
} from './errors';
import { AirOpsErrorBody, LegacyErrorBody, ProblemDetailsBody } from './schemas';

/** Longest server-provided message kept in an error message (HTML error pages can be megabytes). */
const MAX_REASON_LENGTH = 300;
/** Longest body prefix kept in `bodySnippet`. */
export const MAX_BODY_SNIPPET_LENGTH = 500;

export type ErrorBodyFormat = 'airops' | 'problem' | 'legacy' | 'json' | 'html' | 'text' | 'empty';

export interface ParsedErrorBody {
  format: ErrorBodyFormat;
  /** The API's error code (`error_code`, `code`, `error.code`), or null. */
  code: string | null;
  /** The most specific human message in the body, or null. */
  message: string | null;
  /** Validation details mapped to `{path, message, code}` (AirOps `details` or RFC 7807 `errors`). */
  details: ErrorDetail[];
  /** Legacy 402 body `{usage_limit_reached: true}`. */
  usageLimitReached: boolean;
}

/** Collapses whitespace and cuts `text` to `max` characters. */
export function squash(text: string, max = MAX_REASON_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function locToPath(loc: unknown): string {
  if (typeof loc === 'string') return loc;
  if (!Array.isArray(loc)) return '';
  let out = '';
  for (const part of loc as unknown[]) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += `${out ? '.' : ''}${String(part)}`;
  }
  return out;
}

function htmlSummary(text: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(text)?.[1];
  const label = (title ?? h1)?.replace(/<[^>]*>/g, '');
  return label ? `HTML page: ${squash(label, 120)}` : `HTML page (${text.length} chars)`;
}

/** Reads an error body in any of the documented formats. Never throws. */
export function parseErrorBody(text: string, contentType: string | null = null): ParsedErrorBody {
  const empty: ParsedErrorBody = { format: 'empty', code: null, message: null, details: [], usageLimitReached: false };
  const trimmed = text.trim();
  if (trimmed === '') return empty;

  let json: unknown;
  let isJson = false;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      json = JSON.parse(trimmed);
      isJson = true;
    } catch {
      // Falls through to the text handling below (e.g. a truncated JSON error body).
    }
  }
  if (isJson) {
    const airops = AirOpsErrorBody.safeParse(json);
    if (airops.success) {
      const b = airops.data;
      return {
        format: 'airops',
        code: b.error_code,
        message: b.error_message ?? null,
        details: (b.details ?? []).map((d) => ({
          path: locToPath(d.path),
          message: d.message ?? '',
          code: d.code ?? 'invalid',
        })),
        usageLimitReached: false,
      };
    }
    const problem = ProblemDetailsBody.safeParse(json);
    if (problem.success) {
      const b = problem.data;
      // `type` is a docs URI ending in the code (hyphenated), used when `code` itself is absent.
      const typeSlug = typeof b.type === 'string' ? b.type.split('/').filter(Boolean).pop() : undefined;
      const typeCode = typeSlug ? typeSlug.replace(/-/g, '_') : null;
      return {
        format: 'problem',
        code: b.code ?? typeCode,
        message: b.detail ?? b.title ?? null,
        details: (b.errors ?? []).map((e) => ({
          path: locToPath(e.loc),
          message: e.msg ?? '',
          code: e.type ?? 'invalid',
        })),
        usageLimitReached: false,
      };
    }
    const legacy = LegacyErrorBody.safeParse(json);
    if (legacy.success) {
      const b = legacy.data;
      const nested = typeof b.error === 'string' ? { message: b.error, code: null } : (b.error ?? null);
      return {
        format: 'legacy',
        code: nested?.code ?? null,
        message: b.message ?? nested?.message ?? null,
        details: [],
        usageLimitReached: b.usage_limit_reached === true,
      };
    }
    return { ...empty, format: 'json', message: squash(trimmed) };
  }

  if (/html/i.test(contentType ?? '') || /^<(!doctype|html|head|body)/i.test(trimmed)) {
    return { ...empty, format: 'html', message: htmlSummary(trimmed) };
  }
  return { ...empty, format: 'text', message: squash(trimmed) };
}

/**
 * `Retry-After` in milliseconds: delay-seconds (`"120"`, `"1.5"`) or an HTTP date relative to `nowMs`
 * (past dates give 0). Null when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date always names a day or month; "-5" or "1e3" would otherwise parse as odd years.
  if (!/[a-z]{3}/i.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export interface ErrorResponse {
  method: string;
  path: string;
  status: number;
  bodyText: string;
  /** Lower-cased header lookup. */
  header: (name: string) => string | null;
  /** Removes secrets (the API key) from any server-provided text before it goes into an error. */
  redact: (text: string) => string;
  nowMs: number;
}

/** Maps a non-2xx response to its error class (docs/airops-api.md#status-codes). */
export function errorFromResponse(res: ErrorResponse): OlostepError {
  const body = parseErrorBody(res.bodyText, res.header('content-type'));
  // AWS API Gateway answers unknown routes with a 403 naming the problem only in this header.
  const code = body.code ?? res.header('x-amzn-errortype')?.split(':')[0] ?? null;
  const reason = res.redact(squash(body.message ?? STATUS_CODES[res.status] ?? `HTTP ${res.status}`));
  const details = body.details.map((d) => ({ ...d, message: res.redact(d.message) }));
  const init: OlostepErrorInit = {
    method: res.method,
    path: res.path,
    status: res.status,
    code: code === null ? null : res.redact(squash(code, 100)),
    reason:
      details.length > 0 && body.message === null ? details.map((d) => `${d.path}: ${d.message}`).join('; ') : reason,
    bodySnippet: res.bodyText === '' ? null : res.redact(res.bodyText.slice(0, MAX_BODY_SNIPPET_LENGTH)),
  };
  const s = res.status;
  if (s === 400 || s === 422) return new ValidationError({ ...init, details });
  if (s === 401) return new UnauthorizedError(init);
  if (s === 402) {
    // Only an explicit credits signal means "pay"; other 402s are auth failures (legacy SDKs, docs/airops-api.md#status-codes).
    return code === 'credits_exhausted' || code === 'usage_limit_reached' || body.usageLimitReached
      ? new PaymentRequiredError(init)
      : new UnauthorizedError(init);
  }
  if (s === 403) return new ForbiddenError(init);
  if (s === 404) return new NotFoundError(init);
  if (s === 409) return new ConflictError(init);
  const retryAfterMs = parseRetryAfter(res.header('retry-after'), res.nowMs);
  if (s === 429) return new RateLimitedError({ ...init, retryAfterMs });
  if (s >= 500 && s <= 599) return new ServerError({ ...init, retryAfterMs });
  return new UnexpectedStatusError(init);
}
