// Fault injection for the API endpoints: global or per batch, probabilistic (seeded) or "next N requests".
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Rng } from './rng';

export const ENDPOINTS = ['create', 'status', 'items'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** The error body formats of docs/airops-api.md#error-bodies. */
export const ERROR_FORMATS = ['airops', 'problem', 'legacy_message', 'legacy_error', 'text', 'html'] as const;
export type ErrorFormat = (typeof ERROR_FORMATS)[number];

export const FaultSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('server_error'),
    /** Default: one of 500/502/503/504 picked by the rule's seeded stream. */
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
    /** Default: picked by the rule's seeded stream. */
    format: z.enum(ERROR_FORMATS).optional(),
  }),
  z.strictObject({
    type: z.literal('rate_limit'),
    /** Retry-After header in seconds; null omits the header. Default 1. */
    retryAfterSeconds: z.number().int().min(0).nullable().optional(),
    format: z.enum(['airops', 'problem']).optional(),
  }),
  /** Answer normally, but only after `delayMs` of wall-clock time (beyond a client's timeout). */
  z.strictObject({ type: z.literal('slow'), delayMs: z.number().int().min(0) }),
  /**
   * Hold the request open until the controller releases it (`faults.release()`, POST /_sim/faults/release), then
   * answer normally with the state at release time: a test decides exactly when a call is in flight.
   */
  z.strictObject({ type: z.literal('hold') }),
  /**
   * Cut the JSON body in half. `body` (default): a complete HTTP response whose JSON is cut;
   * `connection`: the full Content-Length is announced and the socket is destroyed mid-body.
   */
  z.strictObject({ type: z.literal('truncated_json'), mode: z.enum(['body', 'connection']).optional() }),
  /** Add unknown fields to the body, its phase objects and items (a drifting API). */
  z.strictObject({ type: z.literal('extra_fields') }),
  /** GETs of a batch answer 404 for `windowMs` of virtual time after its creation (eventual consistency). */
  z.strictObject({ type: z.literal('not_found_after_create'), windowMs: z.number().int().min(1) }),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;

export const FaultRule = z.strictObject({
  fault: FaultSpec,
  /** Only requests about this batch (GET status/items); otherwise every batch. */
  batchId: z.string().optional(),
  /** Which endpoints; default all (`not_found_after_create` only ever applies to the GETs). */
  endpoints: z.array(z.enum(ENDPOINTS)).min(1).optional(),
  /** Probability that a matching request gets the fault (default 1), from the simulator's seeded stream. */
  probability: z.number().min(0).max(1).optional(),
  /** Inject into at most this many matching requests, then the rule is removed ("next N requests"). */
  count: z.number().int().min(1).optional(),
});
export type FaultRule = z.infer<typeof FaultRule>;

interface ActiveRule {
  id: string;
  rule: FaultRule;
  remaining: number | null;
  rng: Rng;
}

export interface FaultContext {
  endpoint: Endpoint;
  batchId: string | null;
  /** Creation time of the batch, when it exists. */
  batchCreated: number | null;
  now: number;
}

/** A fault chosen for one request, with its random choices already made. */
export type ChosenFault =
  | { type: 'server_error'; status: 500 | 502 | 503 | 504; format: ErrorFormat; ruleId: string }
  | { type: 'rate_limit'; retryAfterSeconds: number | null; format: 'airops' | 'problem'; ruleId: string }
  | { type: 'slow'; delayMs: number; ruleId: string }
  | { type: 'hold'; ruleId: string }
  | { type: 'truncated_json'; mode: 'body' | 'connection'; ruleId: string }
  | { type: 'extra_fields'; ruleId: string }
  | { type: 'not_found_after_create'; ruleId: string };

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private counter = 0;

  constructor(private readonly seed: number | string) {}

  /** Adds rules (validated); returns their ids in order. */
  set(rules: FaultRule | readonly FaultRule[]): string[] {
    const list = (Array.isArray(rules) ? rules : [rules]) as unknown[];
    const parsed = list.map((r) => FaultRule.parse(r));
    return parsed.map((rule) => {
      const id = `fault_${++this.counter}`;
      this.rules.push({ id, rule, remaining: rule.count ?? null, rng: new Rng(`${String(this.seed)}:${id}`) });
      return id;
    });
  }

  /** Removes every rule, or only those of one batch, or one rule by id. */
  clear(filter?: { batchId?: string; id?: string }): void {
    if (!filter) this.rules = [];
    else
      this.rules = this.rules.filter(
        (r) => !((filter.id && r.id === filter.id) || (filter.batchId && r.rule.batchId === filter.batchId)),
      );
  }

  list(): (FaultRule & { id: string; remaining: number | null })[] {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, remaining: r.remaining }));
  }

  /** First matching rule that fires for this request, consuming one of its `count`. */
  pick(ctx: FaultContext): ChosenFault | null {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.batchId !== undefined && rule.batchId !== ctx.batchId) continue;
      if (rule.endpoints && !rule.endpoints.includes(ctx.endpoint)) continue;
      if (rule.fault.type === 'not_found_after_create') {
        if (ctx.endpoint === 'create' || ctx.batchCreated === null) continue;
        if (ctx.now >= ctx.batchCreated + rule.fault.windowMs) continue;
      }
      if (rule.probability !== undefined && !(active.rng.next() < rule.probability)) continue;
      if (active.remaining !== null) {
        active.remaining -= 1;
        if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
      }
      return choose(active);
    }
    return null;
  }
}

