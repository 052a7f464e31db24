// Shared helpers for the simulator tests: a manual-clock simulator, a small HTTP client for it, and a webhook
// receiver on port 0. Real HTTP throughout, no mocks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../simulator/server';
import type { WebhookPayload } from '../../simulator/types';

export const T0 = 1_760_000_000_000;
export const API_KEY = 'sim_key_for_tests_5f2a';

export function startManual(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  return startSimulator({ clock: 'manual', startTime: T0, apiKey: API_KEY, webhookTimeoutMs: 2_000, ...opts });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
}

export async function request(
  sim: { url: string },
  method: string,
  path: string,
  opts: {
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    auth?: string | null;
    signal?: AbortSignal;
  } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.auth === undefined ? `Bearer ${API_KEY}` : opts.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${sim.url}${path}`, { method, headers, body, signal: opts.signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function items(n: number, prefix = 'https://example.test/blog/post-'): { url: string; custom_id: string }[] {
  return Array.from({ length: n }, (_, i) => ({ url: `${prefix}${i}`, custom_id: `item-${i}` }));
}

export async function createBatch(
  sim: SimulatorHandle,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<{ id: string; res: RawResponse }> {
  const res = await request(sim, 'POST', '/v1/batches-airops', { body, headers });
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${res.text}`);
  return { id: (res.json as { id: string }).id, res };
}

export interface Receiver {
  url: string;
  /** Every body received, in arrival order. */
  received: WebhookPayload[];
  /** Decide the status for each request (default 200). */
  respond: (payload: WebhookPayload, index: number) => number | 'hang';
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1:0. */
export async function startReceiver(respond?: Receiver['respond']): Promise<Receiver> {
  const received: WebhookPayload[] = [];
  const hanging: http.ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    respond: respond ?? (() => 200),
    close: async () => {
      for (const r of hanging) r.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
      received.push(payload);
      const status = receiver.respond(payload, received.length - 1);
      if (status === 'hang') {
        hanging.push(res);
        return;
      }
      if (status >= 300 && status < 400) res.setHeader('location', 'http://127.0.0.1:1/elsewhere');
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/airops`;
  return receiver;
}

/** Short event name: `event.batch.airops.scraping_started` → `scraping_started`. */
export function short(event: string): string {
  return event.replace('event.batch.airops.', '');
}

/** Virtual sample times covering every transition of a batch: each event time, just before it, and midpoints. */
export function sampleTimes(eventTimes: readonly number[], created: number, after = 3_600_000): number[] {
  const set = new Set<number>([created]);
  const sorted = [...new Set(eventTimes)].sort((a, b) => a - b);
  let prev = created;
  for (const t of sorted) {
    if (t - 1 > prev) set.add(t - 1);
    set.add(Math.floor((prev + t) / 2));
    set.add(t);
    prev = t;
  }
  set.add(prev + 1);
  set.add(prev + after);
  return [...set].filter((t) => t >= created).sort((a, b) => a - b);
}

/** Moves a manual clock to virtual time `t` (no-op if already there or past). */
export async function advanceTo(sim: SimulatorHandle, t: number): Promise<void> {
  const now = sim.clock.now();
  if (t > now) await sim.clock.advance(t - now);
}
