// Scenario: hostile input at every door.
// 1. Batch ids that are empty, whitespace, 10 KB long, `../../v1/x`, percent-encoded slashes, NUL, control and
//    invisible characters, ... are refused by the library (`startAirOpsBatchTracker` and every other entry point) and by
//    the CLI (`bin/airops.mjs track|status <id>`: exit 2, one line) before anything starts: no workflow exists, no
//    HTTP request reached the simulator, and the CLI never even opened a connection (it is pointed at a listener
//    that counts connections). A tracker started around the library (straight through the Temporal client) still
//    fails with `InvalidBatchId` without a request.
// 2. Emoji and other printable Unicode are allowed by the rule (olostep/batch-id.ts: ids are opaque; only what
//    could change the URL or hide in logs is refused) and travel URL-encoded as exactly one path segment: the
//    simulator decodes each back to the very id sent.
// 3. API answers 400, 401, 402 and 404 end trackers and runs with typed, one-line, non-retried failures
//    (Validation / Unauthorized / PaymentRequired / NotFound), from one request each.
// 4. The webhook receiver process gets a seeded fuzz of unacceptable requests (kit/webhooks/fuzz-cases.ts): all
//    4xx, nothing signaled (no tracker on its task queue), still healthy and working afterwards.
// Used by test/reliability/hostile-input.test.ts (short) and bench/soak-hostile-input.ts (long).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import {
  cancelAirOpsBatch,
  describeAirOpsBatch,
  getAirOpsBatchProgress,
  getTrackerHandle,
  startAirOpsBatchTracker,
  waitForAirOpsBatch,
} from '../../client';
import { startRun } from '../../client/run';
import { batchIdProblem } from '../../olostep/batch-id';
import { OlostepClient } from '../../olostep/client';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { createTrackerWorker, WORKFLOWS_PATH } from '../../worker/worker';
import { TRACK_WORKFLOW_TYPE, trackerWorkflowId } from '../../workflows/contract';
import { webhookUrlFor } from '../../webhooks/server';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { runReceiverFuzz } from '../webhooks/fuzz-cases';
import { freshBatchId, payloadFor } from '../webhooks/helpers';
import { OutputLog, freePort, runCli, startReceiverProcess, stopProcess, type CliResult } from './processes';
import { FAST_TRACK, seededRandom } from './workload';

/** The hostile ids of point 1 above, and their cousins. None may reach Temporal or the API. */
export const HOSTILE_BATCH_IDS: readonly { label: string; id: string }[] = [
  { label: 'empty', id: '' },
  { label: 'whitespace', id: '   ' },
  { label: 'tab and newline', id: 'batch_\t\n' },
  { label: 'padded with spaces', id: ' batch_abc ' },
  { label: '10 KB long', id: 'b'.repeat(10_240) },
  { label: 'path traversal', id: '../../v1/x' },
  { label: 'percent-encoded slashes', id: '..%2F..%2Fv1%2Fx' },
  { label: 'percent-encoded slash, lower case', id: 'batch%2fx' },
  { label: 'double-encoded slash', id: 'batch%252Fx' },
  { label: 'NUL', id: 'batch_\u0000x' },
  { label: 'query string', id: 'batch?x=1' },
  { label: 'fragment', id: 'batch#x' },
  { label: 'backslashes', id: '..\\..\\v1' },
  { label: 'dot segment', id: '..' },
  { label: 'bidi override', id: 'batch_\u202eexe.txt' },
  { label: 'zero-width joiner', id: 'batch_\u200dx' },
  { label: 'DEL', id: 'batch_\u007f' },
  { label: 'line separator', id: 'batch_\u2028x' },
  { label: 'lone surrogate', id: 'batch_\ud800' },
];

/** What the CLI is given (a NUL cannot be: the OS passes arguments as C strings; checked separately). */
export const CLI_HOSTILE_LABELS = [
  'empty',
  'whitespace',
  '10 KB long',
  'path traversal',
  'percent-encoded slashes',
  'bidi override',
];

