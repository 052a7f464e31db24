// The create request's documented limits and checks (docs/airops-api.md#create-request), written once and free of
// zod, axios and Node built-ins: runAirOpsBatch (workflow code) refuses a bad request with them before any API call,
// and the zod schema in ./schemas.ts runs the same checks, so both name the same problems with the same words.
// One walk over the request, in request order: `(request)` for the body itself, then items, brands, country,
// webhook and metadata, each problem with its path (`items[3].url`, `metadata.source`) and a machine-readable code.
import { previewString } from './batch-id';
import type { ErrorDetail } from './errors';

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

/** Problems a workflow failure keeps in full (all are counted): enough to name what is wrong, small in history. */
export const MAX_REPORTED_PROBLEMS = 20;

/** Metadata values as a caller may pass them; numbers and booleans become strings (Olostep-wide rule). */
export type MetadataInputValue = string | number | boolean;

/** What callers may pass to `validateCreateRequest` / `createBatch` (metadata numbers/booleans allowed). */
export interface CreateBatchRequestInput {
  items: { url: string; custom_id: string }[];
  brands?: string[];
  country?: string;
  webhook?: string | null;
  metadata?: Record<string, MetadataInputValue>;
}

/** A valid create request as it is sent: metadata values are strings. */
export interface CreateBatchRequestBody extends Omit<CreateBatchRequestInput, 'metadata'> {
  metadata?: Record<string, string>;
}

/** One problem of a create request; `path` as zod writes it (`['items', 3, 'url']`, `[]` for the body). */
export interface CreateRequestIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

/** Top-level fields of the request, in the order they are checked and sent. */
const TOP_LEVEL_FIELDS = ['items', 'brands', 'country', 'webhook', 'metadata'] as const;
const ITEM_FIELDS = ['url', 'custom_id'] as const;
/** Top-level fields that look right but are not part of this endpoint (drafts or the general /v1/batches). */
const FIELD_HINTS: Readonly<Record<string, string>> = {
  webhook_url: 'did you mean "webhook"?',
  url: 'put URLs in items[].url',
  urls: 'put URLs in items[].url',
  brand: 'did you mean "brands"?',
};

/** `nothing`, `null`, `an array`, `an object`, `a string`…: what arrived, for messages. */
export function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

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

/** `['items', 3, 'url']` → `items[3].url`; odd metadata keys are quoted: `metadata["a b"]`; `[]` → `(request)`. */
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

type Path = (string | number)[];
type Add = (path: Path, message: string, code: string) => void;

/** Every problem of a create request, in request order; empty when the request is valid. */
export function createRequestIssues(input: unknown): CreateRequestIssue[] {
  const issues: CreateRequestIssue[] = [];
  const add: Add = (path, message, code) => issues.push({ path, message, code });
  if (!isPlainObject(input)) {
    add([], `must be an object, got ${typeName(input)}`, 'invalid_type');
    return issues;
  }
  const unknown = Object.keys(input).filter((k) => !(TOP_LEVEL_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) add([], unknownFields(unknown, FIELD_HINTS), 'unrecognized_keys');

  checkItems(input.items, add);
  if (input.brands !== undefined) checkBrands(input.brands, add);
  if (input.country !== undefined) checkCountry(input.country, add);
  if (input.webhook !== undefined && input.webhook !== null) checkUrl(['webhook'], input.webhook, add);
  if (input.metadata !== undefined) checkMetadata(input.metadata, add);
  return issues;
}

/** The problems as the API's 400 `details` would list them. */
export function issueDetails(issues: readonly CreateRequestIssue[]): ErrorDetail[] {
  return issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message, code: i.code }));
}

export interface CreateRequestCheck {
  /** The first MAX_REPORTED_PROBLEMS problems, in request order. */
  problems: ErrorDetail[];
  /** How many problems there are in all. */
  total: number;
}

/** The create request's problems for a workflow failure: the first MAX_REPORTED_PROBLEMS and how many in all. */
export function checkCreateRequest(input: unknown): CreateRequestCheck {
  const issues = createRequestIssues(input);
  return { problems: issueDetails(issues.slice(0, MAX_REPORTED_PROBLEMS)), total: issues.length };
}

/** `items[3].url: "x" is not a valid URL; items[4]...; and 7 more` */
export function summarizeDetails(details: readonly ErrorDetail[], max = 3, total = details.length): string {
  const shown = details.slice(0, max).map((d) => `${d.path}: ${d.message}`);
  if (total > max) shown.push(`and ${total - max} more`);
  return shown.join('; ');
}

/** `invalid create request (5 problems): items[3].url: "x" is not a valid URL (...); ...; and 2 more` */
export function describeProblems(check: CreateRequestCheck, max = 3): string {
  const { problems, total } = check;
  return `invalid create request (${total} problem${total === 1 ? '' : 's'}): ${summarizeDetails(problems, max, total)}`;
}

/**
 * A valid request as it is sent: the documented fields in their order, items as `{url, custom_id}`, metadata
 * numbers and booleans as strings. Call it only on a request {@link createRequestIssues} found nothing wrong with.
 */
export function createRequestBody(input: CreateBatchRequestInput): CreateBatchRequestBody {
  const out: CreateBatchRequestBody = { items: input.items.map((i) => ({ url: i.url, custom_id: i.custom_id })) };
  if ('brands' in input) out.brands = input.brands === undefined ? undefined : [...input.brands];
  if ('country' in input) out.country = input.country;
  if ('webhook' in input) out.webhook = input.webhook;
  if ('metadata' in input) {
    const metadata = input.metadata;
    out.metadata =
      metadata === undefined
        ? undefined
        : Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
  }
  return out;
}

