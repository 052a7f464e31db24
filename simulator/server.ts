// The AirOps batch API simulator: a real node:http server with the three documented endpoints, a lazily
// computed lifecycle on a virtual clock, webhook delivery, idempotency, fault injection and a control API
// (in-process through the handle, or over HTTP under /_sim/ with the same bearer key).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { VirtualScheduler, type ClockMode, type SimulatorClock } from './clock';
import {
  ENDPOINTS,
  FaultInjector,
  FaultRule,
  errorResponse,
  withUnknownFields,
  type ChosenFault,
  type Endpoint,
} from './faults';
import {
  buildPlan,
  createResponseOf,
  groundTruthOf,
  itemsResponseAt,
  statusResponseAt,
  type BatchPlan,
  type GroundTruth,
} from './lifecycle';
import { Rng } from './rng';
import { BatchScript, resolveScript, scriptFromMetadata, type ResolvedScript } from './scenarios';
import type { CreateBatchResponse, ErrorBody, ValidationDetail } from './types';
import { validateCreateBody, type CreateBatchInput } from './validation';
import { DELIVERY_TIMEOUT_MS, WebhookDispatcher, type WebhookDeliveryRecord } from './webhooks';

export type { BatchScript } from './scenarios';
export type { FaultRule, FaultSpec } from './faults';
export type { GroundTruth } from './lifecycle';
export type { SimulatorClock } from './clock';
export type { WebhookDeliveryRecord } from './webhooks';

export const DEFAULT_API_KEY = 'sim_test_key';

export interface SimulatorOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Bearer token the API and /_sim/ require. Default `sim_test_key`. */
  apiKey?: string;
  /** Virtual ms per wall ms (100 = a 300 s scraping phase takes 3 s). Default 1. */
  timeScale?: number;
  /** `real` (default): virtual time flows with the wall clock × timeScale. `manual`: only `clock.advance()`. */
  clock?: ClockMode;
  /** Virtual time at start (Unix ms). Default Date.now(). */
  startTime?: number;
  /** Seed for batch ids, batch seeds and probabilistic faults. Default 1. */
  seed?: number | string;
  /** Receives one line per request, webhook attempt and control action. Never sees the API key. */
  log?: (line: string) => void;
  /** Script applied to every batch (below queued scripts, metadata and scriptBatch). */
  defaultScript?: BatchScript;
  /** Wall ms a webhook receiver has to answer. Default max(200, 30 000 / timeScale). */
  webhookTimeoutMs?: number;
  /** Entries kept in `requests` (oldest dropped). Default 10 000. */
  requestLogLimit?: number;
  /** Largest accepted request body. Default 20 MB (10,000 items fit easily). */
  maxBodyBytes?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  endpoint: Endpoint | 'control' | 'unknown';
  batchId: string | null;
  status: number;
  /** Virtual time the request arrived. */
  at: number;
  durationMs: number;
  /** Injected fault type, if any. */
  fault: string | null;
  /** `replayed` when answered from the idempotency cache. */
  idempotency: 'stored' | 'replayed' | 'conflict' | 'in_progress' | null;
}

