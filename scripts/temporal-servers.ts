// Where the two real Temporal servers come from, in one place: the provisioning CLI (scripts/provision.ts),
// the test helpers and the demo all resolve them here, so versions and paths are pinned once.
//
// - Dev server: the Temporal CLI, built from the Go module proxy (`go install ...@v1.5.1`).
// - Time-skipping test server: the Maven artifact io.temporal:temporal-test-server, its runtime classpath resolved by
//   Maven, run through a wrapper script with a class-data-sharing archive so the JVM starts well inside the SDK's ~5 s.
// - Production server (the native stack, kit/stack): the Temporal server and its SQL schema tool, built from the Go
//   module proxy at the version the dev server embeds, with the server's own config template and PostgreSQL schema
//   copied from the same module.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Later tags carry a replace directive that `go install` rejects. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEST_SERVER_ARTIFACT = 'io.temporal:temporal-test-server';
export const TEST_SERVER_VERSION = '1.38.0';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The server the dev server (Temporal CLI v1.5.1) embeds; docker-compose.yml pins the same tag (test/deploy checks). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The packages `go install` builds from that module: the server and the SQL schema tool. */
export const TEMPORAL_SERVER_COMMANDS = {
  'temporal-server': 'cmd/server',
  'temporal-sql-tool': 'cmd/tools/sql',
} as const;

export const PROVISION_COMMAND = 'npm run provision';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIROPS_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'airops-temporal');
}

export function devServerCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export function testServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-test-server-${TEST_SERVER_VERSION}`);
}

export function testServerCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(testServerCacheDir(env), 'temporal-test-server');
}

/**
 * The provisioned production server: `temporal-server`, `temporal-sql-tool`, `config/docker.yaml` (the server's own
 * config template, read from environment variables as the temporalio/server image does) and `schema/postgresql/v12`
 * (as temporalio/admin-tools ships it under /etc/temporal/schema).
 */
export function productionServerDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEMPORAL_SERVER_DIR ?? join(cacheDir(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

export const PRODUCTION_SERVER_FILES = [
  'temporal-server',
  'temporal-sql-tool',
  'config/docker.yaml',
  'schema/postgresql/v12/temporal/versioned',
  'schema/postgresql/v12/visibility/versioned',
] as const;

/** The production server's directory, or a ServerNotProvisionedError naming the command that provisions it. */
export function productionServer(env: NodeJS.ProcessEnv = process.env): string {
  const dir = productionServerDir(env);
  const missing = PRODUCTION_SERVER_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new ServerNotProvisionedError(
      `The Temporal production server is not provisioned (${dir} lacks ${missing.join(', ')}). ` +
        `Run \`${PROVISION_COMMAND}\` (or set TEMPORAL_SERVER_DIR).`,
    );
  }
  return dir;
}

/** How a server executable was found: an override, our provisioned cache, or the SDK's own download as a fallback. */
export type ServerExecutable =
  | { type: 'existing-path'; path: string; origin: 'override' | 'provisioned' }
  | { type: 'cached-download'; origin: 'sdk-download' };

export class ServerNotProvisionedError extends Error {
  override readonly name = 'ServerNotProvisionedError';
}

/** Fallback to the SDK's download only where provisioning recorded that Go/Maven is missing (a laptop with internet). */
function fallbackRecorded(kind: 'dev-server' | 'test-server', env: NodeJS.ProcessEnv): boolean {
  const marker = join(cacheDir(env), `${kind}.sdk-download`);
  return existsSync(marker);
}

function resolve(
  kind: 'dev-server' | 'test-server',
  override: string | undefined,
  overrideName: string,
  cached: string,
  env: NodeJS.ProcessEnv,
): ServerExecutable {
  if (override) {
    if (!existsSync(override)) {
      throw new ServerNotProvisionedError(
        `${overrideName}=${override} does not exist. Unset it or point it at an executable.`,
      );
    }
    return { type: 'existing-path', path: override, origin: 'override' };
  }
  if (existsSync(cached)) return { type: 'existing-path', path: cached, origin: 'provisioned' };
  if (fallbackRecorded(kind, env)) return { type: 'cached-download', origin: 'sdk-download' };
  throw new ServerNotProvisionedError(
    `The Temporal ${kind} is not provisioned (expected ${cached}). Run \`${PROVISION_COMMAND}\` (or set ${overrideName}).`,
  );
}

export function devServerExecutable(env: NodeJS.ProcessEnv = process.env): ServerExecutable {
  return resolve('dev-server', env.TEMPORAL_CLI_PATH, 'TEMPORAL_CLI_PATH', devServerCachePath(env), env);
}

export function testServerExecutable(env: NodeJS.ProcessEnv = process.env): ServerExecutable {
  return resolve(
    'test-server',
    env.TEMPORAL_TEST_SERVER_PATH,
    'TEMPORAL_TEST_SERVER_PATH',
    testServerCachePath(env),
    env,
  );
}

/** The SDK's executable option for a resolved server. */
export function sdkExecutable(
  exe: ServerExecutable,
): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return exe.type === 'existing-path' ? { type: 'existing-path', path: exe.path } : { type: 'cached-download' };
}

export function readTextIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}
