// The replay net: every workflow a suite ran on a real Temporal server is replayed, at the end of the suite, against
// the current workflow code, so a change that breaks determinism fails the suite that exercised it (not only the
// handful of committed histories in test/histories).
//
// Wiring (one line, at the top of a test file or inside its top-level describe):
//   replayNet(__filename);                                              // tracker workflows only
//   replayNet(__filename, { bundles: { sleepDays: smokeWorkflows } }); // + a fixture's workflow types
//   replayNet(__filename, { exclude: [{ workflowType: 'x', reason: '…' }] }); // never silently: counted, listed
// Every server the suite starts through kit/helpers/temporal.ts (createDevServerEnv, createTimeSkippingEnv, so also
// the client/CLI/UI stack) is read before its teardown, or at the suite's end if still up: its executions are listed
// through visibility (dev server: ListWorkflowExecutions in every namespace; Java test server: ListOpen/ListClosed,
// the lists it implements), so workflows started by subprocesses (CLI, worker and receiver processes), children and
// every run of a continue-as-new chain are included, closed or running (a running one replays up to its last
// completed workflow task). Servers started elsewhere: `watchEnv(env)` for a TestWorkflowEnvironment made directly,
// `collectWorkflows(client)` while another server is up, `watchDatabase(file)` for the SQLite file a dev server of
// another process writes (opened with a dev server after the current test).
// Each workflow is attributed to the test that started it: the start time of its chain's first run (or its parent's)
// inside a test's [beforeEach, afterEach] window, on that server's clock (the time-skipping server's own). It is
// replayed with the bundle of its type: the tracker's (workflowBundle(WORKFLOWS_PATH), once per process), unless the
// suite names a fixture module for the type. Nondeterminism, any other replay error and a server or history that
// could not be read fail the suite; a history that failed replay is saved as
// test/histories/nondeterministic/<suite>--<test>--<workflowId>--<run>.json (git-ignored; REPLAY_NET_SAVE_DIR moves
// it), and the failure prints the command that replays it: npx tsx kit/helpers/replay-net.ts <file> [--workflows
// <module>] [--workflow-id <id>].
// Under scripts/run-tests.mjs (REPLAY_NET_DIR set) each suite writes its totals there for the run's summary line, and
// a test file that starts a server through the helpers without wiring the net is reported (and fails the run).
// Without a wired net (benchmarks, scripts) nothing here runs. REPLAY_NET=off turns it off, to measure its cost.
import { after, afterEach, beforeEach } from 'node:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Client, type ConnectionLike } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../worker/worker';
// servers.ts, not temporal.ts: that one installs the test Runtime on import, and a suite that installs its own
// (test/worker/task-failures.test.ts) must be able to wire the net first.
import { startDevServer, workflowBundle } from './servers';

export type TestEnvKind = 'dev-server' | 'time-skipping';

type History = temporal.api.history.v1.IHistory;

const ROOT = resolve(__dirname, '..', '..');
/** Where failing histories are saved (git-ignored); REPLAY_NET_SAVE_DIR overrides it (e.g. a CI artifact dir). */
export const NONDETERMINISTIC_DIR =
  process.env.REPLAY_NET_SAVE_DIR ?? join(ROOT, 'test', 'histories', 'nondeterministic');

export interface ReplayExclusion {
  /** Matches when every given field matches. */
  workflowType?: string;
  workflowId?: string | RegExp;
  test?: string | RegExp;
  /** Why these histories are not replayed: shown in the suite's result and the run's summary. */
  reason: string;
}

export interface ReplayNetOptions {
  /** Workflow type → workflows module (a test fixture) to replay it with. Other types: the tracker's bundle. */
  bundles?: Record<string, string>;
  /** Histories not replayed, each rule with its reason. Every excluded history is counted and listed. */
  exclude?: ReplayExclusion[];
}

