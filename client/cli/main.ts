// `airops`: the command line over the client library. Arguments by commander, progress bars by cli-progress.
//   airops track <batchId> [--watch]     airops status <batchId> [--json]     airops watch <batchId>
//   airops list [--status s] [--phase p] airops cancel <batchId>              airops demo [batchId]
// Every error is one line (`--verbose` for causes and stacks); exit codes are in ./exit-codes.ts and `--help`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { KNOWN_PHASES, KNOWN_STATUSES } from '../list';
import { DEFAULT_TASK_QUEUE, TRACK_DEFAULTS } from '../../workflows/contract';
import {
  cancelCommand,
  checkBatchId,
  listCommand,
  statusCommand,
  trackCommand,
  trackOptionsFrom,
  uiLink,
  watchCommand,
  type Io,
  type TrackCommandOptions,
} from './commands';
import { connectClient, type Connected } from './connect';
import { EXIT, EXIT_CODES_HELP, UsageError, classifyError, oneLine, verboseError, type ExitCode } from './exit-codes';
import { defaultViewMode } from './render';
import type { RunCommandOptions } from './run-command';

interface GlobalOptions {
  address?: string;
  namespace?: string;
  connectTimeout: string;
  uiUrl?: string;
  verbose?: boolean;
}

export interface CliContext {
  env: NodeJS.ProcessEnv;
  io: Io;
  /** Aborted on Ctrl-C: long-running commands stop and return 130. */
  signal: AbortSignal;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`${name} must be a whole number ≥ 1, got ${JSON.stringify(value.slice(0, 40))}`);
    }
    return n;
  };
}

/** A default as the duration flags take it: 2000 → `2s`, 900000 → `15m` (whole units; `ms` otherwise). */
function durationFlag(ms: number): string {
  const units = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const;
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim())];
}

/** The installed package's version: from the package.json above this file (sources and dist/ alike). */
function packageVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'airops-temporal' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

