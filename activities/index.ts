/**
 * The tracker's activities (package entry `airops-temporal/activities`): thin Temporal adapters over the AirOps HTTP
 * client. Built by a factory that receives its dependencies, so the worker process owns configuration and secrets
 * (the API key never enters a workflow input or history), and tests inject a client pointed at the simulator.
 *
 * Register them in your own worker next to the workflows of `airops-temporal/workflows`:
 *
 * ```ts
 * activities: { ...createActivities({ olostep: { apiKey: process.env.OLOSTEP_API_KEY! } }), ...myActivities }
 * ```
 *
 * @packageDocumentation
 */
import { Context } from '@temporalio/activity';
import { OlostepClient, type OlostepClientOptions } from '../olostep/client';
import type { BatchSnapshot } from '../olostep/snapshot';
import { awaitTrackerActivity } from './await-tracker';
import { createBatchActivity } from './create-batch';
import { activityFailure } from './failures';
import { itemsActivity } from './items';
import { JsonlFileSink, type ResultsSink } from './results-sink';

export { FAILURE_TYPE_BY_ERROR, toApplicationFailure } from './failures';
export { JsonlFileSink, DEFAULT_RESULTS_DIR, resultsFileName, type ResultsRef, type ResultsSink } from './results-sink';
export type { CreatedBatch, CreateAirOpsBatchOptions } from './create-batch';
export { ITEMS_NOT_READY, type CollectedItems, type FetchItemsOptions } from './items';

/** The HTTP calls the activities make: an {@link OlostepClient} or anything with the same three methods. */
export type ActivityApi = Pick<OlostepClient, 'getBatchStatus' | 'createBatch' | 'getBatchItems'>;

export interface ActivityDeps {
  /**
   * The AirOps API: client options (`apiKey`, `baseUrl`, `timeoutMs`, `itemsTimeoutMs`, agents...), from which the
   * factory builds an {@link OlostepClient}, or a client already built.
   */
  olostep: OlostepClientOptions | ActivityApi;
  /** Where collected items go. Default: a JSONL file per run under `./results` (JsonlFileSink). */
  resultsSink?: ResultsSink;
  /** The webhook URL added to create requests without one (a secret: never in workflow inputs). */
  webhookUrl?: string;
}

function isApi(o: ActivityDeps['olostep']): o is ActivityApi {
  return typeof (o as Partial<ActivityApi>).getBatchStatus === 'function';
}

/** The activities of trackAirOpsBatch and runAirOpsBatch, bound to one AirOps client and results sink. */
export function createActivities(deps: ActivityDeps) {
  const olostep = isApi(deps.olostep) ? deps.olostep : new OlostepClient(deps.olostep);
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
    fetchAirOpsBatchStatus: async (batchId: string): Promise<BatchSnapshot> => {
      const ctx = Context.current();
      // A slow call heartbeats (at a third of the caller's heartbeat timeout), so a worker that dies mid-call is
      // noticed within that timeout rather than the start-to-close one; a fast call sends no heartbeat at all.
      const every = ctx.info.heartbeatTimeoutMs ? ctx.info.heartbeatTimeoutMs / 3 : 0;
      const beat = every > 0 ? setInterval(() => ctx.heartbeat(), every) : undefined;
      try {
        const { snapshot } = await olostep.getBatchStatus(batchId, { signal: ctx.cancellationSignal });
        return snapshot;
      } catch (err) {
        throw activityFailure(err);
      } finally {
        clearInterval(beat);
      }
    },
    /** POST /v1/batches-airops, idempotent across retries; retry contract in activities/create-batch.ts. */
    createAirOpsBatch: createBatchActivity(
      olostep,
      deps.webhookUrl === undefined ? {} : { webhookUrl: deps.webhookUrl },
    ),
    /** GET …/items into the results sink, returning a reference and a summary; contract in activities/items.ts. */
    fetchAirOpsBatchItems: itemsActivity(olostep, resultsSink),
    /** Follows a tracker the run did not start; contract in activities/await-tracker.ts. */
    awaitAirOpsTracker: awaitTrackerActivity(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