interface Window {
  name: string;
  start: number;
  end: number | null;
  /** Start/end on each time-skipping server's own (skipped) clock. */
  serverStart: Map<Source, number>;
  serverEnd: Map<Source, number>;
}

interface Source {
  label: string;
  timeSkipping: boolean;
  env?: TestWorkflowEnvironment;
  /** The test running when the source appeared (a server started and stopped inside one test). */
  createdIn: string | null;
  state: 'live' | 'collected';
}

interface Collected {
  source: string;
  namespace: string;
  workflowId: string;
  runId: string;
  type: string;
  test: string;
  history: History;
}

interface Failure {
  kind: 'nondeterministic' | 'replay-error' | 'collect-error';
  test: string;
  source: string;
  workflowId?: string;
  runId?: string;
  type?: string;
  message: string;
  /** The saved history and the command that replays it. */
  saved?: string;
  replay?: string;
}

interface Excluded {
  test: string;
  workflowId: string;
  runId: string;
  type: string;
  reason: string;
}

/** What a suite writes to REPLAY_NET_DIR (one file per test file process), read by scripts/run-tests.mjs. */
export interface ReplayNetResult {
  suite: string;
  replayed: number;
  nondeterministic: number;
  failures: Failure[];
  excluded: Excluded[];
  byTest: Record<string, number>;
  sources: number;
  collectMs: number;
  replayMs: number;
}

class Net {
  readonly bundles = new Map<string, string>();
  readonly exclusions: ReplayExclusion[] = [];
  readonly windows: Window[] = [];
  readonly sources: Source[] = [];
  readonly pendingDatabases: { file: string; test: string | null }[] = [];
  current: Window | null = null;
  pending: Collected[] = [];
  finished = false;
  readonly result: ReplayNetResult;

  constructor(readonly suiteFile: string) {
    this.result = {
      suite: relative(ROOT, suiteFile),
      replayed: 0,
      nondeterministic: 0,
      failures: [],
      excluded: [],
      byTest: {},
      sources: 0,
      collectMs: 0,
      replayMs: 0,
    };
  }

  // ── attribution ──────────────────────────────────────────────────────────────────────────────────────────────────

  async beginTest(name: string): Promise<void> {
    const w: Window = { name, start: Date.now(), end: null, serverStart: new Map(), serverEnd: new Map() };
    await this.sampleServers(w.serverStart);
    this.windows.push(w);
    this.current = w;
  }

  async endTest(): Promise<void> {
    const w = this.current;
    if (!w) return;
    await this.sampleServers(w.serverEnd);
    w.end = Date.now();
    this.current = null;
    const dbs = this.pendingDatabases.splice(0);
    for (const db of dbs) await this.collectDatabase(db.file, db.test);
  }

  private async sampleServers(into: Map<Source, number>): Promise<void> {
    for (const s of this.sources) {
      if (!s.timeSkipping || s.state !== 'live' || !s.env) continue;
      try {
        into.set(s, await s.env.currentTimeMs());
      } catch {
        // a server being torn down: its workflows fall back to the test it was created in
      }
    }
  }

  /** The test whose window holds `startMs` (on the source's clock). */
  attribute(source: Source, startMs: number | null): string {
    if (startMs === null) return source.createdIn ?? '(unknown test)';
    let best = -1;
    for (const [i, w] of this.windows.entries()) {
      const start = source.timeSkipping ? w.serverStart.get(source) : w.start;
      if (start !== undefined && start <= startMs) best = i;
    }
    const w = this.windows[best];
    if (!w) return source.createdIn ?? '(a before hook, before the first test)';
    const end = source.timeSkipping ? (w.serverEnd.get(source) ?? null) : w.end;
    if (end === null || startMs <= end) return w.name;
    const next = this.windows[best + 1];
    return next ? `(hooks between «${w.name}» and «${next.name}»)` : `(an after hook, after «${w.name}»)`;
  }

  // ── collection ───────────────────────────────────────────────────────────────────────────────────────────────────

