// Batch ids go into URL paths (`/v1/batches-airops/{id}`) and, elsewhere, into workflow ids, so they are checked
// before any request: ids are documented as opaque `batch_…` strings, and nothing legitimate needs path syntax.
// No imports beyond errors.ts, so webhook and workflow code can share the same rule.
import { InvalidBatchIdError } from './errors';

/** Longest batch id accepted, in UTF-16 code units (the create request's other ids are capped at 255 too). */
export const MAX_BATCH_ID_LENGTH = 255;

// Whitespace (incl. Unicode spaces and line/paragraph separators), control and invisible format characters
// (NUL, DEL, zero-width joiners, bidi overrides): none can appear in a real id, and all can hide in logs.
const FORBIDDEN_CHAR = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
// Characters that mean something in a URL path or query even after encoding by a careless proxy.
const PATH_SYNTAX = /[/\\%?#]/;
// encodeURIComponent throws on unpaired surrogates, so refuse them up front with a clear message.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// JSON.stringify escapes C0 controls and lone surrogates but not DEL, C1 controls, format characters (bidi
// overrides, zero-width joiners) or line/paragraph separators, which can reorder or split a log line.
const LOG_UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function quoteForLogs(value: string): string {
  return JSON.stringify(value).replace(LOG_UNSAFE, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

/**
 * A short, log-safe rendering of an untrusted string: JSON-quoted, with every control, format and line/paragraph
 * separator character escaped as `\uXXXX`, cut at 40 characters.
 */
export function previewString(value: string, max = 40): string {
  if (value.length <= max) return quoteForLogs(value);
  return `${quoteForLogs(value.slice(0, max))}… (${value.length} chars)`;
}

/** Why `id` is not an acceptable batch id, or null when it is. */
export function batchIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return `batch id must be a string, got ${id === null ? 'null' : typeof id}`;
  if (id.length === 0) return 'batch id is empty';
  if (id.length > MAX_BATCH_ID_LENGTH) {
    return `batch id is ${id.length} characters long (at most ${MAX_BATCH_ID_LENGTH}): ${previewString(id)}`;
  }
  const bad = FORBIDDEN_CHAR.exec(id);
  if (bad) {
    const cp = bad[0].codePointAt(0) ?? 0;
    return `batch id contains whitespace or a control/format character (U+${cp.toString(16).toUpperCase().padStart(4, '0')}): ${previewString(id)}`;
  }
  if (LONE_SURROGATE.test(id)) return `batch id contains an unpaired UTF-16 surrogate: ${previewString(id)}`;
  const syntax = PATH_SYNTAX.exec(id);
  if (syntax) return `batch id contains ${JSON.stringify(syntax[0])}, which is URL path syntax: ${previewString(id)}`;
  if (id.startsWith('.')) return `batch id starts with ".", which could form a relative path: ${previewString(id)}`;
  return null;
}

/**
 * Checks a batch id before it is put into a URL path and returns it unchanged.
 * Refuses: non-strings, empty, longer than 255, whitespace/control/format characters (incl. NUL), unpaired
 * surrogates, `/`, `\`, `%`, `?`, `#`, and a leading `.`. Other Unicode (e.g. emoji) is allowed; callers still
 * URL-encode it with `encodeURIComponent`.
 *
 * @throws InvalidBatchIdError whose message quotes at most 40 characters of the id.
 */
export function validateBatchId(id: unknown, context: { method?: string; path?: string } = {}): string {
  const problem = batchIdProblem(id);
  if (problem !== null) {
    throw new InvalidBatchIdError({
      method: context.method ?? 'GET',
      path: context.path ?? '/v1/batches-airops/{batch_id}',
      status: null,
      code: 'invalid_batch_id',
      reason: problem,
    });
  }
  return id as string;
}
