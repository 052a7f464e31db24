// The client library other services import (also the package entry point, via ../index.ts): start, read, wait
// for, list and cancel AirOps batch trackers on Temporal. Every function takes a @temporalio/client `Client`.
export {
  startAirOpsBatchTracker,
  getTrackerHandle,
  type StartTrackingOptions,
  type StartedTrackerHandle,
  type TrackerHandle,
} from './track';
export {
  DEFAULT_QUERY_TIMEOUT_MS,
  cancelAirOpsBatch,
  describeAirOpsBatch,
  getAirOpsBatchProgress,
  refreshAirOpsBatchProgress,
  summaryOf,
  waitForAirOpsBatch,
  type AirOpsBatchSummary,
  type WaitForAirOpsBatchOptions,
} from './progress';
export {
  EXECUTION_STATUSES,
  KNOWN_PHASES,
  KNOWN_STATUSES,
  airOpsBatchesQuery,
  listAirOpsBatches,
  type ListAirOpsBatchesOptions,
} from './list';
export {
  AirOpsClientError,
  InvalidListFilterError,
  MissingSearchAttributesError,
  TrackerNotFoundError,
  TrackerQueryTimeoutError,
  isTemporalUnavailable,
  type AirOpsClientErrorName,
} from './errors';
export {
  DEFAULT_TASK_QUEUE,
  TRACK_FAILURE_TYPES,
  TRACK_WORKFLOW_TYPE,
  airopsEvent,
  getPollStats,
  getProgress,
  getTimeline,
  refreshNow,
  searchAttributes,
  trackerWorkflowId,
  type AirOpsEvent,
  type BatchOutcome,
  type BatchProgress,
  type PollStats,
  type TimelineEntry,
  type TrackEndReason,
  type TrackOptions,
  type TrackResult,
} from '../workflows/contract';
// runAirOpsBatch (create a batch from URLs, track it, collect its items): client/run.ts gathers url-list, run-start,
// run-watch and run-results.
export * from './run';
export { assertSearchAttributes } from './search-attributes';
export {
  RUN_FAILURE_TYPES,
  RUN_WORKFLOW_TYPE,
  getRunStatus,
  runWorkflowId,
  type ItemsSummary,
  type ResultsRef,
  type RunOptions,
  type RunResult,
  type RunStage,
  type RunStatus,
} from '../workflows/contract';
export { InvalidBatchIdError } from '../olostep/errors';
export { batchIdProblem, validateBatchId } from '../olostep/batch-id';
