// Scenario: a run of everything with a distinctive, random API key and webhook secret (and a wrong key for a second
// worker), then a search for them, in plain, URL-encoded and base64 form, in every place they must never be:
// - every history on the server: every execution the namespace lists, each run of continue-as-new chains and
//   child workflows included, with payloads decoded (JSON histories keep payloads base64, where a plain text
//   search sees nothing);
// - every log line: worker processes (DEBUG), the webhook receiver process, the simulator, every CLI invocation;
// - every error: workflow failures (message, type, details, cause chain, stack) and CLI errors with --verbose;
// - every query result and description: getProgress, getTimeline, getPollStats, getRunStatus, describe();
// - the results sink's files.
// The workload: trackers polling (with API faults, and continue-as-new after 3 polls), a tracker started by a
// webhook delivery through the receiver, runs (child trackers) with webhooks configured on the worker
// (OLOSTEP_WEBHOOK_URL), a failed batch, failures (NotFound, InvalidCreateRequest, Unauthorized from the wrong key
// on a tracker and on a create), the CLI (track, status, watch, list, cancel, run, an error with --verbose).
// Used by test/reliability/secrets.test.ts and bench/soak-secrets.ts.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startRun } from '../../client/run';
import { startAirOpsBatchTracker } from '../../client/track';
import { startSimulator } from '../../simulator/server';
import {
  getPollStats,
  getProgress,
  getRunStatus,
  getTimeline,
  type RunResult,
  type TrackResult,
} from '../../workflows/contract';
import { webhookUrlFor } from '../../webhooks/server';
import { createDevServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { OutputLog, freePort, runCli, startReceiverProcess, startWorkerProcess, stopProcess } from './processes';
import { FAST_TRACK, SCENARIO_CYCLE, withRetry } from './workload';

export interface SecretForms {
  name: string;
  value: string;
  /** The value and its encodings a leak could take: URL-encoded, base64 (all three alignments), hex. */
  needles: string[];
}

/** A secret and the forms a leak could take. Base64 of a substring depends on its offset: all three are tried. */
export function secretForms(name: string, value: string): SecretForms {
  const needles = new Set<string>([value, encodeURIComponent(value), Buffer.from(value).toString('hex')]);
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), Buffer.from(value)]).toString('base64');
    // Drop the characters that depend on the padding bytes or on what follows.
    const start = pad === 0 ? 0 : pad === 1 ? 2 : 3;
    needles.add(b64.slice(start, b64.length - 4));
  }
  return { name, value, needles: [...needles].filter((n) => n.length >= 12) };
}

/** Where each secret was found in `text` (null when nowhere). */
export function findSecrets(text: string, secrets: readonly SecretForms[]): string | null {
  for (const s of secrets) {
    for (const n of s.needles) {
      const at = text.indexOf(n);
      if (at !== -1) {
        const context = text.slice(Math.max(0, at - 80), at + n.length + 40).replace(n, `<<${s.name}>>`);
        return `${s.name} (${n === s.value ? 'plain' : 'encoded'}) in …${JSON.stringify(context)}…`;
      }
    }
  }
  return null;
}

/**
 * A history as text with every bytes field (payload data and metadata) decoded as UTF-8, so a search sees what the
 * payloads hold: protobuf's own JSON (and the committed history files) keeps them base64.
 */
export function decodedHistoryText(history: temporal.api.history.v1.IHistory): string {
  const plain = temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, {
    longs: String,
    enums: String,
  });
  return JSON.stringify(plain, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `this[key]` is the value before Buffer's own toJSON turned it into {type, data}.
    const raw = this[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
    return value;
  });
}

export interface ExecutionHistory {
  workflowId: string;
  runId: string;
  type: string;
  /** The history as text, payloads decoded. */
  text: string;
  /** This run ended by continuing as new. */
  continuedAsNew: boolean;
  /** Workflow ids of the children this run started. */
  childIds: string[];
}

/** Every execution in the namespace (each run of a chain, children included) with its decoded history. */
export async function allHistories(client: Client): Promise<ExecutionHistory[]> {
  const out: ExecutionHistory[] = [];
  for await (const w of client.workflow.list()) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const events = history.events ?? [];
    out.push({
      workflowId: w.workflowId,
      runId: w.runId,
      type: w.type,
      text: decodedHistoryText(history),
      continuedAsNew: events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes != null),
      childIds: events
        .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
        .filter((id): id is string => typeof id === 'string'),
    });
  }
  return out;
}

