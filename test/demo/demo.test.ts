// The one-command demo end to end, as `npm start` runs it but non-interactively (no TTY, CI set): a child process
// starts the embedded Temporal dev server, the simulator and a worker, creates a batch, follows it to `completed`
// and exits 0 with everything stopped. A second run is interrupted with SIGINT: exit 130, nothing left running.
// Measured on the way (diagnostics): time to the first progress line, and the RSS of the whole process tree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSimulator } from '../../simulator/server';
import { replayNet, watchDatabase } from '../../kit/helpers/replay-net';

replayNet(__filename);

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'client', 'cli', 'main.ts');
const PROGRESS_LINE = /^\[\d\d:\d\d\] /m;

/** Every descendant of `pid` (from /proc), including itself. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

interface DemoRun {
  child: ChildProcess;
  stdout: () => string;
  exit: Promise<number | null>;
  firstProgressMs: Promise<number>;
  /** Peak RSS of the process tree (MB) and what it was made of at that moment. */
  peak: () => { mb: number; processes: number };
}

function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): DemoRun {
  const started = Date.now();
  if (args.includes('--db')) watchDatabase(args[args.indexOf('--db') + 1]!); // the replay net reads it after the test
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', OLOSTEP_API_KEY: '', TEMPORAL_ADDRESS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let resolveFirst: (ms: number) => void = () => undefined;
  const firstProgressMs = new Promise<number>((r) => (resolveFirst = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (PROGRESS_LINE.test(out)) resolveFirst(Date.now() - started);
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let peak = { mb: 0, processes: 0 };
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    const tree = processTree(child.pid);
    const kb = tree.reduce((sum, p) => sum + rssKb(p), 0);
    if (kb / 1024 > peak.mb) peak = { mb: Math.round(kb / 1024), processes: tree.length };
  }, 250);
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      clearInterval(sampler);
      r(code);
    }),
  );
  return { child, stdout: () => `${out}${err ? `\n[stderr]\n${err}` : ''}`, exit, firstProgressMs, peak: () => peak };
}

describe('npm start (the demo), non-interactive', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'airops-demo-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs to completed with exit 0, prints the UI link, and stops everything', async (t) => {
    const db = join(tmp, 'a', 'demo.db');
    const run = startDemo(['--time-scale', '150', '--port', '0', '--ui-port', '0', '--db', db]);
    const code = await run.exit;
    const out = run.stdout();
    assert.equal(code, 0, out);
    const first = await run.firstProgressMs;
    const ui = /Web UI http:\/\/localhost:(\d+)/.exec(out);
    const grpc = /Temporal dev server 127\.0\.0\.1:(\d+)/.exec(out);
    assert.ok(ui && grpc, out);
    assert.match(out, /✓ AirOps simulator http:\/\/127\.0\.0\.1:\d+ at 150x/);
    assert.match(out, /✓ worker on task queue airops-demo/);
    assert.match(out, /✓ webhook receiver http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /✓ created demo batch (batch_\w+) \(100 URLs, scenario happy\)/);
    const batchId = /created demo batch (batch_\w+)/.exec(out)![1]!;
    const link = `http://localhost:${ui[1]}/namespaces/default/workflows/airops-batch-${batchId}`;
    assert.ok(out.includes(`Temporal UI: ${link}`), 'the UI link to the workflow');
    assert.match(out, /✓ completed after \d+s · scraped 100\/100 \(0 failed\) · enriched \d+\/\d+ \(0 failed\)/);
    assert.match(out, /stopped: webhook receiver, worker, connections, simulator, Temporal dev server/);
    assert.ok(PROGRESS_LINE.test(out), 'plain progress lines, not bars');
    assert.ok(!out.includes('\u001b['), 'no terminal escape codes without a TTY');
    // Persisted to the SQLite file; nothing left listening.
    assert.ok(existsSync(db));
    assert.equal(await portOpen(Number(grpc[1])), false, 'the dev server stopped');
    assert.equal(await portOpen(Number(ui[1])), false, 'the UI stopped');
    const peak = run.peak();
    const bundle = /workflow bundle (from cache|built)/.exec(out)?.[1] ?? '?';
    t.diagnostic(
      `first progress line after ${first} ms (workflow bundle ${bundle}); peak RSS of the process tree ${peak.mb} MB (${peak.processes} processes)`,
    );
  });

  it('with OLOSTEP_API_KEY and a batch id: tracks that batch at OLOSTEP_BASE_URL instead of creating one', async () => {
    // The simulator stands in for api.olostep.com: the demo only sees a base URL, a key and an existing batch.
    const api = await startSimulator({ apiKey: 'sk_demo_REAL_MODE_5e6f', timeScale: 100, seed: `real-${Date.now()}` });
    try {
      const batch = api.createBatch(
        {
          items: Array.from({ length: 8 }, (_, i) => ({ url: `https://example.test/r/${i}`, custom_id: `r${i}` })),
        },
        { scenario: 'happy', durations: { scrapingMs: 100_000, enrichingMs: 200_000 } },
      );
      const run = startDemo(['--port', '0', '--ui-port', '0', '--db', join(tmp, 'c', 'demo.db'), batch.id], {
        OLOSTEP_API_KEY: 'sk_demo_REAL_MODE_5e6f',
        OLOSTEP_BASE_URL: api.url,
      });
      const code = await run.exit;
      const out = run.stdout();
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`tracking the real AirOps batch ${batch.id} at ${api.url.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(out, /AirOps simulator|created demo batch/);
      assert.match(out, /✓ worker on task queue airops-batches/);
      assert.match(out, /✓ completed after \d+s · scraped 8\/8/);
      assert.ok(!out.includes('sk_demo_REAL_MODE_5e6f'), 'the key is never printed');
    } finally {
      await api.close();
    }
  });

  it('Ctrl-C (SIGINT) mid-batch: exit 130, the demo tracker cancelled, everything stopped', async () => {
    const run = startDemo(['--time-scale', '20', '--port', '0', '--ui-port', '0', '--db', join(tmp, 'b', 'demo.db')]);
    await run.firstProgressMs;
    const out0 = run.stdout();
    const grpc = /Temporal dev server 127\.0\.0\.1:(\d+)/.exec(out0);
    assert.ok(grpc, out0);
    run.child.kill('SIGINT');
    const code = await run.exit;
    const out = run.stdout();
    assert.equal(code, 130, out);
    assert.match(out, /interrupted: demo tracker cancelled/);
    assert.match(out, /stopped: webhook receiver, worker, connections, simulator, Temporal dev server/);
    assert.equal(await portOpen(Number(grpc[1])), false, 'the dev server stopped');
  });
});
