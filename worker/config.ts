// The worker's configuration, read from the environment once and validated with zod. A missing or invalid
// setting stops the worker with one clear line naming the variable. Secrets (the Olostep API key, the Temporal
// API key, TLS keys) are never printed: `describeWorkerConfig` is the only view of the config that is logged.
//
// The Temporal connection (address, namespace, TLS, API key, gRPC metadata) goes through @temporalio/envconfig,
// the SDKs' shared loader: an optional TOML profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE) overridden by
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_* … so the same variables
// work for the worker, the CLI and the `temporal` CLI, against a dev server or Temporal Cloud.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';

const HOST_PORT = /^[^\s:/]+:\d{1,5}$/;

const optionalInt = (min: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min)).optional();

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const OLOSTEP_KEY_HELP = 'is required (the Olostep API key; the simulator accepts sim_test_key)';

/** The variables the worker reads itself. Temporal's own TEMPORAL_* variables are read by envconfig (below). */
export const WorkerConfig = z.object({
  TEMPORAL_ADDRESS: z.string().regex(HOST_PORT, 'must be host:port, e.g. localhost:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  OLOSTEP_API_KEY: z.string({ error: OLOSTEP_KEY_HELP }).min(1, OLOSTEP_KEY_HELP),
  OLOSTEP_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.olostep.com'),
  OLOSTEP_TIMEOUT_MS: optionalInt(1),
  /**
   * The webhook receiver's public URL, secret included (webhookUrlFor(base, WEBHOOK_SECRET)): added as `webhook` to
   * runAirOpsBatch's create requests without one (`webhook: null` in a request opts out). A secret, like the API key: never logged, never in history.
   */
  OLOSTEP_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  MAX_CONCURRENT_ACTIVITIES: optionalInt(1),
  MAX_CONCURRENT_WORKFLOW_TASKS: optionalInt(2),
  MAX_CACHED_WORKFLOWS: optionalInt(0),
  /** How long a stopping worker lets in-flight activities finish (status calls take ≤ 45 s). Default 45 s. */
  SHUTDOWN_GRACE_MS: optionalInt(0),
  /** Opt-in Prometheus scrape endpoint for the Temporal runtime's metrics, e.g. 0.0.0.0:9464. Off when unset. */
  METRICS_ADDRESS: z.string().regex(HOST_PORT, 'must be host:port, e.g. 0.0.0.0:9464').optional(),
  LOG_LEVEL: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('INFO'),
  /** Where runAirOpsBatch writes collected items (one JSONL file per run). Default ./results. */
  RESULTS_DIR: z.string().min(1).optional(),
  /** `json` (default): one JSON object per line. `text`: the SDK's human-readable lines. */
  LOG_FORMAT: z.enum(['json', 'text'], { error: 'must be json or text' }).default('json'),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export const DEFAULT_SHUTDOWN_GRACE_MS = 45_000;
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Drops unset and empty variables, so `FOO=` means "use the default", as in most 12-factor apps. */
function cleanEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** Parses the environment; throws a ConfigError whose message is one line naming each bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = WorkerConfig.safeParse(cleanEnv(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`invalid worker configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Where and how to reach Temporal: connection options for `NativeConnection.connect` / `Connection.connect`. */
export interface TemporalConnectConfig {
  address: string;
  namespace: string;
  connectionOptions: NativeConnectionOptions & { address: string };
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

/** The loggable view of the configuration: no keys, only whether they are set. */
export function describeWorkerConfig(config: WorkerConfig, temporal: TemporalConnectConfig): Record<string, unknown> {
  return {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    tls: temporal.tls,
    temporalApiKey: temporal.apiKey ? 'set' : 'unset',
    taskQueue: config.TASK_QUEUE,
    olostepBaseUrl: config.OLOSTEP_BASE_URL,
    olostepApiKey: 'set',
    olostepWebhookUrl: config.OLOSTEP_WEBHOOK_URL === undefined ? 'unset' : 'set',
    maxConcurrentActivities: config.MAX_CONCURRENT_ACTIVITIES ?? 'sdk default',
    maxConcurrentWorkflowTasks: config.MAX_CONCURRENT_WORKFLOW_TASKS ?? 'sdk default',
    maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS ?? 'sdk default',
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS,
    metricsAddress: config.METRICS_ADDRESS ?? 'off',
    resultsDir: config.RESULTS_DIR ?? './results',
  };
}
