// Scenario: the worker process (worker/main.ts) is SIGKILLed every few seconds and restarted while a mixed
// workload runs on the dev server: trackers of simulator batches and runs that create their batch over HTTP. The
// first kill is timed to land while the runs' create requests are in flight (the simulator holds their answers
// back), so the idempotent create is exercised by a real crash: the retry after the activity's start-to-close
// timeout must get the same batch back, not a second one.
// Used by test/reliability/worker-crashes.test.ts (short) and bench/soak-worker-crashes.ts (long).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../simulator/server';
import { createDevServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { OutputLog, sleep, startWorkerProcess, stopProcess } from './processes';
import {
  FAST_TRACK,
  accountCreates,
  awaitWorkload,
  checkAgainstTruth,
  medianMax,
  pollErrorsByType,
  seededRandom,
  startWorkload,
  type CreateAccounting,
  type Outcome,
} from './workload';

export interface WorkerCrashOptions {
  trackers: number;
  runs: number;
  /** Simulator time scale (100: the reference lifecycle takes ~16 s). */
  timeScale: number;
  /** Spread the starts over this long, so kills hit batches in every phase. */
  spreadMs: number;
  /** The worker lives this long (uniform range, ms) after it is ready, then is killed. */
  upMs: [number, number];
  /** How many of the runs' first create requests the simulator answers only after this delay (ms). */
  slowCreates: { count: number; delayMs: number };
  seed: number;
  timeoutMs: number;
  apiKey: string;
  progress?: (line: string) => void;
}

export interface WorkerCrashReport {
  batches: number;
  trackers: number;
  runs: number;
  kills: number;
  /** Kills that landed while at least one create request was in flight at the simulator. */
  killsDuringCreates: number;
  /** Create requests in flight at those kills. */
  createsInFlightAtKill: number;
  restarts: number;
  /** Wall ms from a kill to the replacement worker's `worker ready`. */
  restartMs: { median: number; max: number };
  wallMs: number;
  completed: number;
  batchWallMs: { median: number; max: number };
  creates: CreateAccounting;
  /**
   * Failed status polls by type, summed over all trackers. A poll lost with a killed worker counts as one
   * (`ActivityTimeout`, after the call's heartbeat timeout); the tracker polls again on its schedule.
   */
  pollErrors: Record<string, number>;
  statusRequests: number;
  failures: string[];
  log: OutputLog;
}

export async function runWorkerCrashScenario(opts: WorkerCrashOptions): Promise<WorkerCrashReport> {
  const say = opts.progress ?? (() => undefined);
  const log = new OutputLog();
  const resultsDir = mkdtempSync(join(tmpdir(), 'airops-rel-crash-'));
  const env = await createDevServerEnv();
  const sim = await startSimulator({
    apiKey: opts.apiKey,
    timeScale: opts.timeScale,
    seed: opts.seed,
    requestLogLimit: 10_000_000,
  });
  const taskQueue = uniqueTaskQueue('rel-crash');
  const rnd = seededRandom(opts.seed);
  const started = Date.now();
  let worker: ChildProcess | null = null;
  let workerNo = 0;
  const restartMs: number[] = [];
  let kills = 0;
  let killsDuringCreates = 0;
  let createsInFlightAtKill = 0;
  let done = false;

  const startWorker = async () => {
    workerNo++;
    worker = await startWorkerProcess({
      address: env.address,
      taskQueue,
      baseUrl: sim.url,
      apiKey: opts.apiKey,
      log,
      source: `worker#${workerNo}`,
      env: { RESULTS_DIR: resultsDir },
    });
  };
  /** Create requests the simulator has taken in (the batch exists) but not answered yet. */
  const trackerBatchIds = new Set<string>();
  const createsInFlight = () => {
    const overHttp = sim.batchIds().length - trackerBatchIds.size;
    const answered = sim.requests.filter((r) => r.endpoint === 'create' && r.idempotency === 'stored').length;
    return Math.max(0, overHttp - answered);
  };
  const kill = async () => {
    const w = worker;
    if (w === null) return;
    const inFlight = createsInFlight();
    await stopProcess(w, 'SIGKILL');
    worker = null;
    kills++;
    if (inFlight > 0) {
      killsDuringCreates++;
      createsInFlightAtKill += inFlight;
    }
    say(`kill #${kills} at +${Math.round((Date.now() - started) / 1000)} s (${inFlight} creates in flight)`);
  };

  try {
    // The first creates are answered late, so the first kill can land while they are in flight.
    if (opts.slowCreates.count > 0) {
      sim.faults.set({
        fault: { type: 'slow', delayMs: opts.slowCreates.delayMs },
        endpoints: ['create'],
        count: opts.slowCreates.count,
      });
    }
    await startWorker();
    const startingAll = startWorkload(env.client, sim, taskQueue, {
      trackers: opts.trackers,
      runs: opts.runs,
      seed: opts.seed,
      urls: [5, 40],
      scrapingMs: [100_000, 400_000],
      spreadMs: opts.spreadMs,
      track: FAST_TRACK,
      label: `crash${opts.seed}`,
      trackerBatchIds,
    });

    // Kill 1: as soon as a slow create is in flight (or after a short while if there are none).
    const chaos = (async () => {
      const firstBy = Date.now() + 15_000;
      while (opts.slowCreates.count > 0 && createsInFlight() === 0 && Date.now() < firstBy) await sleep(50);
      if (opts.slowCreates.count > 0) await sleep(300); // let the other runs' creates arrive too
      for (;;) {
        if (done) return;
        await kill();
        const t = Date.now();
        await startWorker();
        restartMs.push(Date.now() - t);
        const up = opts.upMs[0] + rnd() * (opts.upMs[1] - opts.upMs[0]);
        const until = Date.now() + up;
        while (!done && Date.now() < until) await sleep(100);
      }
    })();

    const items = await startingAll;
    say(`${items.length} workflows started at +${Math.round((Date.now() - started) / 1000)} s`);
    let finished = 0;
    const outcomes: Outcome[] = await awaitWorkload(items, {
      timeoutMs: opts.timeoutMs,
      onDone: (o) => {
        finished++;
        if (finished % Math.max(1, Math.round(items.length / 10)) === 0 || o.result === null) {
          say(
            `${finished}/${items.length} done${o.result === null ? ` (${o.item.workflowId} FAILED: ${o.error})` : ''}`,
          );
        }
      },
    });
    done = true;
    await chaos;

    const failures = checkAgainstTruth(outcomes, sim);
    const creates = accountCreates(sim, outcomes, opts.trackers);
    failures.push(...creates.failures);
    if (opts.slowCreates.count > 0 && killsDuringCreates === 0)
      failures.push('no kill landed while a create was in flight');
    return {
      batches: items.length,
      trackers: opts.trackers,
      runs: opts.runs,
      kills,
      killsDuringCreates,
      createsInFlightAtKill,
      restarts: restartMs.length,
      restartMs: medianMax(restartMs),
      wallMs: Date.now() - started,
      completed: outcomes.filter((o) => o.result !== null).length,
      batchWallMs: medianMax(outcomes.filter((o) => o.result !== null).map((o) => o.ms)),
      creates: creates.accounting,
      pollErrors: pollErrorsByType(outcomes),
      statusRequests: sim.requests.filter((r) => r.endpoint === 'status').length,
      failures,
      log,
    };
  } finally {
    done = true;
    const w: ChildProcess | null = worker;
    if (w !== null) await stopProcess(w, 'SIGKILL');
    await sim.close();
    await env.teardown();
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

/** The report as the lines a soak prints last. */
export function describeWorkerCrashReport(r: WorkerCrashReport): string[] {
  return [
    `batches: ${r.batches} (${r.trackers} trackers, ${r.runs} runs creating their batch), completed ${r.completed}`,
    `worker SIGKILLs: ${r.kills} (${r.killsDuringCreates} with creates in flight, ${r.createsInFlightAtKill} creates cut off), restarts: ${r.restarts} (ready after median ${r.restartMs.median} ms, max ${r.restartMs.max} ms)`,
    `creates: ${r.creates.posts} POSTs, ${r.creates.batchesCreatedOverHttp} batches created for ${r.creates.runs} runs, ${r.creates.replayed} answered from the idempotency cache, ${r.creates.inProgress} × 409 in progress`,
    `status requests: ${r.statusRequests}; failed polls by type: ${JSON.stringify(r.pollErrors)}`,
    `wall: ${Math.round(r.wallMs / 1000)} s; per batch median ${Math.round(r.batchWallMs.median / 1000)} s, max ${Math.round(r.batchWallMs.max / 1000)} s`,
    `failures: ${r.failures.length}${r.failures.length > 0 ? `\n  ${r.failures.slice(0, 20).join('\n  ')}` : ''}`,
  ];
}
