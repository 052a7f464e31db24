// `npm run webhooks`: config from the environment → lazy Temporal connection → receiver → listen, until
// SIGINT/SIGTERM: stop accepting, let in-flight deliveries get their answer, close the connection.
// The connection is lazy on purpose: with Temporal down the receiver still starts and answers 503 (Olostep retries)
// and /readyz says so, instead of the process crash-looping. With WEBHOOK_JOURNAL_DIR it accepts into the journal
// meanwhile and forwards once Temporal is back (first what an earlier process left undelivered).
// Before listening it runs the search-attribute preflight (client/search-attribute-preflight.ts): the trackers it starts set
// them. Missing ones are registered where the server allows it; otherwise (or for a wrong-typed one) it exits 2 with
// one line naming them and the command that fixes it. With Temporal down at start, the check runs once it is back.
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { isTemporalUnavailable } from '../client/errors';
import { SearchAttributePreflightError, preflightSearchAttributes } from '../client/search-attribute-preflight';
import { WebhookConfigError, loadWebhookConfig } from './config';
import { WebhookJournal } from './journal';
import { redactUrl } from './secret-path';
import { createWebhookReceiver } from './server';

const PREFLIGHT_RETRY_MS = 5_000;
const PREFLIGHT_CONNECT_TIMEOUT_MS = 5_000;
/** How long the receiver waits for the preflight's verdict before it starts anyway (Temporal down or slow). */
const PREFLIGHT_WAIT_MS = 3_000;

/**
 * The search-attribute preflight: resolves once it passed (saying what it registered); exits 2 with one line when the
 * namespace cannot be made ready. While Temporal is unreachable it keeps trying in the background (`onUnreachable`
 * is told once) and the receiver starts meanwhile, as it does without Temporal.
 */
async function searchAttributePreflight(
  connectionOptions: ConnectionOptions,
  namespace: string,
  signal: AbortSignal,
  onUnreachable: () => void,
): Promise<void> {
  for (let told = false; !signal.aborted;) {
    try {
      // A connection of its own, closed after each attempt: no call of the receiver's connection is left retrying
      // against a Temporal that is down when the receiver stops.
      const connection = await Connection.connect({
        ...connectionOptions,
        connectTimeout: PREFLIGHT_CONNECT_TIMEOUT_MS,
      });
      try {
        const result = await preflightSearchAttributes(connection, namespace);
        if (result.registered.length > 0) {
          console.log(`registered search attributes ${result.registered.join(', ')} in namespace ${namespace}`);
        } else if (!result.verified) {
          console.log(`search attributes not checked: ${result.unverifiedReason}`);
        }
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (err instanceof SearchAttributePreflightError) {
        console.error(err.line);
        process.exit(2);
      }
      if (signal.aborted) return;
      if (!isTemporalUnavailable(err)) throw err;
      if (!told) onUnreachable();
      told = true;
      await new Promise((r) => setTimeout(r, PREFLIGHT_RETRY_MS).unref());
    }
  }
}

async function main(): Promise<void> {
  const config = loadWebhookConfig();
  const { address, namespace, connectionOptions } = config.temporal;
  const { tls, apiKey, metadata } = connectionOptions;
  const temporalOptions: ConnectionOptions = {
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
  };
  const connection = Connection.lazy(temporalOptions);
  const client = new Client({ connection, namespace });
  let unreachable: () => void = () => undefined;
  const firstAnswer = new Promise<void>((resolve) => (unreachable = resolve));
  const stopPreflight = new AbortController();
  const preflight = searchAttributePreflight(temporalOptions, namespace, stopPreflight.signal, () => {
    console.log(`Temporal ${address} unreachable: search attributes are checked once it answers`);
    unreachable();
  });
  // Wait for the preflight's verdict, unless Temporal is down or slow: then the receiver starts (answering 503 until
  // Temporal is back) and the check goes on in the background.
  const verdict = await Promise.race([
    preflight.then(() => 'done' as const),
    firstAnswer.then(() => 'unreachable' as const),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), PREFLIGHT_WAIT_MS).unref()),
  ]);
  if (verdict === 'pending') {
    console.log(`Temporal ${address} slow to answer: search attributes are checked in the background`);
  }
  preflight.catch((err: unknown) => {
    console.error(
      `webhook receiver failed: search-attribute check: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  });
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
    stopPreflight.abort();
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
