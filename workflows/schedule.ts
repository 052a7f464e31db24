// The tracker's poll decision, in one pure function: how long to wait before the next status call, from the adaptive
// schedule (often right after a transition and near the current phase's estimated end, sparsely in the middle of a
// long phase), the webhook safety net, the error backoff, Retry-After, the tracking deadline and the stall check.
// Its defaults are the tracker's (TRACK_DEFAULTS in ./track-options), the one set the workflow, the benchmark model,
// the CLI help and the tests use. Deterministic workflow code; a change to what it returns changes the tracker's
// timers, so it follows the patching rules of CONTRIBUTING.md.
import { TRACK_DEFAULTS } from './track-options';
import { currentPhaseSince, estimateCurrentPhase } from './eta';
import { isTerminal, type TrackerState } from './tracker-state';

/** What the poll decision depends on besides the state: the tracker's resolved options. */
export interface PollOptions {
  minPollIntervalMs: number;
  maxPollIntervalMs: number;
  /** No count or state moved for this long: the tracker flags the batch stalled, so it looks at that moment. */
  stallTimeoutMs: number;
  /** Tracking ends this long after it started; null for no deadline. */
  deadlineMs: number | null;
  /**
   * Approach the current phase's estimated end geometrically (wait APPROACH_FRACTION of the estimated remaining
   * time, no finer than RATE_SLACK of the time spent in the phase) instead of waiting for all of it. Default on
   * (the tracker's schedule); off = landing on the estimate, the baseline bench/schedule.ts compares against.
   */
  approachEnd?: boolean;
}

/** The tracker's poll options when none are given. */
export const DEFAULT_POLL_OPTIONS: Readonly<PollOptions> = {
  minPollIntervalMs: TRACK_DEFAULTS.minPollIntervalMs,
  maxPollIntervalMs: TRACK_DEFAULTS.maxPollIntervalMs,
  stallTimeoutMs: TRACK_DEFAULTS.stallTimeoutMs,
  deadlineMs: null,
};

/** What the last status calls said: how many failed in a row, and the Retry-After of the last one. */
export interface RecentPollErrors {
  consecutiveErrors: number;
  retryAfterMs: number | null;
}

export const NO_POLL_ERRORS: Readonly<RecentPollErrors> = { consecutiveErrors: 0, retryAfterMs: null };

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
 * late by minutes near a phase's end (the last items are sparse, and the phase ends after its last item), and landing
 * on it made that error the detection lag. Tuned with bench/schedule.ts (figures in bench/results/REPORT.md).
 */
export const APPROACH_FRACTION = 0.4;
/** approachEnd: a rate estimate is not finer than a few % of the phase either, so neither is the approach. */
export const RATE_SLACK = 0.035;
/** Error backoff: the minimum interval doubled per consecutive failure, up to this many doublings. */
export const MAX_BACKOFF_DOUBLINGS = 10;

/**
 * Milliseconds until the next status poll.
 *
 * 1. The schedule: frequent after any transition (including right after create) and around the current phase's
 *    estimated end (analyzing, ~2 s, therefore polls at the minimum); in a long phase the gap grows with the time
 *    spent in it, up to the estimated end; once a phase outruns its estimate the gap grows with the overrun. Within
 *    [minPollIntervalMs, maxPollIntervalMs].
 * 2. Once webhook events arrive, polling is only a safety net: maxPollIntervalMs.
 * 3. After failed calls, at least the error backoff (min × 2^failures, capped at maxPollIntervalMs), and at least the
 *    last Retry-After (uncapped: the API asked for it).
 * 4. Never past the tracking deadline, and, until the batch is stalled, never past the moment it would be (+1 ms),
 *    so the stall is flagged on time.
 *
 * Webhooks, `refreshNow` and the end of the deadline wake the tracker earlier; it then asks again.
 */
export function nextPollDelay(
  state: TrackerState,
  now: number,
  opts: PollOptions = DEFAULT_POLL_OPTIONS,
  errors: RecentPollErrors = NO_POLL_ERRORS,
): number {
  const { minPollIntervalMs: min, maxPollIntervalMs: max } = opts;
  let delay = scheduledDelay(state, now, min, max, opts.approachEnd ?? true);
  if (state.stats.webhookEvents > 0) delay = max;
  if (errors.consecutiveErrors > 0) {
    const backoff = min * 2 ** Math.min(errors.consecutiveErrors, MAX_BACKOFF_DOUBLINGS);
    delay = Math.min(max, Math.max(delay, backoff));
  }
  if (errors.retryAfterMs !== null) delay = Math.max(delay, errors.retryAfterMs);
  if (opts.deadlineMs !== null) delay = Math.min(delay, Math.max(0, state.trackingSince + opts.deadlineMs - now));
  const stallAt = (state.lastProgressAt ?? state.trackingSince) + opts.stallTimeoutMs;
  if (stallAt > now) delay = Math.min(delay, stallAt - now + 1);
  return Math.max(1, Math.round(delay));
}

/** Step 1 of {@link nextPollDelay}: the adaptive schedule alone. */
function scheduledDelay(state: TrackerState, now: number, min: number, max: number, approachEnd: boolean): number {
  const clamp = (ms: number): number => Math.round(Math.min(max, Math.max(min, ms)));
  if (isTerminal(state)) return max; // Nothing left to detect; the caller should have stopped polling.

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
