// trackAirOpsBatch on the real time-skipping test server, with the real activity and OlostepClient talking
// HTTP to the simulator, whose clock follows Temporal's skipped time. The whole suite runs twice: with the worker's
// workflow cache, and with no cache at all, so every workflow task replays the whole history (as after an
// eviction, a restart or a move to another worker).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import {
  getPollStats,
  getProgress,
  getTimeline,
  airopsEvent,
  refreshNow,
  searchAttributes,
  trackerWorkflowId,
  type TrackOptions,
  type TrackResult,
} from '../../workflows/contract';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { startAirOpsBatchTracker } from '../../client/track';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { replayNet } from '../../kit/helpers/replay-net';
import {
  TEST_API_KEY,
  assertOutcomeMatchesTruth,
  clockSyncedActivities,
  detectionLags,
  historiesOfChain,
  maybeRecordHistory,
  syncSimClock,
  urls,
  webhookFromStatus,
} from '../../kit/helpers/tracker';
import type { BatchScript } from '../../simulator/server';

const CACHE_MODES: { name: string; worker: Partial<WorkerOptions> }[] = [
  { name: 'cached workflows', worker: {} },
  { name: 'no workflow cache: every task replays', worker: { maxCachedWorkflows: 0 } },
];

for (const mode of CACHE_MODES) describeTracker(mode);

