// The tracker's public contract: everything a client, the worker, the webhook receiver or another language's SDK
// needs to talk to trackAirOpsBatch. Kept free of implementation so clients import it without pulling workflow code.
import { defineSearchAttributeKey } from '@temporalio/common';

/** Default task queue for the tracker's workflows and activities. Override with TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'airops-batches';

/** Workflow id rule: one tracker per batch, so starting twice is idempotent (workflowIdConflictPolicy USE_EXISTING). */
export function trackerWorkflowId(batchId: string): string {
  return `airops-batch-${batchId}`;
}

/** Custom search attributes, registered on the server (dev server: at start; production: `temporal operator`). */
export const searchAttributes = {
  batchId: defineSearchAttributeKey('AirOpsBatchId', 'KEYWORD'),
  status: defineSearchAttributeKey('AirOpsStatus', 'KEYWORD'),
  phase: defineSearchAttributeKey('AirOpsPhase', 'KEYWORD'),
  totalUrls: defineSearchAttributeKey('AirOpsTotalUrls', 'INT'),
  stalled: defineSearchAttributeKey('AirOpsStalled', 'BOOL'),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(searchAttributes);
