// What a cached workflow holds in the heap, and how much more after each poll: the tracker against the bare loop
// (bench/baselines/bare-loop.ts). The fleet benchmarks read memory after a handful of polls per workflow; a tracker
// runs up to maxPollsPerRun (100) polls before it continues as new, and whatever each poll leaves behind for the rest
// of the run (the SDK keeps a cancellation handler for every timer, activity and wait started in a cancellable scope,
// with what it references) adds up over them.
//   npx tsx --expose-gc bench/heap-per-poll.ts [--workflows 100] [--poll-ms 1000] [--early-s 10] [--late-s 60]
//                                            [--tree DIR] [--label NAME]
//
// Each kind (tracker, then bare loop) on its own dev server and simulator, with a worker in this process in the
// SDK's debugMode (workflows on the main thread, so gc() reaches their heap; the same workflow code and
// SHARED_WORKFLOW_MODULES otherwise). N workflows poll every --poll-ms (the tracker with maxPollIntervalMs = poll-ms,
// minPollIntervalMs half of it; the bare loop at that interval); heap after a full GC before the first start, once
// every workflow has polled and --early-s more, and --late-s later. Per workflow: heap at the early point ÷ N; per
// poll: (late − early) ÷ the status calls between them. --tree DIR bundles DIR's workflow code (another checkout,
// e.g. `git worktree add`; it needs bench/baselines/bench-workflows.ts). Writes bench/results/heap-per-poll[-NAME].json.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../activities';
import { startAirOpsBatchTracker } from '../client/track';
import { urls } from '../kit/helpers/tracker';
import { startSimulator } from '../simulator/server';
import { trackerWorkflowId } from '../workflows/contract';
import type { bareLoopAirOpsBatch } from './baselines/bare-loop';
import { FLEET_BATCH } from './lib/fleet';
import { startDevServer } from './lib/dev-server';
import { machineInfo, round, sleep, table, writeResult } from './lib/common';

const API_KEY = 'sim_bench_heap_key';
const KiB = 1024;

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/heap-per-poll.ts');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface KindResult {
  workflows: number;
  pollsAtEarly: number;
  pollsAtLate: number;
  heapKiBPerWorkflow: number;
  heapKiBPerPoll: number;
}

async function measure(
  kind: 'tracker' | 'bare',
  code: string,
  o: { workflows: number; pollMs: number; earlyS: number; lateS: number },
): Promise<KindResult> {
  const server = await startDevServer();
  let calls = 0;
  const polled = new Set<string>();
  const sim = await startSimulator({
    apiKey: API_KEY,
    requestLogLimit: 100,
    log: (line) => {
      if (!line.startsWith('GET /v1/batches-airops/')) return;
      calls++;
      polled.add(line.split(' ')[1] ?? '');
    },
  });
  const connection = await NativeConnection.connect({ address: server.address });
  const taskQueue = `bench-heap-${kind}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    debugMode: true,
    workflowBundle: { code },
    maxCachedWorkflows: o.workflows + 100,
    activities: createActivities({ olostep: { apiKey: API_KEY, baseUrl: sim.url } }),
  });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address: server.address });
  try {
    await sleep(2_000);
    const before = heapUsed();
    const client = new Client({ connection: clientConnection });
    for (let i = 0; i < o.workflows; i++) {
      const batchId = sim.createBatch(
        { items: urls(FLEET_BATCH.urls, `h${i}-`) },
        { scenario: 'happy', durations: { scrapingMs: FLEET_BATCH.scrapingMs }, seed: `heap-${i}` },
        { createdAgoMs: 2 * 60_000 },
      ).id;
      if (kind === 'tracker') {
        await startAirOpsBatchTracker(client, batchId, {
          taskQueue,
          maxPollIntervalMs: o.pollMs,
          minPollIntervalMs: o.pollMs / 2,
        });
      } else {
        await client.workflow.start<typeof bareLoopAirOpsBatch>('bareLoopAirOpsBatch', {
          workflowId: trackerWorkflowId(batchId),
          taskQueue,
          args: [batchId, o.pollMs, 'regular'],
        });
      }
    }
    while (polled.size < o.workflows) await sleep(250);
    await sleep(o.earlyS * 1_000);
    const early = heapUsed();
    const pollsAtEarly = calls;
    await sleep(o.lateS * 1_000);
    const late = heapUsed();
    const pollsAtLate = calls;
    return {
      workflows: o.workflows,
      pollsAtEarly,
      pollsAtLate,
      heapKiBPerWorkflow: round((early - before) / KiB / o.workflows, 1),
      heapKiBPerPoll: round((late - early) / KiB / (pollsAtLate - pollsAtEarly), 2),
    };
  } finally {
    worker.shutdown();
    await running;
    await clientConnection.close();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workflows: { type: 'string', default: '100' },
      'poll-ms': { type: 'string', default: '1000' },
      'early-s': { type: 'string', default: '10' },
      'late-s': { type: 'string', default: '60' },
      tree: { type: 'string' },
      label: { type: 'string' },
    },
  });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const root = values.tree ?? join(__dirname, '..');
  // The tree's own list of shared modules, resolved in that tree.
  const { SHARED_WORKFLOW_MODULES } = (await import(join(root, 'worker', 'worker'))) as {
    SHARED_WORKFLOW_MODULES: readonly string[];
  };
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(join(root, 'bench', 'baselines', 'bench-workflows')),
    preloadModules: [...SHARED_WORKFLOW_MODULES],
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
  const o = {
    workflows: Number(values.workflows),
    pollMs: Number(values['poll-ms']),
    earlyS: Number(values['early-s']),
    lateS: Number(values['late-s']),
  };
  const tracker = await measure('tracker', code, o);
  const bare = await measure('bare', code, o);
  const name = `heap-per-poll${values.label === undefined ? '' : `-${values.label}`}`;
  const file = writeResult(name, {
    benchmark: name,
    at: new Date().toISOString(),
    command: `npx tsx --expose-gc bench/heap-per-poll.ts ${process.argv.slice(2).join(' ')}`,
    machine: machineInfo(),
    settings: o,
    tracker,
    bare,
    oursOverBare: {
      heapKiBPerWorkflow: round(tracker.heapKiBPerWorkflow / bare.heapKiBPerWorkflow, 3),
      heapKiBPerPoll: round(tracker.heapKiBPerPoll / bare.heapKiBPerPoll, 3),
    },
  });
  console.log(
    table(
      ['', 'tracker', 'bare loop', 'ours ÷ bare'],
      [
        [
          'polls between the two readings',
          tracker.pollsAtLate - tracker.pollsAtEarly,
          bare.pollsAtLate - bare.pollsAtEarly,
          '',
        ],
        [
          'heap KiB / workflow (early)',
          tracker.heapKiBPerWorkflow,
          bare.heapKiBPerWorkflow,
          round(tracker.heapKiBPerWorkflow / bare.heapKiBPerWorkflow, 3),
        ],
        [
          'heap KiB / poll, kept',
          tracker.heapKiBPerPoll,
          bare.heapKiBPerPoll,
          round(tracker.heapKiBPerPoll / bare.heapKiBPerPoll, 3),
        ],
      ],
    ),
  );
  console.log(`(written to ${file})`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
