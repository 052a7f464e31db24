// trackAirOpsBatch: follows one AirOps batch to a terminal status. Deterministic workflow code: the state and its
// reducer live in ./tracker-state and ./reducer, progress and outcome in ./progress, the poll decision in ./schedule,
// the API behind one activity.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { batchIdProblem } from '../olostep/batch-id';
import { PHASES } from '../olostep/enums';
import { isBatchSnapshot, toSnapshot } from '../olostep/normalize';
import type { BatchSnapshot } from '../olostep/snapshot';
import {
  DONE_PHASE,
  TRACK_DEFAULTS,
  TRACK_OPTION_MINIMUMS,
  airopsEvent,
  getPollStats,
  getProgress,
  getTimeline,
  refreshNow,
  searchAttributes,
  type AirOpsEvent,
  type TrackCarry,
  type TrackOptions,
  type TrackResult,
} from './contract';
import {
  ACTIVITY_TIMEOUT_FAILURE_TYPE,
  TRACKING_ENDS_ON,
  TRACK_FAILURE_TYPES,
  UNEXPECTED_FAILURE_TYPE,
} from './failure-types';
import { recordPoll, recordPollError } from './poll-stats';
import { outcomeOf, progressOf, type BatchProgress } from './progress';
import { applySnapshot } from './reducer';
import { initialState, isTerminal, type TrackerState } from './tracker-state';
import { nextPollDelay } from './schedule';
import { PRE_RELEASE_PATCHES as PRE_RELEASE, PreReleaseRun } from './pre-release-histories';

/**
 * The status call is a regular activity, not a local one. A local activity holds the workflow task while it runs,
 * so queries, signals and updates wait behind a slow API; and when a query is answered while a finished local
 * activity's result is not yet applied, the SDK completes the task with the activity's marker but without the code
 * that follows it, which replay then runs one task early (see docs/determinism.md). A regular activity's result
 * always arrives in a workflow task of its own, live and on replay alike.
 */
const STATUS_CALL_OPTIONS = {
  // The client's own timeout is 30 s; this bounds a hung worker.
  startToCloseTimeout: '45 s',
  // The activity heartbeats while a call is slow, so a worker that dies mid-call is noticed within this.
  heartbeatTimeout: '10 s',
  // One attempt per poll: the loop below is the retry loop, so each failure is counted by type in getPollStats
  // and the backoff follows the poll schedule (and Retry-After) instead of a second, hidden schedule.
  retry: { maximumAttempts: 1 },
  summary: 'GET /v1/batches-airops/{batch_id}',
} as const;
const statusCall = proxyActivities<Activities>(STATUS_CALL_OPTIONS).fetchAirOpsBatchStatus;

/**
 * A poll timer the loop can keep across wake-ups: `fired` once it ran out, cancelled through `scope`. Timers share a
 * scope until one of them is cancelled (cancelling a scope cancels only its timer that has not fired), so a poll does
 * not create a scope (and its promises) of its own.
 */
interface PollTimer {
  dueAt: number;
  fired: boolean;
  scope: CancellationScope;
}

/** A running timer serves a new plan that is due at most 1 s earlier or a little later (10 %, at least 1 s). */
function timerServes(timer: PollTimer, dueAt: number, delay: number): boolean {
  const later = dueAt - timer.dueAt;
  return !timer.fired && later >= -1_000 && later <= Math.max(1_000, delay / 10);
}

interface ResolvedOptions {
  minPollIntervalMs: number;
  maxPollIntervalMs: number;
  deadlineMs: number | null;
  stallTimeoutMs: number;
  failOnStall: boolean;
  notFoundGraceMs: number;
  maxPollsPerRun: number;
}

