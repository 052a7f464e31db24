// The webhook receiver fuzz, shared by test/webhooks/fuzz.test.ts, test/reliability/hostile-input.test.ts (against
// the receiver process) and bench/soak-hostile-input.ts: seeded generators of unacceptable requests (mutated,
// truncated, random bodies; wrong secrets; content types; oversized bodies; raw malformed HTTP) and a runner that
// sends them and reports every answer that is not a 4xx (or a refused connection for broken HTTP).
import http from 'node:http';
import net from 'node:net';
import { webhookUrlFor } from '../../webhooks/server';
import { SECRET, freshBatchId, payloadFor } from './helpers';

/** mulberry32: small, fast, seedable. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof rng>;

const WEIRD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e',
  '💥',
  '../../etc/passwd',
  '%2e%2e',
  '__proto__',
  'constructor',
  '<script>',
  "' OR 1=1 --",
  'event.batch.airops.',
  'batch_',
  'x'.repeat(300),
];

function randomString(r: Rng, max = 40): string {
  if (r.chance(0.3)) return r.pick(WEIRD_STRINGS);
  const len = r.int(max);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(r.chance(0.9) ? 32 + r.int(95) : r.int(0xffff));
  return s;
}

const KEY_POOL = ['object', 'status', 'created', 'timestamp', 'overall', 'scraping', 'state', 'data', '__proto__'];

/** A random JSON value; objects never carry `id`, so none can be a webhook payload. */
function randomJson(r: Rng, depth = 0): unknown {
  const kind = depth > 3 ? r.int(4) : r.int(6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5) ? r.int(1e9) - 5e8 : r.next() * 1e308 * (r.chance(0.5) ? 1 : -1);
    case 2:
      return r.chance(0.5);
    case 3:
      return randomString(r);
    case 4:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(6); i > 0; i--)
        o[r.chance(0.5) ? r.pick(KEY_POOL) : randomString(r, 12)] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** Harmless noise on a payload (the receiver tolerates it): extra keys, odd phase states, unknown fields. */
function addNoise(r: Rng, p: Record<string, unknown>): void {
  for (let i = r.int(4); i > 0; i--) p[randomString(r, 10) || 'k'] = randomJson(r, 2);
  const status = p.status as Record<string, Record<string, unknown>>;
  if (r.chance(0.3) && status.scraping) status.scraping.state = randomString(r, 12);
  if (r.chance(0.2)) status.extra = randomJson(r, 2) as Record<string, unknown>;
}

/** A change that makes a payload unacceptable (each is a schema violation or an unsupported event). */
const FATAL: ((r: Rng, p: Record<string, unknown>) => unknown)[] = [
  (r, p) => ({
    ...p,
    id: r.pick([
      null,
      7,
      true,
      [],
      {},
      '',
      ' batch_x',
      'batch/x',
      'a%2Fb',
      '.hidden',
      'b'.repeat(256),
      'x\u0000y',
      'a?b',
      'a#b',
      '\ud800',
    ]),
  }),
  (r, p) => {
    const drop = r.pick(['id', 'object', 'status']);
    return Object.fromEntries(Object.entries(p).filter(([k]) => k !== drop));
  },
  (r, p) => ({
    ...p,
    object: r.pick([
      null,
      1,
      '',
      'batch.completed',
      'event.batch.completed',
      'EVENT.BATCH.AIROPS.COMPLETED',
      'event.batch.airops.',
      'event.batch.airops.Completed',
      `event.batch.airops.${'a'.repeat(70)}`,
      'event.batch.airops.x y',
      randomString(r),
    ]),
  }),
  (r, p) => ({ ...p, status: r.pick([null, 0, true, [], [p.status]]) }),
  (r, p) => ({ ...p, [r.pick(['created', 'timestamp', 'created_at', 'total_urls'])]: r.pick(['1', {}, [], true]) }),
  (r, p) => {
    const status = { ...(p.status as Record<string, unknown>) };
    status[r.pick(['scraping', 'analyzing', 'enriching'])] = r.pick([1, 'started', true, [1]]);
    return { ...p, status };
  },
  (r, p) => {
    const status = p.status as Record<string, Record<string, unknown>>;
    const phase = r.pick(['scraping', 'analyzing', 'enriching'] as const);
    const counter = { scraping: 'succeeded', analyzing: 'items_analyzed', enriching: 'items_to_enrich' }[phase];
    const key = r.pick(['started_at', 'completed_at', counter]);
    return { ...p, status: { ...status, [phase]: { ...status[phase], [key]: r.pick(['12', {}, [], true]) } } };
  },
  (_r, p) => [p],
];

