// A failed workflow task never passes unnoticed: the worker's runtime (installWorkerRuntime, as worker/main.ts and
// the demo install it) turns each of Core's failure lines into one ERROR line `workflow task failed` with the
// workflow id and the failure type, counts it, and exports airops_workflow_task_failures{failure_type}.
// Real worker (createTrackerWorker) on a real dev server, two causes:
//   - workflow code throws a TypeError (not a Temporal failure): the task fails, failureType WorkflowError;
//   - the unchanged tracker on a namespace without our search attributes: the server refuses each completed task
//     (BadSearchAttributes), which the SDK's own metric does not count;
//   - a deploy that changes a running workflow without patched(): NonDeterminismError.
// This file installs its own runtime, so it does not use kit/helpers/temporal.ts (which installs a quiet one).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { devServerExecutable, sdkExecutable } from '../../scripts/temporal-servers';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import {
  TaskFailureWatchedWorker,
  WORKFLOW_TASK_FAILED_MESSAGE,
  createLogger,
  installWorkerRuntime,
  type WorkflowTaskFailureWatch,
} from '../../worker/logging';
import { createTrackerWorker } from '../../worker/worker';
import { TRACK_WORKFLOW_TYPE, trackerWorkflowId } from '../../workflows/contract';
import { replayNet, watchEnv } from '../../kit/helpers/replay-net';
import { freePort } from '../../kit/reliability/processes';
import { eventually } from '../../kit/helpers/wait';

const FAILING_WORKFLOWS = require.resolve('../fixtures/failing-workflows');
replayNet(__filename, { bundles: { throwsTypeError: FAILING_WORKFLOWS, waitsThenCompletes: FAILING_WORKFLOWS } });

const KEY = 'sk_test_TASK_FAILURE_WATCH_5c1';

interface LogLine {
  level: string;
  msg: string;
  workflowId?: string;
  runId?: string;
  taskQueue?: string;
  failureType?: string;
  errorType?: string;
  error?: string;
}

