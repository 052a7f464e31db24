// Virtual time and the only timers the simulator has (webhook deliveries).
//  - real clock:   virtual now = start + wall-clock elapsed × timeScale; timers are setTimeouts scaled down.
//  - manual clock: virtual now only moves on advance(ms); advancing fires every timer that falls due, in order,
//                  waiting for each to finish (a delivery and the retry it schedules), so tests are deterministic.
import { performance } from 'node:perf_hooks';

export type ClockMode = 'real' | 'manual';

interface Timer {
  at: number;
  order: number;
  seq: number;
  fn: () => Promise<void> | void;
  cancelled: boolean;
}

/** Public view of the clock, as exposed on the simulator handle. */
export interface SimulatorClock {
  readonly mode: ClockMode;
  readonly timeScale: number;
  /** Virtual now (integer Unix ms). */
  now(): number;
  /**
   * Manual clock only: moves virtual time forward by `ms`, firing every due timer (webhook deliveries and
   * their retries) in time order and waiting for each. Rejects on a real clock.
   */
  advance(ms: number): Promise<void>;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

export class VirtualScheduler implements SimulatorClock {
  readonly mode: ClockMode;
  readonly timeScale: number;
  private readonly startVirtual: number;
  private readonly startWall = performance.now();
  private manualNow: number;
  private queue: Timer[] = [];
  private seq = 0;
  private wallTimer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<void>>();
  /** Manual clock: every operation (advance, firing due timers) runs on this chain, one at a time. */
  private ops: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: { mode: ClockMode; timeScale: number; startTime: number; onError: (err: unknown) => void }) {
    this.mode = opts.mode;
    this.timeScale = opts.timeScale;
    this.startVirtual = Math.floor(opts.startTime);
    this.manualNow = this.startVirtual;
    this.onError = opts.onError;
  }

  private readonly onError: (err: unknown) => void;

  now(): number {
    if (this.mode === 'manual') return this.manualNow;
    return this.startVirtual + Math.floor((performance.now() - this.startWall) * this.timeScale);
  }

  /**
   * Runs `fn` at virtual time `at`. Timers due at the same time run by `order`, then by scheduling order.
   * Returns a cancel function.
   */
  schedule(at: number, order: number, fn: () => Promise<void> | void): () => void {
    const timer: Timer = { at, order, seq: this.seq++, fn, cancelled: false };
    if (this.closed) return () => undefined;
    // Sorted insert (the queue is small: pending webhook attempts).
    let i = this.queue.length;
    while (i > 0 && compare(this.queue[i - 1] as Timer, timer) > 0) i--;
    this.queue.splice(i, 0, timer);
    if (this.mode === 'real') this.arm();
    else if (at <= this.manualNow) void this.enqueueOp(() => this.runDue(this.manualNow));
    return () => {
      timer.cancelled = true;
      this.queue = this.queue.filter((t) => t !== timer);
      if (this.mode === 'real') this.arm();
    };
  }

  async advance(ms: number): Promise<void> {
    if (this.mode !== 'manual')
      throw new Error('clock.advance() needs the manual clock (startSimulator({ clock: "manual" }))');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance(ms) needs a finite ms >= 0, got ${ms}`);
    await this.enqueueOp(async () => {
      const target = this.manualNow + Math.floor(ms);
      await this.runDue(target);
      this.manualNow = Math.max(this.manualNow, target);
    });
  }

  /** Resolves once no timer callback is running (manual: also once queued operations are done). */
  async whenIdle(): Promise<void> {
    for (;;) {
      await this.ops;
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.wallTimer = null;
  }

  private enqueueOp(op: () => Promise<void>): Promise<void> {
    const next = this.ops.then(op).catch((err: unknown) => this.onError(err));
    this.ops = next;
    return next;
  }

  /** Manual clock: fires timers with at ≤ target one by one, moving now to each timer's time. */
  private async runDue(target: number): Promise<void> {
    for (;;) {
      const next = this.queue[0];
      if (!next || next.at > target || this.closed) return;
      this.queue.shift();
      if (next.at > this.manualNow) this.manualNow = next.at;
      await this.track(next);
    }
  }

  private track(timer: Timer): Promise<void> {
    if (timer.cancelled) return Promise.resolve();
    const p = (async () => {
      try {
        await timer.fn();
      } catch (err) {
        this.onError(err);
      }
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** Real clock: one setTimeout for the earliest timer. */
  private arm(): void {
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.wallTimer = null;
    const first = this.queue[0];
    if (!first || this.closed) return;
    const delay = Math.min(MAX_TIMEOUT, Math.max(0, (first.at - this.now()) / this.timeScale));
    this.wallTimer = setTimeout(() => this.fireDueReal(), Math.ceil(delay));
    this.wallTimer.unref();
  }

  private fireDueReal(): void {
    this.wallTimer = null;
    const now = this.now();
    while (this.queue[0] && this.queue[0].at <= now && !this.closed) {
      void this.track(this.queue.shift() as Timer);
    }
    this.arm();
  }
}

function compare(a: Timer, b: Timer): number {
  return a.at - b.at || a.order - b.order || a.seq - b.seq;
}
