// Replaying trackers recorded by the pre-release tracker (before 0.2.0), whose status call was a local activity.
// Deterministic workflow code. Why this exists and why it waits a task: docs/determinism.md.
import { condition, patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * The patches the pre-release tracker recorded in every run (the last pre-release code had all four on), by where it
 * asked for them: before each status call, when a 400 ended tracking, when it planned a poll's delay, and when it
 * kept or re-armed the poll timer.
 */
export const PRE_RELEASE_PATCHES = {
  statusCallLocal: 'status-call-local-activity',
  validationEndsTracking: 'validation-ends-tracking',
  approachEstimatedEnd: 'poll-schedule-approach-estimated-end',
  keepPollTimer: 'keep-poll-timer-when-plan-unchanged',
} as const;
export type PreReleasePatch = (typeof PRE_RELEASE_PATCHES)[keyof typeof PRE_RELEASE_PATCHES];

const localStatusCall = proxyLocalActivities<Activities>({
  startToCloseTimeout: '45 s',
  retry: { maximumAttempts: 1 },
  summary: 'GET /v1/batches-airops/{batch_id}',
}).fetchAirOpsBatchStatus;

/**
 * One tracker run's view of whether the pre-release tracker recorded it. A run started by today's code never is:
 * this asks only while replaying, and `patched()` on replay answers from the history without recording anything. A
 * run is a pre-release one once a pre-release patch marker turns up in its history, and stays one to its end, live
 * too, so that a run recorded partly by each code replays the same way: the patch markers are recorded where the
 * pre-release code recorded them, and once a status call was a local activity, every later one in the run is too.
 */
export class PreReleaseRun {
  private recorded = false;
  private local = false;

  /** Asked before every status call: whether this one is the pre-release local activity. */
  isLocalStatusCall(): boolean {
    if (!this.local && workflowInfo().unsafe.isReplaying && patched(PRE_RELEASE_PATCHES.statusCallLocal)) {
      this.local = this.recorded = true;
    }
    return this.local;
  }

  /** The status call of a pre-release run whose status calls are local activities. */
  readonly localStatusCall = localStatusCall;

  /**
   * Records `id`'s marker where the pre-release code asked for it, in a pre-release run; nothing in any other run.
   * On replay the marker may sit in the next workflow task: when a query was answered while a local activity's
   * result was pending, the pre-release tracker recorded that activity's marker in one task and the code after it
   * in the next, while replay hands the result over in the first. `patched()` does not know the marker yet there,
   * so this returns a promise that waits for the next task (at most one) instead of answering without the marker as
   * the pre-release code did. It returns nothing when there is nothing to wait for; await only what it returns, so
   * that other runs take no extra turn.
   */
  marker(id: PreReleasePatch): Promise<void> | undefined {
    const replaying = workflowInfo().unsafe.isReplaying;
    if (!this.recorded) {
      if (replaying && patched(id)) this.recorded = true;
      return undefined;
    }
    if (patched(id) || !this.local || !replaying) return undefined;
    const taskOf = workflowInfo().historyLength;
    return condition(() => patched(id) || workflowInfo().historyLength > taskOf);
  }
}
