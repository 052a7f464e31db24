// The worker's own settings, read from the environment once and validated with zod. A missing or invalid setting
// stops the worker with one clear line naming the variable. Secrets (the Olostep API key, the Temporal API key, TLS
// keys) are never printed: `describeWorkerConfig` is the only view of the config that is logged.
//
// The Temporal connection (address, namespace, TLS, API key, gRPC metadata) is read by client/temporal-connection.ts
// through @temporalio/envconfig, as the CLI, the webhook receiver and the demo read it.
import { z } from 'zod';
import { ConfigError, HOST_PORT, cleanEnv, type TemporalConnectConfig } from '../client/temporal-connection';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';

const optionalInt = (min: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min)).optional();

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

const OLOSTEP_KEY_HELP = 'is required (the Olostep API key; the simulator accepts sim_test_key)';

/**
 * The variables the worker reads itself. TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE are only checked here, so a bad
 * value is named with the rest; the connection itself, with the other TEMPORAL_* variables, is loaded by
 * loadTemporalConnectConfig (client/temporal-connection.ts).
 */
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

/** Parses the environment; throws a ConfigError whose message is one line naming each bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = WorkerConfig.safeParse(cleanEnv(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`invalid worker configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
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
