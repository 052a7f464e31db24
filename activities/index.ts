// Thin Temporal adapters over olostep/. Built by a factory that receives its dependencies (the HTTP client),
// so the worker owns configuration and secrets, and tests inject a client pointed at the simulator.
import { Context } from '@temporalio/activity';
import type { OlostepClient } from '../olostep/client';
import type { BatchSnapshot } from '../olostep/snapshot';
import { toApplicationFailure } from './failures';

export { FAILURE_TYPE_BY_ERROR, toApplicationFailure } from './failures';

export interface ActivityDeps {
  olostep: Pick<OlostepClient, 'getBatchStatus'>;
}

export function createActivities(deps: ActivityDeps) {
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
      try {
        const { snapshot } = await deps.olostep.getBatchStatus(batchId, { signal: ctx.cancellationSignal });
        return snapshot;
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
