// trackAirOpsBatch on the real time-skipping test server, with the real activity and OlostepClient talking
// HTTP to the simulator, whose clock follows Temporal's skipped time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
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
import { trackAirOpsBatch as startTracking } from '../../client/track';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
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
} from '../helpers/tracker';
import type { BatchScript } from '../../simulator/server';

describe('trackAirOpsBatch (time-skipping server)', () => {
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
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await sim?.close();
    await env?.teardown();
  });

  /** Creates a simulated batch "now" (Temporal time) and starts its tracker through the client library. */
  async function createAndTrack(script: BatchScript, n = 20, options: TrackOptions = {}) {
    await syncSimClock(sim, await env.currentTimeMs());
    const created = sim.createBatch({ items: urls(n) }, script);
    const handle = await startTracking(env.client, created.id, { taskQueue, ...options });
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
    for (const l of lags) assert.ok(l.lagMs !== null && l.lagMs >= 0 && l.lagMs <= 60_000, `${l.event} lag ${l.lagMs}`);
    assert.ok(result.pollStats.calls <= 40, `${result.pollStats.calls} status calls`);
    await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'happy-path');
  });

  it('enrichment skipped: completes without an enrichment phase', async () => {
    const { batchId, handle } = await createAndTrack({ scenario: 'enrichment_skipped' });
    const result = await handle.result();
    assertMatchesTruth(result, batchId);
    assert.equal(result.phases.enriching.state, 'skipped');
    await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'enrichment-skipped');
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
    await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'enriching-failed');
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
    await maybeRecordHistory(env.client, handle.workflowId, runs[runs.length - 1]!.runId, 'continued-as-new-run');
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
      await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'api-faults');
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
    const handle = await startTracking(env.client, 'batch_does_not_exist', { taskQueue, notFoundGraceMs: 60_000 });
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
    await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'cancelled');
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
    await maybeRecordHistory(env.client, handle.workflowId, handle.firstExecutionRunId, 'webhook-terminal');
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

  it('starting twice for one batch yields one workflow', async () => {
    const { batchId, handle } = await createAndTrack({ scenario: 'happy' });
    const again = await startTracking(env.client, batchId, { taskQueue });
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
