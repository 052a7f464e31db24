// Validation of the create body (docs/airops-api.md#create-request). Collects every problem (not just the first) into
// `details: [{path, message, code}]`, paths written as `items[3].url`, `metadata.some_key`, or `body`.
import type { ValidationDetail } from './types';

export const MAX_ITEMS = 10_000;
export const MAX_CUSTOM_ID = 255;
export const MAX_BRAND = 100;
export const MAX_METADATA_KEYS = 50;
export const MAX_METADATA_KEY = 40;
export const MAX_METADATA_VALUE = 500;

/** ISO 3166-1 alpha-2 codes (249 officially assigned). */
export const COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY ' +
    'BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK ' +
    'FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR ' +
    'IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ' +
    'ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
    'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF ' +
    'TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export interface CreateBatchInput {
  items: { url: string; custom_id: string }[];
  brands: string[];
  /** Upper-cased alpha-2 code or `RANDOM`. */
  country: string;
  webhook: string | null;
  /** After coercion: every value a string. */
  metadata: Record<string, string>;
}

export type ValidationResult = { ok: true; value: CreateBatchInput } | { ok: false; details: ValidationDetail[] };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An absolute http(s) URL with a host and no surrounding whitespace. */
export function isHttpUrl(value: string): boolean {
  if (!/^\S+$/.test(value)) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

export function validateCreateBody(body: unknown): ValidationResult {
  const details: ValidationDetail[] = [];
  const fail = (path: string, code: string, message: string) => details.push({ path, code, message });

  if (!isPlainObject(body)) {
    fail('body', 'invalid_type', `Request body must be a JSON object, received ${typeName(body)}`);
    return { ok: false, details };
  }

  // items
  const items: CreateBatchInput['items'] = [];
  const rawItems = body.items;
  if (rawItems === undefined) {
    fail('items', 'required', 'items is required');
  } else if (!Array.isArray(rawItems)) {
    fail('items', 'invalid_type', `items must be an array, received ${typeName(rawItems)}`);
  } else if (rawItems.length < 1) {
    fail('items', 'too_small', 'items must contain at least 1 entry');
  } else if (rawItems.length > MAX_ITEMS) {
    fail('items', 'too_big', `items must contain at most ${MAX_ITEMS} entries, received ${rawItems.length}`);
  } else {
    rawItems.forEach((raw: unknown, i) => {
      const p = `items[${i}]`;
      if (!isPlainObject(raw)) {
        fail(p, 'invalid_type', `${p} must be an object, received ${typeName(raw)}`);
        return;
      }
      const { url, custom_id: customId } = raw;
      let ok = true;
      if (url === undefined) {
        ok = false;
        fail(`${p}.url`, 'required', 'url is required');
      } else if (typeof url !== 'string') {
        ok = false;
        fail(`${p}.url`, 'invalid_type', `url must be a string, received ${typeName(url)}`);
      } else if (!isHttpUrl(url)) {
        ok = false;
        fail(`${p}.url`, 'invalid_url', 'url must be a valid absolute http(s) URL');
      }
      if (customId === undefined) {
        ok = false;
        fail(`${p}.custom_id`, 'required', 'custom_id is required');
      } else if (typeof customId !== 'string') {
        ok = false;
        fail(`${p}.custom_id`, 'invalid_type', `custom_id must be a string, received ${typeName(customId)}`);
      } else if (customId.length < 1) {
        ok = false;
        fail(`${p}.custom_id`, 'too_small', 'custom_id must be at least 1 character');
      } else if (customId.length > MAX_CUSTOM_ID) {
        ok = false;
        fail(`${p}.custom_id`, 'too_big', `custom_id must be at most ${MAX_CUSTOM_ID} characters`);
      }
      if (ok) items.push({ url: url as string, custom_id: customId as string });
    });
  }

  // brands
  const brands: string[] = [];
  if (body.brands !== undefined) {
    if (!Array.isArray(body.brands)) {
      fail('brands', 'invalid_type', `brands must be an array of strings, received ${typeName(body.brands)}`);
    } else {
      body.brands.forEach((b: unknown, i) => {
        const p = `brands[${i}]`;
        if (typeof b !== 'string') fail(p, 'invalid_type', `${p} must be a string, received ${typeName(b)}`);
        else if (b.length < 1) fail(p, 'too_small', `${p} must be at least 1 character`);
        else if (b.length > MAX_BRAND) fail(p, 'too_big', `${p} must be at most ${MAX_BRAND} characters`);
        else brands.push(b);
      });
    }
  }

  // country
  let country = 'RANDOM';
  if (body.country !== undefined) {
    if (typeof body.country !== 'string') {
      fail('country', 'invalid_type', `country must be a string, received ${typeName(body.country)}`);
    } else {
      const c = body.country.toUpperCase();
      if (c === 'RANDOM' || COUNTRY_CODES.has(c)) country = c;
      else fail('country', 'invalid_value', 'country must be "RANDOM" or an ISO 3166-1 alpha-2 code (US, GB, DE, ...)');
    }
  }

  // webhook
  let webhook: string | null = null;
  if (body.webhook !== undefined && body.webhook !== null) {
    if (typeof body.webhook !== 'string') {
      fail('webhook', 'invalid_type', `webhook must be a URL string or null, received ${typeName(body.webhook)}`);
    } else if (!isHttpUrl(body.webhook)) {
      fail('webhook', 'invalid_url', 'webhook must be a valid absolute http(s) URL');
    } else {
      webhook = body.webhook;
    }
  }

  // metadata
  const metadata: Record<string, string> = {};
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isPlainObject(body.metadata)) {
      fail('metadata', 'invalid_type', `metadata must be an object, received ${typeName(body.metadata)}`);
    } else {
      const entries = Object.entries(body.metadata);
      if (entries.length > MAX_METADATA_KEYS) {
        fail('metadata', 'too_big', `metadata must have at most ${MAX_METADATA_KEYS} keys, received ${entries.length}`);
      }
      for (const [key, value] of entries) {
        const p = `metadata.${key}`;
        if (key.length < 1) fail(p, 'too_small', 'metadata keys must be at least 1 character');
        else if (key.length > MAX_METADATA_KEY)
          fail(p, 'too_big', `metadata keys must be at most ${MAX_METADATA_KEY} characters`);
        else if (/[[\]]/.test(key)) fail(p, 'invalid_key', 'metadata keys must not contain "[" or "]"');
        let str: string | null = null;
        if (typeof value === 'string') str = value;
        else if (typeof value === 'number' && Number.isFinite(value)) str = String(value);
        else if (typeof value === 'boolean') str = String(value);
        else
          fail(p, 'invalid_type', `metadata values must be strings, numbers or booleans, received ${typeName(value)}`);
        if (str !== null) {
          if (str.length > MAX_METADATA_VALUE)
            fail(p, 'too_big', `metadata values must be at most ${MAX_METADATA_VALUE} characters`);
          else metadata[key] = str;
        }
      }
    }
  }

  if (details.length > 0) return { ok: false, details };
  return { ok: true, value: { items, brands, country, webhook, metadata } };
}
