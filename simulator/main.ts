// CLI: runs the AirOps simulator as a standalone server.  `tsx simulator/main.ts --help`
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES } from './scenarios';
import { DEFAULT_API_KEY, startSimulator } from './server';

const HELP = `Olostep AirOps batch API simulator

Usage: tsx simulator/main.ts [options]

Options:
  --port N            Port to listen on (default 8787; 0 = any free port)
  --host H            Interface to bind (default 127.0.0.1)
  --time-scale X      Virtual ms per wall ms (default 1; 100 = a 300 s scraping phase takes 3 s)
  --api-key K         Bearer token to accept (default: $OLOSTEP_API_KEY, else "${DEFAULT_API_KEY}")
  --clock MODE        real (default) or manual (time moves only via POST /_sim/clock/advance)
  --seed S            Seed for batch ids, outcomes and probabilistic faults (default 1)
  --scenario NAME     Default scenario for new batches (happy, enrichment_skipped, partial_failures,
                      scraping_failed, analyzing_failed, enriching_failed, llm_batch_failed, llm_batch_expired)
  --quiet             Do not log each request
  -h, --help          Show this help

API (Authorization: Bearer <key>):
  POST /v1/batches-airops               create a batch (metadata sim_scenario=... picks a scenario)
  GET  /v1/batches-airops/{id}          status
  GET  /v1/batches-airops/{id}/items    results
Control API (same bearer key): GET /_sim lists the routes (ground truth, scripts, faults, clock, logs).
See simulator/README.md.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'time-scale': { type: 'string', default: '1' },
      'api-key': { type: 'string' },
      clock: { type: 'string', default: 'real' },
      seed: { type: 'string', default: '1' },
      scenario: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const timeScale = Number(values['time-scale']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got ${values.port}`);
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new UsageError(`--time-scale must be > 0, got ${values['time-scale']}`);
  if (values.clock !== 'real' && values.clock !== 'manual')
    throw new UsageError(`--clock must be real or manual, got ${values.clock}`);
  const scenario = values.scenario;
  if (scenario !== undefined && !isScenarioName(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}; got ${scenario}`);
  }
  const keySource = values['api-key'] ? '--api-key' : process.env.OLOSTEP_API_KEY ? 'OLOSTEP_API_KEY' : 'default';
  const apiKey = values['api-key'] || process.env.OLOSTEP_API_KEY || DEFAULT_API_KEY;

  const sim = await startSimulator({
    port,
    host: values.host,
    apiKey,
    timeScale,
    clock: values.clock,
    seed: /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed,
    ...(scenario ? { defaultScript: { scenario } } : {}),
    log: values.quiet ? undefined : (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  console.log(
    `AirOps simulator listening on ${sim.url} (clock ${values.clock}, time scale ${timeScale}x, ` +
      `API key from ${keySource === 'default' ? `default "${DEFAULT_API_KEY}"` : keySource})`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: shutting down`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function isScenarioName(name: string): name is (typeof SCENARIO_NAMES)[number] {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

main().catch((err: unknown) => {
  if (
    err instanceof UsageError ||
    (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    console.error(`${err.message}\n\n${HELP}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
