// The compose stack as local processes (kit/stack/native-plan.ts derives them from docker-compose.yml): PostgreSQL,
// the schema one-shot, the Temporal server, the namespace and search-attribute one-shot, the simulator (profile
// `simulator`), the workers and the webhook receiver, started in depends_on order with compose's conditions
// (service_healthy: its healthcheck passes; service_completed_successfully: the one-shot exited 0).
// Used by `npm run stack:native` (scripts/stack-native.ts), test/deploy/native-stack.test.ts and
// `bench/scale.ts --server native`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { devServerExecutable, productionServer } from '../../scripts/temporal-servers';
import { webhookUrlFor } from '../../webhooks/server';
import { ENV_TEMPLATE, loadCompose, parseEnvFile } from './compose';
import { nativePlan, type NativePlan, type NativeProcess } from './native-plan';
import { postgresBinDir, startPostgres, type Postgres } from './postgres';
import { freePort, OutputLog, sleep } from '../reliability/processes';

export interface NativeStackOptions {
  /** Worker replicas (`docker compose up --scale worker=N`). */
  workers?: number;
  /**
   * The stack's .env on top of deploy/airops.env.example. Secrets left empty there are generated; without
   * OLOSTEP_BASE_URL the `simulator` profile runs and the workers call it, as the env template describes.
   */
  env?: Record<string, string>;
  log?: OutputLog;
  /** Progress lines (`temporal healthy after 4.1 s`). */
  onEvent?: (line: string) => void;
  /** How often a healthcheck is retried while a service starts. */
  healthIntervalMs?: number;
  /**
   * Run only these compose services and what they depend on (e.g. `['temporal-setup']`: PostgreSQL and Temporal
   * with its namespace, for a benchmark that brings its own worker). Default: every service.
   */
  only?: string[];
}

interface Running {
  proc: ChildProcess;
  exited: Promise<number | null>;
  /** Set when we stopped it on purpose. */
  stopping: boolean;
}

export interface NativeStack {
  plan: NativePlan;
  /** The stack's .env after generation (holds the generated secrets: never print it). */
  env: Readonly<Record<string, string>>;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The receiver's webhook URL (secret path included) and the simulator's base URL (when it runs). */
  webhookUrl: string;
  simulatorUrl: string | null;
  /** From the first process started until every long-running service was healthy. */
  healthyAfterMs: number;
  log: OutputLog;
  /** Process ids by role: `server` is the Temporal server and every PostgreSQL process; `worker#n`, `webhooks`. */
  pids(name: string): number[];
  /** Sends a signal to one process (`worker#1`, `temporal`, …) and waits for it to exit. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a process of the plan again (after kill) and waits until it is healthy. */
  start(name: string): Promise<void>;
  /** SIGTERM to every process in reverse start order, then PostgreSQL; removes the run's files. */
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override readonly name = 'StackStartError';
}

/** A free loopback port in [20000, max): tried at random, bound and released. */
async function freePortBelow(max: number): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * (max - 20_000));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

const secret = () => randomBytes(24).toString('hex');

/** deploy/airops.env.example as a user fills it in, with what `overrides` sets on top. */
export function stackEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { ...parseEnvFile(readFileSync(ENV_TEMPLATE, 'utf8')), ...overrides };
  for (const key of ['OLOSTEP_API_KEY', 'WEBHOOK_SECRET', 'POSTGRES_PASSWORD']) env[key] ||= secret();
  if (!env.OLOSTEP_BASE_URL) {
    env.OLOSTEP_BASE_URL = 'http://simulator:8787';
    env.COMPOSE_PROFILES = [...(env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean), 'simulator'].join(',');
  }
  return env;
}

/** Processes in an order that satisfies every depends_on (replicas of a service share theirs and come together). */
function startOrder(processes: NativeProcess[]): NativeProcess[] {
  const placed = new Set<string>();
  const out: NativeProcess[] = [];
  while (out.length < processes.length) {
    const ready = processes.filter(
      (p) => !placed.has(p.service) && Object.keys(p.dependsOn).every((d) => placed.has(d)),
    );
    if (ready.length === 0) throw new StackStartError('docker-compose.yml: depends_on has a cycle');
    out.push(...ready);
    for (const p of ready) placed.add(p.service);
  }
  return out;
}