  addEnv(env: TestWorkflowEnvironment, kind: TestEnvKind): void {
    const source: Source = {
      label: `${kind} ${env.address}`,
      timeSkipping: kind === 'time-skipping',
      env,
      createdIn: this.current?.name ?? null,
      state: 'live',
    };
    this.sources.push(source);
    const teardown = env.teardown.bind(env);
    (env as { teardown: () => Promise<void> }).teardown = async () => {
      await this.collectSource(source);
      await teardown();
      if (this.finished) await this.finish(); // torn down after the suite's end: replay it now
    };
  }

  async collectSource(source: Source): Promise<void> {
    if (source.state !== 'live' || !source.env) return;
    source.state = 'collected';
    await this.collect(source, source.env.connection);
  }

  async collectClient(client: Client, label: string): Promise<void> {
    const source: Source = {
      label,
      timeSkipping: false,
      createdIn: this.current?.name ?? null,
      state: 'collected',
    };
    this.sources.push(source);
    await this.collect(source, client.connection, client.options.namespace);
  }

  async collectDatabase(file: string, test: string | null): Promise<void> {
    const source: Source = { label: `dev server on ${file}`, timeSkipping: false, createdIn: test, state: 'collected' };
    this.sources.push(source);
    let env: TestWorkflowEnvironment | null = null;
    const t0 = Date.now();
    let listed = 0;
    try {
      env = await startDevServer({ dbFilename: file });
      listed = await this.collect(source, env.connection);
    } catch (err) {
      this.fail({ kind: 'collect-error', test: test ?? '(unknown test)', source: source.label, message: msg(err) });
    } finally {
      await env?.teardown();
      // the server's start and stop are the net's cost too (collect() counted its own part)
      this.result.collectMs += Date.now() - t0 - listed;
    }
  }

  /** Lists every execution on the server (all namespaces) and fetches its history; returns the ms it took. */
  private async collect(source: Source, connection: ConnectionLike, onlyNamespace?: string): Promise<number> {
    const t0 = Date.now();
    this.result.sources++;
    try {
      const namespaces = onlyNamespace ? [onlyNamespace] : await listNamespaces(connection, source.timeSkipping);
      for (const namespace of namespaces) {
        const executions = await listExecutions(connection, namespace, source.timeSkipping);
        const client = new Client({ connection, namespace });
        const fetched = await mapLimit(executions, 8, async (e) => {
          try {
            return { e, history: await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory() };
          } catch (err) {
            return { e, error: err };
          }
        });
        const byRun = new Map(fetched.map((f) => [f.e.runId, f]));
        /** The start time of the run that began the chain (continue-as-new) or the parent that started it. */
        const originOf = (runId: string): number | null => {
          let f = byRun.get(runId);
          for (let hops = 0; f && hops < 1_000; hops++) {
            const attrs = f.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
            const next = attrs?.parentWorkflowExecution?.runId || attrs?.firstExecutionRunId || null;
            const up = next && next !== f.e.runId ? byRun.get(next) : undefined;
            if (!up) break;
            f = up;
          }
          return f?.e.startMs ?? null;
        };
        for (const f of fetched) {
          const test = this.attribute(source, originOf(f.e.runId));
          if (!f.history) {
            this.fail({
              kind: 'collect-error',
              test,
              source: source.label,
              workflowId: f.e.workflowId,
              runId: f.e.runId,
              type: f.e.type,
              message: `history not readable: ${msg(f.error)}`,
            });
            continue;
          }
          this.pending.push({
            source: source.label,
            namespace,
            workflowId: f.e.workflowId,
            runId: f.e.runId,
            type: f.e.type,
            test,
            history: f.history,
          });
        }
      }
    } catch (err) {
      this.fail({
        kind: 'collect-error',
        test: source.createdIn ?? this.current?.name ?? '(suite end)',
        source: source.label,
        message: `could not list the server's workflows: ${msg(err)}`,
      });
    }
    const ms = Date.now() - t0;
    this.result.collectMs += ms;
    debug(`collected ${source.label} in ${ms} ms (${this.pending.length} pending)`);
    return ms;
  }

