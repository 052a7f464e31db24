// A zod-free check of the create request against every documented limit (spec §2.1), for workflow code: the run
// workflow refuses a bad request before any API call, with the same paths and wording as olostep's
// `validateCreateRequest` (zod, client side). A test keeps the two in agreement over a corpus of bad requests.
import { previewString } from '../olostep/batch-id';
import type { ErrorDetail } from '../olostep/errors';

/** The documented limits (same values as olostep/schemas.ts `CREATE_LIMITS`, which imports zod). */
export const RUN_CREATE_LIMITS = {
  minItems: 1,
  maxItems: 10_000,
  maxCustomIdLength: 255,
  maxBrandLength: 100,
  maxMetadataKeys: 50,
  maxMetadataKeyLength: 40,
  maxMetadataValueLength: 500,
} as const;

/** Problems kept in full (all are counted); enough to name what is wrong without bloating a failure. */
export const MAX_REPORTED_PROBLEMS = 20;

const TOP_LEVEL_FIELDS = new Set(['items', 'brands', 'country', 'webhook', 'metadata']);
const ITEM_FIELDS = new Set(['url', 'custom_id']);
const FIELD_HINTS: Record<string, string> = {
  webhook_url: 'did you mean "webhook"?',
  url: 'put URLs in items[].url',
  urls: 'put URLs in items[].url',
  brand: 'did you mean "brands"?',
};

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `s` is not an acceptable http(s) URL, or null (same rule as olostep's `httpUrlProblem`). */
export function urlProblem(s: string): string | null {
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

export interface CreateRequestCheck {
  /** The first MAX_REPORTED_PROBLEMS problems, in request order. */
  problems: ErrorDetail[];
  /** How many problems there are in all. */
  total: number;
}

/**
 * Checks a create request against the documented limits without zod. Empty `problems` means valid. Paths are the
 * API's (`items[3].url`, `metadata.source`, `(request)` for the body itself).
 */
export function checkCreateRequest(input: unknown): CreateRequestCheck {
  const problems: ErrorDetail[] = [];
  let total = 0;
  const add = (path: string, message: string, code: string) => {
    total++;
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ path, message, code });
  };

  if (!isPlainObject(input)) {
    add('(request)', `must be an object, got ${typeName(input)}`, 'invalid_type');
    return { problems, total };
  }
  const unknown = Object.keys(input).filter((k) => !TOP_LEVEL_FIELDS.has(k));
  if (unknown.length > 0) add('(request)', unknownFields(unknown, FIELD_HINTS), 'unrecognized_keys');

  checkItems(input.items, add);
  if (input.brands !== undefined) checkBrands(input.brands, add);
  if (input.country !== undefined) checkCountry(input.country, add);
  if (input.webhook !== undefined && input.webhook !== null) checkUrl('webhook', input.webhook, add);
  if (input.metadata !== undefined) checkMetadata(input.metadata, add);
  return { problems, total };
}

type Add = (path: string, message: string, code: string) => void;

function unknownFields(keys: readonly string[], hints: Record<string, string> = {}): string {
  const shown = keys.slice(0, 5).map((k) => previewString(k));
  const hint = keys.map((k) => hints[k]).find((h) => h !== undefined);
  return `unknown field${keys.length > 1 ? 's' : ''} ${shown.join(', ')}${keys.length > 5 ? ', …' : ''}${hint ? ` (${hint})` : ''}`;
}

function checkUrl(path: string, value: unknown, add: Add): void {
  if (typeof value !== 'string') {
    add(
      path,
      value === undefined ? 'is required (a URL string)' : `must be a URL string, got ${typeName(value)}`,
      'invalid_type',
    );
    return;
  }
  const problem = urlProblem(value);
  if (problem !== null) add(path, `${previewString(value, 80)} is not a valid URL (${problem})`, 'invalid_url');
}

