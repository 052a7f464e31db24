// A mixed workload for the reliability scenarios: trackers of batches created in the simulator directly
// (trackAirOpsBatch), and runs that create their own batch over HTTP (runAirOpsBatch, idempotent create), across
// the simulator's scenarios. Then: wait for every one through server outages, compare each final state with the
// simulator's ground truth, and account for every create request. Checks return failure lines instead of
// throwing, so a scenario reports all of them and a soak can print them.
import { AssertionError } from 'node:assert';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { startRun } from '../../client/run';
import { startAirOpsBatchTracker } from '../../client/track';
import type { CreateBatchRequestInput } from '../../olostep/schemas';
import type { SimulatorHandle } from '../../simulator/server';
import type { RunResult, TrackOptions, TrackResult } from '../../workflows/contract';
import { readJsonl } from '../run/helpers';
import { assertOutcomeMatchesTruth } from '../helpers/tracker';
import { sleep } from './processes';

/** Scenarios in the order batches cycle through them (happy paths most often, every failure kind at least once). */
export const SCENARIO_CYCLE = [
  'happy',
  'partial_failures',
  'enrichment_skipped',
  'happy',
  'scraping_failed',
  'llm_batch_failed',
  'partial_failures',
  'analyzing_failed',
  'llm_batch_expired',
  'happy',
] as const;

/** Polls scaled to a simulator running ~100× (the tracker's defaults are for real, hour-long batches). */
export const FAST_TRACK: TrackOptions = { minPollIntervalMs: 500, maxPollIntervalMs: 2_000 };

/** mulberry32: small, seedable; the workload is the same for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface WorkItem {
  kind: 'tracker' | 'run';
  /** The tracker's or the run's workflow id. */
  workflowId: string;
  scenario: string;
  urls: number;
  /** Known at start for trackers; for runs, once the run returns. */
  batchId: string | null;
  handle: WorkflowHandle;
  startedAt: number;
}

export interface Outcome {
  item: WorkItem;
  /** Set when the workflow completed. */
  result: TrackResult | RunResult | null;
  /** Set when it failed, or could not be awaited. */
  error: string | null;
  /** Wall ms from start to result. */
  ms: number;
}

export interface WorkloadPlan {
  trackers: number;
  runs: number;
  seed: number;
  /** URLs per batch, inclusive range. */
  urls: [number, number];
  /** Virtual scraping duration per batch, inclusive range (ms); the rest of the lifecycle is the reference one. */
  scrapingMs: [number, number];
  /** Spread the starts over this many wall ms (0: all at once). */
  spreadMs: number;
  track: TrackOptions;
  /** Run ids get this prefix, so runs of different scenarios never attach to each other. */
  label: string;
  /** Filled with the ids of the batches created in-process for trackers, as they are created. */
  trackerBatchIds?: Set<string>;
  /** Called as each workflow is started. */
  onStarted?: (item: WorkItem) => void;
}

function between(rnd: () => number, [lo, hi]: [number, number]): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

function itemsFor(label: string, n: number, urls: number): { url: string; custom_id: string }[] {
  return Array.from({ length: urls }, (_, i) => ({
    url: `https://site${i % 13}.example.test/${label}/${n}/${['blog/post-', 'products/item-', 'docs/page-'][i % 3]}${i}`,
    custom_id: `${label}-${n}-${i}`,
  }));
}

/**
 * Starts `plan.trackers` trackers and `plan.runs` runs, interleaved and spread over `plan.spreadMs`, and resolves
 * once all are started. Starting retries through a Temporal outage (the start is idempotent by workflow id).
 */