function choose(active: ActiveRule): ChosenFault {
  const f = active.rule.fault;
  const ruleId = active.id;
  switch (f.type) {
    case 'server_error':
      return {
        type: f.type,
        status: f.status ?? active.rng.pick([500, 502, 503, 504] as const),
        format: f.format ?? active.rng.pick(ERROR_FORMATS),
        ruleId,
      };
    case 'rate_limit':
      return {
        type: f.type,
        retryAfterSeconds: f.retryAfterSeconds === undefined ? 1 : f.retryAfterSeconds,
        format: f.format ?? 'airops',
        ruleId,
      };
    case 'slow':
      return { type: f.type, delayMs: f.delayMs, ruleId };
    case 'hold':
      return { type: f.type, ruleId };
    case 'truncated_json':
      return { type: f.type, mode: f.mode ?? 'body', ruleId };
    case 'extra_fields':
      return { type: f.type, ruleId };
    case 'not_found_after_create':
      return { type: f.type, ruleId };
  }
}

const STATUS_TEXT: Record<number, { code: string; title: string; detail: string; text: string }> = {
  429: {
    code: 'rate_limit_exceeded',
    title: 'Too Many Requests',
    detail: 'Rate limit exceeded. Retry later.',
    text: 'Too Many Requests',
  },
  500: {
    code: 'internal_server_error',
    title: 'Internal Server Error',
    detail: 'An unexpected error occurred.',
    text: 'Internal Server Error',
  },
  502: {
    code: 'bad_gateway',
    title: 'Bad Gateway',
    detail: 'The upstream service returned an invalid response.',
    text: 'Bad Gateway',
  },
  503: {
    code: 'service_unavailable',
    title: 'Service Unavailable',
    detail: 'Not enough resources available for the batch execution.',
    text: 'Service Unavailable',
  },
  504: {
    code: 'request_timeout',
    title: 'Gateway Timeout',
    detail: 'The request timed out.',
    text: 'Network error communicating with endpoint',
  },
};

/** An error response body in one of the formats of docs/airops-api.md#error-bodies: content type and text. */
export function errorResponse(
  status: number,
  format: ErrorFormat,
  nowMs: number,
): { contentType: string; text: string } {
  const info = STATUS_TEXT[status] ?? { code: 'error', title: 'Error', detail: 'Error', text: 'Error' };
  switch (format) {
    case 'airops':
      return {
        contentType: 'application/json',
        text: JSON.stringify({ error_code: info.code, error_message: info.detail }),
      };
    case 'problem':
      return {
        contentType: 'application/problem+json',
        text: JSON.stringify({
          id: `error_${randomBytes(8).toString('hex')}`,
          object: 'error',
          code: info.code,
          type: `https://docs.olostep.com/api-reference/errors/${info.code.replace(/_/g, '-')}`,
          status,
          title: info.title,
          detail: info.detail,
          created: Math.floor(nowMs / 1000),
          metadata: {},
        }),
      };
    case 'legacy_message':
      return {
        contentType: 'application/json',
        text: JSON.stringify({ message: info.detail, malformed_request: false }),
      };
    case 'legacy_error':
      return { contentType: 'application/json', text: JSON.stringify({ error: { message: info.detail } }) };
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', text: info.text };
    case 'html':
      return {
        contentType: 'text/html; charset=utf-8',
        text: `<html>\r\n<head><title>${status} ${info.title}</title></head>\r\n<body>\r\n<center><h1>${status} ${info.title}</h1></center>\r\n</body>\r\n</html>\r\n`,
      };
  }
}

/** Adds fields the client has never seen, at the top level, in phase objects and in items (docs/airops-api.md#unknown-values). */
export function withUnknownFields(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withUnknownFields);
  if (typeof body !== 'object' || body === null) return body;
  const src = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) out[k] = withUnknownFields(v);
  if ('state' in src) {
    out.progress_pct = null;
    out.x_sim_phase_note = 'unknown phase field';
  } else if ('custom_id' in src) {
    out.methods = {
      page_type: 'classifier',
      author: 'parser',
      date_published: 'llm',
      date_modified: 'not_found',
      brand_mentions: 'llm',
    };
    out.x_sim_confidence = 0.9;
  } else if ('id' in src || 'batch_id' in src || 'error_code' in src) {
    out.x_sim_unknown = { nested: true, list: [1, 2, 3] };
    out.request_id = `req_${randomBytes(6).toString('hex')}`;
  }
  return out;
}
