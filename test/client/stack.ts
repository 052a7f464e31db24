// A real stack for client, CLI and UI tests: the Temporal CLI dev server (createDevServerEnv), the AirOps simulator
// on a real clock sped up, and the production worker (createTrackerWorker) talking HTTP to the simulator.
// Shared by test/client, test/cli and test/ui; each test file starts its own.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { JsonlFileSink } from '../../activities';
import { startSimulator, type BatchScript, type SimulatorHandle } from '../../simulator/server';
import { WORKFLOWS_PATH, createTrackerWorker } from '../../worker/worker';
import { startAirOpsBatchTracker } from '../../client/track';
import type { TrackOptions } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';

export const STACK_API_KEY = 'sk_test_CLIENT_STACK_7d1e2f';

/** Short phases: at 50x, scraping 1.2 s, analyzing 0.04 s, enrichment 2.4 s of wall time. */
export const QUICK: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 60_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 120_000 },
};
/** Long enough to still be running while a test looks at it (~2 min of wall time at 50x). */
export const SLOW: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 6_000_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 6_000_000 },
};
/** The ids olostep/batch-id.ts refuses; none may reach Temporal. */
export const BAD_IDS: [string, string][] = [
  ['empty', ''],
  ['whitespace', 'batch_ x'],
  ['10 KB', `batch_${'a'.repeat(10_240)}`],
  ['path traversal', '../../v1/x'],
  ['encoded slash', 'batch_%2Fx'],
  ['NUL', 'batch_\u0000x'],
];

/** Poll quickly: the simulator runs 50x faster than the tracker's real-time defaults assume. */
export const FAST_POLLS: TrackOptions = { minPollIntervalMs: 200, maxPollIntervalMs: 1_000 };

export interface Stack {
  env: TestWorkflowEnvironment;
  sim: SimulatorHandle;
  worker: Worker;
  taskQueue: string;
  /** host:port of the dev server. */
  address: string;
  /** Creates a batch on the simulator (no HTTP) and returns its id. */
  createBatch(script?: BatchScript, urls?: number): string;
  /** Creates a batch and starts its tracker through the client library. */
  createAndTrack(script?: BatchScript, urls?: number): Promise<string>;
  teardown(): Promise<void>;
}

export async function startStack(
  opts: { uiPort?: number; timeScale?: number; resultsDir?: string } = {},
): Promise<Stack> {
  const env = await createDevServerEnv(opts.uiPort ? { uiPort: opts.uiPort } : {});
  const sim = await startSimulator({
    apiKey: STACK_API_KEY,
    timeScale: opts.timeScale ?? 50,
    seed: `stack-${process.pid}-${Date.now()}`,
  });
  const taskQueue = uniqueTaskQueue('stack');
  const worker = await createTrackerWorker({
    connection: env.nativeConnection,
    taskQueue,
    olostep: { apiKey: STACK_API_KEY, baseUrl: sim.url, timeoutMs: 5_000 },
    workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    ...(opts.resultsDir ? { resultsSink: new JsonlFileSink({ dir: opts.resultsDir }) } : {}),
  });
  const running = worker.run();
  let n = 0;
  const createBatch = (script: BatchScript = QUICK, urls = 20) =>
    sim.createBatch(
      {
        items: Array.from({ length: urls }, (_, i) => ({
          url: `https://example.test/p/${n}/${i}`,
          custom_id: `c${i}`,
        })),
        metadata: { test_batch: String(++n) },
      },
      script,
    ).id;
  return {
    env,
    sim,
    worker,
    taskQueue,
    address: env.address,
    createBatch,
    async createAndTrack(script = QUICK, urls = 20) {
      const id = createBatch(script, urls);
      await startAirOpsBatchTracker(env.client, id, { taskQueue, ...FAST_POLLS });
      return id;
    },
    async teardown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await sim.close();
      await env.teardown();
    },
  };
}

export { eventually } from '../../kit/helpers/wait';
