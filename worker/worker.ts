// Builds the tracker's worker from explicit dependencies: used by worker/main.ts, the demo and the tests alike,
// so what the tests run is what production runs.
import {
  type BundleOptions,
  type NativeConnection,
  type Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
  bundleWorkflowCode,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps, type ResultsSink } from '../activities';
import { TaskFailureWatchedWorker } from './logging';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';
import { trackerSlotOptions } from './workflow-task-slots';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Pure modules of the workflow code (constants, definitions and reducers, no module-level state) that the worker
 * loads once into its reusable V8 context and shares, deep-frozen, between all cached workflows (the SDK's
 * `preloadModules`). Otherwise every cached workflow evaluates its own copy of each: heap per cached tracker
 * (bench/results/REPORT.md has the figures), and the CPU of evaluating them whenever a workflow enters the cache. A module added here must not keep state at
 * module level; the workflow modules themselves stay per-workflow.
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  '../workflows/contract',
  '../workflows/track-options',
  '../workflows/tracker-state',
  '../workflows/fingerprint',
  '../workflows/reducer',
  '../workflows/poll-stats',
  '../workflows/eta',
  '../workflows/progress',
  '../workflows/schedule',
  '../workflows/failure-types',
  '../workflows/run-keys',
  '../workflows/run-summary',
  '../olostep/batch-id',
  '../olostep/normalize',
  '../olostep/create-request',
].map((m) => require.resolve(m));

/** Bundles the workflow code once, for `workflowBundle` (tests, benchmarks, or a pre-built bundle for production). */
export function bundleTrackerWorkflows(
  opts: Omit<BundleOptions, 'workflowsPath' | 'preloadModules'> = {},
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...opts, workflowsPath: WORKFLOWS_PATH, preloadModules: [...SHARED_WORKFLOW_MODULES] });
}

export interface TrackerWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /**
   * The AirOps client options (or a client already built); the API key lives here, in the worker process, never in
   * workflow inputs.
   */
  olostep: ActivityDeps['olostep'];
  /**
   * Where runAirOpsBatch puts collected items. Default: `new JsonlFileSink()`, one JSONL file per run under
   * `./results` of the worker's working directory (`new JsonlFileSink({ dir })` for another directory).
   */
  resultsSink?: ResultsSink;
  /**
   * The webhook receiver's URL (with its secret) that runAirOpsBatch's create requests get when they have no
   * `webhook`. Held here, in the worker process, so the secret never enters a workflow input or history.
   */
  webhookUrl?: string;
  /** Pre-bundled workflow code (`bundleTrackerWorkflows()`; tests bundle once per file); default: bundle at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Activities in flight at once: status calls, and the create and items calls of runAirOpsBatch. */
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * Workflow tasks in the worker at once (default 40, the SDK's; at least 2). At most one of them comes from the
   * task queue's normal (non-sticky) queue, so that no query on a closed tracker is lost (worker/workflow-task-slots.ts).
   */
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** Extra Worker options (e.g. shutdownGraceTime, identity). */
  extra?: Partial<WorkerOptions>;
}

/**
 * The tracker's worker. Built as TaskFailureWatchedWorker, so that under installWorkerRuntime every failed workflow
 * task attempt is logged at ERROR and counted (worker/logging.ts).
 */
export async function createTrackerWorker(opts: TrackerWorkerOptions): Promise<Worker> {
  return TaskFailureWatchedWorker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities({
      olostep: opts.olostep,
      ...(opts.resultsSink ? { resultsSink: opts.resultsSink } : {}),
      ...(opts.webhookUrl !== undefined ? { webhookUrl: opts.webhookUrl } : {}),
    }),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: [...SHARED_WORKFLOW_MODULES] } }),
    // Workflow-task slots that never lose a query on a closed tracker (worker/workflow-task-slots.ts).
    ...trackerSlotOptions({
      ...(opts.maxConcurrentWorkflowTaskExecutions !== undefined
        ? { maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions }
        : {}),
      ...(opts.maxConcurrentActivityTaskExecutions !== undefined
        ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions }
        : {}),
    }),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    ...opts.extra,
  });
}
