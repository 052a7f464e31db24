// Benchmark: GET /v1/batches-airops/{id} on the in-process simulator, with autocannon for 10 s.
//   npx tsx bench/simulator-status.ts [--duration 10] [--connections 10] [--items 100]
// The simulator and autocannon share one process and event loop (as in tests), so the figures are a floor.
// Prints requests/s and p99 latency last.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { startSimulator } from '../simulator/server';

// autocannon ships no type declarations; this is the part of its API used here.
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  duration: number;
  connections: number;
  headers: Record<string, string>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      items: { type: 'string', default: '100' },
    },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const n = Number(values.items);
  const apiKey = 'bench_key';
  // 100×: a 100-URL batch moves through scraping (3 s) and into enriching during the run.
  const sim = await startSimulator({ apiKey, timeScale: 100 });
  try {
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const res = await fetch(`${sim.url}/v1/batches-airops`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        items: Array.from({ length: n }, (_, i) => ({ url: `https://example.com/blog/post-${i}`, custom_id: `c${i}` })),
        brands: ['Acme'],
      }),
    });
    if (res.status !== 200) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    console.log(`simulator ${sim.url}, batch ${id} (${n} URLs), ${connections} connections, ${duration} s`);

    const result = await autocannon({
      url: `${sim.url}/v1/batches-airops/${id}`,
      duration,
      connections,
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const final = (await (await fetch(`${sim.url}/v1/batches-airops/${id}`, { headers })).json()) as {
      status: string;
      scraping: { state: string };
      enriching: { state: string };
    };
    console.log(
      `total ${result.requests.total} requests, errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}; ` +
        `batch now ${final.status} (scraping ${final.scraping.state}, enriching ${final.enriching.state})`,
    );
    console.log(`latency avg ${result.latency.average} ms, p50 ${result.latency.p50} ms, max ${result.latency.max} ms`);
    console.log(`requests/s: ${result.requests.average}`);
    console.log(`p99 latency: ${result.latency.p99} ms`);
  } finally {
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
