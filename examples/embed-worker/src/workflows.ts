// This service's workflows module (the worker's `workflowsPath`): its own workflow next to the tracker's.
import { executeChild, proxyActivities } from '@temporalio/workflow';
import { trackAirOpsBatch } from 'airops-temporal/workflows';
import type * as activities from './activities.js';

// The tracker's workflows, registered in this worker under their own names.
export { trackAirOpsBatch, runAirOpsBatch } from 'airops-temporal/workflows';

const { publishReport } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/**
 * This service's own workflow: follow one AirOps batch to its end (the tracker as a child workflow, under the
 * tracker's documented workflow id `airops-batch-<batchId>`, so every other service can query it by batch id),
 * then publish a report with this service's own activity.
 */
export async function processBatch(batchId: string): Promise<string> {
  const result = await executeChild(trackAirOpsBatch, {
    workflowId: `airops-batch-${batchId}`,
    args: [batchId, { minPollIntervalMs: 500, maxPollIntervalMs: 2_000 }],
  });
  return publishReport({ batchId, status: result.status, totalUrls: result.totalUrls ?? 0 });
}