/**
 * Allowed by the rule: opaque ids may carry printable Unicode, which travels URL-encoded. (Emoji joined with a
 * zero-width joiner, such as 👩‍💻, are refused: the rule bans invisible format characters.)
 */
export const UNICODE_BATCH_IDS = [
  'batch_🚀',
  'batch_🇩🇪👍🏽',
  'batch_日本語',
  'batch_Ünïcødé',
  'batch_a+b=c&d',
  "batch_'quote'",
];

const HOSTILE_ELEMENTS = [
  '/',
  '\\',
  '%',
  '?',
  '#',
  ' ',
  '\t',
  '\n',
  '\u0000',
  '\u001b',
  '\u200b',
  '\u202e',
  '\u00a0',
  '\ufeff',
  '\ud800',
  '\udc00',
];

/** A random id the rule must refuse: a random printable id with a hostile element inserted, too long, or dotted. */
export function randomHostileId(rnd: () => number): string {
  const base = randomPrintable(rnd, 1 + Math.floor(rnd() * 40));
  const kind = rnd();
  if (kind < 0.1) return 'x'.repeat(256 + Math.floor(rnd() * 20_000));
  if (kind < 0.15) return `.${base}`;
  const el = HOSTILE_ELEMENTS[Math.floor(rnd() * HOSTILE_ELEMENTS.length)] ?? '/';
  const at = Math.floor(rnd() * (base.length + 1));
  return base.slice(0, at) + el + base.slice(at);
}

/** Printable characters (ASCII letters, digits, safe punctuation, emoji, CJK, accented): what the rule allows. */
export function randomPrintable(rnd: () => number, length: number): string {
  const pools = [
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-',
    "!$&'()*+,;=:@~",
    '🚀💥😀🧪🔥',
    '日本語中文한국어',
    'ÄÖÜäöüßéèêçñ',
  ];
  let s = 'batch_';
  for (let i = 0; i < length; i++) {
    const pool = [...(pools[rnd() < 0.7 ? 0 : Math.floor(rnd() * pools.length)] ?? 'a')];
    s += pool[Math.floor(rnd() * pool.length)] ?? 'a';
  }
  return s;
}

// ---- a stub of the AirOps API for the answers the simulator has no reason to give (400 and 402 on a GET) ----

interface StubApi {
  url: string;
  requests: { method: string; path: string; status: number }[];
  close: () => Promise<void>;
}

const STUB_BODIES: Record<number, Record<string, unknown>> = {
  400: {
    error_code: 'validation_error',
    error_message: 'Invalid request: 1 problem (first: batch_id: malformed)',
    details: [{ path: 'batch_id', message: 'malformed', code: 'invalid_format' }],
  },
  401: { error_code: 'invalid_api_key', error_message: 'Invalid API key' },
  402: { error_code: 'credits_exhausted', error_message: 'Your account has run out of credits' },
  404: { error_code: 'not_found', error_message: 'Batch not found' },
};

/** Answers GET `/v1/batches-airops/batch_http<status>` and POSTs with metadata `stub_status` with that status. */
async function startStubApi(): Promise<StubApi> {
  const requests: StubApi['requests'] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status = 500;
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const m = /^\/v1\/batches-airops\/batch_http(\d{3})$/.exec(path);
      if (req.method === 'GET' && m) status = Number(m[1]);
      if (req.method === 'POST' && path === '/v1/batches-airops') {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata?: { stub_status?: string } };
          status = Number(body.metadata?.stub_status ?? 500);
        } catch {
          status = 500;
        }
      }
      requests.push({ method: req.method ?? '?', path, status });
      const body = STUB_BODIES[status] ?? { error_code: 'internal_server_error', error_message: 'stub' };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP listener that counts connections: the CLI pointed at it must never connect for a refused id. */
