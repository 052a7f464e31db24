// `docker compose up --scale worker=3`, as processes: three worker processes (worker/main.ts, the compose command's
// code) poll one task queue on the dev server. Nine trackers spread across all three (the worker identities on their
// workflow and activity tasks, from the histories), one worker is SIGKILLed mid-run, and every batch still ends
// with the simulator's ground truth, finished by the two survivors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type BatchScript, type SimulatorHandle } from '../../simulator/server';
import { startAirOpsBatchTracker, type StartedTrackerHandle } from '../../client/track';
import { getProgress, type TrackResult } from '../../workflows/contract';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import {
  TEST_API_KEY,
  assertOutcomeMatchesTruth,
  historiesOfChain,
  urls,
  type HistoryEvent,
} from '../../kit/helpers/tracker';
import { ROOT, startProcess, stopProcess, type Child } from './helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const WORKERS = 3;
const BATCHES = 9;
/** At 100x: scraping ~10 s, enrichment ~10 s of wall time, so the kill lands while every batch is running. */
const SCRIPT: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 1_000_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 1_000_000 },
};

function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

/** Who took each workflow task and ran each status call (the worker identity on its ActivityTaskStarted), with when. */
function taskTakers(events: HistoryEvent[]): { kind: 'workflow' | 'activity'; identity: string; at: number }[] {
  const out: { kind: 'workflow' | 'activity'; identity: string; at: number }[] = [];
  for (const e of events) {
    const wf = e.workflowTaskStartedEventAttributes?.identity;
    if (wf) out.push({ kind: 'workflow', identity: wf, at: eventMs(e) });
    const act = e.activityTaskStartedEventAttributes?.identity;
    if (act) out.push({ kind: 'activity', identity: act, at: eventMs(e) });
  }
  return out;
}

describe(`scaling out: ${WORKERS} worker processes on one task queue (dev server, real HTTP)`, () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  const workers: Child[] = [];
  const taskQueue = uniqueTaskQueue('scale');

  before(async () => {
    env = await createDevServerEnv();
    sim = await startSimulator({ apiKey: TEST_API_KEY, timeScale: 100, seed: `scale-${process.pid}` });
  });
  after(async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 'SIGKILL')));
    await sim?.close();
    await env?.teardown();
  });

  it('spreads the trackers across every worker, and the survivors finish them all after a SIGKILL', async (t) => {
    const started = Date.now();
    // The compose worker service's command, from source: same code, same environment variables.
    workers.push(
      ...(await Promise.all(
        Array.from({ length: WORKERS }, (_, i) =>
          startProcess([process.execPath, '--import', 'tsx', join(ROOT, 'worker', 'main.ts')], {
            name: `worker ${i}`,
            cwd: ROOT,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              TEMPORAL_ADDRESS: env.address,
              TASK_QUEUE: taskQueue,
              OLOSTEP_API_KEY: TEST_API_KEY,
              OLOSTEP_BASE_URL: sim.url,
              LOG_LEVEL: 'INFO',
            },
            ready: /"msg":"worker ready"/,
            timeoutMs: 120_000,
          }),
        ),
      )),
    );
    // The SDK's default worker identity: <pid>@<hostname>, one per process (one per container in compose).
    const identityOf = new Map(workers.map((w, i) => [`${w.proc.pid}@${hostname()}`, i]));
    t.diagnostic(`${WORKERS} workers ready in ${Date.now() - started} ms`);

    const handles: { id: string; handle: StartedTrackerHandle }[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const batch = sim.createBatch({ items: urls(20, `s${i}`) }, SCRIPT);
      const handle = await startAirOpsBatchTracker(env.client, batch.id, {
        taskQueue,
        minPollIntervalMs: 200,
        maxPollIntervalMs: 1_000,
      });
      handles.push({ id: batch.id, handle });
    }

    // Let every tracker get going and every worker take a share, then pick the busiest one to kill.
    const takersNow = async () =>
      (
        await Promise.all(
          handles.map(async ({ handle }) =>
            taskTakers(
              (await historiesOfChain(env.client, handle.workflowId, handle.firstExecutionRunId)).flatMap(
                (r) => r.events,
              ),
            ),
          ),
        )
      ).flat();
    let before: Awaited<ReturnType<typeof takersNow>> = [];
    for (let i = 0; i < 100; i++) {
      before = await takersNow();
      const busy = new Set(before.filter((x) => x.kind === 'activity').map((x) => x.identity));
      if (busy.size === WORKERS && before.filter((x) => x.kind === 'activity').length >= BATCHES * 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const perWorker = (takers: typeof before, kind: 'workflow' | 'activity') =>
      Array.from(
        { length: WORKERS },
        (_, i) => takers.filter((x) => x.kind === kind && identityOf.get(x.identity) === i).length,
      );
    const activitiesBefore = perWorker(before, 'activity');
    const workflowTasksBefore = perWorker(before, 'workflow');
    assert.ok(
      activitiesBefore.every((n) => n > 0),
      `every worker ran status calls before the kill: ${activitiesBefore.join(', ')}`,
    );
    assert.ok(
      before.every((x) => identityOf.has(x.identity)),
      'every task was taken by one of the three worker processes',
    );
    const progress = await Promise.all(handles.map(({ handle }) => handle.query(getProgress)));
    assert.ok(
      progress.every((p) => p.overall !== 'completed' && p.overall !== 'failed'),
      'no batch had ended at the kill: it lands mid-run',
    );

    const victim = activitiesBefore.indexOf(Math.max(...activitiesBefore));
    const killedAt = Date.now();
    workers[victim]!.proc.kill('SIGKILL');
    await workers[victim]!.exited;
    t.diagnostic(
      `before the kill: status calls per worker ${activitiesBefore.join('/')}, workflow tasks ` +
        `${workflowTasksBefore.join('/')}; SIGKILL worker ${victim} at +${killedAt - started} ms`,
    );

    const results = await Promise.all(handles.map(({ handle }): Promise<TrackResult> => handle.result()));
    results.forEach((result, i) => {
      assert.equal(result.endedBy, 'terminal');
      assertOutcomeMatchesTruth(result, sim.groundTruth(handles[i]!.id));
    });

    const all = await takersNow();
    // Some margin for the killed worker's tasks already under way (their started events are written on completion).
    const afterKill = all.filter((x) => x.at > killedAt + 1_000);
    const victimIdentity = [...identityOf].find(([, i]) => i === victim)![0];
    assert.ok(afterKill.length > 0, 'work continued after the kill');
    assert.ok(
      afterKill.every((x) => x.identity !== victimIdentity),
      'nothing ran on the dead worker after it died',
    );
    const activitiesAfter = perWorker(afterKill, 'activity');
    const survivors = activitiesAfter.filter((n, i) => i !== victim && n > 0).length;
    assert.equal(survivors, WORKERS - 1, `both survivors took over: ${activitiesAfter.join('/')}`);
    // Every tracker the victim had been running (sticky workflow tasks) was finished by a survivor.
    for (const { handle } of handles) {
      const events = (await historiesOfChain(env.client, handle.workflowId, handle.firstExecutionRunId)).flatMap(
        (r) => r.events,
      );
      const lastTask = taskTakers(events)
        .filter((x) => x.kind === 'workflow')
        .at(-1)!;
      assert.notEqual(lastTask.identity, victimIdentity, `${handle.workflowId} finished on a survivor`);
    }
    t.diagnostic(
      `after the kill: status calls per worker ${activitiesAfter.join('/')}; all ${BATCHES} batches completed with ` +
        `ground truth ${Date.now() - killedAt} ms after it`,
    );
  });
});