export interface SimulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Stops the server, cancels pending webhook deliveries and drops open connections. */
  close(): Promise<void>;
  readonly clock: SimulatorClock;
  /**
   * Replaces the script of an existing batch. Only allowed at the virtual instant it was created (manual clock:
   * create, then script, then advance), so no client can have seen the old plan progress.
   */
  scriptBatch(batchId: string, script: BatchScript): void;
  /** Applies `script` to the next `count` (default 1) batches created. */
  scriptNextBatch(script: BatchScript, count?: number): void;
  /** Script for every batch (lowest precedence); undefined resets to built-in defaults (`happy`). */
  setDefaultScript(script: BatchScript | undefined): void;
  /** Creates a batch without HTTP (no auth, no faults); throws SimulatorInputError on an invalid body. */
  /**
   * Creates a batch as POST /v1/batches-airops would (the same validation, as SimulatorInputError). In process only:
   * `createdAgoMs` backdates it, so it is already that far into its lifecycle when first polled (benchmarks of a
   * fleet of trackers that start on batches already running).
   */
  createBatch(body: unknown, script?: BatchScript, opts?: { createdAgoMs?: number }): CreateBatchResponse;
  /** The true final status (GET shape), items, counts and event times of a batch. */
  groundTruth(batchId: string): GroundTruth;
  batchIds(): string[];
  readonly faults: {
    /** Adds rules; returns their ids. */
    set(rules: FaultRule | readonly FaultRule[]): string[];
    /** All rules, or those of one batch, or one by id. */
    clear(filter?: { batchId?: string; id?: string }): void;
    list(): (FaultRule & { id: string; remaining: number | null })[];
    /** Requests a `hold` fault is holding open now (of one rule, or all). */
    held(ruleId?: string): number;
    /** Answers the held requests (of one rule, or all) with the state at this moment; returns how many. */
    release(ruleId?: string): number;
  };
  /** Requests received (API and /_sim/), oldest first. Never holds the Authorization header. */
  readonly requests: readonly RequestLogEntry[];
  /** Every webhook delivery attempt, in the order they finished. */
  readonly webhookDeliveries: readonly WebhookDeliveryRecord[];
  /** Resolves when no webhook delivery is in flight (manual clock: and no advance is running). */
  whenIdle(): Promise<void>;
}

/** A control-API call that cannot be honoured (unknown batch, wrong clock mode, too late to re-script...). */
export class SimulatorControlError extends Error {
  override readonly name = 'SimulatorControlError';
  /** HTTP status the /_sim API answers with: 404 for an unknown batch, 409 otherwise. */
  readonly status: 404 | 409;
  constructor(message: string, status: 404 | 409 = 409) {
    super(message);
    this.status = status;
  }
}

/** An in-process createBatch() body that the HTTP endpoint would answer with 400. */
export class SimulatorInputError extends Error {
  override readonly name = 'SimulatorInputError';
  constructor(readonly details: ValidationDetail[]) {
    super(`Invalid batch body: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`);
  }
}

interface BatchRecord {
  plan: BatchPlan;
  input: CreateBatchInput;
  layers: (BatchScript | undefined)[];
  fallbackSeed: string;
  script: ResolvedScript;
}

interface IdempotencyEntry {
  hash: string;
  state: 'in_progress' | 'done';
  status: number;
  body: unknown;
  expiresAt: number;
}

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const CREATE_PATH = '/v1/batches-airops';
const BATCH_PREFIX = '/v1/batches-airops/';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** JSON with object keys sorted, so two equal bodies hash the same regardless of key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const sim = new Simulator(options);
  await sim.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return sim.handle();
}

class Simulator {
  private readonly apiKeyDigest: Buffer;
  private readonly scheduler: VirtualScheduler;
  private readonly dispatcher: WebhookDispatcher;
  private readonly faults: FaultInjector;
  private readonly batches = new Map<string, BatchRecord>();
  private readonly idempotency = new Map<string, IdempotencyEntry>();
  private readonly requests: RequestLogEntry[] = [];
  private readonly deliveries: WebhookDeliveryRecord[] = [];
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private heldRequests: { ruleId: string; respond: () => void }[] = [];
  private readonly nextScripts: { script: BatchScript; remaining: number }[] = [];
  private defaultScript: BatchScript | undefined;
  private readonly seed: number | string;
  private readonly idRng: Rng;
  private batchCounter = 0;
  private readonly log: (line: string) => void;
  private readonly requestLogLimit: number;
  private readonly maxBodyBytes: number;
  private readonly server: http.Server;
  private port = 0;
  private host = '127.0.0.1';