  // ── replay ───────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Reads every server still up, replays everything not yet replayed, writes the result; throws on any failure. */
  async finish(): Promise<void> {
    const failuresBefore = this.result.failures.length;
    for (const s of this.sources) await this.collectSource(s);
    for (const db of this.pendingDatabases.splice(0)) await this.collectDatabase(db.file, db.test);
    await this.replayPending();
    this.finished = true;
    this.writeResult();
    const failures = this.result.failures.slice(failuresBefore);
    if (failures.length > 0) {
      throw new Error(
        `replay net: ${failures.length} failure(s) in ${this.result.suite}:\n` +
          failures
            .map(
              (f) =>
                `  [${f.kind}] ${f.test}: ${f.type ?? ''} ${f.workflowId ?? f.source}${f.runId ? ` (run ${f.runId})` : ''}: ${f.message}` +
                (f.replay ? `\n    replay: ${f.replay}` : ''),
            )
            .join('\n'),
      );
    }
  }

  /** The command that replays a saved failure by hand. */
  private replayCommand(f: Failure): string {
    const fixture = this.bundles.get(f.type ?? '');
    return [
      'npx tsx kit/helpers/replay-net.ts',
      f.saved ?? '',
      ...(fixture ? ['--workflows', relative(ROOT, fixture)] : []),
      ...(f.workflowId ? ['--workflow-id', `'${f.workflowId.replace(/'/g, "'\\''")}'`] : []),
    ].join(' ');
  }

  private async replayPending(): Promise<void> {
    const t0 = Date.now();
    const todo = this.pending.splice(0);
    const groups = new Map<string, Collected[]>();
    for (const c of todo) {
      const rule = this.exclusions.find((r) => excludes(r, c));
      if (rule) {
        this.result.excluded.push({
          test: c.test,
          workflowId: c.workflowId,
          runId: c.runId,
          type: c.type,
          reason: rule.reason,
        });
        continue;
      }
      const path = this.bundles.get(c.type) ?? WORKFLOWS_PATH;
      const list = groups.get(path) ?? [];
      list.push(c);
      groups.set(path, list);
    }
    for (const [path, list] of groups) {
      const bundle = await workflowBundle(path);
      let i = 0;
      while (i < list.length) {
        try {
          const replays = Worker.runReplayHistories(
            { workflowBundle: bundle },
            list.slice(i).map((c) => ({ workflowId: c.workflowId, history: c.history })),
          );
          for await (const r of replays) {
            const c = list[i++]!;
            this.replayed(c, r.error);
          }
        } catch (err) {
          // The replay worker itself failed on this history: count it, go on with the rest.
          const c = list[i++];
          if (c) this.replayed(c, err instanceof Error ? err : new Error(msg(err)));
        }
      }
    }
    this.result.replayMs += Date.now() - t0;
    debug(`replayed ${todo.length} histories in ${Date.now() - t0} ms`);
  }

  private replayed(c: Collected, error: Error | undefined): void {
    this.result.replayed++;
    this.result.byTest[c.test] = (this.result.byTest[c.test] ?? 0) + 1;
    if (!error) return;
    const nondeterministic = error instanceof DeterminismViolationError || error.name === 'DeterminismViolationError';
    if (nondeterministic) this.result.nondeterministic++;
    const failure: Failure = {
      kind: nondeterministic ? 'nondeterministic' : 'replay-error',
      test: c.test,
      source: c.source,
      workflowId: c.workflowId,
      runId: c.runId,
      type: c.type,
      message: shortReplayError(error.message),
      saved: relative(ROOT, this.save(c)),
    };
    failure.replay = this.replayCommand(failure);
    this.fail(failure);
  }