async function startConnectionTrap(): Promise<{
  address: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The ApplicationFailure type and message a workflow failed with (or why it did not fail). */
async function failureOf(handle: WorkflowHandle, withinMs: number): Promise<{ type: string; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      handle.result().then(
        () => ({ type: '(completed)', message: '' }),
        (err: unknown) => {
          const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
          if (cause instanceof ApplicationFailure) return { type: cause.type ?? '?', message: cause.message };
          return { type: '(other error)', message: err instanceof Error ? err.message : String(err) };
        },
      ),
      new Promise<{ type: string; message: string }>((resolve) => {
        timer = setTimeout(() => resolve({ type: '(still running)', message: `after ${withinMs} ms` }), withinMs);
      }),
    ]);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

export interface HostileInputOptions {
  /** Random hostile ids tried through the library, on top of HOSTILE_BATCH_IDS. */
  randomIds: number;
  /** Random printable Unicode ids sent to the simulator through the client, on top of UNICODE_BATCH_IDS. */
  randomUnicodeIds: number;
  /** Requests of the webhook receiver fuzz. */
  fuzzRequests: number;
  seed: number;
  apiKey: string;
  webhookSecret: string;
  progress?: (line: string) => void;
}

export interface TypedFailure {
  what: string;
  status: number;
  expected: string;
  type: string;
  message: string;
  requests: number;
}

export interface HostileInputReport {
  /** Ids tried through the library entry points (each through several functions). */
  libraryIdsTried: number;
  libraryCallsRefused: number;
  libraryCalls: number;
  cliInvocations: number;
  cliRefused: number;
  /** Connections the refused CLI invocations opened (must be 0). */
  cliConnections: number;
  cliMedianMs: number;
  /** Trackers started around the library with a hostile id: each must fail InvalidBatchId without a request. */
  directStarts: number;
  directStartsRefusedByTemporal: number;
  unicodeIdsRoundTripped: number;
  unicodeIdsTried: number;
  typedFailures: TypedFailure[];
  fuzz: { requests: number; byKind: Record<string, Record<string, number>>; trackersStarted: number };
  failures: string[];
  log: OutputLog;
}

