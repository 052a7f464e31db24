// `npm start` / `airops demo`: everything on one machine, no API key, nothing running beforehand.
//   1. Temporal: the embedded dev server with its Web UI (SQLite file .temporal/demo.db), or TEMPORAL_ADDRESS.
//   2. The AirOps simulator, in-process, time-scaled so the reference lifecycle (~1,600 s) takes about a minute.
//   3. A worker, in-process: the same createTrackerWorker as `npm run worker`.
//   4. A demo batch created on the simulator through the real OlostepClient, tracked with live progress, and the
//      Temporal UI link to its workflow. Ctrl-C (or the end, unless --keep) shuts everything down.
// With OLOSTEP_API_KEY and a batch id it tracks that real batch against api.olostep.com instead of the simulator.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { OlostepClient } from '../olostep/client';
import { ServerNotProvisionedError, cacheDir, devServerExecutable } from '../scripts/temporal-servers';
import { DEFAULT_API_KEY, startSimulator, type SimulatorHandle } from '../simulator/server';
import { SCENARIO_NAMES } from '../simulator/scenarios';
import { ConfigError, loadTemporalConnectConfig } from '../client/temporal-connection';
import { loadWorkerConfig } from '../worker/config';
import { createLogger, installWorkerRuntime } from '../worker/logging';
import { preflightSearchAttributes, SearchAttributePreflightError } from '../client/search-attribute-preflight';
import { createTrackerWorker } from '../worker/worker';
import { cancelAirOpsBatch } from '../client/progress';
import { startAirOpsBatchTracker } from '../client/track';
import { checkBatchId, uiLink, watchCommand, type Io } from '../client/cli/commands';
import { CliExit, EXIT, UsageError, type ExitCode } from '../client/cli/exit-codes';
import { defaultViewMode } from '../client/cli/render';
import { DEFAULT_TASK_QUEUE, trackerWorkflowId } from '../workflows/contract';
import { startEmbeddedTemporal } from './embedded-temporal';
import { cachedWorkflowBundle } from './workflow-bundle';
import { randomBytes } from 'node:crypto';
import { createWebhookReceiver, webhookUrlFor } from '../webhooks/server';

const ROOT = resolve(__dirname, '..');
/** ~1,597 s reference lifecycle / 27 ≈ 59 s. */
export const DEFAULT_TIME_SCALE = 27;
export const DEMO_TASK_QUEUE = 'airops-demo';

export interface DemoOptions {
  /** A real batch to track (needs the API key); null = create a simulated one. */
  batchId: string | null;
  keep: boolean;
  timeScale: number;
  urls: number;
  scenario: string;
  port: number | null;
  uiPort: number | null;
  dbFile: string;
  plain: boolean;
  /** Set when TEMPORAL_ADDRESS or --address points at an existing server. */
  externalTemporal: boolean;
  temporal: { address?: string; namespace?: string; connectTimeoutMs: number };
}

export interface DemoContext {
  env: NodeJS.ProcessEnv;
  io: Io;
  signal: AbortSignal;
}

