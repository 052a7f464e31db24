// Starting and reaching a batch's tracker from any service: the workflow id rule makes every call idempotent.
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { validateBatchId } from '../olostep/batch-id';
import {
  DEFAULT_TASK_QUEUE,
  TRACK_WORKFLOW_TYPE,
  trackerStartOptions,
  trackerWorkflowId,
  type TrackOptions,
} from '../workflows/contract';
import type { trackAirOpsBatch as trackWorkflow } from '../workflows/track-airops-batch';
import { assertSearchAttributes } from './search-attributes';

export type TrackerHandle = WorkflowHandle<typeof trackWorkflow>;
/** What starting returns: a handle that also knows the first run of the chain (continue-as-new follows it). */
export type StartedTrackerHandle = WorkflowHandleWithFirstExecutionRunId<typeof trackWorkflow>;

export interface StartTrackingOptions extends TrackOptions {
  /** Default `airops-batches`. */
  taskQueue?: string;
}

/**
 * Starts tracking AirOps batch `batchId`, or returns the tracker already running for it
 * (`workflowIdConflictPolicy: USE_EXISTING`): call it as often as you like.
 * @throws InvalidBatchIdError before contacting Temporal when the id is empty, too long or has whitespace/control characters.
 * @throws MissingSearchAttributesError when the namespace lacks the tracker's search attributes (or has one with
 *   another type): a tracker started there could not run. Checked once per client and namespace.
 */
export async function startAirOpsBatchTracker(
  client: Client,
  batchId: string,
  options: StartTrackingOptions = {},
): Promise<StartedTrackerHandle> {
  const id = validateBatchId(batchId);
  const { taskQueue = DEFAULT_TASK_QUEUE, ...trackOptions } = options;
  await assertSearchAttributes(client);
  return client.workflow.start<typeof trackWorkflow>(TRACK_WORKFLOW_TYPE, {
    ...trackerStartOptions(id),
    taskQueue,
    args: [id, trackOptions],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** A handle to the tracker of `batchId` (whether or not it is running). */
export function getTrackerHandle(client: Client, batchId: string): TrackerHandle {
  return client.workflow.getHandle<typeof trackWorkflow>(trackerWorkflowId(validateBatchId(batchId)));
}
