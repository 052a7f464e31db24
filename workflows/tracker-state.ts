// The tracker's state: what a trackAirOpsBatch run knows about its batch, and the small rules every reader of it
// shares (phase ranks, done/total of a phase, bounded lists). Plain JSON only (no Map/Set/class/undefined), because
// it crosses queries and continue-as-new. Deterministic workflow code: time comes in as `now` (ms, workflow time).
// The reducer (./reducer) writes it; ./poll-stats counts calls; ./eta and ./progress read it.
import { TERMINAL_OVERALL, type KnownOverallStatus, type KnownPhaseState, type PhaseName } from '../olostep/enums';
import type { LlmInfo, PhaseError } from '../olostep/snapshot';

export type TimelinePhase = PhaseName | 'overall';
export type SnapshotKind = 'create' | 'status' | 'webhook';

/** One observed transition: when WE saw it (`at`, workflow time), not when the API says it happened. */
export interface TimelineEntry {
  at: number;
  phase: TimelinePhase;
  /** null on the first observation of that phase (or of the overall status). */
  from: string | null;
  to: string;
  source: SnapshotKind;
  /** The webhook event (`object`) that carried the transition; absent for create/status snapshots. */
  event?: string;
}

export interface PollStats {
  /** Status calls attempted (successful + failed). */
  calls: number;
  errors: number;
  errorsByType: Record<string, number>;
  lastError: { type: string; message: string; at: number } | null;
  lastPolledAt: number | null;
  /** Webhook snapshots received, including duplicates and stale ones. */
  webhookEvents: number;
  duplicateEvents: number;
  staleIgnored: number;
}

/** First time we saw the phase in that state *or a later one* (a jump pending→completed stamps started too). */
export type ObservedAt = Partial<Record<KnownPhaseState, number>>;

export interface ScrapingMetrics {
  submitted: number | null;
  valid: number | null;
  succeeded: number | null;
  failed: number | null;
}

export interface AnalyzingMetrics {
  itemsAnalyzed: number | null;
  itemsNeedingEnrichment: number | null;
  itemsComplete: number | null;
  fieldsToEnrich: Record<string, number> | null;
}

export interface EnrichingMetrics {
  itemsToEnrich: number | null;
  itemsEnriched: number | null;
  itemsFailed: number | null;
  llm: LlmInfo | null;
}

export interface PhaseTrack<M> {
  /** null until the phase is first seen. Only known states are stored; unknown ones go to `unknownValues`. */
  state: KnownPhaseState | null;
  /** The API's `started_at` / `completed_at` (server clock, ms). */
  startedAt: number | null;
  completedAt: number | null;
  firstObservedAt: ObservedAt;
  error: PhaseError | null;
  metrics: M;
}

export interface PhaseTracks {
  scraping: PhaseTrack<ScrapingMetrics>;
  analyzing: PhaseTrack<AnalyzingMetrics>;
  enriching: PhaseTrack<EnrichingMetrics>;
}

export interface ProgressSample {
  at: number;
  phase: PhaseName;
  done: number;
  total: number | null;
}

export interface TrackerState {
  /** Bump when the shape changes, so a continued-as-new run can migrate older state. */
  schemaVersion: 1;
  batchId: string;
  overall: KnownOverallStatus | null;
  overallFirstObservedAt: Partial<Record<KnownOverallStatus, number>>;
  /** First phase not finished; null only when the batch is terminal. */
  currentPhase: PhaseName | null;
  /** The phase a failed batch failed in: a `failed` phase, else the first phase not finished when it failed. */
  failedPhase: PhaseName | null;
  phases: PhaseTracks;
  totalUrls: number | null;
  createdAt: number | null;
  batchMode: boolean | null;
  llmBatchId: string | null;
  timeline: TimelineEntry[];
  stats: PollStats;
  samples: ProgressSample[];
  /** When we started tracking (workflow time). */
  trackingSince: number;
  /** Last time any count or state moved forward: stall detection. */
  lastProgressAt: number | null;
  /** Last time a snapshot was merged (not counting duplicates or stale ones). */
  lastSnapshotAt: number | null;
  /** Newest webhook `timestamp` merged so far: older webhooks showing no new progress are stale. */
  newestWebhookSentAt: number | null;
  /** `event#fingerprint` of webhooks already merged (bounded), for deduplication. */
  seenEvents: string[];
  /** Enum strings (or other oddities) this client does not know, as `path=value`; bounded and deduped. */
  unknownValues: string[];
}

