// Where and how to reach Temporal, read the same way by the worker, the CLI, the webhook receiver and the demo.
// The connection (address, namespace, TLS, API key, gRPC metadata) goes through @temporalio/envconfig, the SDKs'
// shared loader: an optional TOML profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE) overridden by TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_* … so the same variables work for all of them
// and for the `temporal` CLI, against a dev server or Temporal Cloud. The API key is never described, only whether
// one is set.
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';

/** `host:port`: what TEMPORAL_ADDRESS must look like (and the worker's METRICS_ADDRESS). */
export const HOST_PORT = /^[^\s:/]+:\d{1,5}$/;

const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** A missing or invalid setting, in one line naming the variable (never a secret's value). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Drops unset and empty variables, so `FOO=` means "use the default", as in most 12-factor apps. */
export function cleanEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** Where and how to reach Temporal: connection options for `NativeConnection.connect` / `Connection.connect`. */
export interface TemporalConnectConfig {
  address: string;
  namespace: string;
  connectionOptions: ClientConnectConfig['connectionOptions'] & { address: string };
  /** Whether TLS is on (explicit TLS settings, or implied by an API key, as for Temporal Cloud). */
  tls: boolean;
  /** Whether an API key is set (never the key itself). */
  apiKey: boolean;
}

/**
 * The Temporal connection from the environment (and an optional envconfig TOML profile), with explicit
 * `overrides` (CLI flags) on top. Throws a one-line ConfigError for a malformed address, profile or TLS setting.
 */
export function loadTemporalConnectConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { address?: string; namespace?: string } = {},
): TemporalConnectConfig {
  const vars = cleanEnv(env);
  if (overrides.address !== undefined) vars.TEMPORAL_ADDRESS = overrides.address;
  if (overrides.namespace !== undefined) vars.TEMPORAL_NAMESPACE = overrides.namespace;
  if (vars.TEMPORAL_ADDRESS !== undefined && !HOST_PORT.test(vars.TEMPORAL_ADDRESS)) {
    throw new ConfigError(
      `invalid Temporal configuration: TEMPORAL_ADDRESS must be host:port, e.g. localhost:7233; got ${JSON.stringify(vars.TEMPORAL_ADDRESS.slice(0, 80))}`,
    );
  }
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`invalid Temporal configuration: ${why.split('\n')[0]}`);
  }
  const address = loaded.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = loaded.namespace ?? 'default';
  const { tls } = loaded.connectionOptions;
  return {
    address,
    namespace,
    connectionOptions: { ...loaded.connectionOptions, address },
    tls: tls !== undefined && tls !== false && tls !== null,
    apiKey: typeof loaded.connectionOptions.apiKey === 'string' && loaded.connectionOptions.apiKey.length > 0,
  };
}
