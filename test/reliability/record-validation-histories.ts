// Records test/histories/validation-ends-tracking.json: a tracker whose status call answers 400 (the API refuses
// the request itself), which ends tracking at once with type Validation. On the time-skipping server.
//   npx tsx test/reliability/record-validation-histories.ts test/histories/validation-ends-tracking.json
import { Worker } from '@temporalio/worker';
import { startSimulator } from '../../simulator/server';
import { ValidationError } from '../../olostep/errors';
import { toApplicationFailure } from '../../activities/failures';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../../kit/helpers/temporal';
import { TEST_API_KEY, clockSyncedActivities, urls, writeCommittedHistory } from '../../kit/helpers/tracker';

async function main() {
  const out = process.argv[2] ?? '/tmp/history.json';
  const env = await createTimeSkippingEnv();
  const sim = await startSimulator({ clock: 'manual', apiKey: TEST_API_KEY, startTime: await env.currentTimeMs() });
  const taskQueue = uniqueTaskQueue('record');
  const real = clockSyncedActivities(sim, env);
  let calls = 0;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(WORKFLOWS_PATH),
    activities: {
      async fetchAirOpsBatchStatus(batchId: string) {
        calls++;
        if (calls <= 2) {
          throw toApplicationFailure(
            new ValidationError({
              method: 'GET',
              path: `/v1/batches-airops/${batchId}`,
              status: 400,
              code: 'validation_error',
              reason: 'Invalid request: 1 problem (first: batch_id: malformed)',
            }),
          );
        }
        return real.fetchAirOpsBatchStatus(batchId);
      },
    },
  });
  const created = sim.createBatch(
    { items: urls(5, 'v') },
    { scenario: 'enrichment_skipped', durations: { scrapingMs: 10_000 } },
  );
  const result = await worker.runUntil(async () => {
    const h = await env.client.workflow.start('trackAirOpsBatch', {
      taskQueue,
      workflowId: `record-validation-${Date.now()}`,
      args: [created.id, { minPollIntervalMs: 1_000, maxPollIntervalMs: 5_000 }],
    });
    let outcome: string;
    try {
      const r = (await h.result()) as { status: string };
      outcome = `completed: ${r.status}`;
    } catch (err) {
      outcome = `failed: ${(err as { cause?: { type?: string } }).cause?.type ?? String(err)}`;
    }
    await writeCommittedHistory(out, await h.fetchHistory());
    return outcome;
  });
  console.log(`${result} after ${calls} status calls → ${out}`);
  await sim.close();
  await env.teardown();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
