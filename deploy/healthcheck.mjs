#!/usr/bin/env node
// Container health probe for the airops image (Dockerfile HEALTHCHECK, docker-compose.yml healthchecks): one GET,
// healthy (exit 0) on a 2xx answer within the timeout, unhealthy (exit 1) otherwise. No dependencies: the image
// has no curl or wget, and node is there anyway.
//
//   node deploy/healthcheck.mjs [url] [--bearer-env NAME] [--timeout-ms N]
//
// Without a url: $HEALTHCHECK_URL, else the worker's Prometheus endpoint from $METRICS_ADDRESS (a wildcard bind
// address is probed on loopback), else there is nothing to probe (a one-shot CLI container): exit 0.
// --bearer-env NAME sends `Authorization: Bearer $NAME` (the simulator's control API wants the API key).
/* global fetch, AbortSignal */

function parse(argv) {
  const opts = { url: undefined, bearerEnv: undefined, timeoutMs: 3_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--bearer-env') opts.bearerEnv = argv[++i];
    else if (arg === '--timeout-ms') opts.timeoutMs = Number(argv[++i]);
    else if (opts.url === undefined) opts.url = arg;
    else throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
  }
  return opts;
}

function defaultUrl(env) {
  if (env.HEALTHCHECK_URL) return env.HEALTHCHECK_URL;
  const metrics = env.METRICS_ADDRESS;
  if (!metrics) return undefined;
  const colon = metrics.lastIndexOf(':');
  const host = metrics.slice(0, colon);
  const probeHost = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${probeHost}:${metrics.slice(colon + 1)}/metrics`;
}

async function main() {
  const opts = parse(process.argv.slice(2));
  const url = opts.url ?? defaultUrl(process.env);
  if (url === undefined) {
    console.log('healthcheck: nothing to probe (no url, HEALTHCHECK_URL or METRICS_ADDRESS)');
    return 0;
  }
  const headers = {};
  if (opts.bearerEnv) {
    const token = process.env[opts.bearerEnv];
    if (!token) {
      console.error(`healthcheck: ${opts.bearerEnv} is not set`);
      return 1;
    }
    headers.authorization = `Bearer ${token}`;
  }
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs) });
    await res.arrayBuffer();
    if (res.status >= 200 && res.status < 300) return 0;
    console.error(`healthcheck: GET ${url} answered ${res.status}`);
    return 1;
  } catch (err) {
    console.error(`healthcheck: GET ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
