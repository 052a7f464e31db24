// Reading a batch's tracker from any service: progress (query), a fresh poll (update), waiting with live progress,
// a description from visibility, and cancelling. Every function validates the batch id before talking to Temporal.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { validateBatchId } from '../olostep/batch-id';
import {
  getProgress,
  refreshNow,
  searchAttributes,
  trackerWorkflowId,
  type BatchProgress,
  type TrackResult,
} from '../workflows/contract';
import type { trackAirOpsBatch as trackWorkflow } from '../workflows/track-airops-batch';
import { GRPC_STATUS, TrackerNotFoundError, TrackerQueryTimeoutError, grpcCodeOf, mapNotFound } from './errors';

/** Default time a query may take before it fails with TrackerQueryTimeoutError. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/** A tracker as visibility (list/describe) sees it: the workflow plus the batch's search attributes. */
export interface AirOpsBatchSummary {
  batchId: string;
  workflowId: string;
  runId: string;
  /** The workflow's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW… */
  workflowStatus: string;
  /** `AirOpsStatus`: the batch's overall status (pending, in_progress, completed, failed); null before the first poll. */
  status: string | null;
  /** `AirOpsPhase`: scraping, analyzing, enriching, or `done` once terminal. */
  phase: string | null;
  /** `AirOpsTotalUrls`. */
  totalUrls: number | null;
  /** `AirOpsStalled`: no count or state moved for the stall timeout. */
  stalled: boolean | null;
  taskQueue: string;
  startTime: Date;
  closeTime: Date | null;
}

/** Builds a summary from a workflow's visibility record. */
export function summaryOf(info: Omit<WorkflowExecutionInfo, 'raw'>): AirOpsBatchSummary {
  const sa = info.typedSearchAttributes;
  const batchId = sa.get(searchAttributes.batchId) ?? info.workflowId.replace(/^airops-batch-/, '');
  return {
    batchId,
    workflowId: info.workflowId,
    runId: info.runId,
    workflowStatus: info.status.name,
    status: sa.get(searchAttributes.status) ?? null,
    phase: sa.get(searchAttributes.phase) ?? null,
    totalUrls: sa.get(searchAttributes.totalUrls) ?? null,
    stalled: sa.get(searchAttributes.stalled) ?? null,
    taskQueue: info.taskQueue,
    startTime: info.startTime,
    closeTime: info.closeTime ?? null,
  };
}

function handleOf(client: Client, batchId: string) {
  const id = validateBatchId(batchId);
  const workflowId = trackerWorkflowId(id);
  return { id, workflowId, handle: client.workflow.getHandle<typeof trackWorkflow>(workflowId) };
}

/** The messages of an error and its causes, for matching. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) parts.push(e.message);
  return parts.join(' | ');
}

async function withQueryDeadline<T>(client: Client, workflowId: string, timeoutMs: number, fn: () => Promise<T>) {
  const deadline = Date.now() + timeoutMs;
  try {
    return await client.connection.withDeadline(deadline, fn);
  } catch (err) {
    // The client's deadline usually gives DEADLINE_EXCEEDED; at the deadline grpc-js sometimes reports CANCELLED
    // ("Call cancelled"), and a busy server may answer first with its own "context deadline exceeded".
    const code = grpcCodeOf(err);
    const expired =
      Date.now() >= deadline - 50 && (code === GRPC_STATUS.CANCELLED || /deadline|timed? ?out/i.test(errorText(err)));
    if (code === GRPC_STATUS.DEADLINE_EXCEEDED || expired) {
      throw new TrackerQueryTimeoutError(workflowId, timeoutMs, { cause: err });
    }
    throw err;
  }
}

/**
 * The current progress of AirOps batch `batchId`: overall status, current phase, per-phase counts and percent,
 * whole-batch percent, ETA and the stalled flag (the tracker's `getProgress` query; plain JSON, the same that
 * `temporal workflow query --name getProgress` prints). Works on running and finished trackers alike, as long as
 * a worker polls the tracker's task queue.
 *
 * @throws InvalidBatchIdError (before any network call) for an empty, oversized or path-like id.
 * @throws TrackerNotFoundError when no tracker exists for the batch.
 * @throws TrackerQueryTimeoutError when no worker answered within `timeoutMs` (default 10 s).
 */
