// Queries on CLOSED trackers, through every path a user has: the client library, the `airops` CLI (a child
// process, as a user runs it) and the Temporal CLI (`temporal workflow query`, what another language's service or an
// operator would use). A query on a closed workflow is answered by a worker that replays the run's whole history,
// so each answer here is the history replayed: a durability check of everything the tracker recorded (webhook
// signals, a refreshNow update, polls, the cancellation). The answers must be equal to each other, equal before and
// after the worker is replaced by one that never ran these trackers, and match the tracker's result (and, for the
// completed batch, the simulator's ground truth).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import {
  cancelAirOpsBatch,
  describeAirOpsBatch,
  getAirOpsBatchProgress,
  refreshAirOpsBatchProgress,
  waitForAirOpsBatch,
} from '../../client/progress';
import { getTrackerHandle, startAirOpsBatchTracker } from '../../client/track';
import { devServerExecutable } from '../../scripts/temporal-servers';
import type { BatchScript } from '../../simulator/server';
import { WORKFLOWS_PATH, createTrackerWorker } from '../../worker/worker';
import {
  airopsEvent,
  getPollStats,
  getTimeline,
  trackerWorkflowId,
  type BatchProgress,
  type TimelineEntry,
  type TrackResult,
} from '../../workflows/contract';
import { replayNet } from '../../kit/helpers/replay-net';
import { workflowBundle } from '../../kit/helpers/temporal';
import { assertOutcomeMatchesTruth, webhookFromStatus } from '../../kit/helpers/tracker';
import { FAST_POLLS, SLOW, STACK_API_KEY, eventually, startStack, type Stack } from './stack';
import { airops } from '../../kit/helpers/cli';

replayNet(__filename);

const execFileAsync = promisify(execFile);
const EventType = temporal.api.enums.v1.EventType;

/** At the stack's 50x: scraping ~6 s and enrichment ~6 s of wall time, room for signals and an update meanwhile. */
const MEDIUM: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 300_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 300_000 },
};

interface Answers {
  /** getProgress through the client library, the airops CLI (`status --json`, `watch --json`) and the Temporal CLI. */
  progress: {
    library: BatchProgress;
    airopsStatusJson: BatchProgress;
    airopsWatch: BatchProgress[];
    temporalCli: unknown;
  };
  /** getTimeline through the client library and the Temporal CLI; the airops CLI's `watch --json` prints the result. */
  timeline: { library: TimelineEntry[]; temporalCli: unknown };
  airopsStatus: { workflowStatus: string; exit: number | null };
  airopsWatch: { result: TrackResult; exit: number | null };
}

