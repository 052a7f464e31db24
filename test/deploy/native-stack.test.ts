// The compose stack run for real, natively (kit/stack, `npm run stack:native`): PostgreSQL from Debian's package,
// temporal-server v1.29.1 on it with the compose dynamic config, the schema and namespace one-shots, two workers
// and the webhook receiver as compose starts them, the simulator as the AirOps API. One stack for the suite:
// - a batch tracked end to end through the receiver (the simulator delivers its events) and polling;
// - one of the two workers SIGKILLed mid-batch, the other finishing every batch;
// - the Temporal server stopped and started again while trackers run;
// - a closed tracker queried from the client library, the `airops` CLI and `temporal workflow query`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startAirOpsBatchTracker, type StartedTrackerHandle } from '../../client/track';
import { getAirOpsBatchProgress } from '../../client/progress';
import { OlostepClient } from '../../olostep/client';
import type { BatchScript, GroundTruth } from '../../simulator/server';
import { devServerExecutable } from '../../scripts/temporal-servers';
import { getPollStats, getProgress, trackerWorkflowId, type TrackResult } from '../../workflows/contract';
import { startNativeStack, type NativeStack } from '../../kit/stack/native-stack';
import { OutputLog } from '../../kit/reliability/processes';
import { airops } from '../../kit/helpers/cli';
import { eventually } from '../../kit/helpers/wait';
import { assertOutcomeMatchesTruth, historiesOfChain, urls, type HistoryEvent } from '../../kit/helpers/tracker';
import { collectWorkflows, replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const execFileAsync = promisify(execFile);
/** At 100x the simulator's default lifecycle takes ~16 s of wall time. */
const TIME_SCALE = '100';
/** Long enough phases at 100x that a kill or a restart lands while every batch is running. */
const SLOW: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 1_500_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 1_000_000 },
};
const FAST_POLLS = { minPollIntervalMs: 200, maxPollIntervalMs: 1_000 };

function workflowTaskTakers(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []);
}