/** Most timeline entries kept (oldest dropped first). */
export const MAX_TIMELINE = 100;
/** Most progress samples kept for the rate estimate. */
export const MAX_SAMPLES = 20;
/** Most webhook fingerprints kept for deduplication. */
export const MAX_SEEN_EVENTS = 50;

function emptyTrack<M>(metrics: M): PhaseTrack<M> {
  return { state: null, startedAt: null, completedAt: null, firstObservedAt: {}, error: null, metrics };
}

/** The state before any snapshot: nothing observed yet. `now` is when tracking starts (workflow time). */
export function initialState(batchId: string, now: number): TrackerState {
  return {
    schemaVersion: 1,
    batchId,
    overall: null,
    overallFirstObservedAt: {},
    currentPhase: 'scraping',
    failedPhase: null,
    phases: {
      scraping: emptyTrack<ScrapingMetrics>({ submitted: null, valid: null, succeeded: null, failed: null }),
      analyzing: emptyTrack<AnalyzingMetrics>({
        itemsAnalyzed: null,
        itemsNeedingEnrichment: null,
        itemsComplete: null,
        fieldsToEnrich: null,
      }),
      enriching: emptyTrack<EnrichingMetrics>({
        itemsToEnrich: null,
        itemsEnriched: null,
        itemsFailed: null,
        llm: null,
      }),
    },
    totalUrls: null,
    createdAt: null,
    batchMode: null,
    llmBatchId: null,
    timeline: [],
    stats: {
      calls: 0,
      errors: 0,
      errorsByType: {},
      lastError: null,
      lastPolledAt: null,
      webhookEvents: 0,
      duplicateEvents: 0,
      staleIgnored: 0,
    },
    samples: [],
    trackingSince: now,
    lastProgressAt: null,
    lastSnapshotAt: null,
    newestWebhookSentAt: null,
    seenEvents: [],
    unknownValues: [],
  };
}

/** True once the overall status is `completed` or `failed` (final: nothing moves it back). */
export function isTerminal(state: TrackerState): boolean {
  return state.overall !== null && TERMINAL_OVERALL.includes(state.overall);
}

export function phaseRank(s: KnownPhaseState | null): number {
  if (s === null) return -1;
  if (s === 'pending') return 0;
  if (s === 'started') return 1;
  return 2; // completed | failed | skipped: terminal
}

export function overallRank(s: KnownOverallStatus | null): number {
  if (s === null) return -1;
  if (s === 'pending') return 0;
  if (s === 'in_progress') return 1;
  return 2;
}

/** True for a phase that no longer blocks the pipeline (failure ends it, but is not "finished" for currentPhase). */
export function isDone(s: KnownPhaseState | null): boolean {
  return s === 'completed' || s === 'skipped';
}

export function isPhaseTerminal(s: KnownPhaseState | null): boolean {
  return phaseRank(s) === 2;
}

export function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

export function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/** Appends with a FIFO cap: bounded because the state is carried across continue-as-new. */
export function pushBounded<T>(list: readonly T[], items: readonly T[], cap: number): T[] {
  const out = [...list, ...items];
  return out.length > cap ? out.slice(out.length - cap) : out;
}

/** done/total of a phase's work items, from the merged metrics. */
export function doneTotal(state: TrackerState, phase: PhaseName): { done: number | null; total: number | null } {
  const { scraping, analyzing, enriching } = state.phases;
  if (phase === 'scraping') {
    const m = scraping.metrics;
    return { done: sumOrNull(m.succeeded, m.failed), total: m.valid ?? m.submitted ?? state.totalUrls };
  }
  if (phase === 'analyzing') {
    // items_analyzed counts up to scraping.succeeded (docs/airops-api.md#count-relations).
    return { done: analyzing.metrics.itemsAnalyzed, total: scraping.metrics.succeeded };
  }
  const m = enriching.metrics;
  return {
    done: sumOrNull(m.itemsEnriched, m.itemsFailed),
    total: m.itemsToEnrich ?? analyzing.metrics.itemsNeedingEnrichment,
  };
}
