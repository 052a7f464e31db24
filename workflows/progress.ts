// Reading a tracker's state for people and callers: the progress view queries answer (per-phase counts and
// percentages, whole-batch percent, ETA, stalled flag) and the workflow's result (the outcome). Pure, deterministic
// workflow code; the stalled flag feeds a search-attribute upsert, so it follows the patching rules.
import { PHASES, type KnownOverallStatus, type KnownPhaseState, type PhaseName } from '../olostep/enums';
import type { PhaseError } from '../olostep/snapshot';
import { estimateCurrentPhase, expectedLaterPhaseMs, phaseDuration, scrapingScaleMs } from './eta';
import { TRACK_DEFAULTS } from './track-options';
import {
  doneTotal,
  isDone,
  isTerminal,
  type AnalyzingMetrics,
  type EnrichingMetrics,
  type ObservedAt,
  type PhaseTrack,
  type PollStats,
  type ScrapingMetrics,
  type TimelineEntry,
  type TrackerState,
} from './tracker-state';

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

// Overall percent weights = each phase's share of the reference run time, rounded so analyzing still shows.
export const PHASE_WEIGHTS: Readonly<Record<PhaseName, number>> = { scraping: 0.19, analyzing: 0.01, enriching: 0.8 };

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
  const stallTimeoutMs = opts.stallTimeoutMs ?? TRACK_DEFAULTS.stallTimeoutMs;
  const phases = {
    scraping: phaseProgress(state, 'scraping', now),
    analyzing: phaseProgress(state, 'analyzing', now),
    enriching: phaseProgress(state, 'enriching', now),
  };
  let percent = 0;
  for (const p of PHASES) percent += (PHASE_WEIGHTS[p] * (phases[p].percent ?? 0)) / 100;
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
    for (const later of PHASES.slice(PHASES.indexOf(est.phase) + 1)) {
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
