// The AirOps webhook receiver: authenticate → size-limit → parse → validate → signalWithStart the batch's tracker.
// A 2xx goes out only once the event is durable: by default once Temporal has accepted the signal (200); with an
// ingest journal (`journal`, WEBHOOK_JOURNAL_DIR) once it is fsync'd to the journal (202), from which a forwarder
// signals the trackers. Every failure on our side is a 5xx, so Olostep's retries (up to 5 attempts over ~28 min,
// spec §3) carry the event over an outage.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { WEBHOOK_EVENT_TYPES } from '../olostep/enums';
import { WebhookPayload, explainIssues } from '../olostep/schemas';
import {
  DEFAULT_TASK_QUEUE,
  TRACK_WORKFLOW_TYPE,
  airopsEvent,
  searchAttributes,
  trackerWorkflowId,
  type AirOpsEvent,
  type TrackOptions,
} from '../workflows/contract';
import type { trackAirOpsBatch as trackWorkflow } from '../workflows/track-airops-batch';
import { JournalForwarder, type WebhookJournal } from './journal';

/** Where the receiver listens for deliveries unless told otherwise. */
export const DEFAULT_WEBHOOK_PATH = '/webhooks/airops';
/** 1 MiB: an AirOps event is ~2 KB; anything near this is not a webhook. */
export const DEFAULT_BODY_LIMIT = 1_048_576;
/** Header carrying the HMAC-SHA256 of the raw body, once Olostep signs deliveries (assumed name, see README). */
export const SIGNATURE_HEADER = 'x-olostep-signature';
/** Alternative to `Authorization: Bearer <secret>`. */
export const TOKEN_HEADER = 'x-webhook-token';
/** Shortest secret accepted (path segment, token, HMAC key). */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 512;
/** Secrets travel in a URL path segment, so they are restricted to RFC 3986 unreserved characters. */
const SECRET_CHARS = /^[A-Za-z0-9._~-]+$/;
/** Event names of a future AirOps event: still a batch status, so still worth merging (see README). */
const AIROPS_EVENT = /^event\.batch\.airops\.[a-z][a-z0-9_]{0,63}$/;
const KNOWN_EVENTS: readonly string[] = WEBHOOK_EVENT_TYPES;

/**
 * Why a secret is unusable, or null when it is fine. Never includes the secret itself.
 * @param urlSafe require RFC 3986 unreserved characters (the webhook secret travels in a URL path; an HMAC key does not)
 */
export function secretProblem(secret: unknown, name = 'secret', urlSafe = true): string | null {
  if (typeof secret !== 'string' || secret.length === 0) return `${name} is required`;
  if (secret.length < MIN_SECRET_LENGTH) return `${name} must be at least ${MIN_SECRET_LENGTH} characters`;
  if (secret.length > MAX_SECRET_LENGTH) return `${name} must be at most ${MAX_SECRET_LENGTH} characters`;
  if (urlSafe && !SECRET_CHARS.test(secret)) {
    return `${name} may only contain A-Z a-z 0-9 . _ ~ - (it is used in a URL path)`;
  }
  return null;
}

/** Why a path prefix is unusable, or null: `/a/b` form, no trailing slash, no parameters or wildcards. */
export function pathProblem(path: string): string | null {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) return 'must look like /webhooks/airops (no trailing slash)';
  return null;
}

/**
 * The URL to give Olostep as a batch's `webhook`: `<baseUrl><path>/<secret>`. The secret rides in the path
 * because AirOps deliveries carry no signature and no custom headers (spec §3).
 * @param baseUrl public origin of the receiver, e.g. `https://hooks.example.com` (a trailing slash is fine)
 * @param secret the receiver's `WEBHOOK_SECRET`
 * @param path the receiver's path prefix, default `/webhooks/airops`
 * @throws RangeError when the secret or path is unusable, or baseUrl is not an absolute http(s) URL
 */