export async function startWorkload(
  client: Client,
  sim: SimulatorHandle,
  taskQueue: string,
  plan: WorkloadPlan,
): Promise<WorkItem[]> {
  const rnd = seededRandom(plan.seed);
  const total = plan.trackers + plan.runs;
  const kinds: ('tracker' | 'run')[] = [];
  // Interleave: runs spread evenly among the trackers.
  for (let i = 0; i < total; i++) {
    const runsSoFar = kinds.filter((k) => k === 'run').length;
    kinds.push(runsSoFar < Math.round(((i + 1) * plan.runs) / total) ? 'run' : 'tracker');
  }
  const items: WorkItem[] = [];
  const t0 = Date.now();
  for (let n = 0; n < total; n++) {
    const due = t0 + (total <= 1 ? 0 : (plan.spreadMs * n) / (total - 1));
    if (due > Date.now()) await sleep(due - Date.now());
    const scenario = SCENARIO_CYCLE[n % SCENARIO_CYCLE.length] ?? 'happy';
    const urls = between(rnd, plan.urls);
    const scrapingMs = between(rnd, plan.scrapingMs);
    const kind = kinds[n] ?? 'tracker';
    if (kind === 'tracker') {
      const created = sim.createBatch(
        { items: itemsFor(plan.label, n, urls) },
        { scenario, durations: { scrapingMs } },
      );
      plan.trackerBatchIds?.add(created.id);
      const handle = await withRetry(() => startAirOpsBatchTracker(client, created.id, { taskQueue, ...plan.track }));
      const item: WorkItem = {
        kind,
        workflowId: handle.workflowId,
        scenario,
        urls,
        batchId: created.id,
        handle,
        startedAt: Date.now(),
      };
      items.push(item);
      plan.onStarted?.(item);
    } else {
      const request: CreateBatchRequestInput = {
        items: itemsFor(plan.label, n, urls),
        metadata: { sim_scenario: scenario, sim_scraping_ms: String(scrapingMs) },
      };
      const handle = await withRetry(() =>
        startRun(client, request, { taskQueue, track: plan.track, runKey: `${plan.label}-${n}` }),
      );
      const item: WorkItem = {
        kind,
        workflowId: handle.workflowId,
        scenario,
        urls,
        batchId: null,
        handle,
        startedAt: Date.now(),
      };
      items.push(item);
      plan.onStarted?.(item);
    }
  }
  return items;
}

/** Retries `fn` through a Temporal outage (connection refused, unavailable) for up to `ms`. */
export async function withRetry<T>(fn: () => Promise<T>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowFailedError || err instanceof WorkflowNotFoundError || Date.now() > deadline)
        throw err;
      await sleep(500);
    }
  }
}

/**
 * Waits for every item's result (following continue-as-new), riding through Temporal outages: any error other
 * than a failed or missing workflow is retried. `onDone` sees each outcome as it arrives.
 */
export async function awaitWorkload(
  items: readonly WorkItem[],
  opts: { timeoutMs: number; onDone?: (o: Outcome) => void },
): Promise<Outcome[]> {
  return Promise.all(
    items.map(async (item): Promise<Outcome> => {
      let outcome: Outcome;
      try {
        const result = (await withRetry(() => item.handle.result(), opts.timeoutMs)) as TrackResult | RunResult;
        if (item.kind === 'run') item.batchId = (result as RunResult).batchId;
        outcome = { item, result, error: null, ms: Date.now() - item.startedAt };
      } catch (err) {
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        const type = (cause as { type?: string } | undefined)?.type;
        const message = `${err instanceof Error ? err.message : String(err)}${cause ? `: ${type ? `${type}: ` : ''}${cause.message}` : ''}`;
        outcome = { item, result: null, error: message, ms: Date.now() - item.startedAt };
      }
      opts.onDone?.(outcome);
      return outcome;
    }),
  );
}

function mismatch(what: string, check: () => void): string | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof AssertionError) return `${what}: ${err.message.split('\n')[0]}`;
    throw err;
  }
}

/**
 * Each finished workflow against the simulator's ground truth: trackers' final state; runs' tracker result, status,
 * item counts and (unless `compareItems` is false, e.g. when the API added unknown fields) the sink's items.
 */
