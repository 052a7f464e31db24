// Scenario: the Temporal dev server itself is stopped and started again mid-run, on the same port with the same
// SQLite file (`temporal server start-dev --db-filename`), while a worker process, the simulator and a mixed
// workload keep going. Alternates a clean stop (SIGTERM) and a crash (SIGKILL). Every workflow must finish with the
// simulator's ground truth, none may be lost, and no run may create a second batch. The worker process is not
// restarted: it has to ride the outage out on its own (if it exits anyway, it is counted and restarted).
// Used by test/reliability/server-restarts.test.ts (short) and bench/soak-server-restarts.ts (long).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSimulator } from '../../simulator/server';
import { uniqueTaskQueue } from '../helpers/temporal';
import { collectWorkflows } from '../helpers/replay-net';
import { DevServerProcess, OutputLog, freePort, sleep, startWorkerProcess, stopProcess } from './processes';
import {
  FAST_TRACK,
  accountCreates,
  awaitWorkload,
  checkAgainstTruth,
  medianMax,
  startWorkload,
  withRetry,
  type CreateAccounting,
} from './workload';

export interface ServerRestartOptions {
  trackers: number;
  runs: number;
  timeScale: number;
  spreadMs: number;
  /** Wall ms after the start of the workload of each restart. */
  restartAtMs: number[];
  /** How long the server stays down each time. */
  downMs: number;
  seed: number;
  timeoutMs: number;
  apiKey: string;
  progress?: (line: string) => void;
}

export interface ServerRestartReport {
  batches: number;
  trackers: number;
  runs: number;
  restarts: { signal: NodeJS.Signals; atMs: number; downMs: number; running: number }[];
  /** Times the worker process exited on its own (it should ride the outages out). */
  workerExits: number;
  wallMs: number;
  completed: number;
  /** Workflow executions visible after the last restart (runs of continue-as-new chains included). */
  executionsListed: number;
  batchWallMs: { median: number; max: number };
  creates: CreateAccounting;
  failures: string[];
  log: OutputLog;
}