/** Builds the program; `setExit` records the exit code a command decided on. */
export function buildProgram(ctx: CliContext, setExit: (code: ExitCode) => void): Command {
  const { env, io } = ctx;
  const program = new Command('airops');
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();
  const connect = async (cmd: Command): Promise<Connected> => {
    const g = globals(cmd);
    return connectClient(
      {
        ...(g.address !== undefined ? { address: g.address } : {}),
        ...(g.namespace !== undefined ? { namespace: g.namespace } : {}),
        connectTimeoutMs: positiveInt('--connect-timeout')(g.connectTimeout),
      },
      env,
    );
  };
  const withClient = async <T>(cmd: Command, fn: (c: Connected) => Promise<T>): Promise<T> => {
    const c = await connect(cmd);
    try {
      return await fn(c);
    } finally {
      await c.connection.close();
    }
  };
  const uiBase = (cmd: Command) => globals(cmd).uiUrl ?? env.TEMPORAL_UI_URL ?? null;

  program
    .description('Track Olostep AirOps batches on Temporal: start trackers, watch live progress, list, cancel, demo.')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS, else localhost:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: $TEMPORAL_NAMESPACE, else default)')
    .option('--connect-timeout <ms>', 'how long to wait for Temporal to answer', '5000')
    .option('--ui-url <url>', 'Temporal Web UI base URL, for links (default: $TEMPORAL_UI_URL)')
    .option('-v, --verbose', 'errors with their causes and stack traces')
    .version(packageVersion(), '-V, --version', 'print the version of airops-temporal')
    .addHelpText(
      'after',
      `\nTLS and API keys (Temporal Cloud) come from TEMPORAL_API_KEY, TEMPORAL_TLS*, or an envconfig profile (TEMPORAL_PROFILE).\n\n${EXIT_CODES_HELP}`,
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
      outputError: (s, write) => write(`airops: ${oneLine(s)}\n`),
    });

  const trackOptions = (cmd: Command) =>
    cmd
      .option('--task-queue <name>', `task queue of the tracker (default: $TASK_QUEUE, else ${DEFAULT_TASK_QUEUE})`)
      .option('--deadline <duration>', 'stop tracking after this long (e.g. 48h); default: none')
      .option(
        '--stall-timeout <duration>',
        `flag the batch as stalled after this long without progress (default ${durationFlag(TRACK_DEFAULTS.stallTimeoutMs)})`,
      )
      .option('--fail-on-stall', 'fail the tracker once stalled, instead of only flagging it')
      .option(
        '--min-poll-interval <duration>',
        `shortest gap between status polls (default ${durationFlag(TRACK_DEFAULTS.minPollIntervalMs)})`,
      )
      .option(
        '--max-poll-interval <duration>',
        `longest gap between status polls (default ${durationFlag(TRACK_DEFAULTS.maxPollIntervalMs)})`,
      );

  const watchFlags = (cmd: Command) =>
    cmd
      .option('--plain', 'plain progress lines instead of bars (the default without a terminal or with CI set)')
      .option('--json', 'one JSON progress object per line, then the result as JSON')
      .option('--interval <ms>', 'how often to query progress', '1000');

  const watch = async (
    cmd: Command,
    c: Connected,
    batchId: string,
    o: { plain?: boolean; json?: boolean; interval: string },
  ) => {
    const mode = defaultViewMode(io.out, env, o);
    const link = uiLink(uiBase(cmd), c.config.namespace, batchId);
    if (mode !== 'json') {
      io.out.write(`watching AirOps batch ${batchId} (Ctrl-C stops watching; the tracker keeps running)\n`);
      if (link) io.out.write(`Temporal UI: ${link}\n`);
    }
    return watchCommand(
      c.client,
      batchId,
      { mode, pollIntervalMs: positiveInt('--interval')(o.interval), signal: ctx.signal, uiLink: link },
      io,
    );
  };

  trackOptions(
    program
      .command('track')
      .description('start tracking a batch (idempotent: returns the running tracker if there is one)')
      .argument('<batchId>', 'the AirOps batch id (batch_…)'),
  )
    .option('-w, --watch', 'then watch it like `airops watch` (exit code reflects the outcome)')
    .option('--plain', 'with --watch: plain progress lines instead of bars')
    .option('--json', 'with --watch: JSON lines')
    .option('--interval <ms>', 'with --watch: how often to query progress', '1000')
    .action(
      async (
        batchId: string,
        o: TrackCommandOptions & { watch?: boolean; plain?: boolean; json?: boolean; interval: string },
        cmd: Command,
      ) => {
        checkBatchId(batchId);
        const taskQueue = o.taskQueue ?? env.TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
        const track = trackOptionsFrom(o); // usage errors before connecting
        positiveInt('--interval')(o.interval);
        await withClient(cmd, async (c) => {
          await trackCommand(c.client, batchId, { taskQueue, track }, io, {
            baseUrl: uiBase(cmd),
            namespace: c.config.namespace,
          });
          if (o.watch) setExit(await watch(cmd, c, batchId, o));
        });
      },
    );

  program
    .command('status')
    .description("print a batch's current progress (phases, counts, percent, ETA, stalled)")
    .argument('<batchId>', 'the AirOps batch id')
    .option('--json', 'machine-readable: {batchId, workflowId, runId, workflowStatus, taskQueue, progress}')
    .option('--refresh', 'ask the tracker to poll the API now (refreshNow update) before answering')
    .option('--query-timeout <ms>', 'how long to wait for a worker to answer', '10000')
    .action(async (batchId: string, o: { json?: boolean; refresh?: boolean; queryTimeout: string }, cmd: Command) => {
      checkBatchId(batchId);
      const queryTimeout = positiveInt('--query-timeout')(o.queryTimeout);
      await withClient(cmd, (c) => statusCommand(c.client, batchId, { ...o, queryTimeout }, io));
    });

  watchFlags(
    program
      .command('watch')
      .description('follow a tracked batch to its end with live progress bars per phase and ETA')
      .argument('<batchId>', 'the AirOps batch id'),
  ).action(async (batchId: string, o: { plain?: boolean; json?: boolean; interval: string }, cmd: Command) => {
    checkBatchId(batchId);
    positiveInt('--interval')(o.interval);
    await withClient(cmd, async (c) => setExit(await watch(cmd, c, batchId, o)));
  });

  program
    .command('list')
    .description('list batch trackers through visibility (search attributes AirOpsStatus, AirOpsPhase, AirOpsStalled)')
    .addOption(
      new Option(
        '--status <status>',
        `overall status; repeat or comma-separate for several (${KNOWN_STATUSES.join(', ')})`,
      ).argParser(collect),
    )
    .addOption(
      new Option('--phase <phase>', `current phase; repeat or comma-separate (${KNOWN_PHASES.join(', ')})`).argParser(
        collect,
      ),
    )
    .option('--stalled', 'only stalled batches')
    .option('--running', 'only trackers still running')
    .option('--limit <n>', 'at most this many, newest first', '50')
    .option('--json', 'JSON array')
    .action(
      async (
        o: { status?: string[]; phase?: string[]; stalled?: boolean; running?: boolean; limit: string; json?: boolean },
        cmd: Command,
      ) => {
        for (const s of o.status ?? []) {
          if (!(KNOWN_STATUSES as readonly string[]).includes(s)) {
            throw new UsageError(
              `--status must be one of ${KNOWN_STATUSES.join(', ')}; got ${JSON.stringify(s.slice(0, 40))}`,
            );
          }
        }
        for (const p of o.phase ?? []) {
          if (!(KNOWN_PHASES as readonly string[]).includes(p)) {
            throw new UsageError(
              `--phase must be one of ${KNOWN_PHASES.join(', ')}; got ${JSON.stringify(p.slice(0, 40))}`,
            );
          }
        }
        const limit = positiveInt('--limit')(o.limit);
        await withClient(cmd, (c) =>
          listCommand(
            c.client,
            {
              ...(o.status ? { status: o.status } : {}),
              ...(o.phase ? { phase: o.phase } : {}),
              ...(o.stalled ? { stalled: true } : {}),
              ...(o.running ? { executionStatus: 'Running' as const } : {}),
              limit,
              ...(o.json ? { json: true } : {}),
            },
            io,
          ),
        );
      },
    );

  program
    .command('cancel')
    .description('stop tracking a batch (the batch itself keeps running: the AirOps API has no cancel endpoint)')
    .argument('<batchId>', 'the AirOps batch id')
    .option('--wait', 'wait for the tracker to end and print what it saw')
    .action(async (batchId: string, o: { wait?: boolean }, cmd: Command) => {
      checkBatchId(batchId);
      await withClient(cmd, (c) => cancelCommand(c.client, batchId, o, io));
    });

  program
    .command('demo')
    .description(
      'the one-command demo: embedded Temporal dev server + Web UI, AirOps simulator, worker; creates and tracks a batch',
    )
    .argument('[batchId]', 'track this real batch instead (needs OLOSTEP_API_KEY)')
    .option('--batch <id>', 'same as the batchId argument')
    .option('--keep', 'leave Temporal, its UI and the worker running at the end, until Ctrl-C')
    .option(
      '--time-scale <x>',
      'simulator speed: virtual seconds per wall second (default 27: the reference batch in ~1 min; env AIROPS_DEMO_TIME_SCALE)',
    )
    .option('--size <n>', 'URLs in the demo batch', '100')
    .option(
      '--scenario <name>',
      'simulator scenario (happy, partial_failures, enrichment_skipped, scraping_failed, llm_batch_expired, …)',
      'happy',
    )
    .option('--port <n>', 'gRPC port of the embedded Temporal (default 7233, or a free one if taken)')
    .option('--ui-port <n>', 'Web UI port of the embedded Temporal (default 8233, or a free one if taken)')
    .option('--db <file>', 'SQLite file the embedded Temporal persists to', '.temporal/demo.db')
    .option('--plain', 'plain progress lines instead of bars')
    .action(async (batchArg: string | undefined, o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const { runDemo, demoOptionsFrom } = await import('../../demo/demo');
      const g = globals(cmd);
      const options = demoOptionsFrom(batchArg, o, env, {
        ...(g.address !== undefined ? { address: g.address } : {}),
        ...(g.namespace !== undefined ? { namespace: g.namespace } : {}),
        connectTimeoutMs: positiveInt('--connect-timeout')(g.connectTimeout),
      });
      setExit(await runDemo(options, { env, io, signal: ctx.signal }));
    });

  program
    .command('run')
    .description('create a batch from a URL list, track it to the end and collect its items (runAirOpsBatch)')
    .requiredOption('--urls <file>', 'the URL list: .txt (one per line) or .csv (url[,custom_id], header optional)')
    .option('--brands <list>', 'brands to look for, comma-separated', (v: string, prev: string[] | undefined) =>
      collect(v, prev),
    )
    .option('--country <code>', 'ISO 3166-1 alpha-2 country for scraping (API default RANDOM)')
    .option('--out <file>', 'copy the results (JSONL, one item per line) here when done')
    .option('--task-queue <name>', 'task queue of the worker (default: $TASK_QUEUE, else airops-batches)')
    .option('--run-key <key>', 'name the run (default: derived from the request, so re-running attaches)')
    .option(
      '--webhook-url <url>',
      "the webhook receiver's public URL, sent as the batch's webhook (kept in history: a secret URL belongs in the worker's OLOSTEP_WEBHOOK_URL)",
    )
    .option('--no-wait', 'start the run and exit')
    .option('--plain', 'plain progress lines instead of bars')
    .option('--json', 'JSON progress lines, then the result as JSON')
    .option('--interval <ms>', 'how often to query progress', '1000')
    .action(async (o: RunCommandOptions, cmd: Command) => {
      const { prepareRun, runCommand } = await import('./run-command');
      const taskQueue = o.taskQueue ?? env.TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
      const intervalMs = positiveInt('--interval')(o.interval);
      const prepared = await prepareRun(o);
      await withClient(cmd, async (c) => {
        const mode = defaultViewMode(io.out, env, o);
        setExit(await runCommand(c.client, prepared, { ...o, taskQueue, intervalMs, mode, signal: ctx.signal }, io));
      });
    });

  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code instead of exiting. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(ctx, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    ctx.io.err.write(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its one-line message for everything else.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (ctx.signal.aborted) return EXIT.interrupted;
    const { code: exitCode, message } = classifyError(err);
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    ctx.io.err.write(verbose ? `airops: ${message}\n${verboseError(err)}\n` : `airops: ${message}\n`);
    return exitCode;
  }
}

/** The process entry: Ctrl-C handling, then runCli on process.argv, then exit with its code. */
export function main(): void {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted); // a second Ctrl-C: stop waiting for a clean shutdown
    controller.abort(new Error('interrupted'));
  });
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  runCli(process.argv.slice(2), {
    env: process.env,
    io: { out: process.stdout, err: process.stderr },
    signal: controller.signal,
  }).then(
    (code) => {
      // Let stdout drain, then exit even if a library left a handle open (gRPC channels, timers).
      process.exitCode = code;
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err: unknown) => {
      process.stderr.write(`airops: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
      process.exit(EXIT.internal);
    },
  );
}

if (require.main === module) main();
