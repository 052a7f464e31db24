// The tracker worker of ANY checkout of this repository (e.g. a `git worktree` of an older commit), as its own
// process: that tree's bench/lib/fleet-worker.ts (its production createTrackerWorker and its workflow bundle). So a
// benchmark in this tree can measure the worker and workflow code of another commit, before/after a change, while
// the client, simulator and dev server stay the same. Each tree gets its own bundle cache (AIROPS_CACHE_DIR), so two
// trees never evict each other's bundle.
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheDir } from '../../scripts/temporal-servers';
import type { FleetWorkerConfig, FleetWorkerMessage } from './fleet-worker';

export const THIS_TREE = resolve(__dirname, '..', '..');

export interface TreeInfo {
  /** `this` for the checkout the benchmark runs from, else `other`. No paths: results are committed. */
  which: 'this' | 'other';
  commit: string;
  /** Uncommitted changes under the directories the worker runs (workflows, activities, worker, olostep). */
  dirty: boolean;
  subject: string;
}

export function treeInfo(tree: string): TreeInfo {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', tree, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let commit = '?';
  let subject = '?';
  let dirty = false;
  try {
    commit = git('rev-parse', '--short=12', 'HEAD');
    subject = git('log', '-1', '--format=%s');
    dirty = git('status', '--porcelain', '--', 'workflows', 'activities', 'worker', 'olostep') !== '';
  } catch {
    // not a git checkout
  }
  return { which: realpathSync(tree) === realpathSync(THIS_TREE) ? 'this' : 'other', commit, dirty, subject };
}

export interface TreeWorker {
  pid: number;
  stats: FleetWorkerMessage[];
  /** Lines the worker logged that matched `quiet` (counted, not printed), by pattern. */
  quietened: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Worker log records counted instead of printed (the counts go to the results): the SDK's warning for a workflow
 * task over 5 s (a local activity holding the task behind a slow API logs one per task), the SDK core's errors seen
 * in that situation, and what the benchmark's own teardown causes: activities cut off when it stops the worker,
 * tasks of trackers it terminated while the task ran.
 */
const QUIET: Record<string, RegExp> = {
  workflowTaskOver5s: /TMPRL1104/,
  // The SDK core's own complaints seen with a local activity behind a slow API, counted for the results.
  queryTaskExpiredBeforeAnswer: /Query not found when attempting to respond/,
  newWorkflowTaskWhileOneOutstanding: /Trying to send a new WFT for a run which already has one/,
  activityAbortedAtStop: /request aborted by the caller/,
  taskOfTerminatedRun: /Task not found when completing/,
};

/** Forks `<tree>/bench/lib/fleet-worker.ts` with `config` and waits until it polls. */
export async function startTreeWorker(tree: string, config: FleetWorkerConfig): Promise<TreeWorker> {
  const entry = join(tree, 'bench', 'lib', 'fleet-worker.ts');
  if (!existsSync(entry)) throw new Error(`no bench/lib/fleet-worker.ts in the tree to measure (${entry})`);
  const treeKey = createHash('sha256').update(realpathSync(tree)).digest('hex').slice(0, 12);
  const child: ChildProcess = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
    env: {
      ...process.env,
      FLEET_WORKER_CONFIG: JSON.stringify(config),
      AIROPS_CACHE_DIR: join(cacheDir(), 'bench-trees', treeKey),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const quietened: Record<string, number> = {};
  for (const [stream, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    // A log record may span lines (an object or an error with its stack: indented or closing lines follow the
    // first); each record is printed or counted as a whole.
    let record: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      if (record.length === 0) return;
      const text = record.join('\n');
      record = [];
      const hit = Object.entries(QUIET).find(([, re]) => re.test(text));
      if (hit) quietened[hit[0]] = (quietened[hit[0]] ?? 0) + 1;
      else to.write(`${text}\n`);
    };
    const lines = createInterface({ input: stream as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!/^(\s|[}\]])/.test(line)) flush();
      record.push(line);
      clearTimeout(timer);
      timer = setTimeout(flush, 200);
    });
    lines.on('close', flush);
  }
  const stats: FleetWorkerMessage[] = [];
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, reject) => {
    child.on('message', (m: FleetWorkerMessage) => {
      if (m.type === 'ready') res();
      else stats.push(m);
    });
    void exited.then((code) => reject(new Error(`worker of the measured tree exited (${code}) before it was ready`)));
  });
  const statsTimer = setInterval(() => child.connected && child.send({ type: 'stats' }), 5_000);
  statsTimer.unref();
  return {
    pid: child.pid as number,
    stats,
    quietened,
    async stop() {
      clearInterval(statsTimer);
      if (child.exitCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
