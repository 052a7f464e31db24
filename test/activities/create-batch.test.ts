// createAirOpsBatch as Temporal runs it (MockActivityEnvironment: the attempt's info, cancellation signal) against
// the simulator through the real OlostepClient. The contract of activities/create-batch.ts: one Idempotency-Key
// for every attempt of a run, so a retry after a lost response gets the batch already created; the worker's
// webhook URL added only to requests without a `webhook`; the failure types and retry flags of the table.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Info } from '@temporalio/activity';
import { sampleItems, type SimulatorHandle } from '../../testing';
import { FAILURE_TYPE_BY_ERROR } from '../../workflows/failure-types';
import { runIdempotencyKey } from '../../workflows/run-keys';
import { activitiesFor, advanceTo, detailsOf, failureOf, mockEnv, startManualSimulator, untilHeld } from './helpers';

/** The info of attempt `attempt` of the create activity of workflow run `workflowId`/`runId`. */
function attemptInfo(workflowId: string, runId: string, attempt: number): Partial<Info> {
  return { workflowExecution: { workflowId, runId }, attempt, activityType: 'createAirOpsBatch', activityId: '1' };
}

/** Create requests the simulator received, oldest first. */
function creates(sim: SimulatorHandle) {
  return sim.requests.filter((r) => r.endpoint === 'create');
}

/** A webhook receiver on a free port that answers 200 and records the path (with query) of every request. */
async function startReceiver(): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

