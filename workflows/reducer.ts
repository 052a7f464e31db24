// The tracker's reducer: one normalized snapshot (create response, GET status or webhook) in, the next state out.
// Monotonic and order-independent where the API allows it; pure and deterministic (workflow code), with time coming
// in as `now`. Which enum values are known is asked of olostep/normalize.ts, the one place that decides it.
import type { KnownOverallStatus, KnownPhaseState, PhaseName } from '../olostep/enums';
import { PHASES } from '../olostep/enums';
import {
  MAX_UNKNOWN_VALUES,
  clipUnknownValue,
  isKnownWebhookEvent,
  knownOverallStatus,
  knownPhaseState,
  unknownValueEntry,
} from '../olostep/normalize';
import type { AnalyzingPhase, BatchSnapshot, EnrichingPhase, LlmInfo, ScrapingPhase } from '../olostep/snapshot';
import { fingerprint, stableStringify } from './fingerprint';
import {
  MAX_SAMPLES,
  MAX_SEEN_EVENTS,
  MAX_TIMELINE,
  doneTotal,
  isDone,
  isPhaseTerminal,
  maxOrNull,
  overallRank,
  phaseRank,
  pushBounded,
  type AnalyzingMetrics,
  type EnrichingMetrics,
  type ObservedAt,
  type PhaseTracks,
  type ProgressSample,
  type ScrapingMetrics,
  type TimelineEntry,
  type TimelinePhase,
  type TrackerState,
} from './tracker-state';

function addUnknown(list: readonly string[], values: readonly string[]): string[] {
  const fresh = values.filter((v, i) => !list.includes(v) && values.indexOf(v) === i);
  return fresh.length === 0 ? [...list] : pushBounded(list, fresh, MAX_UNKNOWN_VALUES);
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
    const o = knownOverallStatus(snap.overall);
    if (o !== null && overallRank(o) > overallRank(state.overall)) return true;
  }
  for (const phase of PHASES) {
    const incoming = knownPhaseState(phase, snap[phase].state);
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
  // All phases done but overall not yet terminal (docs/airops-api.md#event-sequences): still "in" the last phase,
  // awaiting `completed`.
  return PHASES.find((p) => !isDone(phases[p].state)) ?? 'enriching';
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
    return { ...state, unknownValues: addUnknown(state.unknownValues, [unknownValueEntry('batchId', snap.batchId)]) };
  }

  if (event !== null) {
    stats = { ...stats, webhookEvents: stats.webhookEvents + 1 };
    // Retries may or may not change `timestamp` (docs/airops-api.md#webhook-delivery), so the fingerprint leaves
    // sentAt out.
    const key = `${clipUnknownValue(event)}#${fingerprint(stableStringify({ ...snap, source: { kind, event } }))}`;
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
  if (event !== null && !isKnownWebhookEvent(event)) unknown.push(unknownValueEntry('object', event));
  const timeline: TimelineEntry[] = [];
  const entry = (phase: TimelinePhase, from: string | null, to: string): TimelineEntry =>
    event === null
      ? { at: now, phase, from, to, source: kind }
      : { at: now, phase, from, to, source: kind, event: clipUnknownValue(event) };
  let progressed = false;

  // Phases: state by rank (terminal final), counts by max until the phase's terminal snapshot sets them (CountMerge),
  // API timestamps/errors first non-null wins.
  const phases = JSON.parse(JSON.stringify(state.phases)) as PhaseTracks;
  for (const phase of PHASES) {
    const track = phases[phase];
    const incoming = snap[phase];
    const known = knownPhaseState(phase, incoming.state);
    const rule = countMerge(track.state, known);
    if (known === null) {
      unknown.push(unknownValueEntry(`${phase}.state`, incoming.state));
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

  // Overall: rank order, terminal final. A failed phase fails the batch (docs/airops-api.md#overall-status), even
  // if `overall` lags.
  let overall = state.overall;
  let failedPhase = state.failedPhase;
  const knownOverall = knownOverallStatus(snap.overall);
  if (knownOverall === null) unknown.push(unknownValueEntry('overall', snap.overall));
  let nextOverall: KnownOverallStatus | null = overall;
  if (overallRank(overall) < 2) {
    if (knownOverall !== null && overallRank(knownOverall) > overallRank(nextOverall)) nextOverall = knownOverall;
    const failedByPhase = PHASES.find((p) => phases[p].state === 'failed');
    if (failedByPhase !== undefined && overallRank(nextOverall) < 2) nextOverall = 'failed';
    if (overallRank(nextOverall) < 1 && PHASES.some((p) => phaseRank(phases[p].state) >= 1)) {
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
    failedPhase = PHASES.find((p) => phases[p].state === 'failed') ?? deriveCurrentPhase('in_progress', phases);
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
