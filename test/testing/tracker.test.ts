// The offline kit users get as `airops-temporal/testing`: runTrackerOnSimulator on a time-skipping server that
// starts without the tracker's search attributes (as @temporalio/testing's does, and refuses any start that sets
// them), against a manual-clock simulator
// whose clock follows Temporal's skipped time. Hours of batch lifecycle in seconds, results checked against the
// simulator's ground truth, histories replayed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { testServerExecutable, sdkExecutable } from '../../scripts/temporal-servers';
import {
  DEFAULT_API_KEY,
  runTrackerOnSimulator,
  sampleItems,
  startSimulator,
  type SimulatorHandle,
} from '../../testing';
import { bundleTrackerWorkflows } from '../../worker/worker';
import { announceEnv, replayNet } from '../../kit/helpers/replay-net';
import { assertOutcomeMatchesTruth } from '../../kit/helpers/tracker';

replayNet(__filename);

describe('testing kit: runTrackerOnSimulator (time-skipping server, manual-clock simulator)', () => {
  let env: TestWorkflowEnvironment;
  let sim: SimulatorHandle;
  const bundle = bundleTrackerWorkflows();

  before(async () => {
    // The SDK's time-skipping environment as a user creates it: no custom search attributes.
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: sdkExecutable(testServerExecutable()) },
    });
    announceEnv(env, 'time-skipping');
    sim = await startSimulator({ clock: 'manual', startTime: await env.currentTimeMs() });
  });
  after(async () => {
    await sim?.close();
    await env?.teardown();
  });

  it('registers the search attributes and tracks a happy batch to completion in skipped time', async () => {
    const { id: batchId } = sim.createBatch({ items: sampleItems(30) }, { scenario: 'happy' });
    const before = sim.clock.now();
    const run = await runTrackerOnSimulator({ env, simulator: sim, batchId, workflowBundle: await bundle });

    assert.equal(run.result.status, 'completed');
    assert.equal(run.result.totalUrls, 30);
    assert.equal(run.result.endedBy, 'terminal');
    assertOutcomeMatchesTruth(run.result, sim.groundTruth(batchId));
    // The simulator's clock followed Temporal's: the batch's ~27 min lifecycle passed in skipped time.
    assert.ok(sim.clock.now() - before >= 20 * 60_000, `${sim.clock.now() - before} ms of simulated time`);

    const events = run.history.events ?? [];
    assert.ok(events.length > 10);
    await Worker.runReplayHistory({ workflowBundle: await bundle }, run.history, run.workflowId);
  });

  it('reports a failed batch as failed, with the API key only in the worker (never in the history)', async () => {
    const { id: batchId } = sim.createBatch({ items: sampleItems(10, 'f') }, { scenario: 'scraping_failed' });
    const run = await runTrackerOnSimulator({ env, simulator: sim, batchId, workflowBundle: await bundle });
    assert.equal(run.result.status, 'failed');
    assertOutcomeMatchesTruth(run.result, sim.groundTruth(batchId));
    assert.doesNotMatch(JSON.stringify(run.history), new RegExp(DEFAULT_API_KEY));
  });
});
