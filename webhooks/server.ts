// The AirOps webhook receiver (docs/webhooks.md): authenticate → size-limit → parse → validate → normalize →
// signalWithStart the batch's tracker. A 2xx goes out only once the event is durable: by default once Temporal has
// accepted the signal (200); with an ingest journal (`journal`, WEBHOOK_JOURNAL_DIR) once it is fsync'd to the
// journal (202), from which a forwarder signals the trackers. Every failure on our side is a 5xx, so Olostep's
// retries (docs/airops-api.md#webhook-delivery) carry the event over an outage.
// This file holds the options, the routes, the counters and the lifecycle; each step of the pipeline lives in a
// module of its own beside it (the table in docs/webhooks.md).
import { grpcCodeOf } from '../client/errors';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { WebhookPayload } from '../olostep/schemas';
import { trackerWorkflowId, type TrackOptions } from '../workflows/contract';
import { createReceiverApp, type LoggerOptions, type ReceiverApp } from './app';
import { createAuthenticator } from './auth';
import { ReceiverError, errorText } from './errors';
import type { WebhookJournal } from './journal';
import { createJournalForwarder } from './journal-forwarding';
import { classifyEvent, unsupportedEvent, validatePayload } from './payload';
import { DEFAULT_WEBHOOK_PATH, pathProblem, secretProblem } from './secret-path';
import { TrackerSignaler, type SignalOutcome } from './tracker-signal';

// The receiver's public surface: what a caller needs to build one and to give Olostep its URL.
export type { LogStream } from './app';
export { redactUrl, webhookUrlFor } from './secret-path';

/** 1 MiB: far above any AirOps event; anything near this is not a webhook. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

/** One accepted delivery, as reported to `onSignal` (tests, benchmarks, metrics). */
export interface SignaledEvent {
  batchId: string;
  workflowId: string;
  /** The payload's `object`. */
  event: string;
  /** False for a future `event.batch.airops.*` name this code does not know yet. */
  knownEvent: boolean;
  /** `signaled`: Temporal accepted the signal. `tracker_closed`: the tracker already completed (late event). */
  outcome: SignalOutcome;
  /** Wall-clock ms (Date.now()) when the request arrived and when Temporal answered (journal: the forwarder's call). */
  receivedAt: number;
  answeredAt: number;
}

export interface ReceiverStats {
  /** POSTs to the webhook routes (any outcome). */
  received: number;
  /** Signals Temporal accepted. */
  signaled: number;
  /** Valid events for a tracker that had already completed (answered 200, nothing to do). */
  trackerClosed: number;
  /** Answers other than 2xx, by error code (`unauthorized`, `invalid_json`, `temporal_unavailable`…). */
  rejected: Record<string, number>;
  /** Signals waiting on Temporal right now. */
  inFlight: number;
  /** Journal mode: events acknowledged once written to the journal (each is then signaled by the forwarder). */
  queued: number;
  /** Journal mode: accepted events not yet signaled (0 without a journal). */
  backlog: number;
  /** Journal mode: forwarder attempts that failed and were put back for a retry. */
  forwardRetries: number;
  /** Journal mode: events Temporal refused as invalid (INVALID_ARGUMENT, e.g. over its size limit): logged, dropped. */
  forwardDropped: number;
}

export interface WebhookReceiverOptions {
  /** A connected (or lazily connecting) Temporal client; the receiver never closes it. */
  client: Client;
  /** Task queue a tracker started by a webhook runs on. Default `airops-batches`. */
  taskQueue?: string;
  /** Path prefix. Default `/webhooks/airops`; deliveries go to `<path>/<secret>` or `<path>` with a token. */
  path?: string;
  /** Per-deployment secret (16–512 URL-safe characters): the path segment and/or the bearer token. */
  secret: string;
  /**
   * When set, every delivery must also carry `X-Olostep-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
   * Olostep does not sign AirOps deliveries yet ("coming soon"); the header name is an assumption.
   */
  hmacSecret?: string;
  /** Largest accepted body in bytes (413 above). Default 1 MiB. */
  bodyLimit?: number;
  /** Options of a tracker the receiver starts (an event arrived before anyone started tracking). Default `{}`. */
  trackOptions?: TrackOptions;
  /** How long one signalWithStart may take before answering 503. Default 10 s (Olostep waits 30 s). */
  signalTimeoutMs?: number;
  /** Deadline of the /readyz probe's Temporal call. Default 2 s. */
  readinessTimeoutMs?: number;
  /** Signals waiting on Temporal at once; beyond it, 503 + Retry-After (Olostep retries). Default 512. */
  maxInFlight?: number;
  /** Failed authentications per client IP per window before further failures get 429 instead of 401. Default 30/min. */
  authFailureLimit?: { max: number; windowMs: number };
  /** Passed to fastify: set when behind a reverse proxy so the client IP is the caller's. Default false. */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** `false` for no logs; otherwise pino level and destination (default info, stdout). */
  logger?: LoggerOptions;
  /** Called after each signal Temporal accepted (direct mode: before the HTTP answer; journal: by the forwarder). */
  onSignal?: (event: SignaledEvent) => void;
  /**
   * An opened ingest journal (`WebhookJournal.open`): deliveries are answered 202 once fsync'd to it, and a forwarder
   * signals the trackers from it (first what an earlier process left undelivered). The receiver owns it from here
   * and closes it in `close()`. Without it, a delivery is answered only after Temporal accepted the signal.
   */
  journal?: WebhookJournal;
  /** Journal mode: signals the forwarder keeps in flight. Default 64. */
  forwardConcurrency?: number;
}