export async function runHostileInputScenario(opts: HostileInputOptions): Promise<HostileInputReport> {
  const t0 = Date.now();
  const say = (line: string) => opts.progress?.(`+${Math.round((Date.now() - t0) / 1000)} s ${line}`);
  const log = new OutputLog();
  const failures: string[] = [];
  const rnd = seededRandom(opts.seed);
  const env = await createDevServerEnv();
  const client: Client = env.client;
  const sim: SimulatorHandle = await startSimulator({
    apiKey: opts.apiKey,
    seed: opts.seed,
    requestLogLimit: 1_000_000,
  });
  const stub = await startStubApi();
  const trap = await startConnectionTrap();
  const resultsDir = mkdtempSync(join(tmpdir(), 'airops-rel-hostile-'));
  const queues = {
    sim: uniqueTaskQueue('rel-hostile'),
    wrongKey: uniqueTaskQueue('rel-wrongkey'),
    stub: uniqueTaskQueue('rel-stub'),
  };
  const bundle = await workflowBundle(WORKFLOWS_PATH);
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let receiver: ChildProcess | null = null;
  const wrongKey = `${opts.apiKey}_wrong`;
  try {
    for (const [taskQueue, baseUrl, apiKey] of [
      [queues.sim, sim.url, opts.apiKey],
      [queues.wrongKey, sim.url, wrongKey],
      [queues.stub, stub.url, opts.apiKey],
    ] as const) {
      const w = await createTrackerWorker({
        connection: env.nativeConnection,
        taskQueue,
        olostep: { apiKey, baseUrl, timeoutMs: 5_000 },
        workflowBundle: bundle,
        resultsSink: { write: () => Promise.reject(new Error('no items expected')) },
      });
      workers.push(w);
      running.push(w.run());
    }

    // 1. The library refuses every hostile id, from every entry point, before talking to Temporal.
    const ids = [...HOSTILE_BATCH_IDS.map((h) => h.id)];
    for (let i = 0; i < opts.randomIds; i++) ids.push(randomHostileId(rnd));
    let calls = 0;
    let refused = 0;
    const entryPoints: [string, (id: string) => Promise<unknown>][] = [
      ['startAirOpsBatchTracker', (id) => startAirOpsBatchTracker(client, id, { taskQueue: queues.sim })],
      ['getAirOpsBatchProgress', (id) => getAirOpsBatchProgress(client, id)],
      ['waitForAirOpsBatch', (id) => waitForAirOpsBatch(client, id)],
      ['describeAirOpsBatch', (id) => describeAirOpsBatch(client, id)],
      ['cancelAirOpsBatch', (id) => cancelAirOpsBatch(client, id)],
      ['getTrackerHandle', async (id) => getTrackerHandle(client, id)],
    ];
    for (const [n, id] of ids.entries()) {
      if (batchIdProblem(id) === null) {
        failures.push(`the rule accepts hostile id ${JSON.stringify(id.slice(0, 60))}`);
        continue;
      }
      // Every entry point for the named ids; trackAirOpsBatch for the random ones.
      for (const [name, call] of n < HOSTILE_BATCH_IDS.length ? entryPoints : entryPoints.slice(0, 1)) {
        calls++;
        try {
          await call(id);
          failures.push(`${name} accepted ${JSON.stringify(id.slice(0, 60))}`);
        } catch (err) {
          const e = err as Error;
          if (e.name !== 'InvalidBatchIdError')
            failures.push(`${name}(${JSON.stringify(id.slice(0, 60))}) threw ${e.name}: ${e.message}`);
          else if (e.message.length > 400 || /[\p{Cc}\u2028\u2029\u202e]/u.test(e.message)) {
            failures.push(
              `${name}: the error message is long or carries control characters: ${JSON.stringify(e.message.slice(0, 120))}`,
            );
          } else refused++;
        }
      }
    }
    say(`library: ${refused}/${calls} calls refused for ${ids.length} ids`);

    // 2. The CLI refuses them too: exit 2, one line on stderr, nothing on stdout, no connection.
    const cliIds = HOSTILE_BATCH_IDS.filter((h) => CLI_HOSTILE_LABELS.includes(h.label));
    const invocations = cliIds.flatMap((h) => (['track', 'status'] as const).map((cmd) => ({ h, cmd })));
    const cliResults: { label: string; cmd: string; r: CliResult }[] = [];
    let nextCli = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nextCli < invocations.length) {
          const inv = invocations[nextCli++];
          if (inv === undefined) break;
          const r = await runCli(['--address', trap.address, '--connect-timeout', '2000', inv.cmd, inv.h.id], { log });
          cliResults.push({ label: inv.h.label, cmd: inv.cmd, r });
        }
      }),
    );
    let cliRefused = 0;
    for (const { label, cmd, r } of cliResults) {
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const ok =
        r.code === 2 &&
        r.stdout === '' &&
        lines.length === 1 &&
        /^airops: invalid batch id: /.test(lines[0] ?? '') &&
        !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(lines[0] ?? '') &&
        (lines[0]?.length ?? 0) <= 300;
      if (ok) cliRefused++;
      else
        failures.push(
          `CLI ${cmd} <${label}>: exit ${r.code}, stdout ${JSON.stringify(r.stdout.slice(0, 100))}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}`,
        );
    }
    // A NUL cannot even be handed to the CLI: the OS passes arguments as C strings, and Node refuses to try.
    try {
      await runCli(['status', 'batch_\u0000x'], { log });
      failures.push('a NUL in a CLI argument was passed on');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_INVALID_ARG_VALUE') failures.push(`NUL argument: ${String(err)}`);
    }
    say(`CLI: ${cliRefused}/${cliResults.length} refused, ${trap.connections()} connections`);
    if (trap.connections() !== 0) failures.push(`the CLI connected ${trap.connections()} times for refused ids`);

    // Nothing started, nothing reached the API.
    const before = await listWorkflowIds(client);
    if (before.length !== 0) failures.push(`workflows exist after refused input: ${before.slice(0, 5).join(', ')}`);
    if (sim.requests.length !== 0 || stub.requests.length !== 0) {
      failures.push(`${sim.requests.length + stub.requests.length} HTTP requests reached the API for refused ids`);
    }

    // 3. Around the library, straight through Temporal: the workflow itself refuses the id, without a request.
    let directStarts = 0;
    let refusedByTemporal = 0;
    for (const { label, id } of HOSTILE_BATCH_IDS) {
      let handle: WorkflowHandle;
      try {
        handle = await client.workflow.start(TRACK_WORKFLOW_TYPE, {
          taskQueue: queues.sim,
          workflowId: `hostile-direct-${directStarts}`,
          args: [id, FAST_TRACK],
        });
      } catch {
        refusedByTemporal++; // e.g. an input Temporal cannot encode; refused all the same
        continue;
      }
      directStarts++;
      const f = await failureOf(handle, 30_000);
      if (f.type !== 'InvalidBatchId') failures.push(`direct start <${label}>: ${f.type} ${f.message}`);
    }
    if (sim.requests.length !== 0)
      failures.push(`${sim.requests.length} requests after direct starts with hostile ids`);
    say(`direct starts: ${directStarts} failed InvalidBatchId, ${refusedByTemporal} refused by Temporal`);

    // 4. Printable Unicode is allowed and travels as exactly one URL-encoded path segment.
    const unicode = [...UNICODE_BATCH_IDS];
    for (let i = 0; i < opts.randomUnicodeIds; i++) unicode.push(randomPrintable(rnd, 1 + Math.floor(rnd() * 30)));
    const olostep = new OlostepClient({ apiKey: opts.apiKey, baseUrl: sim.url, timeoutMs: 5_000 });
    let roundTripped = 0;
    for (const id of unicode) {
      if (batchIdProblem(id) !== null) {
        failures.push(`the rule refuses printable id ${JSON.stringify(id)}: ${batchIdProblem(id)}`);
        continue;
      }
      const n = sim.requests.length;
      try {
        await olostep.getBatchStatus(id);
        failures.push(`unknown batch ${id} answered 200`);
      } catch (err) {
        if ((err as Error).name !== 'NotFoundError')
          failures.push(`${id}: ${(err as Error).name}: ${(err as Error).message}`);
      }
      const seen = sim.requests.slice(n);
      const path = `/v1/batches-airops/${encodeURIComponent(id)}`;
      if (
        seen.length === 1 &&
        seen[0]?.batchId === id &&
        seen[0]?.path === path &&
        /^[\x21-\x7e]+$/.test(seen[0].path)
      ) {
        roundTripped++;
      } else
        failures.push(
          `${JSON.stringify(id)}: the simulator saw ${JSON.stringify(seen.map((r) => [r.path, r.batchId]))}`,
        );
    }
    // And end to end through the library and a tracker: accepted, encoded, NotFound from the API.
    const emoji = UNICODE_BATCH_IDS[0] ?? 'batch_🚀';
    const emojiHandle = await startAirOpsBatchTracker(client, emoji, {
      taskQueue: queues.sim,
      ...FAST_TRACK,
      notFoundGraceMs: 0,
    });
    const emojiFailure = await failureOf(emojiHandle, 30_000);
    if (emojiHandle.workflowId !== trackerWorkflowId(emoji) || emojiFailure.type !== 'NotFound') {
      failures.push(`emoji tracker ${emojiHandle.workflowId}: ${emojiFailure.type} ${emojiFailure.message}`);
    }
    const emojiCli = await runCli(['--address', env.address, 'status', emoji, '--json'], { log });
    if (emojiCli.code === 2 || !emojiCli.stdout.includes(emoji)) {
      failures.push(
        `CLI status ${emoji}: exit ${emojiCli.code}: ${emojiCli.stdout.slice(0, 200)} ${emojiCli.stderr.slice(0, 200)}`,
      );
    }
    say(
      `unicode: ${roundTripped}/${unicode.length} ids round-tripped; emoji tracker ${emojiFailure.type}, CLI exit ${emojiCli.code}`,
    );

    // 5. API refusals: typed, one line, not retried.
    const typed: TypedFailure[] = [];
    const typedCase = async (
      what: string,
      status: number,
      expected: string,
      start: () => Promise<WorkflowHandle>,
      requests: () => number,
    ) => {
      const n = requests();
      const handle = await start();
      const f = await failureOf(handle, 30_000);
      await new Promise((r) => setTimeout(r, 300)); // a retry, if any, would show up here
      typed.push({ what, status, expected, type: f.type, message: f.message, requests: requests() - n });
    };
    const simRequests = () => sim.requests.length;
    const stubRequests = () => stub.requests.length;
    const runRequest = (status: string) => ({
      items: [{ url: `https://example.test/${status}/${Math.floor(rnd() * 1e9)}`, custom_id: 'a' }],
      metadata: { stub_status: status },
    });
    await typedCase(
      'tracker',
      400,
      'Validation',
      () => startAirOpsBatchTracker(client, 'batch_http400', { taskQueue: queues.stub, ...FAST_TRACK }),
      stubRequests,
    );
    await typedCase(
      'tracker',
      401,
      'Unauthorized',
      () =>
        startAirOpsBatchTracker(
          client,
          sim.createBatch({ items: [{ url: 'https://example.test/401', custom_id: 'a' }] }).id,
          {
            taskQueue: queues.wrongKey,
            ...FAST_TRACK,
          },
        ),
      simRequests,
    );
    await typedCase(
      'tracker',
      402,
      'PaymentRequired',
      () => startAirOpsBatchTracker(client, 'batch_http402', { taskQueue: queues.stub, ...FAST_TRACK }),
      stubRequests,
    );
    await typedCase(
      'tracker',
      404,
      'NotFound',
      () =>
        startAirOpsBatchTracker(client, 'batch_does_not_exist', {
          taskQueue: queues.sim,
          ...FAST_TRACK,
          notFoundGraceMs: 0,
        }),
      simRequests,
    );
    await typedCase(
      'run (create)',
      400,
      'Validation',
      () => startRun(client, runRequest('400'), { taskQueue: queues.stub }),
      stubRequests,
    );
    await typedCase(
      'run (create)',
      401,
      'Unauthorized',
      () =>
        startRun(
          client,
          { items: [{ url: `https://example.test/401/${Math.floor(rnd() * 1e9)}`, custom_id: 'a' }] },
          { taskQueue: queues.wrongKey },
        ),
      simRequests,
    );
    await typedCase(
      'run (create)',
      402,
      'PaymentRequired',
      () => startRun(client, runRequest('402'), { taskQueue: queues.stub }),
      stubRequests,
    );
    for (const t of typed) {
      const statusShown = new RegExp(`\\b${t.status}\\b`).test(t.message);
      if (
        t.type !== t.expected ||
        t.requests !== 1 ||
        !statusShown ||
        /\n/.test(t.message) ||
        t.message.includes(opts.apiKey) ||
        t.message.includes(wrongKey)
      ) {
        failures.push(`${t.what} ${t.status}: ${t.type} after ${t.requests} requests: ${t.message}`);
      }
    }
    say(`typed failures: ${typed.map((t) => `${t.what} ${t.status} → ${t.type}`).join(', ')}`);

    // 6. The webhook receiver process under fuzz: all 4xx, nothing signaled, still up.
    const bodyLimit = 64 * 1_024;
    const started = await startReceiverProcess({
      address: env.address,
      taskQueue: uniqueTaskQueue('rel-receiver'),
      secret: opts.webhookSecret,
      port: await freePort(),
      log,
      env: { WEBHOOK_BODY_LIMIT: String(bodyLimit) },
    });
    receiver = started.child;
    const receiverQueue = started.taskQueue;
    const fuzz = await runReceiverFuzz({
      base: started.baseUrl,
      requests: opts.fuzzRequests,
      seed: opts.seed,
      bodyLimit,
      secret: opts.webhookSecret,
    });
    failures.push(...fuzz.failures.slice(0, 20));
    const fuzzTrackers = (await listWorkflowIds(client, receiverQueue)).length;
    if (fuzzTrackers !== 0) failures.push(`the fuzz started ${fuzzTrackers} trackers`);
    const health = await fetch(`${started.baseUrl}/healthz`);
    if (health.status !== 200) failures.push(`receiver /healthz ${health.status} after the fuzz`);
    const control = freshBatchId('batch_rel_control');
    const delivered = await fetch(webhookUrlFor(started.baseUrl, opts.webhookSecret), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payloadFor(control)),
    });
    const after = await listWorkflowIds(client, receiverQueue);
    if (delivered.status !== 200 || after.length !== 1 || after[0] !== trackerWorkflowId(control)) {
      failures.push(`receiver after the fuzz: control delivery ${delivered.status}, trackers ${after.join(', ')}`);
    }
    if (receiver.exitCode !== null) failures.push(`the receiver process exited (${receiver.exitCode})`);
    say(
      `fuzz: ${fuzz.requests} requests, ${fuzz.failures.length} unacceptable answers, ${fuzzTrackers} trackers started`,
    );

    const byKind: Record<string, Record<string, number>> = {};
    for (const [kind, m] of fuzz.byKind) byKind[kind] = Object.fromEntries([...m].map(([s, n]) => [String(s), n]));
    const cliMs = cliResults.map((c) => c.r.ms).sort((a, b) => a - b);
    return {
      libraryIdsTried: ids.length,
      libraryCallsRefused: refused,
      libraryCalls: calls,
      cliInvocations: cliResults.length + 1,
      cliRefused,
      cliConnections: trap.connections(),
      cliMedianMs: cliMs[Math.floor(cliMs.length / 2)] ?? 0,
      directStarts,
      directStartsRefusedByTemporal: refusedByTemporal,
      unicodeIdsRoundTripped: roundTripped,
      unicodeIdsTried: unicode.length,
      typedFailures: typed,
      fuzz: { requests: fuzz.requests, byKind, trackersStarted: fuzzTrackers },
      failures,
      log,
    };
  } finally {
    const r: ChildProcess | null = receiver;
    if (r !== null) await stopProcess(r, 'SIGTERM');
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await trap.close();
    await stub.close();
    await sim.close();
    await env.teardown();
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

async function listWorkflowIds(client: Client, taskQueue?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of client.workflow.list(taskQueue ? { query: `TaskQueue = '${taskQueue}'` } : {}))
    ids.push(w.workflowId);
  return ids;
}

