// Shared plumbing for the benchmarks: statistics, tables, the machine's description, process CPU/RSS from /proc,
// and writing bench/results/<name>.json. No Temporal here.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { devServerExecutable, testServerExecutable, TEST_SERVER_VERSION } from '../../scripts/temporal-servers';

export const RESULTS_DIR = join(__dirname, '..', 'results');

// ---- statistics ----

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (p in [0, 100]). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean,
  };
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "12.3 s" / "840 ms" for a duration in ms. */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return Math.abs(x) >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

/** "0.08×" style ratio, ours / baseline. */
export function ratio(ours: number, baseline: number): number | null {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return null;
  return round(ours / baseline, 3);
}

// ---- output ----

/** A plain-text table: left-aligned first column, right-aligned others. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function readResult<T>(name: string): T | null {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as T;
  } catch {
    return null;
  }
}

// ---- the machine ----

export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  java: string;
  temporalCli: string;
  testServer: string;
  kernel: string;
  loadavg: number[];
}

function firstLine(cmd: string, args: string[]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return out.split('\n')[0]?.trim() ?? '?';
  } catch (err) {
    const e = err as { stderr?: string };
    return (e.stderr ?? '').split('\n')[0]?.trim() || '?';
  }
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? '?';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // not Linux
  }
  let temporalCli = '?';
  try {
    const exe = devServerExecutable();
    if (exe.type === 'existing-path') temporalCli = firstLine(exe.path, ['--version']);
  } catch {
    // not provisioned
  }
  let testServer = `io.temporal:temporal-test-server:${TEST_SERVER_VERSION}`;
  try {
    if (testServerExecutable().type !== 'existing-path') testServer += ' (SDK download)';
  } catch {
    testServer += ' (not provisioned)';
  }
  // `java -version` prints on stderr.
  const javaRun = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const java = (javaRun.stderr ?? '').split('\n')[0]?.trim() || '?';
  return {
    nproc: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    cpuModel,
    node: process.version,
    java,
    temporalCli,
    testServer,
    kernel: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((l) => round(l, 2)),
  };
}

// ---- processes ----

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  /** Wall ms (performance-style, Date.now()) when sampled. */
  at: number;
  /** utime + stime of the process, ms. */
  cpuMs: number;
  rssBytes: number;
}

/** The fields of /proc/<pid>/stat after the parenthesised comm (field 3 onwards), or null when it is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
const ticksMs = (...ticks: (string | undefined)[]) => (ticks.reduce((a, t) => a + Number(t), 0) * 1000) / CLK_TCK;

/** CPU time (utime 14 + stime 15) and RSS (24, pages) of one process (null when it is gone). */
export function procSample(pid: number): ProcSample | null {
  const f = statFields(pid);
  return f ? { at: Date.now(), cpuMs: ticksMs(f[11], f[12]), rssBytes: Number(f[21]) * 4096 } : null;
}

/** Whole-machine CPU from /proc/stat: busy and total jiffies (all cores). */
export function machineCpuSample(): { at: number; busyMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { at: Date.now(), busyMs: ((total - idle) * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

/**
 * One or several processes as one: CPU is each one's own plus what its exited children used (so a PostgreSQL
 * backend that ends is still counted, in its parent's), RSS the sum.
 */
export function procGroupSample(pids: number[]): ProcSample | null {
  // utime 14, stime 15, cutime 16, cstime 17.
  const all = pids.map(statFields).filter((f): f is string[] => f !== null);
  if (all.length === 0) return null;
  return {
    at: Date.now(),
    cpuMs: all.reduce((a, f) => a + ticksMs(f[11], f[12], f[13], f[14]), 0),
    rssBytes: all.reduce((a, f) => a + Number(f[21]) * 4096, 0),
  };
}

/** Samples each named process (a pid) or group of processes (a function giving the current pids) every interval. */
export function processMonitor(pids: Record<string, number | (() => number[])>, intervalMs = 1_000) {
  const samples: Record<string, ProcSample[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
  // The whole machine, as a pseudo-process: what every process (ours and anyone else's) used; rss unused.
  samples.machine = [];
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const s = typeof pid === 'number' ? procSample(pid) : procGroupSample(pid());
      if (s) samples[name]?.push(s);
    }
    const m = machineCpuSample();
    if (m) samples.machine?.push({ at: m.at, cpuMs: m.busyMs, rssBytes: 0 });
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    samples,
    /** Usage between `from` and now (wall ms; default: since the monitor started). */
    report(from?: number): Record<string, ProcUsage> {
      take();
      const out: Record<string, ProcUsage> = {};
      for (const [name, list] of Object.entries(samples)) {
        const window = from === undefined ? list : list.filter((s) => s.at >= from);
        const first = window[0];
        const last = window[window.length - 1];
        if (!first || !last) continue;
        const wall = last.at - first.at;
        out[name] = {
          ...(name === 'machine' ? { loadavg: os.loadavg().map((l) => round(l, 2)) } : {}),
          cpuPercent: wall > 0 ? round(((last.cpuMs - first.cpuMs) / wall) * 100, 1) : NaN,
          cpuMs: round(last.cpuMs - first.cpuMs),
          wallMs: wall,
          rssPeakMiB: round(Math.max(...window.map((s) => s.rssBytes)) / 2 ** 20, 1),
          rssLastMiB: round(last.rssBytes / 2 ** 20, 1),
        };
      }
      return out;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export interface ProcUsage {
  /** Only on the `machine` entry: the load average when the report was taken. */
  loadavg?: number[];
  /** Average CPU over the window, % of one core (200 % = two cores busy). */
  cpuPercent: number;
  cpuMs: number;
  wallMs: number;
  rssPeakMiB: number;
  rssLastMiB: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

export const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));