export function webhookUrlFor(baseUrl: string, secret: string, path: string = DEFAULT_WEBHOOK_PATH): string {
  const problem = secretProblem(secret) ?? (pathProblem(path) === null ? null : `path ${pathProblem(path)}`);
  if (problem !== null) throw new RangeError(`webhookUrlFor: ${problem}`);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new RangeError('webhookUrlFor: baseUrl must be an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new RangeError('webhookUrlFor: baseUrl must be an absolute http(s) URL');
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${path}/${secret}`;
}

/**
 * A request URL as it may appear in a log: no query string, the secret segment under the webhook path replaced by
 * `[secret]`, and any other segment of 16+ characters (the shortest secret) replaced by `[redacted]`, so a
 * mistyped path cannot leak a near-miss of the secret either.
 */
export function redactUrl(url: string, path: string = DEFAULT_WEBHOOK_PATH): string {
  const q = url.indexOf('?');
  const bare = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : '?[redacted]';
  if (bare.startsWith(`${path}/`)) return `${path}/[secret]${query}`;
  const segments = bare
    .slice(0, 512)
    .split('/')
    .map((s) => (s.length >= MIN_SECRET_LENGTH ? '[redacted]' : s));
  return `${segments.join('/')}${bare.length > 512 ? '…' : ''}${query}`;
}

/** One accepted delivery, as reported to `onSignal` (tests, benchmarks, metrics). */
export interface SignaledEvent {
  batchId: string;
  workflowId: string;
  /** The payload's `object`. */
  event: string;
  /** False for a future `event.batch.airops.*` name this code does not know yet. */
  knownEvent: boolean;
  /** `signaled`: Temporal accepted the signal. `tracker_closed`: the tracker already completed (late event). */
  outcome: 'signaled' | 'tracker_closed';
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

/** A log destination: pino writes one JSON line per call. */
export interface LogStream {
  write(line: string): unknown;
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
  logger?: false | { level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; stream?: LogStream };
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

interface RequestInfo {
  receivedAt: number;
  started: number;
  batchId?: string;
  event?: string;
  code?: string;
}

/** An error the receiver answers with as-is: a stable code and a message that never echoes secrets. */
class ReceiverError extends Error {
  override readonly name = 'ReceiverError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: { retryAfterSeconds?: number; issues?: { path: string; message: string }[] } = {},
  ) {
    super(message);
  }
}

const sha256 = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Constant-time equality of two strings of any length: equal-length digests through timingSafeEqual. */
function secretsEqual(candidate: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(candidate), expected);
}

/** Counts failed authentications per client IP in fixed windows; bounded so a spray of IPs cannot grow it. */
class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** ms until `ip` may try again, or 0 when it is not blocked. */
  blockedFor(ip: string, now: number): number {
    const w = this.windows.get(ip);
    if (w === undefined || w.resetAt <= now) return 0;
    return w.count >= this.max ? w.resetAt - now : 0;
  }

  record(ip: string, now: number): void {
    let w = this.windows.get(ip);
    if (w === undefined || w.resetAt <= now) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(ip, w);
    }
    w.count++;
  }

  private sweep(now: number): void {
    for (const [ip, w] of this.windows) if (w.resetAt <= now) this.windows.delete(ip);
    // Still full (a spray within one window): drop the oldest half rather than grow without bound.
    if (this.windows.size >= this.maxKeys) {
      let drop = Math.floor(this.maxKeys / 2);
      for (const ip of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(ip);
      }
    }
  }
}

/** What to do with an event name: merge it (known or future AirOps event) or refuse it. */
function classifyEvent(object: string): 'known' | 'future' | 'unsupported' {
  if (KNOWN_EVENTS.includes(object)) return 'known';
  return AIROPS_EVENT.test(object) ? 'future' : 'unsupported';
}

/**
 * Runs a Temporal call with a deadline, and answers no later than it: the SDK's retry loop may sleep past a gRPC
 * deadline (measured: ~1.8 s for a 1 s deadline, ~14 s for 10 s, against a closed port), so a timer bounds it.
 * The call itself is bounded by the same deadline and ends shortly after; `pending` tracks it until it does, so
 * shutdown can wait for it before the connection is closed under it.
 */
async function withinDeadline<T>(
  client: Client,
  ms: number,
  pending: Set<Promise<unknown>>,
  call: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Temporal within ${ms} ms`)), ms);
  });
  const running = client.withDeadline(Date.now() + ms, call);
  const settled: Promise<unknown> = running.then(
    (): unknown => pending.delete(settled),
    (): unknown => pending.delete(settled),
  );
  pending.add(settled);
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** gRPC status INVALID_ARGUMENT: Temporal refuses the request itself (e.g. a payload over its size limit). */
const GRPC_INVALID_ARGUMENT = 3;

