// The receiver's ingest journal (opt-in, WEBHOOK_JOURNAL_DIR): an accepted event is appended to a local log and
// fsync'd before the 2xx goes out; a forwarder then signals the trackers from the log, at Temporal's pace, and
// retries while Temporal is away. Undelivered entries survive a crash or restart: the next receiver started on the
// same directory delivers them. Delivery is at least once (an entry delivered just before a crash, whose mark was
// not yet written, is signaled again); the tracker merges a repeated event as a no-op.
//
// On disk: segments `seg-<first seq>.jsonl`, one JSON line per event ({"s": seq, "t": receivedAt, "p": payload}),
// and beside each a `seg-<first seq>.done` list of delivered seqs (not fsync'd: losing it only means redelivery).
// A segment whose every entry is delivered is deleted once no more entries go into it.
import { mkdir, open, readdir, readFile, rm, appendFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebhookPayload } from '../olostep/schemas';

export interface JournalEntry {
  seq: number;
  /** Wall-clock ms when the delivery arrived. */
  receivedAt: number;
  payload: WebhookPayload;
}

export interface JournalOptions {
  /** Directory of the journal (created if missing). One receiver process per directory. */
  dir: string;
  /** Undelivered entries at most; beyond it `isFull()` and the receiver answers 503 (Olostep retries). */
  maxBacklog?: number;
  /** Entries per segment file before a new one starts. */
  segmentEntries?: number;
}

export const DEFAULT_MAX_BACKLOG = 100_000;
const SEGMENT = /^seg-(\d{15})\.jsonl$/;

interface Segment {
  first: number;
  path: string;
  donePath: string;
  count: number;
  delivered: number;
  /** No more entries go into it (recovered, or rotated). */
  sealed: boolean;
  /** Serializes the `.done` appends and the final delete. */
  chain: Promise<unknown>;
  deleted: boolean;
}

const segName = (first: number) => `seg-${String(first).padStart(15, '0')}`;

/** What `open` found on disk. */
export interface JournalRecovery {
  /** Undelivered entries carried over from an earlier process. */
  pending: number;
  /** Lines that could not be read (a torn last write is expected after a crash; it was never acknowledged). */
  unreadable: number;
}

