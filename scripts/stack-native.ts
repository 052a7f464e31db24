// `npm run stack:native`: the production topology of docker-compose.yml on this machine without a container engine
// (kit/stack): PostgreSQL, the Temporal server on it, the schema and namespace one-shots, the workers and the webhook
// receiver, and the simulator unless the .env names a real OLOSTEP_BASE_URL. Runs until Ctrl-C, then stops every
// process and removes its data.
//
//   npm run stack:native [-- --workers N] [--env-file .env] [--demo] [--verbose]
//
// --demo: creates the demo batch on the simulator (its events delivered to the receiver), tracks it on the stack's
//         workers with live progress, then stops the stack; exit 0 when the batch completed.
// Exit codes: 0 stopped cleanly (or the demo batch completed), 1 the stack did not come up or the demo failed,
// 2 bad options, 130 interrupted.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startAirOpsBatchTracker } from '../client/track';
import { watchCommand } from '../client/cli/commands';
import { defaultViewMode } from '../client/cli/render';
import { EXIT } from '../client/cli/exit-codes';
import { OlostepClient } from '../olostep/client';
import { sampleItems } from '../testing';
import { trackerWorkflowId } from '../workflows/contract';
import { parseEnvFile } from '../kit/stack/compose';
import { startNativeStack, type NativeStack } from '../kit/stack/native-stack';
import { OutputLog } from '../kit/reliability/processes';

const say = (line: string) => console.log(`[stack] ${line}`);

/** Every line the services print goes to <dir>/<service>.log (and to stdout with --verbose). */
class FileLog extends OutputLog {
  constructor(
    readonly dir: string,
    private readonly verbose: boolean,
  ) {
    super();
    mkdirSync(dir, { recursive: true });
  }
  override add(source: string, text: string): void {
    super.add(source, text);
    const service = source.split(' ')[0]!;
    appendFileSync(join(this.dir, `${service.replace('#', '-')}.log`), text);
    if (this.verbose) process.stdout.write(text.replace(/^(?=.)/gm, `${service} | `));
  }
}

function options(): { workers: number; env: Record<string, string>; demo: boolean; verbose: boolean } {
  try {
    const { values } = parseArgs({
      options: {
        workers: { type: 'string', default: '2' },
        'env-file': { type: 'string' },
        demo: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
      },
    });
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
      throw new Error(`--workers must be a whole number from 1 to 16, got ${values.workers}`);
    }
    const env = values['env-file'] ? parseEnvFile(readFileSync(values['env-file'], 'utf8')) : {};
    return { workers, env, demo: values.demo, verbose: values.verbose };
  } catch (err) {
    process.stderr.write(`stack:native: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

async function demo(stack: NativeStack, signal: AbortSignal): Promise<number> {
  if (!stack.simulatorUrl) {
    say('--demo needs the simulator: leave OLOSTEP_BASE_URL unset in the .env');
    return EXIT.usage;
  }
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.namespace });
    const api = new OlostepClient({ apiKey: stack.env.OLOSTEP_API_KEY!, baseUrl: stack.simulatorUrl });
    const created = await api.createBatch({
      webhook: stack.webhookUrl,
      items: sampleItems(30),
      brands: ['Olostep', 'Temporal', 'Acme'],
      country: 'US',
      metadata: { source: 'airops-temporal native stack demo', sim_scenario: 'happy' },
    });
    say(`created demo batch ${created.batchId} on the simulator; its events go to the webhook receiver`);
    await startAirOpsBatchTracker(client, created.batchId, { taskQueue: stack.taskQueue });
    say(`tracking ${trackerWorkflowId(created.batchId)} on ${stack.taskQueue} (the stack's workers)`);
    const mode = defaultViewMode(process.stdout, process.env, { plain: true });
    const io = { out: process.stdout, err: process.stderr };
    return await watchCommand(client, created.batchId, { mode, signal }, io);
  } finally {
    await connection.close();
  }
}

async function main(): Promise<number> {
  const opts = options();
  const logDir = join(tmpdir(), `airops-stack-native-logs-${process.pid}`);
  const log = new FileLog(logDir, opts.verbose);
  const abort = new AbortController();
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      say(`${sig}: stopping`);
      abort.abort();
    });
  }
  say(`starting docker-compose.yml natively with ${opts.workers} worker(s); service logs in ${logDir}`);
  let stack: NativeStack;
  try {
    stack = await startNativeStack({ workers: opts.workers, env: opts.env, log, onEvent: say });
  } catch (err) {
    say(`the stack did not come up: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  let code = 0;
  try {
    say(`healthy after ${(stack.healthyAfterMs / 1000).toFixed(1)} s`);
    say(`Temporal ${stack.temporalAddress} (namespace ${stack.namespace}, task queue ${stack.taskQueue})`);
    say(`  e.g. npm run airops -- --address ${stack.temporalAddress} list`);
    say(`webhook receiver ${stack.webhookUrl.replace(/[^/]+$/, '<WEBHOOK_SECRET>')}`);
    if (stack.simulatorUrl) say(`AirOps simulator ${stack.simulatorUrl}`);
    if (opts.demo) {
      code = await demo(stack, abort.signal);
      say(code === 0 ? 'demo batch completed' : `demo ended with exit code ${code}`);
    } else {
      say('Ctrl-C stops the stack');
      await new Promise<void>((r) => abort.signal.addEventListener('abort', () => r(), { once: true }));
      code = 0;
    }
  } finally {
    const t = Date.now();
    await stack.stop();
    say(`stopped every service in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  return abort.signal.aborted && opts.demo ? EXIT.interrupted : code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[stack] failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
