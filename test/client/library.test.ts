// The client library against a real Temporal dev server, the production worker and the simulator: start (idempotent),
// progress, wait with live progress, describe, list through visibility, cancel, refresh, errors; and the
// cross-service check that `temporal workflow query --name getProgress` prints the same JSON as the library.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { isDeepStrictEqual, promisify } from 'node:util';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import * as pkg from '../../index';
import {
  InvalidBatchIdError,
  InvalidListFilterError,
  TrackerNotFoundError,
  TrackerQueryTimeoutError,
  airOpsBatchesQuery,
  cancelAirOpsBatch,
  describeAirOpsBatch,
  getAirOpsBatchProgress,
  listAirOpsBatches,
  refreshAirOpsBatchProgress,
  startAirOpsBatchTracker,
  waitForAirOpsBatch,
  type BatchProgress,
} from '../../index';
import { devServerExecutable } from '../../scripts/temporal-servers';
import { BAD_IDS, FAST_POLLS, QUICK, SLOW, eventually, startStack, type Stack } from './stack';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const execFileAsync = promisify(execFile);

describe('client library (dev server + worker + simulator)', () => {
  let stack: Stack;
  let client: Client;

  before(async () => {
    stack = await startStack();
    client = stack.env.client;
  });
  after(async () => {
    await stack?.teardown();
  });

  it('the package entry point exports the library', () => {
    for (const name of [
      'startAirOpsBatchTracker',
      'getAirOpsBatchProgress',
      'waitForAirOpsBatch',
      'listAirOpsBatches',
      'describeAirOpsBatch',
      'cancelAirOpsBatch',
      'refreshAirOpsBatchProgress',
      'trackerWorkflowId',
      'getProgress',
    ]) {
      assert.equal(typeof (pkg as Record<string, unknown>)[name], name === 'getProgress' ? 'object' : 'function', name);
    }
  });

  it('startAirOpsBatchTracker is idempotent: a second call returns the same run', async () => {
    const id = stack.createBatch(SLOW);
    const a = await startAirOpsBatchTracker(client, id, { taskQueue: stack.taskQueue, ...FAST_POLLS });
    const b = await startAirOpsBatchTracker(client, id, { taskQueue: stack.taskQueue, ...FAST_POLLS });
    assert.equal(a.workflowId, `airops-batch-${id}`);
    assert.equal(b.firstExecutionRunId, a.firstExecutionRunId);
    await cancelAirOpsBatch(client, id);
  });

  it('waitForAirOpsBatch: live progress, monotonic, ending with the result that matches ground truth', async () => {
    const id = await stack.createAndTrack(QUICK, 30);
    const seen: BatchProgress[] = [];
    const result = await waitForAirOpsBatch(client, id, { onProgress: (p) => seen.push(p), pollIntervalMs: 200 });
    const truth = stack.sim.groundTruth(id);
    assert.equal(result.status, 'completed');
    assert.equal(result.endedBy, 'terminal');
    assert.equal(result.phases.enriching.metrics.itemsEnriched, truth.final.enriching.items_enriched);
    assert.ok(seen.length >= 3, `${seen.length} progress callbacks`);
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i]!.percent >= seen[i - 1]!.percent, 'percent never goes back');
    const last = seen[seen.length - 1]!;
    assert.equal(last.overall, 'completed');
    assert.equal(last.percent, 100);
    assert.ok(
      seen.some((p) => p.overall === 'in_progress'),
      'saw the batch in progress',
    );
  });

  it('waitForAirOpsBatch: a long watch piles up no abort listeners (queries and long-poll rounds each under their own signal)', async () => {
    const id = await stack.createAndTrack(QUICK, 30);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    let callbacks = 0;
    let result: Awaited<ReturnType<typeof waitForAirOpsBatch>> | undefined;
    const started = Date.now();
    try {
      // Rounds of 1 s: the result long poll is cancelled and restarted ~3 times on the way, and still returns.
      result = await waitForAirOpsBatch(client, id, {
        onProgress: () => callbacks++,
        pollIntervalMs: 50,
        resultRoundMs: 1_000,
      });
      // Let a pending warning (emitted on the next tick) arrive.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(callbacks >= 2, `${callbacks} progress callbacks`);
    assert.equal(result?.status, 'completed');
    assert.equal(result?.endedBy, 'terminal');
    assert.equal(result?.phases.scraping.metrics.succeeded, stack.sim.groundTruth(id).final.scraping.succeeded);
    // ≥ 1 s at one query per ~50 ms: well over the 10 listeners that make Node warn.
    assert.ok(Date.now() - started >= 1_000, `watched for ${Date.now() - started} ms`);
    assert.deepEqual(
      warnings.filter((w) => /MaxListenersExceeded/.test(w)),
      [],
    );
  });

  it('getAirOpsBatchProgress equals `temporal workflow query --name getProgress` (cross-service), finished and running', async () => {
    const exe = devServerExecutable();
    assert.equal(exe.type, 'existing-path');
    const cli = exe.type === 'existing-path' ? exe.path : '';
    const viaCli = async (batchId: string) => {
      const { stdout } = await execFileAsync(cli, [
        'workflow',
        'query',
        '--address',
        stack.address,
        '--workflow-id',
        `airops-batch-${batchId}`,
        '--name',
        'getProgress',
        '--output',
        'json',
      ]);
      const parsed = JSON.parse(stdout) as { queryResult: unknown[] };
      return parsed.queryResult[0];
    };
    const done = await stack.createAndTrack(QUICK);
    await waitForAirOpsBatch(client, done);
    const lib = await getAirOpsBatchProgress(client, done);
    assert.equal(lib.overall, 'completed');
    assert.deepEqual(await viaCli(done), lib);

    // A running tracker: both answer from the same workflow state (a query's clock is the last workflow task's) as
    // long as no poll ran in between, so this tracker polls only every 5 s.
    const running = stack.createBatch(SLOW);
    await startAirOpsBatchTracker(client, running, {
      taskQueue: stack.taskQueue,
      minPollIntervalMs: 5_000,
      maxPollIntervalMs: 5_000,
    });
    await eventually(async () => ((await getAirOpsBatchProgress(client, running)).overall !== null ? true : undefined));
    await eventually(
      async () => {
        const a = await getAirOpsBatchProgress(client, running);
        const b = await viaCli(running);
        const c = await getAirOpsBatchProgress(client, running);
        return isDeepStrictEqual(a, c) && isDeepStrictEqual(a, b) ? true : undefined;
      },
      20_000,
      'an identical library/CLI answer',
    );
    await cancelAirOpsBatch(client, running);
  });

  it('describeAirOpsBatch and listAirOpsBatches read the search attributes through visibility', async () => {
    const done = await stack.createAndTrack(QUICK, 7);
    await waitForAirOpsBatch(client, done);
    const running = await stack.createAndTrack(SLOW, 9);
    const d = await describeAirOpsBatch(client, done);
    assert.deepEqual(
      {
        batchId: d.batchId,
        status: d.status,
        phase: d.phase,
        totalUrls: d.totalUrls,
        stalled: d.stalled,
        wf: d.workflowStatus,
      },
      { batchId: done, status: 'completed', phase: 'done', totalUrls: 7, stalled: false, wf: 'COMPLETED' },
    );
    const completed = await eventually(async () => {
      const rows = await listAirOpsBatches(client, { status: 'completed', phase: 'done' });
      return rows.some((r) => r.batchId === done) ? rows : undefined;
    });
    assert.ok(completed.every((r) => r.status === 'completed' && r.phase === 'done'));
    assert.ok(!completed.some((r) => r.batchId === running));
    const inProgress = await eventually(async () => {
      const rows = await listAirOpsBatches(client, { status: ['pending', 'in_progress'], executionStatus: 'Running' });
      return rows.some((r) => r.batchId === running) ? rows : undefined;
    });
    const row = inProgress.find((r) => r.batchId === running)!;
    assert.equal(row.phase, 'scraping');
    assert.equal(row.totalUrls, 9);
    assert.equal(row.workflowStatus, 'RUNNING');
    assert.ok(!inProgress.some((r) => r.batchId === done));
    const one = await listAirOpsBatches(client, { limit: 1 });
    assert.equal(one.length, 1);
    await cancelAirOpsBatch(client, running);
  });

  it('airOpsBatchesQuery builds the visibility query and refuses anything but plain tokens', () => {
    assert.equal(
      airOpsBatchesQuery({ status: 'in_progress', phase: ['scraping', 'enriching'], stalled: true }),
      "WorkflowType = 'trackAirOpsBatch' AND AirOpsStatus = 'in_progress' AND AirOpsPhase IN ('scraping', 'enriching') AND AirOpsStalled = true",
    );
    assert.equal(airOpsBatchesQuery(), "WorkflowType = 'trackAirOpsBatch'");
    assert.throws(() => airOpsBatchesQuery({ status: "x' OR 1=1 --" }), InvalidListFilterError);
    assert.throws(() => airOpsBatchesQuery({ phase: [] }), InvalidListFilterError);
  });

  it('refreshAirOpsBatchProgress polls now; cancelAirOpsBatch ends tracking with endedBy "cancelled"', async () => {
    const id = await stack.createAndTrack(SLOW);
    const fresh = await refreshAirOpsBatchProgress(client, id);
    assert.equal(fresh.batchId, id);
    assert.equal(fresh.overall, 'in_progress');
    await cancelAirOpsBatch(client, id);
    const result = await waitForAirOpsBatch(client, id);
    assert.equal(result.endedBy, 'cancelled');
    assert.equal(result.status, 'in_progress');
  });

  it('a failed batch: waitForAirOpsBatch returns status failed with the phase and error code', async () => {
    const id = await stack.createAndTrack({ ...QUICK, scenario: 'scraping_failed' });
    const result = await waitForAirOpsBatch(client, id);
    assert.equal(result.status, 'failed');
    assert.equal(result.failedPhase, 'scraping');
    assert.equal(result.error?.code, 'SCRAPING_ERROR');
  });

  it('a batch the API does not know: the tracker fails with NotFound (WorkflowFailedError)', async () => {
    await startAirOpsBatchTracker(client, 'batch_never_created', {
      taskQueue: stack.taskQueue,
      ...FAST_POLLS,
      notFoundGraceMs: 0,
    });
    await assert.rejects(waitForAirOpsBatch(client, 'batch_never_created'), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'NotFound');
      return true;
    });
  });

  it('no tracker: TrackerNotFoundError from every reader', async () => {
    const id = 'batch_not_tracked_anywhere';
    for (const call of [
      () => getAirOpsBatchProgress(client, id),
      () => describeAirOpsBatch(client, id),
      () => waitForAirOpsBatch(client, id),
      () => cancelAirOpsBatch(client, id),
      () => refreshAirOpsBatchProgress(client, id),
    ]) {
      await assert.rejects(call(), (err: unknown) => err instanceof TrackerNotFoundError && err.batchId === id);
    }
  });

  it('no worker on the task queue: the progress query fails with TrackerQueryTimeoutError', async () => {
    const id = stack.createBatch(QUICK);
    await startAirOpsBatchTracker(client, id, { taskQueue: `${stack.taskQueue}-nobody` });
    const t = Date.now();
    await assert.rejects(getAirOpsBatchProgress(client, id, { timeoutMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof TrackerQueryTimeoutError, `got ${String(err)} (cause ${String((err as Error).cause)})`);
      return true;
    });
    assert.ok(Date.now() - t < 5_000);
    await client.workflow.getHandle(`airops-batch-${id}`).terminate('test cleanup');
  });

  it('waitForAirOpsBatch stops when its signal aborts (the tracker keeps running)', async () => {
    const id = await stack.createAndTrack(SLOW);
    const controller = new AbortController();
    const waiting = waitForAirOpsBatch(client, id, {
      onProgress: () => controller.abort(new Error('enough')),
      signal: controller.signal,
    });
    await assert.rejects(waiting, /enough/);
    assert.equal((await describeAirOpsBatch(client, id)).workflowStatus, 'RUNNING');
    await cancelAirOpsBatch(client, id);
  });

  it('invalid batch ids are refused before Temporal is contacted', async () => {
    // A client whose server does not exist: any network call would fail differently (and slowly).
    const nowhere = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    for (const [what, id] of BAD_IDS) {
      for (const call of [
        () => startAirOpsBatchTracker(nowhere, id),
        () => getAirOpsBatchProgress(nowhere, id),
        () => waitForAirOpsBatch(nowhere, id),
        () => describeAirOpsBatch(nowhere, id),
        () => cancelAirOpsBatch(nowhere, id),
      ]) {
        const t = Date.now();
        await assert.rejects(call(), InvalidBatchIdError, what);
        assert.ok(Date.now() - t < 200, `${what}: refused at once`);
      }
    }
  });
});
