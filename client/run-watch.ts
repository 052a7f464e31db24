// Waiting for a run: its result, with the run's stage and its batch's live progress reported along the way.
import type { Client } from '@temporalio/client';
import { getProgress, getRunStatus, type BatchProgress, type RunResult, type RunStatus } from '../workflows/contract';
import type { RunHandle } from './run-start';

export interface RunProgressUpdate {
  run: RunStatus;
  /** The tracker's live progress once the batch exists; null before (or while the tracker is unreachable). */
  batch: BatchProgress | null;
}

/**
 * Waits for a run's result, calling `onProgress` every `intervalMs` (default 1 s) with the run's stage and, once
 * the batch exists, its tracker's progress (phase, percent, ETA): what a progress bar needs. Query failures
 * (e.g. before the first workflow task) are skipped, not thrown.
 * @throws whatever `handle.result()` throws (WorkflowFailedError with the run's failure as `cause`).
 */
export async function watchRun(
  client: Client,
  handle: RunHandle,
  onProgress: (update: RunProgressUpdate) => void,
  options: { intervalMs?: number } = {},
): Promise<RunResult> {
  const intervalMs = options.intervalMs ?? 1_000;
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  });
  const poll = async () => {
    while (!settled) {
      try {
        const run = await handle.query(getRunStatus);
        let batch: BatchProgress | null = null;
        if (run.trackerWorkflowId !== null) {
          batch = await client.workflow
            .getHandle(run.trackerWorkflowId)
            .query(getProgress)
            .catch(() => null);
        }
        if (!settled) onProgress({ run, batch });
      } catch {
        // not queryable yet, or just closed
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    await polling;
  }
}
