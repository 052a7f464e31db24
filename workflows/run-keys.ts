// Keys a run derives from its own identity: pure, so workflow code and activities compute the same strings.

const VISIBLE_ASCII = /[^\x21-\x7e]/g;
const MAX_KEY_LENGTH = 255;

/**
 * The Idempotency-Key of a run's create call: `airops-run-<workflow id>-<first run id>`, with anything outside
 * visible ASCII replaced by `_` and the workflow id clipped so the key stays within 255 characters. The first run
 * id is a server-issued UUID, so the key is unique per run even when a long workflow id is clipped, identical on
 * every activity retry and worker restart, and kept by a workflow reset (the reset run inherits it).
 */
export function runIdempotencyKey(workflowId: string, firstExecutionRunId: string): string {
  const prefix = 'airops-run-';
  const run = firstExecutionRunId.replace(VISIBLE_ASCII, '_').slice(0, 100);
  const wf = workflowId.replace(/^airops-run-/, '').replace(VISIBLE_ASCII, '_');
  const room = MAX_KEY_LENGTH - prefix.length - run.length - 1;
  return `${prefix}${wf.slice(0, Math.max(0, room))}-${run}`;
}

/** The results sink key of a run's batch: `<workflow id>.<batch id>` (one file per batch a run created). */
export function runResultsKey(workflowId: string, batchId: string): string {
  return `${workflowId}.${batchId}`;
}
