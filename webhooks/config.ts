// The receiver's configuration, read from the environment once and validated with zod. A missing or invalid
// setting stops the process with one line naming the variable; secret values are never printed.
// The Temporal connection (address, namespace, TLS, API key) is read exactly as the worker and the CLI read it
// (client/temporal-connection.ts → @temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, or a TEMPORAL_CONFIG_FILE/TEMPORAL_PROFILE), so the receiver reaches Temporal Cloud like they do.
import { z } from 'zod';
import {
  ConfigError,
  cleanEnv,
  loadTemporalConnectConfig,
  type TemporalConnectConfig,
} from '../client/temporal-connection';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';
import { DEFAULT_MAX_BACKLOG } from './journal';
import { DEFAULT_WEBHOOK_PATH, pathProblem, secretProblem } from './secret-path';
import { DEFAULT_BODY_LIMIT } from './server';

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const secret = (urlSafe: boolean) =>
  z.string({ error: `is required (at least 16 characters, e.g. \`openssl rand -hex 32\`)` }).check((ctx) => {
    const problem = secretProblem(ctx.value, 'it', urlSafe);
    if (problem !== null) {
      // The value is left out of the issue on purpose: zod would otherwise keep it as `input`.
      ctx.issues.push({ code: 'custom', input: '[redacted]', message: problem.replace(/^it /, '') });
    }
  });

export const WebhookConfig = z.object({
  WEBHOOK_PORT: int(0, 65_535).default(8788),
  WEBHOOK_HOST: z.string().min(1).default('127.0.0.1'),
  WEBHOOK_SECRET: secret(true),
  WEBHOOK_PATH: z
    .string()
    .check((ctx) => {
      const problem = pathProblem(ctx.value);
      if (problem !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
    })
    .default(DEFAULT_WEBHOOK_PATH),
  WEBHOOK_BODY_LIMIT: int(1_024, 64 * 1_048_576).default(DEFAULT_BODY_LIMIT),
  WEBHOOK_HMAC_SECRET: secret(false).optional(),
  WEBHOOK_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEBHOOK_TRUST_PROXY: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Ingest journal directory: deliveries are answered once fsync'd there, and forwarded to Temporal from it. */
  WEBHOOK_JOURNAL_DIR: z.string().min(1).optional(),
  WEBHOOK_JOURNAL_MAX_BACKLOG: int(1, 10_000_000).default(DEFAULT_MAX_BACKLOG),
  WEBHOOK_FORWARD_CONCURRENCY: int(1, 4_096).default(64),
});
/** The receiver's own settings, and where Temporal is (`TEMPORAL_ADDRESS`/`TEMPORAL_NAMESPACE`: the resolved values). */
export type WebhookConfig = z.infer<typeof WebhookConfig> & {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  temporal: TemporalConnectConfig;
};

export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

/**
 * Parses the receiver's settings and the Temporal connection from the environment (empty values count as unset).
 * @throws WebhookConfigError whose message is one line naming each bad variable, never a secret's value.
 */
export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const problems: string[] = [];
  const parsed = WebhookConfig.safeParse(cleanEnv(env));
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  let temporal: TemporalConnectConfig | null = null;
  try {
    temporal = loadTemporalConnectConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message.replace(/^invalid Temporal configuration: /, ''));
  }
  if (!parsed.success || temporal === null) {
    throw new WebhookConfigError(`invalid webhook receiver configuration: ${problems.join('; ')}`);
  }
  return { ...parsed.data, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, temporal };
}
