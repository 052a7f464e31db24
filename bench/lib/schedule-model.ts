// A model of the tracker's poll loop without Temporal: the workflow's own pure pieces (the reducer and its poll
// decision, nextPollDelay, with the tracker's defaults) driven against the simulator's pure plan (statusResponseAt),
// in virtual time. It reproduces the polling-only loop of trackAirOpsBatch (first poll at once, then wait what
// nextPollDelay says; no errors, no webhooks, no deadline), so hundreds of seeds take a second and the tail of the lag
// distribution becomes visible; the efficiency benchmark checks the real workflow on the time-skipping server
// against it.
import { snapshotFromStatusResponse } from '../../olostep/normalize';
import { BatchStatusResponse } from '../../olostep/schemas';
import { buildPlan, groundTruthOf, statusResponseAt } from '../../simulator/lifecycle';
import { resolveScript, type BatchScript } from '../../simulator/scenarios';
import { recordPoll } from '../../workflows/poll-stats';
import { applySnapshot } from '../../workflows/reducer';
import { DEFAULT_POLL_OPTIONS, nextPollDelay, type PollOptions } from '../../workflows/schedule';
import { initialState, isTerminal } from '../../workflows/tracker-state';

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

/**
 * Tracks one simulated batch with the workflow's poll decision and the tracker's default options; `opts` overrides
 * some of them (`approachEnd: false`: landing on the estimated end, the baseline).
 */
export function modelTracking(
  script: BatchScript,
  seed: string,
  urls: number,
  opts: Partial<PollOptions> = {},
): ModelRun {
  const created = Date.UTC(2026, 0, 1);
  const plan = buildPlan({
    id: `batch_model_${seed}`,
    created,
    items: Array.from({ length: urls }, (_, i) => ({ url: `https://example.test/m/${i}`, custom_id: `m${i}` })),
    brands: [],
    script: resolveScript([{ ...script, seed }], seed),
  });
  const pollOptions: PollOptions = { ...DEFAULT_POLL_OPTIONS, ...opts };
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
    now += nextPollDelay(state, now, pollOptions);
  }
  const lagMs: Record<string, number> = {};
  for (const e of groundTruthOf(plan).events) {
    if (!PHASE_OF[e.type]) continue;
    const seen = pollTimes.find((t) => t >= e.at);
    lagMs[e.type.replace('event.batch.airops.', '')] = seen === undefined ? NaN : seen - e.at;
  }
  return { seed, calls: pollTimes.length, lagMs, pollTimes: pollTimes.map((t) => t - created) };
}
