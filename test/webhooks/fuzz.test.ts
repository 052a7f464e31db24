// Fuzz: 1,200 random requests (bodies, headers, secrets, content types, raw malformed HTTP) against the receiver on
// loopback, each built to be unacceptable. Every one gets a 4xx (or a closed socket for broken HTTP), nothing
// reaches Temporal, and the receiver is healthy and working afterwards. Seeded: FUZZ_SEED=<n> replays a run.
// The generators and the runner are in ./fuzz-cases.ts (the reliability suite and the hostile-input soak reuse them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createWebhookReceiver, webhookUrlFor, type WebhookReceiver } from '../../webhooks/server';
import { createDevServerEnv, uniqueTaskQueue } from '../../kit/helpers/temporal';
import { runReceiverFuzz } from '../../kit/webhooks/fuzz-cases';
import { SECRET, captureLog, freshBatchId, payloadFor, post } from '../../kit/webhooks/helpers';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const REQUESTS = 1_200;
const CONCURRENCY = 8;
const BODY_LIMIT = 64 * 1_024; // a smaller limit keeps the oversized cases cheap; 1 MiB is tested elsewhere

describe('webhook receiver fuzz (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let receiver: WebhookReceiver;
  let base: string;
  const log = captureLog();
  const taskQueue = uniqueTaskQueue('wh-fuzz');

  before(async () => {
    env = await createDevServerEnv();
    receiver = createWebhookReceiver({
      client: env.client,
      taskQueue,
      secret: SECRET,
      bodyLimit: BODY_LIMIT,
      signalTimeoutMs: 5_000,
      // The per-IP limit would turn most of the fuzz into 429s after 30 wrong secrets; it has its own test.
      authFailureLimit: { max: Number.MAX_SAFE_INTEGER, windowMs: 60_000 },
      logger: { stream: log },
    });
    base = await receiver.listen();
  });
  after(async () => {
    await receiver?.close();
    await env?.teardown();
  });

  it(`${REQUESTS} unacceptable requests: all 4xx (or refused HTTP), nothing signaled, the receiver stays up`, async (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    t.diagnostic(`FUZZ_SEED=${seed}`);
    const { byKind, failures } = await runReceiverFuzz({
      base,
      requests: REQUESTS,
      seed,
      concurrency: CONCURRENCY,
      bodyLimit: BODY_LIMIT,
    });

    for (const [kind, m] of byKind) {
      t.diagnostic(`${kind}: ${[...m].map(([s, n]) => `${s}×${n}`).join(' ')}`);
    }
    assert.deepEqual(failures, [], `seed ${seed}`);
    const stats = receiver.stats();
    assert.equal(stats.signaled, 0, `seed ${seed}: something was signaled`);
    assert.equal(stats.inFlight, 0);

    // Still up and still working.
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const control = freshBatchId();
    assert.equal((await post(webhookUrlFor(base, SECRET), payloadFor(control))).status, 200);
    let trackers = 0;
    for await (const w of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      trackers++;
      assert.equal(w.workflowId, `airops-batch-${control}`, `seed ${seed}: a fuzz request started a tracker`);
    }
    assert.equal(trackers, 1);
    assert.ok(!log.lines.join('').includes(SECRET), 'the secret is in the log');
  });
});