export interface FuzzCase {
  kind: string;
  path: 'secret' | 'base' | 'wrong';
  headers: Record<string, string>;
  body: Buffer;
}

export function buildCase(r: Rng, wrongSecret: () => string, bodyLimit: number, secret = SECRET): FuzzCase {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let path: FuzzCase['path'] = 'secret';
  let kind: string;
  const valid = payloadFor(freshBatchId('batch_fuzz'));
  addNoise(r, valid);
  let body: Buffer;
  const roll = r.next();
  if (roll < 0.45) {
    kind = 'mutated payload';
    body = Buffer.from(JSON.stringify(r.pick(FATAL)(r, valid)));
  } else if (roll < 0.55) {
    kind = 'truncated JSON';
    const text = JSON.stringify(valid);
    body = Buffer.from(text.slice(0, Math.max(0, r.int(text.length - 1))));
  } else if (roll < 0.65) {
    kind = 'random bytes';
    body = Buffer.from(Array.from({ length: r.int(2_048) }, () => r.int(256)));
  } else if (roll < 0.75) {
    kind = 'random JSON';
    body = Buffer.from(JSON.stringify(randomJson(r)) ?? 'null');
  } else if (roll < 0.82) {
    kind = 'valid payload, wrong secret';
    body = Buffer.from(JSON.stringify(valid));
    if (r.chance(0.5)) path = 'wrong';
    else {
      path = 'base';
      if (r.chance(0.5))
        headers.authorization = r.pick([
          'Bearer',
          'Bearer  ',
          `Basic ${secret}`,
          `Bearer ${wrongSecret()}`,
          `bearer${secret}`,
        ]);
      else headers['x-webhook-token'] = wrongSecret();
    }
  } else if (roll < 0.89) {
    kind = 'valid payload, not JSON content type';
    body = Buffer.from(JSON.stringify(valid));
    headers['content-type'] = r.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'application/json5',
      'multipart/form-data; boundary=x',
      'json',
      '*/*',
    ]);
  } else if (roll < 0.95) {
    kind = 'valid payload padded over the limit';
    body = Buffer.from(JSON.stringify({ ...valid, pad: 'p'.repeat(bodyLimit + r.int(4_096)) }));
  } else {
    kind = 'invalid payload, secret as bearer token';
    path = 'base';
    headers.authorization = `Bearer ${secret}`;
    body = Buffer.from(JSON.stringify(r.pick(FATAL)(r, valid)));
  }
  // Random extra headers (token characters only, or the client itself refuses to send them).
  for (let i = r.int(4); i > 0; i--) {
    const name = `x-fuzz-${r.int(1e6)}`;
    headers[name] = Array.from({ length: r.int(r.chance(0.05) ? 20_000 : 64) }, () =>
      String.fromCharCode(33 + r.int(94)),
    ).join('');
  }
  if (r.chance(0.1)) headers['x-olostep-signature'] = `sha256=${randomString(r, 64).replace(/[^\x21-\x7e]/g, 'a')}`;
  if (r.chance(0.1)) headers['content-type'] += r.pick(['; charset=utf-8', '; charset=latin1', ';', '; a=b']);
  return { kind, path, headers, body };
}

/** Raw bytes on a socket: malformed HTTP the fetch API cannot produce. Resolves to the status line's code or null. */
export function rawExchange(port: number, bytes: Buffer): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : null);
    };
    const timer = setTimeout(done, 2_000);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (/\r\n\r\n/.test(data)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(bytes));
  });
}

