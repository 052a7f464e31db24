// Benchmark: runAirOpsBatch for 10,000 URLs end to end on the real Temporal dev server, with the production worker
// (createTrackerWorker: real OlostepClient, JSONL results sink) against the simulator on a time-scaled real clock.
//   npx tsx bench/run-10k.ts [--urls 10000] [--time-scale 1000] [--scenario happy] [--brands 3]
// Measures wall time (client start → result), the time in each stage (from history timestamps), and history events
// and bytes (protobuf-encoded, as Temporal stores them) of the run and of its tracker. Prints a table and the JSON
// last, and writes bench/results/run-10k.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { JsonlFileSink } from '../activities/results-sink';
import { startRun } from '../client/run';
import { startSimulator } from '../simulator/server';
import { WORKFLOWS_PATH, createTrackerWorker } from '../worker/worker';
import { createDevServerEnv, uniqueTaskQueue, workflowBundle } from '../kit/helpers/temporal';

const API_KEY = 'bench_key_run10k';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function tsMs(e: HistoryEvent | undefined): number | null {
  const t = e?.eventTime;
  if (!t) return null;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

async function history(client: Client, workflowId: string, runId?: string) {
  const h: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events: HistoryEvent[] = h.events ?? [];
  let maxEventBytes = 0;
  for (const e of events) {
    maxEventBytes = Math.max(maxEventBytes, temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  }
  return {
    events,
    count: events.length,
    bytes: temporal.api.history.v1.History.encode(h).finish().length,
    maxEventBytes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      urls: { type: 'string', default: '10000' },
      'time-scale': { type: 'string', default: '1000' },
      scenario: { type: 'string', default: 'happy' },
      brands: { type: 'string', default: '3' },
    },
  });
  const n = Number(values.urls);
  const timeScale = Number(values['time-scale']);
  const brands = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'].slice(0, Number(values.brands));

  const resultsDir = mkdtempSync(join(tmpdir(), 'airops-bench-run-'));
  const env = await createDevServerEnv();
  const sim = await startSimulator({ apiKey: API_KEY, timeScale });
  sim.setDefaultScript({ scenario: values.scenario as 'happy' });
  const taskQueue = uniqueTaskQueue('bench-run');
  const bundle = await workflowBundle(WORKFLOWS_PATH); // bundling is not part of the measurement
  const worker = await createTrackerWorker({
    connection: env.nativeConnection,
    taskQueue,
    olostep: { apiKey: API_KEY, baseUrl: sim.url },
    resultsSink: new JsonlFileSink({ dir: resultsDir }),
    workflowBundle: bundle,
  });
  const paths = ['blog/post-', 'products/item-', 'docs/page-', 'pricing', 'news/story-', 'forum/t/', 'misc/x-'];
  const request = {
    items: Array.from({ length: n }, (_, i) => ({
      url: `https://site${i % 97}.example.test/${paths[i % paths.length]}${i}`,
      custom_id: `b${i}`,
    })),
    brands,
  };
  const requestBytes = Buffer.byteLength(JSON.stringify(request));

  try {
    const { result, wallMs, startMs, workflowId } = await worker.runUntil(async () => {
      const t0 = performance.now();
      const handle = await startRun(env.client, request, {
        taskQueue,
        track: { minPollIntervalMs: 100, maxPollIntervalMs: 500 },
      });
      const t1 = performance.now();
      const r = await handle.result();
      return {
        result: r,
        wallMs: Math.round(performance.now() - t0),
        startMs: Math.round(t1 - t0),
        workflowId: handle.workflowId,
      };
    });

    const run = await history(env.client, workflowId);
    const tracker = await history(env.client, result.trackerWorkflowId);
    // Stage durations from the run's own history (server timestamps).
    const started = tsMs(run.events[0]);
    const eventOf = (type: temporal.api.enums.v1.EventType, nth = 0) =>
      run.events.filter((e) => e.eventType === type)[nth];
    const E = temporal.api.enums.v1.EventType;
    const createDone = tsMs(eventOf(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 0));
    const childDone = tsMs(eventOf(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED));
    const itemsScheduled = tsMs(eventOf(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 1));
    const itemsDone = tsMs(eventOf(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 1));
    const closed = tsMs(run.events[run.events.length - 1]);
    const span = (a: number | null, b: number | null) => (a !== null && b !== null ? b - a : null);
    const truth = sim.groundTruth(result.batchId);
    const simulatedMs = truth.terminalAt - truth.created;

    const figures = {
      urls: n,
      brands: brands.length,
      scenario: values.scenario,
      timeScale,
      status: result.status,
      items: result.results?.items ?? null,
      wallMs,
      stagesMs: {
        validateAndStart: startMs,
        create: span(started, createDone),
        track: span(createDone, childDone),
        collect: span(itemsScheduled, itemsDone),
        total: span(started, closed),
      },
      simulatedBatchMs: simulatedMs,
      simulatedBatchWallMs: Math.round(simulatedMs / timeScale),
      requestBytes,
      runHistory: { events: run.count, bytes: run.bytes, largestEventBytes: run.maxEventBytes },
      trackerHistory: { events: tracker.count, bytes: tracker.bytes, statusCalls: result.tracking.pollStats.calls },
      sinkBytes: result.results?.bytes ?? null,
      resultBytes: Buffer.byteLength(JSON.stringify(result)),
      node: process.version,
      at: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'run-10k.json'), `${JSON.stringify(figures, null, 2)}\n`);

    const kb = (b: number | null) => (b === null ? '–' : `${(b / 1024).toFixed(0)} KiB`);
    const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);
    const rows: [string, string][] = [
      ['URLs / status', `${n} / ${result.status}`],
      ['wall time (start → result)', ms(wallMs)],
      ['  validate + start (client)', ms(startMs)],
      ['  create (activity)', ms(figures.stagesMs.create)],
      [
        '  track (child, batch runs)',
        `${ms(figures.stagesMs.track)} (simulated batch ≈ ${figures.simulatedBatchWallMs} ms at ${timeScale}×)`,
      ],
      ['  collect (items → sink)', ms(figures.stagesMs.collect)],
      ['request JSON', kb(requestBytes)],
      ['run history', `${run.count} events, ${kb(run.bytes)} (largest event ${kb(run.maxEventBytes)})`],
      [
        'tracker history',
        `${tracker.count} events, ${kb(tracker.bytes)}, ${result.tracking.pollStats.calls} status calls`,
      ],
      ['items in sink (outside history)', kb(figures.sinkBytes)],
      ['run result', kb(figures.resultBytes)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
    console.log(JSON.stringify(figures));
  } finally {
    await sim.close();
    await env.teardown();
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