function unknownFields(keys: readonly string[], hints: Readonly<Record<string, string>> = {}): string {
  const shown = keys.slice(0, 5).map((k) => previewString(k));
  const hint = keys.map((k) => hints[k]).find((h) => h !== undefined);
  return `unknown field${keys.length > 1 ? 's' : ''} ${shown.join(', ')}${keys.length > 5 ? ', …' : ''}${hint ? ` (${hint})` : ''}`;
}

function checkUrl(path: Path, value: unknown, add: Add): void {
  if (typeof value !== 'string') {
    add(
      path,
      value === undefined ? 'is required (a URL string)' : `must be a URL string, got ${typeName(value)}`,
      'invalid_type',
    );
    return;
  }
  const problem = httpUrlProblem(value);
  if (problem !== null) add(path, `${previewString(value, 80)} is not a valid URL (${problem})`, 'invalid_url');
}

function checkItems(items: unknown, add: Add): void {
  if (!Array.isArray(items)) {
    add(
      ['items'],
      items === undefined
        ? 'is required (an array of {url, custom_id})'
        : `must be an array of {url, custom_id}, got ${typeName(items)}`,
      'invalid_type',
    );
    return;
  }
  const max = CREATE_LIMITS.maxItems;
  if (items.length < CREATE_LIMITS.minItems) add(['items'], 'must contain at least 1 item', 'too_small');
  if (items.length > max) {
    add(
      ['items'],
      `must contain at most ${max} items, got ${items.length} (items[${max}] is the first over the limit)`,
      'too_big',
    );
  }
  const seen = new Map<string, number>();
  items.forEach((item: unknown, i) => {
    if (!isPlainObject(item)) {
      add(['items', i], `must be an object {url, custom_id}, got ${typeName(item)}`, 'invalid_type');
      return;
    }
    const extra = Object.keys(item).filter((k) => !(ITEM_FIELDS as readonly string[]).includes(k));
    if (extra.length > 0) add(['items', i], unknownFields(extra), 'unrecognized_keys');
    checkUrl(['items', i, 'url'], item.url, add);
    const at: Path = ['items', i, 'custom_id'];
    const id = item.custom_id;
    if (typeof id !== 'string') {
      add(
        at,
        id === undefined
          ? 'is required (a string of 1 to 255 characters)'
          : `must be a string of 1 to 255 characters, got ${typeName(id)}`,
        'invalid_type',
      );
      return;
    }
    if (id.length === 0) add(at, 'must not be empty (1 to 255 characters)', 'too_small');
    else if (id.length > CREATE_LIMITS.maxCustomIdLength) {
      add(at, `must be at most ${CREATE_LIMITS.maxCustomIdLength} characters, got ${id.length}`, 'too_big');
    }
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else add(at, `${previewString(id)} duplicates items[${first}].custom_id`, 'duplicate_custom_id');
  });
}

function checkBrands(brands: unknown, add: Add): void {
  if (!Array.isArray(brands)) {
    add(['brands'], `must be an array of strings, got ${typeName(brands)}`, 'invalid_type');
    return;
  }
  brands.forEach((b: unknown, i) => {
    const at: Path = ['brands', i];
    if (typeof b !== 'string') add(at, `must be a string of 1 to 100 characters, got ${typeName(b)}`, 'invalid_type');
    else if (b.length === 0) add(at, 'must not be empty (1 to 100 characters)', 'too_small');
    else if (b.length > CREATE_LIMITS.maxBrandLength) {
      add(at, `must be at most ${CREATE_LIMITS.maxBrandLength} characters, got ${b.length}`, 'too_big');
    }
  });
}

function checkCountry(country: unknown, add: Add): void {
  if (typeof country !== 'string') {
    add(['country'], `must be "RANDOM" or an ISO 3166-1 alpha-2 code, got ${typeName(country)}`, 'invalid_type');
  } else if (country !== 'RANDOM' && !/^[A-Z]{2}$/.test(country)) {
    add(
      ['country'],
      `${previewString(country)} is not "RANDOM" or an ISO 3166-1 alpha-2 code (two uppercase letters, e.g. "US")`,
      'invalid_country',
    );
  }
}

function checkMetadata(metadata: unknown, add: Add): void {
  if (!isPlainObject(metadata)) {
    add(['metadata'], `must be an object of string values, got ${typeName(metadata)}`, 'invalid_type');
    return;
  }
  const entries = Object.entries(metadata);
  if (entries.length > CREATE_LIMITS.maxMetadataKeys) {
    add(['metadata'], `must have at most ${CREATE_LIMITS.maxMetadataKeys} keys, got ${entries.length}`, 'too_big');
  }
  for (const [key, value] of entries) {
    const at: Path = ['metadata', key];
    if (key.length > CREATE_LIMITS.maxMetadataKeyLength) {
      add(
        at,
        `key must be at most ${CREATE_LIMITS.maxMetadataKeyLength} characters, got ${key.length}`,
        'invalid_metadata_key',
      );
    }
    if (key.includes('[') || key.includes(']')) add(at, 'key must not contain "[" or "]"', 'invalid_metadata_key');
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) text = String(value);
    else {
      const got = typeof value === 'number' ? String(value) : typeName(value);
      add(at, `value must be a string, number or boolean, got ${got}`, 'invalid_metadata_value');
      continue;
    }
    if (text.length > CREATE_LIMITS.maxMetadataValueLength) {
      add(
        at,
        `value must be at most ${CREATE_LIMITS.maxMetadataValueLength} characters, got ${text.length}`,
        'invalid_metadata_value',
      );
    }
  }
}
