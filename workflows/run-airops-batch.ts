// runAirOpsBatch: URLs in, a finished batch's summary out. Validates the request against the API's own limits
// (no API call when it fails), creates the batch with a stable Idempotency-Key, follows it with trackAirOpsBatch as
// a child under the batch's own workflow id, then has the items written to a results sink and returns a summary.
// Deterministic workflow code: the request's checks are olostep's own, zod-free (olostep/create-request), the API
// sits behind activities.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { checkCreateRequest, describeProblems, httpUrlProblem } from '../olostep/create-request';
import {
  RUN_FAILURE_TYPES,
  TRACK_OPTION_MINIMUMS,
  TRACK_WORKFLOW_TYPE,
  getRunStatus,
  searchAttributes,
  trackerStartOptions,
  trackerWorkflowId,
  type ItemsSummary,
  type ResultsRef,
  type RunOptions,
  type RunRequest,
  type RunResult,
  type RunStatus,
  type TrackOptions,
  type TrackResult,
} from './contract';
import { UNEXPECTED_FAILURE_TYPE } from './failure-types';
import { runIdempotencyKey, runResultsKey } from './run-keys';
import type { trackAirOpsBatch } from './track-airops-batch';

const { createAirOpsBatch } = proxyActivities<Activities>({
  // The client's own deadline is 30 s; this bounds a hung worker.
  startToCloseTimeout: '2 min',
  // Retries reuse one Idempotency-Key, which the API keeps 24 h (docs/airops-api.md#idempotency): stop well inside
  // that, so a retry can never outlive the key and create a second batch.
  scheduleToCloseTimeout: '1 h',
  retry: { initialInterval: '1 s', backoffCoefficient: 2, maximumInterval: '1 min' },
  summary: 'POST /v1/batches-airops',
});

const { fetchAirOpsBatchItems } = proxyActivities<Activities>({
  // Up to 10,000 items in one body: the client allows 120 s for it, then the sink writes them.
  startToCloseTimeout: '5 min',
  heartbeatTimeout: '30 s',
  // ~10 min of attempts: items can lag the terminal status briefly (ItemsNotReady); past that, report, don't fail.
  retry: { initialInterval: '2 s', backoffCoefficient: 2, maximumInterval: '2 min', maximumAttempts: 10 },
  summary: 'GET /v1/batches-airops/{batch_id}/items → results sink',
});

const { awaitAirOpsTracker } = proxyActivities<Activities>({
  // Batches run for hours; each attempt waits up to a day and a retry re-attaches.
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '1 min',
  retry: { initialInterval: '1 s', backoffCoefficient: 2, maximumInterval: '1 min' },
  summary: 'await the batch tracker started elsewhere',
});

/** Problems with RunOptions, found before any API call: a bad tracker option must not strand a created batch. */
function runOptionsProblems(options: RunOptions | undefined): string[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object' || Array.isArray(options)) return ['options must be an object'];
  const problems: string[] = [];
  if (options.webhookUrl !== undefined) {
    if (typeof options.webhookUrl !== 'string') problems.push('webhookUrl must be a URL string');
    else {
      const p = httpUrlProblem(options.webhookUrl);
      if (p !== null) problems.push(`webhookUrl ${p}`);
    }
  }
  const track: unknown = options.track;
  if (track !== undefined) {
    if (typeof track !== 'object' || track === null || Array.isArray(track)) problems.push('track must be an object');
    else {
      for (const [name, min] of Object.entries(TRACK_OPTION_MINIMUMS)) {
        const v = (track as Record<string, unknown>)[name];
        if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < min)) {
          problems.push(`track.${name} must be a number >= ${min}, got ${JSON.stringify(v)}`);
        }
      }
      const t = track as TrackOptions;
      if (
        typeof t.minPollIntervalMs === 'number' &&
        typeof t.maxPollIntervalMs === 'number' &&
        t.minPollIntervalMs > t.maxPollIntervalMs
      ) {
        problems.push('track.minPollIntervalMs exceeds track.maxPollIntervalMs');
      }
    }
  }
  return problems;
}

/** The failure inside an activity or child failure: its ApplicationFailure type and message, when it has one. */
function innerFailure(err: unknown): { type: string; message: string; details: unknown[] } {
  const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'ApplicationFailure', message: cause.message, details: [...(cause.details ?? [])] };
  }
  if (cause instanceof TimeoutFailure) return { type: 'Timeout', message: cause.message, details: [] };
  return {
    type: UNEXPECTED_FAILURE_TYPE,
    message: cause instanceof Error ? cause.message : String(cause),
    details: [],
  };
}

function detailsMarkdown(s: RunStatus): string {
  const lines = [`**Run** · ${s.stage} · ${s.totalUrls} URLs`];
  if (s.batchId !== null) lines.push('', `Batch \`${s.batchId}\` · tracker \`${s.trackerWorkflowId ?? '–'}\``);
  if (s.results !== null) lines.push('', `Results: ${s.results.items} items → ${s.results.uri}`);
  return lines.join('\n');
}

/**
 * Creates an AirOps batch from `request` (the API's create body, up to 10,000 URLs), follows it to its end and
 * returns a summary of its items; the items themselves go to the worker's results sink.
 *
 * - The request is checked against every documented limit first: a bad one fails the workflow with
 *   `InvalidCreateRequest`, naming the offending item (`items[3].url: ...`), before any API call.
 * - The create call carries `Idempotency-Key: runIdempotencyKey(workflowId, firstExecutionRunId)`, the same on every
 *   retry, so a lost response never creates a second batch. It and the tracker's start are not cancellable, so a
 *   cancelled run never leaves a created batch untracked.
 * - The batch is followed by `trackAirOpsBatch` as a child with id `trackerWorkflowId(batchId)`: visible and
 *   queryable on its own, and abandoned (not cancelled) when the run closes, since the batch goes on upstream
 *   either way. If a tracker already runs under that id (a webhook receiver got there first), the run waits on it.
 * - A failed batch still reports its items; items that never become available are reported in `itemsError`.
 */
