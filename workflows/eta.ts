// How long the current phase (and the ones after it) should still take: from the rate of the phase's count
// samples when they move, else from typical durations. Read by the progress view and the poll schedule; pure,
// deterministic workflow code.
import { PHASES, type PhaseName } from '../olostep/enums';
import { doneTotal, isDone, isPhaseTerminal, type PhaseTrack, type TrackerState } from './tracker-state';

/** Typical phase durations: the reference lifecycle of docs/airops-api.md#lifecycle (100 URLs). */
export const TYPICAL_DURATION_MS: Readonly<Record<PhaseName, number>> = {
  scraping: 300_000,
  analyzing: 2_000,
  enriching: 1_295_000,
};
/** Fallback scraping speed when nothing has been measured yet: the reference's 300 s per 100 URLs. */
export const TYPICAL_SCRAPE_MS_PER_URL = 3_000;

/** Duration of a phase: API timestamps when both known, else our observed stamps, else running time so far. */
export function phaseDuration(track: PhaseTrack<unknown>, now: number): number | null {
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
  const i = PHASES.indexOf(phase);
  const prev = i > 0 ? PHASES[i - 1] : undefined;
  if (prev === undefined) return state.trackingSince;
  const pt = state.phases[prev];
  return pt.firstObservedAt.completed ?? pt.firstObservedAt.skipped ?? state.trackingSince;
}

/** Scraping duration to scale later phases by: measured if done, else (elapsed + remaining) or per-URL typical. */
export function scrapingScaleMs(state: TrackerState, now: number, currentRemaining: number | null): number | null {
  const track = state.phases.scraping;
  if (isPhaseTerminal(track.state)) return phaseDuration(track, now);
  if (state.currentPhase === 'scraping' && currentRemaining !== null) {
    return (phaseDuration(track, now) ?? 0) + Math.max(0, currentRemaining);
  }
  const urls = doneTotal(state, 'scraping').total;
  return urls === null ? null : urls * TYPICAL_SCRAPE_MS_PER_URL;
}

/** Expected duration of a phase that has not started, scaled by the typical ratio to scraping. */
export function expectedLaterPhaseMs(state: TrackerState, phase: PhaseName, scrapingMs: number | null): number | null {
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
