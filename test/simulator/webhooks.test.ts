// Webhook delivery: every event of a batch reaches a real receiver in order, with the payload of docs/airops-api.md#webhook-payload; failed
// deliveries are retried on the documented schedule (scaled); duplicates and reordering work when asked for.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { RETRY_DELAYS_MS } from '../../simulator/webhooks';
import { T0, createBatch, items, short, startManual, startReceiver, type Receiver } from './helpers';

const MIN = 60_000;

void describe('webhook delivery (manual clock)', () => {
  let sim: SimulatorHandle;
  let receiver: Receiver;
  beforeEach(async () => {
    sim = await startManual({ webhookTimeoutMs: 300 });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  void test('a happy batch: all six events arrive in order, each when its transition happens', async () => {
    sim.scriptNextBatch({ scenario: 'happy' });
    const { id } = await createBatch(sim, { items: items(10), webhook: receiver.url });
    await sim.whenIdle();
    // scraping_started fires right after creation, without advancing.
    assert.deepEqual(
      receiver.received.map((p) => short(p.object)),
      ['scraping_started'],
    );
    await sim.clock.advance(299_999);
    assert.equal(receiver.received.length, 1, 'nothing before scraping ends');
    await sim.clock.advance(1);
    assert.deepEqual(receiver.received.map((p) => short(p.object)).slice(-1), ['scraping_completed']);
    await sim.clock.advance(3_600_000);
    const truth = sim.groundTruth(id);
    assert.deepEqual(
      receiver.received.map((p) => short(p.object)),
      [
        'scraping_started',
        'scraping_completed',
        'analyzing_completed',
        'enriching_started',
        'enriching_completed',
        'completed',
      ],
    );
    receiver.received.forEach((p, i) => {
      const event = truth.events[i]!;
      assert.equal(p.object, event.type);
      assert.equal(p.id, id, 'id is the batch id');
      assert.equal(p.created, truth.created);
      assert.equal(p.timestamp, event.at, 'sent when the transition happened');
      assert.deepEqual(Object.keys(p).sort(), ['created', 'id', 'object', 'status', 'timestamp']);
    });
    // Spot-check states against the table of docs/airops-api.md#event-sequences.
    const states = receiver.received.map(
      (p) => `${p.status.scraping.state}/${p.status.analyzing.state}/${p.status.enriching.state} ${p.status.overall}`,
    );
    assert.deepEqual(states, [
      'started/pending/pending in_progress',
      'completed/started/pending in_progress',
      'completed/completed/pending in_progress',
      'completed/completed/started in_progress',
      'completed/completed/completed completed',
      'completed/completed/completed completed',
    ]);
    const analyzed = receiver.received[2]!.status;
    assert.ok(
      analyzed.enriching.items_to_enrich > 0,
      'analyzing_completed fills items_to_enrich while enriching is pending',
    );
    assert.equal(analyzed.enriching.items_to_enrich, analyzed.analyzing.items_needing_enrichment);
    assert.ok(receiver.received[4]!.status.enriching.llm, 'llm once enrichment completed');
    assert.ok(sim.webhookDeliveries.every((d) => d.delivered && d.attempt === 1 && d.status === 200));
  });

  void test('skip path and failure paths send the documented events only', async () => {
    const cases = [
      ['enrichment_skipped', ['scraping_started', 'scraping_completed', 'analyzing_completed', 'completed']],
      ['scraping_failed', ['scraping_started', 'scraping_failed', 'failed']],
      ['analyzing_failed', ['scraping_started', 'scraping_completed', 'failed']],
      [
        'llm_batch_failed',
        [
          'scraping_started',
          'scraping_completed',
          'analyzing_completed',
          'enriching_started',
          'enriching_failed',
          'failed',
        ],
      ],
    ] as const;
    for (const [scenario, expected] of cases) {
      const before = receiver.received.length;
      const { id } = await createBatch(sim, {
        items: items(4),
        webhook: receiver.url,
        metadata: { sim_scenario: scenario },
      });
      await sim.clock.advance(3_600_000);
      const got = receiver.received.slice(before);
      assert.deepEqual(
        got.map((p) => short(p.object)),
        expected,
        scenario,
      );
      assert.ok(got.every((p) => p.id === id));
    }
    const failed = receiver.received.filter((p) => p.object === 'event.batch.airops.failed').at(-1)!;
    assert.equal(failed.status.enriching.state, 'failed');
    assert.equal(failed.status.enriching.error?.code, 'LLM_BATCH_FAILED');
  });

  void test('a 500 from the receiver is retried at +2, +4, +7, +15 min, at most 5 attempts', async () => {
    receiver.respond = (p) => (p.object === 'event.batch.airops.scraping_started' ? 500 : 200);
    const { id } = await createBatch(sim, { items: items(2), webhook: receiver.url });
    await sim.whenIdle();
    await sim.clock.advance(60 * MIN);
    const attempts = sim.webhookDeliveries.filter(
      (d) => d.batchId === id && d.event === 'event.batch.airops.scraping_started',
    );
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      attempts.map((a) => a.at - T0),
      [0, 2 * MIN, 6 * MIN, 13 * MIN, 28 * MIN],
    );
    assert.ok(attempts.every((a) => !a.delivered && a.status === 500));
    assert.equal(attempts[4]!.nextAttemptAt, null, 'gives up after the fifth');
    assert.deepEqual(
      receiver.received.filter((p) => p.object === 'event.batch.airops.scraping_started').map((p) => p.timestamp - T0),
      [0, 2 * MIN, 6 * MIN, 13 * MIN, 28 * MIN],
      'timestamp is the send time of each attempt',
    );
    // Later events are not held up by a failing one.
    assert.ok(sim.webhookDeliveries.some((d) => d.event === 'event.batch.airops.scraping_completed' && d.delivered));
  });

  void test('retries stop at the first 2xx; timeouts, redirects, 4xx and refused connections all retry', async () => {
    let calls = 0;
    receiver.respond = (p) => {
      if (p.object !== 'event.batch.airops.scraping_started') return 200;
      calls++;
      return calls === 1 ? 'hang' : calls === 2 ? 302 : calls === 3 ? 404 : 204;
    };
    await createBatch(sim, { items: items(1), webhook: receiver.url });
    await sim.clock.advance(30 * MIN);
    const attempts = sim.webhookDeliveries.filter((d) => d.event === 'event.batch.airops.scraping_started');
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status, a.error, a.delivered]),
      [
        [1, null, 'timeout', false],
        [2, 302, null, false],
        [3, 404, null, false],
        [4, 204, null, true],
      ],
    );

    // Nothing listens on a closed port.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { id } = await createBatch(sim, { items: items(1), webhook: `http://127.0.0.1:${port}/hook` });
    await sim.clock.advance(1);
    const refused = sim.webhookDeliveries.filter(
      (d) => d.batchId === id && d.event === 'event.batch.airops.scraping_started',
    );
    assert.equal(refused[0]?.error, 'ECONNREFUSED');
    assert.equal(refused[0]?.nextAttemptAt, sim.groundTruth(id).created + RETRY_DELAYS_MS[1]);
  });

  void test('duplicates: chosen events arrive twice (flagged in the delivery log)', async () => {
    sim.scriptNextBatch({
      webhooks: { duplicate: ['event.batch.airops.completed', 'event.batch.airops.scraping_completed'] },
    });
    await createBatch(sim, { items: items(3), webhook: receiver.url });
    await sim.clock.advance(3_600_000);
    assert.deepEqual(
      receiver.received.map((p) => short(p.object)),
      [
        'scraping_started',
        'scraping_completed',
        'scraping_completed',
        'analyzing_completed',
        'enriching_started',
        'enriching_completed',
        'completed',
        'completed',
      ],
    );
    assert.deepEqual(receiver.received[1], receiver.received[2], 'identical copies (same payload)');
    assert.equal(sim.webhookDeliveries.filter((d) => d.duplicate).length, 2);

    // Probability 1 = every event twice; a delay spaces the copies out.
    const before = receiver.received.length;
    sim.scriptNextBatch({ scenario: 'scraping_failed', webhooks: { duplicate: 1, duplicateDelayMs: 60_000 } });
    await createBatch(sim, { items: items(2), webhook: receiver.url });
    await sim.clock.advance(3_600_000);
    const got = receiver.received.slice(before);
    assert.deepEqual(got.map((p) => short(p.object)).sort(), [
      'failed',
      'failed',
      'scraping_failed',
      'scraping_failed',
      'scraping_started',
      'scraping_started',
    ]);
    const dup = sim.webhookDeliveries
      .filter((d) => d.duplicate && d.event === 'event.batch.airops.scraping_started')
      .at(-1)!;
    assert.equal(dup.at - dup.eventAt, 60_000);
  });

  void test('reordering: a held event arrives after the next one, with its own (older) state', async () => {
    sim.scriptNextBatch({
      webhooks: { reorder: ['event.batch.airops.enriching_completed', 'event.batch.airops.scraping_started'] },
    });
    const { id } = await createBatch(sim, { items: items(3), webhook: receiver.url });
    await sim.whenIdle();
    assert.equal(receiver.received.length, 0, 'scraping_started is held');
    await sim.clock.advance(3_600_000);
    assert.deepEqual(
      receiver.received.map((p) => short(p.object)),
      [
        'scraping_completed',
        'scraping_started',
        'analyzing_completed',
        'enriching_started',
        'completed',
        'enriching_completed',
      ],
    );
    const late = receiver.received[1]!;
    assert.equal(late.status.scraping.state, 'started', 'a late event still carries the state of its transition');
    assert.ok(late.timestamp > sim.groundTruth(id).created, 'timestamp = (late) send time');
    assert.ok(sim.webhookDeliveries.filter((d) => d.reordered).length === 2);
  });

  void test('probabilistic duplicates/reordering are reproducible from the batch seed', async () => {
    const run = async () => {
      const s = await startManual();
      const r = await startReceiver();
      try {
        s.setDefaultScript({ seed: 'webhook-seed', webhooks: { duplicate: 0.5, reorder: 0.5 } });
        await createBatch(s, { items: items(3), webhook: r.url });
        await s.clock.advance(3_600_000);
        return r.received.map((p) => p.object);
      } finally {
        await s.close();
        await r.close();
      }
    };
    const a = await run();
    assert.deepEqual(a, await run());
    assert.ok(a.length >= 6);
  });

  void test('a batch without webhook (or with webhook: null) gets no deliveries', async () => {
    const a = await createBatch(sim, { items: items(2) });
    const b = await createBatch(sim, { items: items(2), webhook: null });
    await sim.clock.advance(3_600_000);
    assert.equal(sim.webhookDeliveries.filter((d) => d.batchId === a.id || d.batchId === b.id).length, 0);
    assert.equal(receiver.received.length, 0);
  });
});

