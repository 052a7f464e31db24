// What each CLI command does, given parsed options and a connected client. Commander wiring lives in main.ts.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { batchIdProblem } from '../../olostep/batch-id';
import type { TrackOptions, TrackResult } from '../../workflows/contract';
import { trackerWorkflowId } from '../../workflows/contract';
import { TrackerQueryTimeoutError } from '../errors';
import { listAirOpsBatches, type ListAirOpsBatchesOptions } from '../list';
import {
  cancelAirOpsBatch,
  describeAirOpsBatch,
  getAirOpsBatchProgress,
  refreshAirOpsBatchProgress,
  waitForAirOpsBatch,
} from '../progress';
import { startAirOpsBatchTracker } from '../track';
import { EXIT, UsageError, classifyError, oneLine, type ExitCode } from './exit-codes';
import { createProgressView, listTable, outcomeLine, statusText, type ViewMode } from './render';

/** Where output goes; tests and the demo can redirect it. */
export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** Refuses a bad batch id before anything starts (no connection, no workflow). */
export function checkBatchId(batchId: string): string {
  const problem = batchIdProblem(batchId);
  if (problem !== null) throw new UsageError(`invalid batch id: ${problem}`);
  return batchId;
}

/** "90s", "15m", "2h", "1500" (ms) → ms. */
function parseDuration(name: string, value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(
      `${name} must be a duration such as 90s, 15m, 2h or a number of ms; got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** The Temporal UI page of a batch's tracker, when the UI's base URL is known. */
export function uiLink(uiBaseUrl: string | undefined | null, namespace: string, batchId: string): string | null {
  if (!uiBaseUrl) return null;
  const base = uiBaseUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(trackerWorkflowId(batchId))}`;
}

export interface TrackCommandOptions {
  taskQueue: string;
  deadline?: string;
  stallTimeout?: string;
  failOnStall?: boolean;
  minPollInterval?: string;
  maxPollInterval?: string;
}

export function trackOptionsFrom(o: TrackCommandOptions): TrackOptions {
  return {
    ...(o.deadline !== undefined ? { deadlineMs: parseDuration('--deadline', o.deadline) } : {}),
    ...(o.stallTimeout !== undefined ? { stallTimeoutMs: parseDuration('--stall-timeout', o.stallTimeout) } : {}),
    ...(o.failOnStall ? { failOnStall: true } : {}),
    ...(o.minPollInterval !== undefined
      ? { minPollIntervalMs: parseDuration('--min-poll-interval', o.minPollInterval) }
      : {}),
    ...(o.maxPollInterval !== undefined
      ? { maxPollIntervalMs: parseDuration('--max-poll-interval', o.maxPollInterval) }
      : {}),
  };
}

export async function trackCommand(
  client: Client,
  batchId: string,
  o: { taskQueue: string; track: TrackOptions },
  io: Io,
  ui: { baseUrl?: string | null; namespace: string },
): Promise<void> {
  const handle = await startAirOpsBatchTracker(client, batchId, { taskQueue: o.taskQueue, ...o.track });
  io.out.write(`tracking AirOps batch ${batchId}: workflow ${handle.workflowId} (run ${handle.firstExecutionRunId})\n`);
  const link = uiLink(ui.baseUrl, ui.namespace, batchId);
  if (link) io.out.write(`Temporal UI: ${link}\n`);
}

export async function statusCommand(
  client: Client,
  batchId: string,
  o: { json?: boolean; refresh?: boolean; queryTimeout: number },
  io: Io,
): Promise<void> {
  const summary = await describeAirOpsBatch(client, batchId);
  let progress;
  if (o.refresh && summary.workflowStatus === 'RUNNING') progress = await refreshAirOpsBatchProgress(client, batchId);
  else progress = await getAirOpsBatchProgress(client, batchId, { timeoutMs: o.queryTimeout });
  if (o.json) {
    const { batchId: id, workflowId, runId, workflowStatus, taskQueue } = summary;
    io.out.write(
      `${JSON.stringify({ batchId: id, workflowId, runId, workflowStatus, taskQueue, progress }, null, 2)}\n`,
    );
  } else {
    io.out.write(`${statusText(summary, progress)}\n`);
  }
}

export async function listCommand(
  client: Client,
  o: ListAirOpsBatchesOptions & { json?: boolean },
  io: Io,
): Promise<void> {
  const { json, ...filters } = o;
  const rows = await listAirOpsBatches(client, filters);
  if (json) io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
  else io.out.write(`${listTable(rows)}\n`);
}

export async function cancelCommand(client: Client, batchId: string, o: { wait?: boolean }, io: Io): Promise<void> {
  const before = await describeAirOpsBatch(client, batchId);
  if (before.workflowStatus !== 'RUNNING') {
    io.out.write(`tracker ${before.workflowId} is not running (${before.workflowStatus}); nothing to cancel\n`);
    return;
  }
  await cancelAirOpsBatch(client, batchId);
  io.out.write(
    `cancellation requested for tracker ${before.workflowId} (the AirOps batch itself keeps running: the API has no cancel endpoint)\n`,
  );
  if (o.wait) {
    const handle = client.workflow.getHandle(before.workflowId);
    const result = (await handle.result()) as TrackResult;
    io.out.write(`${outcomeLine(result)}\n`);
  }
}

/** Exit code for a finished tracker: completed 0, failed 1, cancelled 5. */
function exitCodeOf(result: TrackResult): ExitCode {
  if (result.endedBy === 'cancelled') return EXIT.trackingEnded;
  if (result.status === 'completed') return EXIT.ok;
  if (result.status === 'failed') return EXIT.batchFailed;
  return EXIT.trackingEnded;
}

interface WatchOptions {
  mode: ViewMode;
  pollIntervalMs?: number;
  queryTimeoutMs?: number;
  signal?: AbortSignal;
  /** Printed before and after the progress, when known. */
  uiLink?: string | null;
}

/**
 * Follows a batch to its end with live progress; returns the exit code (0 completed, 1 failed, 5 tracking ended
 * otherwise, 130 interrupted). Not found and unreachable errors are thrown for the caller to classify.
 */
export async function watchCommand(client: Client, batchId: string, o: WatchOptions, io: Io): Promise<ExitCode> {
  const view = createProgressView(o.mode, io.out);
  let lastErrorNote = 0;
  const onQueryError = (err: unknown) => {
    if (Date.now() - lastErrorNote < 10_000) return;
    lastErrorNote = Date.now();
    const why =
      err instanceof TrackerQueryTimeoutError
        ? 'no worker answered the progress query yet'
        : oneLine(err instanceof Error ? err.message : String(err), 200);
    view.note(`(progress unavailable: ${why}; still waiting for the result)`);
  };
  let result: TrackResult;
  try {
    result = await waitForAirOpsBatch(client, batchId, {
      onProgress: (p) => view.update(p),
      onQueryError,
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
      ...(o.queryTimeoutMs !== undefined ? { queryTimeoutMs: o.queryTimeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (err) {
    view.stop();
    if (o.signal?.aborted) return EXIT.interrupted;
    if (err instanceof WorkflowFailedError) {
      const { code, message } = classifyError(err);
      if (o.mode === 'json') io.out.write(`${JSON.stringify({ batchId, error: message })}\n`);
      else io.err.write(`airops: ${message}\n`);
      if (o.uiLink) io.out.write(`Temporal UI: ${o.uiLink}\n`);
      return code;
    }
    throw err;
  }
  view.stop();
  if (o.mode === 'json') io.out.write(`${JSON.stringify(result)}\n`);
  else {
    const mark = exitCodeOf(result) === EXIT.ok ? '✓' : '✗';
    io.out.write(`${mark} ${outcomeLine(result)}\n`);
    if (o.uiLink) io.out.write(`Temporal UI: ${o.uiLink}\n`);
  }
  return exitCodeOf(result);
}