  private save(c: Collected): string {
    mkdirSync(NONDETERMINISTIC_DIR, { recursive: true });
    // The test's own name (not its describe path), unless the workflow came from a hook.
    const test = c.test.startsWith('(') ? c.test : (c.test.split(' > ').pop() ?? c.test);
    const name = [basename(this.suiteFile).replace(/(\.test)?\.ts$/, ''), test, c.workflowId, c.runId.slice(0, 8)]
      .map(slug)
      .join('--');
    const path = join(NONDETERMINISTIC_DIR, `${name}.json`);
    writeFileSync(path, historyToJSON(c.history));
    return path;
  }

  fail(f: Failure): void {
    this.result.failures.push(f);
  }

  private writeResult(): void {
    const dir = process.env.REPLAY_NET_DIR;
    if (!dir) return;
    const name = `${slug(this.result.suite)}.${process.pid}.json`;
    try {
      writeFileSync(join(dir, name), JSON.stringify(this.result, null, 2));
    } catch (err) {
      // the runner's directory is gone (a file run by hand with a stale REPLAY_NET_DIR): the suite still failed or passed
      console.error(`replay net: could not write ${name} to ${dir}: ${msg(err)}`);
    }
  }
}

let net: Net | null = null;

/**
 * Wires the replay net into the calling test file (or top-level describe): test windows for attribution, and at the
 * end every workflow the suite's servers ran is replayed; a failure fails the suite.
 */
export function replayNet(suiteFile: string, options: ReplayNetOptions = {}): void {
  if (process.env.REPLAY_NET === 'off') return; // only to measure what the net costs
  net ??= new Net(suiteFile);
  const n = net;
  for (const [type, path] of Object.entries(options.bundles ?? {})) n.bundles.set(type, path);
  n.exclusions.push(...(options.exclude ?? []));
  beforeEach(async (t) => n.beginTest((t as { fullName?: string }).fullName ?? t.name));
  afterEach(async () => n.endTest());
  after(async () => n.finish());
}

/** Called by kit/helpers/temporal.ts for every server it starts. */
export function announceEnv(env: TestWorkflowEnvironment, kind: TestEnvKind): void {
  if (net) {
    net.addEnv(env, kind);
    return;
  }
  const dir = process.env.REPLAY_NET_DIR;
  if (dir && process.env.REPLAY_NET !== 'off') {
    // A test file under `npm test` ran workflows without replayNet(__filename): the run's summary says which.
    try {
      writeFileSync(join(dir, `unwired.${process.pid}.json`), JSON.stringify({ suite: process.argv[1] ?? '?' }));
    } catch {
      // the runner's directory is gone: nothing to report to
    }
  }
}

/**
 * A server a suite created without the helpers (e.g. `TestWorkflowEnvironment.createLocal` directly): read before its
 * teardown like the helpers' own. Returns the env. No-op without a wired net.
 */
export function watchEnv<E extends TestWorkflowEnvironment>(env: E): E {
  net?.addEnv(env, env.supportsTimeSkipping ? 'time-skipping' : 'dev-server');
  return env;
}

/** Reads every workflow on a server the helpers did not start (while it is still up). No-op without a wired net. */
export async function collectWorkflows(client: Client, label = 'server'): Promise<void> {
  await net?.collectClient(client, label);
}

/**
 * A SQLite file that a dev server of another process (the demo) writes: after the current test (its processes have
 * exited by then) a dev server is started on it and its workflows read. No-op without a wired net.
 */
