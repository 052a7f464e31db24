// An open-loop load generator at an even rate, for the webhook benchmark: autocannon's `overallRate` releases each
// second's quota in a burst at the start of the second (500 requests at once at 500/s), so its latency percentiles
// measure that burst's queue, not the receiver at that rate. Here request k is due at start + k / rate; latency is
// measured from when it was due (not when it was sent), so a stalled sender cannot hide queueing (no coordinated
// omission). Runs in its own process (`runPacedLoad`), so it never shares the receiver's event loop.
//   child: node --import tsx bench/lib/paced-load.ts <spec.json>   → one JSON line on stdout
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PacedSpec {
  url: string;
  bodies: string[];
  /** Requests per second, evenly spaced. */
  rate: number;
  durationS: number;
  /** Sockets at most (keep-alive). */
  maxSockets?: number;
  headers?: Record<string, string>;
}

export interface PacedResult {
  sent: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  /** Seconds from the first due time to the last answer. */
  duration: number;
  latency: { average: number; p50: number; p90: number; p99: number; max: number };
}

/** Runs the generator in a child process and returns its summary. */
export async function runPacedLoad(spec: PacedSpec): Promise<PacedResult> {
  const dir = mkdtempSync(join(tmpdir(), 'paced-'));
  try {
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`paced load generator exited with ${code}`);
    return JSON.parse(out) as PacedResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function generate(spec: PacedSpec): Promise<PacedResult> {
  const url = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxSockets ?? 64 });
  const total = Math.round(spec.rate * spec.durationS);
  const latencies: number[] = [];
  let ok2xx = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now() + 50;
  const send = (k: number, due: number) =>
    new Promise<void>((resolve) => {
      const body = spec.bodies[k % spec.bodies.length] as string;
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...spec.headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) ok2xx++;
            else non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(k, due));
  }
  await Promise.all(inFlight);
  const duration = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  const avg = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  return {
    sent: total,
    ok2xx,
    non2xx,
    errors,
    duration: Math.round(duration * 100) / 100,
    latency: { average: Math.round(avg * 10) / 10, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
  };
}

if (require.main === module) {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as PacedSpec;
  generate(spec).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
