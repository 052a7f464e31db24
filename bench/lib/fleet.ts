// A fleet of open trackers for the scale and query benchmarks: our own dev server process, the simulator in this
// process (real clock, long batches so trackers stay open), ONE tracker worker in its own process, N trackers
// started with bounded parallelism. Plus the poll-slip analysis from workflow histories.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { startAirOpsBatchTracker } from '../../client/track';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { trackerWorkflowId } from '../../workflows/contract';
import { urls } from '../../kit/helpers/tracker';
import { mapLimit, processMonitor, round, sleep } from './common';
import { startDevServer } from './dev-server';
import { startNativeServer, type BenchServer } from './native-server';
import type { FleetWorkerConfig, FleetWorkerMessage, WorkerMemory } from './fleet-worker';

const API_KEY = 'sim_bench_fleet_key';
const EventType = temporal.api.enums.v1.EventType;

export type WorkerSettings = Omit<FleetWorkerConfig, 'address' | 'taskQueue' | 'olostepBaseUrl' | 'olostepApiKey'>;

export interface FleetOptions {
  trackers: number;
  /** Workflow starts in flight at once. */
  startConcurrency: number;
  worker: WorkerSettings;
  /** Write a V8 CPU profile of the worker here (node --cpu-prof). */
  cpuProfDir?: string;
  /** Node flags for the worker process besides `--import tsx` (e.g. --disable-source-maps is not one: see sourceMaps). */
  sourceMaps?: boolean;
  /** URLs per batch; default FLEET_BATCH.urls. */
  urlsPerBatch?: number;
  /** Scraping phase length (virtual = wall, 1×); default FLEET_BATCH.scrapingMs. */
  scrapingMs?: number;
  /**
   * Batches were created this long before their trackers start (default 0: brand-new batches, whose young trackers
   * poll densely at first). With a few minutes, every tracker starts mid-scraping: the steady state of a fleet.
   */
  createdAgoMs?: number;
  dynamicConfig?: Record<string, unknown>;
  /**
   * `dev`: the Temporal CLI dev server (SQLite in memory). `native`: Temporal on PostgreSQL as docker-compose.yml
   * configures it (kit/stack), whose dynamic config is the compose file's (no `dynamicConfig` here).
   */
  server?: BenchServer['kind'];
  log?: (line: string) => void;
  /**
   * Starts the workflow that follows one batch, with the workflow id `trackerWorkflowId(batchId)` on `taskQueue`
   * (default: a tracker, through the client library). The overhead comparison starts its bare loop here.
   */
  start?: (client: Client, batchId: string, taskQueue: string) => Promise<unknown>;
}

/**
 * The batches a fleet tracks: the reference batch's size (100 URLs) with a 30-minute scraping phase, so every
 * tracker stays open through a run and, as items finish (one every ~18 s), follows the rate of its counts. A
 * batch far slower than its size suggests and without moving counts (e.g. 20 URLs in 6 hours) is the schedule's
 * worst case instead: it keeps polling around the typical end it has passed (--urls 20 --scraping-min 360).
 */
export const FLEET_BATCH = { urls: 100, scrapingMs: 30 * 60_000 } as const;