export async function runServerRestartScenario(opts: ServerRestartOptions): Promise<ServerRestartReport> {
  const say = opts.progress ?? (() => undefined);
  const log = new OutputLog();
  const dir = mkdtempSync(join(tmpdir(), 'airops-rel-restart-'));
  const server = new DevServerProcess({ dbFilename: join(dir, 'temporal.sqlite'), port: await freePort(), log });
  await server.start();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const sim = await startSimulator({
    apiKey: opts.apiKey,
    timeScale: opts.timeScale,
    seed: opts.seed,
    requestLogLimit: 10_000_000,
  });
  const taskQueue = uniqueTaskQueue('rel-restart');
  const started = Date.now();
  let worker: ChildProcess | null = null;
  let workerExits = 0;
  let stopping = false;
  const failures: string[] = [];

  const startWorker = async (): Promise<void> => {
    const w = await startWorkerProcess({
      address: server.address,
      taskQueue,
      baseUrl: sim.url,
      apiKey: opts.apiKey,
      log,
      source: `worker#${workerExits + 1}`,
      env: { RESULTS_DIR: join(dir, 'results') },
    });
    worker = w;
    w.once('exit', (code, signal) => {
      if (stopping) return;
      workerExits++;
      failures.push(`the worker process exited (${code ?? signal}) at +${Math.round((Date.now() - started) / 1000)} s`);
      say(`worker exited (${code ?? signal}); restarting it`);
      void startWorker();
    });
  };

  try {
    await startWorker();
    const workloadStart = Date.now();
    const restarts: ServerRestartReport['restarts'] = [];
    let outstanding = 0; // started and not finished
    let startedCount = 0;
    const chaos = (async () => {
      for (const [i, at] of opts.restartAtMs.entries()) {
        const wait = workloadStart + at - Date.now();
        if (wait > 0) await sleep(wait);
        if (startedCount === opts.trackers + opts.runs && outstanding === 0) return;
        const signal: NodeJS.Signals = i % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
        const t = Date.now();
        await server.stop(signal);
        say(
          `dev server stopped (${signal}) at +${Math.round((t - started) / 1000)} s, ${outstanding} workflows running`,
        );
        await sleep(opts.downMs);
        await server.start();
        restarts.push({ signal, atMs: t - started, downMs: Date.now() - t, running: outstanding });
        say(`dev server back after ${Date.now() - t} ms`);
      }
    })();

    const items = await startWorkload(client, sim, taskQueue, {
      trackers: opts.trackers,
      runs: opts.runs,
      seed: opts.seed,
      urls: [5, 40],
      scrapingMs: [100_000, 400_000],
      spreadMs: opts.spreadMs,
      track: FAST_TRACK,
      label: `restart${opts.seed}`,
      onStarted: () => {
        startedCount++;
        outstanding++;
      },
    });
    say(`${items.length} workflows started at +${Math.round((Date.now() - started) / 1000)} s`);
    const outcomes = await awaitWorkload(items, {
      timeoutMs: opts.timeoutMs,
      onDone: (o) => {
        outstanding--;
        if (o.result === null) say(`${o.item.workflowId} FAILED: ${o.error}`);
      },
    });
    await chaos;

    failures.push(...checkAgainstTruth(outcomes, sim));
    const creates = accountCreates(sim, outcomes, opts.trackers);
    failures.push(...creates.failures);
    // Nothing lost: every workflow started is still known to the server after the restarts.
    let executionsListed = 0;
    await withRetry(async () => {
      executionsListed = 0;
      for await (const _ of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) executionsListed++;
    });
    const trackersOfRuns = opts.runs; // each run starts a child tracker
    if (executionsListed < items.length + trackersOfRuns) {
      failures.push(`only ${executionsListed} executions listed for ${items.length + trackersOfRuns} workflows`);
    }
    return {
      batches: items.length,
      trackers: opts.trackers,
      runs: opts.runs,
      restarts,
      workerExits,
      wallMs: Date.now() - started,
      completed: outcomes.filter((o) => o.result !== null).length,
      executionsListed,
      batchWallMs: medianMax(outcomes.filter((o) => o.result !== null).map((o) => o.ms)),
      creates: creates.accounting,
      failures,
      log,
    };
  } finally {
    stopping = true;
    const w: ChildProcess | null = worker;
    if (w !== null) await stopProcess(w, 'SIGKILL');
    // The replay net (when a test wired it) reads every workflow before the server and its SQLite file go.
    if (server.running) await collectWorkflows(client, 'dev server (stopped and restarted)');
    await connection.close().catch(() => undefined);
    await server.stop('SIGTERM');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeServerRestartReport(r: ServerRestartReport): string[] {
  const restarts = r.restarts
    .map(
      (x) =>
        `${x.signal} at +${Math.round(x.atMs / 1000)} s, down ${(x.downMs / 1000).toFixed(1)} s, ${x.running} running`,
    )
    .join('; ');
  return [
    `batches: ${r.batches} (${r.trackers} trackers, ${r.runs} runs creating their batch), completed ${r.completed}`,
    `dev server restarts: ${r.restarts.length} (${restarts})`,
    `worker process exits: ${r.workerExits}; executions listed afterwards: ${r.executionsListed}`,
    `creates: ${r.creates.posts} POSTs, ${r.creates.batchesCreatedOverHttp} batches created for ${r.creates.runs} runs, ${r.creates.replayed} replayed`,
    `wall: ${Math.round(r.wallMs / 1000)} s; per batch median ${Math.round(r.batchWallMs.median / 1000)} s, max ${Math.round(r.batchWallMs.max / 1000)} s`,
    `failures: ${r.failures.length}${r.failures.length > 0 ? `\n  ${r.failures.slice(0, 20).join('\n  ')}` : ''}`,
  ];
}