export function describeHostileInputReport(r: HostileInputReport): string[] {
  const fuzzKinds = Object.entries(r.fuzz.byKind)
    .map(
      ([k, m]) =>
        `${k}: ${Object.entries(m)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
    )
    .join('; ');
  return [
    `library: ${r.libraryIdsTried} hostile ids, ${r.libraryCallsRefused}/${r.libraryCalls} calls refused with InvalidBatchIdError`,
    `CLI: ${r.cliInvocations} invocations (track/status × ${CLI_HOSTILE_LABELS.length} ids, + NUL refused by the OS), ${r.cliRefused} exit 2 with one line, ${r.cliConnections} connections opened, median ${r.cliMedianMs} ms`,
    `around the library: ${r.directStarts} trackers started with hostile ids failed InvalidBatchId without a request (${r.directStartsRefusedByTemporal} refused by Temporal itself)`,
    `printable Unicode ids: ${r.unicodeIdsRoundTripped}/${r.unicodeIdsTried} sent URL-encoded as one path segment and decoded back to the same id`,
    `API refusals: ${r.typedFailures.map((t) => `${t.what} ${t.status} → ${t.type} (${t.requests} request)`).join('; ')}`,
    `receiver fuzz: ${r.fuzz.requests} requests, ${r.fuzz.trackersStarted} trackers started; ${fuzzKinds}`,
    `failures: ${r.failures.length}${r.failures.length > 0 ? `\n  ${r.failures.slice(0, 20).join('\n  ')}` : ''}`,
  ];
}
