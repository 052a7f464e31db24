// runAirOpsBatch on the real time-skipping test server: the production activities (real OlostepClient, real HTTP,
// real JSONL sink) against the simulator, whose manual clock follows Temporal's skipped time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startRun } from '../../client/run';
import { ValidationError } from '../../olostep/errors';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { WORKFLOWS_PATH } from '../../worker/worker';
import {
  RUN_FAILURE_TYPES,
  RUN_WORKFLOW_TYPE,
  getRunStatus,
  runWorkflowId,
  trackerWorkflowId,
  type RunResult,
  type RunStatus,
} from '../../workflows/contract';
import { summarizeItems } from '../../workflows/run-summary';
import type { runAirOpsBatch } from '../../workflows/run-airops-batch';
import type { trackAirOpsBatch } from '../../workflows/track-airops-batch';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { syncSimClock } from '../../kit/helpers/tracker';
import {
  TEST_API_KEY,
  chainStats,
  historyStats,
  maybeRecordRunHistory,
  mixedUrls,
  readJsonl,
  runActivities,
  tempResultsDir,
} from '../../kit/run/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

describe('runAirOpsBatch (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  let worker: Worker;
  let running: Promise<void>;
  const results = tempResultsDir();
  const taskQueue = uniqueTaskQueue('run');

  before(async () => {
    env = await createTimeSkippingEnv();
    sim = await startSimulator({ clock: 'manual', apiKey: TEST_API_KEY, startTime: await env.currentTimeMs() });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
      activities: runActivities(sim, { resultsDir: results.dir, clientTimeoutMs: 500, clock: env }),
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await sim?.close();
    await env?.teardown();
    results.cleanup();
  });

  /** The sink's file equals the simulator's items, and the summary equals one computed from them. */
  function assertResultsMatchTruth(result: RunResult) {
    const truth = sim.groundTruth(result.batchId);
    assert.equal(result.status, truth.outcome);
    assert.ok(result.results !== null, `no results: ${JSON.stringify(result.itemsError)}`);
    assert.deepEqual(readJsonl(result.results.path as string), truth.items);
    assert.equal(result.results.items, truth.items.length);
    const s = result.summary!;
    assert.equal(s.total, truth.counts.total);
    assert.equal(s.byStatus.completed ?? 0, truth.counts.succeeded);
    assert.equal(s.failed.total, truth.counts.failed);
    assert.deepEqual(s.apiCounts, truth.counts);
    const expected = summarizeItems(truth.items, {
      itemsStatus: truth.outcome,
      complete: truth.outcome === 'completed',
      apiCounts: truth.counts,
      unknownValues: s.unknownValues, // the client's list of enum strings it does not know (e.g. item error codes)
    });
    assert.deepEqual(s, JSON.parse(JSON.stringify(expected)));
  }

  it('10,000 URLs: one batch, the sink holds exactly the simulator’s items, history stays small', async (t) => {
    const brands = ['Acme', 'Globex', 'Initech'];
    const request = { items: mixedUrls(10_000), brands, country: 'US' };
    const requestBytes = Buffer.byteLength(JSON.stringify(request));
    const batchesBefore = sim.batchIds().length;
    const started = Date.now();
    const handle = await startRun(env.client, request, { taskQueue });
    const result = await handle.result();
    const wallMs = Date.now() - started;

    assert.equal(sim.batchIds().length, batchesBefore + 1);
    assert.equal(result.trackerWorkflowId, trackerWorkflowId(result.batchId));
    assert.equal(result.trackerAttached, false);
    assert.equal(result.tracking.status, 'completed');
    assertResultsMatchTruth(result);
    const s = result.summary!;
    assert.equal(s.complete, true);
    assert.ok(Object.keys(s.pageTypes).length >= 5, JSON.stringify(s.pageTypes));
    for (const b of brands) assert.ok((s.brandMentions.byBrand[b] ?? 0) > 0, `${b} never mentioned`);
    assert.ok(s.missingFields.author > 0, 'the simulator leaves some fields empty after enrichment');

    // The run's history carries the request (start + create activity input) and small results only.
    const run = await historyStats(env.client, handle.workflowId);
    const tracker = await chainStats(env.client, result.trackerWorkflowId);
    const itemBytes = result.results!.bytes;
    t.diagnostic(
      `10k URLs: wall ${wallMs} ms; request ${requestBytes} B; run history ${run.events} events ${run.bytes} B (largest event ${run.maxEventBytes} B); tracker ${tracker.events} events ${tracker.bytes} B in ${tracker.runs} run(s); items in sink ${itemBytes} B`,
    );
    assert.ok(run.events <= 40, `${run.events} run events`);
    assert.ok(run.bytes <= 2 * requestBytes + 64 * 1024, `${run.bytes} B run history for a ${requestBytes} B request`);
    assert.ok(run.maxEventBytes <= requestBytes + 4 * 1024, `largest event ${run.maxEventBytes} B`);
    assert.ok(itemBytes > requestBytes * 2, 'the items are larger than the request: they could not hide in history');
    assert.ok(tracker.bytes <= 200 * 1024, `${tracker.bytes} B tracker history`);
    const history = JSON.stringify(await handle.fetchHistory());
    assert.ok(!history.includes(TEST_API_KEY), 'API key in history');
  });

  it('a lost create response (slow beyond the client timeout) still creates exactly one batch', async () => {
    const ids = sim.faults.set({ fault: { type: 'slow', delayMs: 1_500 }, endpoints: ['create'], count: 1 });
    try {
      const before = sim.batchIds().length;
      const requestsBefore = sim.requests.length;
      const request = { items: mixedUrls(30, 'lost') };
      const handle = await startRun(env.client, request, { taskQueue });
      // Starting the same request while it runs returns the same run (content-derived id, USE_EXISTING).
      const again = await startRun(env.client, request, { taskQueue });
      assert.equal(again.workflowId, handle.workflowId);
      assert.equal(again.firstExecutionRunId, handle.firstExecutionRunId);
      const result = await handle.result();
      assert.equal(sim.batchIds().length, before + 1, 'exactly one batch created');
      const creates = sim.requests.slice(requestsBefore).filter((r) => r.endpoint === 'create');
      assert.ok(creates.length >= 2, `only ${creates.length} create request(s): the timeout did not happen`);
      assert.equal(creates.filter((r) => r.idempotency === 'stored').length, 1);
      assert.ok(
        creates.some((r) => r.idempotency === 'replayed' && r.batchId === result.batchId),
        JSON.stringify(creates),
      );
      assertResultsMatchTruth(result);
      await maybeRecordRunHistory(env.client, handle.workflowId, 'lost-create-response');
    } finally {
      for (const id of ids) sim.faults.clear({ id });
    }
  });

  it('a create response cut mid-body is retried with the same key, still one batch', async () => {
    const ids = sim.faults.set({
      fault: { type: 'truncated_json', mode: 'connection' },
      endpoints: ['create'],
      count: 1,
    });
    try {
      const before = sim.batchIds().length;
      const handle = await startRun(env.client, { items: mixedUrls(10, 'cut') }, { taskQueue });
      const result = await handle.result();
      assert.equal(sim.batchIds().length, before + 1);
      assert.equal(result.status, 'completed');
    } finally {
      for (const id of ids) sim.faults.clear({ id });
    }
  });

  it('a failed batch (LLM batch failed) still reports its partial items', async () => {
    sim.scriptNextBatch({ scenario: 'llm_batch_failed', scrapeFailureRate: 0.1 });
    const handle = await startRun(env.client, { items: mixedUrls(200, 'failed'), brands: ['Acme'] }, { taskQueue });
    const result = await handle.result();
    assert.equal(result.status, 'failed');
    assert.equal(result.failedPhase, 'enriching');
    assert.equal(result.error?.code, 'LLM_BATCH_FAILED');
    assertResultsMatchTruth(result);
    const s = result.summary!;
    assert.equal(s.complete, false);
    assert.equal(s.itemsStatus, 'failed');
    assert.ok((s.byStatus.completed ?? 0) > 0, 'some items completed before the LLM batch failed');
    assert.ok((s.failed.byStage.enriching?.byCode.LLM_BATCH_FAILED ?? 0) > 0, JSON.stringify(s.failed));
    assert.ok((s.failed.byStage.scraping?.byCode.SCRAPE_FAILED ?? 0) > 0, JSON.stringify(s.failed));
    assert.ok(s.failedSamples.length > 0);
    await maybeRecordRunHistory(env.client, handle.workflowId, 'failed-batch');
  });

  it('items that fail twice with 5xx are retried; items that never come are reported, not fatal', async () => {
    const flaky = sim.faults.set({ fault: { type: 'server_error', status: 503 }, endpoints: ['items'], count: 2 });
    try {
      const handle = await startRun(env.client, { items: mixedUrls(15, 'flaky-items') }, { taskQueue });
      assertResultsMatchTruth(await handle.result());
    } finally {
      for (const id of flaky) sim.faults.clear({ id });
    }
    // 404 on the items endpoint only (non-retryable): the run still returns the batch's outcome, without items.
    const gone = sim.faults.set({
      fault: { type: 'not_found_after_create', windowMs: 365 * 86_400_000 },
      endpoints: ['items'],
    });
    try {
      const handle = await startRun(env.client, { items: mixedUrls(15, 'no-items') }, { taskQueue });
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.equal(result.results, null);
      assert.equal(result.summary, null);
      assert.equal(result.itemsError?.type, 'NotFound');
      await maybeRecordRunHistory(env.client, handle.workflowId, 'items-not-found');
    } finally {
      for (const id of gone) sim.faults.clear({ id });
    }
  });

  /** Waits (in skipped time) until the run has created its batch and started the tracker. */
  async function untilTracking(handle: { query: (q: typeof getRunStatus) => Promise<RunStatus> }): Promise<RunStatus> {
    for (let i = 0; i < 100; i++) {
      const s = await handle.query(getRunStatus).catch(() => null);
      if (s?.stage === 'tracking') return s;
      await env.sleep(1_000);
    }
    throw new Error('the run never reached the tracking stage');
  }

  it('cancelling the run abandons the tracker, which follows the batch to its end', async () => {
    const handle = await startRun(env.client, { items: mixedUrls(20, 'cancel') }, { taskQueue });
    const status = await untilTracking(handle);
    await handle.cancel();
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
      return true;
    });
    await maybeRecordRunHistory(env.client, handle.workflowId, 'cancelled-while-tracking');
    const tracked = await env.client.workflow.getHandle<typeof trackAirOpsBatch>(status.trackerWorkflowId!).result();
    assert.equal(tracked.status, 'completed');
    assert.equal(tracked.endedBy, 'terminal');
  });

  /** Starts the workflow directly (no client-side check) and returns its failure. */
  async function failureOf(request: unknown, record?: string): Promise<ApplicationFailure> {
    const handle = await env.client.workflow.start<typeof runAirOpsBatch>(RUN_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: runWorkflowId(`bad-${Math.random().toString(36).slice(2)}`),
      args: [request as never],
    });
    let failure: ApplicationFailure | undefined;
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
      failure = err.cause;
      return true;
    });
    const status = await handle.query(getRunStatus);
    assert.equal(status.stage, 'failed');
    assert.equal(status.batchId, null);
    if (record !== undefined) await maybeRecordRunHistory(env.client, handle.workflowId, record);
    return failure!;
  }

  it('10,001 URLs fail in the workflow before any API call, naming the first item over the limit', async () => {
    const requestsBefore = sim.requests.length;
    const f = await failureOf({ items: mixedUrls(10_001) });
    assert.equal(f.type, RUN_FAILURE_TYPES.invalidRequest);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /items: must contain at most 10000 items, got 10001 \(items\[10000\] is the first over/);
    assert.equal(sim.requests.length, requestsBefore, 'no API request');
  });

  it('a bad URL fails in the workflow before any API call, naming items[3].url', async () => {
    const requestsBefore = sim.requests.length;
    const items = mixedUrls(5);
    items[3] = { url: 'notaurl', custom_id: 'bad' };
    const f = await failureOf({ items }, 'bad-url');
    assert.equal(f.type, RUN_FAILURE_TYPES.invalidRequest);
    assert.match(f.message, /items\[3\]\.url: "notaurl" is not a valid URL \(cannot be parsed\)/);
    const details = f.details?.[0] as { problems: { path: string }[]; total: number };
    assert.deepEqual(
      details.problems.map((p) => p.path),
      ['items[3].url'],
    );
    assert.equal(sim.requests.length, requestsBefore, 'no API request');
  });

  it('bad tracker options fail before the batch is created', async () => {
    const requestsBefore = sim.requests.length;
    const handle = await env.client.workflow.start<typeof runAirOpsBatch>(RUN_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: runWorkflowId(`badopts-${Date.now()}`),
      args: [{ items: mixedUrls(2) }, { track: { minPollIntervalMs: 5 }, webhookUrl: 'ftp://x' }],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, RUN_FAILURE_TYPES.invalidOptions);
      assert.match(err.cause.message, /webhookUrl uses "ftp".*track\.minPollIntervalMs must be a number >= 100/);
      return true;
    });
    assert.equal(sim.requests.length, requestsBefore);
  });

  it('the client library refuses 10,001 URLs before contacting Temporal', async () => {
    await assert.rejects(
      startRun(env.client, { items: mixedUrls(10_001) }, { taskQueue }),
      (err: unknown) => err instanceof ValidationError && /got 10001/.test(err.message),
    );
  });

  it('a 401 on create fails the run with Unauthorized after one attempt, and nothing is tracked', async () => {
    // A worker whose API key the API refuses: 401 is non-retryable (as are 402 and validation errors).
    const { Worker: W } = await import('@temporalio/worker');
    const queue = uniqueTaskQueue('run-unauth');
    const { OlostepClient } = await import('../../olostep/client');
    const { createActivities } = await import('../../activities');
    const w = await W.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
      activities: createActivities({ olostep: new OlostepClient({ apiKey: 'wrong_key_123456', baseUrl: sim.url }) }),
    });
    await w.runUntil(async () => {
      await syncSimClock(sim, await env.currentTimeMs());
      const before = sim.requests.filter((r) => r.endpoint === 'create').length;
      const handle = await startRun(env.client, { items: mixedUrls(3, 'unauth') }, { taskQueue: queue });
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'Unauthorized');
        assert.ok(!err.cause.message.includes('wrong_key_123456'));
        return true;
      });
      assert.equal(sim.requests.filter((r) => r.endpoint === 'create').length, before + 1, 'one attempt only');
    });
  });
});
