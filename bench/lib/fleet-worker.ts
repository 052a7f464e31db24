// The tracker worker as its own process for the scale and query benchmarks, so its CPU and RSS are its own: the
// production createTrackerWorker with the cached workflow bundle, settings from FLEET_WORKER_CONFIG (JSON).
// Talks to its parent over IPC: 'ready' once polling; on 'stats' it answers with its event-loop delay and memory;
// on 'memory' with its memory after a full GC of its main thread (RSS, main-thread heap, the workflow threads' heap);
// on 'stop' it shuts down and exits 0 (so `node --cpu-prof` can write its profile).
//   node --import tsx bench/lib/fleet-worker.ts   (spawned by bench/lib/fleet.ts)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DefaultLogger, NativeConnection, Runtime, type TunerHolder } from '@temporalio/worker';
import { cachedWorkflowBundle } from '../../demo/workflow-bundle';
import { cacheDir } from '../../scripts/temporal-servers';
import { createTrackerWorker } from '../../worker/worker';
import { DEFAULT_WORKFLOW_TASK_SLOTS, trackerSlotOptions } from '../../worker/workflow-task-slots';

export interface FleetWorkerConfig {
  address: string;
  taskQueue: string;
  olostepBaseUrl: string;
  olostepApiKey: string;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /** A fixed maximum, or 'auto': the SDK's autoscaling poller behaviour (scales with the backlog). */
  workflowTaskPollers?: number | 'auto';
  activityTaskPollers?: number | 'auto';
  nonStickyToStickyPollRatio?: number;
  /** A workflow bundle's file (bench/scale.ts --compare bundles the bench entry); default: the cached tracker bundle. */
  bundlePath?: string;
  /**
   * `tracker` (default): createTrackerWorker's slot supplier (at most one non-sticky workflow task at a time, so no
   * query on a closed tracker is lost). `fixed`: the SDK's fixed-size supplier with as many slots, to measure what
   * the tracker's costs a start storm (bench/scale.ts --slots fixed).
   */
  slots?: 'tracker' | 'fixed';
}

/** The tracker's tuner with the SDK's fixed-size supplier for workflow tasks instead of WorkflowTaskSlots. */
function fixedSlots(config: FleetWorkerConfig) {
  const { tuner } = trackerSlotOptions({
    ...(config.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: config.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(config.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: config.maxConcurrentActivityTaskExecutions }
      : {}),
  }) as { tuner: TunerHolder };
  const slots = config.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  return { ...tuner, workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: slots } } satisfies TunerHolder;
}

function pollerBehavior(p: number | 'auto') {
  return p === 'auto'
    ? ({ type: 'autoscaling', minimum: 2, initial: 5, maximum: 100 } as const)
    : ({ type: 'simple-maximum', maximum: p } as const);
}

export type FleetWorkerMessage =
  | { type: 'ready'; bundleCached: boolean }
  | {
      type: 'stats';
      rssMiB: number;
      heapUsedMiB: number;
      eventLoopDelayMs: { p50: number; p99: number; max: number };
    }
  | { type: 'memory'; memory: WorkerMemory };

/** The worker's memory: RSS, and heap in use of the main thread (after a full GC) and of the workflow threads. */
export interface WorkerMemory {
  rssMiB: number;
  mainHeapUsedMiB: number;
  /** Heap the main thread has committed (in the RSS), used or not. */
  mainHeapTotalMiB: number;
  /** The SDK's workflow threads (their heap in use as their last GC left it: they cannot be made to collect). */
  workflowThreadsHeapUsedMiB: number;
  workflowThreadsHeapTotalMiB: number;
  threads: number;
}

const MiB = 2 ** 20;

function workerMemory(): WorkerMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const report = process.report.getReport() as unknown as {
    workers?: { javascriptHeap?: { usedMemory?: number; totalMemory?: number } }[];
  };
  const threads = report.workers ?? [];
  const mem = process.memoryUsage();
  const round = (b: number) => Math.round((b / MiB) * 10) / 10;
  return {
    rssMiB: round(mem.rss),
    mainHeapUsedMiB: round(mem.heapUsed),
    mainHeapTotalMiB: round(mem.heapTotal),
    workflowThreadsHeapUsedMiB: round(threads.reduce((a, t) => a + (t.javascriptHeap?.usedMemory ?? 0), 0)),
    workflowThreadsHeapTotalMiB: round(threads.reduce((a, t) => a + (t.javascriptHeap?.totalMemory ?? 0), 0)),
    threads: threads.length,
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.FLEET_WORKER_CONFIG ?? '{}') as FleetWorkerConfig;
  // tsx turns source maps on; with them Node consults its source-map cache for every function the SDK compiles
  // (its promise hook builds two per promise in workflow code). For the A/B in bench/scale.ts --no-source-maps.
  if (process.env.FLEET_WORKER_SOURCE_MAPS === 'off') process.setSourceMapsEnabled(false);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const bundle =
    config.bundlePath !== undefined
      ? { code: readFileSync(config.bundlePath, 'utf8'), cached: true }
      : await cachedWorkflowBundle(join(cacheDir(), 'workflow-bundles'));
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await createTrackerWorker({
    connection,
    taskQueue: config.taskQueue,
    olostep: { apiKey: config.olostepApiKey, baseUrl: config.olostepBaseUrl },
    workflowBundle: { code: bundle.code },
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    ...(config.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: config.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(config.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: config.maxConcurrentActivityTaskExecutions }
      : {}),
    extra: {
      ...(config.workflowTaskPollers !== undefined
        ? { workflowTaskPollerBehavior: pollerBehavior(config.workflowTaskPollers) }
        : {}),
      ...(config.activityTaskPollers !== undefined
        ? { activityTaskPollerBehavior: pollerBehavior(config.activityTaskPollers) }
        : {}),
      ...(config.nonStickyToStickyPollRatio !== undefined
        ? { nonStickyToStickyPollRatio: config.nonStickyToStickyPollRatio }
        : {}),
      ...(config.slots === 'fixed' ? { tuner: fixedSlots(config) } : {}),
    },
  });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') worker.shutdown();
    if (m.type === 'memory') process.send?.({ type: 'memory', memory: workerMemory() } satisfies FleetWorkerMessage);
    if (m.type === 'stats') {
      const mem = process.memoryUsage();
      const msg: FleetWorkerMessage = {
        type: 'stats',
        rssMiB: Math.round(mem.rss / 2 ** 20),
        heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
        eventLoopDelayMs: {
          p50: loop.percentile(50) / 1e6,
          p99: loop.percentile(99) / 1e6,
          max: loop.max / 1e6,
        },
      };
      loop.reset();
      process.send?.(msg);
    }
  });
  const running = worker.run();
  process.send?.({ type: 'ready', bundleCached: bundle.cached } satisfies FleetWorkerMessage);
  await running;
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