export function checkAgainstTruth(
  outcomes: readonly Outcome[],
  sim: SimulatorHandle,
  opts: { compareItems?: boolean } = {},
): string[] {
  const failures: string[] = [];
  for (const o of outcomes) {
    const id = `${o.item.kind} ${o.item.workflowId} (${o.item.scenario})`;
    if (o.result === null) {
      failures.push(`${id}: did not complete: ${o.error ?? '?'}`);
      continue;
    }
    if (o.item.kind === 'tracker') {
      const r = o.result as TrackResult;
      const truth = sim.groundTruth(o.item.batchId ?? '');
      const m =
        mismatch(`${id} endedBy`, () => assert.equal(r.endedBy, 'terminal')) ??
        mismatch(`${id} vs ground truth`, () => assertOutcomeMatchesTruth(r, truth));
      if (m !== null) failures.push(m);
      continue;
    }
    const r = o.result as RunResult;
    if (!sim.batchIds().includes(r.batchId)) {
      failures.push(`${id}: batch ${r.batchId} unknown to the simulator`);
      continue;
    }
    const truth = sim.groundTruth(r.batchId);
    const m =
      mismatch(`${id} status`, () => assert.equal(r.status, truth.outcome)) ??
      mismatch(`${id} tracking vs ground truth`, () => assertOutcomeMatchesTruth(r.tracking, truth)) ??
      mismatch(`${id} results`, () => assert.ok(r.results !== null, `no results: ${JSON.stringify(r.itemsError)}`)) ??
      mismatch(`${id} summary`, () => {
        assert.equal(r.summary?.total, truth.counts.total);
        assert.equal(r.summary?.byStatus.completed ?? 0, truth.counts.succeeded);
        assert.equal(r.summary?.failed.total, truth.counts.failed);
      }) ??
      (opts.compareItems === false
        ? null
        : mismatch(`${id} sink items`, () => assert.deepEqual(readJsonl(r.results?.path ?? ''), truth.items)));
    if (m !== null) failures.push(m);
  }
  return failures;
}

export interface CreateAccounting {
  /** POST /v1/batches-airops requests the simulator answered (or saw cut off). */
  posts: number;
  /** Batches created over HTTP (the simulator's batches minus those the scenario created in-process). */
  batchesCreatedOverHttp: number;
  /** Creates answered from the idempotency cache (a retry of a create whose answer was lost). */
  replayed: number;
  /** Creates answered 409 because the first attempt with that key was still in flight. */
  inProgress: number;
  /** Creates that got an injected fault. */
  faulted: number;
  runs: number;
  /** Runs that reported a batch: should equal `runs`, all distinct. */
  distinctRunBatches: number;
}

/** Counts create requests against runs: every run creates exactly one batch, however often its create was retried. */
export function accountCreates(sim: SimulatorHandle, outcomes: readonly Outcome[], trackersCreatedInProcess: number) {
  const posts = sim.requests.filter((r) => r.endpoint === 'create' && r.method === 'POST');
  const runs = outcomes.filter((o) => o.item.kind === 'run');
  const runBatches = new Set(runs.map((o) => (o.result as RunResult | null)?.batchId).filter((b) => b !== undefined));
  const accounting: CreateAccounting = {
    posts: posts.length,
    batchesCreatedOverHttp: sim.batchIds().length - trackersCreatedInProcess,
    replayed: posts.filter((r) => r.idempotency === 'replayed').length,
    inProgress: posts.filter((r) => r.idempotency === 'in_progress').length,
    faulted: posts.filter((r) => r.fault !== null).length,
    runs: runs.length,
    distinctRunBatches: runBatches.size,
  };
  const failures: string[] = [];
  if (accounting.batchesCreatedOverHttp !== accounting.runs) {
    failures.push(`${accounting.batchesCreatedOverHttp} batches created over HTTP for ${accounting.runs} runs`);
  }
  if (accounting.distinctRunBatches !== accounting.runs) {
    failures.push(`${accounting.runs} runs reported ${accounting.distinctRunBatches} distinct batches`);
  }
  return { accounting, failures };
}

/** Median and max of a list of numbers (0 when empty). */
export function medianMax(xs: readonly number[]): { median: number; max: number } {
  if (xs.length === 0) return { median: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, max: s[s.length - 1] ?? 0 };
}

/** Sums `errorsByType` over every tracker result (a run's is in `tracking`). */
export function pollErrorsByType(outcomes: readonly Outcome[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.result === null) continue;
    const tracking = o.item.kind === 'run' ? (o.result as RunResult).tracking : (o.result as TrackResult);
    for (const [type, n] of Object.entries(tracking.pollStats.errorsByType)) sum[type] = (sum[type] ?? 0) + n;
  }
  return sum;
}

/** The tracker result of an outcome (a run's child tracker for runs). */
export function trackingOf(o: Outcome): TrackResult | null {
  if (o.result === null) return null;
  return o.item.kind === 'run' ? (o.result as RunResult).tracking : (o.result as TrackResult);
}
