// Scenario: the AirOps API misbehaves in every transient way at once (simulator global faults on every endpoint):
// 20% 5xx, 5% 429 with Retry-After, 5% answers slower than the worker's client timeout, 2% truncated JSON (half of
// it a complete response with half a body, half a socket cut mid-body), 2% unknown fields. Every workflow must
// finish with the ground truth, none may fail, and each tracker's poll statistics must count exactly the faults
// the simulator injected into that batch's status requests, by type.
// Used by test/reliability/api-faults.test.ts (short) and bench/soak-api-faults.ts (long).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultRule } from '../../simulator/server';
import { startSimulator } from '../../simulator/server';
import { createDevServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { OutputLog, startWorkerProcess, stopProcess } from './processes';
import {
  FAST_TRACK,
  accountCreates,
  awaitWorkload,
  checkAgainstTruth,
  medianMax,
  startWorkload,
  trackingOf,
  type CreateAccounting,
} from './workload';

/** Overall rates of the injected faults, per request. */
export const FAULT_RATES = {
  server_error: 0.2,
  rate_limit: 0.05,
  slow: 0.05,
  truncated_body: 0.01,
  truncated_connection: 0.01,
  extra_fields: 0.02,
} as const;

/**
 * The simulator applies the first rule that fires, each with its own probability: conditional probabilities turn
 * the overall rates above into a rule list (p_i / (1 - sum of the earlier rates)).
 */
export function faultRules(slowDelayMs: number): FaultRule[] {
  const specs: [keyof typeof FAULT_RATES, FaultRule['fault']][] = [
    ['server_error', { type: 'server_error' }],
    ['rate_limit', { type: 'rate_limit', retryAfterSeconds: 1 }],
    ['slow', { type: 'slow', delayMs: slowDelayMs }],
    ['truncated_body', { type: 'truncated_json', mode: 'body' }],
    ['truncated_connection', { type: 'truncated_json', mode: 'connection' }],
    ['extra_fields', { type: 'extra_fields' }],
  ];
  let left = 1;
  return specs.map(([name, fault]) => {
    const p = FAULT_RATES[name] / left;
    left -= FAULT_RATES[name];
    return { fault, probability: p };
  });
}

/** Which poll-statistics error types a fault may show up as. `extra_fields` must show up as none. */
const COUNTED_AS: Record<string, string[]> = {
  server_error: ['ServerError'],
  rate_limit: ['RateLimited'],
  slow: ['Timeout'],
  truncated_json: ['ContractViolation', 'Network'],
};

export interface ApiFaultOptions {
  trackers: number;
  runs: number;
  timeScale: number;
  spreadMs: number;
  /** The worker's OLOSTEP_TIMEOUT_MS; slow faults answer after 2.5× that. */
  clientTimeoutMs: number;
  seed: number;
  timeoutMs: number;
  apiKey: string;
  progress?: (line: string) => void;
}

export interface ApiFaultReport {
  batches: number;
  trackers: number;
  runs: number;
  completed: number;
  /** Requests per endpoint and fault type, as the simulator logged them. */
  requests: Record<string, { total: number; faults: Record<string, number> }>;
  /** Failed status polls by type, summed over every tracker's poll statistics. */
  pollErrors: Record<string, number>;
  /** Status calls the trackers counted vs status requests the simulator saw. */
  pollCalls: { counted: number; seen: number };
  /** Answers without an injected fault that still took longer than the client timeout (a loaded machine). */
  unfaultedTimeouts: number;
  creates: CreateAccounting;
  failedWorkflows: number;
  wallMs: number;
  batchWallMs: { median: number; max: number };
  failures: string[];
  log: OutputLog;
}

export async function runApiFaultScenario(opts: ApiFaultOptions): Promise<ApiFaultReport> {
  const say = opts.progress ?? (() => undefined);
  const log = new OutputLog();
  const resultsDir = mkdtempSync(join(tmpdir(), 'airops-rel-faults-'));
  const env = await createDevServerEnv();
  const sim = await startSimulator({
    apiKey: opts.apiKey,
    timeScale: opts.timeScale,
    seed: opts.seed,
    requestLogLimit: 10_000_000,
  });
  const taskQueue = uniqueTaskQueue('rel-faults');
  const started = Date.now();
  let worker: ChildProcess | null = null;
  try {
    sim.faults.set(faultRules(Math.round(opts.clientTimeoutMs * 2.5)));
    // The worker bundles its workflows while the workload starts (workflows wait on the task queue).
    const workerReady = startWorkerProcess({
      address: env.address,
      taskQueue,
      baseUrl: sim.url,
      apiKey: opts.apiKey,
      log,
      env: { RESULTS_DIR: resultsDir, OLOSTEP_TIMEOUT_MS: String(opts.clientTimeoutMs) },
    }).then((w) => (worker = w));
    const items = await startWorkload(env.client, sim, taskQueue, {
      trackers: opts.trackers,
      runs: opts.runs,
      seed: opts.seed,
      urls: [5, 40],
      scrapingMs: [100_000, 400_000],
      spreadMs: opts.spreadMs,
      track: FAST_TRACK,
      label: `faults${opts.seed}`,
    });
    await workerReady;
    say(`${items.length} workflows started at +${Math.round((Date.now() - started) / 1000)} s`);
    let finished = 0;
    const outcomes = await awaitWorkload(items, {
      timeoutMs: opts.timeoutMs,
      onDone: (o) => {
        finished++;
        if (finished % Math.max(1, Math.round(items.length / 5)) === 0 || o.result === null) {
          say(
            `${finished}/${items.length} done${o.result === null ? ` (${o.item.workflowId} FAILED: ${o.error})` : ''}`,
          );
        }
      },
    });
    sim.faults.clear();

    // Items carry the API's unknown fields when extra_fields hit the items call: compare counts, not bodies.
    const failures = checkAgainstTruth(outcomes, sim, { compareItems: false });
    const creates = accountCreates(sim, outcomes, opts.trackers);
    failures.push(...creates.failures);

    // Per batch: the tracker's error counts equal the faults the simulator injected into its status requests.
    const requests: ApiFaultReport['requests'] = {};
    for (const r of sim.requests) {
      const e = (requests[r.endpoint] ??= { total: 0, faults: {} });
      e.total++;
      if (r.fault !== null) e.faults[r.fault] = (e.faults[r.fault] ?? 0) + 1;
    }
    const pollErrors: Record<string, number> = {};
    let counted = 0;
    let seen = 0;
    let unfaultedTimeouts = 0;
    for (const o of outcomes) {
      const tracking = trackingOf(o);
      if (tracking === null || o.item.batchId === null) continue;
      const stats = tracking.pollStats;
      for (const [type, n] of Object.entries(stats.errorsByType)) pollErrors[type] = (pollErrors[type] ?? 0) + n;
      const mine = sim.requests.filter((r) => r.endpoint === 'status' && r.batchId === o.item.batchId);
      counted += stats.calls;
      seen += mine.length;
      const injected: Record<string, number> = {};
      for (const r of mine) if (r.fault !== null) injected[r.fault] = (injected[r.fault] ?? 0) + 1;
      // An answer with no fault can still miss the client's deadline on a loaded machine: counted as a Timeout.
      const slowAnyway = mine.filter((r) => r.fault === null && r.durationMs >= opts.clientTimeoutMs * 0.9).length;
      unfaultedTimeouts += slowAnyway;
      const got = (types: string[]) => types.reduce((s, t) => s + (stats.errorsByType[t] ?? 0), 0);
      const where = `${o.item.kind} ${o.item.workflowId} batch ${o.item.batchId}`;
      if (stats.calls !== mine.length) failures.push(`${where}: ${stats.calls} calls counted, ${mine.length} seen`);
      for (const [fault, types] of Object.entries(COUNTED_AS)) {
        const want = injected[fault] ?? 0;
        const have = got(types);
        const ok = fault === 'slow' ? have >= want && have <= want + slowAnyway : have === want;
        if (!ok) failures.push(`${where}: ${fault} injected ${want}×, counted ${types.join('+')} ${have}×`);
      }
      const expectedTypes = new Set(Object.values(COUNTED_AS).flat());
      for (const type of Object.keys(stats.errorsByType)) {
        if (!expectedTypes.has(type)) failures.push(`${where}: unexpected poll error type ${type}`);
      }
    }
    const failedWorkflows = outcomes.filter((o) => o.result === null).length;
    return {
      batches: items.length,
      trackers: opts.trackers,
      runs: opts.runs,
      completed: outcomes.length - failedWorkflows,
      requests,
      pollErrors,
      pollCalls: { counted, seen },
      unfaultedTimeouts,
      creates: creates.accounting,
      failedWorkflows,
      wallMs: Date.now() - started,
      batchWallMs: medianMax(outcomes.filter((o) => o.result !== null).map((o) => o.ms)),
      failures,
      log,
    };
  } finally {
    const w: ChildProcess | null = worker;
    if (w !== null) await stopProcess(w, 'SIGTERM');
    await sim.close();
    await env.teardown();
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

export function describeApiFaultReport(r: ApiFaultReport): string[] {
  const req = Object.entries(r.requests)
    .filter(([endpoint]) => endpoint !== 'control')
    .map(
      ([endpoint, e]) =>
        `${endpoint} ${e.total} (${
          Object.entries(e.faults)
            .map(([f, n]) => `${f} ${n}`)
            .join(', ') || 'no faults'
        })`,
    )
    .join('; ');
  const injected = Object.values(r.requests).reduce(
    (s, e) => s + Object.values(e.faults).reduce((a, b) => a + b, 0),
    0,
  );
  return [
    `batches: ${r.batches} (${r.trackers} trackers, ${r.runs} runs), completed ${r.completed}, workflows failed ${r.failedWorkflows}`,
    `requests by endpoint (injected faults): ${req}; ${injected} faults injected in all`,
    `status calls counted by the trackers ${r.pollCalls.counted}, seen by the simulator ${r.pollCalls.seen}`,
    `failed polls by type (getPollStats): ${JSON.stringify(r.pollErrors)}; timeouts without an injected fault: ${r.unfaultedTimeouts}`,
    `creates: ${r.creates.posts} POSTs (${r.creates.faulted} faulted, ${r.creates.inProgress} × 409 in progress, ${r.creates.replayed} replayed) → ${r.creates.batchesCreatedOverHttp} batches for ${r.creates.runs} runs`,
    `wall: ${Math.round(r.wallMs / 1000)} s; per batch median ${Math.round(r.batchWallMs.median / 1000)} s, max ${Math.round(r.batchWallMs.max / 1000)} s`,
    `failures: ${r.failures.length}${r.failures.length > 0 ? `\n  ${r.failures.slice(0, 20).join('\n  ')}` : ''}`,
  ];
}