function grpcCode(err: unknown): number | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return null;
}

/**
 * Builds the webhook receiver (not yet listening). Routes:
 * - `POST <path>/<secret>` and `POST <path>` (with `Authorization: Bearer <secret>` or `X-Webhook-Token`):
 *   200 once the tracker got the event; 401 bad/missing secret or signature; 400 malformed JSON or not an AirOps
 *   webhook; 413 body too large; 415 not JSON; 422 an event type that is not `event.batch.airops.*`; 429 too
 *   many failed authentications (wrong secrets only); 503 Temporal unreachable or too many deliveries waiting
 *   (Olostep retries).
 * - `GET /healthz`: 200 while the process is up. `GET /readyz`: 200 when Temporal answers, 503 otherwise.
 * @throws RangeError on an unusable secret, HMAC secret, path or limit (the message never contains a secret).
 */
export function createWebhookReceiver(opts: WebhookReceiverOptions): WebhookReceiver {
  const path = opts.path ?? DEFAULT_WEBHOOK_PATH;
  const problem =
    secretProblem(opts.secret) ??
    (opts.hmacSecret === undefined ? null : secretProblem(opts.hmacSecret, 'hmacSecret', false)) ??
    (pathProblem(path) === null ? null : `path ${pathProblem(path)}`);
  if (problem !== null) throw new RangeError(`createWebhookReceiver: ${problem}`);
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1_024) {
    throw new RangeError('createWebhookReceiver: bodyLimit must be an integer >= 1024');
  }
  const client = opts.client;
  const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
  const trackOptions = opts.trackOptions ?? {};
  const signalTimeoutMs = opts.signalTimeoutMs ?? 10_000;
  const readinessTimeoutMs = opts.readinessTimeoutMs ?? 2_000;
  const maxInFlight = opts.maxInFlight ?? 512;
  const secretDigest = sha256(opts.secret);
  const hmacKey = opts.hmacSecret;
  const limiter = new FailureLimiter(opts.authFailureLimit?.max ?? 30, opts.authFailureLimit?.windowMs ?? 60_000);
  const secrets = [opts.secret, ...(hmacKey === undefined ? [] : [hmacKey])];

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
  const journal = opts.journal;
  const info = new WeakMap<FastifyRequest, RequestInfo>();
  /** Temporal calls not yet settled (including ones we stopped waiting for): close() waits for them. */
  const pending = new Set<Promise<unknown>>();
  let closing = false;
  let closed: Promise<void> | undefined;

  // Last line of defence: whatever a log line holds, the secrets never reach the destination.
  const target: LogStream = opts.logger === false ? { write: () => true } : (opts.logger?.stream ?? process.stdout);
  const scrubbed: LogStream = {
    write(line: string) {
      let out = line;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[scrubbed]');
      return target.write(out);
    },
  };

  const app = Fastify({
    bodyLimit,
    trustProxy: opts.trustProxy ?? false,
    // The secret is a path parameter: allow the longest secret (fastify's default caps parameters at 100).
    routerOptions: { maxParamLength: MAX_SECRET_LENGTH + 8 },
    // Slow-loris bound: a delivery must arrive whole within 30 s (Olostep itself gives up after 30 s).
    requestTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Our own access log below (path redacted) replaces fastify's per-request lines.
    logController: new LogController({ disableRequestLogging: true }),
    logger:
      opts.logger === false
        ? false
        : {
            level: opts.logger?.level ?? 'info',
            stream: scrubbed,
            serializers: {
              // Anything that logs the request gets the redacted URL and no headers.
              req: (req: { method: string; url: string; ip: string }) => ({
                method: req.method,
                url: redactUrl(req.url, path),
                ip: req.ip,
              }),
              res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
            },
          },
  });

  app.addHook('onRequest', async (request) => {
    info.set(request, { receivedAt: Date.now(), started: performance.now() });
  });
  // While shutting down, answers close their connection: a keep-alive socket that goes idle after close() began
  // would otherwise hold the server open until its keep-alive timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
  // One access-log line per request: method, redacted path, status, duration, batch and event when known.
  app.addHook('onResponse', async (request, reply) => {
    const i = info.get(request);
    const line = {
      method: request.method,
      path: redactUrl(request.url, path),
      status: reply.statusCode,
      ms: i === undefined ? null : Math.round((performance.now() - i.started) * 10) / 10,
      ip: request.ip,
      ...(i?.batchId === undefined ? {} : { batchId: i.batchId.slice(0, 64) }),
      ...(i?.event === undefined ? {} : { event: i.event.slice(0, 80) }),
      ...(i?.code === undefined ? {} : { code: i.code }),
    };
    if (reply.statusCode >= 500) request.log.warn(line, 'webhook request');
    else request.log.info(line, 'webhook request');
  });

  /** Ends the request with `err` (through the error handler below). */
  function reject(request: FastifyRequest, err: ReceiverError): never {
    const i = info.get(request);
    if (i !== undefined) i.code = err.code;
    throw err;
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    let status: number;
    let code: string;
    let message: string;
    let extra: ReceiverError['extra'] = {};
    if (err instanceof ReceiverError) {
      ({ statusCode: status, code, message, extra } = err);
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      [status, code, message] = [413, 'payload_too_large', `the body exceeds ${bodyLimit} bytes`];
      // The rest of the body was not read: tell the client not to reuse this connection.
      void reply.header('connection', 'close');
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      [status, code, message] =
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? [415, 'unsupported_media_type', 'send the event as application/json']
          : [400, 'invalid_content_length', 'Content-Length does not match the body'];
    } else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      [status, code, message] = [400, 'invalid_json', 'the body is empty'];
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      [status, code, message] = [err.statusCode, 'bad_request', 'the request could not be read'];
    } else {
      request.log.error({ err }, 'webhook receiver: unexpected error');
      [status, code, message] = [500, 'internal_error', 'unexpected error; the delivery will be retried'];
    }
    const i = info.get(request);
    if (i !== undefined) i.code = code;
    stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    if (extra.retryAfterSeconds !== undefined) void reply.header('retry-after', String(extra.retryAfterSeconds));
    return reply.code(status).send({ error: code, message, ...extra });
  });

  app.setNotFoundHandler((request, reply) => {
    const i = info.get(request);
    if (i !== undefined) i.code = 'not_found';
    return reply.code(404).send({ error: 'not_found', message: 'no such route' });
  });

  // JSON only; the raw bytes are kept for the HMAC, which is checked before anything is parsed.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    if (request.is404) {
      done(null, undefined); // no route: answer 404 without reading the body as JSON
      return;
    }
    const raw = body as Buffer;
    if (hmacKey !== undefined) {
      const header = request.headers[SIGNATURE_HEADER];
      const value = Array.isArray(header) ? header[0] : header;
      const match = value === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
      const expected = createHmac('sha256', hmacKey).update(raw).digest();
      if (match === null || !timingSafeEqual(Buffer.from(match[1] as string, 'hex'), expected)) {
        limiter.record(request.ip, Date.now());
        done(new ReceiverError(401, 'invalid_signature', `missing or invalid ${SIGNATURE_HEADER} header`));
        return;
      }
    }
    if (raw.length === 0) {
      done(new ReceiverError(400, 'invalid_json', 'the body is empty'));
      return;
    }
    void parseJson(request, raw.toString('utf8'), (err, value) => {
      if (err !== null) done(new ReceiverError(400, 'invalid_json', 'the body is not valid JSON'));
      else done(null, value);
    });
  });

  /**
   * Authentication, before the body is read: every credential presented must be right, and one must be. A request
   * with the right secret is never throttled, so nobody can lock Olostep out by failing from a shared IP; wrong
   * ones from an IP over the failure limit get 429 (back off) instead of 401. What stops guessing is the secret's
   * length (16+ characters; `openssl rand -hex 32` gives 256 bits), not the limiter.
   */
  async function authenticate(request: FastifyRequest): Promise<void> {
    stats.received++;
    const presented: string[] = [];
    const params = request.params as { secret?: string } | undefined;
    if (params?.secret !== undefined) presented.push(params.secret);
    const auth = request.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      presented.push(m?.[1] ?? '');
    }
    const token = request.headers[TOKEN_HEADER];
    if (token !== undefined) presented.push(Array.isArray(token) ? token.join(',') : token);
    // Every comparison runs (no early exit), so timing does not tell which credential was wrong.
    let ok = presented.length > 0;
    for (const p of presented) ok = secretsEqual(p, secretDigest) && ok;
    if (ok) return;
    const now = Date.now();
    const wait = limiter.blockedFor(request.ip, now);
    limiter.record(request.ip, now);
    if (wait > 0) {
      reject(
        request,
        new ReceiverError(429, 'too_many_failures', 'too many failed authentications; retry later', {
          retryAfterSeconds: Math.ceil(wait / 1000),
        }),
      );
    }
    reject(request, new ReceiverError(401, 'unauthorized', 'missing or wrong webhook secret'));
  }

  /** signalWithStart of the batch's tracker, within the deadline: `tracker_closed` for a completed tracker. */
  async function signalTracker(payload: WebhookPayload): Promise<SignaledEvent['outcome']> {
    const workflowId = trackerWorkflowId(payload.id);
    const event: AirOpsEvent = payload;
    stats.inFlight++;
    try {
      await withinDeadline(client, signalTimeoutMs, pending, () =>
        client.workflow.signalWithStart<typeof trackWorkflow, [AirOpsEvent]>(TRACK_WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [payload.id, trackOptions],
          signal: airopsEvent,
          signalArgs: [event],
          workflowIdConflictPolicy: 'USE_EXISTING',
          // A tracker that completed saw a terminal status, which is final: a late event must not start a second
          // one. A failed, cancelled or timed-out one may be restarted by the next event.
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [{ key: searchAttributes.batchId, value: payload.id }],
          staticSummary: `AirOps batch ${payload.id}`,
          staticDetails: `Tracks Olostep AirOps batch \`${payload.id}\` (scraping → analyzing → enriching) until it completes or fails. Started by a webhook event.`,
        }),
      );
      stats.signaled++;
      return 'signaled';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      stats.trackerClosed++;
      return 'tracker_closed';
    } finally {
      stats.inFlight--;
    }
  }

  function reportSignal(payload: WebhookPayload, outcome: SignaledEvent['outcome'], receivedAt: number): void {
    opts.onSignal?.({
      batchId: payload.id,
      workflowId: trackerWorkflowId(payload.id),
      event: payload.object,
      knownEvent: classifyEvent(payload.object) === 'known',
      outcome,
      receivedAt,
      answeredAt: Date.now(),
    });
  }

  const forwarder =
    journal === undefined
      ? undefined
      : new JournalForwarder(
          journal,
          async (entry) => {
            let outcome: SignaledEvent['outcome'];
            try {
              outcome = await signalTracker(entry.payload);
            } catch (err) {
              // A refusal that no retry changes would otherwise hold the head of the journal forever.
              if (grpcCode(err) !== GRPC_INVALID_ARGUMENT) throw err;
              stats.forwardDropped++;
              app.log.error(
                {
                  batchId: entry.payload.id.slice(0, 64),
                  error: err instanceof Error ? err.message.slice(0, 300) : String(err),
                },
                'Temporal refused a journaled event as invalid; dropped',
              );
              return;
            }
            reportSignal(entry.payload, outcome, entry.receivedAt);
          },
          {
            ...(opts.forwardConcurrency === undefined ? {} : { concurrency: opts.forwardConcurrency }),
            onFailure: (entry, err, retryInMs) => {
              stats.forwardRetries++;
              app.log.warn(
                {
                  batchId: entry.payload.id.slice(0, 64),
                  grpcCode: grpcCode(err),
                  error: err instanceof Error ? err.message.slice(0, 300) : String(err),
                  retryInMs,
                  backlog: journal.backlog,
                },
                'forwarding a journaled event failed; it stays in the journal and is retried',
              );
            },
          },
        );

  async function deliver(request: FastifyRequest, reply: FastifyReply) {
    const parsed = WebhookPayload.safeParse(request.body);
    if (!parsed.success) {
      const issues = explainIssues(parsed.error.issues)
        .slice(0, 5)
        .map((i) => ({
          path: i.path.map(String).join('.') || '(root)',
          message: i.message.slice(0, 200),
        }));
      reject(request, new ReceiverError(400, 'invalid_payload', 'not an AirOps webhook payload', { issues }));
    }
    const payload = parsed.data;
    const i = info.get(request);
    if (i !== undefined) [i.batchId, i.event] = [payload.id, payload.object];
    const kind = classifyEvent(payload.object);
    if (kind === 'unsupported') {
      reject(
        request,
        new ReceiverError(422, 'unsupported_event', 'this endpoint takes event.batch.airops.* events only'),
      );
    }
    if (kind === 'future') request.log.warn({ event: payload.object.slice(0, 80) }, 'unknown AirOps event merged');
    const workflowId = trackerWorkflowId(payload.id);
    if (journal !== undefined) {
      if (journal.isFull()) {
        reject(
          request,
          new ReceiverError(503, 'busy', 'too many events waiting to be forwarded; retry later', {
            retryAfterSeconds: 30,
          }),
        );
      }
      try {
        await journal.append(payload, i?.receivedAt ?? Date.now());
      } catch (err) {
        request.log.error(
          { error: err instanceof Error ? err.message.slice(0, 300) : String(err) },
          'journal write failed; answering 503 so the sender retries',
        );
        reject(
          request,
          new ReceiverError(503, 'journal_unavailable', 'could not record the event; retry later', {
            retryAfterSeconds: 30,
          }),
        );
      }
      stats.queued++;
      return reply.code(202).send({ status: 'queued', workflowId });
    }
    if (stats.inFlight >= maxInFlight) {
      reject(
        request,
        new ReceiverError(503, 'busy', 'too many deliveries in flight; retry later', { retryAfterSeconds: 5 }),
      );
    }

    let outcome: SignaledEvent['outcome'];
    try {
      outcome = await signalTracker(payload);
    } catch (err) {
      request.log.error(
        { grpcCode: grpcCode(err), error: err instanceof Error ? err.message.slice(0, 300) : String(err) },
        'signalWithStart failed; answering 503 so the sender retries',
      );
      reject(
        request,
        new ReceiverError(503, 'temporal_unavailable', 'could not record the event; retry later', {
          retryAfterSeconds: 30,
        }),
      );
    }
    reportSignal(payload, outcome, i?.receivedAt ?? Date.now());
    return reply
      .code(200)
      .send(outcome === 'signaled' ? { status: 'accepted', workflowId } : { status: 'ignored', reason: outcome });
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
      await withinDeadline(client, readinessTimeoutMs, pending, () => client.workflowService.getSystemInfo({}));
    } catch (err) {
      request.log.warn({ grpcCode: grpcCode(err) }, 'readiness: Temporal unreachable');
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
        await Promise.allSettled([...pending]);
      })();
      return closed;
    },
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, backlog: journal?.backlog ?? 0 }),
  };
}