describe('workflow task failures (real worker, real dev server)', () => {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let metricsPort: number;
  let taskFailures: WorkflowTaskFailureWatch;
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  let worker: Worker;
  let running: Promise<void>;
  let bundle: WorkflowBundleWithSourceMap;
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const taskQueue = `task-failures-${process.pid}`;

  before(async () => {
    metricsPort = await freePort();
    const logger = createLogger({
      level: 'INFO',
      secrets: [KEY],
      write: (line) => {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    });
    ({ taskFailures } = installWorkerRuntime({ logger, metricsAddress: `127.0.0.1:${metricsPort}` }));
    // A plain dev server: none of our search attributes.
    env = watchEnv(
      await TestWorkflowEnvironment.createLocal({
        server: { executable: sdkExecutable(devServerExecutable()), ip: '127.0.0.1' },
      }),
    );
    sim = await startSimulator({ apiKey: KEY, timeScale: 100, seed: `task-failures-${Date.now()}` });
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/failing-workflows'),
      logger: quiet,
    });
    worker = await createTrackerWorker({
      connection: env.nativeConnection,
      taskQueue,
      olostep: { apiKey: KEY, baseUrl: sim.url },
      workflowBundle: bundle,
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await sim?.close();
    await env?.teardown();
  });

  const failuresOf = (workflowId: string) =>
    lines.filter((l) => l.msg === WORKFLOW_TASK_FAILED_MESSAGE && l.workflowId === workflowId);

  it('workflow code throws a TypeError: an ERROR line per attempt with the workflow id, WorkflowError/TypeError', async (t) => {
    const workflowId = `throws-${Date.now()}`;
    const handle = await env.client.workflow.start('throwsTypeError', { taskQueue, workflowId });
    // Attempt 1 is reported to the server, which retries at once; attempt 2 fails the same way and the SDK drops it
    // without a word (its task then times out): both are ERROR lines here.
    const found = await eventually(
      () => (failuresOf(workflowId).length >= 2 ? failuresOf(workflowId) : undefined),
      20_000,
      'an ERROR line for each of the first two attempts',
    );
    const line = found[0];
    assert.equal(line!.level, 'ERROR');
    assert.equal(line!.runId, handle.firstExecutionRunId);
    assert.equal(line!.taskQueue, taskQueue);
    assert.equal(line!.failureType, 'WorkflowError');
    assert.equal(line!.errorType, 'TypeError');
    assert.match(line!.error!, /a bug in workflow code/);
    assert.ok(!raw.some((l) => l.includes('"msg":"Failing workflow task"')), 'the Core WARN became the ERROR line');
    assert.deepEqual(
      found.map((l) => [l.level, l.runId, l.failureType, l.errorType]),
      found.map(() => ['ERROR', handle.firstExecutionRunId, 'WorkflowError', 'TypeError']),
    );
    assert.ok((taskFailures.failures().byType.WorkflowError ?? 0) >= 2);
    // The workflow stays Running (the task is retried): only the log and the counts tell.
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    t.diagnostic(JSON.stringify(line));
    await handle.terminate('test cleanup');
  });

  it('the tracker on a namespace without our search attributes: BadSearchAttributes with the tracker id, counted', async (t) => {
    const batch = sim.createBatch({ items: [{ url: 'https://example.test/a', custom_id: 'a' }] });
    const workflowId = trackerWorkflowId(batch.id);
    // Started as a service that skipped the client library's check would (no search attributes at start).
    const handle = await env.client.workflow.start(TRACK_WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [batch.id, { minPollIntervalMs: 200, maxPollIntervalMs: 500 }],
    });
    const found = await eventually(
      () => (failuresOf(workflowId).length >= 2 ? failuresOf(workflowId) : undefined),
      30_000,
      'two ERROR lines (the refused task and its retry)',
    );
    for (const line of found) {
      assert.equal(line.level, 'ERROR');
      assert.equal(line.runId, handle.firstExecutionRunId);
      assert.equal(line.failureType, 'BadSearchAttributes');
      assert.match(line.error!, /BadSearchAttributes: .*no mapping defined for search attribute AirOps/);
    }
    const counts = taskFailures.failures();
    assert.ok((counts.byType.BadSearchAttributes ?? 0) >= 2, JSON.stringify(counts));
    assert.equal(
      counts.total,
      Object.values(counts.byType).reduce((a, b) => a + b, 0),
    );

    // The metric to alert on: ours counts both causes; the SDK's counts only the worker-side one.
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return /airops_workflow_task_failures\{[^}]*failure_type="BadSearchAttributes"/.test(text) ? text : undefined;
      },
      10_000,
      'the failure metric',
    );
    const value = (type: string) =>
      Number(
        new RegExp(`^airops_workflow_task_failures\\{[^}]*failure_type="${type}"[^}]*\\} (\\d+)`, 'm').exec(
          metrics,
        )?.[1] ?? NaN,
      );
    assert.ok(value('BadSearchAttributes') >= 2, metrics);
    assert.ok(value('WorkflowError') >= 1, metrics);
    assert.match(metrics, /temporal_workflow_task_execution_failed\{[^}]*failure_reason="WorkflowError"/);
    assert.ok(!raw.some((l) => l.includes(KEY)), 'the API key is never logged');
    t.diagnostic(`counts ${JSON.stringify(counts)}; ${JSON.stringify(found[0])}`);
    await handle.terminate('test cleanup');
  });

  it('a deploy that changes a running workflow: NonDeterminismError with the workflow id', async (t) => {
    const q = `${taskQueue}-deploy`;
    const workflowId = `deploy-${Date.now()}`;
    // Version 1 starts the workflow (its timer is in history); no cache, so version 2 replays from the start.
    const v1 = await TaskFailureWatchedWorker.create({
      connection: env.nativeConnection,
      taskQueue: q,
      workflowBundle: bundle,
      maxCachedWorkflows: 0,
    });
    const handle = await env.client.workflow.start('waitsThenCompletes', { taskQueue: q, workflowId });
    await v1.runUntil(
      eventually(
        async () =>
          ((await handle.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes) || undefined,
        20_000,
        'the timer of version 1',
      ),
    );
    const v2 = await TaskFailureWatchedWorker.create({
      connection: env.nativeConnection,
      taskQueue: q,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../fixtures/failing-workflows-changed'),
        logger: quiet,
      }),
    });
    const [line] = await v2.runUntil(
      eventually(
        () => (failuresOf(workflowId).length > 0 ? failuresOf(workflowId) : undefined),
        30_000,
        'the ERROR line',
      ),
    );
    assert.equal(line!.level, 'ERROR');
    assert.equal(line!.runId, handle.firstExecutionRunId);
    assert.equal(line!.failureType, 'NonDeterminismError');
    assert.match(line!.error!, /[Nn]ondeterminism/);
    assert.ok((taskFailures.failures().byType.NonDeterminismError ?? 0) >= 1);
    t.diagnostic(JSON.stringify({ ...line, detail: undefined }));
    await handle.terminate('test cleanup');
  });
});