export interface Fleet {
  server: BenchServer;
  sim: SimulatorHandle;
  client: Client;
  taskQueue: string;
  workerPid: number;
  workflowIds: string[];
  /** Wall ms (Date.now()) when the first start was sent and when the last start returned. */
  startedFrom: number;
  startedUntil: number;
  startsPerSec: number;
  monitor: ReturnType<typeof processMonitor>;
  workerStats: FleetWorkerMessage[];
  /** Wall ms of every status call the simulator answered. */
  statusCallTimes: number[];
  /** The worker's memory once it was polling, before the first start. */
  memoryBeforeStarts: WorkerMemory;
  /** The worker's memory now (after a full GC of its main thread). */
  workerMemory(): Promise<WorkerMemory>;
  /** How many trackers have made their first status call, and when the last of them did (null: not yet). */
  polledOnce(): { count: number; allAt: number | null };
  stop(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (opts.server === 'native' && opts.dynamicConfig) {
    throw new Error('the native server reads deploy/temporal/dynamicconfig (the compose stack): no dynamicConfig');
  }
  const server =
    opts.server === 'native' ? await startNativeServer() : await startDevServer({ dynamicConfig: opts.dynamicConfig });
  // Status calls, counted where they land (the simulator's log has a line per request).
  const statusCallTimes: number[] = [];
  // Trackers that have polled at least once (their first workflow task ran), and when the last one did.
  const polled = new Set<string>();
  let allPolledAt: number | null = null;
  const sim = await startSimulator({
    apiKey: API_KEY,
    requestLogLimit: 2_000,
    log: (line) => {
      if (!line.startsWith('GET /v1/batches-airops/')) return;
      statusCallTimes.push(Date.now());
      polled.add(line.slice('GET /v1/batches-airops/'.length, line.indexOf(' ', 4)));
      if (allPolledAt === null && polled.size === opts.trackers) allPolledAt = Date.now();
    },
  });
  const taskQueue = `bench-fleet-${process.pid}`;
  const config: FleetWorkerConfig = {
    address: server.address,
    taskQueue,
    olostepBaseUrl: sim.url,
    olostepApiKey: API_KEY,
    ...opts.worker,
  };
  const child: ChildProcess = fork(require.resolve('./fleet-worker'), [], {
    execArgv: [
      '--import',
      'tsx',
      ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
      // The cache holds up to 10,000 workflows: room for the heap.
      '--max-old-space-size=4096',
      // For workerMemory(): heap in use after a full GC.
      '--expose-gc',
    ],
    env: {
      ...process.env,
      FLEET_WORKER_CONFIG: JSON.stringify(config),
      ...(opts.sourceMaps === false ? { FLEET_WORKER_SOURCE_MAPS: 'off' } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const workerStats: FleetWorkerMessage[] = [];
  const memoryWaiters: ((m: WorkerMemory) => void)[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: FleetWorkerMessage) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'memory') memoryWaiters.shift()?.(m.memory);
      else workerStats.push(m);
    });
    void exited.then((code) => reject(new Error(`fleet worker exited (${code}) before it was ready`)));
  });
  const statsTimer = setInterval(() => child.send({ type: 'stats' }), 5_000);
  statsTimer.unref();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const workerMemory = () =>
    new Promise<WorkerMemory>((resolve) => {
      memoryWaiters.push(resolve);
      child.send({ type: 'memory' });
    });
  // Let the worker's start-up settle (its workflow threads load the bundle) before the baseline.
  await sleep(2_000);
  const memoryBeforeStarts = await workerMemory();
  const monitor = processMonitor({ worker: child.pid as number, server: () => server.pids(), bench: process.pid });

  const script = { scenario: 'happy' as const, durations: { scrapingMs: opts.scrapingMs ?? FLEET_BATCH.scrapingMs } };
  const batchIds = Array.from(
    { length: opts.trackers },
    (_, i) =>
      sim.createBatch(
        { items: urls(opts.urlsPerBatch ?? FLEET_BATCH.urls, `f${i}-`) },
        { ...script, seed: `fleet-${i}` },
        { createdAgoMs: opts.createdAgoMs ?? 0 },
      ).id,
  );
  log(`starting ${opts.trackers} trackers, ${opts.startConcurrency} starts in flight`);
  const startedFrom = Date.now();
  let done = 0;
  const t0 = performance.now();
  await mapLimit(batchIds, opts.startConcurrency, async (id) => {
    await (opts.start ? opts.start(client, id, taskQueue) : startAirOpsBatchTracker(client, id, { taskQueue }));
    if (++done % 1_000 === 0) log(`  ${done} started (${round(done / ((performance.now() - t0) / 1000))}/s)`);
  });
  const startedUntil = Date.now();
  const startsPerSec = round(opts.trackers / ((startedUntil - startedFrom) / 1000), 1);
  log(`  all ${opts.trackers} started in ${((startedUntil - startedFrom) / 1000).toFixed(1)} s (${startsPerSec}/s)`);