export function rawCase(r: Rng, secretPath: string): Buffer {
  const good = JSON.stringify(payloadFor(freshBatchId('batch_fuzz')));
  const forms = [
    () => randomString(r, 200),
    () =>
      `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${good.length + 50}\r\n\r\n${good}`,
    () =>
      `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n${good}`,
    () =>
      `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n${good}`,
    () =>
      `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${good}\r\n0\r\n\r\n`,
    () => `POST ${secretPath} HTTP/9.9\r\n\r\n`,
    () => `POST ${secretPath}\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nBad Header\r\n\r\n${good}`,
    () => `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
    () =>
      `POST ${secretPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${good.length}\r\n\r\n${good.slice(0, -2)}`,
  ];
  return Buffer.from(r.pick(forms)(), 'latin1');
}

export interface FuzzRun {
  /** Answers by case kind: status code (or error code / `closed`) → count. */
  byKind: Map<string, Map<number | string, number>>;
  /** One line per request whose answer was not acceptable. */
  failures: string[];
  requests: number;
}

/**
 * Sends `requests` unacceptable requests (seeded by `seed`) to the receiver at `base` (secret `secret`), `concurrency`
 * at a time, and reports their answers. `bodyLimit` must be the receiver's, so padded bodies exceed it.
 */
export async function runReceiverFuzz(opts: {
  base: string;
  requests: number;
  seed: number;
  concurrency?: number;
  bodyLimit: number;
  secret?: string;
}): Promise<FuzzRun> {
  const REQUESTS = opts.requests;
  const CONCURRENCY = opts.concurrency ?? 8;
  const base = opts.base;
  const secret = opts.secret ?? SECRET;
  const r = rng(opts.seed);
  const port = Number(new URL(base).port);
  const secretPath = new URL(webhookUrlFor(base, secret)).pathname;
  const wrongSecret = () => {
    const variants = [
      secret.slice(0, -1),
      `${secret}x`,
      secret.toUpperCase(),
      `${secret.slice(0, 5)}${'_'.repeat(secret.length - 5)}`,
      'a'.repeat(r.int(600) + 1),
      [...Buffer.from(randomString(r, 30) || 'x')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    ];
    return r.pick(variants);
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const byKind = new Map<string, Map<number | string, number>>();
  const count = (kind: string, status: number | string) => {
    const m = byKind.get(kind) ?? new Map<number | string, number>();
    m.set(status, (m.get(status) ?? 0) + 1);
    byKind.set(kind, m);
  };
  const failures: string[] = [];

  async function one(i: number): Promise<void> {
    if (r.chance(0.1)) {
      const bytes = rawCase(r, secretPath);
      const status = await rawExchange(port, bytes);
      count('raw malformed HTTP', status ?? 'closed');
      if (status !== null && (status < 400 || status >= 500)) failures.push(`#${i} raw: ${status}`);
      return;
    }
    const c = buildCase(r, wrongSecret, opts.bodyLimit, secret);
    const path =
      c.path === 'secret' ? secretPath : c.path === 'base' ? '/webhooks/airops' : `/webhooks/airops/${wrongSecret()}`;
    const send = (viaAgent: http.Agent | false) =>
      new Promise<number | string>((resolve) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path,
            headers: { ...c.headers, 'content-length': c.body.length },
            agent: viaAgent,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 'none'));
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        req.end(c.body);
      });
    let status = await send(agent);
    // A pooled keep-alive socket can be closed by the server (after a 413/431) just as the client reuses it:
    // that reset says nothing about this input, so it is asked again on a fresh connection.
    if (status === 'ECONNRESET' || status === 'EPIPE') status = await send(false);
    count(c.kind, status);
    // A reset is acceptable only when the receiver refused an oversized body before reading it all.
    const ok = typeof status === 'number' ? status >= 400 && status < 500 : c.kind.includes('over the limit');
    if (!ok) {
      const longest = Math.max(...Object.values(c.headers).map((v) => v.length));
      failures.push(
        `#${i} ${c.kind}: ${status} (path ${c.path}, longest header ${longest}) ${c.body.subarray(0, 3000).toString()}`,
      );
    }
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) await one(next++);
    }),
  );
  agent.destroy();

  return { byKind, failures, requests: REQUESTS };
}
