// The provisioned Temporal CLI dev server, spawned directly (not through the SDK) so the benchmark knows its pid
// (for /proc CPU and RSS), can pass tuned flags, and stops exactly the process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { devServerExecutable } from '../../scripts/temporal-servers';
import { sleep } from './common';
import type { BenchServer } from './native-server';

export interface DevServer extends BenchServer {
  kind: 'dev';
  pid: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const SA_TYPE = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as const;

/** Starts `temporal server start-dev` (in-memory SQLite, headless) and waits until its frontend answers. */
export async function startDevServer(opts: { dynamicConfig?: Record<string, unknown> } = {}): Promise<DevServer> {
  const exe = devServerExecutable();
  if (exe.type !== 'existing-path')
    throw new Error('the benchmarks need the provisioned dev server: npm run provision');
  const port = await freePort();
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'error',
    ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SA_TYPE[k.type]}`]),
    ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => [
      '--dynamic-config-value',
      `${k}=${JSON.stringify(v)}`,
    ]),
  ];
  const child: ChildProcess = spawn(exe.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited (${child.exitCode}): ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        const sa = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
        if (ALL_SEARCH_ATTRIBUTES.every((k) => sa.customAttributes?.[k.name] !== undefined)) break;
      } finally {
        await conn.close();
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dev server did not answer within 60 s: ${stderr}`);
    }
    await sleep(250);
  }
  return {
    kind: 'dev',
    address,
    pid: child.pid as number,
    pids: () => [child.pid as number],
    args,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