function intOption(name: string, value: string | boolean | undefined, min: number, max: number): number | null {
  if (value === undefined || value === false) return null;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(String(value))}`);
  }
  return n;
}

/** Validates the demo's options (from commander and the environment); throws UsageError naming the problem. */
export function demoOptionsFrom(
  batchArg: string | undefined,
  o: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  temporal: { address?: string; namespace?: string; connectTimeoutMs: number },
): DemoOptions {
  const batchFlag = typeof o.batch === 'string' ? o.batch : undefined;
  if (batchArg !== undefined && batchFlag !== undefined && batchArg !== batchFlag) {
    throw new UsageError('give the batch id once: as the argument or as --batch');
  }
  const batchId = batchArg ?? batchFlag ?? null;
  if (batchId !== null) checkBatchId(batchId);
  if (batchId !== null && !env.OLOSTEP_API_KEY) {
    throw new UsageError(
      `tracking the real batch ${batchId} needs OLOSTEP_API_KEY; without a batch id, the demo runs on the simulator`,
    );
  }
  const rawScale = typeof o.timeScale === 'string' ? o.timeScale : env.AIROPS_DEMO_TIME_SCALE;
  const timeScale = rawScale === undefined || rawScale === '' ? DEFAULT_TIME_SCALE : Number(rawScale);
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 100_000) {
    throw new UsageError(`--time-scale must be a number > 0 (e.g. 27), got ${JSON.stringify(String(rawScale))}`);
  }
  const scenario = typeof o.scenario === 'string' ? o.scenario : 'happy';
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}; got ${JSON.stringify(scenario)}`);
  }
  return {
    batchId,
    keep: o.keep === true,
    timeScale,
    urls: intOption('--size', o.size, 1, 10_000) ?? 100,
    scenario,
    port: intOption('--port', o.port, 0, 65_535),
    uiPort: intOption('--ui-port', o.uiPort, 0, 65_535),
    dbFile: resolve(typeof o.db === 'string' ? o.db : join(ROOT, '.temporal', 'demo.db')),
    plain: o.plain === true,
    externalTemporal: temporal.address !== undefined || Boolean(env.TEMPORAL_ADDRESS),
    temporal,
  };
}

/** Demo URLs that look like a content site's pages. */
function demoItems(n: number): { url: string; custom_id: string }[] {
  const kinds = ['blog', 'docs', 'pricing', 'product', 'news', 'case-studies'];
  return Array.from({ length: n }, (_, i) => ({
    url: `https://www.example-shop.test/${kinds[i % kinds.length]}/page-${i + 1}`,
    custom_id: `demo-${i + 1}`,
  }));
}

/** Poll gaps scaled to the simulator's speed: ~2 s at 27x, 1 s at higher speeds. */
function demoPollOptions(timeScale: number): { minPollIntervalMs: number; maxPollIntervalMs: number } {
  const max = Math.round(Math.min(5_000, Math.max(1_000, 54_000 / timeScale)));
  return { minPollIntervalMs: 500, maxPollIntervalMs: max };
}

function secondsSince(t: number): string {
  return `${((Date.now() - t) / 1000).toFixed(1)} s`;
}

