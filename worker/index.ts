/**
 * The worker side of the package (entry `airops-temporal/worker`): everything a process that runs trackers needs.
 *
 * - {@link createTrackerWorker}: a ready worker for the tracker's own task queue (bundles the workflows, registers
 *   the activities, logs and counts failed workflow tasks under {@link installWorkerRuntime}).
 * - For a worker of your own that runs the tracker next to your workflows: re-export `trackAirOpsBatch` (and
 *   `runAirOpsBatch`) from `airops-temporal/workflows` in your workflows module, bundle it with
 *   `preloadModules: [...SHARED_WORKFLOW_MODULES]`, and register `createActivities(...)` from
 *   `airops-temporal/activities` (also re-exported here) next to your activities. Give that worker the tracker's
 *   slots, `...trackerSlotOptions()` ({@link WorkflowTaskSlots}: one workflow task of the normal queue at a time),
 *   or a burst of queries on a tracker that just closed can lose all but one of them.
 * - {@link preflightSearchAttributes}: checks (and where allowed, registers) the custom search attributes trackers
 *   set, before a worker starts; a namespace without them fails every tracker's workflow task.
 *
 * @packageDocumentation
 */
export {
  SHARED_WORKFLOW_MODULES,
  WORKFLOWS_PATH,
  bundleTrackerWorkflows,
  createTrackerWorker,
  type TrackerWorkerOptions,
} from './worker';
export {
  NON_STICKY_WORKFLOW_TASK_SLOTS,
  WorkflowTaskSlots,
  trackerSlotOptions,
  type TrackerSlotOptions,
} from './workflow-task-slots';
export {
  REQUIRED_SEARCH_ATTRIBUTES,
  SearchAttributePreflightError,
  checkSearchAttributes,
  preflightSearchAttributes,
  registerSearchAttributes,
  searchAttributeCreateCommand,
  type RequiredSearchAttribute,
  type SearchAttributeCheck,
  type SearchAttributeOperator,
  type SearchAttributePreflightOptions,
  type SearchAttributePreflightResult,
} from '../client/search-attribute-preflight';
export {
  TaskFailureWatchedWorker,
  WORKFLOW_TASK_FAILED_MESSAGE,
  WORKFLOW_TASK_FAILURE_METRIC,
  createLogger,
  installWorkerRuntime,
  type WorkerRuntimeOptions,
} from './logging';
export {
  JsonlFileSink,
  createActivities,
  type ActivityApi,
  type ActivityDeps,
  type Activities,
  type ResultsRef,
  type ResultsSink,
} from '../activities';
export { DEFAULT_TASK_QUEUE, TRACK_WORKFLOW_TYPE, RUN_WORKFLOW_TYPE } from '../workflows/contract';