export async function runAirOpsBatch(request: RunRequest, options?: RunOptions): Promise<RunResult> {
  const info = workflowInfo();
  const idempotencyKey = runIdempotencyKey(info.workflowId, info.firstExecutionRunId);
  const items: unknown = (request as { items?: unknown } | null | undefined)?.items;
  const status: RunStatus = {
    stage: 'validating',
    batchId: null,
    trackerWorkflowId: null,
    trackerAttached: false,
    totalUrls: Array.isArray(items) ? items.length : 0,
    idempotencyKey,
    results: null,
  };
  setHandler(getRunStatus, () => status);
  const moveTo = (stage: RunStatus['stage']) => {
    status.stage = stage;
    setCurrentDetails(detailsMarkdown(status));
  };
  const fail = (failure: ApplicationFailure): never => {
    moveTo('failed');
    throw failure;
  };

  // 1. Validate: the API's own limits, before anything is sent.
  const optionProblems = runOptionsProblems(options);
  if (optionProblems.length > 0) {
    fail(
      ApplicationFailure.create({
        type: RUN_FAILURE_TYPES.invalidOptions,
        message: `invalid run options: ${optionProblems.join('; ')}`,
        nonRetryable: true,
      }),
    );
  }
  const body: RunRequest =
    options?.webhookUrl !== undefined && typeof request === 'object' && request !== null
      ? { ...request, webhook: options.webhookUrl }
      : request;
  const check = checkCreateRequest(body);
  if (check.total > 0) {
    fail(
      ApplicationFailure.create({
        type: RUN_FAILURE_TYPES.invalidRequest,
        message: describeProblems(check),
        nonRetryable: true,
        details: [{ problems: check.problems, total: check.total }],
      }),
    );
  }

  // 2. Create, then start the tracker, shielded from cancellation: a batch that exists is always tracked.
  moveTo('creating');
  const { created, child } = await CancellationScope.nonCancellable(async () => {
    let made;
    try {
      made = await createAirOpsBatch(body, { idempotencyKey });
    } catch (err) {
      const f = innerFailure(err);
      return fail(
        ApplicationFailure.create({
          type: f.type,
          message: `creating the batch failed: ${f.message}`,
          nonRetryable: true,
          details: f.details,
          cause: err instanceof Error ? err : undefined,
        }),
      );
    }
    status.batchId = made.batchId;
    status.trackerWorkflowId = trackerWorkflowId(made.batchId);
    upsertSearchAttributes([
      { key: searchAttributes.batchId, value: made.batchId },
      ...(made.totalUrls !== null ? [{ key: searchAttributes.totalUrls, value: made.totalUrls }] : []),
    ]);
    moveTo('tracking');
    try {
      const handle = await startChild<typeof trackAirOpsBatch>(TRACK_WORKFLOW_TYPE, {
        ...trackerStartOptions(made.batchId, `run \`${info.workflowId}\`, which created the batch`),
        args: [made.batchId, options?.track ?? {}],
        // The batch runs on upstream whatever happens to this run (the API has no cancel endpoint), and others
        // (webhook receiver, dashboards) reach it by batch id: closing the run must not blind them.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      return { created: made, child: handle };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      status.trackerAttached = true;
      return { created: made, child: null };
    }
  });
  const batchId = created.batchId;
  const trackerId = trackerWorkflowId(batchId);
  setCurrentDetails(detailsMarkdown(status));

  // 3. Follow the batch to its end. The child was started in a non-cancellable scope, so the run's own cancellation
  // does not reach it (as intended); racing with `cancelRequested` ends the run at once without touching the child.
  let tracking: TrackResult;
  try {
    tracking =
      child !== null
        ? await Promise.race([child.result(), CancellationScope.current().cancelRequested])
        : await awaitAirOpsTracker(batchId);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const f = innerFailure(err);
    return fail(
      ApplicationFailure.create({
        type: f.type,
        message: `tracking batch ${batchId} failed: ${f.message}`,
        nonRetryable: true,
        details: [{ batchId, trackerWorkflowId: trackerId }, ...f.details],
      }),
    );
  }
  if (!tracking.terminal) {
    return fail(
      ApplicationFailure.create({
        type: RUN_FAILURE_TYPES.trackingEnded,
        message: `the tracker of batch ${batchId} ended (${tracking.endedBy}) before the batch did; it is still ${tracking.status ?? 'unknown'} upstream`,
        nonRetryable: true,
        details: [{ batchId, trackerWorkflowId: trackerId, status: tracking.status }],
      }),
    );
  }

  // 4. Collect: the items go to the sink, only a reference and a summary come back.
  moveTo('collecting');
  let results: ResultsRef | null = null;
  let summary: ItemsSummary | null = null;
  let itemsError: RunResult['itemsError'] = null;
  try {
    const collected = await fetchAirOpsBatchItems(batchId, { runKey: runResultsKey(info.workflowId, batchId) });
    results = collected.results;
    summary = collected.summary;
    status.results = results;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const f = innerFailure(err);
    itemsError = { type: f.type, message: f.message };
  }

  if (tracking.status !== null) upsertSearchAttributes([{ key: searchAttributes.status, value: tracking.status }]);
  moveTo('done');
  return {
    batchId,
    trackerWorkflowId: trackerId,
    trackerAttached: status.trackerAttached,
    idempotencyKey,
    status: tracking.status,
    failedPhase: tracking.failedPhase,
    error: tracking.error,
    tracking,
    results,
    summary,
    itemsError,
  };
}
