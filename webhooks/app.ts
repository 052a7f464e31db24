// The receiver's fastify instance, before any route: limits, the JSON-only body parser (the HMAC is checked on the
// raw bytes before anything is parsed), error answers, the 404, and a log that never holds a secret: fastify's own
// request lines are off, the request serializer shows a redacted URL and no headers, one access-log line is written
// per request, and as a last resort the log stream scrubs the literal secrets (docs/webhooks.md#access-log).
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Authenticator } from './auth';
import { ReceiverError, errorAnswer } from './errors';
import { MAX_SECRET_LENGTH, redactUrl } from './secret-path';

/** A log destination: pino writes one JSON line per call. */
export interface LogStream {
  write(line: string): unknown;
}

export type LoggerOptions =
  false | { level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; stream?: LogStream };

export interface AppOptions {
  /** The webhook path prefix (for redaction). */
  path: string;
  bodyLimit: number;
  trustProxy: FastifyServerOptions['trustProxy'];
  logger: LoggerOptions | undefined;
  /** Every secret the receiver holds: never written to the log. */
  secrets: string[];
  auth: Authenticator;
  /** Counts an error answer by its code. */
  onRejected: (code: string) => void;
  /** True once shutdown began: answers then close their connection. */
  isClosing: () => boolean;
}

/** What the access log says about a request besides method, path, status and duration. */
interface RequestInfo {
  started: number;
  receivedAt: number;
  batchId?: string;
  event?: string;
  code?: string;
}

export interface ReceiverApp {
  app: FastifyInstance;
  /** Wall-clock ms when the request arrived. */
  receivedAt(request: FastifyRequest): number;
  /** Adds the batch and event of a delivery to its access-log line. */
  noteDelivery(request: FastifyRequest, batchId: string, event: string): void;
  /** Ends the request with `err`, answered by the error handler. */
  reject(request: FastifyRequest, err: ReceiverError): never;
}

/** The log stream that replaces each literal secret with `[scrubbed]` before `target` sees the line. */
function scrubbing(target: LogStream, secrets: string[]): LogStream {
  return {
    write(line: string) {
      let out = line;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[scrubbed]');
      return target.write(out);
    },
  };
}

export function createReceiverApp(opts: AppOptions): ReceiverApp {
  const { path, bodyLimit, logger } = opts;
  const info = new WeakMap<FastifyRequest, RequestInfo>();
  const target: LogStream = logger === false ? { write: () => true } : (logger?.stream ?? process.stdout);

  const app = Fastify({
    bodyLimit,
    trustProxy: opts.trustProxy,
    // The secret is a path parameter: allow the longest secret (fastify's default caps parameters at 100).
    routerOptions: { maxParamLength: MAX_SECRET_LENGTH + 8 },
    // Slow-loris bound: a delivery must arrive whole within 30 s (Olostep itself gives up after 30 s).
    requestTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Our own access log below (path redacted) replaces fastify's per-request lines.
    logController: new LogController({ disableRequestLogging: true }),
    logger:
      logger === false
        ? false
        : {
            level: logger?.level ?? 'info',
            stream: scrubbing(target, opts.secrets),
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
    if (opts.isClosing()) void reply.header('connection', 'close');
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

  const noteCode = (request: FastifyRequest, code: string) => {
    const i = info.get(request);
    if (i !== undefined) i.code = code;
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const answer = errorAnswer(err, bodyLimit);
    if (answer.unexpected) request.log.error({ err }, 'webhook receiver: unexpected error');
    if (answer.closeConnection) void reply.header('connection', 'close');
    noteCode(request, answer.code);
    opts.onRejected(answer.code);
    if (answer.status === 401) void reply.header('www-authenticate', 'Bearer');
    const { extra } = answer;
    if (extra.retryAfterSeconds !== undefined) void reply.header('retry-after', String(extra.retryAfterSeconds));
    return reply.code(answer.status).send({ error: answer.code, message: answer.message, ...extra });
  });

  app.setNotFoundHandler((request, reply) => {
    noteCode(request, 'not_found');
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
    const badSignature = opts.auth.checkSignature(request, raw);
    if (badSignature !== null) {
      done(badSignature);
      return;
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

  return {
    app,
    receivedAt: (request) => info.get(request)?.receivedAt ?? Date.now(),
    noteDelivery(request, batchId, event) {
      const i = info.get(request);
      if (i !== undefined) [i.batchId, i.event] = [batchId, event];
    },
    reject(request, err) {
      noteCode(request, err.code);
      throw err;
    },
  };
}
