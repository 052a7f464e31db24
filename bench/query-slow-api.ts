// Benchmark: queries and signals while status calls are in flight against a slow AirOps API, and what a poll costs.
//   npm run bench:query-slow-api [-- --tree DIR] [--baseline-tree DIR] [--out NAME] [--trackers 100]
//        [--interval-s 5] [--cost-window 45] [--cost-rounds 2] [--fast-window 40] [--slow-warmup 30] [--slow-window 120]
//        [--query-rate 20] [--signal-rate 2] [--query-timeout-ms 40000] [--max-delay-ms <status timeout − 2 s>]
//        [--delay-steps 15] [--wft N (the worker's maxConcurrentWorkflowTaskExecutions; default the SDK's)]
//
// --tree: the checkout whose worker and workflow code is measured (default: this one). Its own
// bench/lib/fleet-worker.ts runs the worker (bench/lib/tree-worker.ts), so an older commit checked out with
// `git worktree add` is measured exactly as committed. The dev server (`temporal server start-dev`, our own process),
// the simulator (in this process, real clock) and the clients are this checkout's.
//
// Workload: --trackers trackers on batches that stay open for the whole run, each polling at a fixed interval
// (minPollIntervalMs = maxPollIntervalMs = --interval-s), so the poll rate is the same whichever code runs and
// however slow the API answers (the interval starts when a call ends).
//
// 1. Per-poll cost (API answers at once, no queries or signals): over --cost-window s, history events per poll (the
//    histories' events in the window over their status calls in the window, by event type) and CPU per poll of the
//    worker process and of the dev server process (/proc/<pid>/stat over the window, over the status calls the
//    simulator answered in the window), pooled over --cost-rounds rounds, each on fresh trackers and a fresh worker.
//    With --baseline-tree, as many rounds run with that tree's worker too, in the order base, tree, tree, base, …
//    (so a drift of the shared machine's load falls on both alike); ratios tree / baseline.
// 2. Queries and signals, API answering at once (the same-run baseline): for --fast-window s, another client (its
//    own connection, the client library's getAirOpsBatchProgress, as another service would) queries random trackers
//    at --query-rate per second (open loop: sent on schedule, whatever the answers take), and airopsEvent signals
//    (webhook payloads raising the scraping count to a value the simulator never reaches) go to random trackers at
//    --signal-rate per second; after each signal the client queries that tracker (at once, then every 25 ms) until
//    getProgress shows it (at most 60 s).
//    Signal → visible = from just before the signal is sent to the answer of the first query that shows it.
//    Queries wait up to --query-timeout-ms (longer than any delay, so the whole wait is measured); how many took
//    longer than the client library's default query timeout is counted too.
// 3. The same with the API slow: every status call answers after a delay spread evenly over --delay-steps values
//    from 0 to --max-delay-ms (default: the OlostepClient's status timeout, which the worker uses, minus 2 s, so no
//    call times out), after --slow-warmup s for the calls in flight to reach their steady state. Queries are also
//    split by whether the queried tracker had a status call in flight when the query was sent (from the
//    simulator's log of every call's start and end).
// Goal: getProgress p99 < 200 ms while status calls are in flight (phase 3).
// Prints the figures last; writes bench/results/<--out>.json (default query-slow-api).
import { createHash } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { DEFAULT_QUERY_TIMEOUT_MS, getAirOpsBatchProgress } from '../client/progress';
import { getTrackerHandle, startAirOpsBatchTracker } from '../client/track';
import { DEFAULT_TIMEOUT_MS } from '../olostep/client';
import { startSimulator, type FaultRule, type SimulatorHandle } from '../simulator/server';
import { airopsEvent, trackerWorkflowId, type BatchProgress } from '../workflows/contract';
import { urls } from '../kit/helpers/tracker';
import {
  machineCpuSample,
  machineInfo,
  mapLimit,
  ms,
  procSample,
  ratio,
  round,
  sleep,
  summarize,
  table,
  writeResult,
  type Summary,
} from './lib/common';
import { startDevServer, type DevServer } from './lib/dev-server';
import { THIS_TREE, startTreeWorker, treeInfo, type TreeWorker } from './lib/tree-worker';