  constructor(options: SimulatorOptions) {
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    const apiKey = options.apiKey ?? DEFAULT_API_KEY;
    if (apiKey.length === 0) throw new RangeError('apiKey must not be empty');
    this.apiKeyDigest = sha256(apiKey);
    this.log = options.log ?? (() => undefined);
    this.seed = options.seed ?? 1;
    this.idRng = new Rng(`${String(this.seed)}:ids`);
    this.defaultScript = options.defaultScript ? BatchScript.parse(options.defaultScript) : undefined;
    this.requestLogLimit = options.requestLogLimit ?? 10_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
    this.scheduler = new VirtualScheduler({
      mode: options.clock ?? 'real',
      timeScale,
      startTime: options.startTime ?? Date.now(),
      onError: (err) => this.log(`internal error in a timer: ${err instanceof Error ? err.message : String(err)}`),
    });
    this.dispatcher = new WebhookDispatcher({
      scheduler: this.scheduler,
      records: this.deliveries,
      timeoutMs: options.webhookTimeoutMs ?? Math.max(200, DELIVERY_TIMEOUT_MS / timeScale),
      log: this.log,
    });
    this.faults = new FaultInjector(this.seed);
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.host = host;
        resolve();
      });
    });
  }

  handle(): SimulatorHandle {
    const url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
    return {
      url,
      port: this.port,
      close: () => this.close(),
      clock: {
        mode: this.scheduler.mode,
        timeScale: this.scheduler.timeScale,
        now: () => this.scheduler.now(),
        advance: (ms) => this.scheduler.advance(ms),
      },
      scriptBatch: (id, script) => this.scriptBatch(id, script),
      scriptNextBatch: (script, count = 1) => this.scriptNextBatch(script, count),
      setDefaultScript: (script) => {
        this.defaultScript = script ? BatchScript.parse(script) : undefined;
      },
      createBatch: (body, script, opts) => {
        const v = validateCreateBody(body);
        if (!v.ok) throw new SimulatorInputError(v.details);
        const ago = opts?.createdAgoMs ?? 0;
        if (!Number.isFinite(ago) || ago < 0) throw new RangeError(`createdAgoMs must be >= 0, got ${ago}`);
        const r = this.createBatch(v.value, script ? BatchScript.parse(script) : undefined, ago);
        if (!r.ok) throw new SimulatorInputError(r.details);
        return r.response;
      },
      groundTruth: (id) => groundTruthOf(this.mustGet(id).plan),
      batchIds: () => [...this.batches.keys()],
      faults: {
        set: (rules) => this.faults.set(rules),
        clear: (filter) => this.faults.clear(filter),
        list: () => this.faults.list(),
        held: (ruleId) => this.heldRequests.filter((h) => ruleId === undefined || h.ruleId === ruleId).length,
        release: (ruleId) => this.releaseHeld(ruleId),
      },
      requests: this.requests,
      webhookDeliveries: this.deliveries,
      whenIdle: () => this.scheduler.whenIdle(),
    };
  }

  async close(): Promise<void> {
    this.scheduler.close();
    this.dispatcher.close();
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    this.releaseHeld();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  // ---- control ----

  private mustGet(batchId: string): BatchRecord {
    const rec = this.batches.get(batchId);
    if (!rec) throw new SimulatorControlError(`No batch ${batchId}`, 404);
    return rec;
  }

  private scriptNextBatch(script: BatchScript, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
    this.nextScripts.push({ script: BatchScript.parse(script), remaining: count });
  }

  private scriptBatch(batchId: string, script: BatchScript): void {
    const rec = this.mustGet(batchId);
    const parsed = BatchScript.parse(script);
    if (this.scheduler.now() !== rec.plan.created) {
      throw new SimulatorControlError(
        `scriptBatch(${batchId}) must run at the batch's creation instant (virtual ${rec.plan.created}, now ${this.scheduler.now()}); ` +
          'use scriptNextBatch(), metadata sim_* keys or the manual clock',
      );
    }
    rec.layers = [...rec.layers, parsed];
    rec.script = resolveScript(rec.layers, rec.fallbackSeed);
    rec.plan = buildPlan({
      id: rec.plan.id,
      created: rec.plan.created,
      items: rec.input.items,
      brands: rec.input.brands,
      script: rec.script,
    });
    if (rec.input.webhook) this.dispatcher.scheduleBatch(rec.plan, rec.input.webhook, rec.script.webhooks);
    this.log(`scripted ${batchId}: ${rec.script.scenario}`);
  }

  private createBatch(
    input: CreateBatchInput,
    extra: BatchScript | undefined,
    createdAgoMs = 0,
  ): { ok: true; response: CreateBatchResponse; batchId: string } | { ok: false; details: ValidationDetail[] } {
    const meta = scriptFromMetadata(input.metadata);
    if (!meta.ok) return meta;
    const queued = this.nextScripts[0];
    if (queued) {
      queued.remaining -= 1;
      if (queued.remaining <= 0) this.nextScripts.shift();
    }
    const n = ++this.batchCounter;
    let id = `batch_${this.idRng.alnum(16)}`;
    while (this.batches.has(id)) id = `batch_${this.idRng.alnum(16)}`;
    const layers = [this.defaultScript, queued?.script, meta.script, extra];
    const fallbackSeed = `${String(this.seed)}:${n}`;
    const script = resolveScript(layers, fallbackSeed);
    const created = this.scheduler.now() - Math.floor(createdAgoMs);
    const plan = buildPlan({ id, created, items: input.items, brands: input.brands, script });
    this.batches.set(id, { plan, input, layers, fallbackSeed, script });
    if (input.webhook) this.dispatcher.scheduleBatch(plan, input.webhook, script.webhooks);
    this.log(
      `created ${id}: ${plan.totalUrls} urls, scenario ${script.scenario}${input.webhook ? ', webhook set' : ''}`,
    );
    return { ok: true, response: createResponseOf(plan), batchId: id };
  }

  // ---- HTTP ----

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const startWall = performance.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path,
      endpoint: 'unknown',
      batchId: null,
      status: 0,
      at: this.scheduler.now(),
      durationMs: 0,
      fault: null,
      idempotency: null,
    };
    res.once('close', () => {
      entry.status = res.statusCode;
      entry.durationMs = Math.round((performance.now() - startWall) * 100) / 100;
      this.requests.push(entry);
      if (this.requests.length > this.requestLogLimit * 1.5)
        this.requests.splice(0, this.requests.length - this.requestLogLimit);
      this.log(
        `${entry.method} ${entry.path} ${entry.status} ${entry.durationMs}ms${entry.fault ? ` fault=${entry.fault}` : ''}`,
      );
    });
    this.route(req, res, path, entry).catch((err: unknown) => {
      this.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent)
        this.sendJson(res, 500, { error_code: 'internal_server_error', error_message: 'Simulator error' });
      else res.destroy();
    });
  }

  private async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    entry: RequestLogEntry,
  ): Promise<void> {
    const method = entry.method;
    if (path === CREATE_PATH) {
      entry.endpoint = 'create';
      if (method !== 'POST') return this.methodNotAllowed(res, 'POST');
      if (!this.authorized(req, res)) return;
      return this.handleCreate(req, res, entry);
    }
    if (path.startsWith(BATCH_PREFIX)) {
      const parts = path.slice(BATCH_PREFIX.length).split('/');
      const id = decodeURIComponentSafe(parts[0] ?? '');
      const endpoint: Endpoint | null =
        parts.length === 1 ? 'status' : parts.length === 2 && parts[1] === 'items' ? 'items' : null;
      if (id && endpoint) {
        entry.endpoint = endpoint;
        entry.batchId = id;
        if (method !== 'GET') return this.methodNotAllowed(res, 'GET');
        if (!this.authorized(req, res)) return;
        return this.handleGet(res, entry, id, endpoint);
      }
    }
    if (path === '/_sim' || path.startsWith('/_sim/')) {
      entry.endpoint = 'control';
      if (!this.authorized(req, res)) return;
      return this.handleControl(req, res, path.slice('/_sim'.length), entry);
    }
    this.sendJson(res, 404, { error_code: 'not_found', error_message: `No route for ${method} ${path}` });
  }

  private authorized(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    const ok = match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), this.apiKeyDigest);
    if (!ok) {
      res.setHeader('www-authenticate', 'Bearer');
      this.sendJson(res, 401, {
        error_code: 'invalid_api_key',
        error_message:
          header === undefined ? 'Missing API key: send Authorization: Bearer <API_KEY>' : 'Invalid API key',
      });
    }
    return ok;
  }

  private methodNotAllowed(res: http.ServerResponse, allow: string): void {
    res.setHeader('allow', allow);
    this.sendJson(res, 405, { error_code: 'method_not_allowed', error_message: `Use ${allow}` });
  }

  private readBody(req: http.IncomingMessage): Promise<{ ok: true; text: string } | { ok: false }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBodyBytes) tooBig = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(tooBig ? { ok: false } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
      req.on('error', reject);
    });
  }

  private async handleCreate(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: RequestLogEntry,
  ): Promise<void> {
    const body = await this.readBody(req);
    if (!body.ok) {
      return this.sendJson(res, 413, {
        error_code: 'payload_too_large',
        error_message: `Body exceeds ${this.maxBodyBytes} bytes`,
      });
    }
    const now = this.scheduler.now();
    const fault = this.faults.pick({ endpoint: 'create', batchId: null, batchCreated: null, now });
    if (fault) entry.fault = fault.type;
    if (fault && this.sendErrorFault(res, fault, now)) return;

    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch (err) {
      return this.sendValidation(res, [
        { path: 'body', code: 'invalid_json', message: `Body is not valid JSON: ${(err as Error).message}` },
      ]);
    }

    const keyHeader = req.headers['idempotency-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    let idem: { key: string; hash: string } | null = null;
    if (key !== undefined) {
      if (key.length < 1 || key.length > 255) {
        return this.sendValidation(res, [
          {
            path: 'headers.Idempotency-Key',
            code: 'invalid_value',
            message: 'Idempotency-Key must be 1 to 255 characters',
          },
        ]);
      }
      const hash = createHash('sha256').update(canonicalJson(parsed)).digest('hex');
      const existing = this.idempotency.get(key);
      if (existing && existing.expiresAt <= now) this.idempotency.delete(key);
      else if (existing) {
        if (existing.state === 'in_progress') {
          entry.idempotency = 'in_progress';
          return this.sendJson(res, 409, {
            error_code: 'idempotency_key_in_progress',
            error_message: 'A request with this Idempotency-Key is still being processed; retry shortly',
          });
        }
        if (existing.hash !== hash) {
          entry.idempotency = 'conflict';
          return this.sendJson(res, 422, {
            error_code: 'idempotency_key_reuse',
            error_message: 'This Idempotency-Key was already used with a different request body',
          });
        }
        entry.idempotency = 'replayed';
        const replay = existing.body as { id?: unknown };
        entry.batchId = typeof replay.id === 'string' ? replay.id : null;
        res.setHeader('idempotent-replayed', 'true');
        return this.afterDelay(fault, () => this.sendJson(res, existing.status, existing.body, fault));
      }
      idem = { key, hash };
    }

    const v = validateCreateBody(parsed);
    if (!v.ok) return this.sendValidation(res, v.details);
    const created = this.createBatch(v.value, undefined);
    if (!created.ok) return this.sendValidation(res, created.details);
    entry.batchId = created.batchId;
    if (idem) {
      entry.idempotency = 'stored';
      const stored: IdempotencyEntry = {
        hash: idem.hash,
        state: fault?.type === 'slow' || fault?.type === 'hold' ? 'in_progress' : 'done',
        status: 200,
        body: created.response,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
      };
      this.idempotency.set(idem.key, stored);
      if (fault?.type === 'slow' || fault?.type === 'hold') res.once('close', () => (stored.state = 'done'));
    }
    this.afterDelay(fault, () => this.sendJson(res, 200, created.response, fault));
  }

  private handleGet(res: http.ServerResponse, entry: RequestLogEntry, id: string, endpoint: 'status' | 'items'): void {
    const now = this.scheduler.now();
    const rec = this.batches.get(id);
    const fault = this.faults.pick({ endpoint, batchId: id, batchCreated: rec?.plan.created ?? null, now });
    if (fault) entry.fault = fault.type;
    if (fault && this.sendErrorFault(res, fault, now)) return;
    const respond = () => {
      if (!rec || fault?.type === 'not_found_after_create') {
        return this.sendJson(res, 404, { error_code: 'not_found', error_message: 'Batch not found' }, fault);
      }
      const t = this.scheduler.now();
      const body = endpoint === 'status' ? statusResponseAt(rec.plan, t) : itemsResponseAt(rec.plan, t);
      this.sendJson(res, 200, body, fault);
    };
    this.afterDelay(fault, respond);
  }

  /** Runs `fn` now, after the delay of a `slow` fault, or when a `hold` fault's request is released. */
  private afterDelay(fault: ChosenFault | null, fn: () => void): void {
    if (fault?.type === 'slow') this.later(fault.delayMs, fn);
    else if (fault?.type === 'hold') this.heldRequests.push({ ruleId: fault.ruleId, respond: fn });
    else fn();
  }

  private releaseHeld(ruleId?: string): number {
    const released = this.heldRequests.filter((h) => ruleId === undefined || h.ruleId === ruleId);
    this.heldRequests = this.heldRequests.filter((h) => !released.includes(h));
    for (const h of released) h.respond();
    return released.length;
  }

  /** Sends the response for error-type faults; returns false for faults that shape a normal response. */
  private sendErrorFault(res: http.ServerResponse, fault: ChosenFault, now: number): boolean {
    if (fault.type === 'server_error') {
      const r = errorResponse(fault.status, fault.format, now);
      this.sendText(res, fault.status, r.contentType, r.text);
      return true;
    }
    if (fault.type === 'rate_limit') {
      if (fault.retryAfterSeconds !== null) res.setHeader('retry-after', String(fault.retryAfterSeconds));
      const r = errorResponse(429, fault.format, now);
      this.sendText(res, 429, r.contentType, r.text);
      return true;
    }
    return false;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pendingTimers.delete(t);
      fn();
    }, ms);
    this.pendingTimers.add(t);
  }

  private sendValidation(res: http.ServerResponse, details: ValidationDetail[]): void {
    const body: ErrorBody = {
      error_code: 'validation_error',
      error_message: `Invalid request: ${details.length} problem${details.length === 1 ? '' : 's'} (first: ${details[0]?.path}: ${details[0]?.message})`,
      details,
    };
    this.sendJson(res, 400, body);
  }

  /** JSON response, shaped by a fault (truncated, extra fields) when one applies; `slow` is handled by callers. */
  private sendJson(res: http.ServerResponse, status: number, body: unknown, fault?: ChosenFault | null): void {
    const shaped = fault?.type === 'extra_fields' ? withUnknownFields(body) : body;
    const text = JSON.stringify(shaped);
    if (fault?.type === 'truncated_json') {
      const cut = Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'utf8');
      if (fault.mode === 'connection') {
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.write(cut, () => res.destroy());
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': cut.length });
      res.end(cut);
      return;
    }
    this.sendText(res, status, 'application/json', text);
  }

  private sendText(res: http.ServerResponse, status: number, contentType: string, text: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  // ---- /_sim control API over HTTP ----

  private async handleControl(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    entry: RequestLogEntry,
  ): Promise<void> {
    const method = entry.method;
    const readJson = async (): Promise<unknown> => {
      const b = await this.readBody(req);
      if (!b.ok) throw new ControlBadRequest('body too large');
      if (b.text.trim() === '') return undefined;
      try {
        return JSON.parse(b.text) as unknown;
      } catch {
        throw new ControlBadRequest('body is not valid JSON');
      }
    };
    const ok = (body: unknown) => this.sendJson(res, 200, body);
    try {
      const parts = path.split('/').filter(Boolean).map(decodeURIComponentSafe);
      const [a, b, c] = parts;
      if (method === 'GET' && a === 'clock' && !b) {
        return ok({ mode: this.scheduler.mode, time_scale: this.scheduler.timeScale, now: this.scheduler.now() });
      }
      if (method === 'POST' && a === 'clock' && b === 'advance') {
        const { ms } = parseOr(z.object({ ms: z.number().min(0) }), await readJson());
        if (this.scheduler.mode !== 'manual') throw new SimulatorControlError('clock/advance needs the manual clock');
        await this.scheduler.advance(ms);
        return ok({ now: this.scheduler.now() });
      }
      if (method === 'GET' && a === 'batches' && !b) return ok({ batch_ids: [...this.batches.keys()] });
      if (method === 'GET' && a === 'batches' && b && c === 'ground-truth' && parts.length === 3) {
        return ok(groundTruthOf(this.mustGet(b).plan));
      }
      if (method === 'PUT' && a === 'batches' && b && c === 'script' && parts.length === 3) {
        this.scriptBatch(b, parseOr(BatchScript, await readJson()));
        return ok({ ok: true });
      }
      if (method === 'PUT' && a === 'default-script' && !b) {
        const body = await readJson();
        this.defaultScript = body === undefined || body === null ? undefined : parseOr(BatchScript, body);
        return ok({ ok: true });
      }
      if (method === 'POST' && a === 'next-scripts' && !b) {
        const { script, count } = parseOr(
          z.object({ script: BatchScript, count: z.number().int().min(1).optional() }),
          await readJson(),
        );
        this.scriptNextBatch(script, count ?? 1);
        return ok({ ok: true });
      }
      if (a === 'faults' && b === 'release' && method === 'POST') {
        const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? undefined;
        return ok({ released: this.releaseHeld(id) });
      }
      if (a === 'faults' && !b) {
        if (method === 'GET') return ok({ faults: this.faults.list() });
        if (method === 'POST') {
          const body = await readJson();
          const rules = parseOr(z.union([FaultRule, z.array(FaultRule)]), body);
          return ok({ ids: this.faults.set(rules) });
        }
        if (method === 'DELETE') {
          const q = new URL(req.url ?? '/', 'http://x').searchParams;
          const batchId = q.get('batch_id') ?? undefined;
          const id = q.get('id') ?? undefined;
          this.faults.clear(batchId || id ? { batchId, id } : undefined);
          return ok({ ok: true });
        }
      }
      if (method === 'GET' && a === 'requests' && !b) return ok({ requests: this.requests });
      if (method === 'GET' && a === 'webhook-deliveries' && !b) return ok({ deliveries: this.deliveries });
      if (method === 'GET' && !a) {
        return ok({
          endpoints: [
            'GET /_sim/clock',
            'POST /_sim/clock/advance {ms}',
            'GET /_sim/batches',
            'GET /_sim/batches/{id}/ground-truth',
            'PUT /_sim/batches/{id}/script {BatchScript}',
            'PUT /_sim/default-script {BatchScript|null}',
            'POST /_sim/next-scripts {script, count?}',
            'GET|POST|DELETE /_sim/faults (POST: FaultRule or FaultRule[]; DELETE ?batch_id=&id=)',
            'POST /_sim/faults/release?id= (answers requests a hold fault holds)',
            'GET /_sim/requests',
            'GET /_sim/webhook-deliveries',
          ],
          endpoints_for_faults: ENDPOINTS,
        });
      }
      this.sendJson(res, 404, { error_code: 'not_found', error_message: `No control route ${method} /_sim${path}` });
    } catch (err) {
      if (err instanceof ControlBadRequest || err instanceof z.ZodError) {
        return this.sendJson(res, 400, {
          error_code: 'validation_error',
          error_message: err instanceof z.ZodError ? 'Invalid control request' : err.message,
          ...(err instanceof z.ZodError
            ? {
                details: err.issues.map((i) => ({
                  path: i.path.map(String).join('.'),
                  message: i.message,
                  code: i.code,
                })),
              }
            : {}),
        });
      }
      if (err instanceof SimulatorControlError && err.status === 404) {
        return this.sendJson(res, 404, { error_code: 'not_found', error_message: err.message });
      }
      if (err instanceof SimulatorControlError || err instanceof RangeError) {
        return this.sendJson(res, 409, { error_code: 'control_error', error_message: err.message });
      }
      throw err;
    }
  }
}

class ControlBadRequest extends Error {
  override readonly name = 'ControlBadRequest';
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown): T {
  return schema.parse(value);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
