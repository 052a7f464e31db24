// Validators for simulator bodies built from the AirOps OpenAPI file (the repository's copy in
// test/olostep/fixtures, see its README). OpenAPI 3.0 schemas need light conversion for ajv:
//  - `$ref: "#/components/schemas/X"` → `#/definitions/X` inside one root schema,
//  - `nullable: true` → a type union with "null" (and null added to an `enum`),
//  - OpenAPI-only keywords (`example`, `nullable`, ...) dropped so ajv's strict mode stays on.
// `closed: true` additionally sets `additionalProperties: false` on every object that lists properties, so a
// misspelt or undocumented field fails (the OpenAPI file itself leaves objects open).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const repoRoot = path.resolve(__dirname, '../..');
export const openApiPath = path.resolve(repoRoot, 'test/olostep/fixtures/olostep-airops-openapi.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const OPENAPI_ONLY = new Set([
  'example',
  'examples',
  'nullable',
  'xml',
  'externalDocs',
  'discriminator',
  'readOnly',
  'writeOnly',
  'deprecated',
]);

export interface ConvertOptions {
  /** Add `additionalProperties: false` to objects with `properties` (and no additionalProperties of their own). */
  closed?: boolean;
}

/** Converts one OpenAPI 3.0 schema (recursively) to JSON Schema for ajv. */
export function convertSchema(schema: Json, opts: ConvertOptions = {}): Json {
  if (Array.isArray(schema)) return schema.map((s) => convertSchema(s, opts));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (OPENAPI_ONLY.has(key)) continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace(/^#\/components\/schemas\//, '#/definitions/');
    } else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSchema(v, opts)]));
    } else {
      out[key] = convertSchema(value, opts);
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  // OpenAPI 3.0 ignores siblings of $ref; keep only the ref (descriptions beside it are documentation).
  if (typeof out.$ref === 'string') return { $ref: out.$ref };
  if (opts.closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

export interface OpenApiValidators {
  /**
   * Validates `data` against `#/components/schemas/<name>` (or `WebhookPayload`, written here from docs/airops-api.md#webhook-payload);
   * returns error strings (empty = valid).
   */
  validate(name: string, data: unknown): string[];
  /** The raw OpenAPI document. */
  doc: JsonObject;
}

/** The webhook payload has no schema in the OpenAPI file: docs/airops-api.md#webhook-payload ("every field is required"). */
const EXTRA_SCHEMAS: Record<string, JsonObject> = {
  WebhookPayload: {
    type: 'object',
    required: ['object', 'id', 'created', 'timestamp', 'status'],
    properties: {
      object: { type: 'string' },
      id: { type: 'string' },
      created: { type: 'integer' },
      timestamp: { type: 'integer' },
      status: { $ref: '#/definitions/WorkflowStatus' },
    },
  },
};

export function loadOpenApi(opts: ConvertOptions = {}): OpenApiValidators {
  const doc = JSON.parse(readFileSync(openApiPath, 'utf8')) as JsonObject;
  const components = (doc.components as JsonObject).schemas as JsonObject;
  const definitions: JsonObject = {};
  for (const [name, schema] of Object.entries(components)) definitions[name] = convertSchema(schema, opts);
  for (const [name, schema] of Object.entries(EXTRA_SCHEMAS)) definitions[name] = convertSchema(schema, opts);
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const rootId = opts.closed ? 'airops-closed' : 'airops';
  ajv.addSchema({ $id: rootId, definitions });
  const cache = new Map<string, ValidateFunction>();
  const fmt = (errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  const get = (name: string): ValidateFunction => {
    let v = cache.get(name);
    if (!v) {
      if (!(name in definitions)) throw new Error(`No schema ${name} in ${openApiPath}`);
      v = ajv.getSchema(`${rootId}#/definitions/${name}`);
      if (!v) throw new Error(`ajv could not compile ${name}`);
      cache.set(name, v);
    }
    return v;
  };
  return {
    doc,
    validate(name, data) {
      const v = get(name);
      return v(data) ? [] : fmt(v.errors);
    },
  };
}

/** The component schema a documented response uses: e.g. ('/v1/batches-airops', 'post', '200') → CreateBatchResponse. */
export function responseSchemaName(doc: JsonObject, route: string, method: string, status: string): string {
  const op = ((doc.paths as JsonObject)[route] as JsonObject)[method] as JsonObject;
  const response = (op.responses as JsonObject)[status] as JsonObject | undefined;
  if (!response) throw new Error(`${method.toUpperCase()} ${route} documents no ${status} response`);
  const ref = (((response.content as JsonObject)['application/json'] as JsonObject).schema as JsonObject).$ref;
  if (typeof ref !== 'string') throw new Error(`${method.toUpperCase()} ${route} ${status} has no $ref schema`);
  return ref.replace('#/components/schemas/', '');
}