function describeTracker(mode: (typeof CACHE_MODES)[number]): void {
  describe(`trackAirOpsBatch (time-skipping server, ${mode.name})`, () => {
    replayNet(__filename);
    let env: TestWorkflowEnvironment;
    let sim: SimulatorHandle;
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = uniqueTaskQueue('track');

    before(async () => {
      env = await createTimeSkippingEnv();
      sim = await startSimulator({ clock: 'manual', apiKey: TEST_API_KEY, startTime: await env.currentTimeMs() });
      worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(WORKFLOWS_PATH),
        activities: clockSyncedActivities(sim, env, 500),
        ...mode.worker,
      });
      running = worker.run();
    });
    after(async () => {
      worker?.shutdown();
      await running;
      await sim?.close();
      await env?.teardown();
    });

    /** Committed histories (RECORD_HISTORIES=1) come from the cached run; the uncached one makes the same shapes. */
    const record = mode === CACHE_MODES[0] ? maybeRecordHistory : async () => undefined;

    /** Creates a simulated batch "now" (Temporal time) and starts its tracker through the client library. */
    async function createAndTrack(script: BatchScript, n = 20, options: TrackOptions = {}) {
      await syncSimClock(sim, await env.currentTimeMs());
      const created = sim.createBatch({ items: urls(n) }, script);
      const handle = await startAirOpsBatchTracker(env.client, created.id, { taskQueue, ...options });
      return { batchId: created.id, handle };
    }

    function assertMatchesTruth(result: TrackResult, batchId: string) {
      assertOutcomeMatchesTruth(result, sim.groundTruth(batchId));
    }

    it('happy path: follows scraping → analyzing → enriching to completed with ground-truth metrics', async (t) => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' }, 100);
      const result = await handle.result();
      assertMatchesTruth(result, batchId);
      assert.equal(result.endedBy, 'terminal');
      assert.deepEqual(
        result.timeline.filter((e) => e.phase === 'overall').map((e) => e.to),
        ['in_progress', 'completed'],
      );
      assert.ok(result.phases.enriching.durationMs !== null && result.phases.enriching.durationMs > 0);
      const runs = await historiesOfChain(env.client, handle.workflowId, handle.firstExecutionRunId);
      const events = runs.reduce((n, r) => n + r.events.length, 0);
      const lags = detectionLags(sim.groundTruth(batchId).events, result.timeline);
      t.diagnostic(
        `reference lifecycle (300 s / 2 s / 1,295 s), polling only: ${result.pollStats.calls} status calls, ${events} history events, ${runs.length} run(s); detection lag ${lags.map((l) => `${l.event} ${l.lagMs === null ? 'never' : `${(l.lagMs / 1000).toFixed(1)} s`}`).join(', ')}`,
      );
      for (const l of lags)
        assert.ok(l.lagMs !== null && l.lagMs >= 0 && l.lagMs <= 60_000, `${l.event} lag ${l.lagMs}`);
      assert.ok(result.pollStats.calls <= 40, `${result.pollStats.calls} status calls`);
      await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'happy-path');
    });

    it('enrichment skipped: completes without an enrichment phase', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'enrichment_skipped' });
      const result = await handle.result();
      assertMatchesTruth(result, batchId);
      assert.equal(result.phases.enriching.state, 'skipped');
      await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'enrichment-skipped');
    });

    it('scraping failed: ends with status failed, the failed phase and its error code', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'scraping_failed' });
      const result = await handle.result();
      assertMatchesTruth(result, batchId);
      assert.equal(result.status, 'failed');
      assert.equal(result.failedPhase, 'scraping');
      assert.equal(result.error?.code, 'SCRAPING_ERROR');
    });

    it('enriching failed (LLM_BATCH_EXPIRED): ends failed in enriching', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'llm_batch_expired' });
      const result = await handle.result();
      assertMatchesTruth(result, batchId);
      assert.equal(result.failedPhase, 'enriching');
      assert.equal(result.error?.code, 'LLM_BATCH_EXPIRED');
      await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'enriching-failed');
    });

    it('a 24-hour enrichment: seconds of wall time, continue-as-new, no run over 4,096 events', async (t) => {
      const started = Date.now();
      const { batchId, handle } = await createAndTrack({
        scenario: 'happy',
        durations: { enrichingMs: 24 * 3_600_000 },
      });
      const result = await handle.result();
      const wallMs = Date.now() - started;
      assertMatchesTruth(result, batchId);
      const runs = await historiesOfChain(env.client, handle.workflowId, handle.firstExecutionRunId);
      const total = runs.reduce((n, r) => n + r.events.length, 0);
      const bytes = runs.reduce((n, r) => n + r.bytes, 0);
      t.diagnostic(
        `24 h enrichment: wall ${wallMs} ms, ${runs.length} runs, ${total} events (max/run ${Math.max(...runs.map((r) => r.events.length))}), ${bytes} bytes, ${result.pollStats.calls} status calls`,
      );
      assert.ok(runs.length >= 2, 'continue-as-new happened');
      assert.equal(result.runs, runs.length);
      for (const r of runs) assert.ok(r.events.length <= 4_096, `a run has ${r.events.length} events`);
      assert.ok(total <= 2_000, `${total} events over 24 h`);
      await record(env.client, handle.workflowId, runs[runs.length - 1]!.runId, 'continued-as-new-run');
    });

    it('5xx, 429 and timeouts never fail the workflow, and are counted by type', async () => {
      const ids = sim.faults.set([
        { fault: { type: 'server_error' }, endpoints: ['status'], probability: 0.3 },
        { fault: { type: 'rate_limit', retryAfterSeconds: 3 }, endpoints: ['status'], probability: 0.15 },
        { fault: { type: 'slow', delayMs: 1_500 }, endpoints: ['status'], count: 2 },
        { fault: { type: 'truncated_json' }, endpoints: ['status'], count: 1 },
      ]);
      try {
        const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
        const result = await handle.result();
        assertMatchesTruth(result, batchId);
        const byType = result.pollStats.errorsByType;
        assert.ok((byType.ServerError ?? 0) > 0, JSON.stringify(byType));
        assert.ok((byType.Timeout ?? 0) >= 1, JSON.stringify(byType));
        assert.ok((byType.ContractViolation ?? 0) >= 1, JSON.stringify(byType));
        assert.equal(
          result.pollStats.errors,
          Object.values(byType).reduce((a, b) => a + b, 0),
        );
        await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'api-faults');
      } finally {
        for (const id of ids) sim.faults.clear({ id });
      }
    });

    it('429 with Retry-After delays the next poll by at least that long', async () => {
      const ids = sim.faults.set([
        { fault: { type: 'rate_limit', retryAfterSeconds: 120 }, endpoints: ['status'], count: 1 },
      ]);
      try {
        const { handle } = await createAndTrack({ scenario: 'enrichment_skipped' });
        await handle.result();
        const polls = sim.requests.filter(
          (r) => r.endpoint === 'status' && r.path.endsWith(handle.workflowId.replace('airops-batch-', '')),
        );
        assert.equal(polls[0]?.status, 429);
        assert.ok(
          polls[1] !== undefined && polls[1].at - polls[0].at >= 120_000,
          `second poll ${polls[1]!.at - polls[0].at} ms later`,
        );
      } finally {
        for (const id of ids) sim.faults.clear({ id });
      }
    });

    it('NotFound after the grace window fails the workflow with type NotFound', async () => {
      const handle = await startAirOpsBatchTracker(env.client, 'batch_does_not_exist', {
        taskQueue,
        notFoundGraceMs: 60_000,
      });
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError);
        assert.ok(err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'NotFound');
        assert.ok(!err.cause.message.includes(TEST_API_KEY));
        return true;
      });
      const stats = await handle.query(getPollStats);
      assert.ok(stats.calls >= 2, '404s inside the grace window were retried');
      assert.ok((stats.errorsByType.NotFound ?? 0) >= 2);
    });

    it('a 404 right after create (eventual consistency) is ridden out inside the grace window', async () => {
      const ids = sim.faults.set([
        { fault: { type: 'not_found_after_create', windowMs: 20_000 }, endpoints: ['status'] },
      ]);
      try {
        const { batchId, handle } = await createAndTrack({ scenario: 'enrichment_skipped' });
        const result = await handle.result();
        assertMatchesTruth(result, batchId);
        assert.ok((result.pollStats.errorsByType.NotFound ?? 0) >= 1);
      } finally {
        for (const id of ids) sim.faults.clear({ id });
      }
    });

    it('cancellation ends it cleanly and returns the last state', async () => {
      const { handle } = await createAndTrack({ scenario: 'happy' });
      await env.sleep(60_000);
      await handle.cancel();
      const result = await handle.result();
      assert.equal(result.endedBy, 'cancelled');
      assert.equal(result.status, 'in_progress');
      assert.ok(result.pollStats.calls >= 1);
      await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'cancelled');
    });

    it('queries answer mid-flight with plain JSON', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' }, 50);
      await env.sleep(100_000); // well inside the 300 s scraping phase
      const progress = await handle.query(getProgress);
      assert.equal(progress.batchId, batchId);
      assert.equal(progress.overall, 'in_progress');
      assert.equal(progress.currentPhase, 'scraping');
      assert.equal(progress.totalUrls, 50);
      assert.ok(progress.percent >= 0 && progress.percent < 100);
      assert.equal(progress.stalled, false);
      assert.deepEqual(JSON.parse(JSON.stringify(progress)), progress);
      const stats = await handle.query(getPollStats);
      assert.ok(stats.calls >= 1);
      const timeline = await handle.query(getTimeline);
      assert.ok(timeline.some((e) => e.phase === 'scraping' && e.to === 'started'));
      await handle.cancel();
      await handle.result();
    });

    it('a signal wakes the loop at once: a terminal webhook ends tracking without another poll', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
      await env.sleep(30_000);
      const before = await handle.query(getPollStats);
      const truth = sim.groundTruth(batchId);
      await handle.signal(
        airopsEvent,
        webhookFromStatus(truth.final, 'event.batch.airops.completed', truth.terminalAt) as never,
      );
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.equal(result.pollStats.calls, before.calls, 'no poll between the signal and the end');
      assert.equal(result.pollStats.webhookEvents, 1);
      await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'webhook-terminal');
    });

    it('duplicate and out-of-order events never regress state', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
      const truth = sim.groundTruth(batchId);
      const final = truth.final;
      const earlyStatus = {
        ...final,
        status: 'in_progress',
        scraping: { ...final.scraping, state: 'started', succeeded: 0, failed: 0, completed_at: null },
        analyzing: { ...final.analyzing, state: 'pending', started_at: null, completed_at: null },
        enriching: { ...final.enriching, state: 'pending', items_enriched: 0, started_at: null, completed_at: null },
      };
      const terminal = webhookFromStatus(final, 'event.batch.airops.completed', truth.terminalAt);
      const early = webhookFromStatus(earlyStatus, 'event.batch.airops.scraping_started', final.created_at);
      await handle.signal(airopsEvent, terminal as never);
      await handle.signal(airopsEvent, early as never); // stale, arrives late
      await handle.signal(airopsEvent, terminal as never); // duplicate
      const result = await handle.result();
      assertMatchesTruth(result, batchId);
      assert.equal(result.phases.scraping.state, 'completed');
      assert.ok(result.pollStats.duplicateEvents + result.pollStats.staleIgnored >= 1);
    });

    it('while status calls are held open: queries answer, signals merge and refreshNow waits; the history replays', async () => {
      // Every status call is held by the simulator until the test releases it, so each step below happens while a
      // call is in flight, whatever the machine's speed: the first workflow task's call, a refreshNow's call, later
      // scheduled polls.
      const [hold] = sim.faults.set({ fault: { type: 'hold' }, endpoints: ['status'] });
      const heldCalls = async (rule: string | undefined, n: number) => {
        const giveUp = Date.now() + 60_000; // a guard against a hang, not a threshold of the behaviour
        while (sim.faults.held(rule) < n) {
          assert.ok(Date.now() < giveUp, `never ${n} held status call(s): ${JSON.stringify(sim.requests.slice(-5))}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      // Its own worker, whose client waits as long as the test holds a call (the suite's gives up after 500 ms).
      const heldQueue = uniqueTaskQueue('held');
      const heldWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: heldQueue,
        workflowBundle: await workflowBundle(WORKFLOWS_PATH),
        activities: clockSyncedActivities(sim, env, 10 * 60_000),
        ...mode.worker,
      });
      /** The tracker's status call is in flight: an activity the server has handed to the worker. */
      const callInFlight = async (handle: { describe(): Promise<{ raw: { pendingActivities?: unknown[] | null } }> }) =>
        (await handle.describe()).raw.pendingActivities?.length === 1;
      try {
        await heldWorker.runUntil(async () => {
          await syncSimClock(sim, await env.currentTimeMs());
          const created = sim.createBatch(
            { items: urls(20) },
            { scenario: 'happy', durations: { scrapingMs: 30_000, enrichSubmitMs: 1_000, enrichingMs: 30_000 } },
          );
          const batchId = created.id;
          const handle = await startAirOpsBatchTracker(env.client, batchId, {
            taskQueue: heldQueue,
            minPollIntervalMs: 1_000,
            maxPollIntervalMs: 3_000, // webhooks stretch polls to the max: keep it short, time does not skip here
          });
          // Queries right from the start: before and while the first status call is in flight.
          const early = await Promise.all(Array.from({ length: 5 }, () => handle.query(getProgress)));
          for (const p of early) assert.equal(p.batchId, batchId);
          await heldCalls(hold, 1);
          const during = await handle.query(getProgress);
          assert.equal(during.batchId, batchId);
          assert.equal(sim.faults.held(hold), 1, 'the query was answered while the first call was held');
          assert.ok(await callInFlight(handle));
          assert.equal((await handle.query(getPollStats)).calls, 0);

          // A webhook signal is merged at once, while the call is still held.
          const truth = sim.groundTruth(batchId);
          const scrapingStarted = {
            ...truth.final,
            status: 'in_progress',
            scraping: { ...truth.final.scraping, state: 'started', succeeded: 3, failed: 0, completed_at: null },
            analyzing: { ...truth.final.analyzing, state: 'pending', started_at: null, completed_at: null },
            enriching: {
              ...truth.final.enriching,
              state: 'pending',
              items_enriched: 0,
              started_at: null,
              completed_at: null,
            },
          };
          await handle.signal(
            airopsEvent,
            webhookFromStatus(scrapingStarted, 'event.batch.airops.scraping_started', truth.final.created_at) as never,
          );
          const merged = await handle.query(getPollStats);
          assert.equal(merged.webhookEvents, 1);
          assert.equal((await handle.query(getProgress)).overall, 'in_progress');
          assert.equal(sim.faults.held(hold), 1, 'the signal was merged while the first call was held');
          assert.ok(await callInFlight(handle));

          // refreshNow while the first call is held: its own call is held too; it answers once released.
          const refreshed = handle.executeUpdate(refreshNow);
          await heldCalls(hold, 2);
          assert.equal((await handle.query(getProgress)).batchId, batchId, 'queries answer while two calls are held');
          // Later scheduled polls are held too (time does not skip here, so the batch is still running).
          sim.faults.clear({ id: hold });
          const [later] = sim.faults.set({ fault: { type: 'hold' }, endpoints: ['status'], count: 3 });
          assert.equal(sim.faults.release(hold), 2);
          assert.equal((await refreshed).batchId, batchId);
          for (let released = 0; released < 3;) {
            await heldCalls(later, 1);
            assert.equal((await handle.query(getProgress)).batchId, batchId);
            released += sim.faults.release(later);
          }
          const result = await handle.result();
          assertMatchesTruth(result, batchId);

          // The history made under these conditions replays on the same code (the net replays it too).
          const history = await handle.fetchHistory();
          await Worker.runReplayHistory(
            { workflowBundle: await workflowBundle(WORKFLOWS_PATH) },
            history,
            'held-calls',
          );
          await record(env.client, handle.workflowId, handle.firstExecutionRunId, 'held-status-calls');
        });
      } finally {
        sim.faults.release();
        sim.faults.clear();
      }
    });

    it('starting twice for one batch yields one workflow', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
      const again = await startAirOpsBatchTracker(env.client, batchId, { taskQueue });
      assert.equal(again.workflowId, trackerWorkflowId(batchId));
      assert.equal(again.firstExecutionRunId, handle.firstExecutionRunId);
      await handle.cancel();
      await handle.result();
    });

    it('refreshNow polls immediately and returns the fresh progress', async () => {
      const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
      await env.sleep(20_000);
      const before = await handle.query(getPollStats);
      const progress = await handle.executeUpdate(refreshNow);
      const after = await handle.query(getPollStats);
      assert.equal(progress.batchId, batchId);
      assert.equal(after.calls, before.calls + 1);
      assert.equal(progress.overall, 'in_progress');
      await handle.cancel();
      await handle.result();
    });

    it('a batch with no progress is flagged stalled (query and search attribute) and, with failOnStall, fails', async () => {
      const ids = sim.faults.set([{ fault: { type: 'server_error', status: 503 }, endpoints: ['status'] }]);
      try {
        const { handle } = await createAndTrack({ scenario: 'happy' }, 20, {
          stallTimeoutMs: 10 * 60_000,
          failOnStall: true,
        });
        await assert.rejects(handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
          assert.equal(err.cause.type, 'BatchStalled');
          return true;
        });
        const desc = await handle.describe();
        assert.equal(desc.typedSearchAttributes.get(searchAttributes.stalled), true);
        const progress = await handle.query(getProgress);
        assert.equal(progress.stalled, true);
      } finally {
        for (const id of ids) sim.faults.clear({ id });
      }
    });

    it('a tracking deadline ends it with TrackingDeadlineExceeded and the last state', async () => {
      const { handle } = await createAndTrack({ scenario: 'happy' }, 20, { deadlineMs: 120_000 });
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'TrackingDeadlineExceeded');
        const last = err.cause.details?.[0] as TrackResult | undefined;
        assert.equal(last?.status, 'in_progress');
        return true;
      });
    });

    it('refuses an invalid batch id or options inside the workflow too (not only in the client)', async () => {
      for (const [args, type] of [
        [['bad id\n', {}], 'InvalidBatchId'],
        [['batch_ok', { minPollIntervalMs: -1 }], 'InvalidTrackOptions'],
      ] as const) {
        const handle = await env.client.workflow.start('trackAirOpsBatch', {
          taskQueue,
          workflowId: uniqueTaskQueue('bad-input'),
          args: [...args],
        });
        await assert.rejects(handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
          assert.equal(err.cause.type, type);
          return true;
        });
      }
    });

    it('the API key never enters a history', async () => {
      const { handle } = await createAndTrack({ scenario: 'enrichment_skipped' });
      await handle.result();
      const history = await handle.fetchHistory();
      assert.ok(!JSON.stringify(history).includes(TEST_API_KEY));
    });
  });
}