/** Runs the demo; returns the exit code (0 completed, 1 batch failed, 130 interrupted, …). */
export async function runDemo(opts: DemoOptions, ctx: DemoContext): Promise<ExitCode> {
  const { io, env, signal } = ctx;
  const say = (line: string) => io.out.write(`${line}\n`);
  const t0 = Date.now();
  const stateDir = dirname(opts.dbFile);
  const cleanups: { what: string; fn: () => Promise<unknown> }[] = [];
  const interrupted = () => {
    if (signal.aborted) throw new CliExit(EXIT.interrupted, 'interrupted');
  };
  const real = opts.batchId !== null;
  let code: ExitCode = EXIT.internal;

  // Real-batch mode: the worker needs a valid configuration (API key, base URL) before anything starts.
  const workerConfig = real ? loadWorkerConfig(env) : null;
  if (!real && env.OLOSTEP_API_KEY) {
    say(
      'OLOSTEP_API_KEY is set but no batch id was given: running the simulated demo (pass a batch id to track a real batch)',
    );
  }
  mkdirSync(stateDir, { recursive: true });

  // The worker's own logs (JSON) go to a file: the terminal is for the progress.
  const workerLog = join(stateDir, 'demo-worker.log');
  try {
    // The worker's runtime as `npm run worker` installs it: a failed workflow task is an ERROR line in the log.
    installWorkerRuntime({
      logger: createLogger({
        level: 'WARN',
        secrets: [env.OLOSTEP_API_KEY],
        write: (line) => appendFileSync(workerLog, `${line}\n`),
      }),
    });
  } catch {
    // already installed in this process (tests); keep it
  }

  try {
    // 1. Temporal (embedded or existing), the workflow bundle and the simulator, in parallel.
    let address: string;
    let namespace: string;
    let uiBase: string | null;
    let connectionOptions: Parameters<typeof NativeConnection.connect>[0];
    if (opts.externalTemporal) {
      const cfg = loadTemporalConnectConfig(env, opts.temporal);
      ({ address, namespace } = cfg);
      connectionOptions = cfg.connectionOptions;
      uiBase = env.TEMPORAL_UI_URL ?? null;
      say(
        `Temporal: ${address} (namespace ${namespace}), from ${opts.temporal.address ? '--address' : 'TEMPORAL_ADDRESS'}`,
      );
    } else {
      ensureProvisioned(env, io);
      interrupted();
      const server = await startEmbeddedTemporal({
        dbFile: opts.dbFile,
        logFile: join(stateDir, 'demo-server.log'),
        port: opts.port,
        uiPort: opts.uiPort,
        env,
      });
      cleanups.push({ what: 'Temporal dev server', fn: () => server.stop() });
      ({ address, namespace } = server);
      uiBase = server.uiUrl;
      connectionOptions = { address };
      say(`✓ Temporal dev server ${address} · Web UI ${server.uiUrl} · state in ${opts.dbFile} (${secondsSince(t0)})`);
    }
    interrupted();

    const bundlePromise = cachedWorkflowBundle(join(cacheDir(env), 'workflow-bundles'));
    let sim: SimulatorHandle | null = null;
    if (!real) {
      sim = await startSimulator({
        apiKey: DEFAULT_API_KEY,
        timeScale: opts.timeScale,
        seed: `demo-${Date.now()}`, // fresh batch ids every run: the database keeps earlier demos
      });
      const s = sim;
      cleanups.push({ what: 'simulator', fn: () => s.close() });
      say(
        `✓ AirOps simulator ${sim.url} at ${opts.timeScale}x (the ~27-minute reference batch takes ~${Math.round(1597 / opts.timeScale)} s)`,
      );
    }

    let connection: Connection;
    let nativeConnection: NativeConnection;
    try {
      [connection, nativeConnection] = await Promise.all([
        Connection.connect({ ...connectionOptions, connectTimeout: opts.temporal.connectTimeoutMs }),
        NativeConnection.connect(connectionOptions),
      ]);
    } catch (err) {
      throw new CliExit(
        EXIT.unavailable,
        `cannot reach Temporal at ${address}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        { cause: err },
      );
    }
    cleanups.push({ what: 'connections', fn: async () => Promise.all([connection.close(), nativeConnection.close()]) });
    const client = new Client({ connection, namespace });
    // The search-attribute preflight the worker and the receiver run too. The embedded server gets them at start;
    // an older demo.db or an existing server may miss some.
    try {
      const preflight = await preflightSearchAttributes(connection, namespace);
      if (preflight.registered.length > 0) say(`  registered search attributes ${preflight.registered.join(', ')}`);
    } catch (err) {
      if (err instanceof SearchAttributePreflightError) throw new CliExit(EXIT.usage, err.line, { cause: err });
      throw err;
    }
    interrupted();

    // 2. The worker (in-process, same factory as `npm run worker`).
    const taskQueue = real ? (workerConfig?.TASK_QUEUE ?? DEFAULT_TASK_QUEUE) : DEMO_TASK_QUEUE;
    const bundle = await bundlePromise;
    const olostep = real
      ? {
          apiKey: workerConfig!.OLOSTEP_API_KEY,
          baseUrl: workerConfig!.OLOSTEP_BASE_URL,
          ...(workerConfig!.OLOSTEP_TIMEOUT_MS ? { timeoutMs: workerConfig!.OLOSTEP_TIMEOUT_MS } : {}),
        }
      : { apiKey: DEFAULT_API_KEY, baseUrl: sim!.url };
    const worker: Worker = await createTrackerWorker({
      connection: nativeConnection,
      namespace,
      taskQueue,
      olostep,
      workflowBundle: { code: bundle.code },
      extra: { shutdownGraceTime: '5s' },
    });
    const running = worker.run();
    cleanups.push({
      what: 'worker',
      fn: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    });
    say(
      `✓ worker on task queue ${taskQueue} (workflow bundle ${bundle.cached ? 'from cache' : 'built'}) (${secondsSince(t0)})`,
    );
    interrupted();

    // 3. The batch: create one on the simulator through the real HTTP client, or take the real one.
    let batchId: string;
    if (real) {
      batchId = opts.batchId!;
      say(`tracking the real AirOps batch ${batchId} at ${workerConfig!.OLOSTEP_BASE_URL}`);
    } else {
      // The webhook receiver, in-process: the simulator POSTs each lifecycle event to it, it signals the tracker,
      // and polling drops to a safety net (compare the status calls at the end with a polling-only run).
      const secret = randomBytes(24).toString('base64url');
      const receiver = createWebhookReceiver({ client, taskQueue, secret, logger: false });
      const receiverBase = await receiver.listen({ port: 0, host: '127.0.0.1' });
      cleanups.push({ what: 'webhook receiver', fn: () => receiver.close() });
      say(`✓ webhook receiver ${receiverBase} (the simulator delivers every lifecycle event to it)`);
      const api = new OlostepClient({ apiKey: DEFAULT_API_KEY, baseUrl: sim!.url });
      const created = await api.createBatch({
        webhook: webhookUrlFor(receiverBase, secret),
        items: demoItems(opts.urls),
        brands: ['Olostep', 'Temporal', 'Acme'],
        country: 'US',
        metadata: { source: 'airops-temporal demo', sim_scenario: opts.scenario },
      });
      batchId = created.batchId;
      say(`✓ created demo batch ${batchId} (${opts.urls} URLs, scenario ${opts.scenario}) on the simulator`);
    }
    await startAirOpsBatchTracker(client, batchId, { taskQueue, ...(real ? {} : demoPollOptions(opts.timeScale)) });
    const link = uiLink(uiBase, namespace, batchId);
    say(`→ tracking workflow ${trackerWorkflowId(batchId)}`);
    if (link) say(`  Temporal UI: ${link}`);

    // 4. Live progress until the batch ends (or Ctrl-C).
    const mode = defaultViewMode(io.out, env, { plain: opts.plain });
    code = await watchCommand(client, batchId, { mode, signal, uiLink: link }, io);

    if (code === EXIT.interrupted) {
      if (!real) {
        // The simulated batch dies with the simulator: stop its tracker rather than leave it polling nothing.
        await cancelAirOpsBatch(client, batchId).catch(() => undefined);
        say('interrupted: demo tracker cancelled (its simulated batch ends with the simulator)');
      } else {
        say(`interrupted: the tracker keeps its state in ${opts.dbFile}; \`npm start -- ${batchId}\` resumes it`);
      }
    } else if (opts.keep) {
      say(`--keep: Temporal${link ? ` and its UI (${uiBase})` : ''} and the worker stay up; Ctrl-C to stop`);
      await new Promise<void>((r) =>
        signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true }),
      );
    }
    return code;
  } catch (err) {
    if (err instanceof CliExit && err.code === EXIT.interrupted) {
      say('interrupted');
      return EXIT.interrupted;
    }
    if (err instanceof ServerNotProvisionedError || err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  } finally {
    const t = Date.now();
    for (const c of cleanups.reverse()) {
      try {
        await c.fn();
      } catch (err) {
        io.err.write(`(stopping the ${c.what} failed: ${err instanceof Error ? err.message : String(err)})\n`);
      }
    }
    if (cleanups.length > 0) say(`stopped: ${cleanups.map((c) => c.what).join(', ')} (${secondsSince(t)})`);
  }
}

/** Runs `npm run provision` first when the dev server is not there yet (a fresh machine). */
function ensureProvisioned(env: NodeJS.ProcessEnv, io: Io): void {
  try {
    devServerExecutable(env);
    return;
  } catch (err) {
    if (!(err instanceof ServerNotProvisionedError)) throw err;
  }
  io.out.write('provisioning the Temporal servers (first run only; takes a few minutes)…\n');
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [join(ROOT, 'scripts', 'provision.ts')], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) throw new CliExit(EXIT.unavailable, `provisioning failed (exit ${r.status}); see above`);
  devServerExecutable(env); // throws the "run npm run provision" message if it still is not there
}
