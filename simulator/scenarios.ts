// Scenario scripts: how a simulated batch behaves. A script comes from (lowest to highest precedence) the
// built-in defaults, the simulator's default script, a queued "next batch" script, the batch's metadata
// (`sim_*` keys) and finally `scriptBatch(id, ...)` right after creation.
import { z } from 'zod';
import { WEBHOOK_EVENTS, type ValidationDetail } from './types';

export const SCENARIOS = [
  'happy',
  'enrichment_skipped',
  'partial_failures',
  'scraping_failed',
  'analyzing_failed',
  'enriching_failed',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Shorthands accepted wherever a scenario name is: they pick `enriching_failed` with an error code. */
export const SCENARIO_ALIASES = {
  llm_batch_failed: { scenario: 'enriching_failed', enrichingErrorCode: 'LLM_BATCH_FAILED' },
  llm_batch_expired: { scenario: 'enriching_failed', enrichingErrorCode: 'LLM_BATCH_EXPIRED' },
  enriching_error: { scenario: 'enriching_failed', enrichingErrorCode: 'ENRICHING_ERROR' },
} as const satisfies Record<string, { scenario: Scenario; enrichingErrorCode: EnrichingErrorCode }>;

/** Every name a script or `sim_scenario` accepts: the scenarios plus their aliases. */
export const SCENARIO_NAMES = [...SCENARIOS, 'llm_batch_failed', 'llm_batch_expired', 'enriching_error'] as const;

export const ENRICHING_ERROR_CODES = ['LLM_BATCH_FAILED', 'LLM_BATCH_EXPIRED', 'ENRICHING_ERROR'] as const;
export type EnrichingErrorCode = (typeof ENRICHING_ERROR_CODES)[number];

/** Reference lifecycle (the proportions of Olostep's examples, docs/airops-api.md#lifecycle): 300 s scraping, 2 s analyzing, 3 s to submit, 1,295 s LLM. */
export const DEFAULT_DURATIONS = {
  scrapingMs: 300_000,
  analyzingMs: 2_000,
  enrichSubmitMs: 3_000,
  enrichingMs: 1_295_000,
} as const;

const Rate = z.number().min(0).max(1);
const DurationMs = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 3_600_000);
const EventSelection = z.union([Rate, z.array(z.enum(WEBHOOK_EVENTS))]);

export const PhaseDurations = z.strictObject({
  scrapingMs: DurationMs.optional(),
  analyzingMs: DurationMs.optional(),
  /** Between analyzing completed and enriching started (or skipped). */
  enrichSubmitMs: DurationMs.optional(),
  enrichingMs: DurationMs.optional(),
});
export type PhaseDurations = z.infer<typeof PhaseDurations>;

export const WebhookBehaviour = z.strictObject({
  /** Deliver these events (or each event with this probability) twice. */
  duplicate: EventSelection.optional(),
  /** Virtual ms between the first copy and the duplicate (default 0: right after). */
  duplicateDelayMs: z.number().int().min(0).optional(),
  /** Hold these events (or each with this probability) until the next event of the batch has been sent. */
  reorder: EventSelection.optional(),
});
export type WebhookBehaviour = z.infer<typeof WebhookBehaviour>;

