// `npm run worker`: configuration from the environment → Temporal runtime (JSON logs, failed workflow tasks logged
// at ERROR and counted, opt-in Prometheus metrics) → connection → search-attribute preflight (registers missing ones
// where the server allows it) → worker → run until SIGINT/SIGTERM. On a signal the worker stops polling and lets
// in-flight activities finish (up to SHUTDOWN_GRACE_MS) before it exits 0.
// Exit codes: 0 stopped cleanly, 1 worker failed, 2 invalid configuration or the namespace's search attributes
// missing/wrong-typed and not registrable (one line on stderr), 4 Temporal unreachable.
import { NativeConnection } from '@temporalio/worker';
import { JsonlFileSink } from '../activities';
import { isTemporalUnavailable } from '../client/errors';
import { ConfigError, loadTemporalConnectConfig, type TemporalConnectConfig } from '../client/temporal-connection';
import { DEFAULT_SHUTDOWN_GRACE_MS, describeWorkerConfig, loadWorkerConfig, type WorkerConfig } from './config';
import { createLogger, installWorkerRuntime } from './logging';
import { SearchAttributePreflightError, preflightSearchAttributes } from '../client/search-attribute-preflight';
import { createTrackerWorker } from './worker';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function loadConfig(): { config: WorkerConfig; temporal: TemporalConnectConfig } {
  try {
    return { config: loadWorkerConfig(), temporal: loadTemporalConnectConfig() };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  const { config, temporal } = loadConfig();
  const apiKey = temporal.connectionOptions.apiKey;
  const logger = createLogger({
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    secrets: [config.OLOSTEP_API_KEY, config.OLOSTEP_WEBHOOK_URL, typeof apiKey === 'string' ? apiKey : undefined],
  });
  installWorkerRuntime({
    logger,
    shutdownSignals: SHUTDOWN_SIGNALS,
    ...(config.METRICS_ADDRESS ? { metricsAddress: config.METRICS_ADDRESS } : {}),
  });
  try {
    return await runWorker(config, temporal, logger);
  } catch (err) {
    logger.error('worker failed', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
}

async function runWorker(
  config: WorkerConfig,
  temporal: TemporalConnectConfig,
  logger: ReturnType<typeof createLogger>,
): Promise<number> {
  const graceMs = config.SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS;
  logger.info('worker starting', describeWorkerConfig(config, temporal));

  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(temporal.connectionOptions);
  } catch (err) {
    logger.error('Temporal unreachable', {
      address: temporal.address,
      error: err instanceof Error ? err.message : String(err),
    });
    return 4;
  }
  try {
    try {
      const preflight = await preflightSearchAttributes(connection, temporal.namespace);
      if (preflight.registered.length > 0) {
        logger.info('registered search attributes', {
          namespace: temporal.namespace,
          registered: preflight.registered,
        });
      } else if (!preflight.verified) {
        logger.warn('search attributes not checked: the server does not let this worker list them', {
          namespace: temporal.namespace,
          reason: preflight.unverifiedReason,
        });
      }
    } catch (err) {
      if (err instanceof SearchAttributePreflightError) {
        process.stderr.write(`${err.line}\n`);
        return 2;
      }
      if (isTemporalUnavailable(err)) {
        logger.error('Temporal unreachable', { address: temporal.address, error: errorMessage(err) });
        return 4;
      }
      throw err;
    }
    const worker = await createTrackerWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.TASK_QUEUE,
      olostep: {
        apiKey: config.OLOSTEP_API_KEY,
        baseUrl: config.OLOSTEP_BASE_URL,
        ...(config.OLOSTEP_TIMEOUT_MS ? { timeoutMs: config.OLOSTEP_TIMEOUT_MS } : {}),
      },
      ...(config.RESULTS_DIR ? { resultsSink: new JsonlFileSink({ dir: config.RESULTS_DIR }) } : {}),
      ...(config.OLOSTEP_WEBHOOK_URL ? { webhookUrl: config.OLOSTEP_WEBHOOK_URL } : {}),
      maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: config.MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
      extra: { shutdownGraceTime: graceMs },
    });
    for (const signal of SHUTDOWN_SIGNALS) {
      // The runtime itself shuts the worker down on these signals; this only says so in the log.
      process.once(signal, () =>
        logger.info('shutdown requested: finishing in-flight activities', { signal, graceMs }),
      );
    }
    logger.info('worker ready', {
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: config.TASK_QUEUE,
      metrics: config.METRICS_ADDRESS ? `http://${config.METRICS_ADDRESS}/metrics` : 'off',
    });
    await worker.run();
    logger.info('worker stopped');
    return 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Only reached before the logger exists (e.g. Runtime.install failed); config errors never carry secrets.
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