export interface WebhookReceiver {
  /** The fastify instance (routes registered; add hooks before `listen`). */
  readonly app: FastifyInstance;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:8788`. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /**
   * Graceful shutdown: stops accepting, lets in-flight deliveries finish (their answers go out), closes, and waits
   * for every Temporal call it started to settle, so the caller can then close the Temporal connection.
   */
  close(): Promise<void>;
  /** Counters since start (a copy). */
  stats(): ReceiverStats;
}

/** The options' problem, or null: an unusable secret, HMAC secret, path or body limit. Never quotes a secret. */
function optionsProblem(opts: WebhookReceiverOptions, path: string, bodyLimit: number): string | null {
  const problem =
    secretProblem(opts.secret) ??
    (opts.hmacSecret === undefined ? null : secretProblem(opts.hmacSecret, 'hmacSecret', false)) ??
    (pathProblem(path) === null ? null : `path ${pathProblem(path)}`);
  if (problem !== null) return problem;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1_024) return 'bodyLimit must be an integer >= 1024';
  return null;
}

/**
 * Builds the webhook receiver (not yet listening). Routes:
 * - `POST <path>/<secret>` and `POST <path>` (with `Authorization: Bearer <secret>` or `X-Webhook-Token`):
 *   200 once the tracker got the event (202 once journaled); 401 bad/missing secret or signature; 400 malformed
 *   JSON or not an AirOps webhook; 413 body too large; 415 not JSON; 422 an event type that is not an AirOps
 *   event; 429 too many failed authentications (wrong secrets only); 503 Temporal unreachable or too many
 *   deliveries waiting (Olostep retries).
 * - `GET /healthz`: 200 while the process is up. `GET /readyz`: 200 when Temporal answers (journal mode: while the
 *   journal has room), 503 otherwise.
 * @throws RangeError on an unusable secret, HMAC secret, path or limit (the message never contains a secret).
 */
export function createWebhookReceiver(opts: WebhookReceiverOptions): WebhookReceiver {
  const path = opts.path ?? DEFAULT_WEBHOOK_PATH;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const problem = optionsProblem(opts, path, bodyLimit);
  if (problem !== null) throw new RangeError(`createWebhookReceiver: ${problem}`);
  const maxInFlight = opts.maxInFlight ?? 512;
  const journal = opts.journal;

  const stats: ReceiverStats = {
    received: 0,
    signaled: 0,
    trackerClosed: 0,
    rejected: {},
    inFlight: 0,
    queued: 0,
    backlog: 0,
    forwardRetries: 0,
    forwardDropped: 0,
  };
  let closing = false;
  let closed: Promise<void> | undefined;

  const auth = createAuthenticator({
    secret: opts.secret,
    hmacSecret: opts.hmacSecret,
    failureLimit: opts.authFailureLimit,
  });
  const web: ReceiverApp = createReceiverApp({
    path,
    bodyLimit,
    trustProxy: opts.trustProxy ?? false,
    logger: opts.logger,
    secrets: [opts.secret, ...(opts.hmacSecret === undefined ? [] : [opts.hmacSecret])],
    auth,
    onRejected: (code) => (stats.rejected[code] = (stats.rejected[code] ?? 0) + 1),
    isClosing: () => closing,
  });
  const app = web.app;
  const signaler = new TrackerSignaler(
    {
      client: opts.client,
      taskQueue: opts.taskQueue,
      trackOptions: opts.trackOptions,
      signalTimeoutMs: opts.signalTimeoutMs ?? 10_000,
      readinessTimeoutMs: opts.readinessTimeoutMs ?? 2_000,
    },
    stats,
  );

  function reportSignal(payload: WebhookPayload, outcome: SignalOutcome, at: number): void {
    opts.onSignal?.({
      batchId: payload.id,
      workflowId: trackerWorkflowId(payload.id),
      event: payload.object,
      knownEvent: classifyEvent(payload.object) === 'known',
      outcome,
      receivedAt: at,
      answeredAt: Date.now(),
    });
  }

  const forwarder =
    journal === undefined
      ? undefined
      : createJournalForwarder({
          journal,
          signaler,
          counters: stats,
          log: app.log,
          concurrency: opts.forwardConcurrency,
          onSignaled: (entry, outcome) => reportSignal(entry.payload, outcome, entry.receivedAt),
        });

  /** Authentication, before the body is read (docs/webhooks.md#pipeline, steps 1–2). */
  async function authenticate(request: FastifyRequest): Promise<void> {
    stats.received++;
    const refused = auth.checkCredentials(request);
    if (refused !== null) web.reject(request, refused);
  }

  /** Journal mode: the event is answered 202 once fsync'd; the forwarder signals it. */
  async function enqueue(request: FastifyRequest, reply: FastifyReply, payload: WebhookPayload, j: WebhookJournal) {
    if (j.isFull()) {
      web.reject(
        request,
        new ReceiverError(503, 'busy', 'too many events waiting to be forwarded; retry later', {
          retryAfterSeconds: 30,
        }),
      );
    }
    try {
      await j.append(payload, web.receivedAt(request));
    } catch (err) {
      request.log.error({ error: errorText(err) }, 'journal write failed; answering 503 so the sender retries');
      web.reject(
        request,
        new ReceiverError(503, 'journal_unavailable', 'could not record the event; retry later', {
          retryAfterSeconds: 30,
        }),
      );
    }
    stats.queued++;
    return reply.code(202).send({ status: 'queued', workflowId: trackerWorkflowId(payload.id) });
  }

  /** Direct mode: the event is answered once Temporal accepted the signal. */
  async function signalNow(request: FastifyRequest, reply: FastifyReply, payload: WebhookPayload) {
    if (stats.inFlight >= maxInFlight) {
      web.reject(
        request,
        new ReceiverError(503, 'busy', 'too many deliveries in flight; retry later', { retryAfterSeconds: 5 }),
      );
    }
    let outcome: SignalOutcome;
    try {
      outcome = await signaler.signal(payload);
    } catch (err) {
      request.log.error(
        { grpcCode: grpcCodeOf(err), error: errorText(err) },
        'signalWithStart failed; answering 503 so the sender retries',
      );
      web.reject(
        request,
        new ReceiverError(503, 'temporal_unavailable', 'could not record the event; retry later', {
          retryAfterSeconds: 30,
        }),
      );
    }
    reportSignal(payload, outcome, web.receivedAt(request));
    return reply
      .code(200)
      .send(
        outcome === 'signaled'
          ? { status: 'accepted', workflowId: trackerWorkflowId(payload.id) }
          : { status: 'ignored', reason: outcome },
      );
  }

  async function deliver(request: FastifyRequest, reply: FastifyReply) {
    const payload = validatePayload(request.body);
    if (payload instanceof ReceiverError) web.reject(request, payload);
    web.noteDelivery(request, payload.id, payload.object);
    const kind = classifyEvent(payload.object);
    if (kind === 'unsupported') web.reject(request, unsupportedEvent());
    if (kind === 'future') request.log.warn({ event: payload.object.slice(0, 80) }, 'unknown AirOps event merged');
    return journal === undefined ? signalNow(request, reply, payload) : enqueue(request, reply, payload, journal);
  }

  app.post(path, { onRequest: authenticate }, deliver);
  app.post(`${path}/:secret`, { onRequest: authenticate }, deliver);

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Direct mode needs Temporal to accept anything; journal mode accepts while the journal has room (and says
  // whether Temporal answers, and how many events wait for it).
  app.get('/readyz', async (request, reply) => {
    if (closing) return reply.code(503).send({ status: 'shutting_down' });
    let temporal = true;
    try {
      await signaler.probe();
    } catch (err) {
      request.log.warn({ grpcCode: grpcCodeOf(err) }, 'readiness: Temporal unreachable');
      temporal = false;
    }
    if (journal === undefined) {
      return temporal ? { status: 'ready' } : reply.code(503).send({ status: 'temporal_unreachable' });
    }
    const body = { temporal: temporal ? 'reachable' : 'unreachable', backlog: journal.backlog };
    return journal.isFull() ? reply.code(503).send({ status: 'journal_full', ...body }) : { status: 'ready', ...body };
  });

  return {
    app,
    async listen(o = {}) {
      await app.listen({ port: o.port ?? 0, host: o.host ?? '127.0.0.1' });
      forwarder?.start();
      const addr = app.server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        await app.close();
        // Journal mode: what was accepted and not yet signaled stays in the journal for the next start.
        await forwarder?.stop();
        await journal?.close();
        await signaler.settled();
      })();
      return closed;
    },
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, backlog: journal?.backlog ?? 0 }),
  };
}
