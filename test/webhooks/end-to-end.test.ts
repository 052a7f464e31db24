// Webhooks end to end: the simulator (real clock, time-scaled) POSTs every lifecycle event over real HTTP to the
// receiver, which signals trackers on a real Temporal dev server run by the real worker (its status activity
// talking HTTP to the same simulator). Webhooks replace polling, duplicates and reordering change nothing, and an
// event that arrives before anyone started tracking starts the tracker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startAirOpsBatchTracker } from '../../client/track';
import { startSimulator, type BatchScript, type SimulatorHandle } from '../../simulator/server';
import { WORKFLOWS_PATH, createTrackerWorker } from '../../worker/worker';
import { trackerWorkflowId, type TrackResult } from '../../workflows/contract';
import type { trackAirOpsBatch as trackWorkflow } from '../../workflows/track-airops-batch';
import { createWebhookReceiver, webhookUrlFor, type SignaledEvent, type WebhookReceiver } from '../../webhooks/server';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { TEST_API_KEY, urls } from '../../kit/helpers/tracker';
import { SECRET, post } from '../../kit/webhooks/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

/** 400×: the reference lifecycle (300 s + 2 s + 3 s + 1,295 s) takes 4 s of wall time. */
const TIME_SCALE = 400;

describe('webhooks end to end (dev server, worker, simulator over HTTP)', () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  let receiver: WebhookReceiver;
  let worker: Worker;
  let running: Promise<void>;
  let hook: string;
  const taskQueue = uniqueTaskQueue('wh-e2e');
  const signals: SignaledEvent[] = [];
  const waiters: { batchId: string; resolve: () => void }[] = [];

  before(async () => {
    env = await createDevServerEnv();
    // A generous delivery timeout: a loaded 2-core machine must not turn into retries (those are tested elsewhere).
    sim = await startSimulator({ apiKey: TEST_API_KEY, timeScale: TIME_SCALE, webhookTimeoutMs: 5_000 });
    receiver = createWebhookReceiver({
      client: env.client,
      taskQueue,
      secret: SECRET,
      logger: false,
      onSignal: (e) => {
        signals.push(e);
        for (const w of waiters.filter((x) => x.batchId === e.batchId)) w.resolve();
      },
    });
    hook = webhookUrlFor(await receiver.listen(), SECRET);
    worker = await createTrackerWorker({
      connection: env.nativeConnection,
      taskQueue,
      olostep: { apiKey: TEST_API_KEY, baseUrl: sim.url, timeoutMs: 5_000 },
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    });
    running = worker.run();
  });
  after(async () => {
    await receiver?.close();
    await sim?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  /** Creates a batch in the simulator whose webhook is the receiver. */
  function createBatch(script: BatchScript, n = 20): string {
    return sim.createBatch({ items: urls(n), webhook: hook }, script).id;
  }

  const statusCalls = (batchId: string) =>
    sim.requests.filter((r) => r.endpoint === 'status' && r.batchId === batchId).length;

  function assertMatchesTruth(result: TrackResult, batchId: string): void {
    const truth = sim.groundTruth(batchId);
    assert.equal(result.terminal, true);
    assert.equal(result.status, truth.outcome);
    assert.equal(result.totalUrls, truth.final.total_urls);
    for (const phase of ['scraping', 'analyzing', 'enriching'] as const) {
      assert.equal(result.phases[phase].state, truth.final[phase].state, `${phase} state`);
      assert.equal(result.phases[phase].startedAt, truth.final[phase].started_at, `${phase} started_at`);
      assert.equal(result.phases[phase].completedAt, truth.final[phase].completed_at, `${phase} completed_at`);
    }
    const s = result.phases.scraping.metrics;
    assert.deepEqual(
      [s.submitted, s.valid, s.succeeded, s.failed],
      [
        truth.final.scraping.submitted,
        truth.final.scraping.valid,
        truth.final.scraping.succeeded,
        truth.final.scraping.failed,
      ],
    );
    const a = result.phases.analyzing.metrics;
    assert.equal(a.itemsAnalyzed, truth.final.analyzing.items_analyzed);
    assert.equal(a.itemsNeedingEnrichment, truth.final.analyzing.items_needing_enrichment);
    assert.equal(a.itemsComplete, truth.final.analyzing.items_complete);
    const e = result.phases.enriching.metrics;
    assert.equal(e.itemsToEnrich, truth.final.enriching.items_to_enrich);
    assert.equal(e.itemsEnriched, truth.final.enriching.items_enriched);
    assert.equal(e.itemsFailed, truth.final.enriching.items_failed);
    assert.equal(result.failedPhase, truth.failure?.phase ?? null);
    assert.equal(result.error?.code ?? null, truth.failure?.error.code ?? null);
  }

  /**
   * Every event of `batchId` was delivered (answered 2xx). On a loaded machine an attempt may time out and be
   * retried; the retry is then a duplicate, which is fine.
   */
  function assertAllDelivered(batchId: string): void {
    const attempts = sim.webhookDeliveries.filter((d) => d.batchId === batchId);
    for (const { type } of sim.groundTruth(batchId).events) {
      const tries = attempts.filter((d) => d.event === type);
      assert.ok(
        tries.some((d) => d.delivered),
        `${type}: ${tries.map((d) => d.status ?? d.error).join(', ')}`,
      );
    }
  }

  async function runsOf(batchId: string): Promise<number> {
    let n = 0;
    for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${trackerWorkflowId(batchId)}'` })) n++;
    return n;
  }

  it('tracked with webhooks: reaches its terminal state with at most 3 status calls (happy, skip, failure)', async (t) => {
    // Scraping lasts 3 s of wall time here (1,200 s virtual), so each tracker has surely made its first poll
    // before a skip or a failure ends the batch: otherwise that poll could see the end first, a race of this
    // compressed clock (at 1x, scraping takes minutes).
    const slowScrape = { scrapingMs: 1_200_000 };
    const cases: [string, BatchScript][] = [
      ['happy', { scenario: 'happy' }],
      ['enrichment_skipped', { scenario: 'enrichment_skipped', durations: slowScrape }],
      ['scraping_failed', { scenario: 'scraping_failed', durations: slowScrape }],
      ['llm_batch_expired', { scenario: 'llm_batch_expired' }],
    ];
    await Promise.all(
      cases.map(async ([name, script]) => {
        const batchId = createBatch(script);
        const handle = await startAirOpsBatchTracker(env.client, batchId, { taskQueue });
        const result = await handle.result();
        await sim.whenIdle();
        assertMatchesTruth(result, batchId);
        const calls = statusCalls(batchId);
        t.diagnostic(
          `${name}: ${calls} status call(s), ${result.pollStats.webhookEvents} webhook events, observed ${result.observedDurationMs} ms`,
        );
        assert.ok(calls <= 3, `${name}: ${calls} status calls`);
        assert.equal(result.pollStats.calls, calls);
        const truth = sim.groundTruth(batchId);
        // The last event (`completed`/`failed`) comes right after the one that already made the batch terminal
        // (enriching_completed carries overall `completed`), so it may find the tracker finished: it is then
        // accepted by Temporal too late to be counted in the result, or answered `tracker_closed`.
        const events = result.pollStats.webhookEvents - result.pollStats.duplicateEvents;
        assert.ok(
          events >= truth.events.length - 1 && events <= truth.events.length,
          `${events} distinct webhook events of ${truth.events.length}`,
        );
        const terminalEntry = result.timeline.find((e) => e.phase === 'overall' && e.to === truth.outcome);
        assert.equal(terminalEntry?.source, 'webhook', 'the terminal status came by webhook');
        assertAllDelivered(batchId);
      }),
    );
  });

  it('duplicates and reordering leave the same final state as ground truth (one tracker run each)', async (t) => {
    const cases: [string, BatchScript][] = [
      // Every event duplicated and held back: all arrive at the end, newest first.
      ['reversed+duplicated', { scenario: 'happy', webhooks: { duplicate: 1, reorder: 1 } }],
      [
        'some held, late duplicates',
        {
          scenario: 'partial_failures',
          webhooks: {
            duplicate: 1,
            duplicateDelayMs: 60_000,
            reorder: ['event.batch.airops.scraping_completed', 'event.batch.airops.enriching_started'],
          },
        },
      ],
      ['failure, random', { scenario: 'enriching_failed', webhooks: { duplicate: 0.5, reorder: 0.5 } }],
    ];
    await Promise.all(
      cases.map(async ([name, script]) => {
        const batchId = createBatch(script);
        const handle = await startAirOpsBatchTracker(env.client, batchId, { taskQueue });
        const result = await handle.result();
        await sim.whenIdle();
        assertMatchesTruth(result, batchId);
        const attempts = sim.webhookDeliveries.filter((d) => d.batchId === batchId);
        t.diagnostic(
          `${name}: ${attempts.length} deliveries (${attempts.filter((d) => d.duplicate).length} duplicates, ` +
            `${attempts.filter((d) => d.reordered).length} held back); tracker saw ${result.pollStats.webhookEvents}, ` +
            `${result.pollStats.duplicateEvents} duplicates, ${result.pollStats.staleIgnored} stale; ` +
            `${signals.filter((s) => s.batchId === batchId && s.outcome === 'tracker_closed').length} after it ended`,
        );
        assert.ok(attempts.some((d) => d.duplicate));
        assertAllDelivered(batchId); // late ones (after the tracker ended) included: 200 "ignored"
        assert.equal(await runsOf(batchId), 1, 'late events did not start a second tracker');
      }),
    );
  });

  it('an event before any start begins tracking: the receiver starts the tracker, which then follows the batch', async (t) => {
    const batchId = createBatch({ scenario: 'happy' });
    const first = new Promise<void>((resolve) => waiters.push({ batchId, resolve }));
    await first; // scraping_started, sent at creation, reached the receiver
    const handle = env.client.workflow.getHandle<typeof trackWorkflow>(trackerWorkflowId(batchId));
    const history = await handle.fetchHistory();
    const [startedEvent, signaledEvent] = history.events ?? [];
    assert.ok(startedEvent?.workflowExecutionStartedEventAttributes, 'started by signalWithStart');
    assert.equal(signaledEvent?.workflowExecutionSignaledEventAttributes?.signalName, 'airopsEvent');
    // A client that starts tracking later gets the same tracker (USE_EXISTING).
    const later = await startAirOpsBatchTracker(env.client, batchId, { taskQueue });
    const { runId } = await handle.describe();
    assert.equal(later.firstExecutionRunId, runId);
    const result = await handle.result();
    assertMatchesTruth(result, batchId);
    const calls = statusCalls(batchId);
    t.diagnostic(`${calls} status call(s), ${result.pollStats.webhookEvents} webhook events`);
    assert.ok(calls <= 3, `${calls} status calls`);
    assert.equal(result.timeline[0]?.source, 'webhook', 'the first thing the tracker knew came by webhook');
    assert.equal(await runsOf(batchId), 1);
  });

  it('a late event for a tracker that completed: 200 "ignored", no second run, no extra status call', async () => {
    const batchId = createBatch({ scenario: 'enrichment_skipped' });
    const result = await (await startAirOpsBatchTracker(env.client, batchId, { taskQueue })).result();
    assert.equal(result.status, 'completed');
    const truth = sim.groundTruth(batchId);
    const calls = statusCalls(batchId);
    const late = {
      object: 'event.batch.airops.completed',
      id: batchId,
      created: truth.created,
      timestamp: truth.terminalAt + 600_000,
      status: {
        overall: truth.final.status,
        scraping: truth.final.scraping,
        analyzing: truth.final.analyzing,
        enriching: truth.final.enriching,
      },
    };
    const res = await post(hook, late);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ignored', reason: 'tracker_closed' });
    assert.equal(await runsOf(batchId), 1);
    assert.equal(statusCalls(batchId), calls);
  });
});