void describe('createAirOpsBatch in a mock activity environment, against the simulator', { timeout: 60_000 }, () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startManualSimulator();
  });
  after(() => sim.close());
  afterEach(() => {
    sim.faults.release();
    sim.faults.clear();
  });

  test('returns the created batch: id, total, creation time and the snapshot of the create response', async () => {
    const { createAirOpsBatch, fetchAirOpsBatchStatus } = activitiesFor(sim);
    const { env } = mockEnv(attemptInfo('airops-run-plain', 'run-plain', 1));
    const created = await env.run(createAirOpsBatch, { items: sampleItems(7, 'plain') });
    assert.ok(sim.batchIds().includes(created.batchId));
    const truth = sim.groundTruth(created.batchId);
    assert.equal(created.totalUrls, 7);
    assert.equal(created.createdAt, truth.created);
    assert.equal(created.snapshot.batchId, created.batchId);
    assert.deepEqual(created.snapshot.source, { kind: 'create' });
    // The create response's shape and the status endpoint's (same virtual instant) say the same thing.
    const status = await mockEnv().env.run(fetchAirOpsBatchStatus, created.batchId);
    assert.equal(created.snapshot.overall, status.overall);
    assert.equal(created.snapshot.scraping.state, status.scraping.state);
    assert.equal(created.snapshot.scraping.submitted, status.scraping.submitted);
    assert.equal(created.idempotencyKey, runIdempotencyKey('airops-run-plain', 'run-plain'));
    assert.equal(creates(sim).at(-1)?.idempotency, 'stored');
  });

  void describe('idempotent across retries', () => {
    for (const mode of ['body', 'connection'] as const) {
      test(`attempt 1 loses the response (truncated_json ${mode}); attempt 2 sends the same key and gets the same batch`, async () => {
        const { createAirOpsBatch } = activitiesFor(sim);
        const workflowId = `airops-run-lost-${mode}`;
        const runId = `run-lost-${mode}`;
        const request = { items: sampleItems(5, `lost${mode}`), metadata: { source: 'activity-test' } };
        const batchesBefore = sim.batchIds().length;

        sim.faults.set({ fault: { type: 'truncated_json', mode }, endpoints: ['create'], count: 1 });
        const first = await failureOf(mockEnv(attemptInfo(workflowId, runId, 1)).env.run(createAirOpsBatch, request));
        assert.equal(first.nonRetryable, false, `${first.type} must be retryable`);
        assert.ok(['ContractViolation', 'Network'].includes(first.type ?? ''), `type ${first.type}`);
        // The API did create the batch: only its answer was lost.
        assert.equal(sim.batchIds().length, batchesBefore + 1);
        const lost = sim.batchIds().at(-1);

        const second = await mockEnv(attemptInfo(workflowId, runId, 2)).env.run(createAirOpsBatch, request);
        assert.equal(second.batchId, lost);
        assert.equal(sim.batchIds().length, batchesBefore + 1, 'no second batch');
        assert.equal(second.idempotencyKey, runIdempotencyKey(workflowId, runId));
        assert.deepEqual(
          creates(sim)
            .slice(-2)
            .map((r) => [r.idempotency, r.batchId]),
          [
            ['stored', lost],
            ['replayed', lost],
          ],
        );
        assert.equal(second.totalUrls, 5);
      });
    }

    test('a retry while the first attempt is still being processed: Conflict (retryable), then the same batch', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      const request = { items: sampleItems(3, 'inflight') };
      const [ruleId] = sim.faults.set({ fault: { type: 'hold' }, endpoints: ['create'], count: 1 });
      const first = mockEnv(attemptInfo('airops-run-inflight', 'run-inflight', 1)).env.run(createAirOpsBatch, request);
      await untilHeld(sim, ruleId);

      const conflict = await failureOf(
        mockEnv(attemptInfo('airops-run-inflight', 'run-inflight', 2)).env.run(createAirOpsBatch, request),
      );
      assert.equal(conflict.type, FAILURE_TYPE_BY_ERROR.ConflictError);
      assert.equal(conflict.nonRetryable, false);
      assert.equal(detailsOf(conflict).status, 409);
      assert.equal(creates(sim).at(-1)?.idempotency, 'in_progress');

      sim.faults.release(ruleId);
      const created = await first;
      const third = await mockEnv(attemptInfo('airops-run-inflight', 'run-inflight', 3)).env.run(
        createAirOpsBatch,
        request,
      );
      assert.equal(third.batchId, created.batchId);
      assert.equal(creates(sim).at(-1)?.idempotency, 'replayed');
    });

    test('the key comes from the run, not the attempt: another run creates another batch; an explicit key wins', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      const request = { items: sampleItems(2, 'keys') };
      const a = await mockEnv(attemptInfo('airops-run-keys', 'run-a', 1)).env.run(createAirOpsBatch, request);
      const b = await mockEnv(attemptInfo('airops-run-keys', 'run-b', 1)).env.run(createAirOpsBatch, request);
      assert.notEqual(a.batchId, b.batchId);
      assert.notEqual(a.idempotencyKey, b.idempotencyKey);

      // The run workflow passes runIdempotencyKey(workflowId, firstExecutionRunId): a reset or continued run, with
      // another run id, still gets the first run's batch.
      const key = a.idempotencyKey;
      const continued = await mockEnv(attemptInfo('airops-run-keys', 'run-c', 1)).env.run(createAirOpsBatch, request, {
        idempotencyKey: key,
      });
      assert.equal(continued.batchId, a.batchId);
      assert.equal(continued.idempotencyKey, key);
    });

    test('the same key with another body: Validation (422 idempotency_key_reuse), non-retryable', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      const info = attemptInfo('airops-run-reuse', 'run-reuse', 1);
      await mockEnv(info).env.run(createAirOpsBatch, { items: sampleItems(2, 'reuse') });
      const failure = await failureOf(
        mockEnv({ ...info, attempt: 2 }).env.run(createAirOpsBatch, { items: sampleItems(3, 'reuse') }),
      );
      assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.ValidationError);
      assert.equal(failure.nonRetryable, true);
      assert.equal(detailsOf(failure).status, 422);
      assert.equal(detailsOf(failure).code, 'idempotency_key_reuse');
    });
  });

  void describe("the worker's webhook URL", () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    before(async () => {
      receiver = await startReceiver();
    });
    after(() => receiver.close());

    /** Runs the batch to its end and returns the URLs the simulator delivered its webhooks to. */
    async function deliveredTo(batchId: string): Promise<string[]> {
      await advanceTo(sim, sim.groundTruth(batchId).terminalAt);
      await sim.whenIdle();
      return [...new Set(sim.webhookDeliveries.filter((d) => d.batchId === batchId).map((d) => d.url))];
    }

    test('is added to a request without a webhook, and every event goes there', async () => {
      const webhookUrl = `${receiver.url}/hooks/airops?token=worker-secret`;
      const { createAirOpsBatch } = activitiesFor(sim, { webhookUrl });
      const request = { items: sampleItems(3, 'hook') };
      const created = await mockEnv(attemptInfo('airops-run-hook', 'run-hook', 1)).env.run(createAirOpsBatch, request);
      assert.equal('webhook' in request, false, "the caller's request is not modified");
      assert.deepEqual(await deliveredTo(created.batchId), [webhookUrl]);
      const events = sim.groundTruth(created.batchId).events.length;
      assert.ok(events > 0);
      assert.ok(
        sim.webhookDeliveries.filter((d) => d.batchId === created.batchId && d.delivered).length >= events,
        'every event delivered',
      );
      assert.ok(receiver.paths.includes('/hooks/airops?token=worker-secret'));
    });

    test("a request's own webhook is kept, and `webhook: null` asks for none", async () => {
      const { createAirOpsBatch } = activitiesFor(sim, { webhookUrl: `${receiver.url}/hooks/worker` });
      const own = `${receiver.url}/hooks/own`;
      const withOwn = await mockEnv(attemptInfo('airops-run-own', 'run-own', 1)).env.run(createAirOpsBatch, {
        items: sampleItems(2, 'own'),
        webhook: own,
      });
      assert.deepEqual(await deliveredTo(withOwn.batchId), [own]);

      const withNone = await mockEnv(attemptInfo('airops-run-none', 'run-none', 1)).env.run(createAirOpsBatch, {
        items: sampleItems(2, 'none'),
        webhook: null,
      });
      assert.deepEqual(await deliveredTo(withNone.batchId), []);
      assert.ok(!receiver.paths.includes('/hooks/worker'), "the worker's URL was never used");
    });

    test('without a worker webhook URL, a request without one gets none', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      const created = await mockEnv(attemptInfo('airops-run-nohook', 'run-nohook', 1)).env.run(createAirOpsBatch, {
        items: sampleItems(2, 'nohook'),
      });
      assert.deepEqual(await deliveredTo(created.batchId), []);
    });
  });

  void describe('failures', () => {
    test('a request breaking a documented limit: Validation, non-retryable, nothing sent, details clipped', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      const sent = creates(sim).length;
      const items = Array.from({ length: 30 }, (_, i) => ({ url: `not a url ${i}`, custom_id: `bad${i}` }));
      const failure = await failureOf(
        mockEnv(attemptInfo('airops-run-bad', 'run-bad', 1)).env.run(createAirOpsBatch, { items }),
      );
      assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.ValidationError);
      assert.equal(failure.nonRetryable, true);
      assert.equal(detailsOf(failure).status, null, 'refused locally');
      const problems = detailsOf(failure).details;
      assert.ok(Array.isArray(problems));
      assert.equal(problems.length, 20, 'the first 20 of 30 problems');
      assert.equal(creates(sim).length, sent);
    });

    test('a wrong API key: Unauthorized, non-retryable; a 5xx before creating: ServerError, retryable', async () => {
      const wrong = activitiesFor(sim, { apiKey: 'sk_wrong_key_for_create_0000' });
      const info = attemptInfo('airops-run-err', 'run-err', 1);
      const unauthorized = await failureOf(
        mockEnv(info).env.run(wrong.createAirOpsBatch, { items: sampleItems(1, 'err') }),
      );
      assert.equal(unauthorized.type, FAILURE_TYPE_BY_ERROR.UnauthorizedError);
      assert.equal(unauthorized.nonRetryable, true);

      const { createAirOpsBatch } = activitiesFor(sim);
      sim.faults.set({
        fault: { type: 'server_error', status: 503, format: 'airops' },
        endpoints: ['create'],
        count: 1,
      });
      const batches = sim.batchIds().length;
      const server = await failureOf(mockEnv(info).env.run(createAirOpsBatch, { items: sampleItems(1, 'err') }));
      assert.equal(server.type, FAILURE_TYPE_BY_ERROR.ServerError);
      assert.equal(server.nonRetryable, false);
      assert.equal(sim.batchIds().length, batches);
      const retried = await mockEnv({ ...info, attempt: 2 }).env.run(createAirOpsBatch, {
        items: sampleItems(1, 'err'),
      });
      assert.equal(sim.batchIds().length, batches + 1);
      assert.equal(retried.batchId, sim.batchIds().at(-1));
    });

    test('429 on create: RateLimited with nextRetryDelay from Retry-After', async () => {
      const { createAirOpsBatch } = activitiesFor(sim);
      sim.faults.set({ fault: { type: 'rate_limit', retryAfterSeconds: 3 }, endpoints: ['create'], count: 1 });
      const failure = await failureOf(
        mockEnv(attemptInfo('airops-run-429', 'run-429', 1)).env.run(createAirOpsBatch, {
          items: sampleItems(1, 'rl'),
        }),
      );
      assert.equal(failure.type, FAILURE_TYPE_BY_ERROR.RateLimitedError);
      assert.equal(failure.nonRetryable, false);
      assert.equal(failure.nextRetryDelay, 3_000);
    });
  });
});