function resolveOptions(options: TrackOptions | undefined): ResolvedOptions {
  const o = options ?? {};
  const problems: string[] = [];
  const ms = (name: keyof typeof TRACK_OPTION_MINIMUMS, fallback: number | null): number | null => {
    const v = o[name];
    const min = TRACK_OPTION_MINIMUMS[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      problems.push(`${name} must be a number >= ${min}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const resolved: ResolvedOptions = {
    minPollIntervalMs: ms('minPollIntervalMs', TRACK_DEFAULTS.minPollIntervalMs) ?? TRACK_DEFAULTS.minPollIntervalMs,
    maxPollIntervalMs: ms('maxPollIntervalMs', TRACK_DEFAULTS.maxPollIntervalMs) ?? TRACK_DEFAULTS.maxPollIntervalMs,
    deadlineMs: ms('deadlineMs', null),
    stallTimeoutMs: ms('stallTimeoutMs', TRACK_DEFAULTS.stallTimeoutMs) ?? TRACK_DEFAULTS.stallTimeoutMs,
    failOnStall: o.failOnStall === true,
    notFoundGraceMs: ms('notFoundGraceMs', TRACK_DEFAULTS.notFoundGraceMs) ?? TRACK_DEFAULTS.notFoundGraceMs,
    maxPollsPerRun: ms('maxPollsPerRun', TRACK_DEFAULTS.maxPollsPerRun) ?? TRACK_DEFAULTS.maxPollsPerRun,
  };
  if (resolved.minPollIntervalMs > resolved.maxPollIntervalMs) {
    problems.push(
      `minPollIntervalMs (${resolved.minPollIntervalMs}) exceeds maxPollIntervalMs (${resolved.maxPollIntervalMs})`,
    );
  }
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: TRACK_FAILURE_TYPES.invalidOptions,
      message: problems.join('; '),
      nonRetryable: true,
    });
  }
  return resolved;
}

/** The markdown the Temporal UI shows as the workflow's current details: one row per phase. */
function detailsMarkdown(p: BatchProgress): string {
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(v));
  const rows = PHASES.map((name) => {
    const ph = p.phases[name];
    const pct = ph.percent === null ? '–' : `${ph.percent}%`;
    return `| ${name} | ${ph.state ?? '–'} | ${cell(ph.done)} / ${cell(ph.total)} | ${pct} |`;
  });
  const eta = p.etaMs === null ? 'unknown' : `${Math.round(p.etaMs / 1000)} s`;
  return [
    `**Batch** \`${p.batchId}\` · **${p.overall ?? 'unknown'}** · ${p.percent}% · ETA ${eta}${p.stalled ? ' · ⚠ stalled' : ''}`,
    '',
    '| phase | state | done / total | progress |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Describes an activity failure as (type, message, Retry-After) without ever holding a raw error object. */
function describeFailure(err: unknown): { type: string; message: string; retryAfterMs: number | null } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { retryAfterMs?: unknown } | undefined;
    const retryAfterMs = typeof detail?.retryAfterMs === 'number' ? detail.retryAfterMs : null;
    return { type: cause.type ?? 'ApplicationFailure', message: cause.message, retryAfterMs };
  }
  if (cause instanceof TimeoutFailure) {
    return { type: ACTIVITY_TIMEOUT_FAILURE_TYPE, message: cause.message, retryAfterMs: null };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { type: UNEXPECTED_FAILURE_TYPE, message, retryAfterMs: null };
}

/**
 * Follows AirOps batch `batchId` until it completes or fails, polling GET /v1/batches-airops/{batchId} on an
 * adaptive schedule and merging webhook events (`airopsEvent`) as they come. Start it with the workflow id
 * `trackerWorkflowId(batchId)` so starting twice is idempotent. `carry` is internal (continue-as-new).
 */
export async function trackAirOpsBatch(
  batchId: string,
  options?: TrackOptions,
  carry?: TrackCarry,
): Promise<TrackResult> {
  const idProblem = batchIdProblem(batchId);
  if (idProblem !== null) {
    throw ApplicationFailure.create({
      type: TRACK_FAILURE_TYPES.invalidBatchId,
      message: `invalid batch id: ${idProblem}`,
      nonRetryable: true,
    });
  }
  const opts = resolveOptions(options);

  let state: TrackerState = carry?.state ?? initialState(batchId, Date.now());
  const runs = carry?.runs ?? 1;
  let stalledFlag = carry?.stalledFlag ?? false;
  let woken = false;
  let pollsThisRun = 0;
  let consecutiveErrors = 0;
  let retryAfterMs: number | null = null;
  // An object, not a `let`: TypeScript would narrow a closure-assigned `let` to its initial null.
  const ended: { fatal: ApplicationFailure | null } = { fatal: null };
  const deadlineAt = opts.deadlineMs === null ? null : state.trackingSince + opts.deadlineMs;
  // Runs recorded by the pre-release tracker replay on its local-activity status call and its patch markers.
  // `marker()` returns a promise only when there is something to wait for, and only then is it awaited, so the runs
  // of today's code take no extra turn at these points.
  const preRelease = new PreReleaseRun();

  const progress = (): BatchProgress => progressOf(state, Date.now(), { stallTimeoutMs: opts.stallTimeoutMs });

  // Search attributes are upserted only when a value changes (each upsert is a history event).
  const upserted = new Map<string, unknown>();
  const current = workflowInfo().typedSearchAttributes;
  for (const key of Object.values(searchAttributes)) upserted.set(key.name, current.get(key));
  function publish(): void {
    const p = progress();
    const wanted: SearchAttributeUpdatePair[] = [];
    const want = <T>(pair: SearchAttributeUpdatePair, value: T | null) => {
      if (value === null || upserted.get(pair.key.name) === value) return;
      upserted.set(pair.key.name, value);
      wanted.push(pair);
    };
    want({ key: searchAttributes.batchId, value: batchId }, batchId);
    if (state.overall !== null) want({ key: searchAttributes.status, value: state.overall }, state.overall);
    const phase = state.currentPhase ?? DONE_PHASE;
    want({ key: searchAttributes.phase, value: phase }, phase);
    if (state.totalUrls !== null) want({ key: searchAttributes.totalUrls, value: state.totalUrls }, state.totalUrls);
    want({ key: searchAttributes.stalled, value: stalledFlag }, stalledFlag);
    if (wanted.length > 0) upsertSearchAttributes(wanted);
    setCurrentDetails(detailsMarkdown(p));
  }

  function merge(snap: BatchSnapshot): void {
    state = applySnapshot(state, snap, Date.now());
  }

  async function poll(): Promise<void> {
    pollsThisRun++;
    try {
      const snap = await (preRelease.isLocalStatusCall() ? preRelease.localStatusCall : statusCall)(batchId);
      state = recordPoll(state, Date.now());
      merge(snap);
      consecutiveErrors = 0;
      retryAfterMs = null;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      state = recordPollError(state, f.type, f.message, Date.now());
      consecutiveErrors++;
      retryAfterMs = f.retryAfterMs;
      const wait = f.type === TRACK_FAILURE_TYPES.validation && preRelease.marker(PRE_RELEASE.validationEndsTracking);
      if (wait) await wait;
      const inGrace =
        f.type === TRACK_FAILURE_TYPES.notFound && Date.now() - state.trackingSince < opts.notFoundGraceMs;
      if (TRACKING_ENDS_ON.includes(f.type) && !inGrace) {
        ended.fatal = ApplicationFailure.create({ type: f.type, message: f.message, nonRetryable: true });
      }
    }
  }

  setHandler(airopsEvent, (event: AirOpsEvent) => {
    const snap = isBatchSnapshot(event) ? event : toSnapshot(event);
    if (snap === null) {
      log.warn('airopsEvent ignored: not a webhook payload or snapshot', { batchId });
      return;
    }
    if (snap.batchId !== batchId) {
      log.warn('airopsEvent ignored: it is for another batch', { batchId, eventBatchId: snap.batchId.slice(0, 64) });
      return;
    }
    merge(snap);
    woken = true;
  });

  setHandler(refreshNow, async () => {
    if (!isTerminal(state) && ended.fatal === null) await poll();
    woken = true;
    publish();
    return progress();
  });

  setHandler(getProgress, progress);
  setHandler(getTimeline, () => state.timeline);
  setHandler(getPollStats, () => state.stats);

  let pollTimer: PollTimer | null = null;
  let timerScope: CancellationScope | null = null;
  function startPollTimer(dueAt: number, delay: number, summary: string): PollTimer {
    const scope = (timerScope ??= new CancellationScope());
    const timer: PollTimer = { dueAt, fired: false, scope };
    scope
      .run(() => sleep(delay, { summary }))
      .then(
        () => (timer.fired = true),
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
    return timer;
  }

  // What ends a wait, one function for every wait: the SDK keeps each condition's function for as long as the run
  // lasts (the root scope's cancellation handler holds it), so it must not hold anything of its own poll.
  const wakeUp = () => pollTimer?.fired === true || woken || ended.fatal !== null || isTerminal(state);

  let endedBy: TrackResult['endedBy'] = 'terminal';
  try {
    if (carry === undefined) await poll(); // right away: a fresh tracker knows nothing yet
    for (;;) {
      publish();
      if (ended.fatal !== null) throw ended.fatal;
      if (isTerminal(state)) break;

      const now = Date.now();
      const p = progress();
      if (p.stalled !== stalledFlag) {
        stalledFlag = p.stalled;
        publish();
        if (stalledFlag && opts.failOnStall) {
          throw ApplicationFailure.create({
            type: TRACK_FAILURE_TYPES.stalled,
            message: `batch ${batchId} made no progress for ${Math.round(p.noProgressForMs / 1000)} s`,
            nonRetryable: true,
            details: [outcomeOf(state, now)],
          });
        }
      }
      if (deadlineAt !== null && now >= deadlineAt) {
        throw ApplicationFailure.create({
          type: TRACK_FAILURE_TYPES.deadlineExceeded,
          message: `batch ${batchId} still ${state.overall ?? 'unknown'} after the ${opts.deadlineMs} ms tracking deadline`,
          nonRetryable: true,
          details: [outcomeOf(state, now)],
        });
      }

      if (pollsThisRun >= opts.maxPollsPerRun || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof trackAirOpsBatch>(batchId, options, { state, runs: runs + 1, stalledFlag });
      }

      const planWait = preRelease.marker(PRE_RELEASE.approachEstimatedEnd);
      if (planWait) await planWait;
      const delay = nextPollDelay(state, now, opts, { consecutiveErrors, retryAfterMs });
      woken = false;
      const summary = `next status poll in ${Math.round(delay / 1000)} s (${state.currentPhase ?? 'final status'})`;
      // A webhook re-plans the wait, but the running poll timer is kept when the new plan lands at about the same
      // time (no TimerCanceled + TimerStarted per webhook).
      const timerWait = preRelease.marker(PRE_RELEASE.keepPollTimer);
      if (timerWait) await timerWait;
      if (pollTimer === null || !timerServes(pollTimer, now + delay, delay)) {
        if (pollTimer !== null) {
          pollTimer.scope.cancel();
          timerScope = null;
        }
        pollTimer = startPollTimer(now + delay, delay, summary);
      }
      await condition(wakeUp);
      const timedOut = pollTimer.fired;
      if (timedOut) pollTimer = null;
      // A webhook only re-plans the wait; the poll happens when the planned wait runs out.
      if (timedOut && !isTerminal(state) && (deadlineAt === null || Date.now() < deadlineAt)) await poll();
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    endedBy = 'cancelled';
  }
  // Non-cancellable: after a cancel request the root scope is cancelled, and waiting in it would throw at once.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return { ...outcomeOf(state, Date.now()), endedBy, runs };
}
