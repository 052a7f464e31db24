// Waiting on a tracker the run did not start itself. When a webhook receiver starts the batch's tracker first
// (its `scraping_started` event can arrive before the create response), the run's child start finds the workflow
// id taken; this activity follows that tracker to its result instead of starting a second one.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { trackerWorkflowId, type TrackResult } from '../workflows/contract';

/** Failure type when the awaited tracker was cancelled or terminated. Non-retryable. */
export const TRACKER_ENDED = 'TrackingEnded';

/** Builds the `awaitAirOpsTracker` activity; it uses the worker's own Temporal client (`Context.client`). */
export function awaitTrackerActivity(heartbeatEveryMs = 10_000) {
  /**
   * Waits for the result of the tracker `trackerWorkflowId(batchId)` (following continue-as-new), through the
   * worker's own Temporal client, heartbeating every 10 s so a lost worker is noticed within the heartbeat timeout.
   *
   * Retry contract: idempotent (it only reads). A retry re-attaches to the same tracker. Failures: the tracker's
   * own failure type (`NotFound`, `TrackingDeadlineExceeded`, `BatchStalled`, ...) and `TrackingEnded` (cancelled or
   * terminated) are non-retryable; errors reaching the server are retryable.
   */
  return async function awaitAirOpsTracker(batchId: string): Promise<TrackResult> {
    const ctx = Context.current();
    const handle = ctx.client.workflow.getHandle(trackerWorkflowId(batchId));
    ctx.heartbeat();
    const beat = setInterval(() => ctx.heartbeat(), heartbeatEveryMs);
    try {
      // The client cannot abort the long poll over a NativeConnection; racing with `cancelled` still ends the attempt.
      return (await Promise.race([handle.result(), ctx.cancelled])) as TrackResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause;
        if (cause instanceof ApplicationFailure) {
          throw ApplicationFailure.create({
            type: cause.type ?? 'TrackerFailed',
            message: `tracker of ${batchId} failed: ${cause.message}`,
            nonRetryable: true,
            details: cause.details ? [...cause.details] : undefined,
          });
        }
        throw ApplicationFailure.create({
          type: TRACKER_ENDED,
          message: `tracker of ${batchId} ended without a result: ${cause instanceof CancelledFailure ? 'cancelled' : (cause?.message ?? err.message)}`,
          nonRetryable: true,
        });
      }
      throw err;
    } finally {
      clearInterval(beat);
    }
  };
}
