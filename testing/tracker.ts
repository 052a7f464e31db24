// Running the real tracker against the simulator in a user's own tests: the production activities (real HTTP
// client, real requests) with the simulator's clock following Temporal's, and a one-call helper that runs a tracker
// to its end on a worker of its own.
import { Context } from '@temporalio/activity';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { createActivities, type ResultsSink } from '../activities';
import { startAirOpsBatchTracker } from '../client/track';
import { GRPC_STATUS, grpcCodeOf } from '../client/errors';
import { OlostepClient } from '../olostep/client';
import type { SimulatorHandle } from '../simulator/server';
import { DEFAULT_API_KEY } from '../simulator/server';
import { preflightSearchAttributes, registerSearchAttributes } from '../client/search-attribute-preflight';
import { createTrackerWorker } from '../worker/worker';
import type { TrackOptions, TrackResult } from '../workflows/contract';

/** What the kit needs of a Temporal test environment: `TestWorkflowEnvironment` from `@temporalio/testing` fits. */
export interface TrackerTestEnv {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  namespace?: string;
  /** The server's clock (time-skipping: the skipped time). */
  currentTimeMs(): Promise<number>;
}

/** Where the Temporal time of a running activity is read (a `TestWorkflowEnvironment`). */
export interface TemporalClock {
  currentTimeMs(): Promise<number>;
}

/**
 * The Temporal time of the running activity: a regular activity's scheduled time, or for a local activity (whose
 * scheduled time is the worker's wall clock) the server's time.
 */
export async function activityTime(clock: TemporalClock): Promise<number> {
  const info = Context.current().info;
  return info.isLocal ? clock.currentTimeMs() : info.currentAttemptScheduledTimestampMs;
}

/** Moves a manual-clock simulator forward to `to` (Unix ms); never backwards. */
export async function syncSimClock(sim: SimulatorHandle, to: number): Promise<void> {
  const ahead = Math.floor(to - sim.clock.now());
  if (ahead > 0) await sim.clock.advance(ahead);
}

export interface SimulatorActivitiesOptions {
  /** The simulator's API key (default: the simulator's default key). */
  apiKey?: string;
  /** The HTTP client's per-request timeout (default 2 s: the simulator answers at once). */
  timeoutMs?: number;
  /** Where runAirOpsBatch's collected items go (default: JSONL files under ./results). */
  resultsSink?: ResultsSink;
  /**
   * Temporal's clock, for a simulator started with `clock: 'manual'`: before each call the simulator's clock moves
   * to the call's Temporal time, so a batch progresses exactly as fast as the (time-skipping) server's clock.
   */
  clock?: TemporalClock;
}

/**
 * The production activities (`createActivities`), pointed at the simulator. With `clock`, each call first moves the
 * simulator's manual clock to the call's Temporal time (what a time-skipping test needs).
 */
export function simulatorActivities(sim: SimulatorHandle, options: SimulatorActivitiesOptions = {}) {
  const olostep = new OlostepClient({
    apiKey: options.apiKey ?? DEFAULT_API_KEY,
    baseUrl: sim.url,
    timeoutMs: options.timeoutMs ?? 2_000,
  });
  const real = createActivities({ olostep, ...(options.resultsSink ? { resultsSink: options.resultsSink } : {}) });
  const { clock } = options;
  if (!clock) return real;
  const synced =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await syncSimClock(sim, await activityTime(clock));
      return fn(...args);
    };
  return {
    ...real,
    fetchAirOpsBatchStatus: synced(real.fetchAirOpsBatchStatus),
    createAirOpsBatch: synced(real.createAirOpsBatch),
    fetchAirOpsBatchItems: synced(real.fetchAirOpsBatchItems),
  };
}

/** `n` distinct item bodies for a simulated batch's create request (`{ url, custom_id }`). */
export function sampleItems(n: number, prefix = 'u'): { url: string; custom_id: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    url: `https://example.test/${prefix}/${i}`,
    custom_id: `${prefix}${i}`,
  }));
}

/**
 * Registers the tracker's custom search attributes on the environment's namespace if it lacks them (the SDK's
 * test servers start without any); a no-op where they exist.
 */
export async function registerTrackerSearchAttributes(env: Pick<TrackerTestEnv, 'connection' | 'namespace'>) {
  const namespace = env.namespace ?? 'default';
  const { verified } = await preflightSearchAttributes(env.connection, namespace);
  // The time-skipping server cannot list search attributes (UNIMPLEMENTED), so nothing was checked: register them,
  // where ALREADY_EXISTS means an earlier call did.
  if (!verified) {
    await registerSearchAttributes(env.connection, namespace).catch((err: unknown) => {
      if (grpcCodeOf(err) !== GRPC_STATUS.ALREADY_EXISTS) throw err;
    });
  }
}

export interface RunTrackerOptions {
  env: TrackerTestEnv;
  simulator: SimulatorHandle;
  batchId: string;
  /** The tracker's options (poll intervals, deadline...). */
  track?: TrackOptions;
  /** Default: a unique queue per call. */
  taskQueue?: string;
  /** The simulator's API key (default: the simulator's default key). */
  apiKey?: string;
  /** A pre-built bundle (`bundleTrackerWorkflows()`), to bundle once for many calls; default: bundled per worker. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Follow Temporal's clock with the simulator's (default: when the simulator runs a manual clock). Needed on the
   * time-skipping server, where a tracker's sleeps are skipped.
   */
  syncClock?: boolean;
}

export interface TrackerRun {
  workflowId: string;
  runId: string;
  result: TrackResult;
  /** The run's history (for `Worker.runReplayHistory` or your own assertions). */
  history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
}

/**
 * Runs one tracker for `batchId` to its end on a worker of its own (created on `env`, shut down afterwards)
 * against the simulator, and returns its result and history. Registers the search attributes first.
 */
export async function runTrackerOnSimulator(options: RunTrackerOptions): Promise<TrackerRun> {
  const { env, simulator, batchId } = options;
  const namespace = env.namespace ?? 'default';
  const taskQueue =
    options.taskQueue ?? `airops-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const syncClock = options.syncClock ?? simulator.clock.mode === 'manual';
  await registerTrackerSearchAttributes(env);
  const worker = await createTrackerWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    olostep: { apiKey, baseUrl: simulator.url, timeoutMs: 2_000 },
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    ...(syncClock ? { extra: { activities: simulatorActivities(simulator, { apiKey, clock: env }) } } : {}),
  });
  return worker.runUntil(async () => {
    const handle = await startAirOpsBatchTracker(env.client, batchId, { taskQueue, ...options.track });
    const result = await handle.result();
    const history = await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, result, history };
  });
}
