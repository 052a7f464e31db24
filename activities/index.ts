// Thin Temporal adapters over olostep/. Built by a factory that receives its dependencies (the HTTP client),
// so the worker owns configuration and secrets, and tests inject a client pointed at the simulator.
import { Context } from '@temporalio/activity';
import type { OlostepClient } from '../olostep/client';
import type { BatchSnapshot } from '../olostep/snapshot';
import { awaitTrackerActivity } from './await-tracker';
import { createBatchActivity } from './create-batch';
import { toApplicationFailure } from './failures';
import { itemsActivity } from './items';
import { JsonlFileSink, type ResultsSink } from './results-sink';

export { FAILURE_TYPE_BY_ERROR, toApplicationFailure } from './failures';
export { JsonlFileSink, DEFAULT_RESULTS_DIR, resultsFileName, type ResultsRef, type ResultsSink } from './results-sink';
export type { CreatedBatch, CreateAirOpsBatchOptions } from './create-batch';
export { ITEMS_NOT_READY, type CollectedItems, type FetchItemsOptions } from './items';

export interface ActivityDeps {
  olostep: Pick<OlostepClient, 'getBatchStatus' | 'createBatch' | 'getBatchItems'>;
  /** Where collected items go. Default: a JSONL file per run under `./results` (JsonlFileSink). */
  resultsSink?: ResultsSink;
  /** The webhook URL added to create requests without one (a secret: never in workflow inputs). */
  webhookUrl?: string;
}

export function createActivities(deps: ActivityDeps) {
  const resultsSink = deps.resultsSink ?? new JsonlFileSink();
  return {
    /**
     * GET /v1/batches-airops/{batchId}, normalized into a BatchSnapshot. "Not finished yet" is a normal result.
     *
     * Retry contract: each call is one HTTP request. Failures are ApplicationFailures typed `NotFound`,
     * `Unauthorized`, `PaymentRequired`, `Forbidden`, `InvalidBatchId`, `Validation` (non-retryable) or
     * `RateLimited` (with `nextRetryDelay` from Retry-After), `ServerError`, `Network`, `Timeout`,
     * `ContractViolation`, `Conflict` (retryable). The tracker runs it with one attempt per poll and owns the
     * backoff, so every failed call is counted by type in its poll statistics.
     */
    async fetchAirOpsBatchStatus(batchId: string): Promise<BatchSnapshot> {
      const ctx = Context.current();
      // A slow call heartbeats (at a third of the caller's heartbeat timeout), so a worker that dies mid-call is
      // noticed within that timeout rather than the start-to-close one; a fast call sends no heartbeat at all.
      const every = ctx.info.heartbeatTimeoutMs ? ctx.info.heartbeatTimeoutMs / 3 : 0;
      const beat = every > 0 ? setInterval(() => ctx.heartbeat(), every) : undefined;
      try {
        const { snapshot } = await deps.olostep.getBatchStatus(batchId, { signal: ctx.cancellationSignal });
        return snapshot;
      } catch (err) {
        throw toApplicationFailure(err);
      } finally {
        clearInterval(beat);
      }
    },
    /** POST /v1/batches-airops, idempotent across retries; retry contract in activities/create-batch.ts. */
    createAirOpsBatch: createBatchActivity(
      deps.olostep,
      deps.webhookUrl === undefined ? {} : { webhookUrl: deps.webhookUrl },
    ),
    /** GET …/items into the results sink, returning a reference and a summary; contract in activities/items.ts. */
    fetchAirOpsBatchItems: itemsActivity(deps.olostep, resultsSink),
    /** Follows a tracker the run did not start; contract in activities/await-tracker.ts. */
    awaitAirOpsTracker: awaitTrackerActivity(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
