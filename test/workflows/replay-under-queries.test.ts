// The conditions under which a local-activity status call once recorded histories that no code could replay
// (docs/determinism.md), on a real dev server with the production worker: trackers queried from the moment they
// start and all through their life, status calls slow enough to be in flight when queries arrive, a refreshNow
// during enrichment, getTimeline after completion. Every history they produce replays on the same code. The same
// with trackers that run as the pre-release tracker did (its local-activity status call: test/fixtures/pre-release-live):
// today's tracker replays their histories, whichever way queries split their workflow tasks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { getProgress, getTimeline, refreshNow } from '../../workflows/contract';
import { WORKFLOWS_PATH, createTrackerWorker } from '../../worker/worker';
import { startAirOpsBatchTracker } from '../../client/track';
import { uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { replayNet } from '../../kit/helpers/replay-net';
import { QUICK, STACK_API_KEY, startStack, type Stack } from '../client/stack';

describe('replay of trackers queried all through their life (dev server)', () => {
  replayNet(__filename);
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.teardown());

  /**
   * Six trackers on `taskQueue`, each queried 20 times in its first second, then every 200 ms to its end, with one
   * refreshNow once enrichment runs and getTimeline after it closed; returns their histories.
   */
  async function queriedThroughTheirLife(taskQueue: string) {
    // Some status calls take long enough that queries and the update arrive while they are in flight.
    stack.sim.faults.set({ fault: { type: 'slow', delayMs: 300 }, endpoints: ['status'], probability: 0.3 });
    const handles = [];
    for (let i = 0; i < 6; i++) {
      const batchId = stack.createBatch(QUICK);
      const handle = await startAirOpsBatchTracker(stack.env.client, batchId, {
        taskQueue,
        minPollIntervalMs: 200,
        maxPollIntervalMs: 1_000,
      });
      // 20 queries 50 ms apart right after the start, as the service that found the fault did.
      for (let q = 0; q < 20; q++) {
        assert.equal((await handle.query(getProgress)).batchId, batchId);
        await new Promise((r) => setTimeout(r, 50));
      }
      handles.push({ batchId, handle });
    }
    await Promise.all(
      handles.map(async ({ batchId, handle }) => {
        let refreshed = false;
        const done = handle.result().then(() => true);
        // Then a query every 200 ms until the end, and one refreshNow once enrichment runs.
        while (!(await Promise.race([done, new Promise<false>((r) => setTimeout(() => r(false), 200))]))) {
          const p = await handle.query(getProgress);
          assert.equal(p.batchId, batchId);
          if (!refreshed && p.currentPhase === 'enriching') {
            refreshed = true;
            assert.equal((await handle.executeUpdate(refreshNow)).batchId, batchId);
          }
        }
        const timeline = await handle.query(getTimeline); // on a closed tracker: a full replay on the worker
        assert.ok(timeline.some((e) => e.phase === 'overall' && e.to === 'completed'));
      }),
    );
    return Promise.all(
      handles.map(async ({ handle }) => ({ workflowId: handle.workflowId, history: await handle.fetchHistory() })),
    );
  }

  /** Replays `histories` on today's tracker; returns the failures. */
  async function replayFailures(histories: Awaited<ReturnType<typeof queriedThroughTheirLife>>): Promise<string[]> {
    const bundle = await workflowBundle(WORKFLOWS_PATH);
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    return failures;
  }

  it('six trackers, each queried from its first moment, with slow status calls and a refreshNow: all replay', async () => {
    const histories = await queriedThroughTheirLife(stack.taskQueue);
    assert.deepEqual(await replayFailures(histories), []);
  });

  it("six trackers running as the pre-release tracker did, queried the same way: today's tracker replays them", async (t) => {
    const taskQueue = uniqueTaskQueue('pre-release');
    const worker = await createTrackerWorker({
      connection: stack.env.nativeConnection,
      taskQueue,
      olostep: { apiKey: STACK_API_KEY, baseUrl: stack.sim.url, timeoutMs: 5_000 },
      workflowBundle: await workflowBundle(require.resolve('../fixtures/pre-release-live')),
    });
    const histories = await worker.runUntil(queriedThroughTheirLife(taskQueue));
    const text = (h: (typeof histories)[number]) => JSON.stringify(h.history.events);
    for (const h of histories) {
      assert.ok(text(h).includes('core_local_activity'), `${h.workflowId}: its status calls are local activities`);
    }
    // Whether a query split a task after a local activity is up to timing; test/histories/pre-release pins a split.
    const split = histories.filter((h) => {
      const events = h.history.events ?? [];
      const firstMarker = events.findIndex(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      const next = events[firstMarker + 1];
      return firstMarker >= 0 && next?.workflowTaskScheduledEventAttributes != null;
    });
    t.diagnostic(`${split.length} of ${histories.length} histories with the first round split across two tasks`);
    assert.deepEqual(await replayFailures(histories), []);
  });
});
