// `npm run webhooks`: config from the environment → lazy Temporal connection → receiver → listen, until
// SIGINT/SIGTERM: stop accepting, let in-flight deliveries get their answer, close the connection.
// The connection is lazy on purpose: with Temporal down the receiver still starts and answers 503 (Olostep retries)
// and /readyz says so, instead of the process crash-looping. With WEBHOOK_JOURNAL_DIR it accepts into the journal
// meanwhile and forwards once Temporal is back (first what an earlier process left undelivered).
import { Client, Connection } from '@temporalio/client';
import { WebhookConfigError, loadWebhookConfig } from './config';
import { WebhookJournal } from './journal';
import { createWebhookReceiver, redactUrl } from './server';

async function main(): Promise<void> {
  const config = loadWebhookConfig();
  const { address, namespace, connectionOptions } = config.temporal;
  const { tls, apiKey, metadata } = connectionOptions;
  const connection = Connection.lazy({
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
  });
  const client = new Client({ connection, namespace });
  const journal =
    config.WEBHOOK_JOURNAL_DIR === undefined
      ? undefined
      : await WebhookJournal.open({ dir: config.WEBHOOK_JOURNAL_DIR, maxBacklog: config.WEBHOOK_JOURNAL_MAX_BACKLOG });
  const receiver = createWebhookReceiver({
    client,
    taskQueue: config.TASK_QUEUE,
    path: config.WEBHOOK_PATH,
    secret: config.WEBHOOK_SECRET,
    ...(config.WEBHOOK_HMAC_SECRET === undefined ? {} : { hmacSecret: config.WEBHOOK_HMAC_SECRET }),
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    trustProxy: config.WEBHOOK_TRUST_PROXY,
    logger: { level: config.WEBHOOK_LOG_LEVEL },
    ...(journal === undefined ? {} : { journal, forwardConcurrency: config.WEBHOOK_FORWARD_CONCURRENCY }),
  });

  let stopping: Promise<void> | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping !== null) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    console.log(`${signal}: draining in-flight deliveries…`);
    stopping = receiver
      .close()
      .then(() => connection.close())
      .then(
        () => console.log('webhook receiver stopped'),
        (err: unknown) => {
          console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exitCode = 1;
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const url = await receiver.listen({ port: config.WEBHOOK_PORT, host: config.WEBHOOK_HOST });
  console.log(
    `webhook receiver ready: POST ${url}${redactUrl(`${config.WEBHOOK_PATH}/x`, config.WEBHOOK_PATH)} ` +
      `(give Olostep webhookUrlFor(<public base URL>, WEBHOOK_SECRET)); temporal ${address} namespace=${namespace} ` +
      `tls=${config.temporal.tls ? 'on' : 'off'} apiKey=${config.temporal.apiKey ? 'set' : 'unset'} taskQueue=${config.TASK_QUEUE}` +
      `${config.WEBHOOK_HMAC_SECRET === undefined ? '' : ' hmac=required'}` +
      (journal === undefined
        ? ' journal=off (answers after Temporal accepted each signal)'
        : ` journal=${config.WEBHOOK_JOURNAL_DIR} (answers once fsync'd; ${journal.recovery.pending} undelivered from before${journal.recovery.unreadable > 0 ? `, ${journal.recovery.unreadable} unreadable lines skipped` : ''})`),
  );
}

main().catch((err: unknown) => {
  console.error(
    err instanceof WebhookConfigError
      ? err.message
      : `webhook receiver failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