export class WebhookJournal {
  private readonly queue: JournalEntry[] = [];
  private readonly segments = new Map<number, Segment>();
  private current: { seg: Segment; fh: FileHandle } | null = null;
  private nextSeq: number;
  private outstanding: number;
  private buffer: { seq: number; line: string }[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Deletions of delivered segments still running (close waits for them). */
  private readonly deleting = new Set<Promise<unknown>>();
  /** Called after entries became durable (the forwarder pulls then). */
  onDurable: () => void = () => undefined;

  private constructor(
    private readonly dir: string,
    private readonly maxBacklog: number,
    private readonly segmentEntries: number,
    nextSeq: number,
    readonly recovery: JournalRecovery,
  ) {
    this.nextSeq = nextSeq;
    this.outstanding = 0;
  }

  /** Opens (or creates) the journal in `opts.dir` and loads what earlier processes left undelivered. */
  static async open(opts: JournalOptions): Promise<WebhookJournal> {
    const maxBacklog = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    const segmentEntries = opts.segmentEntries ?? 10_000;
    if (!Number.isInteger(maxBacklog) || maxBacklog < 1) throw new RangeError('journal: maxBacklog must be >= 1');
    if (!Number.isInteger(segmentEntries) || segmentEntries < 1) {
      throw new RangeError('journal: segmentEntries must be >= 1');
    }
    await mkdir(opts.dir, { recursive: true });
    const names = (await readdir(opts.dir)).filter((n) => SEGMENT.test(n)).sort();
    const recovered: { seg: Segment; entries: JournalEntry[] }[] = [];
    let unreadable = 0;
    let maxSeq = 0;
    for (const name of names) {
      const first = Number(SEGMENT.exec(name)?.[1]);
      const path = join(opts.dir, name);
      const donePath = join(opts.dir, `${segName(first)}.done`);
      const done = new Set(
        (await readFile(donePath, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => /^\d+$/.test(l))
          .map(Number),
      );
      const entries: JournalEntry[] = [];
      let count = 0;
      for (const line of (await readFile(path, 'utf8')).split('\n')) {
        if (line === '') continue;
        let e: { s?: unknown; t?: unknown; p?: unknown };
        try {
          e = JSON.parse(line) as typeof e;
        } catch {
          unreadable++;
          continue;
        }
        if (typeof e.s !== 'number' || typeof e.t !== 'number' || typeof e.p !== 'object' || e.p === null) {
          unreadable++;
          continue;
        }
        count++;
        maxSeq = Math.max(maxSeq, e.s);
        if (!done.has(e.s)) entries.push({ seq: e.s, receivedAt: e.t, payload: e.p as WebhookPayload });
      }
      const seg: Segment = {
        first,
        path,
        donePath,
        count,
        delivered: count - entries.length,
        sealed: true,
        chain: Promise.resolve(),
        deleted: false,
      };
      recovered.push({ seg, entries });
    }
    const journal = new WebhookJournal(opts.dir, maxBacklog, segmentEntries, maxSeq + 1, {
      pending: recovered.reduce((n, r) => n + r.entries.length, 0),
      unreadable,
    });
    for (const { seg, entries } of recovered) {
      journal.segments.set(seg.first, seg);
      journal.queue.push(...entries);
      journal.outstanding += entries.length;
      journal.maybeDelete(seg);
    }
    return journal;
  }

  /** Entries accepted and not yet delivered (queued or being delivered). */
  get backlog(): number {
    return this.outstanding;
  }

  /** True when no more entries are accepted until the forwarder catches up. */
  isFull(): boolean {
    return this.outstanding >= this.maxBacklog;
  }

  /**
   * Appends an event; resolves once it is on disk (fsync'd), with the entry. Appends of the same moment share one
   * write and one fsync (group commit).
   * @throws when the journal is closed or the write fails (the caller answers 503; nothing was acknowledged)
   */
  append(payload: WebhookPayload, receivedAt: number): Promise<JournalEntry> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    const entry: JournalEntry = { seq: this.nextSeq++, receivedAt, payload };
    this.buffer.push({ seq: entry.seq, line: `${JSON.stringify({ s: entry.seq, t: receivedAt, p: payload })}\n` });
    this.outstanding++;
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.scheduleFlush();
    return durable.then(
      () => {
        this.queue.push(entry);
        this.onDurable();
        return entry;
      },
      (err: unknown) => {
        this.outstanding--;
        throw err;
      },
    );
  }

  /** The oldest undelivered entry not already taken, or undefined. */
  take(): JournalEntry | undefined {
    return this.queue.shift();
  }

  /** Puts a taken entry back at the front (its delivery failed; it is retried first). */
  putBack(entry: JournalEntry): void {
    this.queue.unshift(entry);
  }

  /** Entries waiting to be taken. */
  get queued(): number {
    return this.queue.length;
  }

  /** Marks a taken entry delivered: it is not redelivered after a restart (best effort, see the header). */
  delivered(entry: JournalEntry): void {
    this.outstanding--;
    const seg = this.segmentOf(entry.seq);
    if (seg === undefined || seg.deleted) return;
    seg.delivered++;
    seg.chain = seg.chain.then(() => appendFile(seg.donePath, `${entry.seq}\n`)).catch(() => undefined);
    this.maybeDelete(seg);
  }

  /** Writes what is buffered and closes the current segment; undelivered entries stay on disk for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing !== null || this.buffer.length > 0) {
      if (this.flushing === null) this.scheduleFlush(true);
      await this.flushing;
    }
    await this.current?.fh.close();
    this.current = null;
    await Promise.all([...this.segments.values()].map((s) => s.chain));
    await Promise.all([...this.deleting]);
  }

  private segmentOf(seq: number): Segment | undefined {
    let found: Segment | undefined;
    for (const s of this.segments.values())
      if (s.first <= seq && (found === undefined || s.first > found.first)) found = s;
    return found;
  }

  private maybeDelete(seg: Segment): void {
    if (!seg.sealed || seg.deleted || seg.delivered < seg.count) return;
    seg.deleted = true;
    this.segments.delete(seg.first);
    const removal: Promise<unknown> = seg.chain
      .then(() => Promise.all([rm(seg.path, { force: true }), rm(seg.donePath, { force: true })]))
      .catch(() => undefined)
      .finally(() => this.deleting.delete(removal));
    seg.chain = removal;
    this.deleting.add(removal);
  }

  private scheduleFlush(now = false): void {
    if (this.flushing !== null) return; // the running flush picks up what is buffered when it ends
    const run = async () => {
      try {
        while (this.buffer.length > 0) {
          const lines = this.buffer;
          const waiters = this.waiters;
          this.buffer = [];
          this.waiters = [];
          try {
            await this.write(lines);
            for (const w of waiters) w.resolve();
          } catch (err) {
            for (const w of waiters) w.reject(err);
          }
        }
      } finally {
        this.flushing = null;
      }
    };
    // setImmediate: appends from the same turn of the event loop (many requests) share the write and the fsync.
    this.flushing = now ? run() : new Promise<void>((resolve) => setImmediate(() => void run().then(resolve)));
  }

  /** Writes lines (several segments' worth if a rotation falls inside) and fsyncs. */
  private async write(lines: { seq: number; line: string }[]): Promise<void> {
    let i = 0;
    while (i < lines.length) {
      const cur = await this.currentSegment((lines[i] as { seq: number }).seq);
      const room = this.segmentEntries - cur.seg.count;
      const chunk = lines.slice(i, i + room);
      await cur.fh.write(chunk.map((l) => l.line).join(''));
      await cur.fh.datasync();
      cur.seg.count += chunk.length;
      i += chunk.length;
      if (cur.seg.count >= this.segmentEntries) {
        await cur.fh.close();
        cur.seg.sealed = true;
        this.current = null;
        this.maybeDelete(cur.seg);
      }
    }
  }

  private async currentSegment(firstSeq: number): Promise<{ seg: Segment; fh: FileHandle }> {
    if (this.current !== null) return this.current;
    const name = segName(firstSeq);
    const seg: Segment = {
      first: firstSeq,
      path: join(this.dir, `${name}.jsonl`),
      donePath: join(this.dir, `${name}.done`),
      count: 0,
      delivered: 0,
      sealed: false,
      chain: Promise.resolve(),
      deleted: false,
    };
    const fh = await open(seg.path, 'a');
    // The new file's directory entry must be durable too, or a crash could lose a segment whose lines were synced.
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    this.segments.set(seg.first, seg);
    this.current = { seg, fh };
    return this.current;
  }
}

/** A delivery attempt's answer: anything thrown means "retry later". */
export type DeliverFn = (entry: JournalEntry) => Promise<void>;

export interface ForwarderOptions {
  /** Deliveries in flight at once. Default 64. */
  concurrency?: number;
  /** Longest pause after failures (they double from 500 ms). Default 30 s. */
  maxBackoffMs?: number;
  /** Told of each failed attempt (logging). */
  onFailure?: (entry: JournalEntry, err: unknown, retryInMs: number) => void;
}

/**
 * Drains a journal into `deliver`, oldest first, `concurrency` at a time. A failed delivery goes back to the front and
 * the forwarder pauses (500 ms, doubling to `maxBackoffMs`) so an unreachable Temporal is not hammered.
 */
export class JournalForwarder {
  private inFlight = new Set<Promise<void>>();
  private pausedUntil = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly concurrency: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly journal: WebhookJournal,
    private readonly deliver: DeliverFn,
    private readonly opts: ForwarderOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 64;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    journal.onDurable = () => this.pump();
  }

  /** Starts delivering (what was recovered first). */
  start(): void {
    this.pump();
  }

  /** Deliveries running now. */
  get running(): number {
    return this.inFlight.size;
  }

  /** Stops taking entries and waits for the deliveries in flight to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (now < this.pausedUntil) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.pausedUntil - now);
      return;
    }
    while (this.inFlight.size < this.concurrency) {
      const entry = this.journal.take();
      if (entry === undefined) return;
      const run: Promise<void> = this.deliver(entry).then(
        () => {
          this.failures = 0;
          this.journal.delivered(entry);
        },
        (err: unknown) => {
          this.journal.putBack(entry);
          this.failures++;
          const wait = Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(this.failures - 1, 16));
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + wait);
          this.opts.onFailure?.(entry, err, wait);
        },
      );
      const tracked = run.finally(() => {
        this.inFlight.delete(tracked);
        this.pump();
      });
      this.inFlight.add(tracked);
    }
  }
}
