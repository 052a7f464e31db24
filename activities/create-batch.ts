// The create call of a run, as a Temporal activity: idempotent across retries through a stable Idempotency-Key.
import { Context } from '@temporalio/activity';
import type { OlostepClient } from '../olostep/client';
import type { CreateBatchRequestInput } from '../olostep/schemas';
import type { BatchSnapshot } from '../olostep/snapshot';
import { runIdempotencyKey } from '../workflows/run-keys';
import { activityFailure } from './failures';

export interface CreateAirOpsBatchOptions {
  /**
   * Sent as `Idempotency-Key` on every attempt. The run workflow passes `runIdempotencyKey(workflowId,
   * firstExecutionRunId)`; when absent, the same rule is applied to this activity's workflow execution.
   */
  idempotencyKey?: string;
}

/** What the create call returns to workflow code: the id and the create response's status, nothing large. */
export interface CreatedBatch {
  batchId: string;
  totalUrls: number | null;
  createdAt: number | null;
  idempotencyKey: string;
  snapshot: BatchSnapshot;
}

/** Builds the `createAirOpsBatch` activity around an AirOps client (the worker's, with the API key). */
export interface CreateBatchActivityDeps {
  /**
   * The webhook receiver's URL, from the worker's configuration (OLOSTEP_WEBHOOK_URL), set as the `webhook` of
   * every create request without a `webhook` field (`webhook: null` asks for none). It usually carries the receiver's secret, so it lives in the worker's
   * environment and is added here, in the activity, never in workflow inputs or history.
   */
  webhookUrl?: string;
}

export function createBatchActivity(olostep: Pick<OlostepClient, 'createBatch'>, deps: CreateBatchActivityDeps = {}) {
  /**
   * POST /v1/batches-airops with an `Idempotency-Key` that is the same on every attempt of the run.
   *
   * Retry contract: safe to retry at any point. When an attempt's request reached the API but its response was
   * lost (timeout, reset, truncated body, 5xx from a gateway), the retry sends the same key and body, so the API
   * answers from its idempotency cache (docs/airops-api.md#idempotency) with the batch already created, instead of creating a second
   * one; while the first request is still being processed it answers 409, a retryable `Conflict`. Non-retryable
   * failures: `Validation` (the request breaks a documented limit, checked locally before sending, or a 400/422,
   * e.g. `idempotency_key_reuse`), `Unauthorized` (401), `PaymentRequired` (402), `Forbidden` (403). Retryable:
   * `Conflict`, `RateLimited` (next retry after Retry-After), `ServerError`, `Network`, `Timeout`,
   * `ContractViolation`. Keys live 24 h at the API, so callers must bound retries well inside that (the run
   * workflow: schedule-to-close 1 h).
   */
  return async function createAirOpsBatch(
    request: CreateBatchRequestInput,
    options: CreateAirOpsBatchOptions = {},
  ): Promise<CreatedBatch> {
    const ctx = Context.current();
    const exec = ctx.info.workflowExecution;
    const idempotencyKey =
      options.idempotencyKey ?? runIdempotencyKey(exec?.workflowId ?? 'standalone', exec?.runId ?? ctx.info.activityId);
    // Only an absent `webhook` gets the worker's; `webhook: null` asks for none.
    const body =
      deps.webhookUrl !== undefined && request.webhook === undefined
        ? { ...request, webhook: deps.webhookUrl }
        : request;
    try {
      const created = await olostep.createBatch(body, { idempotencyKey, signal: ctx.cancellationSignal });
      return {
        batchId: created.batchId,
        totalUrls: created.snapshot.totalUrls,
        createdAt: created.snapshot.createdAt,
        idempotencyKey,
        snapshot: created.snapshot,
      };
    } catch (err) {
      throw activityFailure(clipDetails(err));
    }
  };
}

/** A local validation of a 10,000-item request can list 10,000 problems; a failure needs the first few. */
export function clipDetails(err: unknown, max = 20): unknown {
  const details = (err as { details?: unknown } | null)?.details;
  if (err instanceof Error && Array.isArray(details) && details.length > max) {
    Object.defineProperty(err, 'details', { value: details.slice(0, max), enumerable: true, configurable: true });
  }
  return err;
}
