// The axios client for the AirOps Batches API. It never reads the environment (entry points pass options),
// never throws axios errors (every outcome maps to the olostep/errors family), and never lets the API key
// reach an error: requests' headers are not attached to anything it throws, and server text is redacted.
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance, type AxiosProxyConfig, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import { batchIdProblem, previewString, validateBatchId } from './batch-id';
import {
  AbortedError,
  ClientConfigError,
  ContractViolationError,
  NetworkError,
  OlostepError,
  TimeoutError,
  ValidationError,
} from './errors';
import { snapshotFromCreateResponse, snapshotFromStatusResponse, unknownItemValues } from './normalize';
import { MAX_BODY_SNIPPET_LENGTH, errorFromResponse, squash } from './response-errors';
import {
  type BatchItemResult,
  BatchItemsResponse,
  BatchStatusResponse,
  CREATE_BATCH_PATH,
  CreateBatchResponse,
  type CreateBatchRequestInput,
  type ItemCounts,
  explainIssues,
  formatIssuePath,
  validateCreateRequest,
} from './schemas';
import type { BatchSnapshot } from './snapshot';

export { validateBatchId } from './batch-id';

export const DEFAULT_BASE_URL = 'https://api.olostep.com';
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Items come back all at once (up to 10,000, no pagination, docs/airops-api.md#batch-items), hence the longer default. */
export const DEFAULT_ITEMS_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_USER_AGENT = 'airops-temporal/0.2 (+axios)';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const STATUS_PATH_TEMPLATE = '/v1/batches-airops/{batch_id}';
const ITEMS_PATH_TEMPLATE = '/v1/batches-airops/{batch_id}/items';

export interface OlostepClientOptions {
  /** Bearer token. Kept in a private field; never appears in errors, logs or `util.inspect(client)`. */
  apiKey: string;
  /** Default `https://api.olostep.com`. May carry a path prefix (e.g. a local simulator under `/sim`). */
  baseUrl?: string;
  /** Deadline for create and status requests, whole body included. Default 30 s. */
  timeoutMs?: number;
  /** Deadline for the items request. Default 120 s. */
  itemsTimeoutMs?: number;
  userAgent?: string;
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
  /** Responses larger than this fail with a non-retryable ContractViolationError. Default 64 MiB. */
  maxResponseBytes?: number;
  /** An explicit proxy; default none (axios would otherwise read HTTP(S)_PROXY from the environment). */
  proxy?: AxiosProxyConfig | false;
  /** Clock for `Retry-After` HTTP dates; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

export interface RequestOptions {
  /** Aborts the request (e.g. on activity cancellation); rejects with AbortedError. */
  signal?: AbortSignal;
  /** Overrides the client's deadline for this call. */
  timeoutMs?: number;
}

export interface CreateBatchOptions extends RequestOptions {
  /** Sent as `Idempotency-Key` (1 to 255 visible ASCII characters). Retry a failed create with the same key. */
  idempotencyKey?: string;
}

export interface CreateBatchResult {
  batchId: string;
  /** HTTP status of the response (documented 200; any 2xx is accepted). */
  httpStatus: number;
  raw: CreateBatchResponse;
  snapshot: BatchSnapshot;
}

export interface BatchStatusResult {
  raw: BatchStatusResponse;
  snapshot: BatchSnapshot;
}

export interface BatchItemsResult {
  raw: BatchItemsResponse;
  /** The body's `status` (`completed`, `in_progress`, or something new). */
  status: string;
  /** True when the body is the finished shape: `status: "completed"` with `counts`. */
  complete: boolean;
  items: BatchItemResult[];
  counts: ItemCounts | null;
  /** `message` of the still-running body, or null. */
  message: string | null;
  /** Enum strings this client does not know, e.g. `items[].page_type=press_release`. */
  unknownValues: string[];
}

interface SendOptions {
  body?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

function configError(reason: string): ClientConfigError {
  return new ClientConfigError({ method: 'NEW', path: 'OlostepClient', status: null, code: 'invalid_options', reason });
}

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw configError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}

/** Secrets at least this long are removed wherever they occur; shorter ones only as whole tokens. */
const ALWAYS_REDACT_LENGTH = 8;

/**
 * Replaces `secret` in `text` with `[REDACTED]`, and any `Bearer <token>`. A secret of 8+ characters is removed
 * wherever it occurs; a shorter one (a local simulator key such as `k`) only where it stands as a whole token,
 * so that it does not shred ordinary words ("Network" does not lose its `k`).
 */
export function redactSecret(text: string, secret: string): string {
  let out = text;
  if (secret.length >= ALWAYS_REDACT_LENGTH) out = out.split(secret).join('[REDACTED]');
  else if (secret.length > 0) {
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), '[REDACTED]');
  }
  return out.replace(/Bearer\s+[^\s"',;]+/gi, 'Bearer [REDACTED]');
}

/** Why `key` cannot be sent as `Idempotency-Key`, or null. */
export function idempotencyKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return `must be a string, got ${key === null ? 'null' : typeof key}`;
  if (key.length === 0) return 'must not be empty';
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${key.length}`;
  }
  if (!/^[\x21-\x7e]+$/.test(key)) return `must be visible ASCII without spaces: ${previewString(key)}`;
  return null;
}

/**
 * Client for the three AirOps endpoints. Every failure is an `OlostepError` subclass with `retryable` set;
 * 2xx bodies are parsed with zod and normalized into a `BatchSnapshot`.
 */
export class OlostepClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly itemsTimeoutMs: number;
  // ES private fields: invisible to util.inspect, JSON.stringify and Object.keys.
  readonly #apiKey: string;
  readonly #http: AxiosInstance;
  readonly #userAgent: string;
  readonly #now: () => number;

  constructor(options: OlostepClientOptions) {
    const apiKey: unknown = options?.apiKey;
    if (typeof apiKey !== 'string' || apiKey.trim() === '') throw configError('apiKey must be a non-empty string');
    // Checked here so Node's header validation never gets to produce an error about it.
    if (!/^[\x21-\x7e]+$/.test(apiKey)) throw configError('apiKey contains whitespace or non-ASCII characters');
    this.#apiKey = apiKey;

    const base = options.baseUrl ?? DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw configError(`baseUrl is not a valid URL: ${previewString(base, 80)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('baseUrl must be http or https');
    if (url.username || url.password || url.search || url.hash) {
      throw configError('baseUrl must not carry credentials, a query or a fragment');
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.timeoutMs = positiveMs('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.itemsTimeoutMs = positiveMs('itemsTimeoutMs', options.itemsTimeoutMs, DEFAULT_ITEMS_TIMEOUT_MS);
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#now = options.now ?? Date.now;
    this.#http = axios.create({
      // Statuses are mapped by hand; the body arrives as raw text so truncated JSON can be reported as such.
      validateStatus: () => true,
      responseType: 'text',
      responseEncoding: 'utf8',
      transformResponse: [(data: unknown) => data],
      transformRequest: [(data: unknown) => data],
      // A redirect is not part of the contract, and following one could carry the key elsewhere.
      maxRedirects: 0,
      maxContentLength: positiveMs('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES),
      maxBodyLength: Infinity,
      proxy: options.proxy ?? false,
      httpAgent: options.httpAgent,
      httpsAgent: options.httpsAgent,
    });
  }

  /**
   * POST /v1/batches-airops. The request is validated client-side first (every documented limit); nothing is
   * sent when it fails. Any 2xx is accepted (documented: 200).
   *
   * @throws ValidationError (locally, `status: null`, or a 400/422), UnauthorizedError, PaymentRequiredError,
   *   ForbiddenError, ConflictError (409, retryable), RateLimitedError, ServerError, NetworkError, TimeoutError,
   *   AbortedError, ContractViolationError. Retry a create only with the same `idempotencyKey`: a 5xx or a
   *   timeout may hide a batch that was created.
   */
  async createBatch(request: CreateBatchRequestInput, options: CreateBatchOptions = {}): Promise<CreateBatchResult> {
    const body = validateCreateRequest(request);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.idempotencyKey !== undefined) {
      const problem = idempotencyKeyProblem(options.idempotencyKey);
      if (problem !== null) {
        throw new ValidationError({
          method: 'POST',
          path: CREATE_BATCH_PATH,
          status: null,
          code: 'invalid_idempotency_key',
          reason: `Idempotency-Key ${problem}`,
          details: [{ path: 'Idempotency-Key', message: problem, code: 'invalid_idempotency_key' }],
        });
      }
      headers['Idempotency-Key'] = options.idempotencyKey;
    }
    const { data, status } = await this.#send('POST', CREATE_BATCH_PATH, CreateBatchResponse, {
      body: JSON.stringify(body),
      headers,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      signal: options.signal,
    });
    const idProblem = batchIdProblem(data.id);
    if (idProblem !== null) {
      throw new ContractViolationError({
        method: 'POST',
        path: CREATE_BATCH_PATH,
        status,
        code: null,
        reason: `the created batch has an unusable id: ${idProblem}`,
        retryable: false,
      });
    }
    return { batchId: data.id, httpStatus: status, raw: data, snapshot: snapshotFromCreateResponse(data) };
  }

  /**
   * GET /v1/batches-airops/{batch_id}: the polling endpoint, normalized into a BatchSnapshot.
   *
   * @throws InvalidBatchIdError before any request; NotFoundError (404); the HTTP/network errors of createBatch;
   *   ContractViolationError when the body does not parse or names another batch.
   */
  async getBatchStatus(batchId: string, options: RequestOptions = {}): Promise<BatchStatusResult> {
    const id = validateBatchId(batchId, { method: 'GET', path: STATUS_PATH_TEMPLATE });
    const path = `/v1/batches-airops/${encodeURIComponent(id)}`;
    const { data, status } = await this.#send('GET', path, BatchStatusResponse, {
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      signal: options.signal,
    });
    if (data.id !== id) throw this.#otherBatch('GET', path, status, data.id);
    return { raw: data, snapshot: snapshotFromStatusResponse(data) };
  }

  /**
   * GET /v1/batches-airops/{batch_id}/items: all items at once; complete only once the batch is completed
   * (`complete: false` with `items: []` and a `message` while it runs). Uses `itemsTimeoutMs`.
   *
   * @throws the same errors as getBatchStatus.
   */
  async getBatchItems(batchId: string, options: RequestOptions = {}): Promise<BatchItemsResult> {
    const id = validateBatchId(batchId, { method: 'GET', path: ITEMS_PATH_TEMPLATE });
    const path = `/v1/batches-airops/${encodeURIComponent(id)}/items`;
    const { data, status } = await this.#send('GET', path, BatchItemsResponse, {
      timeoutMs: options.timeoutMs ?? this.itemsTimeoutMs,
      signal: options.signal,
    });
    if (data.batch_id !== id) throw this.#otherBatch('GET', path, status, data.batch_id);
    const counts = 'counts' in data && data.counts !== undefined ? (data.counts as ItemCounts) : null;
    return {
      raw: data,
      status: data.status,
      complete: data.status === 'completed' && counts !== null,
      items: data.items ?? [],
      counts,
      message: data.message ?? null,
      unknownValues: unknownItemValues(data),
    };
  }

  #otherBatch(method: string, path: string, status: number, got: string): ContractViolationError {
    return new ContractViolationError({
      method,
      path,
      status,
      code: null,
      reason: `response is about another batch: ${previewString(got)}`,
      retryable: false,
    });
  }

  /** Removes the API key (and any bearer token) from text that came from the server or the network stack. */
  #redact(text: string): string {
    return redactSecret(text, this.#apiKey);
  }

  async #send<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    options: SendOptions,
  ): Promise<{ data: z.output<S>; status: number }> {
    const timeoutMs = options.timeoutMs;
    // One deadline for the whole exchange, body included (axios' own timeout is per socket inactivity).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });

    let res: AxiosResponse<unknown>;
    try {
      res = await this.#http.request({
        method,
        url: `${this.baseUrl}${path}`,
        data: options.body,
        signal: controller.signal,
        headers: {
          Authorization: `Bearer ${this.#apiKey}`,
          Accept: 'application/json',
          'User-Agent': this.#userAgent,
          ...options.headers,
        },
      });
    } catch (err) {
      throw this.#transportError(err, method, path, timedOut, timeoutMs);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }

    const status = res.status;
    // responseType 'text' yields a string; a Buffer is the only other thing the node adapter can produce.
    const text = typeof res.data === 'string' ? res.data : Buffer.isBuffer(res.data) ? res.data.toString('utf8') : '';
    const header = (name: string): string | null => {
      const v: unknown = res.headers[name.toLowerCase()];
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      return Array.isArray(v) ? v.map(String).join(', ') : null;
    };
    if (status < 200 || status > 299) {
      throw errorFromResponse({
        method,
        path,
        status,
        bodyText: text,
        header,
        redact: (t) => this.#redact(t),
        nowMs: this.#now(),
      });
    }

    const snippet = text === '' ? null : this.#redact(text.slice(0, MAX_BODY_SNIPPET_LENGTH));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const contentType = header('content-type');
      const what =
        text.trim() === ''
          ? 'response body is empty (expected JSON)'
          : `response body is not valid JSON (${text.length} chars${contentType ? `, ${contentType}` : ''}${
              /^\s*[[{]/.test(text) ? ', looks truncated' : ''
            }): ${this.#redact(squash(err instanceof Error ? err.message : String(err), 120))}`;
      throw new ContractViolationError({ method, path, status, code: null, reason: what, bodySnippet: snippet });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = explainIssues(parsed.error.issues).map((i) =>
        this.#redact(`${formatIssuePath(i.path)}: ${squash(i.message, 200)}`),
      );
      const shown = issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
      throw new ContractViolationError({
        method,
        path,
        status,
        code: null,
        reason: `response body does not match the contract: ${shown}`,
        issues,
        bodySnippet: snippet,
      });
    }
    return { data: parsed.data, status };
  }

  // Maps anything axios throws to the error family, with a sanitized cause: axios errors carry the request
  // config, headers included, so the original is never attached.
  #transportError(err: unknown, method: string, path: string, timedOut: boolean, timeoutMs: number): OlostepError {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : null;
    const rawMessage = err instanceof Error ? err.message : String(err);
    const message = this.#redact(squash(rawMessage, 200));
    const cause = new Error(message);
    cause.name = err instanceof Error ? err.name : 'Error';
    if (code !== null) Object.assign(cause, { code });
    // `code` stays the API's error code (none here); the system code is in the reason and on `cause.code`.
    const base = { method, path, status: null, code: null, cause };

    if (timedOut) {
      return new TimeoutError({ ...base, reason: `no complete response within ${timeoutMs} ms`, timeoutMs });
    }
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      // A socket-level timeout (e.g. from a caller-supplied agent) before our own deadline.
      return new TimeoutError({ ...base, reason: `timed out (${code}): ${message}`, timeoutMs });
    }
    if (axios.isCancel(err) || code === 'ERR_CANCELED') {
      return new AbortedError({ ...base, reason: 'request aborted by the caller' });
    }
    if (/maxContentLength/.test(rawMessage)) {
      return new ContractViolationError({ ...base, reason: `response too large: ${message}`, retryable: false });
    }
    if (axios.isAxiosError(err)) {
      return new NetworkError({ ...base, reason: `network error${code ? ` (${code})` : ''}: ${message}` });
    }
    return new OlostepError({ ...base, reason: `request failed: ${message}`, retryable: false });
  }
}