const API_KEY = 'sim_bench_slow_api_key';
const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Batches that stay open through the run and whose own scraping count stays far below SIGNAL_MARK. */
const BATCH_URLS = 200;
const BATCH_SCRAPING_MS = 24 * 3_600_000;
/** Signals raise the scraping count to SIGNAL_MARK + n (n-th signal of that tracker). */
const SIGNAL_MARK = 100;
const GOAL_P99_MS = 200;
/** Pause between the queries that look for a signal's effect (the first one goes right after the signal). */
const SIGNAL_RECHECK_MS = 25;

function oneLine(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e instanceof Error && i < 3; i++, e = e.cause) parts.push(e.message);
  return parts.join(' | ').replace(/\s+/g, ' ').slice(0, 300);
}

interface Args {
  tree: string;
  baselineTree: string | null;
  out: string;
  trackers: number;
  intervalMs: number;
  costWindowS: number;
  costRounds: number;
  fastWindowS: number;
  slowWarmupS: number;
  slowWindowS: number;
  queryRate: number;
  signalRate: number;
  queryTimeoutMs: number;
  maxDelayMs: number;
  delaySteps: number;
  /** Worker's maxConcurrentWorkflowTaskExecutions; undefined: the SDK default. */
  wft: number | undefined;
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      tree: { type: 'string' },
      'baseline-tree': { type: 'string' },
      out: { type: 'string', default: 'query-slow-api' },
      trackers: { type: 'string', default: '100' },
      'interval-s': { type: 'string', default: '5' },
      'cost-window': { type: 'string', default: '45' },
      'cost-rounds': { type: 'string', default: '2' },
      'fast-window': { type: 'string', default: '40' },
      'slow-warmup': { type: 'string', default: '30' },
      'slow-window': { type: 'string', default: '120' },
      'query-rate': { type: 'string', default: '20' },
      'signal-rate': { type: 'string', default: '2' },
      'query-timeout-ms': { type: 'string', default: '40000' },
      'max-delay-ms': { type: 'string', default: String(DEFAULT_TIMEOUT_MS - 2_000) },
      'delay-steps': { type: 'string', default: '15' },
      wft: { type: 'string' },
    },
  });
  const num = (k: keyof typeof values) => {
    const v = Number(values[k]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} must be a number >= 0`);
    return v;
  };
  const maxDelayMs = num('max-delay-ms');
  if (maxDelayMs >= DEFAULT_TIMEOUT_MS) {
    throw new Error(`--max-delay-ms must stay under the status call's timeout (${DEFAULT_TIMEOUT_MS} ms)`);
  }
  return {
    tree: values.tree ?? THIS_TREE,
    baselineTree: values['baseline-tree'] ?? null,
    out: values.out,
    trackers: num('trackers'),
    intervalMs: num('interval-s') * 1_000,
    costWindowS: num('cost-window'),
    costRounds: Math.round(num('cost-rounds')),
    fastWindowS: num('fast-window'),
    slowWarmupS: num('slow-warmup'),
    slowWindowS: num('slow-window'),
    queryRate: num('query-rate'),
    signalRate: num('signal-rate'),
    queryTimeoutMs: num('query-timeout-ms'),
    maxDelayMs,
    delaySteps: Math.max(1, Math.round(num('delay-steps'))),
    wft: values.wft === undefined ? undefined : num('wft'),
  };
}

// ---- status calls, from the simulator's request log ----

interface StatusCall {
  batchId: string;
  /** Wall ms (Date.now()) the request arrived and was answered. */
  start: number;
  end: number;
}

const STATUS_LINE = /^GET \/v1\/batches-airops\/([^/\s]+) (\d+) ([\d.]+)ms/;

/** Rules for the simulator: every status call answers after one of `steps` delays from 0 to `maxMs`, evenly. */
function slowRules(maxMs: number, steps: number): FaultRule[] {
  return Array.from({ length: steps }, (_, i) => ({
    fault: { type: 'slow' as const, delayMs: steps === 1 ? maxMs : Math.round((i * maxMs) / (steps - 1)) },
    endpoints: ['status' as const],
    // The first rule that fires wins: rule i fires with 1/(steps − i), so each delay is picked with 1/steps.
    probability: 1 / (steps - i),
  }));
}

// ---- history ----

/** What a poll looks like in history, per status-call kind. */
function statusCallKind(events: HistoryEvent[]): 'local activity' | 'activity' | 'unknown' {
  for (const e of events) {
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') return 'local activity';
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchAirOpsBatchStatus') return 'activity';
  }
  return 'unknown';
}