export const BatchScript = z.strictObject({
  scenario: z.enum(SCENARIO_NAMES).optional(),
  /** Seed for the batch's outcomes; default derived from the simulator seed and the batch number. */
  seed: z.union([z.number().int(), z.string().min(1)]).optional(),
  durations: PhaseDurations.optional(),
  /** Probability that a URL fails to scrape (SCRAPE_FAILED). */
  scrapeFailureRate: Rate.optional(),
  /** Probability that a scraped item still lacks a field after the classifier/parser. */
  needsEnrichmentRate: Rate.optional(),
  /** Probability that an item's own LLM extraction fails (item failed at stage enriching). */
  enrichFailureRate: Rate.optional(),
  /** Make exactly these custom_ids fail (in addition to the rates). */
  failCustomIds: z
    .strictObject({ scraping: z.array(z.string()).optional(), enriching: z.array(z.string()).optional() })
    .optional(),
  enrichingErrorCode: z.enum(ENRICHING_ERROR_CODES).optional(),
  /** Fraction of the enriching window after which `enriching_failed` happens (default 0.5; 1 for EXPIRED). */
  enrichingFailAt: z.number().min(0).max(1).optional(),
  /** Async LLM Batch API (true, default: `llm_batch_id` set) or sync mode (false). */
  batchMode: z.boolean().optional(),
  webhooks: WebhookBehaviour.optional(),
});
export type BatchScript = z.infer<typeof BatchScript>;

export interface ResolvedScript {
  scenario: Scenario;
  seed: number | string;
  durations: Required<PhaseDurations>;
  scrapeFailureRate: number;
  needsEnrichmentRate: number;
  enrichFailureRate: number;
  failCustomIds: { scraping: ReadonlySet<string>; enriching: ReadonlySet<string> };
  enrichingErrorCode: EnrichingErrorCode;
  enrichingFailAt: number;
  batchMode: boolean;
  webhooks: WebhookBehaviour;
}

const SCENARIO_RATES: Record<Scenario, { scrape: number; needs: number; enrichFail: number }> = {
  happy: { scrape: 0, needs: 0.45, enrichFail: 0 },
  enrichment_skipped: { scrape: 0, needs: 0, enrichFail: 0 },
  partial_failures: { scrape: 0.1, needs: 0.5, enrichFail: 0.15 },
  scraping_failed: { scrape: 1, needs: 0, enrichFail: 0 },
  analyzing_failed: { scrape: 0, needs: 0.45, enrichFail: 0 },
  enriching_failed: { scrape: 0, needs: 0.45, enrichFail: 0 },
};

/** Merges script layers (later wins) into a complete script. `fallbackSeed` is used when no layer sets one. */
export function resolveScript(
  layers: readonly (BatchScript | undefined)[],
  fallbackSeed: number | string,
): ResolvedScript {
  const merged: BatchScript = {};
  let durations: PhaseDurations = {};
  let webhooks: WebhookBehaviour = {};
  for (const layer of layers) {
    if (!layer) continue;
    Object.assign(merged, layer);
    if (layer.durations) durations = { ...durations, ...layer.durations };
    if (layer.webhooks) webhooks = { ...webhooks, ...layer.webhooks };
  }
  let scenario: Scenario = 'happy';
  let aliasCode: EnrichingErrorCode | undefined;
  if (merged.scenario && merged.scenario in SCENARIO_ALIASES) {
    const alias = SCENARIO_ALIASES[merged.scenario as keyof typeof SCENARIO_ALIASES];
    scenario = alias.scenario;
    aliasCode = alias.enrichingErrorCode;
  } else if (merged.scenario) {
    scenario = merged.scenario as Scenario;
  }
  const rates = SCENARIO_RATES[scenario];
  const enrichingErrorCode = merged.enrichingErrorCode ?? aliasCode ?? 'LLM_BATCH_FAILED';
  return {
    scenario,
    seed: merged.seed ?? fallbackSeed,
    durations: { ...DEFAULT_DURATIONS, ...durations },
    scrapeFailureRate: merged.scrapeFailureRate ?? rates.scrape,
    needsEnrichmentRate: merged.needsEnrichmentRate ?? rates.needs,
    enrichFailureRate: merged.enrichFailureRate ?? rates.enrichFail,
    failCustomIds: {
      scraping: new Set(merged.failCustomIds?.scraping ?? []),
      enriching: new Set(merged.failCustomIds?.enriching ?? []),
    },
    enrichingErrorCode,
    enrichingFailAt: merged.enrichingFailAt ?? (enrichingErrorCode === 'LLM_BATCH_EXPIRED' ? 1 : 0.5),
    batchMode: merged.batchMode ?? true,
    webhooks,
  };
}

