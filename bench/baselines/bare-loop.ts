// Baseline for the scale benchmark's overhead comparison (bench/scale.ts --compare bare): the least a Temporal
// workflow can do per poll. Sleep, one status call, nothing else: no search attributes, queries, signals, state or
// schedule. The status call is the tracker's own (fetchAirOpsBatchStatus, a regular activity with the tracker's
// options), or a local activity with `activity: 'local'`. It polls at a fixed interval that the benchmark chooses so
// that the fleet makes as many status calls per second as the tracker fleet it is compared with. Deterministic
// workflow code, bundled for the benchmark only (bench/baselines/bench-workflows.ts), never shipped.
import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const regular = proxyActivities<Activities>({
  startToCloseTimeout: '45 s',
  heartbeatTimeout: '10 s',
  retry: { maximumAttempts: 1 },
}).fetchAirOpsBatchStatus;
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '45 s',
  retry: { maximumAttempts: 1 },
}).fetchAirOpsBatchStatus;

export type BareLoopActivity = 'regular' | 'local';

/**
 * Polls batch `batchId` every `intervalMs`, forever: a first call at once (as a tracker does), then a first wait of a
 * random part of the interval (the workflow's seeded random) so that a fleet started together spreads its polls
 * evenly instead of polling in bursts, then the fixed interval.
 */
export async function bareLoopAirOpsBatch(
  batchId: string,
  intervalMs: number,
  activity: BareLoopActivity = 'regular',
): Promise<void> {
  const call = activity === 'local' ? local : regular;
  let wait = 1 + Math.floor(Math.random() * intervalMs);
  for (;;) {
    try {
      await call(batchId);
    } catch {
      // A failed call is a poll like another; the loop goes on.
    }
    await sleep(wait);
    wait = intervalMs;
  }
}