function isStatusCallEvent(e: HistoryEvent): boolean {
  return (
    e.markerRecordedEventAttributes?.markerName === 'core_local_activity' ||
    e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchAirOpsBatchStatus'
  );
}

const eventName = (t: number | null | undefined) =>
  (EventType[t ?? 0] ?? String(t)).replace(/^EVENT_TYPE_/, '').toLowerCase();

interface HistoryWindow {
  trackers: number;
  events: number;
  /** Status calls that history records in the window (a marker, or ActivityTaskScheduled). */
  statusCalls: number;
  eventsPerPoll: number;
  eventsPerPollByType: Record<string, number>;
  statusCallKind: string;
}

/** Events of every tracker's history whose time lies in [from, to), per status call recorded in the same span. */
async function historyWindow(client: Client, workflowIds: string[], from: number, to: number): Promise<HistoryWindow> {
  const byType: Record<string, number> = {};
  let events = 0;
  let calls = 0;
  let kind: string = 'unknown';
  await mapLimit(workflowIds, 8, async (id) => {
    const h = await client.workflow.getHandle(id).fetchHistory();
    const list = h.events ?? [];
    if (kind === 'unknown') kind = statusCallKind(list);
    for (const e of list) {
      const at = tsToMs(e.eventTime);
      if (at < from || at >= to) continue;
      events++;
      if (isStatusCallEvent(e)) calls++;
      const name = eventName(e.eventType);
      byType[name] = (byType[name] ?? 0) + 1;
    }
  });
  const perPoll = Object.fromEntries(
    Object.entries(byType)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => [k, round(v / calls, 2)]),
  );
  return {
    trackers: workflowIds.length,
    events,
    statusCalls: calls,
    eventsPerPoll: round(events / calls, 2),
    eventsPerPollByType: perPoll,
    statusCallKind: kind,
  };
}

// ---- one tracker set on one worker ----

interface CpuSnapshot {
  at: number;
  worker: number;
  devServer: number;
  bench: number;
  machine: number;
}

interface Fleet {
  label: string;
  tree: string;
  worker: TreeWorker;
  taskQueue: string;
  batchIds: string[];
  workflowIds: string[];
  /** The create response of each batch (the template of the signals' webhook payloads). */
  created: Map<string, { created: number; status: Record<string, unknown> }>;
}

class Bench {
  readonly calls: StatusCall[] = [];
  readonly polled = new Set<string>();
  private seq = 0;
  constructor(
    readonly args: Args,
    readonly server: DevServer,
    readonly sim: SimulatorHandle,
    readonly client: Client,
  ) {}

  onSimLog(line: string): void {
    const m = STATUS_LINE.exec(line);
    if (!m) return;
    const end = Date.now();
    const batchId = m[1] as string;
    this.calls.push({ batchId, start: end - Number(m[3]), end });
    this.polled.add(batchId);
  }

  callsEndingIn(from: number, to: number, batchIds?: Set<string>): number {
    return this.calls.filter((c) => c.end >= from && c.end < to && (!batchIds || batchIds.has(c.batchId))).length;
  }

  async startFleet(label: string, tree: string): Promise<Fleet> {
    const n = ++this.seq;
    const taskQueue = `bench-slow-api-${process.pid}-${n}-${label}`;
    const worker = await startTreeWorker(tree, {
      address: this.server.address,
      taskQueue,
      olostepBaseUrl: this.sim.url,
      olostepApiKey: API_KEY,
      maxCachedWorkflows: Math.max(1_000, this.args.trackers),
      ...(this.args.wft !== undefined ? { maxConcurrentWorkflowTaskExecutions: this.args.wft } : {}),
    });
    const created = new Map<string, { created: number; status: Record<string, unknown> }>();
    const batchIds = Array.from({ length: this.args.trackers }, (_, i) => {
      const r = this.sim.createBatch(
        { items: urls(BATCH_URLS, `r${n}-${i}-`) },
        { scenario: 'happy', durations: { scrapingMs: BATCH_SCRAPING_MS }, seed: `slow-api-${n}-${i}` },
      );
      created.set(r.id, { created: r.created, status: r.status as unknown as Record<string, unknown> });
      return r.id;
    });
    await mapLimit(batchIds, 32, (id) =>
      startAirOpsBatchTracker(this.client, id, {
        taskQueue,
        minPollIntervalMs: this.args.intervalMs,
        maxPollIntervalMs: this.args.intervalMs,
        maxPollsPerRun: 10_000,
      }),
    );
    const fleet: Fleet = {
      label,
      tree,
      worker,
      taskQueue,
      batchIds,
      workflowIds: batchIds.map(trackerWorkflowId),
      created,
    };
    const deadline = Date.now() + 120_000;
    while (batchIds.some((id) => !this.polled.has(id)) && Date.now() < deadline) await sleep(500);
    return fleet;
  }

