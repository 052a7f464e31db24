// The pure lifecycle reducer of an AirOps batch: snapshot (create response, GET status or webhook) in, state out.
// Runs inside Temporal workflow code, so it is deterministic and plain-data only: time comes in as `now` (ms),
// the state is JSON (no Map/Set/class/undefined) because it crosses queries and continue-as-new.
import type {
  AnalyzingPhase,
  BatchSnapshot,
  EnrichingPhase,
  KnownOverallStatus,
  KnownPhaseState,
  LlmInfo,
  PhaseError,
  PhaseName,
  ScrapingPhase,
} from '../olostep/snapshot';

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

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

export interface PhaseProgress {
  state: KnownPhaseState | null;
  done: number | null;
  total: number | null;
  /** 0..100, null when the total is unknown. */
  percent: number | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

export interface BatchProgress {
  batchId: string;
  overall: KnownOverallStatus | null;
  currentPhase: PhaseName | null;
  phases: { scraping: PhaseProgress; analyzing: PhaseProgress; enriching: PhaseProgress };
  /** Whole-batch 0..100, phases weighted by their typical share of the run time. */
  percent: number;
  etaMs: number | null;
  etaAt: number | null;
  /** What the ETA rests on: the current phase's measured rate, or typical durations only. */
  etaBasis: 'rate' | 'typical' | null;
  stalled: boolean;
  noProgressForMs: number;
  lastProgressAt: number | null;
  lastUpdatedAt: number | null;
  totalUrls: number | null;
}

export interface PhaseOutcome<M> {
  state: KnownPhaseState | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  firstObservedAt: ObservedAt;
  error: PhaseError | null;
  metrics: M;
}

export interface BatchOutcome {
  batchId: string;
  status: KnownOverallStatus | null;
  terminal: boolean;
  failedPhase: PhaseName | null;
  /** The first phase error reported, if any. */
  error: PhaseError | null;
  totalUrls: number | null;
  createdAt: number | null;
  batchMode: boolean | null;
  llmBatchId: string | null;
  phases: {
    scraping: PhaseOutcome<ScrapingMetrics>;
    analyzing: PhaseOutcome<AnalyzingMetrics>;
    enriching: PhaseOutcome<EnrichingMetrics>;
  };
  /** API `created` → last phase `completed_at` (server clock), when both are known. */
  apiDurationMs: number | null;
  /** Start of tracking → terminal status first observed (or `now` if not terminal), workflow clock. */
  observedDurationMs: number;
  timeline: TimelineEntry[];
  pollStats: PollStats;
  unknownValues: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------------

export const PHASE_ORDER: readonly PhaseName[] = ['scraping', 'analyzing', 'enriching'];

export const MAX_TIMELINE = 100;
export const MAX_SAMPLES = 20;
export const MAX_UNKNOWN_VALUES = 20;
export const MAX_UNKNOWN_VALUE_LENGTH = 64;
export const MAX_SEEN_EVENTS = 50;
export const DEFAULT_STALL_TIMEOUT_MS = 30 * 60_000;

/** Reference lifecycle (spec §1, 100 URLs): scraping 300 s, analyzing 2 s, async enrichment ~1,295 s. */
export const TYPICAL_DURATION_MS: Readonly<Record<PhaseName, number>> = {
  scraping: 300_000,
  analyzing: 2_000,
  enriching: 1_295_000,
};
/** Fallback scraping speed when nothing has been measured yet: the reference's 300 s per 100 URLs. */
export const TYPICAL_SCRAPE_MS_PER_URL = 3_000;
// Overall percent weights = each phase's share of the reference run time, rounded so analyzing still shows.
export const PHASE_WEIGHTS: Readonly<Record<PhaseName, number>> = { scraping: 0.19, analyzing: 0.01, enriching: 0.8 };

const KNOWN_STATES: Readonly<Record<PhaseName, readonly KnownPhaseState[]>> = {
  scraping: ['pending', 'started', 'completed', 'failed'],
  analyzing: ['pending', 'started', 'completed', 'failed'],
  enriching: ['pending', 'started', 'completed', 'failed', 'skipped'],
};
const KNOWN_OVERALL: readonly KnownOverallStatus[] = ['pending', 'in_progress', 'completed', 'failed'];
const EVENT_PREFIX = 'event.batch.airops.';
const KNOWN_EVENTS: readonly string[] = [
  'scraping_started',
  'scraping_completed',
  'scraping_failed',
  'analyzing_completed',
  'enriching_started',
  'enriching_completed',
  'enriching_failed',
  'completed',
  'failed',
];

// ---------------------------------------------------------------------------------------------------------------
// Small pure helpers
// ---------------------------------------------------------------------------------------------------------------

function phaseRank(s: KnownPhaseState | null): number {
  if (s === null) return -1;
  if (s === 'pending') return 0;
  if (s === 'started') return 1;
  return 2; // completed | failed | skipped: terminal
}

function overallRank(s: KnownOverallStatus | null): number {
  if (s === null) return -1;
  if (s === 'pending') return 0;
  if (s === 'in_progress') return 1;
  return 2;
}

/** True for a phase that no longer blocks the pipeline (failure ends it, but is not "finished" for currentPhase). */
function isDone(s: KnownPhaseState | null): boolean {
  return s === 'completed' || s === 'skipped';
}

function isPhaseTerminal(s: KnownPhaseState | null): boolean {
  return phaseRank(s) === 2;
}

function asKnownState(phase: PhaseName, value: string): KnownPhaseState | null {
  return (KNOWN_STATES[phase] as readonly string[]).includes(value) ? (value as KnownPhaseState) : null;
}

function asKnownOverall(value: string): KnownOverallStatus | null {
  return (KNOWN_OVERALL as readonly string[]).includes(value) ? (value as KnownOverallStatus) : null;
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/** Appends with a FIFO cap: bounded because the state is carried across continue-as-new. */
function pushBounded<T>(list: readonly T[], items: readonly T[], cap: number): T[] {
  const out = [...list, ...items];
  return out.length > cap ? out.slice(out.length - cap) : out;
}

/** Strings from untrusted webhook bodies end up in workflow history: keep them short (as olostep/normalize.ts). */
function clip(value: string): string {
  return value.length > MAX_UNKNOWN_VALUE_LENGTH ? `${value.slice(0, MAX_UNKNOWN_VALUE_LENGTH)}…` : value;
}

/** `path=value` as olostep/normalize.ts writes it (same truncation), so both sources dedupe to one entry. */
function unknownEntry(path: string, value: string): string {
  return `${path}=${clip(value)}`;
}

function addUnknown(list: readonly string[], values: readonly string[]): string[] {
  const fresh = values.filter((v, i) => !list.includes(v) && values.indexOf(v) === i);
  return fresh.length === 0 ? [...list] : pushBounded(list, fresh, MAX_UNKNOWN_VALUES);
}

/** Key order-independent serialization, so equal content always gives the same fingerprint. */
function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}

/** Two FNV-1a 32-bit hashes (different offsets) = 64 bits: no crypto module in the workflow sandbox. */
function fingerprint(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function shortEventName(event: string): string {
  return event.startsWith(EVENT_PREFIX) ? event.slice(EVENT_PREFIX.length) : event;
}

/** Stamps `state` and every state it implies (pending, and started before completed/failed) if not yet stamped. */
function stampObserved(observed: ObservedAt, state: KnownPhaseState, now: number): ObservedAt {
  const implied: KnownPhaseState[] =
    state === 'pending'
      ? ['pending']
      : state === 'started'
        ? ['pending', 'started']
        : state === 'skipped'
          ? ['pending', 'skipped']
          : ['pending', 'started', state];
  const out: ObservedAt = { ...observed };
  for (const s of implied) if (out[s] === undefined) out[s] = now;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// State construction and merging
// ---------------------------------------------------------------------------------------------------------------

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

/**
 * How a snapshot's counts for one phase merge into ours, from the phase's state on each side:
 * - `max`: neither side terminal. Counts never regress, whatever order snapshots arrive in.
 * - `replace`: the snapshot shows the phase terminal, so it is authoritative for the phase's counts: they replace
 *   what non-terminal data showed (an estimate may have run ahead: 90 enriched, then 88 + 2 failed at completion)
 *   and what an earlier terminal snapshot said (the last one merged wins). A count it leaves unknown keeps its
 *   value.
 * - `keep`: ours is terminal and the snapshot is not (stale or out of order). The terminal counts stay.
 * A state this client does not know is not terminal (unknown states count as progress, never as terminal).
 */
type CountMerge = 'max' | 'replace' | 'keep';

function countMerge(ours: KnownPhaseState | null, theirs: KnownPhaseState | null): CountMerge {
  if (isPhaseTerminal(theirs)) return 'replace';
  return isPhaseTerminal(ours) ? 'keep' : 'max';
}

function mergeCount(rule: CountMerge, ours: number | null, theirs: number | null): number | null {
  if (rule === 'max') return maxOrNull(ours, theirs);
  return rule === 'replace' ? (theirs ?? ours) : ours;
}

function mergeScraping(m: ScrapingMetrics, p: ScrapingPhase, rule: CountMerge): ScrapingMetrics {
  return {
    submitted: mergeCount(rule, m.submitted, p.submitted),
    valid: mergeCount(rule, m.valid, p.valid),
    succeeded: mergeCount(rule, m.succeeded, p.succeeded),
    failed: mergeCount(rule, m.failed, p.failed),
  };
}

/** Per-field counts follow the phase's rule as a whole: a terminal record replaces, non-terminal ones merge by max. */
function mergeFields(
  a: Record<string, number> | null,
  b: Record<string, number> | null,
  rule: CountMerge,
): Record<string, number> | null {
  // fromEntries defines own properties, so a key like "__proto__" stays data.
  const copy = (r: Record<string, number> | null) => (r === null ? null : Object.fromEntries(Object.entries(r)));
  if (rule === 'keep' || b === null) return a;
  if (rule === 'replace' || a === null) return copy(b);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return Object.fromEntries(keys.map((k) => [k, maxOrNull(a[k] ?? null, b[k] ?? null) ?? 0]));
}

function mergeAnalyzing(m: AnalyzingMetrics, p: AnalyzingPhase, rule: CountMerge): AnalyzingMetrics {
  return {
    itemsAnalyzed: mergeCount(rule, m.itemsAnalyzed, p.itemsAnalyzed),
    itemsNeedingEnrichment: mergeCount(rule, m.itemsNeedingEnrichment, p.itemsNeedingEnrichment),
    itemsComplete: mergeCount(rule, m.itemsComplete, p.itemsComplete),
    fieldsToEnrich: mergeFields(m.fieldsToEnrich, p.fieldsToEnrich, rule),
  };
}

function mergeEnriching(m: EnrichingMetrics, p: EnrichingPhase, rule: CountMerge): EnrichingMetrics {
  return {
    itemsToEnrich: mergeCount(rule, m.itemsToEnrich, p.itemsToEnrich),
    itemsEnriched: mergeCount(rule, m.itemsEnriched, p.itemsEnriched),
    itemsFailed: mergeCount(rule, m.itemsFailed, p.itemsFailed),
    // llm only appears once enrichment completes; first non-null wins so a stale copy cannot replace it.
    llm: m.llm ?? (p.llm === null ? null : (JSON.parse(JSON.stringify(p.llm)) as LlmInfo)),
  };
}

function countsOf(s: BatchSnapshot | PhaseTracks, phase: PhaseName): Array<number | null> {
  if ('batchId' in s) {
    if (phase === 'scraping') {
      const p = s.scraping;
      return [p.submitted, p.valid, p.succeeded, p.failed];
    }
    if (phase === 'analyzing') {
      const p = s.analyzing;
      return [p.itemsAnalyzed, p.itemsNeedingEnrichment, p.itemsComplete];
    }
    const p = s.enriching;
    return [p.itemsToEnrich, p.itemsEnriched, p.itemsFailed];
  }
  if (phase === 'scraping') {
    const m = s.scraping.metrics;
    return [m.submitted, m.valid, m.succeeded, m.failed];
  }
  if (phase === 'analyzing') {
    const m = s.analyzing.metrics;
    return [m.itemsAnalyzed, m.itemsNeedingEnrichment, m.itemsComplete];
  }
  const m = s.enriching.metrics;
  return [m.itemsToEnrich, m.itemsEnriched, m.itemsFailed];
}

/** Whether the snapshot would move anything forward: a phase state, the overall status or any count. */
function advances(state: TrackerState, snap: BatchSnapshot): boolean {
  if (overallRank(state.overall) < 2) {
    const o = asKnownOverall(snap.overall);
    if (o !== null && overallRank(o) > overallRank(state.overall)) return true;
  }
  for (const phase of PHASE_ORDER) {
    const incoming = asKnownState(phase, snap[phase].state);
    if (incoming !== null && phaseRank(incoming) > phaseRank(state.phases[phase].state)) return true;
    // A non-terminal snapshot tells nothing new about a terminal phase's counts (CountMerge `keep`).
    if (countMerge(state.phases[phase].state, incoming) === 'keep') continue;
    const ours = countsOf(state.phases, phase);
    const theirs = countsOf(snap, phase);
    if (theirs.some((v, i) => v !== null && (ours[i] === null || v > (ours[i] ?? 0)))) return true;
  }
  return false;
}

/** Derives the current phase: null when terminal, else the first phase not completed/skipped. */
function deriveCurrentPhase(overall: KnownOverallStatus | null, phases: PhaseTracks): PhaseName | null {
  if (overall === 'completed' || overall === 'failed') return null;
  // All phases done but overall not yet terminal (spec step 5): still "in" the last phase, awaiting `completed`.
  return PHASE_ORDER.find((p) => !isDone(phases[p].state)) ?? 'enriching';
}

/** done/total of a phase's work items, from the merged metrics. */
function doneTotal(state: TrackerState, phase: PhaseName): { done: number | null; total: number | null } {
  const { scraping, analyzing, enriching } = state.phases;
  if (phase === 'scraping') {
    const m = scraping.metrics;
    return { done: sumOrNull(m.succeeded, m.failed), total: m.valid ?? m.submitted ?? state.totalUrls };
  }
  if (phase === 'analyzing') {
    // Spec §2.4: items_analyzed counts up to scraping.succeeded.
    return { done: analyzing.metrics.itemsAnalyzed, total: scraping.metrics.succeeded };
  }
  const m = enriching.metrics;
  return {
    done: sumOrNull(m.itemsEnriched, m.itemsFailed),
    total: m.itemsToEnrich ?? analyzing.metrics.itemsNeedingEnrichment,
  };
}

/**
 * Merges one normalized snapshot into the state, monotonically: phase states never move back (terminal ones are
 * final), a terminal overall status is final, counts of a running phase only grow (max) while a phase's terminal
 * snapshot sets its final counts (see {@link CountMerge}), duplicate webhooks and stale ones (older `sentAt` than a
 * merged webhook and no new progress) only touch the stats. Never throws on unknown enum values; they are kept out
 * of the state and listed in `unknownValues`. Pure: returns a new state.
 * Does not count poll calls: call {@link recordPoll} / {@link recordPollError} for that.
 */
export function applySnapshot(state: TrackerState, snap: BatchSnapshot, now: number): TrackerState {
  const kind = snap.source.kind;
  const event = snap.source.kind === 'webhook' ? snap.source.event : null;
  const sentAt = snap.source.kind === 'webhook' ? snap.source.sentAt : null;
  let stats = state.stats;
  let seenEvents = state.seenEvents;

  if (snap.batchId !== state.batchId) {
    // A misrouted snapshot must not corrupt this batch's state; surface it instead of crashing the workflow.
    return { ...state, unknownValues: addUnknown(state.unknownValues, [unknownEntry('batchId', snap.batchId)]) };
  }

  if (event !== null) {
    stats = { ...stats, webhookEvents: stats.webhookEvents + 1 };
    // Retries may or may not change `timestamp` (spec §3), so the fingerprint leaves sentAt out.
    const key = `${clip(event)}#${fingerprint(stableStringify({ ...snap, source: { kind, event } }))}`;
    if (seenEvents.includes(key)) {
      return { ...state, stats: { ...stats, duplicateEvents: stats.duplicateEvents + 1 } };
    }
    seenEvents = pushBounded(seenEvents, [key], MAX_SEEN_EVENTS);
    if (
      sentAt !== null &&
      state.newestWebhookSentAt !== null &&
      sentAt < state.newestWebhookSentAt &&
      !advances(state, snap)
    ) {
      return { ...state, seenEvents, stats: { ...stats, staleIgnored: stats.staleIgnored + 1 } };
    }
  }

  const unknown: string[] = [...snap.unknownValues];
  if (event !== null && !KNOWN_EVENTS.includes(shortEventName(event))) unknown.push(unknownEntry('object', event));
  const timeline: TimelineEntry[] = [];
  const entry = (phase: TimelinePhase, from: string | null, to: string): TimelineEntry =>
    event === null
      ? { at: now, phase, from, to, source: kind }
      : { at: now, phase, from, to, source: kind, event: clip(event) };
  let progressed = false;

  // Phases: state by rank (terminal final), counts by max until the phase's terminal snapshot sets them (CountMerge),
  // API timestamps/errors first non-null wins.
  const phases = JSON.parse(JSON.stringify(state.phases)) as PhaseTracks;
  for (const phase of PHASE_ORDER) {
    const track = phases[phase];
    const incoming = snap[phase];
    const known = asKnownState(phase, incoming.state);
    const rule = countMerge(track.state, known);
    if (known === null) {
      unknown.push(unknownEntry(`${phase}.state`, incoming.state));
    } else if (phaseRank(known) > phaseRank(track.state)) {
      timeline.push(entry(phase, track.state, known));
      track.state = known;
      progressed = true;
    }
    if (track.state !== null) track.firstObservedAt = stampObserved(track.firstObservedAt, track.state, now);
    track.startedAt = track.startedAt ?? incoming.startedAt;
    track.completedAt = track.completedAt ?? incoming.completedAt;
    if ('error' in incoming && incoming.error !== null && track.error === null) track.error = { ...incoming.error };
    const before = countsOf(phases, phase);
    if (phase === 'scraping') phases.scraping.metrics = mergeScraping(phases.scraping.metrics, snap.scraping, rule);
    if (phase === 'analyzing') {
      phases.analyzing.metrics = mergeAnalyzing(phases.analyzing.metrics, snap.analyzing, rule);
    }
    if (phase === 'enriching') {
      phases.enriching.metrics = mergeEnriching(phases.enriching.metrics, snap.enriching, rule);
    }
    // Progress is a count that grew or became known; a terminal snapshot correcting one down is not.
    const grew = (v: number | null, i: number) => v !== null && (before[i] === null || v > (before[i] ?? 0));
    if (countsOf(phases, phase).some(grew)) progressed = true;
  }

  // Overall: rank order, terminal final. A failed phase fails the batch (spec §1 rule), even if `overall` lags.
  let overall = state.overall;
  let failedPhase = state.failedPhase;
  const knownOverall = asKnownOverall(snap.overall);
  if (knownOverall === null) unknown.push(unknownEntry('overall', snap.overall));
  let nextOverall: KnownOverallStatus | null = overall;
  if (overallRank(overall) < 2) {
    if (knownOverall !== null && overallRank(knownOverall) > overallRank(nextOverall)) nextOverall = knownOverall;
    const failedByPhase = PHASE_ORDER.find((p) => phases[p].state === 'failed');
    if (failedByPhase !== undefined && overallRank(nextOverall) < 2) nextOverall = 'failed';
    if (overallRank(nextOverall) < 1 && PHASE_ORDER.some((p) => phaseRank(phases[p].state) >= 1)) {
      nextOverall = 'in_progress'; // Some phase moved: the batch is running whatever `overall` says.
    }
  }
  if (nextOverall !== overall && nextOverall !== null) {
    timeline.push(entry('overall', overall, nextOverall));
    overall = nextOverall;
    progressed = true;
  }
  const overallFirstObservedAt = { ...state.overallFirstObservedAt };
  if (overall !== null && overallFirstObservedAt[overall] === undefined) overallFirstObservedAt[overall] = now;
  if (overall === 'failed' && failedPhase === null) {
    // No phase says `failed` (analyzing has no failure event): blame the first phase not finished.
    failedPhase = PHASE_ORDER.find((p) => phases[p].state === 'failed') ?? deriveCurrentPhase('in_progress', phases);
  }

  const next: TrackerState = {
    ...state,
    overall,
    overallFirstObservedAt,
    currentPhase: deriveCurrentPhase(overall, phases),
    failedPhase,
    phases,
    totalUrls: state.totalUrls ?? snap.totalUrls,
    createdAt: state.createdAt ?? snap.createdAt,
    batchMode: state.batchMode ?? snap.batchMode ?? snap.enriching.batchMode,
    llmBatchId: state.llmBatchId ?? snap.enriching.llmBatchId,
    timeline: timeline.length === 0 ? state.timeline : pushBounded(state.timeline, timeline, MAX_TIMELINE),
    stats,
    seenEvents,
    lastProgressAt: progressed ? now : state.lastProgressAt,
    lastSnapshotAt: now,
    newestWebhookSentAt:
      sentAt === null ? state.newestWebhookSentAt : Math.max(sentAt, state.newestWebhookSentAt ?? sentAt),
    unknownValues: addUnknown(state.unknownValues, unknown),
  };
  return { ...next, samples: withSample(next, now) };
}

/** Adds a rate sample for the current phase when its count moved (so 20 samples span real progress). */
function withSample(state: TrackerState, now: number): ProgressSample[] {
  const phase = state.currentPhase;
  if (phase === null) return state.samples;
  const { done, total } = doneTotal(state, phase);
  if (done === null) return state.samples;
  const last = state.samples[state.samples.length - 1];
  if (last !== undefined && last.phase === phase && last.done === done && last.total === total) return state.samples;
  return pushBounded(state.samples, [{ at: now, phase, done, total }], MAX_SAMPLES);
}

/** Counts one successful status call (call it alongside {@link applySnapshot} for the GET's snapshot). */
export function recordPoll(state: TrackerState, now: number): TrackerState {
  return { ...state, stats: { ...state.stats, calls: state.stats.calls + 1, lastPolledAt: now } };
}

/** Increments `counts[key]`; own-property reads and fromEntries keep a key like "__proto__" plain data. */
function countByKey(counts: Record<string, number>, key: string): Record<string, number> {
  const previous = Object.hasOwn(counts, key) ? (counts[key] ?? 0) : 0;
  return Object.fromEntries([...Object.entries(counts).filter(([k]) => k !== key), [key, previous + 1]]);
}

/** Counts one failed status call, by error type (e.g. the error class's literal `name` or an HTTP code). */
export function recordPollError(state: TrackerState, type: string, message: string, now: number): TrackerState {
  const s = state.stats;
  return {
    ...state,
    stats: {
      ...s,
      calls: s.calls + 1,
      errors: s.errors + 1,
      errorsByType: countByKey(s.errorsByType, type),
      lastError: { type, message, at: now },
      lastPolledAt: now,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the state: terminal, progress, ETA, outcome
// ---------------------------------------------------------------------------------------------------------------

/** True once the overall status is `completed` or `failed` (final: nothing moves it back). */
export function isTerminal(state: TrackerState): boolean {
  return state.overall === 'completed' || state.overall === 'failed';
}

/** Duration of a phase: API timestamps when both known, else our observed stamps, else running time so far. */
function phaseDuration(track: PhaseTrack<unknown>, now: number): number | null {
  if (track.startedAt !== null && track.completedAt !== null) return Math.max(0, track.completedAt - track.startedAt);
  const started = track.firstObservedAt.started;
  if (started === undefined) return null;
  const endState = (['completed', 'failed', 'skipped'] as const).find((s) => track.firstObservedAt[s] !== undefined);
  if (endState !== undefined) return Math.max(0, (track.firstObservedAt[endState] ?? started) - started);
  return Math.max(0, now - started);
}

/** When the current phase became current (workflow clock): it started, or the phase before it ended. */
export function currentPhaseSince(state: TrackerState): number {
  const phase = state.currentPhase;
  if (phase === null) return state.lastSnapshotAt ?? state.trackingSince;
  const track = state.phases[phase];
  if (isPhaseTerminal(track.state)) {
    const s = track.state ?? 'completed';
    return track.firstObservedAt[s] ?? state.trackingSince;
  }
  if (track.state === 'started') return track.firstObservedAt.started ?? state.trackingSince;
  const i = PHASE_ORDER.indexOf(phase);
  const prev = i > 0 ? PHASE_ORDER[i - 1] : undefined;
  if (prev === undefined) return state.trackingSince;
  const pt = state.phases[prev];
  return pt.firstObservedAt.completed ?? pt.firstObservedAt.skipped ?? state.trackingSince;
}

/** Scraping duration to scale later phases by: measured if done, else (elapsed + remaining) or per-URL typical. */
function scrapingScaleMs(state: TrackerState, now: number, currentRemaining: number | null): number | null {
  const track = state.phases.scraping;
  if (isPhaseTerminal(track.state)) return phaseDuration(track, now);
  if (state.currentPhase === 'scraping' && currentRemaining !== null) {
    return (phaseDuration(track, now) ?? 0) + Math.max(0, currentRemaining);
  }
  const urls = doneTotal(state, 'scraping').total;
  return urls === null ? null : urls * TYPICAL_SCRAPE_MS_PER_URL;
}

/** Expected duration of a phase that has not started, scaled by the typical ratio to scraping. */
function expectedLaterPhaseMs(state: TrackerState, phase: PhaseName, scrapingMs: number | null): number | null {
  if (phase === 'enriching') {
    const a = state.phases.analyzing;
    // Nothing to enrich: the phase will be skipped.
    if (isDone(a.state) && (state.phases.enriching.metrics.itemsToEnrich ?? a.metrics.itemsNeedingEnrichment) === 0) {
      return 0;
    }
  }
  if (scrapingMs === null) return null;
  return (scrapingMs * TYPICAL_DURATION_MS[phase]) / TYPICAL_DURATION_MS.scraping;
}

export interface PhaseEstimate {
  phase: PhaseName;
  /** Remaining time of the current phase; negative when the phase has outrun the estimate (overdue). */
  remainingMs: number;
  basis: 'rate' | 'typical';
}

/**
 * Remaining time of the current phase: from the rate of its count samples when they moved, else from typical
 * durations (scraping: per URL; later phases: typical ratio to scraping's duration). Null when not estimable.
 */
export function estimateCurrentPhase(state: TrackerState, now: number): PhaseEstimate | null {
  const phase = state.currentPhase;
  if (phase === null) return null;
  const track = state.phases[phase];
  if (isPhaseTerminal(track.state)) return { phase, remainingMs: 0, basis: 'typical' }; // awaiting overall only
  const { done, total } = doneTotal(state, phase);
  const samples = state.samples.filter((s) => s.phase === phase);
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first !== undefined && last !== undefined && done !== null && total !== null && last.at > first.at) {
    const rate = (last.done - first.done) / (last.at - first.at); // items per ms
    if (rate > 0) return { phase, remainingMs: Math.max(0, total - done) / rate - (now - last.at), basis: 'rate' };
  }
  const elapsed = track.state === 'started' ? now - currentPhaseSince(state) : 0;
  if (phase === 'scraping') {
    const urls = total ?? state.totalUrls;
    return urls === null ? null : { phase, remainingMs: urls * TYPICAL_SCRAPE_MS_PER_URL - elapsed, basis: 'typical' };
  }
  const expected =
    phase === 'analyzing'
      ? Math.max(
          TYPICAL_DURATION_MS.analyzing,
          expectedLaterPhaseMs(state, phase, scrapingScaleMs(state, now, null)) ?? 0,
        )
      : expectedLaterPhaseMs(state, phase, scrapingScaleMs(state, now, null));
  return expected === null ? null : { phase, remainingMs: expected - elapsed, basis: 'typical' };
}

function phaseProgress(state: TrackerState, phase: PhaseName, now: number): PhaseProgress {
  const track = state.phases[phase];
  const { done, total } = doneTotal(state, phase);
  let percent: number | null = null;
  if (isDone(track.state)) percent = 100;
  else if (track.state === null || track.state === 'pending') percent = 0;
  else if (done !== null && total !== null && total > 0) percent = Math.min(100, (100 * done) / total);
  return {
    state: track.state,
    done,
    total,
    percent: percent === null ? null : Math.round(percent * 10) / 10,
    startedAt: track.startedAt,
    completedAt: track.completedAt,
    durationMs: phaseDuration(track, now),
  };
}

/**
 * A plain-JSON progress view for queries: per-phase counts and percentages, a whole-batch percent (phases weighted
 * by typical run-time share; skipped counts as done), an ETA (null when unknown or already overdue) and a stalled
 * flag (no count or state moved for `stallTimeoutMs`).
 */
export function progressOf(state: TrackerState, now: number, opts: { stallTimeoutMs?: number } = {}): BatchProgress {
  const stallTimeoutMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const phases = {
    scraping: phaseProgress(state, 'scraping', now),
    analyzing: phaseProgress(state, 'analyzing', now),
    enriching: phaseProgress(state, 'enriching', now),
  };
  let percent = 0;
  for (const p of PHASE_ORDER) percent += (PHASE_WEIGHTS[p] * (phases[p].percent ?? 0)) / 100;
  percent = state.overall === 'completed' ? 100 : Math.min(99.9, Math.round(percent * 1000) / 10);

  let etaMs: number | null = null;
  let basis: BatchProgress['etaBasis'] = null;
  const est = isTerminal(state) ? null : estimateCurrentPhase(state, now);
  if (isTerminal(state)) {
    etaMs = 0;
  } else if (est !== null && est.remainingMs >= 0) {
    etaMs = est.remainingMs;
    basis = est.basis;
    const scale = scrapingScaleMs(state, now, est.phase === 'scraping' ? est.remainingMs : null);
    for (const later of PHASE_ORDER.slice(PHASE_ORDER.indexOf(est.phase) + 1)) {
      const ms = expectedLaterPhaseMs(state, later, scale);
      if (ms === null) {
        etaMs = null;
        basis = null;
        break;
      }
      etaMs += ms;
    }
  }
  const noProgressForMs = Math.max(0, now - (state.lastProgressAt ?? state.trackingSince));
  return {
    batchId: state.batchId,
    overall: state.overall,
    currentPhase: state.currentPhase,
    phases,
    percent,
    etaMs: etaMs === null ? null : Math.round(etaMs),
    etaAt: etaMs === null ? null : Math.round(now + etaMs),
    etaBasis: basis,
    stalled: !isTerminal(state) && noProgressForMs >= stallTimeoutMs,
    noProgressForMs,
    lastProgressAt: state.lastProgressAt,
    lastUpdatedAt: state.lastSnapshotAt,
    totalUrls: state.totalUrls,
  };
}

function phaseOutcome<M>(track: PhaseTrack<M>, now: number): PhaseOutcome<M> {
  const copy = JSON.parse(JSON.stringify(track)) as PhaseTrack<M>;
  return {
    state: copy.state,
    startedAt: copy.startedAt,
    completedAt: copy.completedAt,
    durationMs: phaseDuration(track, now),
    firstObservedAt: copy.firstObservedAt,
    error: copy.error,
    metrics: copy.metrics,
  };
}

/** The workflow's result: final status, per-phase metrics and durations, the observed timeline and poll stats. */
export function outcomeOf(state: TrackerState, now: number): BatchOutcome {
  const { scraping, analyzing, enriching } = state.phases;
  const ends = [scraping.completedAt, analyzing.completedAt, enriching.completedAt].filter((t) => t !== null);
  const terminalAt = state.overall === null ? undefined : state.overallFirstObservedAt[state.overall];
  const terminal = isTerminal(state);
  return {
    batchId: state.batchId,
    status: state.overall,
    terminal,
    failedPhase: state.failedPhase,
    error: scraping.error ?? enriching.error ?? analyzing.error,
    totalUrls: state.totalUrls,
    createdAt: state.createdAt,
    batchMode: state.batchMode,
    llmBatchId: state.llmBatchId,
    phases: {
      scraping: phaseOutcome(scraping, now),
      analyzing: phaseOutcome(analyzing, now),
      enriching: phaseOutcome(enriching, now),
    },
    apiDurationMs: state.createdAt !== null && ends.length > 0 ? Math.max(...ends) - state.createdAt : null,
    observedDurationMs: (terminal && terminalAt !== undefined ? terminalAt : now) - state.trackingSince,
    timeline: state.timeline.map((e) => ({ ...e })),
    pollStats: JSON.parse(JSON.stringify(state.stats)) as PollStats,
    unknownValues: [...state.unknownValues],
  };
}
