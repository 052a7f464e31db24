// Real processes for the reliability scenarios: the worker (worker/main.ts, as production runs it), the webhook
// receiver (webhooks/main.ts), the CLI (bin/airops.mjs) and a Temporal dev server we launch ourselves on a fixed
// port with a persisted SQLite file, so it can be stopped and started again. Every byte they print is kept in an
// OutputLog, which the secrets scenario scans.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { PROVISION_COMMAND, devServerExecutable } from '../../scripts/temporal-servers';

export const ROOT = join(__dirname, '..', '..');

/** Everything the processes of a scenario printed, by source (`worker#3 stderr`, `receiver stdout`, …). */
export class OutputLog {
  readonly chunks: { source: string; text: string }[] = [];
  add(source: string, text: string): void {
    this.chunks.push({ source, text });
  }
  text(): string {
    return this.chunks.map((c) => c.text).join('');
  }
  /** Number of non-empty lines printed. */
  lines(): number {
    return this.text()
      .split('\n')
      .filter((l) => l.trim() !== '').length;
  }
  tail(n = 20): string {
    return this.text().split('\n').slice(-n).join('\n');
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A loopback port that was free a moment ago (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends `signal` and resolves once the process has exited (at once if it already has). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function capture(child: ChildProcess, source: string, log: OutputLog, onText?: (text: string) => void): void {
  child.stdout?.on('data', (b: Buffer) => {
    const text = b.toString();
    log.add(`${source} stdout`, text);
    onText?.(text);
  });
  child.stderr?.on('data', (b: Buffer) => {
    const text = b.toString();
    log.add(`${source} stderr`, text);
    onText?.(text);
  });
}

/** Spawns a TypeScript entry point through tsx and resolves once it prints `readyPattern`. */
function startTsProcess(opts: {
  entry: string;
  env: Record<string, string>;
  source: string;
  log: OutputLog;
  readyPattern: RegExp;
  readyTimeoutMs?: number;
}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, opts.entry)], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.source} not ready within ${opts.readyTimeoutMs ?? 60_000} ms: ${seen.slice(-2000)}`));
    }, opts.readyTimeoutMs ?? 60_000);
    capture(child, opts.source, opts.log, (text) => {
      seen += text;
      if (opts.readyPattern.test(seen)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${opts.source} exited (${code ?? signal}) before it was ready: ${seen.slice(-2000)}`));
    });
  });
}

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  baseUrl: string;
  apiKey: string;
  log: OutputLog;
  /** Tag for the log, e.g. `worker#3`. */
  source?: string;
  /** Extra environment, e.g. OLOSTEP_TIMEOUT_MS, RESULTS_DIR, LOG_LEVEL. */
  env?: Record<string, string>;
}

/** worker/main.ts as its own process; resolves when it logs `worker ready` (it bundles the workflows first). */
export function startWorkerProcess(opts: WorkerProcessOptions): Promise<ChildProcess> {
  return startTsProcess({
    entry: join('worker', 'main.ts'),
    env: {
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: opts.taskQueue,
      OLOSTEP_BASE_URL: opts.baseUrl,
      OLOSTEP_API_KEY: opts.apiKey,
      // A killed worker never drains; a stopped one should not hold the scenario up.
      SHUTDOWN_GRACE_MS: '1000',
      ...opts.env,
    },
    source: opts.source ?? 'worker',
    log: opts.log,
    readyPattern: /worker ready/,
  });
}

/** webhooks/main.ts as its own process; resolves with its base URL once it says it is ready. */
export async function startReceiverProcess(opts: {
  address: string;
  taskQueue: string;
  secret: string;
  port: number;
  log: OutputLog;
  /** Extra environment, e.g. WEBHOOK_BODY_LIMIT. */
  env?: Record<string, string>;
}): Promise<{ child: ChildProcess; baseUrl: string; taskQueue: string }> {
  const child = await startTsProcess({
    entry: join('webhooks', 'main.ts'),
    env: {
      TEMPORAL_ADDRESS: opts.address,
      TASK_QUEUE: opts.taskQueue,
      WEBHOOK_SECRET: opts.secret,
      WEBHOOK_PORT: String(opts.port),
      WEBHOOK_HOST: '127.0.0.1',
      ...opts.env,
    },
    source: 'receiver',
    log: opts.log,
    readyPattern: /webhook receiver ready/,
  });
  return { child, baseUrl: `http://127.0.0.1:${opts.port}`, taskQueue: opts.taskQueue };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `bin/airops.mjs <args>` as a child process (what a user types), with its output kept in `log`. */
export function runCli(args: string[], opts: { env?: Record<string, string>; log: OutputLog }): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'airops.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      opts.log.add(`cli ${args[0] ?? ''} stdout`, stdout);
      opts.log.add(`cli ${args[0] ?? ''} stderr`, stderr);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const SEARCH_ATTRIBUTE_TYPE = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as const;

/**
 * A Temporal dev server we launch ourselves (`temporal server start-dev --db-filename <file> --port <port>`), so it
 * can be stopped and started again on the same address with its state intact.
 */
export class DevServerProcess {
  readonly address: string;
  private child: ChildProcess | null = null;
  private starts = 0;

  constructor(
    readonly opts: { dbFilename: string; port: number; log: OutputLog },
    private readonly executable: string = DevServerProcess.executablePath(),
  ) {
    this.address = `127.0.0.1:${opts.port}`;
  }

  static executablePath(): string {
    const exe = devServerExecutable();
    if (exe.type !== 'existing-path') {
      throw new Error(
        `the server-restart scenario launches the Temporal CLI itself and needs a provisioned binary: run \`${PROVISION_COMMAND}\` with Go installed (or set TEMPORAL_CLI_PATH)`,
      );
    }
    return exe.path;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the server and resolves once its frontend answers GetSystemInfo. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child !== null) throw new Error('dev server already running');
    const n = ++this.starts;
    const args = [
      'server',
      'start-dev',
      '--db-filename',
      this.opts.dbFilename,
      '--port',
      String(this.opts.port),
      '--ip',
      '127.0.0.1',
      '--headless',
      '--log-level',
      'warn',
      ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SEARCH_ATTRIBUTE_TYPE[k.type]}`]),
    ];
    const child = spawn(this.executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    capture(child, `dev-server#${n}`, this.opts.log);
    this.child = child;
    // An object, not a `let`: TypeScript would narrow a closure-assigned `let` to its initial null.
    const state: { exited: string | null } = { exited: null };
    child.once('exit', (code, signal) => {
      state.exited = String(code ?? signal);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (state.exited !== null)
        throw new Error(`dev server exited (${state.exited}) on start: ${this.opts.log.tail()}`);
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.getSystemInfo({});
          return;
        } finally {
          await connection.close();
        }
      } catch {
        if (Date.now() > deadline) throw new Error(`dev server not answering on ${this.address}`);
        await sleep(200);
      }
    }
  }

  /** Stops the server (SIGTERM: a clean stop; SIGKILL: a crash) and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === null) return;
    await stopProcess(child, signal);
    this.child = null;
  }
}