export async function getAirOpsBatchProgress(
  client: Client,
  batchId: string,
  options: { timeoutMs?: number } = {},
): Promise<BatchProgress> {
  const { id, workflowId, handle } = handleOf(client, batchId);
  const timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  try {
    return await withQueryDeadline(client, workflowId, timeoutMs, () => handle.query(getProgress));
  } catch (err) {
    throw mapNotFound(err, id, workflowId);
  }
}

/**
 * Asks the tracker to poll the AirOps API right now (the `refreshNow` update) and returns the fresh progress.
 * Needs a running tracker and a worker.
 *
 * @throws TrackerNotFoundError when no tracker exists for the batch.
 */
export async function refreshAirOpsBatchProgress(client: Client, batchId: string): Promise<BatchProgress> {
  const { id, workflowId, handle } = handleOf(client, batchId);
  try {
    return await handle.executeUpdate(refreshNow);
  } catch (err) {
    throw mapNotFound(err, id, workflowId);
  }
}

/**
 * The tracker of `batchId` as visibility sees it (execution status, search attributes, times). Needs no worker.
 *
 * @throws TrackerNotFoundError when no tracker exists for the batch.
 */
export async function describeAirOpsBatch(client: Client, batchId: string): Promise<AirOpsBatchSummary> {
  const { id, workflowId, handle } = handleOf(client, batchId);
  try {
    return summaryOf(await handle.describe());
  } catch (err) {
    throw mapNotFound(err, id, workflowId);
  }
}

/**
 * Stops tracking `batchId` (cancels its tracker workflow, which then ends with `endedBy: 'cancelled'` and the
 * metrics seen so far). The AirOps batch itself keeps running: the API has no cancel endpoint.
 *
 * @throws TrackerNotFoundError when no tracker exists for the batch.
 */
export async function cancelAirOpsBatch(client: Client, batchId: string): Promise<void> {
  const { id, workflowId, handle } = handleOf(client, batchId);
  try {
    await handle.cancel();
  } catch (err) {
    throw mapNotFound(err, id, workflowId);
  }
}

export interface WaitForAirOpsBatchOptions {
  /** Called with the progress whenever it changed since the last call, and once more at the end. */
  onProgress?: (progress: BatchProgress) => void;
  /** Called when a progress query fails (e.g. no worker for a while); waiting goes on. */
  onQueryError?: (err: unknown) => void;
  /** How often to query progress. Default 1,000 ms. */
  pollIntervalMs?: number;
  /** Per-query deadline. Default 10 s. */
  queryTimeoutMs?: number;
  /** Stops waiting (rejects with the signal's reason); the tracker itself keeps running. */
  signal?: AbortSignal;
  /**
   * The result is long-polled in rounds of this length, each under its own abort signal (the Temporal client adds
   * a listener to the signal of every RPC and never removes it; one signal for a day-long wait would collect
   * thousands). Default 10 min.
   */
  resultRoundMs?: number;
}

const DEFAULT_RESULT_ROUND_MS = 10 * 60_000;

/** Marks the end of a long-poll round (not an error: the next round starts). */
class RoundEnd extends Error {}

/**
 * Runs `fn` under an abort signal of its own that follows `parent` (and ends after `roundMs`, if given), and
 * removes its listener from `parent` afterwards. Returns `{ roundEnded: true }` when the round ran out.
 */