  async stopFleet(f: Fleet): Promise<void> {
    await mapLimit(f.workflowIds, 16, (id) =>
      this.client.workflow
        .getHandle(id)
        .terminate('benchmark over')
        .catch(() => undefined),
    );
    await f.worker.stop();
  }

  /** CPU of the fleet's worker, the dev server, this process and the whole machine, now. */
  cpuNow(f: Fleet): CpuSnapshot {
    const cpu = (pid: number) => procSample(pid)?.cpuMs ?? NaN;
    return {
      at: Date.now(),
      worker: cpu(f.worker.pid),
      devServer: cpu(this.server.pid),
      bench: cpu(process.pid),
      machine: machineCpuSample()?.busyMs ?? NaN,
    };
  }

  /** CPU per status call and events per poll of a fleet between two CPU snapshots. */
  async cost(f: Fleet, a: CpuSnapshot, b: CpuSnapshot) {
    const calls = this.callsEndingIn(a.at, b.at, new Set(f.batchIds));
    const hist = await historyWindow(this.client, f.workflowIds, a.at, b.at);
    const wall = b.at - a.at;
    const cpuMs = {
      worker: round(b.worker - a.worker),
      devServer: round(b.devServer - a.devServer),
      bench: round(b.bench - a.bench),
      machine: round(b.machine - a.machine),
    };
    return {
      windowS: round(wall / 1000, 1),
      statusCalls: calls,
      statusCallsPerSec: round(calls / (wall / 1000), 1),
      cpuMsPerPoll: { worker: round(cpuMs.worker / calls, 2), devServer: round(cpuMs.devServer / calls, 2) },
      cpuMs,
      /** % of one core over the window (the machine has 2: up to 200 %). */
      cpuPercent: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, round((v / wall) * 100, 1)])),
      loadavg: os.loadavg().map((l) => round(l, 2)),
      history: hist,
    };
  }
}

type Cost = Awaited<ReturnType<Bench['cost']>>;

// ---- queries and signals ----

interface QueryRecord {
  batchId: string;
  sentAt: number;
  ms: number;
  error: string | null;
}

interface SignalRecord {
  batchId: string;
  sentAt: number;
  signalMs: number;
  /** Signal sent → answer of the first query showing it; null when not seen within the limit. */
  visibleMs: number | null;
  queries: number;
  error: string | null;
}

