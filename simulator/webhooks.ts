// Webhook delivery (docs/airops-api.md#webhook-delivery): each lifecycle event is POSTed as JSON to the batch's `webhook` URL when the
// transition happens in virtual time. Delivered = 2xx within the (scaled) 30 s timeout; otherwise retried
// on the documented schedule (immediately, +2, +4, +7, +15 min virtual), at most 5 attempts. Redirects are
// not followed. Optional per-batch misbehaviour: duplicates and reordering.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { VirtualScheduler } from './clock';
import { workflowStatusAt, type BatchPlan, type PlannedEvent } from './lifecycle';
import { Rng } from './rng';
import type { WebhookBehaviour } from './scenarios';
import type { WebhookEventType, WebhookPayload } from './types';

/** Delay before each attempt, relative to the previous attempt (virtual ms). */
export const RETRY_DELAYS_MS = [0, 2 * 60_000, 4 * 60_000, 7 * 60_000, 15 * 60_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length;
/** Virtual time a receiver has to answer 2xx. */
export const DELIVERY_TIMEOUT_MS = 30_000;

export interface WebhookDeliveryRecord {
  batchId: string;
  event: WebhookEventType;
  /** 1..5 within this delivery's retry chain. */
  attempt: number;
  /** True for the extra copy sent by the `duplicate` behaviour. */
  duplicate: boolean;
  /** True when this event was held back to arrive after the next one (`reorder`). */
  reordered: boolean;
  url: string;
  /** Virtual time of the attempt (also the payload's `timestamp`). */
  at: number;
  /** Virtual time the event happened. */
  eventAt: number;
  /** HTTP status, or null when no response (timeout, refused, reset). */
  status: number | null;
  error: string | null;
  delivered: boolean;
  durationMs: number;
  /** Virtual time of the next attempt, when one is scheduled. */
  nextAttemptAt: number | null;
}

interface BatchDeliveryState {
  cancels: (() => void)[];
  /** First attempts of one batch are sent one after another, in fire order. */
  chain: Promise<void>;
}

export class WebhookDispatcher {
  private readonly batches = new Map<string, BatchDeliveryState>();
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly inflight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(
    private readonly deps: {
      scheduler: VirtualScheduler;
      records: WebhookDeliveryRecord[];
      /** Wall-clock ms a receiver has to answer. */
      timeoutMs: number;
      log: (line: string) => void;
    },
  ) {}

  /** Schedules every event of the plan (first attempts); call again after re-planning to replace them. */
  scheduleBatch(plan: BatchPlan, url: string, behaviour: WebhookBehaviour): void {
    this.cancelBatch(plan.id);
    const state: BatchDeliveryState = { cancels: [], chain: Promise.resolve() };
    this.batches.set(plan.id, state);
    const rng = new Rng(`${String(plan.seed)}:webhooks`);
    const events = plan.events;
    const picks = (sel: WebhookBehaviour['duplicate'], e: PlannedEvent) =>
      sel === undefined ? false : Array.isArray(sel) ? sel.includes(e.type) : rng.chance(sel);
    const dup = events.map((e) => picks(behaviour.duplicate, e));
    const reorder = events.map((e, i) => i < events.length - 1 && picks(behaviour.reorder, e));
    // When each first attempt fires: a held event fires right after the next event's (held or not) send.
    const fire: { at: number; order: number }[] = new Array<{ at: number; order: number }>(events.length);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i] as PlannedEvent;
      const after = fire[i + 1];
      fire[i] = reorder[i] && after ? { at: after.at, order: after.order + 0.5 } : { at: e.at, order: e.order };
    }
    events.forEach((event, i) => {
      const f = fire[i] as { at: number; order: number };
      const send = (duplicate: boolean) => () =>
        this.enqueueFirst(state, () =>
          this.attempt(plan, url, event, { attempt: 1, duplicate, reordered: reorder[i] === true }, state),
        );
      state.cancels.push(this.deps.scheduler.schedule(f.at, f.order, send(false)));
      if (dup[i]) {
        const delay = behaviour.duplicateDelayMs ?? 0;
        state.cancels.push(this.deps.scheduler.schedule(f.at + delay, f.order + 0.25, send(true)));
      }
    });
  }

  cancelBatch(batchId: string): void {
    const state = this.batches.get(batchId);
    if (!state) return;
    for (const cancel of state.cancels) cancel();
    this.batches.delete(batchId);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.batches.keys()]) this.cancelBatch(id);
    for (const req of this.inflight) req.destroy(new Error('simulator closed'));
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private enqueueFirst(state: BatchDeliveryState, send: () => Promise<void>): Promise<void> {
    const next = state.chain.then(send, send);
    state.chain = next.catch(() => undefined);
    return next;
  }

  private async attempt(
    plan: BatchPlan,
    url: string,
    event: PlannedEvent,
    meta: { attempt: number; duplicate: boolean; reordered: boolean },
    state: BatchDeliveryState,
  ): Promise<void> {
    if (this.closed) return;
    const { scheduler } = this.deps;
    const at = scheduler.now();
    const payload: WebhookPayload = {
      object: event.type,
      id: plan.id,
      created: plan.created,
      timestamp: at,
      // The state as of the transition, even when the delivery is late (held, retried).
      status: workflowStatusAt(plan, event.at, 'webhook'),
    };
    const started = performance.now();
    const result = await this.post(url, JSON.stringify(payload));
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const nextDelay = RETRY_DELAYS_MS[meta.attempt];
    const nextAttemptAt = !delivered && nextDelay !== undefined && !this.closed ? at + nextDelay : null;
    const record: WebhookDeliveryRecord = {
      batchId: plan.id,
      event: event.type,
      attempt: meta.attempt,
      duplicate: meta.duplicate,
      reordered: meta.reordered,
      url,
      at,
      eventAt: event.at,
      status: result.status,
      error: result.error,
      delivered,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      nextAttemptAt,
    };
    this.deps.records.push(record);
    this.deps.log(
      `webhook ${event.type.replace('event.batch.airops.', '')} ${plan.id} attempt ${meta.attempt}/${MAX_ATTEMPTS}` +
        `${meta.duplicate ? ' (duplicate)' : ''} -> ${result.status ?? result.error ?? '?'}${delivered ? '' : nextAttemptAt !== null ? ', will retry' : ', giving up'}`,
    );
    if (nextAttemptAt !== null) {
      state.cancels.push(
        scheduler.schedule(nextAttemptAt, event.order, () =>
          this.attempt(plan, url, event, { ...meta, attempt: meta.attempt + 1 }, state),
        ),
      );
    }
  }

  private post(url: string, body: string): Promise<{ status: number | null; error: string | null }> {
    return new Promise((resolve) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        resolve({ status: null, error: 'invalid_url' });
        return;
      }
      const lib = u.protocol === 'https:' ? https : http;
      let settled = false;
      const done = (r: { status: number | null; error: string | null }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(req);
        resolve(r);
      };
      const req = lib.request(
        u,
        {
          method: 'POST',
          agent: u.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'olostep-airops-simulator/0.1',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => done({ status: res.statusCode ?? null, error: null }));
          res.on('error', (err) => done({ status: null, error: err.message }));
        },
      );
      const timer = setTimeout(() => {
        done({ status: null, error: 'timeout' });
        req.destroy(new Error('webhook timeout'));
      }, this.deps.timeoutMs);
      this.inflight.add(req);
      req.on('error', (err: NodeJS.ErrnoException) => done({ status: null, error: err.code ?? err.message }));
      req.end(body);
    });
  }
}
