// runAirOpsBatch on the real Temporal dev server (SQLite, real time) with the simulator on a real clock running
// 2,000× faster (a 300 s scraping phase takes 0.15 s), the production activities and the JSONL sink.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { copyRunResults, describeRunResult, startRun, watchRun, type RunProgressUpdate } from '../../client/run';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { WORKFLOWS_PATH } from '../../worker/worker';
import {
  RUN_FAILURE_TYPES,
  RUN_WORKFLOW_TYPE,
  TRACK_WORKFLOW_TYPE,
  airopsEvent,
  getRunStatus,
  runWorkflowId,
  trackerWorkflowId,
  type AirOpsEvent,
  type RunResult,
  type TrackOptions,
} from '../../workflows/contract';
import type { runAirOpsBatch } from '../../workflows/run-airops-batch';
import type { trackAirOpsBatch } from '../../workflows/track-airops-batch';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import {
  TEST_API_KEY,
  chainStats,
  historyStats,
  mixedUrls,
  readJsonl,
  runActivities,
  tempResultsDir,
} from '../../kit/run/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const TIME_SCALE = 2_000;
/** Polls scaled to the simulator's speed (the tracker's defaults are for real batches). */
const TRACK: TrackOptions = { minPollIntervalMs: 100, maxPollIntervalMs: 500 };