/** An error as text: name, message, type, details, stack and its whole cause chain. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 8; depth++) {
    if (e instanceof Error) {
      const extra = e as Error & { type?: unknown; details?: unknown; failure?: unknown };
      parts.push(
        e.name,
        e.message,
        e.stack ?? '',
        JSON.stringify(extra.type ?? null),
        JSON.stringify(extra.details ?? null),
      );
      e = e.cause;
    } else {
      parts.push(JSON.stringify(e));
      break;
    }
  }
  return parts.join('\n');
}

export interface SecretsOptions {
  /** Trackers polling with API faults (at least 2). */
  trackers: number;
  /** Runs with the worker's webhook (at least 1). */
  runs: number;
  timeScale: number;
  seed: number;
  progress?: (line: string) => void;
}

export interface SecretsReport {
  secrets: string[];
  histories: number;
  historyBytes: number;
  workflowTypes: Record<string, number>;
  continuedAsNew: number;
  children: number;
  logLines: number;
  logBytes: number;
  errors: number;
  queries: number;
  cliInvocations: number;
  webhookEventsSignaled: number;
  resultsFiles: number;
  /** Where a secret was found (empty: nowhere). */
  leaks: string[];
  /** The planted canary was found, decoded, in its workflow's history: the search can see into payloads. */
  canaryFound: boolean;
  failures: string[];
}

