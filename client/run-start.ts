// Starting runAirOpsBatch: a validated create request in, a workflow handle out, one run per request content (the
// run key). The request is validated here (zod, the API's own limits) before Temporal is contacted; the workflow
// checks it again (zod-free) before any API call.
import { createHash } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { type CreateBatchRequestInput, validateCreateRequest } from '../olostep/schemas';
import {
  DEFAULT_TASK_QUEUE,
  RUN_WORKFLOW_TYPE,
  runWorkflowId,
  searchAttributes,
  type RunOptions,
} from '../workflows/contract';
import type { runAirOpsBatch as runWorkflow } from '../workflows/run-airops-batch';
import { assertSearchAttributes } from './search-attributes';
import { RunInputError } from './url-list';

export type RunHandle = WorkflowHandle<typeof runWorkflow>;
export type StartedRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof runWorkflow>;

/**
 * Largest workflow input accepted for a run, in bytes of JSON. Temporal refuses payloads over 2 MiB (the server's
 * blob size limit); a 10,000-URL request with typical URLs is 0.6–1.2 MB.
 */
export const MAX_RUN_INPUT_BYTES = 2_000_000;

/** A stable key for a request's content: the same URLs, ids, brands, country and metadata give the same run id. */
export function runKeyOf(request: CreateBatchRequestInput): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 24);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface StartRunOptions extends RunOptions {
  /** Default `airops-batches`. */
  taskQueue?: string;
  /**
   * Names the run: workflow id `airops-run-<runKey>`. Default `runKeyOf(request)`, so starting the same request
   * again while it runs returns the running one (USE_EXISTING); once it has closed, the same key starts a new run,
   * which creates a new batch.
   */
  runKey?: string;
}

/**
 * Starts runAirOpsBatch for `request`, or returns the run already going under the same run key.
 * @throws ValidationError (olostep) before contacting Temporal when the request breaks a documented limit;
 *   RunInputError when its JSON exceeds MAX_RUN_INPUT_BYTES; MissingSearchAttributesError when the namespace lacks
 *   the tracker's search attributes (or has one with another type), checked once per client and namespace.
 */
export async function startRun(
  client: Client,
  request: CreateBatchRequestInput,
  options: StartRunOptions = {},
): Promise<StartedRunHandle> {
  validateCreateRequest(request);
  const bytes = Buffer.byteLength(JSON.stringify(request), 'utf8');
  if (bytes > MAX_RUN_INPUT_BYTES) {
    const per = Math.max(1, Math.floor((request.items.length * MAX_RUN_INPUT_BYTES) / bytes));
    throw new RunInputError(
      `the request is ${bytes} bytes of JSON, over the ${MAX_RUN_INPUT_BYTES}-byte workflow input limit (Temporal refuses payloads over 2 MiB); split it into batches of about ${per} URLs`,
    );
  }
  const { taskQueue = DEFAULT_TASK_QUEUE, runKey = runKeyOf(request), ...runOptions } = options;
  await assertSearchAttributes(client);
  return client.workflow.start<typeof runWorkflow>(RUN_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: runWorkflowId(runKey),
    args: [request, runOptions],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: searchAttributes.totalUrls, value: request.items.length }],
    staticSummary: `AirOps run: ${request.items.length} URLs`,
    staticDetails: `Creates an Olostep AirOps batch of ${request.items.length} URLs, tracks it to the end and collects its items.`,
  });
}
