// A service that embeds the AirOps tracker in ITS OWN Temporal worker, installed from the airops-temporal package:
//   1. a local AirOps API (the package's simulator; point `baseUrl` at https://api.olostep.com with a real key instead),
//   2. its own worker on its own task queue: the tracker's workflows and activities next to its own,
//   3. its own client code: create a batch, start its own workflow (which runs the tracker), read the tracker's
//      progress through the package's client library while it runs, and wait for the end.
// Prints progress lines, then one JSON line with the outcome. Exit 0 when the batch was tracked to completion.
//
//   TEMPORAL_ADDRESS=localhost:7233 npm start
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { TrackerNotFoundError, getAirOpsBatchProgress, type BatchProgress } from 'airops-temporal';
import { createActivities } from 'airops-temporal/activities';
import { OlostepClient } from 'airops-temporal/olostep';
import { DEFAULT_API_KEY, sampleItems, startSimulator } from 'airops-temporal/testing';
import { SHARED_WORKFLOW_MODULES, preflightSearchAttributes, trackerSlotOptions } from 'airops-temporal/worker';
import * as myActivities from './activities.js';
import { processBatch } from './workflows.js';

const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const taskQueue = 'embed-worker-example';

// A batch of ~8 s: the simulator runs the AirOps lifecycle 200 times faster than real time.
const simulator = await startSimulator({ timeScale: 200, seed: Date.now() });
const apiKey = DEFAULT_API_KEY;

const nativeConnection = await NativeConnection.connect({ address });
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace });
try {
  // The tracker sets five custom search attributes; registers them where the server allows it, or says how.
  await preflightSearchAttributes(connection, namespace);

  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
    preloadModules: [...SHARED_WORKFLOW_MODULES],
  });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle,
    activities: { ...createActivities({ olostep: { apiKey, baseUrl: simulator.url } }), ...myActivities },
    // Workflow-task slots that never lose a query on a closed tracker (one task of the normal queue at a time).
    ...trackerSlotOptions(),
  });

  const olostep = new OlostepClient({ apiKey, baseUrl: simulator.url });
  const { batchId } = await olostep.createBatch({ items: sampleItems(25) });

  const outcome = await worker.runUntil(async () => {
    const handle = await client.workflow.start(processBatch, {
      taskQueue,
      workflowId: `process-${batchId}`,
      args: [batchId],
    });
    let done = false;
    const report = handle.result().finally(() => (done = true));
    const seen: BatchProgress[] = [];
    while (!done) {
      try {
        const p = await getAirOpsBatchProgress(client, batchId);
        if (seen.at(-1)?.percent !== p.percent || seen.at(-1)?.currentPhase !== p.currentPhase) {
          console.log(`progress: ${p.overall ?? 'starting'} · ${p.currentPhase ?? '-'} · ${p.percent}%`);
        }
        seen.push(p);
      } catch (err) {
        if (!(err instanceof TrackerNotFoundError)) throw err; // the child has not started yet
      }
      await Promise.race([report.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    }
    const final = await getAirOpsBatchProgress(client, batchId);
    return { batchId, report: await report, progressReads: seen.length, final };
  });
  console.log(
    JSON.stringify({
      batchId: outcome.batchId,
      report: outcome.report,
      progressReads: outcome.progressReads,
      overall: outcome.final.overall,
      percent: outcome.final.percent,
    }),
  );
  process.exitCode = outcome.final.overall === 'completed' ? 0 : 1;
} finally {
  await simulator.close();
  await connection.close();
  await nativeConnection.close();
}