/** Open-loop getProgress queries and signals on `fleet` for `windowS` s; returns every record. */
async function queryLoad(
  bench: Bench,
  queryClient: Client,
  fleet: Fleet,
  windowS: number,
  seed: string,
): Promise<{
  queries: QueryRecord[];
  signals: SignalRecord[];
  /** The first message of each error type. */
  errorSamples: Record<string, string>;
  from: number;
  to: number;
  cpuFrom: CpuSnapshot;
  cpuTo: CpuSnapshot;
}> {
  const { queryRate, signalRate } = bench.args;
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0);
  const rand = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const pick = () => fleet.batchIds[Math.floor(rand() * fleet.batchIds.length)] as string;
  const queries: QueryRecord[] = [];
  const signals: SignalRecord[] = [];
  const errorSamples: Record<string, string> = {};
  const inFlight: Promise<void>[] = [];
  const sentSignals = new Map<string, number>();
  const busy = new Set<string>();

  const query = async (batchId: string): Promise<{ p: BatchProgress | null; rec: QueryRecord }> => {
    const sentAt = Date.now();
    const t0 = performance.now();
    let p: BatchProgress | null = null;
    let error: string | null = null;
    try {
      p = await getAirOpsBatchProgress(queryClient, batchId, { timeoutMs: bench.args.queryTimeoutMs });
    } catch (err) {
      error = err instanceof Error ? err.name : 'error';
      if (!errorSamples[error]) errorSamples[error] = oneLine(err);
    }
    return { p, rec: { batchId, sentAt, ms: performance.now() - t0, error } };
  };

  const signal = async (batchId: string) => {
    busy.add(batchId);
    const nth = (sentSignals.get(batchId) ?? 0) + 1;
    sentSignals.set(batchId, nth);
    const tmpl = fleet.created.get(batchId) as { created: number; status: Record<string, unknown> };
    const scraping = tmpl.status.scraping as Record<string, unknown>;
    const want = SIGNAL_MARK + nth;
    const payload = {
      object: 'event.batch.airops.scraping_started',
      id: batchId,
      created: tmpl.created,
      timestamp: Date.now(),
      status: { ...tmpl.status, overall: 'in_progress', scraping: { ...scraping, state: 'started', succeeded: want } },
    };
    const sentAt = Date.now();
    const t0 = performance.now();
    const rec: SignalRecord = { batchId, sentAt, signalMs: NaN, visibleMs: null, queries: 0, error: null };
    try {
      await getTrackerHandle(queryClient, batchId).signal(airopsEvent, payload);
      rec.signalMs = performance.now() - t0;
      const limit = t0 + 60_000;
      while (performance.now() < limit) {
        if (rec.queries > 0) await sleep(SIGNAL_RECHECK_MS);
        const { p } = await query(batchId);
        rec.queries++;
        if ((p?.phases.scraping.done ?? 0) >= want) {
          rec.visibleMs = performance.now() - t0;
          break;
        }
      }
    } catch (err) {
      rec.error = err instanceof Error ? err.name : 'error';
    }
    signals.push(rec);
    busy.delete(batchId);
  };

  const cpuFrom = bench.cpuNow(fleet);
  const from = cpuFrom.at;
  const t0 = performance.now();
  const end = t0 + windowS * 1_000;
  const nextQ = { i: 0 };
  const nextS = { i: 0 };
  const dueQ = () => t0 + (nextQ.i * 1_000) / queryRate;
  const dueS = () => (signalRate > 0 ? t0 + (nextS.i * 1_000) / signalRate : Infinity);
  for (;;) {
    const due = Math.min(queryRate > 0 ? dueQ() : Infinity, dueS());
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (queryRate > 0 && dueQ() <= due) {
      nextQ.i++;
      inFlight.push(query(pick()).then(({ rec }) => void queries.push(rec)));
    } else {
      nextS.i++;
      let id = pick();
      for (let tries = 0; busy.has(id) && tries < 20; tries++) id = pick();
      if (!busy.has(id)) inFlight.push(signal(id));
    }
  }
  const cpuTo = bench.cpuNow(fleet);
  const to = cpuTo.at;
  await Promise.all(inFlight);
  return { queries, signals, errorSamples, from, to, cpuFrom, cpuTo };
}

/** Whether `batchId` had a status call open at wall time `t`. */
function callOpen(calls: StatusCall[], batchId: string, t: number): boolean {
  return calls.some((c) => c.batchId === batchId && c.start <= t && t < c.end);
}

function latencyFigures(bench: Bench, r: Awaited<ReturnType<typeof queryLoad>>) {
  const qAll = r.queries.map((q) => q.ms);
  const open = (q: QueryRecord) => callOpen(bench.calls, q.batchId, q.sentAt);
  const qOpen = r.queries.filter(open).map((q) => q.ms);
  const qIdle = r.queries.filter((q) => !open(q)).map((q) => q.ms);
  const sOpen = r.signals.filter((s) => callOpen(bench.calls, s.batchId, s.sentAt));
  const errorsByType: Record<string, number> = {};
  for (const q of r.queries) if (q.error) errorsByType[q.error] = (errorsByType[q.error] ?? 0) + 1;
  const visible = (list: SignalRecord[]) => list.flatMap((s) => (s.visibleMs === null ? [] : [s.visibleMs]));
  return {
    queries: {
      all: summarize(qAll),
      whileCallOpen: summarize(qOpen),
      /** Queries to trackers with no status call of their own open (they wait only for the worker). */
      whileNoCallOpen: summarize(qIdle),
      errors: r.queries.filter((q) => q.error).length,
      errorsByType,
      errorSamples: r.errorSamples,
      /** Answers (or errors) that took longer than the client library's default query timeout. */
      overDefaultTimeout: r.queries.filter((q) => q.ms > DEFAULT_QUERY_TIMEOUT_MS).length,
      sentPerSec: round(r.queries.length / ((r.to - r.from) / 1000), 1),
    },
    signals: {
      sent: r.signals.length,
      notVisible: r.signals.filter((s) => s.visibleMs === null).length,
      errors: r.signals.filter((s) => s.error).length,
      signalRpcMs: summarize(r.signals.flatMap((s) => (Number.isFinite(s.signalMs) ? [s.signalMs] : []))),
      sentToVisibleMs: summarize(visible(r.signals)),
      sentToVisibleWhileCallOpenMs: summarize(visible(sOpen)),
      queriesUntilVisible: summarize(r.signals.map((s) => s.queries)),
    },
  };
}

