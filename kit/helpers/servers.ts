// Starting the real Temporal servers and bundling workflow code, without side effects on import: the replay net
// (replay-net.ts) uses these directly, and temporal.ts wraps them for suites (test Runtime, announcement to the net).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { WORKFLOWS_PATH, bundleTrackerWorkflows } from '../../worker/worker';
import { devServerExecutable, sdkExecutable } from '../../scripts/temporal-servers';

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
export async function startDevServer(opts: DevServerEnvOptions = {}): Promise<TestWorkflowEnvironment> {
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
