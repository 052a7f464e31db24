// Poll statistics of a tracker: status calls, errors by type, the last error. Pure functions over the tracker's
// state (deterministic workflow code).
import type { TrackerState } from './tracker-state';

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
