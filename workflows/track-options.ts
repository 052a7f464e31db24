// The options of trackAirOpsBatch, their defaults and their lower bounds: one place for each, read by the tracker,
// its poll decision and progress view, runAirOpsBatch's option check, the CLI's help and the benchmark model. No
// imports; clients reach it through ./contract.

/**
 * Options of trackAirOpsBatch. All durations in ms; all optional (defaults: `TRACK_DEFAULTS`). Never put secrets here:
 * inputs are in history.
 */
export interface TrackOptions {
  /** Shortest gap between status polls. Default 2 s. */
  minPollIntervalMs?: number;
  /**
   * Longest gap between status polls. Default 15 min: a 24-hour LLM enrichment then costs ~100 polls, not ~1,400;
   * webhooks and `refreshNow` give freshness where it matters.
   */
  maxPollIntervalMs?: number;
  /** Stop tracking this long after tracking started (fails with `TrackingDeadlineExceeded`). Default: none. */
  deadlineMs?: number;
  /** No count or state moved for this long: flagged as stalled (queries, `AirOpsStalled`). Default 30 min. */
  stallTimeoutMs?: number;
  /** Fail with `BatchStalled` once stalled, instead of only flagging it. Default false. */
  failOnStall?: boolean;
  /** 404s within this window after tracking started are retried (a just-created batch may not be visible yet). Default 2 min. */
  notFoundGraceMs?: number;
  /** Continue-as-new after this many status polls in one run, so no run's history grows large. Default 100. */
  maxPollsPerRun?: number;
}

/**
 * The defaults of {@link TrackOptions} (`deadlineMs` has none, `failOnStall` is false), the one set the workflow, its
 * poll decision, the CLI's help and the benchmark model use.
 */
export const TRACK_DEFAULTS = {
  minPollIntervalMs: 2_000,
  maxPollIntervalMs: 15 * 60_000,
  stallTimeoutMs: 30 * 60_000,
  notFoundGraceMs: 2 * 60_000,
  maxPollsPerRun: 100,
} as const satisfies Record<Exclude<keyof TrackOptions, 'deadlineMs' | 'failOnStall'>, number>;

/** The smallest value each numeric option accepts: both workflows check their options against it before polling. */
export const TRACK_OPTION_MINIMUMS = {
  minPollIntervalMs: 100,
  maxPollIntervalMs: 100,
  deadlineMs: 1,
  stallTimeoutMs: 1,
  notFoundGraceMs: 0,
  maxPollsPerRun: 1,
} as const satisfies Record<Exclude<keyof TrackOptions, 'failOnStall'>, number>;