export function watchDatabase(dbFilename: string): void {
  net?.pendingDatabases.push({ file: dbFilename, test: net.current?.name ?? null });
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────────────────────────────

interface Execution {
  workflowId: string;
  runId: string;
  type: string;
  startMs: number | null;
}

async function listNamespaces(connection: ConnectionLike, timeSkipping: boolean): Promise<string[]> {
  if (timeSkipping) return ['default']; // the Java test server has one namespace and no ListNamespaces
  const out: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const r = await connection.workflowService.listNamespaces({ pageSize: 100, nextPageToken });
    for (const ns of r.namespaces ?? []) {
      const name = ns.namespaceInfo?.name;
      if (name && name !== 'temporal-system') out.push(name);
    }
    nextPageToken = r.nextPageToken?.length ? r.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

async function listExecutions(
  connection: ConnectionLike,
  namespace: string,
  timeSkipping: boolean,
): Promise<Execution[]> {
  const infos: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
  const svc = connection.workflowService;
  if (timeSkipping) {
    // The Java test server implements ListOpen/ListClosed (not ListWorkflowExecutions); closed includes
    // continued-as-new runs.
    for (const closed of [false, true]) {
      let nextPageToken: Uint8Array | undefined;
      do {
        const req = { namespace, maximumPageSize: 1_000, nextPageToken };
        const r = closed ? await svc.listClosedWorkflowExecutions(req) : await svc.listOpenWorkflowExecutions(req);
        infos.push(...(r.executions ?? []));
        nextPageToken = r.nextPageToken?.length ? r.nextPageToken : undefined;
      } while (nextPageToken);
    }
  } else {
    let nextPageToken: Uint8Array | undefined;
    do {
      const r = await svc.listWorkflowExecutions({ namespace, pageSize: 1_000, nextPageToken });
      infos.push(...(r.executions ?? []));
      nextPageToken = r.nextPageToken?.length ? r.nextPageToken : undefined;
    } while (nextPageToken);
  }
  const seen = new Set<string>();
  const out: Execution[] = [];
  for (const i of infos) {
    const workflowId = i.execution?.workflowId ?? '';
    const runId = i.execution?.runId ?? '';
    if (!workflowId || !runId || seen.has(runId)) continue;
    seen.add(runId);
    const s = i.startTime;
    out.push({
      workflowId,
      runId,
      type: i.type?.name ?? '',
      startMs: s ? Number(s.seconds ?? 0) * 1000 + Math.floor((s.nanos ?? 0) / 1e6) : null,
    });
  }
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

function excludes(r: ReplayExclusion, c: Collected): boolean {
  const match = (want: string | RegExp | undefined, got: string) =>
    want === undefined || (typeof want === 'string' ? want === got : want.test(got));
  return match(r.workflowType, c.type) && match(r.workflowId, c.workflowId) && match(r.test, c.test);
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'x'
  );
}

/** The core's own message (`[TMPRL1100] Nondeterminism error: …`) out of the SDK's wrapping, else the first line. */
function shortReplayError(message: string): string {
  const core = /\[TMPRL\d+\][^"]*/.exec(message)?.[0];
  return (core ?? message.split('\n')[0] ?? '').slice(0, 400);
}

function debug(text: string): void {
  if (process.env.REPLAY_NET_DEBUG) console.error(`replay net: ${text}`);
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// `npx tsx kit/helpers/replay-net.ts <history.json>… [--workflows <module>] [--workflow-id <id>]`: replays saved
// histories (default: the tracker's workflows) and prints each result; exit 1 if any fails.
if (require.main === module) {
  void (async () => {
    const files: string[] = [];
    let workflowsPath = WORKFLOWS_PATH;
    let workflowId: string | undefined;
    const args = process.argv.slice(2);
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--workflows') workflowsPath = resolve(args[++i] ?? '');
      else if (args[i] === '--workflow-id') workflowId = args[++i];
      else files.push(args[i]!);
    }
    const bundle = await workflowBundle(workflowsPath);
    let failed = 0;
    for (const f of files) {
      const history = historyFromJSON(JSON.parse(readFileSync(f, 'utf8')));
      try {
        await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId ?? basename(f, '.json'));
        console.log(`ok    ${f}`);
      } catch (err) {
        failed++;
        console.log(`FAIL  ${f}: ${msg(err)}`);
      }
    }
    process.exit(failed > 0 ? 1 : 0);
  })();
}