function openCallsStats(bench: Bench, fleet: Fleet, from: number, to: number) {
  // Calls open at each second of the window, over the fleet's trackers.
  const ids = new Set(fleet.batchIds);
  const calls = bench.calls.filter((c) => ids.has(c.batchId));
  const samples: number[] = [];
  for (let t = from; t < to; t += 1_000) samples.push(calls.filter((c) => c.start <= t && t < c.end).length);
  const durations = calls.filter((c) => c.end >= from && c.end < to).map((c) => c.end - c.start);
  return { openCalls: summarize(samples), callMs: summarize(durations) };
}

// ---- main ----

async function main(): Promise<void> {
  const args = parse();
  const t0 = performance.now();
  const trees = {
    tree: treeInfo(args.tree),
    ...(args.baselineTree ? { baseline: treeInfo(args.baselineTree) } : {}),
  };
  console.log(
    `measuring ${trees.tree.which === 'this' ? 'this checkout' : 'another checkout'} at ${trees.tree.commit}` +
      `${trees.tree.dirty ? ' (with uncommitted changes)' : ''}` +
      (trees.baseline ? `; baseline ${trees.baseline.commit}${trees.baseline.dirty ? ' (dirty)' : ''}` : ''),
  );
  const server = await startDevServer();
  // The simulator logs a line per request; the bench, created once the simulator runs, reads the status calls.
  const logTo: { bench: Bench | null } = { bench: null };
  const sim = await startSimulator({ apiKey: API_KEY, requestLogLimit: 1_000, log: (l) => logTo.bench?.onSimLog(l) });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  // "Another service": its own connection for queries and signals.
  const queryConnection = await Connection.connect({ address: server.address });
  const queryClient = new Client({ connection: queryConnection });
  const bench = new Bench(args, server, sim, client);
  logTo.bench = bench;

  const costRounds: { label: 'tree' | 'baseline'; cost: Cost; workerLog: Record<string, number> }[] = [];
  let fast!: ReturnType<typeof latencyFigures>;
  let slow!: ReturnType<typeof latencyFigures>;
  let fastCost!: Cost;
  let slowCost!: Cost;
  let slowCalls!: ReturnType<typeof openCallsStats>;
  let fastCalls!: ReturnType<typeof openCallsStats>;
  let statusCallKind = 'unknown';
  let workerLog: Record<string, number> = {};
  try {
    // 1. per-poll cost, API answering at once
    // With a baseline: base, tree, tree, base, … (a linear drift of the machine's load falls on both alike).
    const order = Array.from({ length: args.costRounds }, (_, r): ('tree' | 'baseline')[] =>
      args.baselineTree ? (r % 2 === 0 ? ['baseline', 'tree'] : ['tree', 'baseline']) : ['tree'],
    ).flat();
    for (const label of order) {
      const tree = label === 'tree' ? args.tree : (args.baselineTree as string);
      console.log(`cost round (${label}): ${args.trackers} trackers polling every ${args.intervalMs / 1000} s`);
      const f = await bench.startFleet(label, tree);
      await sleep(10_000);
      const a = bench.cpuNow(f);
      await sleep(args.costWindowS * 1_000);
      const cost = await bench.cost(f, a, bench.cpuNow(f));
      console.log(
        `  ${cost.statusCalls} polls: ${cost.history.eventsPerPoll} events/poll (${cost.history.statusCallKind}),` +
          ` worker ${cost.cpuMsPerPoll.worker} ms, dev server ${cost.cpuMsPerPoll.devServer} ms CPU per poll`,
      );
      await bench.stopFleet(f);
      costRounds.push({ label, cost, workerLog: f.worker.quietened });
    }

    // 2 + 3. queries and signals, API fast then slow
    console.log(`queries and signals: ${args.trackers} trackers polling every ${args.intervalMs / 1000} s`);
    const f = await bench.startFleet('tree', args.tree);
    try {
      // Every tracker answers a query once (the query connection warms up) before the first window.
      await mapLimit(f.batchIds, 8, (id) =>
        getAirOpsBatchProgress(queryClient, id, { timeoutMs: args.queryTimeoutMs }),
      );
      await sleep(10_000);
      console.log(`  API answering at once: ${args.fastWindowS} s`);
      const fastRun = await queryLoad(bench, queryClient, f, args.fastWindowS, 'fast');
      fastCost = await bench.cost(f, fastRun.cpuFrom, fastRun.cpuTo);
      fastCalls = openCallsStats(bench, f, fastRun.from, fastRun.to);
      fast = latencyFigures(bench, fastRun);
      statusCallKind = fastCost.history.statusCallKind;
      sim.faults.set(slowRules(args.maxDelayMs, args.delaySteps));
      console.log(
        `  API slow (delays 0–${args.maxDelayMs} ms): ${args.slowWarmupS} s warm-up, then ${args.slowWindowS} s`,
      );
      await sleep(args.slowWarmupS * 1_000);
      const slowRun = await queryLoad(bench, queryClient, f, args.slowWindowS, 'slow');
      // Calls open at the window's end finish within the longest delay: wait, so each query's target is classified.
      sim.faults.clear();
      await sleep(args.maxDelayMs + 2_000);
      slowCost = await bench.cost(f, slowRun.cpuFrom, slowRun.cpuTo);
      slowCalls = openCallsStats(bench, f, slowRun.from, slowRun.to);
      slow = latencyFigures(bench, slowRun);
    } finally {
      sim.faults.clear();
      await bench.stopFleet(f);
      workerLog = f.worker.quietened;
    }
  } finally {
    await queryConnection.close();
    await connection.close();
    await sim.close();
    await server.stop();
  }

  const mean = (label: 'tree' | 'baseline', pick: (c: Cost) => number) => {
    const list = costRounds.filter((r) => r.label === label).map((r) => pick(r.cost));
    return list.length === 0 ? NaN : round(list.reduce((a, b) => a + b, 0) / list.length, 2);
  };
  /** Pooled over rounds: total CPU (or events) over total polls. */
  const pooled = (label: 'tree' | 'baseline', pick: (c: Cost) => number) => {
    const list = costRounds.filter((r) => r.label === label);
    const polls = list.reduce((a, r) => a + r.cost.statusCalls, 0);
    return polls === 0 ? NaN : round(list.reduce((a, r) => a + pick(r.cost), 0) / polls, 2);
  };
  const costOf = (label: 'tree' | 'baseline') => ({
    rounds: costRounds.filter((r) => r.label === label).length,
    polls: costRounds.filter((r) => r.label === label).reduce((a, r) => a + r.cost.statusCalls, 0),
    eventsPerPoll: pooled(label, (c) => c.history.events),
    statusCallsInHistoryPerPoll: pooled(label, (c) => c.history.statusCalls),
    workerCpuMsPerPoll: pooled(label, (c) => c.cpuMs.worker),
    devServerCpuMsPerPoll: pooled(label, (c) => c.cpuMs.devServer),
    machineCpuPercent: mean(label, (c) => c.cpuPercent.machine ?? NaN),
    statusCallKind: costRounds.find((r) => r.label === label)?.cost.history.statusCallKind ?? 'unknown',
  });
  const perPoll = {
    tree: costOf('tree'),
    ...(args.baselineTree ? { baseline: costOf('baseline') } : {}),
  };
  const vsBaseline = perPoll.baseline
    ? {
        eventsPerPoll: ratio(perPoll.tree.eventsPerPoll, perPoll.baseline.eventsPerPoll),
        workerCpuMsPerPoll: ratio(perPoll.tree.workerCpuMsPerPoll, perPoll.baseline.workerCpuMsPerPoll),
        devServerCpuMsPerPoll: ratio(perPoll.tree.devServerCpuMsPerPoll, perPoll.baseline.devServerCpuMsPerPoll),
      }
    : null;
  const goal = {
    queryP99WhileCallOpenMaxMs: GOAL_P99_MS,
    met: slow.queries.whileCallOpen.p99 < GOAL_P99_MS && slow.queries.all.p99 < GOAL_P99_MS,
  };
  const wallMs = round(performance.now() - t0);
  const result = {
    benchmark: args.out,
    at: new Date().toISOString(),
    /** This script's arguments, with the trees' paths left out (machine paths). */
    args: process.argv.slice(2).map((a, i, all) => (/^--(baseline-)?tree$/.test(all[i - 1] ?? '') ? '<dir>' : a)),
    machine: machineInfo(),
    trees,
    statusCall: statusCallKind,
    workload: {
      trackers: args.trackers,
      pollIntervalMs: args.intervalMs,
      workerMaxConcurrentWorkflowTasks: args.wft ?? 'sdk default',
      batch: { urls: BATCH_URLS, scrapingMs: BATCH_SCRAPING_MS },
      queryRatePerSec: args.queryRate,
      signalRatePerSec: args.signalRate,
      queryTimeoutMs: args.queryTimeoutMs,
      slowApi: {
        statusTimeoutMs: DEFAULT_TIMEOUT_MS,
        delaysMs: slowRules(args.maxDelayMs, args.delaySteps).map((r) => (r.fault as { delayMs: number }).delayMs),
      },
      windowsS: {
        cost: args.costWindowS,
        fast: args.fastWindowS,
        slowWarmup: args.slowWarmupS,
        slow: args.slowWindowS,
      },
    },
    perPoll,
    perPollVsBaseline: vsBaseline,
    costRounds,
    fastApi: { ...fast, calls: fastCalls, cost: fastCost },
    slowApi: { ...slow, calls: slowCalls, cost: slowCost },
    /** Worker log lines of the query phases, counted (e.g. workflow tasks that took over 5 s). */
    workerLog,
    slowVsFast: {
      queryP50: ratio(slow.queries.all.p50, fast.queries.all.p50),
      queryP99: ratio(slow.queries.all.p99, fast.queries.all.p99),
      queryP99WhileCallOpen: ratio(slow.queries.whileCallOpen.p99, fast.queries.all.p99),
      signalVisibleP50: ratio(slow.signals.sentToVisibleMs.p50, fast.signals.sentToVisibleMs.p50),
      signalVisibleP99: ratio(slow.signals.sentToVisibleMs.p99, fast.signals.sentToVisibleMs.p99),
    },
    goal,
    wallMs,
  };
  const file = writeResult(args.out, result);

  const row = (name: string, s: Summary) => [name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  console.log('');
  console.log(
    table(
      ['latency', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        row('getProgress, API fast', fast.queries.all),
        row('getProgress, API slow', slow.queries.all),
        row('  … while its status call is open', slow.queries.whileCallOpen),
        row('  … while it has no call open', slow.queries.whileNoCallOpen),
        row('signal → visible, API fast', fast.signals.sentToVisibleMs),
        row('signal → visible, API slow', slow.signals.sentToVisibleMs),
        row('  … while its status call is open', slow.signals.sentToVisibleWhileCallOpenMs),
      ],
    ),
  );
  console.log('');
  const costRow = (name: string, c: ReturnType<typeof costOf>) => [
    name,
    c.statusCallKind,
    c.polls,
    c.eventsPerPoll,
    c.workerCpuMsPerPoll,
    c.devServerCpuMsPerPoll,
  ];
  console.log(
    table(
      ['per poll (API fast)', 'status call', 'polls', 'events', 'worker CPU ms', 'dev server CPU ms'],
      [
        costRow(`tree ${trees.tree.commit}`, perPoll.tree),
        ...(perPoll.baseline ? [costRow(`baseline ${trees.baseline?.commit}`, perPoll.baseline)] : []),
        ...(vsBaseline
          ? [
              [
                'tree / baseline',
                '',
                '',
                `${vsBaseline.eventsPerPoll}×`,
                `${vsBaseline.workerCpuMsPerPoll}×`,
                `${vsBaseline.devServerCpuMsPerPoll}×`,
              ],
            ]
          : []),
      ],
    ),
  );
  console.log('');
  console.log(
    `(written to ${file}; wall time ${ms(wallMs)}; query errors fast ${fast.queries.errors}, slow ${slow.queries.errors}; ` +
      `signals not visible fast ${fast.signals.notVisible}, slow ${slow.signals.notVisible}; open status calls in the slow window p50 ${slowCalls.openCalls.p50})`,
  );
  console.log(
    `status call as ${statusCallKind}: getProgress while a status call is open p99 ${ms(slow.queries.whileCallOpen.p99)}` +
      ` (goal < ${GOAL_P99_MS} ms: ${goal.met ? 'MET' : 'NOT MET'}); signal → visible p99 ${ms(slow.signals.sentToVisibleMs.p99)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
