// The demo's embedded Temporal: the provisioned Temporal CLI dev server (`temporal server start-dev`) with its Web
// UI, persisted to a SQLite file, our search attributes registered, its logs in a file next to the database.
// Where provisioning fell back to the SDK's own download (no Go on this machine), the SDK starts the same server.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerExecutable, sdkExecutable } from '../scripts/temporal-servers';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/contract';
import { searchAttributeTypeName } from '../client/search-attribute-preflight';

export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

export interface EmbeddedTemporal {
  /** host:port of the gRPC frontend. */
  address: string;
  /** Base URL of the Web UI, e.g. http://localhost:8233. */
  uiUrl: string;
  namespace: string;
  /** The server process id (null when the SDK started it). */
  pid: number | null;
  stop(): Promise<void>;
}

export interface EmbeddedTemporalOptions {
  dbFile: string;
  logFile: string;
  /** Preferred ports; null/undefined = the defaults (7233/8233) when free, else any free port; 0 = any free port. */
  port?: number | null;
  uiPort?: number | null;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export class EmbeddedTemporalError extends Error {
  override readonly name = 'EmbeddedTemporalError';
}

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The preferred port when free, any free port otherwise; an explicit port must be free. */
async function pickPort(requested: number | null | undefined, preferred: number, what: string): Promise<number> {
  if (requested === 0) return freePort();
  if (requested !== null && requested !== undefined) {
    if (!(await portFree(requested))) throw new EmbeddedTemporalError(`${what} port ${requested} is already in use`);
    return requested;
  }
  return (await portFree(preferred)) ? preferred : freePort();
}

function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

export async function startEmbeddedTemporal(opts: EmbeddedTemporalOptions): Promise<EmbeddedTemporal> {
  const env = opts.env ?? process.env;
  const namespace = opts.namespace ?? 'default';
  const exe = devServerExecutable(env);
  const port = await pickPort(opts.port, DEFAULT_TEMPORAL_PORT, 'Temporal');
  const uiPort = await pickPort(opts.uiPort, port === DEFAULT_TEMPORAL_PORT ? DEFAULT_UI_PORT : port + 1000, 'Web UI');
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const uiUrl = `http://localhost:${uiPort}`;

  if (exe.type === 'cached-download') {
    // No Go here: the SDK downloads and starts the same dev server (its output goes to our stdout).
    const testEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: sdkExecutable(exe),
        ip: '127.0.0.1',
        port,
        ui: true,
        uiPort,
        dbFilename: opts.dbFile,
        namespace,
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
      },
    });
    return { address: `127.0.0.1:${port}`, uiUrl, namespace, pid: null, stop: () => testEnv.teardown() };
  }

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
    ...(namespace !== 'default' ? ['--namespace', namespace] : []),
    ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${searchAttributeTypeName(k.type)}`]),
  ];
  const log = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(exe.path, args, { stdio: ['ignore', log, log], env: { ...env } });
  } finally {
    closeSync(log);
  }
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', () => resolve());
  });

  const stop = async () => {
    if (exited !== null || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) {
      const e = exited as { code: number | null; signal: NodeJS.Signals | null };
      throw new EmbeddedTemporalError(
        `the Temporal dev server exited during start (code ${e.code ?? e.signal}): ${tail(opts.logFile)}`,
      );
    }
    if ((await tcpOpen(port)) && (await tcpOpen(uiPort))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new EmbeddedTemporalError(`the Temporal dev server did not open ports ${port}/${uiPort} within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address: `127.0.0.1:${port}`, uiUrl, namespace, pid: child.pid ?? null, stop };
}
