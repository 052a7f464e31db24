// Many queries at once on a tracker the moment it closes, and again right after they were answered: every one is
// answered, within the client library's query deadline, and all alike. A closed tracker's queries are answered by
// replaying its history, and the worker evicts the closed run right after it completes and again after each burst of
// queries; several query tasks arriving during such an eviction used to lose all but one of them (their callers got
// "query timed out before a worker could process it"). The worker's workflow-task slots prevent that
// (worker/workflow-task-slots.ts). Evictions take as long here as on a loaded machine (test/fixtures/slow-eviction.ts),
// which is when the loss showed; with the SDK's default slots this test fails.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { DEFAULT_QUERY_TIMEOUT_MS, cancelAirOpsBatch, getAirOpsBatchProgress } from '../../client/progress';
import { getTrackerHandle } from '../../client/track';
import { bundleTrackerWorkflows, createTrackerWorker } from '../../worker/worker';
import { getTimeline, type BatchProgress, type TimelineEntry } from '../../workflows/contract';
import { replayNet } from '../../kit/helpers/replay-net';
import { SLOW, STACK_API_KEY, eventually, startStack, type Stack } from '../client/stack';

replayNet(__filename);

/** Queries per burst: progress and timeline, as several services (a watcher, a dashboard…) would ask. */
const BURST = 12;

describe('a burst of queries on a tracker as it closes: every query answered', () => {
  let stack: Stack;
  let client: Client;
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;

  before(async () => {
    stack = await startStack();
    client = stack.env.client;
    // The stack's worker makes way for the same production worker with slow evictions, on the same task queue.
    stack.worker.shutdown();
    await eventually(async () => (stack.worker.getState() === 'STOPPED' ? true : undefined), 60_000, 'worker stop');
    const noop = () => undefined;
    worker = await createTrackerWorker({
      connection: stack.env.nativeConnection,
      taskQueue: stack.taskQueue,
      olostep: { apiKey: STACK_API_KEY, baseUrl: stack.sim.url, timeoutMs: 5_000 },
      workflowBundle: await bundleTrackerWorkflows({
        workflowInterceptorModules: [require.resolve('../fixtures/slow-eviction')],
        logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop },
      }),
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await stack?.teardown();
  });

  /** BURST queries at once, alternately getProgress and getTimeline, each under the client library's deadline. */
  async function burst(batchId: string, what: string) {
    const handle = getTrackerHandle(client, batchId);
    const settled = await Promise.allSettled(
      Array.from({ length: BURST }, (_, i) =>
        i % 2 === 0
          ? getAirOpsBatchProgress(client, batchId)
          : client.connection.withDeadline(Date.now() + DEFAULT_QUERY_TIMEOUT_MS, () => handle.query(getTimeline)),
      ),
    );
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`query ${i}: ${String(s.reason)}`] : []));
    assert.deepEqual(failed, [], `${what}: every query answered (${failed.length} of ${BURST} were not)`);
    const values = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
    return {
      progress: values.filter((_, i) => i % 2 === 0) as BatchProgress[],
      timelines: values.filter((_, i) => i % 2 === 1) as TimelineEntry[][],
    };
  }

  it(`a cancelled tracker: ${BURST} queries at once as it closes, and again right after those`, async () => {
    const batchId = await stack.createAndTrack(SLOW, 20);
    await eventually(async () => ((await getAirOpsBatchProgress(client, batchId)).overall !== null ? true : undefined));
    await cancelAirOpsBatch(client, batchId);
    const result = await getTrackerHandle(client, batchId).result();
    assert.equal(result.endedBy, 'cancelled');
    for (const what of ['as it closes', 'right after']) {
      const { progress, timelines } = await burst(batchId, what);
      for (const p of progress) assert.deepEqual(p, progress[0], `${what}: every progress answer alike`);
      assert.equal(progress[0]?.batchId, batchId);
      assert.equal(progress[0]?.overall, result.status);
      for (const tl of timelines) assert.deepEqual(tl, result.timeline, `${what}: the result's timeline`);
    }
  });
});
