// The worker's configuration, read from the environment once and validated with zod. A missing or invalid
// setting stops the worker with one clear line naming the variable. The API key is never printed.
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';

const optionalInt = (min: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min)).optional();

export const WorkerConfig = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  OLOSTEP_API_KEY: z
    .string({ error: 'is required (the Olostep API key; the simulator accepts sim_test_key)' })
    .min(1, 'is required (the Olostep API key; the simulator accepts sim_test_key)'),
  OLOSTEP_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.olostep.com'),
  OLOSTEP_TIMEOUT_MS: optionalInt(1),
  MAX_CONCURRENT_ACTIVITIES: optionalInt(1),
  MAX_CONCURRENT_WORKFLOW_TASKS: optionalInt(2),
  MAX_CACHED_WORKFLOWS: optionalInt(0),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message is one line naming each bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = WorkerConfig.safeParse(clean);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`invalid worker configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
