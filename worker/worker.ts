// Builds the tracker's worker from explicit dependencies: used by worker/main.ts, the demo and the tests alike,
// so what the tests run is what production runs.
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ResultsSink } from '../activities';
import { OlostepClient, type OlostepClientOptions } from '../olostep/client';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface TrackerWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** The AirOps client options; the API key lives here, in the worker process, never in workflow inputs. */
  olostep: OlostepClientOptions;
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
  /** Pre-bundled workflow code (tests bundle once per file); default: bundle `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  /** Status calls in flight at once: the tracker's status call is a local activity. */
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** Extra Worker options (e.g. shutdownGraceTime, identity). */
  extra?: Partial<WorkerOptions>;
}

export async function createTrackerWorker(opts: TrackerWorkerOptions): Promise<Worker> {
  const olostep = new OlostepClient(opts.olostep);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities({
      olostep,
      ...(opts.resultsSink ? { resultsSink: opts.resultsSink } : {}),
      ...(opts.webhookUrl !== undefined ? { webhookUrl: opts.webhookUrl } : {}),
    }),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(opts.maxConcurrentLocalActivityExecutions !== undefined
      ? { maxConcurrentLocalActivityExecutions: opts.maxConcurrentLocalActivityExecutions }
      : {}),
    ...(opts.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    ...opts.extra,
  });
}