export async function startNativeStack(opts: NativeStackOptions = {}): Promise<NativeStack> {
  const log = opts.log ?? new OutputLog();
  const say = opts.onEvent ?? (() => {});
  const serverDir = productionServer();
  const cli = devServerExecutable();
  if (cli.type !== 'existing-path')
    throw new StackStartError('the Temporal CLI is not provisioned: run `npm run provision`');
  const env = stackEnv(opts.env);
  const runDir = mkdtempSync(join(tmpdir(), 'airops-native-stack-'));
  const pool: number[] = [];
  for (let i = 0; i < 48; i++) pool.push(await freePort());
  const lowPool: number[] = [];
  while (lowPool.length < 8) {
    const p = await freePortBelow(32768);
    if (!lowPool.includes(p)) lowPool.push(p);
  }
  const take = (from: number[]) => () => {
    const p = from.shift();
    if (p === undefined) throw new StackStartError('ran out of free ports');
    return p;
  };
  const plan = nativePlan(loadCompose(env), {
    env,
    workers: opts.workers ?? 2,
    port: take(pool),
    lowPort: take(lowPool),
    runDir,
    serverDir,
    temporalCli: cli.path,
    pgBinDir: postgresBinDir(),
    nodePath: process.execPath,
  });
  if (opts.only) {
    const keep = new Set<string>();
    const add = (service: string) => {
      if (keep.has(service)) return;
      const ps = plan.processes.filter((p) => p.service === service);
      if (ps.length === 0) throw new StackStartError(`no compose service ${service} in the native stack`);
      keep.add(service);
      for (const p of ps) for (const dep of Object.keys(p.dependsOn)) add(dep);
    };
    for (const service of opts.only) add(service);
    plan.processes = plan.processes.filter((p) => keep.has(p.service));
  }
  const byName = new Map(plan.processes.map((p) => [p.name, p]));
  const running = new Map<string, Running>();
  let postgres: Postgres | null = null;
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const healthInterval = opts.healthIntervalMs ?? 500;

  function spawnProcess(p: NativeProcess): Running {
    for (const d of p.dirs) mkdirSync(d, { recursive: true });
    for (const l of p.links) {
      mkdirSync(dirname(l.path), { recursive: true });
      rmSync(l.path, { force: true });
      symlinkSync(l.target, l.path);
    }
    const proc = spawn(p.argv[0]!, p.argv.slice(1), { cwd: p.cwd, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (b: Buffer) => log.add(`${p.name} stdout`, b.toString()));
    proc.stderr?.on('data', (b: Buffer) => log.add(`${p.name} stderr`, b.toString()));
    const exited = new Promise<number | null>((r) => {
      proc.once('exit', (code) => r(code));
      proc.once('error', (err) => {
        log.add(`${p.name} stderr`, `${err.message}\n`);
        r(-1);
      });
    });
    const r: Running = { proc, exited, stopping: false };
    void exited.then((code) => {
      if (!r.stopping && p.kind !== 'one-shot') say(`${p.name} exited (${code ?? proc.signalCode}) after ${since()}`);
    });
    running.set(p.name, r);
    return r;
  }

  function healthy(p: NativeProcess): boolean {
    if (p.kind === 'postgres') return postgres?.ready() ?? false;
    if (!p.health) return true;
    return (
      spawnSync(p.health[0]!, p.health.slice(1), { cwd: p.cwd, env: p.env, stdio: 'ignore', timeout: 10_000 })
        .status === 0
    );
  }

  async function waitHealthy(
    p: NativeProcess,
    timeoutMs = Number(process.env.STACK_HEALTH_TIMEOUT_MS ?? 180_000),
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = running.get(p.name);
      if (p.kind !== 'postgres' && r && (r.proc.exitCode !== null || r.proc.signalCode !== null)) {
        throw new StackStartError(`${p.name} exited before it was healthy:\n${tailOf(p.name)}`);
      }
      if (healthy(p)) return;
      if (Date.now() > deadline)
        throw new StackStartError(`${p.name} not healthy within ${timeoutMs} ms:\n${tailOf(p.name)}`);
      await sleep(healthInterval);
    }
  }

  const tailOf = (name: string) =>
    log.chunks
      .filter((c) => c.source.startsWith(`${name} `))
      .map((c) => c.text)
      .join('')
      .split('\n')
      .slice(-30)
      .join('\n');

  async function startOne(p: NativeProcess): Promise<void> {
    if (p.kind === 'postgres') {
      postgres = await startPostgres({
        user: p.env.POSTGRES_USER!,
        password: p.env.POSTGRES_PASSWORD!,
        port: p.ports[5432]!,
        log,
      });
      say(`${p.name} healthy after ${since()} (port ${postgres.port})`);
      return;
    }
    const r = spawnProcess(p);
    if (p.kind === 'one-shot') {
      const code = await r.exited;
      if (code !== 0) throw new StackStartError(`${p.name} exited ${code}:\n${tailOf(p.name)}`);
      say(`${p.name} completed after ${since()}`);
      return;
    }
    await waitHealthy(p);
    say(`${p.name} healthy after ${since()}`);
  }

  async function stopOne(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const r = running.get(name);
    if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) return;
    r.stopping = true;
    r.proc.kill(signal);
    const timer = setTimeout(() => r.proc.kill('SIGKILL'), 60_000);
    await r.exited;
    clearTimeout(timer);
  }

  const order = startOrder(plan.processes);
  const stop = async () => {
    for (const p of [...order].reverse()) if (p.kind !== 'postgres') await stopOne(p.name);
    await postgres?.stop();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    // Each service waits for its dependencies' conditions; services whose conditions hold start together.
    const started = new Map<string, Promise<void>>();
    const serviceDone = (service: string) =>
      Promise.all(plan.processes.filter((q) => q.service === service).map((q) => started.get(q.name)!));
    for (const p of order) {
      started.set(
        p.name,
        Promise.all(Object.keys(p.dependsOn).map(serviceDone)).then(() => startOne(p)),
      );
    }
    await Promise.all(started.values());
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const healthyAfterMs = performance.now() - t0;
  const hooks = byName.get('webhooks');
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  return {
    plan,
    env,
    temporalAddress: plan.address('temporal', 7233),
    namespace,
    taskQueue: env.TASK_QUEUE || 'airops-batches',
    webhookUrl: hooks ? webhookUrlFor(`http://127.0.0.1:${hooks.env.WEBHOOK_PORT}`, env.WEBHOOK_SECRET!) : '',
    simulatorUrl: byName.has('simulator') ? `http://${plan.address('simulator', 8787)}` : null,
    healthyAfterMs,
    log,
    pids: (name) => {
      if (name === 'server') {
        const server = running.get('temporal')?.proc.pid;
        return [...(server === undefined ? [] : [server]), ...(postgres?.pids() ?? [])];
      }
      const pid = running.get(name)?.proc.pid;
      return pid === undefined ? [] : [pid];
    },
    kill: (name, signal = 'SIGKILL') => stopOne(name, signal),
    start: async (name) => {
      const p = byName.get(name);
      if (!p || p.kind === 'postgres' || p.kind === 'one-shot') throw new Error(`cannot start ${name} again`);
      await startOne(p);
    },
    stop,
  };
}