describe('the compose stack, natively: PostgreSQL, temporal-server, two workers, the webhook receiver', () => {
  let stack: NativeStack;
  let connection: Connection;
  let client: Client;
  let api: OlostepClient;
  const log = new OutputLog();
  const events: string[] = [];
  let closedBatchId = '';

  /** The simulator's control API (a process of the stack, not a handle of ours). */
  async function sim<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.simulatorUrl}/_sim${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.env.OLOSTEP_API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(res.ok, `${method} /_sim${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  }

  /** A batch created through the real API client, its events delivered to the stack's receiver. */
  async function createBatch(n: number, prefix: string, script?: BatchScript): Promise<string> {
    if (script) await sim('POST', '/next-scripts', { script, count: 1 });
    const created = await api.createBatch({ webhook: stack.webhookUrl, items: urls(n, prefix) });
    return created.batchId;
  }

  const truthOf = (batchId: string) => sim<GroundTruth>('GET', `/batches/${batchId}/ground-truth`);

  before(async () => {
    stack = await startNativeStack({
      workers: 2,
      env: { SIMULATOR_TIME_SCALE: TIME_SCALE },
      log,
      onEvent: (e) => events.push(e),
    });
    connection = await Connection.connect({ address: stack.temporalAddress });
    client = new Client({ connection, namespace: stack.namespace });
    api = new OlostepClient({ apiKey: stack.env.OLOSTEP_API_KEY!, baseUrl: stack.simulatorUrl! });
  });
  after(async () => {
    if (client) await collectWorkflows(client, 'native stack');
    await connection?.close();
    await stack?.stop();
  });

  it('came up in depends_on order with every long-running service healthy', (t) => {
    const at = (what: string) => events.findIndex((e) => e.startsWith(`${what} `));
    const chain = ['postgresql healthy', 'temporal-schema completed', 'temporal healthy', 'temporal-setup completed'];
    for (const [i, what] of chain.entries()) {
      assert.ok(at(what) >= 0, `${what}: ${events.join('; ')}`);
      if (i > 0) assert.ok(at(chain[i - 1]!) < at(what), `${chain[i - 1]} before ${what}`);
    }
    for (const what of ['worker#1 healthy', 'worker#2 healthy', 'webhooks healthy']) {
      assert.ok(at(what) > at('temporal-setup completed'), `${what} after the namespace setup`);
    }
    assert.match(log.text(), /temporal-setup: done: namespace default/);
    t.diagnostic(`healthy after ${(stack.healthyAfterMs / 1000).toFixed(1)} s: ${events.join('; ')}`);
  });

  it('tracks a batch to the end through the webhook receiver and polling', async (t) => {
    const batchId = (closedBatchId = await createBatch(25, 'e2e'));
    const handle = await startAirOpsBatchTracker(client, batchId, { taskQueue: stack.taskQueue });
    const result: TrackResult = await handle.result();
    assert.equal(result.endedBy, 'terminal');
    assert.equal(result.status, 'completed');
    assertOutcomeMatchesTruth(result, await truthOf(batchId));
    const stats = await handle.query(getPollStats);
    assert.ok(stats.webhookEvents > 0, `the receiver signalled the tracker (${stats.webhookEvents} events)`);
    assert.ok(stats.calls >= 1, `and it polled (${stats.calls} status calls)`);
    t.diagnostic(`completed with ${stats.webhookEvents} webhook events and ${stats.calls} status calls`);
  });

  it('finishes every batch on the surviving worker after the other is SIGKILLed mid-batch', async (t) => {
    const batches = await Promise.all([0, 1, 2, 3].map((i) => createBatch(15, `kill${i}`, SLOW)));
    const handles: StartedTrackerHandle[] = [];
    for (const batchId of batches) {
      handles.push(await startAirOpsBatchTracker(client, batchId, { taskQueue: stack.taskQueue, ...FAST_POLLS }));
    }
    const identity = (name: string) => `${stack.pids(name)[0]}@${hostname()}`;
    const [one, two] = [identity('worker#1'), identity('worker#2')];
    const takers = async () =>
      (
        await Promise.all(
          handles.map(async (h) =>
            workflowTaskTakers(
              (await historiesOfChain(client, h.workflowId, h.firstExecutionRunId)).flatMap((r) => r.events),
            ),
          ),
        )
      ).flat();
    // Both workers take a share before the kill (sticky queues keep each tracker on the worker that has it cached),
    // and every tracker has had a status answer: only that carries total_urls (webhooks do not), so a tracker whose
    // first call the kill cut off could see its batch end by webhook without ever learning it.
    await eventually(
      async () => {
        const taken = await takers();
        assert.ok(taken.includes(one) && taken.includes(two), `both workers took workflow tasks: ${taken.join(', ')}`);
        const known = await Promise.all(handles.map(async (h) => (await h.query(getProgress)).totalUrls !== null));
        assert.ok(known.every(Boolean), `every tracker had a status answer: ${known.join(', ')}`);
        return true;
      },
      60_000,
      'the trackers to get going',
    );
    const progress = await Promise.all(handles.map((h) => h.query(getProgress)));
    assert.ok(
      progress.every((p) => p.overall === 'in_progress' || p.overall === 'pending'),
      'the kill lands mid-batch',
    );
    await stack.kill('worker#1', 'SIGKILL');
    const killedAt = Date.now();
    const results = await Promise.all(handles.map((h): Promise<TrackResult> => h.result()));
    for (const [i, result] of results.entries()) assertOutcomeMatchesTruth(result, await truthOf(batches[i]!));
    for (const h of handles) {
      const events = (await historiesOfChain(client, h.workflowId, h.firstExecutionRunId)).flatMap((r) => r.events);
      assert.equal(workflowTaskTakers(events).at(-1), two, `${h.workflowId} finished on the surviving worker`);
    }
    t.diagnostic(`all ${handles.length} batches completed ${Date.now() - killedAt} ms after the SIGKILL`);
    await stack.start('worker#1');
  });

  it('keeps tracking across a restart of the Temporal server', async (t) => {
    const batches = await Promise.all([0, 1].map((i) => createBatch(15, `restart${i}`, SLOW)));
    const handles = await Promise.all(
      batches.map((b) => startAirOpsBatchTracker(client, b, { taskQueue: stack.taskQueue, ...FAST_POLLS })),
    );
    await eventually(
      async () => {
        // Webhooks arriving relax the poll schedule to a safety net: one status call and a running batch suffice.
        const stats = await Promise.all(handles.map((h) => h.query(getPollStats)));
        const progress = await Promise.all(handles.map((h) => h.query(getProgress)));
        assert.ok(
          stats.every((s) => s.calls >= 1),
          'every tracker polled before the restart',
        );
        assert.ok(
          progress.every((p) => p.overall === 'in_progress'),
          'every batch is running at the restart',
        );
        return true;
      },
      60_000,
      'the trackers to get going',
    );
    const down = Date.now();
    await stack.kill('temporal', 'SIGTERM');
    await stack.start('temporal');
    t.diagnostic(`server down and healthy again in ${Date.now() - down} ms`);
    const results = await Promise.all(handles.map((h): Promise<TrackResult> => h.result()));
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 'completed');
      assertOutcomeMatchesTruth(result, await truthOf(batches[i]!));
    }
    // The workers and the receiver reconnected on their own: a new tracker after the restart runs too.
    const after = await createBatch(10, 'after-restart');
    const r = await (await startAirOpsBatchTracker(client, after, { taskQueue: stack.taskQueue })).result();
    assertOutcomeMatchesTruth(r, await truthOf(after));
    const stats = await getTrackerStats(after);
    assert.ok(stats.webhookEvents > 0, 'the receiver still delivers after the restart');
  });

  async function getTrackerStats(batchId: string) {
    return client.workflow.getHandle(trackerWorkflowId(batchId)).query(getPollStats);
  }

  it('answers queries on a closed tracker from the client library, the airops CLI and temporal workflow query', async () => {
    // The first test's tracker, closed since (a query on it replays its history on a worker).
    const batchId = closedBatchId;
    assert.ok(batchId, 'the end-to-end batch ran');
    const library = await getAirOpsBatchProgress(client, batchId);
    assert.equal(library.overall, 'completed');
    const cli = await airops(['status', batchId, '--json'], {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.namespace,
    });
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout) as { progress: unknown; workflowStatus: string };
    assert.equal(fromCli.workflowStatus, 'COMPLETED');
    assert.deepEqual(fromCli.progress, library);
    const exe = devServerExecutable();
    assert.equal(exe.type, 'existing-path', 'the provisioned Temporal CLI (npm run provision)');
    const { stdout } = await execFileAsync(exe.type === 'existing-path' ? exe.path : 'temporal', [
      ...['workflow', 'query', '--address', stack.temporalAddress, '--namespace', stack.namespace],
      ...['--workflow-id', trackerWorkflowId(batchId), '--name', 'getProgress', '--output', 'json'],
    ]);
    assert.deepEqual((JSON.parse(stdout) as { queryResult: unknown[] }).queryResult, [library]);
  });
});