describe('runAirOpsBatch (dev server, simulator at 2,000×)', () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  let worker: Worker;
  let running: Promise<void>;
  const results = tempResultsDir();
  const taskQueue = uniqueTaskQueue('run-dev');

  before(async () => {
    env = await createDevServerEnv();
    sim = await startSimulator({ apiKey: TEST_API_KEY, timeScale: TIME_SCALE });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
      activities: runActivities(sim, { resultsDir: results.dir, clientTimeoutMs: 1_000 }),
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

  function assertResultsMatchTruth(result: RunResult) {
    const truth = sim.groundTruth(result.batchId);
    assert.equal(result.status, truth.outcome);
    assert.ok(result.results !== null, `no results: ${JSON.stringify(result.itemsError)}`);
    assert.deepEqual(readJsonl(result.results.path as string), truth.items);
    assert.equal(result.summary?.total, truth.counts.total);
    assert.equal(result.summary?.byStatus.completed ?? 0, truth.counts.succeeded);
    assert.equal(result.summary?.failed.total, truth.counts.failed);
  }

  it('10,000 URLs end to end, with progress; the sink equals the simulator’s items; history stays small', async (t) => {
    const request = { items: mixedUrls(10_000, 'dev'), brands: ['Acme', 'Globex'] };
    const requestBytes = Buffer.byteLength(JSON.stringify(request));
    const before = sim.batchIds().length;
    const started = Date.now();
    const handle = await startRun(env.client, request, { taskQueue, track: TRACK });
    const updates: RunProgressUpdate[] = [];
    const result = await watchRun(env.client, handle, (u) => updates.push(u), { intervalMs: 100 });
    const wallMs = Date.now() - started;

    assert.equal(sim.batchIds().length, before + 1);
    assertResultsMatchTruth(result);
    assert.ok(
      updates.some((u) => u.run.stage === 'tracking' && u.batch !== null && u.batch.batchId === result.batchId),
      `progress updates: ${updates.map((u) => u.run.stage).join(',')}`,
    );

    const run = await historyStats(env.client, handle.workflowId);
    const tracker = await chainStats(env.client, result.trackerWorkflowId);
    t.diagnostic(
      `dev server, 10k URLs: wall ${wallMs} ms; request ${requestBytes} B; run history ${run.events} events ${run.bytes} B; tracker ${tracker.events} events ${tracker.bytes} B; sink ${result.results?.bytes} B`,
    );
    t.diagnostic(describeRunResult(result));
    assert.ok(run.events <= 40, `${run.events} run events`);
    assert.ok(run.bytes <= 2 * requestBytes + 64 * 1024, `${run.bytes} B`);
    assert.ok(tracker.bytes <= 200 * 1024, `${tracker.bytes} B tracker history`);

    const out = `${results.dir}/copy.jsonl`;
    const copied = await copyRunResults(result, out);
    assert.equal(copied.items, 10_000);
    assert.deepEqual(readJsonl(out), readJsonl(result.results!.path as string));
  });

  it('a lost create response still creates exactly one batch', async () => {
    const ids = sim.faults.set({ fault: { type: 'slow', delayMs: 2_500 }, endpoints: ['create'], count: 1 });
    try {
      const before = sim.batchIds().length;
      const requestsBefore = sim.requests.length;
      const handle = await startRun(env.client, { items: mixedUrls(50, 'devlost') }, { taskQueue, track: TRACK });
      const result = await handle.result();
      assert.equal(sim.batchIds().length, before + 1);
      const creates = sim.requests.slice(requestsBefore).filter((r) => r.endpoint === 'create');
      assert.equal(creates.filter((r) => r.idempotency === 'stored').length, 1);
      assert.ok(
        creates.some((r) => r.idempotency === 'replayed'),
        JSON.stringify(creates),
      );
      assertResultsMatchTruth(result);
    } finally {
      for (const id of ids) sim.faults.clear({ id });
    }
  });

  it('a failed batch (scraping failed) still reports every item, each failed in scraping', async () => {
    sim.scriptNextBatch({ scenario: 'scraping_failed' });
    const handle = await startRun(env.client, { items: mixedUrls(40, 'devfail') }, { taskQueue, track: TRACK });
    const result = await handle.result();
    assert.equal(result.status, 'failed');
    assert.equal(result.failedPhase, 'scraping');
    assertResultsMatchTruth(result);
    assert.deepEqual(result.summary?.failed.byStage, { scraping: { total: 40, byCode: { SCRAPE_FAILED: 40 } } });
  });

  it('a bad URL fails before any API call, naming the item', async () => {
    const requestsBefore = sim.requests.length;
    const items = mixedUrls(4);
    items[2] = { url: 'https://exa mple.com/', custom_id: 'x' };
    const handle = await env.client.workflow.start<typeof runAirOpsBatch>(RUN_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: runWorkflowId(`dev-bad-${Date.now()}`),
      args: [{ items }],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, RUN_FAILURE_TYPES.invalidRequest);
      assert.match(err.cause.message, /items\[2\]\.url: "https:\/\/exa mple\.com\/" is not a valid URL/);
      return true;
    });
    assert.equal(sim.requests.length, requestsBefore);
  });

  it('a cancel during the create still leaves the created batch tracked; terminating a run abandons its tracker', async () => {
    // The create answers 300 ms late; the cancel arrives before it: the create finishes, the tracker starts, then
    // the run ends cancelled. (On the time-skipping test server, right after another cancelled run, the tracker's
    // first timer never fired in this sequence, and the test hung; not investigated further, so it runs here.)
    const ids = sim.faults.set({ fault: { type: 'slow', delayMs: 300 }, endpoints: ['create'], count: 1 });
    try {
      const before = sim.batchIds().length;
      const handle = await startRun(env.client, { items: mixedUrls(10, 'cancel-early') }, { taskQueue, track: TRACK });
      await handle.cancel();
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
        return true;
      });
      assert.equal(sim.batchIds().length, before + 1);
      const batchId = sim.batchIds().at(-1)!;
      const tracked = await env.client.workflow.getHandle<typeof trackAirOpsBatch>(trackerWorkflowId(batchId)).result();
      assert.equal(tracked.status, 'completed');
    } finally {
      for (const id of ids) sim.faults.clear({ id });
    }

    const slow: TrackOptions = { ...TRACK, minPollIntervalMs: 200 };
    sim.scriptNextBatch({ durations: { enrichingMs: 4_000_000 } }); // ~2 s of wall time at 2,000×
    const run = await startRun(env.client, { items: mixedUrls(10, 'terminate') }, { taskQueue, track: slow });
    let trackerId: string | null = null;
    for (let i = 0; i < 100 && trackerId === null; i++) {
      const s = await run.query(getRunStatus).catch(() => null);
      if (s?.stage === 'tracking') trackerId = s.trackerWorkflowId;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(trackerId !== null, 'the run never reached tracking');
    await run.terminate('test: terminate the run');
    const tracked = await env.client.workflow.getHandle<typeof trackAirOpsBatch>(trackerId).result();
    assert.equal(tracked.status, 'completed');
    assert.equal(tracked.endedBy, 'terminal');
  });

  it('a webhook receiver that starts the tracker first: the run attaches to it instead of starting a second', async () => {
    // A minimal receiver (the real one lives in webhooks/): signal-with-start the batch's tracker.
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string };
        env.client.workflow
          .signalWithStart<typeof trackAirOpsBatch, [AirOpsEvent]>(TRACK_WORKFLOW_TYPE, {
            taskQueue,
            workflowId: trackerWorkflowId(payload.id),
            args: [payload.id, TRACK],
            signal: airopsEvent,
            signalArgs: [payload as unknown as AirOpsEvent],
          })
          .then(
            () => res.writeHead(200).end(),
            () => res.writeHead(500).end(),
          );
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/airops`;
    // The create response arrives 600 ms after the batch exists: its scraping_started webhook wins the race.
    const ids = sim.faults.set({ fault: { type: 'slow', delayMs: 600 }, endpoints: ['create'], count: 1 });
    try {
      const handle = await startRun(
        env.client,
        { items: mixedUrls(25, 'hook') },
        { taskQueue, track: TRACK, webhookUrl },
      );
      const result = await handle.result();
      assert.equal(result.trackerAttached, true);
      assert.equal(result.tracking.status, 'completed');
      assert.ok(result.tracking.pollStats.webhookEvents >= 1, 'the tracker got webhook events');
      assertResultsMatchTruth(result);
      assert.ok(sim.webhookDeliveries.some((d) => d.batchId === result.batchId && d.delivered));
    } finally {
      for (const id of ids) sim.faults.clear({ id });
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