async function underOwnSignal<T>(
  client: Client,
  parent: AbortSignal,
  roundMs: number | null,
  fn: () => Promise<T>,
): Promise<{ roundEnded: false; value: T } | { roundEnded: true }> {
  const own = new AbortController();
  const forward = () => own.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  const timer = roundMs === null ? null : setTimeout(() => own.abort(new RoundEnd('round over')), roundMs);
  try {
    return { roundEnded: false, value: await client.connection.withAbortSignal(own.signal, fn) };
  } catch (err) {
    if (own.signal.reason instanceof RoundEnd && !parent.aborted) return { roundEnded: true };
    throw err;
  } finally {
    if (timer !== null) clearTimeout(timer);
    parent.removeEventListener('abort', forward);
  }
}

/**
 * Waits until the tracker of `batchId` ends and returns its result, calling `onProgress` with live progress
 * (the `getProgress` query every `pollIntervalMs`) on the way. The batch's outcome is in the result: `status`
 * `completed` or `failed`, `endedBy` `terminal` or `cancelled`.
 *
 * @throws TrackerNotFoundError when no tracker exists for the batch.
 * @throws WorkflowFailedError when tracking itself failed (its `cause` is an ApplicationFailure typed
 *   `NotFound`, `Unauthorized`, `TrackingDeadlineExceeded`, `BatchStalled`…, see `TRACK_FAILURE_TYPES`).
 */
export async function waitForAirOpsBatch(
  client: Client,
  batchId: string,
  options: WaitForAirOpsBatchOptions = {},
): Promise<TrackResult> {
  const { id, workflowId, handle } = handleOf(client, batchId);
  const { onProgress, onQueryError, signal } = options;
  const pollIntervalMs = Math.max(50, options.pollIntervalMs ?? 1_000);
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  signal?.throwIfAborted();
  try {
    await handle.describe(); // fail fast, before long-polling, when the batch was never tracked
  } catch (err) {
    throw mapNotFound(err, id, workflowId);
  }

  let finished = false;
  let wake: () => void = () => undefined;
  // The result is a long poll: abort it when we stop early, so no call is left retrying on a closed connection.
  const stopResult = new AbortController();
  const roundMs = Math.max(1_000, options.resultRoundMs ?? DEFAULT_RESULT_ROUND_MS);
  const longPoll = async (): Promise<TrackResult> => {
    for (;;) {
      const r = await underOwnSignal(client, stopResult.signal, roundMs, () => handle.result());
      if (!r.roundEnded) return r.value;
    }
  };
  const result = longPoll().finally(() => {
    finished = true;
    wake();
  });
  result.catch(() => undefined); // observed below; avoids an unhandled rejection if we stop early

  let last: string | null = null;
  const emit = (p: BatchProgress) => {
    const key = JSON.stringify(p);
    if (key === last) return;
    last = key;
    onProgress?.(p);
  };
  // Each query under its own signal (see resultRoundMs), so no listener outlives its query.
  const query = async () => {
    const r = await underOwnSignal(client, stopResult.signal, null, () =>
      withQueryDeadline(client, workflowId, queryTimeoutMs, () => handle.query(getProgress)),
    );
    if (r.roundEnded) throw new Error('unreachable: a query has no round');
    return r.value;
  };

  const poller = (async () => {
    if (onProgress === undefined) return;
    while (!finished && !signal?.aborted) {
      try {
        emit(await query());
      } catch (err) {
        if (mapNotFound(err, id, workflowId) instanceof TrackerNotFoundError) throw mapNotFound(err, id, workflowId);
        if (!stopResult.signal.aborted) onQueryError?.(err);
      }
      if (finished || signal?.aborted) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pollIntervalMs);
        wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  })();

  const aborted = new Promise<never>((_, reject) => {
    if (signal === undefined) return;
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);

  let outcome: TrackResult;
  try {
    outcome = await Promise.race([result, aborted, poller.then(() => result)]);
  } catch (err) {
    stopResult.abort();
    await poller.catch(() => undefined); // its in-flight query is aborted too: nothing outlives this call
    throw mapNotFound(err, id, workflowId);
  }
  if (onProgress !== undefined) {
    try {
      emit(await query()); // the final state, so the last callback shows the terminal status
    } catch (err) {
      onQueryError?.(err);
    }
  }
  return outcome;
}
