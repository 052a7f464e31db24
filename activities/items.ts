// Collecting a batch's items: one GET that may return 10,000 items, written to a results sink outside history;
// the workflow receives a reference and a summary.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { OlostepClient } from '../olostep/client';
import { summarizeItems, type ItemsSummary, type ResultsRef } from '../workflows/run-summary';
import { activityFailure } from './failures';
import type { ResultsSink } from './results-sink';

export interface FetchItemsOptions {
  /** Sink key (the run workflow passes `runResultsKey(workflowId, batchId)`). Default: `<workflowId>.<batchId>`. */
  runKey?: string;
}

/** What the workflow gets: where the items are and what they say, never the items themselves. */
export interface CollectedItems {
  batchId: string;
  results: ResultsRef;
  summary: ItemsSummary;
}

/** Failure type when the items endpoint still answers "in progress" (no items yet). Retryable. */
export const ITEMS_NOT_READY = 'ItemsNotReady';

const HEARTBEAT_EVERY_MS = 5_000;

/** Builds the `fetchAirOpsBatchItems` activity around an AirOps client and a results sink. */
export function itemsActivity(olostep: Pick<OlostepClient, 'getBatchItems'>, sink: ResultsSink) {
  /**
   * GET /v1/batches-airops/{batchId}/items, then writes every item to the results sink and returns the sink's
   * reference and a summary. Accepts the finished body (`completed`) and a failed batch's partial body (any other
   * status that carries items or counts), so a failed batch still reports the items it has.
   *
   * Retry contract: idempotent (a GET, and the sink overwrites the run's file atomically). Heartbeats every 5 s
   * while the request and the write run. Failures: `ItemsNotReady` (retryable) while the body is still the
   * in-progress shape with no items; `NotFound`, `Unauthorized`, `PaymentRequired`, `Forbidden`, `InvalidBatchId`
   * (non-retryable); `RateLimited` (next retry after Retry-After), `ServerError`, `Network`, `Timeout`,
   * `ContractViolation` (retryable). The run workflow bounds the attempts and reports a batch whose items never
   * came as `itemsError` instead of failing.
   */
  return async function fetchAirOpsBatchItems(
    batchId: string,
    options: FetchItemsOptions = {},
  ): Promise<CollectedItems> {
    const ctx = Context.current();
    let stage = 'fetching';
    ctx.heartbeat({ stage });
    const beat = setInterval(() => ctx.heartbeat({ stage }), HEARTBEAT_EVERY_MS);
    try {
      let got;
      try {
        got = await olostep.getBatchItems(batchId, { signal: ctx.cancellationSignal });
      } catch (err) {
        throw activityFailure(err);
      }
      const notReady = !got.complete && got.items.length === 0 && got.counts === null;
      if (notReady) {
        throw ApplicationFailure.create({
          type: ITEMS_NOT_READY,
          message: `items of ${batchId} are not ready: status ${JSON.stringify(got.status)}${got.message ? `, ${got.message.slice(0, 200)}` : ''}`,
          nonRetryable: false,
          details: [{ status: got.status }],
        });
      }
      stage = 'writing';
      ctx.heartbeat({ stage, items: got.items.length });
      const exec = ctx.info.workflowExecution;
      const results = await sink.write(options.runKey ?? `${exec?.workflowId ?? 'standalone'}.${batchId}`, got.items);
      stage = 'summarizing';
      const summary = summarizeItems(got.items, {
        itemsStatus: got.status,
        complete: got.complete,
        apiCounts: got.counts
          ? {
              total: got.counts.total ?? null,
              succeeded: got.counts.succeeded ?? null,
              failed: got.counts.failed ?? null,
            }
          : null,
        unknownValues: got.unknownValues,
      });
      return { batchId, results, summary };
    } finally {
      clearInterval(beat);
    }
  };
}