type MetaKind = 'string' | 'number' | 'int' | 'boolean';
/** `sim_*` metadata keys → script path. Values arrive as strings (metadata is string-valued after coercion). */
export const METADATA_KEYS: Record<string, { path: [string] | [string, string]; kind: MetaKind }> = {
  sim_scenario: { path: ['scenario'], kind: 'string' },
  sim_seed: { path: ['seed'], kind: 'string' },
  sim_scraping_ms: { path: ['durations', 'scrapingMs'], kind: 'int' },
  sim_analyzing_ms: { path: ['durations', 'analyzingMs'], kind: 'int' },
  sim_enrich_submit_ms: { path: ['durations', 'enrichSubmitMs'], kind: 'int' },
  sim_enriching_ms: { path: ['durations', 'enrichingMs'], kind: 'int' },
  sim_scrape_failure_rate: { path: ['scrapeFailureRate'], kind: 'number' },
  sim_needs_enrichment_rate: { path: ['needsEnrichmentRate'], kind: 'number' },
  sim_enrich_failure_rate: { path: ['enrichFailureRate'], kind: 'number' },
  sim_error_code: { path: ['enrichingErrorCode'], kind: 'string' },
  sim_enriching_fail_at: { path: ['enrichingFailAt'], kind: 'number' },
  sim_batch_mode: { path: ['batchMode'], kind: 'boolean' },
  sim_webhook_duplicate: { path: ['webhooks', 'duplicate'], kind: 'number' },
  sim_webhook_reorder: { path: ['webhooks', 'reorder'], kind: 'number' },
};

/**
 * Reads `sim_*` metadata keys into a script. Unknown `sim_*` keys and bad values are validation errors
 * (a typo in a test's scenario name should fail loudly, not silently run `happy`).
 */
export function scriptFromMetadata(
  metadata: Record<string, string>,
): { ok: true; script: BatchScript | undefined } | { ok: false; details: ValidationDetail[] } {
  const details: ValidationDetail[] = [];
  const raw: Record<string, unknown> = {};
  const keyOfPath = new Map<string, string>();
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith('sim_')) continue;
    const spec = METADATA_KEYS[key];
    if (!spec) {
      details.push({
        path: `metadata.${key}`,
        code: 'unrecognized_key',
        message: `Unknown simulator key; known: ${Object.keys(METADATA_KEYS).join(', ')}`,
      });
      continue;
    }
    let parsed: unknown = value;
    if (spec.kind === 'number' || spec.kind === 'int') {
      parsed = value.trim() === '' ? Number.NaN : Number(value);
      if (Number.isNaN(parsed)) {
        details.push({ path: `metadata.${key}`, code: 'invalid_type', message: `${key} must be a number` });
        continue;
      }
    } else if (spec.kind === 'boolean') {
      if (value !== 'true' && value !== 'false') {
        details.push({ path: `metadata.${key}`, code: 'invalid_type', message: `${key} must be "true" or "false"` });
        continue;
      }
      parsed = value === 'true';
    }
    const [head, tail] = spec.path;
    if (tail === undefined) raw[head] = parsed;
    else raw[head] = { ...(raw[head] ?? {}), [tail]: parsed };
    keyOfPath.set(spec.path.join('.'), key);
  }
  if (details.length > 0) return { ok: false, details };
  if (keyOfPath.size === 0) return { ok: true, script: undefined };
  const result = BatchScript.safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      details: result.error.issues.map((issue) => {
        const key = keyOfPath.get(issue.path.map(String).join('.')) ?? keyOfPath.get(String(issue.path[0]));
        return { path: key ? `metadata.${key}` : 'metadata', code: issue.code, message: issue.message };
      }),
    };
  }
  return { ok: true, script: result.data };
}
