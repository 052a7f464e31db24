// fetchAirOpsBatchItems as Temporal runs it (MockActivityEnvironment) against the simulator through the real
// OlostepClient, writing to a JsonlFileSink in a temporary directory. The contract of activities/items.ts: every
// item in the sink (exactly as the API sent it) and a summary in the result; `ItemsNotReady` (retryable) while the
// batch runs; a failed batch's partial items; idempotent retries; heartbeats while fetching and writing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { ITEMS_NOT_READY, JsonlFileSink } from '../../activities';
import { sampleItems, type SimulatorHandle } from '../../testing';
import { FAILURE_TYPE_BY_ERROR } from '../../workflows/failure-types';
import { runResultsKey } from '../../workflows/run-keys';
import {
  activitiesFor,
  advanceTo,
  cancellationOf,
  detailsOf,
  failureOf,
  mockEnv,
  startManualSimulator,
  untilHeld,
} from './helpers';

const WORKFLOW_ID = 'airops-run-items';
const info = {
  workflowExecution: { workflowId: WORKFLOW_ID, runId: 'run-items' },
  activityType: 'fetchAirOpsBatchItems',
};

function readJsonl(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

void describe(
  'fetchAirOpsBatchItems in a mock activity environment, against the simulator',
  { timeout: 60_000 },
  () => {
    let sim: SimulatorHandle;
    let dir: string;
    let sink: JsonlFileSink;
    before(async () => {
      sim = await startManualSimulator();
      dir = mkdtempSync(join(tmpdir(), 'airops-activity-items-'));
      sink = new JsonlFileSink({ dir });
    });
    after(async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    });
    afterEach(() => {
      sim.faults.release();
      sim.faults.clear();
    });

    test('a completed batch: every item in the sink as the API sent it, and the summary of them', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(25, 'done') }, { scenario: 'partial_failures', seed: 7 });
      const truth = sim.groundTruth(id);
      await advanceTo(sim, truth.terminalAt);

      const { env } = mockEnv(info);
      const collected = await env.run(fetchAirOpsBatchItems, id);
      assert.equal(collected.batchId, id);

      const { results, summary } = collected;
      const path = join(dir, `${WORKFLOW_ID}.${id}.jsonl`);
      assert.equal(results.kind, 'jsonl-file');
      assert.equal(results.path, path, 'default key: <workflowId>.<batchId>');
      assert.equal(results.uri, pathToFileURL(path).href);
      assert.deepEqual(readJsonl(path), truth.items);
      const bytes = readFileSync(path);
      assert.equal(results.items, truth.items.length);
      assert.equal(results.bytes, bytes.length);
      assert.equal(results.sha256, createHash('sha256').update(bytes).digest('hex'));

      assert.equal(summary.itemsStatus, 'completed');
      assert.equal(summary.complete, true);
      assert.deepEqual(summary.apiCounts, truth.counts);
      assert.equal(summary.total, truth.counts.total);
      assert.equal(summary.byStatus.completed ?? 0, truth.counts.succeeded);
      assert.equal(summary.byStatus.failed ?? 0, truth.counts.failed);
      assert.equal(summary.failed.total, truth.counts.failed);
      assert.ok(truth.counts.failed > 0 && truth.counts.succeeded > 0, 'the scenario has both outcomes');
      const failedIds = truth.items.filter((i) => i.status === 'failed').map((i) => i.custom_id);
      assert.deepEqual(
        summary.failedSamples.map((s) => s.custom_id),
        failedIds.slice(0, 10),
      );
      assert.deepEqual(summary.unknownValues, []);
    });

    test('before the batch is done: ItemsNotReady (retryable), with the status, and nothing written', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(4, 'early') });
      const truth = sim.groundTruth(id);
      const filesBefore = readdirSync(dir);
      for (const t of [truth.created, Math.floor((truth.created + truth.terminalAt) / 2), truth.terminalAt - 1]) {
        await advanceTo(sim, t);
        const failure = await failureOf(mockEnv(info).env.run(fetchAirOpsBatchItems, id));
        assert.equal(failure.type, ITEMS_NOT_READY);
        assert.equal(failure.type, 'ItemsNotReady');
        assert.equal(failure.nonRetryable, false);
        assert.deepEqual(detailsOf(failure), { status: 'in_progress' });
        assert.match(failure.message, /not ready/);
      }
      assert.deepEqual(readdirSync(dir), filesBefore);

      // The retry after the batch ended collects the items.
      await advanceTo(sim, truth.terminalAt);
      const collected = await mockEnv(info).env.run(fetchAirOpsBatchItems, id);
      assert.equal(collected.results.items, 4);
    });

    test('a failed batch: its partial items and counts, reported as not complete', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(6, 'failed') }, { scenario: 'enriching_failed' });
      const truth = sim.groundTruth(id);
      assert.equal(truth.outcome, 'failed');
      await advanceTo(sim, truth.terminalAt);
      const { results, summary } = await mockEnv(info).env.run(fetchAirOpsBatchItems, id, { runKey: 'failed-run' });
      assert.equal(results.path, join(dir, 'failed-run.jsonl'), 'options.runKey names the file');
      assert.deepEqual(readJsonl(join(dir, 'failed-run.jsonl')), truth.items);
      assert.equal(summary.itemsStatus, 'failed');
      assert.equal(summary.complete, false);
      assert.deepEqual(summary.apiCounts, truth.counts);
      assert.equal(summary.failed.total, truth.counts.failed);
    });

    test('idempotent: a retry overwrites the same file whole, leaving no temporary files', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(9, 'again') });
      await advanceTo(sim, sim.groundTruth(id).terminalAt);
      const runKey = runResultsKey(WORKFLOW_ID, id);
      const first = await mockEnv({ ...info, attempt: 1 }).env.run(fetchAirOpsBatchItems, id, { runKey });
      const second = await mockEnv({ ...info, attempt: 2 }).env.run(fetchAirOpsBatchItems, id, { runKey });
      assert.deepEqual(second, first);
      assert.equal(statSync(first.results.path!).size, first.results.bytes);
      assert.deepEqual(readJsonl(first.results.path!), sim.groundTruth(id).items);
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
      );
    });

    test('heartbeats: one while fetching, one before writing with the item count', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(5, 'beat') });
      await advanceTo(sim, sim.groundTruth(id).terminalAt);
      const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['items'], count: 1 });
      const { env, heartbeats } = mockEnv(info);
      const running = env.run(fetchAirOpsBatchItems, id);
      await untilHeld(sim, ruleId);
      assert.deepEqual(heartbeats[0], { stage: 'fetching' }, 'heartbeat while the request is in flight');
      sim.faults.release(ruleId);
      await running;
      // Then the 5 s beat (if the request took that long) repeats the stage, and the write is announced.
      assert.deepEqual(heartbeats.at(-1), { stage: 'writing', items: 5 });
      for (const beat of heartbeats.slice(0, -1)) assert.deepEqual(beat, { stage: 'fetching' });
    });

    test('cancelling aborts the items request in flight', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const { id } = sim.createBatch({ items: sampleItems(2, 'cancel') });
      await advanceTo(sim, sim.groundTruth(id).terminalAt);
      const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['items'], count: 1 });
      const { env } = mockEnv(info);
      const running = env.run(fetchAirOpsBatchItems, id);
      await untilHeld(sim, ruleId);
      env.cancel();
      await cancellationOf(running);
      assert.ok(!readdirSync(dir).some((f) => f.includes(id)), 'nothing written');
    });

    test('API failures keep the table: 404 NotFound (non-retryable), 5xx ServerError and cut JSON ContractViolation (retryable)', async () => {
      const { fetchAirOpsBatchItems } = activitiesFor(sim, { resultsSink: sink });
      const missing = await failureOf(mockEnv(info).env.run(fetchAirOpsBatchItems, 'batch_nosuchbatch00000'));
      assert.equal(missing.type, FAILURE_TYPE_BY_ERROR.NotFoundError);
      assert.equal(missing.nonRetryable, true);

      const { id } = sim.createBatch({ items: sampleItems(2, 'errs') });
      await advanceTo(sim, sim.groundTruth(id).terminalAt);
      sim.faults.set({ fault: { type: 'server_error', status: 502, format: 'html' }, batchId: id, count: 1 });
      const server = await failureOf(mockEnv(info).env.run(fetchAirOpsBatchItems, id));
      assert.equal(server.type, FAILURE_TYPE_BY_ERROR.ServerError);
      assert.equal(server.nonRetryable, false);

      sim.faults.set({ fault: { type: 'truncated_json' }, batchId: id, endpoints: ['items'], count: 1 });
      const cut = await failureOf(mockEnv(info).env.run(fetchAirOpsBatchItems, id));
      assert.equal(cut.type, FAILURE_TYPE_BY_ERROR.ContractViolationError);
      assert.equal(cut.nonRetryable, false);
      assert.ok(!readdirSync(dir).some((f) => f.includes(id)), 'nothing written on failure');
    });
  },
);