describe('queries on closed trackers: client library, airops CLI and temporal CLI agree (history replayed)', () => {
  let stack: Stack;
  let client: Client;
  let freshWorker: Worker | null = null;
  let freshRunning: Promise<void> | null = null;

  before(async () => {
    stack = await startStack();
    client = stack.env.client;
  });
  after(async () => {
    if (freshWorker?.getState() === 'RUNNING') freshWorker.shutdown();
    await freshRunning;
    await stack?.teardown();
  });

  /** `airops <args>` as a child process, against the stack's server and task queue. */
  const airopsOnStack = (args: string[]) =>
    airops(args, { TEMPORAL_ADDRESS: stack.address, TASK_QUEUE: stack.taskQueue });

  /** `temporal workflow query --name <name>` against the stack's server: the query's JSON answer. */
  async function temporalQuery(batchId: string, name: string): Promise<unknown> {
    const exe = devServerExecutable();
    assert.equal(exe.type, 'existing-path', 'the provisioned Temporal CLI (npm run provision)');
    const { stdout } = await execFileAsync(exe.type === 'existing-path' ? exe.path : 'temporal', [
      'workflow',
      'query',
      '--address',
      stack.address,
      '--namespace',
      'default',
      '--workflow-id',
      trackerWorkflowId(batchId),
      '--name',
      name,
      '--output',
      'json',
    ]);
    const parsed = JSON.parse(stdout) as { queryResult: unknown[] };
    assert.equal(parsed.queryResult.length, 1, stdout);
    return parsed.queryResult[0];
  }

  /** Every path's answers for one closed tracker, all at once. */
  async function ask(batchId: string): Promise<Answers> {
    const [library, libraryTimeline, temporalProgress, temporalTimeline, status, watch] = await Promise.all([
      getAirOpsBatchProgress(client, batchId),
      getTrackerHandle(client, batchId).query(getTimeline),
      temporalQuery(batchId, 'getProgress'),
      temporalQuery(batchId, 'getTimeline'),
      airopsOnStack(['status', batchId, '--json']),
      airopsOnStack(['watch', batchId, '--json', '--interval', '200']),
    ]);
    assert.equal(status.stderr, '', status.stderr);
    const statusJson = JSON.parse(status.stdout) as { progress: BatchProgress; workflowStatus: string };
    // watch --json: one JSON line per progress change, then the result.
    const watchLines = watch.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(watchLines.length >= 2, `watch printed progress and a result:\n${watch.stdout}\n${watch.stderr}`);
    const result = watchLines[watchLines.length - 1] as unknown as TrackResult;
    return {
      progress: {
        library,
        airopsStatusJson: statusJson.progress,
        airopsWatch: watchLines.slice(0, -1) as unknown as BatchProgress[],
        temporalCli: temporalProgress,
      },
      timeline: { library: libraryTimeline, temporalCli: temporalTimeline },
      airopsStatus: { workflowStatus: statusJson.workflowStatus, exit: status.code },
      airopsWatch: { result, exit: watch.code },
    };
  }

  /** Every path gave the same answer, and the timeline is the one in the workflow's result. */
  function assertAgree(a: Answers, result: TrackResult): void {
    const p = a.progress.library;
    assert.deepEqual(a.progress.airopsStatusJson, p, 'airops status --json = library');
    assert.deepEqual(a.progress.temporalCli, p, 'temporal workflow query getProgress = library');
    assert.ok(a.progress.airopsWatch.length >= 1);
    for (const w of a.progress.airopsWatch) assert.deepEqual(w, p, 'airops watch --json progress = library');
    assert.deepEqual(a.timeline.temporalCli, a.timeline.library, 'temporal workflow query getTimeline = library');
    assert.deepEqual(a.timeline.library, result.timeline, 'getTimeline = the result’s timeline');
    assert.deepEqual(a.airopsWatch.result, result, 'airops watch --json prints the workflow result');
  }

  /** The progress a closed tracker answers is its final state: the result's status, phases and counts. */
  function assertMatchesOutcome(p: BatchProgress, result: TrackResult): void {
    assert.equal(p.batchId, result.batchId);
    assert.equal(p.overall, result.status);
    assert.equal(p.totalUrls, result.totalUrls);
    for (const phase of ['scraping', 'analyzing', 'enriching'] as const) {
      assert.equal(p.phases[phase].state, result.phases[phase].state, `${phase} state`);
      assert.equal(p.phases[phase].startedAt, result.phases[phase].startedAt, `${phase} startedAt`);
      assert.equal(p.phases[phase].completedAt, result.phases[phase].completedAt, `${phase} completedAt`);
    }
    const s = result.phases.scraping.metrics;
    assert.equal(p.phases.scraping.done, (s.succeeded ?? 0) + (s.failed ?? 0));
    const e = result.phases.enriching.metrics;
    if (result.phases.enriching.state !== null && result.phases.enriching.state !== 'pending') {
      assert.equal(p.phases.enriching.done, (e.itemsEnriched ?? 0) + (e.itemsFailed ?? 0));
    }
  }

  /** Status (GET shape) of a batch straight from the simulator, to build a webhook payload from. */
  async function simStatus(batchId: string) {
    const res = await fetch(`${stack.sim.url}/v1/batches-airops/${batchId}`, {
      headers: { authorization: `Bearer ${STACK_API_KEY}` },
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Parameters<typeof webhookFromStatus>[0] & { scraping: { state: string } };
  }

  async function historyCounts(batchId: string) {
    const h = await getTrackerHandle(client, batchId).fetchHistory();
    const count = (t: temporal.api.enums.v1.EventType) => (h.events ?? []).filter((e) => e.eventType === t).length;
    return {
      signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
      updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
      cancelRequests: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED),
      events: h.events?.length ?? 0,
    };
  }

  // Filled by the first two tests, asked again by the third on a fresh worker.
  const closed: { batchId: string; result: TrackResult; answers: Answers }[] = [];

  it('a completed tracker (two webhook signals and a refreshNow during its life): every path answers alike', async () => {
    const batchId = stack.createBatch(MEDIUM, 20);
    await startAirOpsBatchTracker(client, batchId, { taskQueue: stack.taskQueue, ...FAST_POLLS });
    await eventually(async () => ((await getAirOpsBatchProgress(client, batchId)).overall !== null ? true : undefined));

    // A webhook while scraping, a refreshNow, then a webhook once scraping completed.
    const scraping = await simStatus(batchId);
    await getTrackerHandle(client, batchId).signal(
      airopsEvent,
      webhookFromStatus(scraping, 'event.batch.airops.scraping_started', Date.now()) as never,
    );
    const refreshed = await refreshAirOpsBatchProgress(client, batchId);
    assert.equal(refreshed.batchId, batchId);
    const scraped = await eventually(
      async () => {
        const s = await simStatus(batchId);
        return s.scraping.state === 'completed' ? s : undefined;
      },
      30_000,
      'scraping to complete',
    );
    await getTrackerHandle(client, batchId).signal(
      airopsEvent,
      webhookFromStatus(scraped, 'event.batch.airops.scraping_completed', Date.now()) as never,
    );

    const result = await waitForAirOpsBatch(client, batchId);
    assert.equal(result.endedBy, 'terminal');
    assert.equal(result.status, 'completed');
    assertOutcomeMatchesTruth(result, stack.sim.groundTruth(batchId));
    assert.equal(result.pollStats.webhookEvents, 2);
    const h = await historyCounts(batchId);
    assert.equal(h.signals, 2);
    assert.equal(h.updates, 1);
    assert.equal((await describeAirOpsBatch(client, batchId)).workflowStatus, 'COMPLETED');

    const answers = await ask(batchId);
    assertAgree(answers, result);
    assertMatchesOutcome(answers.progress.library, result);
    const p = answers.progress.library;
    assert.equal(p.overall, 'completed');
    assert.equal(p.currentPhase, null);
    assert.equal(p.percent, 100);
    assert.equal(p.stalled, false);
    assert.equal(answers.airopsStatus.exit, 0);
    assert.equal(answers.airopsStatus.workflowStatus, 'COMPLETED');
    assert.equal(answers.airopsWatch.exit, 0, 'watch on a completed batch exits 0');
    const last = answers.timeline.library[answers.timeline.library.length - 1];
    assert.deepEqual([last?.phase, last?.to], ['overall', 'completed']);
    // The poll stats (a third query) replay alike too: the two webhooks and the update's poll are in them.
    const stats = await getTrackerHandle(client, batchId).query(getPollStats);
    assert.deepEqual(stats, result.pollStats);
    closed.push({ batchId, result, answers });
  });

  it('a cancelled tracker (a webhook signal and a refreshNow before the cancel): every path answers alike', async () => {
    const batchId = stack.createBatch(SLOW, 20);
    await startAirOpsBatchTracker(client, batchId, { taskQueue: stack.taskQueue, ...FAST_POLLS });
    await eventually(async () => ((await getAirOpsBatchProgress(client, batchId)).overall !== null ? true : undefined));
    const running = await simStatus(batchId);
    await getTrackerHandle(client, batchId).signal(
      airopsEvent,
      webhookFromStatus(running, 'event.batch.airops.scraping_started', Date.now()) as never,
    );
    await refreshAirOpsBatchProgress(client, batchId);
    await cancelAirOpsBatch(client, batchId);
    const result = await getTrackerHandle(client, batchId).result();
    assert.equal(result.endedBy, 'cancelled');
    assert.equal(result.terminal, false);
    assert.equal(result.status, 'in_progress');
    assert.equal(result.pollStats.webhookEvents, 1);
    const h = await historyCounts(batchId);
    assert.deepEqual([h.signals, h.updates, h.cancelRequests], [1, 1, 1]);
    // The tracker catches the cancellation and returns what it saw: the workflow completes.
    const workflowStatus = (await describeAirOpsBatch(client, batchId)).workflowStatus;

    const answers = await ask(batchId);
    assertAgree(answers, result);
    assertMatchesOutcome(answers.progress.library, result);
    const p = answers.progress.library;
    assert.equal(p.overall, 'in_progress');
    assert.equal(p.currentPhase, 'scraping');
    assert.ok(p.percent < 100);
    assert.equal(answers.airopsStatus.exit, 0);
    assert.equal(answers.airopsStatus.workflowStatus, workflowStatus);
    assert.equal(answers.airopsWatch.exit, 5, 'watch on a cancelled tracker exits 5 (tracking ended)');
    closed.push({ batchId, result, answers });
  });

  it('after the worker is replaced by one that never ran them, both closed trackers answer exactly as before', async () => {
    assert.equal(closed.length, 2, 'the two trackers above closed');
    stack.worker.shutdown();
    await eventually(async () => (stack.worker.getState() === 'STOPPED' ? true : undefined), 60_000, 'worker stop');
    freshWorker = await createTrackerWorker({
      connection: stack.env.nativeConnection,
      taskQueue: stack.taskQueue,
      olostep: { apiKey: STACK_API_KEY, baseUrl: stack.sim.url, timeoutMs: 5_000 },
      workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    });
    freshRunning = freshWorker.run();
    for (const c of closed) {
      const again = await ask(c.batchId);
      assertAgree(again, c.result);
      assert.deepEqual(again.progress, c.answers.progress, `${c.batchId}: progress as before the worker change`);
      assert.deepEqual(again.timeline, c.answers.timeline, `${c.batchId}: timeline as before the worker change`);
      assert.deepEqual(again.airopsStatus, c.answers.airopsStatus);
      assert.deepEqual(again.airopsWatch, c.answers.airopsWatch);
    }
  });
});
