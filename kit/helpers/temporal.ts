// Real Temporal servers for test suites: the time-skipping Java test server and the Temporal CLI dev server,
// both launched through `server.executable = { type: 'existing-path' }` from what `npm run provision` installed.
// A missing server is an error naming the fix, never a skip.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { registerTrackerSearchAttributes } from '../../testing';
import { sdkExecutable, testServerExecutable } from '../../scripts/temporal-servers';
import { announceEnv } from './replay-net';
import { startDevServer, type DevServerEnvOptions } from './servers';

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

export type { DevServerEnvOptions } from './servers';
export { workflowBundle } from './servers';

/** A dev-server environment (real server, SQLite) with the project's custom search attributes registered. */
export async function createDevServerEnv(opts: DevServerEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const env = await startDevServer(opts);
  return opts.replayNet === false ? env : announce(env, 'dev-server');
}

/** Every server started here is announced to the replay net (kit/helpers/replay-net.ts), which replays its workflows. */
function announce(env: TestWorkflowEnvironment, kind: 'dev-server' | 'time-skipping'): TestWorkflowEnvironment {
  announceEnv(env, kind);
  return env;
}

/** A unique task queue per test, so tests sharing a server never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