export async function runSecretsScenario(opts: SecretsOptions): Promise<SecretsReport> {
  const t0 = Date.now();
  const say = (line: string) => opts.progress?.(`+${Math.round((Date.now() - t0) / 1000)} s ${line}`);
  const hex = (n: number) => randomBytes(n).toString('hex');
  const apiKey = `sk_live_SCAN${hex(12)}`;
  const wrongKey = `sk_live_WRONG${hex(12)}`;
  const webhookSecret = `whsec_SCAN${hex(16)}`;
  const secrets = [
    secretForms('API key', apiKey),
    secretForms('wrong API key', wrongKey),
    secretForms('webhook secret', webhookSecret),
  ];
  // Negative control: planted on purpose in one workflow's input, it must be found there (and only there).
  const canary = secretForms('canary', `canary_${hex(12)}`);
  const log = new OutputLog();
  const failures: string[] = [];
  const errors: string[] = [];
  const queryAnswers: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'airops-rel-secrets-'));
  const env = await createDevServerEnv();
  const client = env.client;
  const sim = await startSimulator({
    apiKey,
    timeScale: opts.timeScale,
    seed: opts.seed,
    log: (line) => log.add('simulator', `${line}\n`),
  });
  const queue = uniqueTaskQueue('rel-secrets');
  const wrongQueue = uniqueTaskQueue('rel-secrets-wrong');
  const processes: ChildProcess[] = [];
  let cliInvocations = 0;
  const cliEnv = {
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: queue,
    // What a careless shell might hold: the CLI must not print either.
    OLOSTEP_API_KEY: apiKey,
    WEBHOOK_SECRET: webhookSecret,
  };
  const cli = async (args: string[]) => {
    cliInvocations++;
    return runCli(args, { env: cliEnv, log });
  };
  try {
    // The receiver's URL is known before it listens, so all three processes start at once.
    const receiverPort = await freePort();
    const hook = webhookUrlFor(`http://127.0.0.1:${receiverPort}`, webhookSecret);
    const common = { address: env.address, baseUrl: sim.url, log };
    const started = await Promise.allSettled([
      startReceiverProcess({ address: env.address, taskQueue: queue, secret: webhookSecret, port: receiverPort, log }),
      startWorkerProcess({
        ...common,
        taskQueue: queue,
        apiKey,
        source: 'worker',
        env: {
          LOG_LEVEL: 'DEBUG',
          RESULTS_DIR: join(dir, 'results'),
          OLOSTEP_WEBHOOK_URL: hook,
          OLOSTEP_TIMEOUT_MS: '1500',
        },
      }),
      startWorkerProcess({
        ...common,
        taskQueue: wrongQueue,
        apiKey: wrongKey,
        source: 'wrong-key worker',
        env: { LOG_LEVEL: 'DEBUG' },
      }),
    ]);
    for (const s of started) {
      if (s.status === 'fulfilled') processes.push('child' in s.value ? s.value.child : s.value);
    }
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    say('receiver and workers ready');

    // API faults on a third of the requests: their messages end up in poll stats, failures and logs.
    sim.faults.set([
      { fault: { type: 'server_error' }, probability: 0.2, endpoints: ['status', 'items'] },
      { fault: { type: 'truncated_json' }, probability: 0.1, endpoints: ['status'] },
      { fault: { type: 'rate_limit', retryAfterSeconds: 1 }, probability: 0.05 },
    ]);

    const handles: {
      label: string;
      kind: 'tracker' | 'run' | 'failing';
      result: () => Promise<unknown>;
      expectFailure?: string;
      /** Refused by the client library before anything started. */
      refused?: Error;
    }[] = [];
    // Trackers polling, continue-as-new after 3 polls.
    for (let i = 0; i < opts.trackers; i++) {
      const created = sim.createBatch(
        {
          items: Array.from({ length: 8 }, (_, j) => ({
            url: `https://example.test/s/${i}/${j}`,
            custom_id: `s${i}-${j}`,
          })),
        },
        // Scraping long enough for several polls, so every chain continues as new at least once.
        {
          scenario: SCENARIO_CYCLE[i % SCENARIO_CYCLE.length] ?? 'happy',
          durations: { scrapingMs: 3_000 * opts.timeScale },
        },
      );
      const h = await startAirOpsBatchTracker(client, created.id, {
        taskQueue: queue,
        ...FAST_TRACK,
        maxPollsPerRun: 3,
      });
      handles.push({ label: `tracker ${i}`, kind: 'tracker', result: () => h.result() });
    }
    // A tracker started by the webhook receiver: a batch created over HTTP with the receiver as its webhook.
    const res = await fetch(`${sim.url}/v1/batches-airops`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ url: 'https://example.test/hooked', custom_id: 'h' }], webhook: hook }),
    });
    const hooked = (await res.json()) as { id: string };
    // Runs: the worker adds its OLOSTEP_WEBHOOK_URL to each create (nothing secret in the run's input), so the
    // receiver starts the tracker and the run attaches to it; every other run opts out (`webhook: null`) and
    // starts its tracker as a child.
    for (let i = 0; i < opts.runs; i++) {
      const h = await startRun(
        client,
        {
          items: Array.from({ length: 6 }, (_, j) => ({
            url: `https://example.test/r/${i}/${j}`,
            custom_id: `r${i}-${j}`,
          })),
          metadata: { sim_scenario: i % 3 === 2 ? 'partial_failures' : i % 3 === 1 ? 'llm_batch_failed' : 'happy' },
          ...(i % 2 === 1 ? { webhook: null } : {}),
        },
        { taskQueue: queue, track: FAST_TRACK, runKey: `secrets-${opts.seed}-${i}` },
      );
      handles.push({ label: `run ${i}`, kind: 'run', result: () => h.result() });
    }
    // Failures.
    const failing = [
      {
        label: 'tracker of an unknown batch',
        expect: 'NotFound',
        start: () =>
          startAirOpsBatchTracker(client, 'batch_secrets_unknown', {
            taskQueue: queue,
            ...FAST_TRACK,
            notFoundGraceMs: 0,
          }),
      },
      {
        label: 'tracker with the wrong key',
        expect: 'Unauthorized',
        start: () =>
          startAirOpsBatchTracker(
            client,
            sim.createBatch({ items: [{ url: 'https://example.test/w', custom_id: 'w' }] }).id,
            {
              taskQueue: wrongQueue,
              ...FAST_TRACK,
            },
          ),
      },
      {
        label: 'run with the wrong key',
        expect: 'Unauthorized',
        start: () =>
          startRun(
            client,
            { items: [{ url: 'https://example.test/wr', custom_id: 'wr' }] },
            { taskQueue: wrongQueue, runKey: `secrets-wrong-${opts.seed}` },
          ),
      },
      {
        label: 'run with an invalid request',
        expect: 'InvalidCreateRequest',
        start: () =>
          startRun(
            client,
            { items: [{ url: 'notaurl', custom_id: 'x' }] },
            {
              taskQueue: queue,
              runKey: `secrets-invalid-${opts.seed}`,
            },
          ),
      },
    ];
    for (const f of failing) {
      try {
        const h = await f.start();
        handles.push({ label: f.label, kind: 'failing', result: () => h.result(), expectFailure: f.expect });
      } catch (err) {
        // Refused by the client library before starting: also an error to scan.
        handles.push({
          label: f.label,
          kind: 'failing',
          result: () => Promise.resolve(null),
          expectFailure: f.expect,
          refused: err instanceof Error ? err : new Error(String(err)),
        });
      }
    }
    // The canary: a workflow on a queue no worker polls, its input holding the planted value.
    const canaryHandle = await client.workflow.start('plantedCanary', {
      taskQueue: uniqueTaskQueue('rel-canary'),
      workflowId: `rel-canary-${opts.seed}`,
      args: [{ note: canary.value }],
    });
    say(`${handles.length} workflows started`);

    // The CLI while things run: track (a new batch), status, list, cancel.
    const cliBatch = sim.createBatch({ items: [{ url: 'https://example.test/cli', custom_id: 'c' }] });
    const cancelBatch = sim.createBatch({ items: [{ url: 'https://example.test/cancel', custom_id: 'k' }] });
    const expectExit = async (args: string[], codes: number[]) => {
      const r = await cli(args);
      if (!codes.includes(r.code ?? -1))
        failures.push(`CLI ${args.join(' ')}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      return r;
    };
    await Promise.all([
      expectExit(
        ['track', cliBatch.id, '--task-queue', queue, '--min-poll-interval', '500ms', '--max-poll-interval', '2s'],
        [0],
      ),
      expectExit(['track', cancelBatch.id, '--task-queue', queue], [0]),
      expectExit(['list'], [0]),
      expectExit(['--verbose', 'status', 'batch_no_such_tracker'], [3]),
    ]);
    await Promise.all([
      expectExit(['status', cliBatch.id, '--json'], [0]),
      expectExit(['cancel', cancelBatch.id], [0]),
    ]);

    // Results, errors.
    for (const h of handles) {
      try {
        if (h.refused !== undefined) throw h.refused;
        const r = await withRetry(h.result, 240_000);
        if (h.expectFailure !== undefined) failures.push(`${h.label}: completed, expected ${h.expectFailure}`);
        queryAnswers.push(JSON.stringify(r));
      } catch (err) {
        errors.push(errorText(err));
        const type =
          err instanceof WorkflowFailedError ? (err.cause as { type?: string } | undefined)?.type : (err as Error).name;
        if (h.expectFailure === undefined) failures.push(`${h.label}: failed: ${(err as Error).message}`);
        else if (
          type !== h.expectFailure &&
          !(h.expectFailure === 'InvalidCreateRequest' && type === 'ValidationError')
        ) {
          failures.push(`${h.label}: ${type}, expected ${h.expectFailure}`);
        }
      }
    }
    // The webhook-started tracker: the receiver started it from the simulator's deliveries.
    const hookedHandle = client.workflow.getHandle(`airops-batch-${hooked.id}`);
    const hookedResult = (await withRetry(() => hookedHandle.result(), 120_000)) as TrackResult;
    queryAnswers.push(JSON.stringify(hookedResult));
    let webhookEvents = hookedResult.pollStats.webhookEvents;
    for (const h of handles.filter((x) => x.kind === 'run')) {
      const r = (await h.result()) as RunResult;
      webhookEvents += r.tracking.pollStats.webhookEvents;
    }
    if (hookedResult.pollStats.webhookEvents === 0) failures.push('the webhook-started tracker received no events');
    if (webhookEvents <= hookedResult.pollStats.webhookEvents)
      failures.push('no run received webhook events (OLOSTEP_WEBHOOK_URL)');
    say(`all finished; ${webhookEvents} webhook events reached trackers`);

    // The CLI after: watch a finished batch, status, a run through the CLI (URL list file).
    const urlsFile = join(dir, 'urls.txt');
    writeFileSync(urlsFile, 'https://example.test/cli-run/1\nhttps://example.test/cli-run/2\n');
    await Promise.all([
      expectExit(['watch', cliBatch.id, '--json'], [0, 1]),
      expectExit(['status', hooked.id], [0]),
      expectExit(['run', '--urls', urlsFile, '--task-queue', queue, '--json', '--interval', '500'], [0, 1]),
    ]);

    // Queries and descriptions of every execution.
    let queries = 0;
    const executions: { workflowId: string; runId: string; type: string }[] = [];
    for await (const w of client.workflow.list())
      executions.push({ workflowId: w.workflowId, runId: w.runId, type: w.type });
    for (const x of executions.filter((e) => e.type !== 'plantedCanary')) {
      const h = client.workflow.getHandle(x.workflowId, x.runId);
      const description = await h.describe();
      queryAnswers.push(
        JSON.stringify({ ...description, raw: undefined }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
      queries++;
      const qs = x.type === 'runAirOpsBatch' ? [getRunStatus] : [getProgress, getTimeline, getPollStats];
      for (const q of qs) {
        try {
          queryAnswers.push(JSON.stringify(await h.query(q as typeof getProgress)));
        } catch (err) {
          errors.push(errorText(err)); // e.g. a query on a run that failed before registering its handlers
        }
        queries++;
      }
    }

    // The search.
    const leaks: string[] = [];
    const canaryFoundIn: string[] = [];
    const histories = await allHistories(client);
    let historyBytes = 0;
    const workflowTypes: Record<string, number> = {};
    let continuedAsNew = 0;
    for (const h of histories) {
      historyBytes += h.text.length;
      workflowTypes[h.type] = (workflowTypes[h.type] ?? 0) + 1;
      if (h.continuedAsNew) continuedAsNew++;
      const found = findSecrets(h.text, secrets);
      if (found !== null) leaks.push(`history ${h.workflowId} run ${h.runId} (${h.type}): ${found}`);
      const planted = findSecrets(h.text, [canary]);
      if (planted !== null) canaryFoundIn.push(`${h.workflowId}: ${planted}`);
    }
    if (canaryFoundIn.length !== 1 || !canaryFoundIn[0]?.startsWith(`${canaryHandle.workflowId}: canary (plain)`)) {
      failures.push(`the planted canary was found in ${JSON.stringify(canaryFoundIn)} (expected its workflow only)`);
    }
    await canaryHandle.terminate('reliability test canary');
    // Every child a run started was listed and searched too.
    const listed = new Set(histories.map((h) => h.workflowId));
    const childIds = histories.flatMap((h) => h.childIds);
    const children = childIds.filter((id) => listed.has(id)).length;
    if (children !== childIds.length)
      failures.push(`children not listed: ${childIds.filter((id) => !listed.has(id)).join(', ')}`);
    await Promise.all(processes.map((p) => stopProcess(p, 'SIGTERM')));
    const logText = log.text();
    const inLogs = findSecrets(logText, secrets);
    if (inLogs !== null) leaks.push(`log: ${inLogs}`);
    for (const e of errors) {
      const found = findSecrets(e, secrets);
      if (found !== null) leaks.push(`error: ${found}`);
    }
    for (const q of queryAnswers) {
      const found = findSecrets(q, secrets);
      if (found !== null) leaks.push(`query/result: ${found}`);
    }
    let resultsFiles = 0;
    for (const f of readdirSync(join(dir, 'results'))) {
      resultsFiles++;
      const found = findSecrets(readFileSync(join(dir, 'results', f), 'utf8'), secrets);
      if (found !== null) leaks.push(`results file ${f}: ${found}`);
    }
    if (continuedAsNew === 0) failures.push('no tracker continued as new');
    if (children === 0) failures.push('no child workflow');
    return {
      secrets: secrets.map((s) => s.name),
      histories: histories.length,
      historyBytes,
      workflowTypes,
      continuedAsNew,
      children,
      logLines: log.lines(),
      logBytes: logText.length,
      errors: errors.length,
      queries,
      cliInvocations,
      webhookEventsSignaled: webhookEvents,
      resultsFiles,
      leaks,
      canaryFound: canaryFoundIn.length === 1,
      failures,
    };
  } finally {
    await Promise.all(processes.map((p) => stopProcess(p, 'SIGKILL')));
    await sim.close();
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeSecretsReport(r: SecretsReport): string[] {
  return [
    `secrets searched: ${r.secrets.join(', ')} (plain, URL-encoded, hex, base64 at every alignment)`,
    `histories: ${r.histories} executions (${Object.entries(r.workflowTypes)
      .map(([t, n]) => `${t} ${n}`)
      .join(
        ', ',
      )}; ${r.continuedAsNew} continued as new, ${r.children} children), ${Math.round(r.historyBytes / 1024)} KiB decoded`,
    `logs: ${r.logLines} lines, ${Math.round(r.logBytes / 1024)} KiB (worker processes at DEBUG, receiver, simulator, ${r.cliInvocations} CLI invocations)`,
    `errors: ${r.errors}; query answers and descriptions: ${r.queries}; results files: ${r.resultsFiles}; webhook events that reached trackers: ${r.webhookEventsSignaled}`,
    `negative control: a planted canary ${r.canaryFound ? 'was found (decoded) in its workflow input' : 'was NOT found'}`,
    `leaks: ${r.leaks.length}${r.leaks.length > 0 ? `\n  ${r.leaks.slice(0, 20).join('\n  ')}` : ''}`,
    `failures: ${r.failures.length}${r.failures.length > 0 ? `\n  ${r.failures.slice(0, 20).join('\n  ')}` : ''}`,
  ];
}