function checkItems(items: unknown, add: Add): void {
  if (!Array.isArray(items)) {
    add(
      'items',
      items === undefined
        ? 'is required (an array of {url, custom_id})'
        : `must be an array of {url, custom_id}, got ${typeName(items)}`,
      'invalid_type',
    );
    return;
  }
  const max = RUN_CREATE_LIMITS.maxItems;
  if (items.length < RUN_CREATE_LIMITS.minItems) add('items', 'must contain at least 1 item', 'too_small');
  if (items.length > max) {
    add(
      'items',
      `must contain at most ${max} items, got ${items.length} (items[${max}] is the first over the limit)`,
      'too_big',
    );
  }
  const seen = new Map<string, number>();
  items.forEach((item: unknown, i) => {
    const at = `items[${i}]`;
    if (!isPlainObject(item)) {
      add(at, `must be an object {url, custom_id}, got ${typeName(item)}`, 'invalid_type');
      return;
    }
    const extra = Object.keys(item).filter((k) => !ITEM_FIELDS.has(k));
    if (extra.length > 0) add(at, unknownFields(extra), 'unrecognized_keys');
    checkUrl(`${at}.url`, item.url, add);
    const id = item.custom_id;
    if (typeof id !== 'string') {
      add(
        `${at}.custom_id`,
        id === undefined
          ? 'is required (a string of 1 to 255 characters)'
          : `must be a string of 1 to 255 characters, got ${typeName(id)}`,
        'invalid_type',
      );
      return;
    }
    if (id.length === 0) add(`${at}.custom_id`, 'must not be empty (1 to 255 characters)', 'too_small');
    else if (id.length > RUN_CREATE_LIMITS.maxCustomIdLength) {
      add(
        `${at}.custom_id`,
        `must be at most ${RUN_CREATE_LIMITS.maxCustomIdLength} characters, got ${id.length}`,
        'too_big',
      );
    }
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else add(`${at}.custom_id`, `${previewString(id)} duplicates items[${first}].custom_id`, 'duplicate_custom_id');
  });
}

function checkBrands(brands: unknown, add: Add): void {
  if (!Array.isArray(brands)) {
    add('brands', `must be an array of strings, got ${typeName(brands)}`, 'invalid_type');
    return;
  }
  brands.forEach((b: unknown, i) => {
    const at = `brands[${i}]`;
    if (typeof b !== 'string') add(at, `must be a string of 1 to 100 characters, got ${typeName(b)}`, 'invalid_type');
    else if (b.length === 0) add(at, 'must not be empty (1 to 100 characters)', 'too_small');
    else if (b.length > RUN_CREATE_LIMITS.maxBrandLength) {
      add(at, `must be at most ${RUN_CREATE_LIMITS.maxBrandLength} characters, got ${b.length}`, 'too_big');
    }
  });
}

function checkCountry(country: unknown, add: Add): void {
  if (typeof country !== 'string') {
    add('country', `must be "RANDOM" or an ISO 3166-1 alpha-2 code, got ${typeName(country)}`, 'invalid_type');
  } else if (country !== 'RANDOM' && !/^[A-Z]{2}$/.test(country)) {
    add(
      'country',
      `${previewString(country)} is not "RANDOM" or an ISO 3166-1 alpha-2 code (two uppercase letters, e.g. "US")`,
      'invalid_country',
    );
  }
}

/** `metadata.source`, or `metadata["a b"]` for keys that are not plain identifiers (olostep's formatIssuePath). */
function metadataPath(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) && key.length <= 40 ? `metadata.${key}` : `metadata[${previewString(key)}]`;
}

function checkMetadata(metadata: unknown, add: Add): void {
  if (!isPlainObject(metadata)) {
    add('metadata', `must be an object of string values, got ${typeName(metadata)}`, 'invalid_type');
    return;
  }
  const entries = Object.entries(metadata);
  if (entries.length > RUN_CREATE_LIMITS.maxMetadataKeys) {
    add('metadata', `must have at most ${RUN_CREATE_LIMITS.maxMetadataKeys} keys, got ${entries.length}`, 'too_big');
  }
  for (const [key, value] of entries) {
    const at = metadataPath(key);
    if (key.length > RUN_CREATE_LIMITS.maxMetadataKeyLength) {
      add(
        at,
        `key must be at most ${RUN_CREATE_LIMITS.maxMetadataKeyLength} characters, got ${key.length}`,
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
    if (text.length > RUN_CREATE_LIMITS.maxMetadataValueLength) {
      add(
        at,
        `value must be at most ${RUN_CREATE_LIMITS.maxMetadataValueLength} characters, got ${text.length}`,
        'invalid_metadata_value',
      );
    }
  }
}

/** `items[3].url: "x" is not a valid URL (...); items[4]...; and 7 more` (olostep's summarizeDetails). */
export function describeProblems(check: CreateRequestCheck, max = 3): string {
  const shown = check.problems.slice(0, max).map((d) => `${d.path}: ${d.message}`);
  if (check.total > max) shown.push(`and ${check.total - max} more`);
  return `invalid create request (${check.total} problem${check.total === 1 ? '' : 's'}): ${shown.join('; ')}`;
}
