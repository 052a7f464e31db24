// A model of the tracker's poll loop without Temporal: the workflow's own pure pieces (the lifecycle reducer and
// nextPollDelay) driven against the simulator's pure plan (statusResponseAt), in virtual time. It reproduces the
// polling-only loop of trackAirOpsBatch (first poll at once, then nextDelay: schedule, stall bound; no errors,
// no webhooks), so hundreds of seeds take a second and the tail of the lag distribution becomes visible; the
// efficiency benchmark checks the real workflow on the time-skipping server against it.
import { snapshotFromStatusResponse } from '../../olostep/normalize';
import { BatchStatusResponse } from '../../olostep/schemas';
import { buildPlan, groundTruthOf, statusResponseAt } from '../../simulator/lifecycle';
import { resolveScript, type BatchScript } from '../../simulator/scenarios';
import {
  DEFAULT_STALL_TIMEOUT_MS,
  applySnapshot,
  initialState,
  isTerminal,
  recordPoll,
} from '../../workflows/lifecycle';
import { nextPollDelay, type PollScheduleOptions } from '../../workflows/schedule';

const PHASE_OF: Record<string, { phase: 'scraping' | 'analyzing' | 'enriching' | 'overall'; to: string }> = {
  'event.batch.airops.scraping_completed': { phase: 'scraping', to: 'completed' },
  'event.batch.airops.analyzing_completed': { phase: 'analyzing', to: 'completed' },
  'event.batch.airops.enriching_started': { phase: 'enriching', to: 'started' },
  'event.batch.airops.enriching_completed': { phase: 'enriching', to: 'completed' },
  'event.batch.airops.completed': { phase: 'overall', to: 'completed' },
};

export interface ModelRun {
  seed: string;
  calls: number;
  /** Per transition (short event name): first poll at or after it, minus when it happened (ms). */
  lagMs: Record<string, number>;
  pollTimes: number[];
}

export type DelayFn = (state: ReturnType<typeof initialState>, now: number, opts: PollScheduleOptions) => number;

/** Tracks one simulated batch with the workflow's schedule; `delayFn` defaults to the workflow's nextPollDelay. */
export function modelTracking(
  script: BatchScript,
  seed: string,
  urls: number,
  opts: { minIntervalMs?: number; maxIntervalMs?: number; delayFn?: DelayFn; approachEnd?: boolean } = {},
): ModelRun {
  const created = Date.UTC(2026, 0, 1);
  const plan = buildPlan({
    id: `batch_model_${seed}`,
    created,
    items: Array.from({ length: urls }, (_, i) => ({ url: `https://example.test/m/${i}`, custom_id: `m${i}` })),
    brands: [],
    script: resolveScript([{ ...script, seed }], seed),
  });
  // approachEnd as the workflow runs it; false = landing on the estimate (the baseline).
  const schedule: PollScheduleOptions = {
    minIntervalMs: opts.minIntervalMs ?? 2_000,
    maxIntervalMs: opts.maxIntervalMs ?? 15 * 60_000,
    approachEnd: opts.approachEnd ?? true,
  };
  const delayFn: DelayFn = opts.delayFn ?? ((s, now, o) => nextPollDelay(s, now, o));
  let state = initialState(plan.id, created);
  const pollTimes: number[] = [];
  let now = created;
  for (let i = 0; i < 100_000; i++) {
    pollTimes.push(now);
    state = recordPoll(state, now);
    state = applySnapshot(
      state,
      snapshotFromStatusResponse(BatchStatusResponse.parse(statusResponseAt(plan, now))),
      now,
    );
    if (isTerminal(state)) break;
    // As the workflow's nextDelay: the schedule, bounded by the stall check (30 min default).
    let delay = delayFn(state, now, schedule);
    const stallAt = (state.lastProgressAt ?? state.trackingSince) + DEFAULT_STALL_TIMEOUT_MS;
    if (stallAt > now) delay = Math.min(delay, stallAt - now + 1);
    now += Math.max(1, Math.round(delay));
  }
  const lagMs: Record<string, number> = {};
  for (const e of groundTruthOf(plan).events) {
    if (!PHASE_OF[e.type]) continue;
    const seen = pollTimes.find((t) => t >= e.at);
    lagMs[e.type.replace('event.batch.airops.', '')] = seen === undefined ? NaN : seen - e.at;
  }
  return { seed, calls: pollTimes.length, lagMs, pollTimes: pollTimes.map((t) => t - created) };
}
