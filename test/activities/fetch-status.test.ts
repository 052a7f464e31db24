// fetchAirOpsBatchStatus as Temporal runs it: a MockActivityEnvironment (a real activity Context, with its
// heartbeats, cancellation signal and info) calling the in-process simulator through the real OlostepClient.
// Checks the contract in activities/index.ts: the normalized snapshot, the failure table of
// workflows/failure-types.ts with its retry flags, heartbeats only on slow calls, and cancellation aborting the call.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { BatchStatusResponse } from '../../olostep/schemas';
import { snapshotFromStatusResponse } from '../../olostep/normalize';
import { sampleItems, type SimulatorHandle } from '../../testing';
import { FAILURE_TYPE_BY_ERROR } from '../../workflows/failure-types';
import {
  activitiesFor,
  advanceTo,
  API_KEY,
  cancellationOf,
  detailsOf,
  failureOf,
  mockEnv,
  startManualSimulator,
  until,
  untilHeld,
} from './helpers';

/** What the API says about the batch right now, read past the client: the raw GET body, normalized. */
async function statusNow(sim: SimulatorHandle, batchId: string) {
  const res = await fetch(`${sim.url}/v1/batches-airops/${batchId}`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  assert.equal(res.status, 200);
  return snapshotFromStatusResponse(BatchStatusResponse.parse(await res.json()));
}

void describe(
  'fetchAirOpsBatchStatus in a mock activity environment, against the simulator',
  { timeout: 60_000 },
  () => {
    let sim: SimulatorHandle;
    before(async () => {
      sim = await startManualSimulator();
    });
    after(() => sim.close());
    afterEach(() => {
      sim.faults.release();
      sim.faults.clear();
    });

    void describe('result', () => {
      test('the normalized snapshot of the batch at every phase, ending at the ground truth', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(12, 'snap') }, { scenario: 'happy' });
        const truth = sim.groundTruth(id);
        const seen = new Set<string>();
        // Every event instant of the batch's lifecycle, then one past its end.
        for (const t of [truth.created, ...truth.events.map((e) => e.at), truth.terminalAt + 60_000]) {
          await advanceTo(sim, t);
          const { env } = mockEnv();
          const snapshot = await env.run(fetchAirOpsBatchStatus, id);
          assert.deepEqual(snapshot, await statusNow(sim, id), `at +${t - truth.created} ms`);
          assert.equal(snapshot.batchId, id);
          assert.deepEqual(snapshot.source, { kind: 'status' });
          seen.add(snapshot.overall);
        }
        assert.ok(seen.has('in_progress') && seen.has('completed'), `overall statuses seen: ${[...seen].join(', ')}`);

        const { env } = mockEnv();
        const final = await env.run(fetchAirOpsBatchStatus, id);
        assert.deepEqual(final, snapshotFromStatusResponse(BatchStatusResponse.parse(truth.final)));
        assert.equal(final.overall, truth.final.status);
        assert.equal(final.totalUrls, 12);
        assert.equal(final.createdAt, truth.created);
        assert.equal(final.scraping.state, truth.final.scraping.state);
        assert.equal(final.scraping.succeeded, truth.final.scraping.succeeded);
        assert.equal(final.enriching.state, truth.final.enriching.state);
        assert.deepEqual(final.unknownValues, []);
      });

      test('a failed batch is a normal result, not a failure', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(5, 'sf') }, { scenario: 'scraping_failed' });
        const truth = sim.groundTruth(id);
        assert.equal(truth.outcome, 'failed');
        await advanceTo(sim, truth.terminalAt);
        const { env } = mockEnv();
        const snapshot = await env.run(fetchAirOpsBatchStatus, id);
        assert.equal(snapshot.overall, 'failed');
        assert.equal(snapshot.scraping.state, 'failed');
        assert.deepEqual(snapshot, snapshotFromStatusResponse(BatchStatusResponse.parse(truth.final)));
      });

      test('unknown fields in the body (a drifting API) do not fail the call', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(3, 'xf') });
        sim.faults.set({ fault: { type: 'extra_fields' }, batchId: id, count: 1 });
        const { env } = mockEnv();
        const snapshot = await env.run(fetchAirOpsBatchStatus, id);
        assert.equal(sim.requests.at(-1)?.fault, 'extra_fields');
        assert.deepEqual(snapshot, await statusNow(sim, id));
      });
    });

    void describe('failures: stable types from the failure table, with the right retry flags', () => {
      let batchId: string;
      before(() => {
        batchId = sim.createBatch({ items: sampleItems(3, 'fail') }).id;
      });

      test('404: NotFound, non-retryable (an unknown batch, and a batch not visible yet)', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const unknown = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, 'batch_doesnotexist0000'));
        assert.equal(unknown.type, FAILURE_TYPE_BY_ERROR.NotFoundError);
        assert.equal(unknown.type, 'NotFound');
        assert.equal(unknown.nonRetryable, true);
        assert.equal(detailsOf(unknown).status, 404);
        assert.equal(detailsOf(unknown).code, 'not_found');

        sim.faults.set({ fault: { type: 'not_found_after_create', windowMs: 60_000 }, batchId, count: 1 });
        const notYet = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(notYet.type, 'NotFound');
        assert.equal(notYet.nonRetryable, true);
      });

      test('401 (wrong API key): Unauthorized, non-retryable, and the key is in no part of the failure', async () => {
        const wrongKey = 'sk_wrong_key_0123456789abcdef';
        const { fetchAirOpsBatchStatus } = activitiesFor(sim, { apiKey: wrongKey });
        const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.UnauthorizedError);
        assert.equal(failure.type, 'Unauthorized');
        assert.equal(failure.nonRetryable, true);
        assert.equal(detailsOf(failure).status, 401);
        assert.equal(sim.requests.at(-1)?.status, 401);
        const views = [failure.message, failure.stack ?? '', JSON.stringify(failure), inspect(failure, { depth: 10 })];
        for (const view of views) assert.ok(!view.includes(wrongKey), `key leaked: ${view.slice(0, 200)}`);
      });

      test('429: RateLimited, retryable, nextRetryDelay from Retry-After (none without the header)', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        sim.faults.set({ fault: { type: 'rate_limit', retryAfterSeconds: 7 }, batchId, count: 1 });
        const limited = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(limited.type, FAILURE_TYPE_BY_ERROR.RateLimitedError);
        assert.equal(limited.type, 'RateLimited');
        assert.equal(limited.nonRetryable, false);
        assert.equal(limited.nextRetryDelay, 7_000);
        assert.equal(detailsOf(limited).status, 429);
        assert.equal(detailsOf(limited).retryAfterMs, 7_000);

        sim.faults.set({
          fault: { type: 'rate_limit', retryAfterSeconds: null, format: 'problem' },
          batchId,
          count: 1,
        });
        const bare = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(bare.type, 'RateLimited');
        assert.equal(bare.nonRetryable, false);
        assert.equal(bare.nextRetryDelay, undefined);
        assert.equal(detailsOf(bare).retryAfterMs, null);
      });

      test('5xx in every error body format: ServerError, retryable', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const formats = ['airops', 'problem', 'legacy_message', 'legacy_error', 'text', 'html'] as const;
        for (const status of [500, 502, 503, 504] as const) {
          for (const format of formats) {
            sim.faults.set({ fault: { type: 'server_error', status, format }, batchId, count: 1 });
            const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
            assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.ServerError, `${status} ${format}`);
            assert.equal(failure.type, 'ServerError');
            assert.equal(failure.nonRetryable, false, `${status} ${format}`);
            assert.equal(detailsOf(failure).status, status);
          }
        }
        // The fault rules were for one request each: the next call answers.
        const { env } = mockEnv();
        assert.equal((await env.run(fetchAirOpsBatchStatus, batchId)).batchId, batchId);
      });

      test('no answer within the client deadline: Timeout, retryable', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim, { timeoutMs: 200 });
        const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId, endpoints: ['status'], count: 1 });
        const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(sim.faults.held(ruleId), 1, 'the request reached the API and was never answered');
        assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.TimeoutError);
        assert.equal(failure.type, 'Timeout');
        assert.equal(failure.nonRetryable, false);
        assert.equal(detailsOf(failure).status, null);
      });

      test('a malformed body (JSON cut in half): ContractViolation, retryable', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        sim.faults.set({ fault: { type: 'truncated_json', mode: 'body' }, batchId, count: 1 });
        const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.equal(sim.requests.at(-1)?.fault, 'truncated_json');
        assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.ContractViolationError);
        assert.equal(failure.type, 'ContractViolation');
        assert.equal(failure.nonRetryable, false);
        assert.equal(detailsOf(failure).status, 200);
      });

      test('a connection dropped mid-body: a retryable failure of the table', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        sim.faults.set({ fault: { type: 'truncated_json', mode: 'connection' }, batchId, count: 1 });
        const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, batchId));
        assert.ok(
          [FAILURE_TYPE_BY_ERROR.NetworkError, FAILURE_TYPE_BY_ERROR.ContractViolationError].includes(
            failure.type as 'Network' | 'ContractViolation',
          ),
          `type ${failure.type}`,
        );
        assert.equal(failure.nonRetryable, false);
      });

      test('a malformed batch id: InvalidBatchId, non-retryable, and nothing is sent', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const before = sim.requests.length;
        const failure = await failureOf(mockEnv().env.run(fetchAirOpsBatchStatus, '../../etc/passwd'));
        assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.InvalidBatchIdError);
        assert.equal(failure.nonRetryable, true);
        assert.equal(sim.requests.length, before);
      });
    });

    void describe('heartbeats', () => {
      test('a slow call heartbeats while it waits (heartbeat timeout set), and stops when it ends', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(4, 'hb') });
        const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['status'], count: 1 });
        // Every 50 ms: a third of the heartbeat timeout.
        const { env, heartbeats } = mockEnv({ heartbeatTimeoutMs: 150 });
        const running = env.run(fetchAirOpsBatchStatus, id);
        await untilHeld(sim, ruleId);
        await until(() => heartbeats.length >= 3);
        assert.equal(sim.faults.held(ruleId), 1, 'still waiting for the answer while heartbeating');
        assert.equal(sim.faults.release(ruleId), 1);
        const snapshot = await running;
        assert.deepEqual(snapshot, await statusNow(sim, id));
        const atEnd = heartbeats.length;
        assert.ok(atEnd >= 3, `${atEnd} heartbeats`);
        // Several heartbeat intervals later: no heartbeat from a finished activity.
        await new Promise((resolve) => setTimeout(resolve, 250));
        assert.equal(heartbeats.length, atEnd);
      });

      test('a slow call that fails also stops heartbeating', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim, { timeoutMs: 300 });
        const { id } = sim.createBatch({ items: sampleItems(2, 'hbf') });
        sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['status'], count: 1 });
        const { env, heartbeats } = mockEnv({ heartbeatTimeoutMs: 90 });
        const failure = await failureOf(env.run(fetchAirOpsBatchStatus, id));
        assert.equal(failure.type, 'Timeout');
        assert.ok(heartbeats.length >= 1, `${heartbeats.length} heartbeats`);
        const atEnd = heartbeats.length;
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.equal(heartbeats.length, atEnd);
      });

      test('a fast call sends no heartbeat', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(2, 'fast') });
        const { env, heartbeats } = mockEnv({ heartbeatTimeoutMs: 60_000 });
        assert.equal((await env.run(fetchAirOpsBatchStatus, id)).batchId, id);
        assert.deepEqual(heartbeats, []);
      });

      test('without a heartbeat timeout, even a slow call sends none', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(2, 'nohb') });
        const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['status'], count: 1 });
        const { env, heartbeats } = mockEnv({ heartbeatTimeoutMs: undefined });
        const running = env.run(fetchAirOpsBatchStatus, id);
        await untilHeld(sim, ruleId);
        await new Promise((resolve) => setTimeout(resolve, 200));
        sim.faults.release(ruleId);
        assert.equal((await running).batchId, id);
        assert.deepEqual(heartbeats, []);
      });
    });

    void describe('cancellation', () => {
      test('cancelling the activity aborts the in-flight HTTP call, and the activity rejects', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(2, 'cancel') });
        const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, batchId: id, endpoints: ['status'], count: 1 });
        const { env } = mockEnv({ heartbeatTimeoutMs: 60_000 });
        const running = env.run(fetchAirOpsBatchStatus, id);
        await untilHeld(sim, ruleId);
        const logged = sim.requests.length;
        env.cancel();
        // The cancellation itself, not an API failure: Temporal records a cancelled attempt.
        await cancellationOf(running);
        assert.equal(env.context.cancellationSignal.aborted, true);
        // The simulator logs a request when its connection closes: the client hung up on the held request, which was
        // never answered (it is still held).
        await until(() => sim.requests.length > logged);
        const entry = sim.requests.at(-1);
        assert.equal(entry?.fault, 'hold');
        assert.equal(entry?.batchId, id);
        assert.equal(sim.faults.held(ruleId), 1);
      });

      test('an activity cancelled before it starts sends nothing', async () => {
        const { fetchAirOpsBatchStatus } = activitiesFor(sim);
        const { id } = sim.createBatch({ items: sampleItems(2, 'early') });
        const { env } = mockEnv();
        env.cancel();
        const before = sim.requests.length;
        await cancellationOf(env.run(fetchAirOpsBatchStatus, id));
        assert.equal(sim.requests.length, before);
      });
    });
  },
);
