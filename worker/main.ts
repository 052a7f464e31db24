// `npm run worker`: config from the environment → connection → worker → run until SIGINT/SIGTERM, letting
// in-flight activities finish (the SDK's graceful shutdown).
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadWorkerConfig } from './config';
import { createTrackerWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createTrackerWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TASK_QUEUE,
      olostep: {
        apiKey: config.OLOSTEP_API_KEY,
        baseUrl: config.OLOSTEP_BASE_URL,
        ...(config.OLOSTEP_TIMEOUT_MS ? { timeoutMs: config.OLOSTEP_TIMEOUT_MS } : {}),
      },
      maxConcurrentActivityTaskExecutions: config.MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: config.MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
    });
    console.log(
      `worker ready: ${config.TEMPORAL_ADDRESS} namespace=${config.TEMPORAL_NAMESPACE} taskQueue=${config.TASK_QUEUE} api=${config.OLOSTEP_BASE_URL}`,
    );
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `worker failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