  return {
    server,
    sim,
    client,
    taskQueue,
    workerPid: child.pid as number,
    workflowIds: batchIds.map(trackerWorkflowId),
    startedFrom,
    startedUntil,
    startsPerSec,
    monitor,
    workerStats,
    statusCallTimes,
    memoryBeforeStarts,
    workerMemory,
    polledOnce: () => ({ count: polled.size, allAt: allPolledAt }),
    async stop() {
      clearInterval(statsTimer);
      monitor.stop();
      child.send({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      await connection.close();
      await sim.close();
      await server.stop();
    },
  };
}

/** Open trackers of this fleet (visibility count). */
/** Waits until every tracker has made its first status call (its first workflow task ran), at most `maxMs`. */
export async function waitAllPolled(fleet: Fleet, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (fleet.polledOnce().allAt === null && Date.now() < deadline) await sleep(1_000);
  return fleet.polledOnce().allAt !== null;
}

export async function countRunning(fleet: Fleet): Promise<number> {
  const r = await fleet.client.workflow.count(`TaskQueue = '${fleet.taskQueue}' AND ExecutionStatus = 'Running'`);
  return r.count;
}

export interface PollTiming {
  workflowId: string;
  kind: 'first' | 'timer';
  /** When the poll was due: workflow start (first poll) or TimerStarted + startToFireTimeout. Wall ms. */
  plannedAt: number;
  firedAt: number | null;
  scheduledAt: number;
  startedAt: number;
  completedAt: number | null;
}

/**
 * Every completed poll in a workflow's history with its planned time: the first poll is due at the start; each
 * later one when its timer is due (TimerStarted time + startToFireTimeout). The actual times are the server's
 * event times. The status call is a local activity: the workflow task that runs it starts it (WorkflowTaskStarted
 * after the timer fired = decided and began the call) and its marker lands when that task completes (MarkerRecorded
 * = call done). Histories from before the local activity (a regular activity task) are read too:
 * ActivityTaskScheduled (decided), ActivityTaskStarted (began), ActivityTaskCompleted/Failed/TimedOut (done).
 */
export function pollTimings(workflowId: string, events: temporal.api.history.v1.IHistoryEvent[]): PollTiming[] {
  const out: PollTiming[] = [];
  const at = (e: temporal.api.history.v1.IHistoryEvent) => tsToMs(e.eventTime);
  let planned: { kind: PollTiming['kind']; at: number; firedAt: number | null } | null = null;
  let taskStartedAt: number | null = null;
  let current: PollTiming | null = null;
  const timers = new Map<string, number>();
  const plan = (p: NonNullable<typeof planned>) => {
    planned = p;
    taskStartedAt = null;
  };
  for (const e of events) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        plan({ kind: 'first', at: at(e), firedAt: null });
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const attrs = e.timerStartedEventAttributes;
        timers.set(String(e.eventId), at(e) + tsToMs(attrs?.startToFireTimeout));
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const due = timers.get(String(e.timerFiredEventAttributes?.startedEventId));
        if (due !== undefined) plan({ kind: 'timer', at: due, firedAt: at(e) });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        if (planned && taskStartedAt === null) taskStartedAt = at(e);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const local = e.markerRecordedEventAttributes?.markerName === 'core_local_activity';
        if (local && planned && taskStartedAt !== null) {
          const p: { kind: PollTiming['kind']; at: number; firedAt: number | null } = planned;
          out.push({
            workflowId,
            kind: p.kind,
            plannedAt: p.at,
            firedAt: p.firedAt,
            scheduledAt: taskStartedAt,
            startedAt: taskStartedAt,
            completedAt: at(e),
          });
          planned = null;
        }
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        if (planned) {
          const p: { kind: PollTiming['kind']; at: number; firedAt: number | null } = planned;
          current = {
            workflowId,
            kind: p.kind,
            plannedAt: p.at,
            firedAt: p.firedAt,
            scheduledAt: at(e),
            startedAt: NaN,
            completedAt: null,
          };
          planned = null;
        }
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        if (current) current.startedAt = at(e);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        if (current && Number.isFinite(current.startedAt)) {
          current.completedAt = at(e);
          out.push(current);
        }
        current = null;
        break;
      default:
        break;
    }
  }
  return out;
}

/** The histories of a random sample of the fleet's workflows (seeded shuffle, so reruns sample alike). */
export async function sampleHistories(
  fleet: Fleet,
  sample: number,
): Promise<{ workflowId: string; events: temporal.api.history.v1.IHistoryEvent[] }[]> {
  const ids = [...fleet.workflowIds];
  let seed = 42;
  for (let i = ids.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  const chosen = ids.slice(0, Math.min(sample, ids.length));
  return mapLimit(chosen, 8, async (id) => {
    const history: temporal.api.history.v1.IHistory = await fleet.client.workflow.getHandle(id).fetchHistory();
    return { workflowId: id, events: history.events ?? [] };
  });
}

/** Poll timings of a random sample of the fleet's trackers (sampleHistories). */
export async function samplePollTimings(fleet: Fleet, sample: number): Promise<PollTiming[]> {
  const histories = await sampleHistories(fleet, sample);
  return histories.flatMap((h) => pollTimings(h.workflowId, h.events));
}

export { sleep };
