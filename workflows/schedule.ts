// Adaptive poll schedule for the tracker: poll often right after a transition and when the current phase's
// estimated end is near, sparsely in the middle of a long phase. Pure and deterministic (workflow code).
import { currentPhaseSince, estimateCurrentPhase, isTerminal, type TrackerState } from './lifecycle';

export interface PollScheduleOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  /**
   * Approach the current phase's estimated end geometrically (wait APPROACH_FRACTION of the estimated remaining
   * time, no finer than RATE_SLACK of the time spent in the phase) instead of waiting for all of it. Default on
   * (the tracker's schedule); off = landing on the estimate, the baseline bench/schedule.ts compares against.
   */
  approachEnd?: boolean;
}

export const DEFAULT_POLL_SCHEDULE: Readonly<PollScheduleOptions> = { minIntervalMs: 2_000, maxIntervalMs: 60_000 };

/** Wait ∝ time already spent in the phase, so the gaps grow geometrically (×2 per poll) and calls ~ log(duration). */
export const ELAPSED_BACKOFF = 1;
/** After the estimated end has passed, wait ∝ how overdue the phase is (geometric again, finer than the above). */
export const OVERDUE_BACKOFF = 0.5;
/** Land this long after the estimated end, so the transition has happened when we look. */
export const SETTLE_MS = 1_000;
/** A typical-duration guess is only good to a few % of the phase: polling an overdue phase finer than that is waste. */
export const TYPICAL_SLACK = 0.02;
/**
 * approachEnd: wait this fraction of the estimated remaining time. A rate estimate from a few dozen items is often
 * late by minutes near a phase's end (the last items are sparse, and the phase ends after its last item); landing
 * on it made that error the detection lag (the simulator's reference lifecycle over 300 seeds: 79 runs over 60 s,
 * the worst 8 min). Tuned with bench/schedule.ts: 0.4 with RATE_SLACK 0.035 gives calls p99 39 (max 41) and a
 * worst lag of 51 s over the same 300 seeds.
 */
export const APPROACH_FRACTION = 0.4;
/** approachEnd: a rate estimate is not finer than a few % of the phase either, so neither is the approach. */
export const RATE_SLACK = 0.035;

/**
 * Milliseconds until the next status poll. Frequent after any transition (including right after create) and
 * around the current phase's estimated end (analyzing, ~2 s, therefore polls at the minimum); in a long phase
 * the gap grows with the time spent in it, up to the estimated end; once a phase outruns its estimate the gap
 * grows with the overrun. Always within [minIntervalMs, maxIntervalMs]. Webhooks may wake the caller earlier.
 */
export function nextPollDelay(state: TrackerState, now: number, opts: PollScheduleOptions): number {
  const { minIntervalMs: min, maxIntervalMs: max } = opts;
  const clamp = (ms: number): number => Math.round(Math.min(max, Math.max(min, ms)));
  if (isTerminal(state)) return max; // Nothing left to detect; the caller should have stopped polling.

  const approachEnd = opts.approachEnd ?? true;
  const elapsed = Math.max(0, now - currentPhaseSince(state));
  let delay = ELAPSED_BACKOFF * elapsed;
  const est = estimateCurrentPhase(state, now);
  if (est !== null && est.remainingMs > 0) {
    delay = approachEnd
      ? Math.min(delay, Math.max(RATE_SLACK * elapsed, APPROACH_FRACTION * est.remainingMs + SETTLE_MS))
      : Math.min(delay, est.remainingMs + SETTLE_MS);
  } else if (est !== null) {
    const overdue = -est.remainingMs;
    const slackShare = est.basis === 'typical' ? TYPICAL_SLACK : approachEnd ? RATE_SLACK : 0;
    const slack = slackShare * Math.max(0, elapsed - overdue);
    delay = Math.min(delay, Math.max(overdue * OVERDUE_BACKOFF, slack));
  }
  return clamp(delay);
}
