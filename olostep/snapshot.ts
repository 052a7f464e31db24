// The one normalized view of a batch's state. The create response, the GET status response and the webhook
// payload all carry the same information in three different shapes (docs/airops-api.md#three-shapes); each maps
// into this. Plain data only (JSON-safe, no classes, no zod): workflow code imports these types and the pure
// normalizers, and it crosses Temporal's payload converter unchanged.
import type { KnownOverallStatus, KnownPhaseState } from './enums';

export type { KnownOverallStatus, KnownPhaseState, PhaseName } from './enums';

/** A phase state: a known one, or an unknown string from a drifting API, kept as-is and reported in `unknownValues`. */
export type PhaseState = KnownPhaseState | (string & {});
export type OverallStatus = KnownOverallStatus | (string & {});

export interface PhaseError {
  code: string;
  message: string;
}

export interface ScrapingPhase {
  state: PhaseState;
  submitted: number | null;
  valid: number | null;
  succeeded: number | null;
  failed: number | null;
  startedAt: number | null;
  completedAt: number | null;
  error: PhaseError | null;
}

export interface AnalyzingPhase {
  state: PhaseState;
  itemsAnalyzed: number | null;
  itemsNeedingEnrichment: number | null;
  itemsComplete: number | null;
  fieldsToEnrich: Record<string, number> | null;
  startedAt: number | null;
  completedAt: number | null;
}

export interface LlmInfo {
  provider: string | null;
  model: string | null;
  usage: { promptTokens: number | null; completionTokens: number | null; totalTokens: number | null } | null;
  completionTimeMs: number | null;
}

export interface EnrichingPhase {
  state: PhaseState;
  itemsToEnrich: number | null;
  itemsEnriched: number | null;
  itemsFailed: number | null;
  llmBatchId: string | null;
  batchMode: boolean | null;
  llm: LlmInfo | null;
  startedAt: number | null;
  completedAt: number | null;
  error: PhaseError | null;
}

/** Where a snapshot came from: which endpoint/shape, and for webhooks which event. */
export type SnapshotSource =
  { kind: 'create' } | { kind: 'status' } | { kind: 'webhook'; event: string; sentAt: number | null };

export interface BatchSnapshot {
  batchId: string;
  /** Batch creation time (ms), from `created` or `created_at`; null when absent. */
  createdAt: number | null;
  totalUrls: number | null;
  /**
   * `status.overall` / `status` as sent, or derived from the phase states when absent
   * (docs/airops-api.md#overall-status).
   */
  overall: OverallStatus;
  /** True when `overall` was not in the payload and was derived from phases. */
  overallDerived: boolean;
  batchMode: boolean | null;
  scraping: ScrapingPhase;
  analyzing: AnalyzingPhase;
  enriching: EnrichingPhase;
  source: SnapshotSource;
  /**
   * Enum strings this client does not know (e.g. `enriching.state: "cancelled"`), as `path=value`
   * (`enriching.state=cancelled`, values clipped to 64 chars, at most 20 entries). A phase sent without a state
   * is normalized to `pending` and recorded as `scraping.state=(missing)`.
   */
  unknownValues: string[];
}
