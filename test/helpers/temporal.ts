// Real Temporal servers for test suites: the time-skipping Java test server and the Temporal CLI dev server,
// both launched through `server.executable = { type: 'existing-path' }` from what `npm run provision` installed.
// A missing server is an error naming the fix, never a skip.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { registerTrackerSearchAttributes } from '../../testing';
import { WORKFLOWS_PATH, bundleTrackerWorkflows } from '../../worker/worker';
import { devServerExecutable, sdkExecutable, testServerExecutable } from '../../scripts/temporal-servers';
import { announceEnv } from './replay-net';

// Worker lifecycle chatter drowns test output; warnings and errors still show. TEST_LOG_LEVEL=INFO for more.
try {
  Runtime.install({ logger: new DefaultLogger((process.env.TEST_LOG_LEVEL as 'INFO' | undefined) ?? 'WARN') });
} catch {
  // already installed by another helper in this process
}

/** A time-skipping environment on the Java test server (one JVM per call, started quickly from the CDS archive). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const exe = testServerExecutable();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: sdkExecutable(exe) } });
  await registerTrackerSearchAttributes(env);
  return announce(env, 'time-skipping');
}

export interface DevServerEnvOptions {
  /** Persist to this SQLite file (for restart tests); in-memory otherwise. */
  dbFilename?: string;
  /** Start the Web UI on this port (browser tests). */
  uiPort?: number;
  namespace?: string;
  /** Extra `temporal server start-dev` arguments, e.g. `--dynamic-config-value key=value`. */
  extraArgs?: string[];
  /** false: not read by the replay net (the net's own server on another process's database). */
  replayNet?: false;
}

/** A dev-server environment (real server, SQLite) with the project's custom search attributes registered. */
export async function createDevServerEnv(opts: DevServerEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const exe = devServerExecutable();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: sdkExecutable(exe),
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
    },
  });
  return opts.replayNet === false ? env : announce(env, 'dev-server');
}

/** Every server started here is announced to the replay net (test/helpers/replay-net.ts), which replays its workflows. */
function announce(env: TestWorkflowEnvironment, kind: 'dev-server' | 'time-skipping'): TestWorkflowEnvironment {
  announceEnv(env, kind);
  return env;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundles a workflows module once per test process (webpack is the slow part of a worker start). */
export function workflowBundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    // The tracker's own code is bundled as the worker bundles it (shared pure modules); other paths are test fixtures.
    b =
      workflowsPath === WORKFLOWS_PATH
        ? bundleTrackerWorkflows({ logger: quietLogger })
        : bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    bundles.set(workflowsPath, b);
  }
  return b;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** A unique task queue per test, so tests sharing a server never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