void describe('webhook retries on the real clock are scaled by timeScale', () => {
  void test('2 and 4 virtual minutes at 2,000× ≈ 60 ms and 120 ms of wall time', async () => {
    const arrivals: number[] = [];
    const receiver = await startReceiver((p) => {
      if (p.object !== 'event.batch.airops.scraping_started') return 200;
      arrivals.push(performance.now());
      return arrivals.length < 3 ? 503 : 200;
    });
    const sim = await startSimulator({
      timeScale: 2_000,
      apiKey: 'k',
      defaultScript: { durations: { scrapingMs: 3_600_000 } },
    });
    try {
      await fetch(`${sim.url}/v1/batches-airops`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ items: items(1), webhook: receiver.url }),
      });
      const deadline = Date.now() + 5_000;
      while (arrivals.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(arrivals.length, 3);
      const gap1 = arrivals[1]! - arrivals[0]!;
      const gap2 = arrivals[2]! - arrivals[1]!;
      assert.ok(gap1 >= 55 && gap1 < 1_000, `first retry after ${gap1.toFixed(0)} ms`);
      assert.ok(gap2 >= 115 && gap2 < 1_500, `second retry after ${gap2.toFixed(0)} ms`);
      await new Promise((r) => setTimeout(r, 50));
      const attempts = sim.webhookDeliveries.filter((d) => d.event === 'event.batch.airops.scraping_started');
      assert.deepEqual(
        attempts.map((a) => a.delivered),
        [false, false, true],
      );
    } finally {
      await sim.close();
      await receiver.close();
    }
  });
});
