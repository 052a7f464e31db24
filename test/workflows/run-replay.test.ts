// Determinism of runAirOpsBatch: the histories recorded from the run tests (test/histories/run/*.json, regenerate
// with `RECORD_HISTORIES=1 npm test -- test/workflows/run-airops-batch.test.ts`) replay against today's workflow code,
// and no history holds the API key or the items (they live in the results sink).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { workflowBundle } from '../../kit/helpers/temporal';
import { RUN_HISTORIES_DIR, TEST_API_KEY } from '../../kit/run/helpers';

const files = readdirSync(RUN_HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(RUN_HISTORIES_DIR, file), 'utf8')));

describe('replay of recorded runAirOpsBatch histories', () => {
  it('has the recorded histories', () => {
    assert.deepEqual(files, [
      'bad-url.json',
      'cancelled-while-tracking.json',
      'failed-batch.json',
      'items-not-found.json',
      'lost-create-response.json',
    ]);
  });

  it('every one replays on the current workflow code', async () => {
    const bundle = await workflowBundle(WORKFLOWS_PATH);
    const failures: string[] = [];
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: load(f) }));
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    assert.deepEqual(failures, []);
  });

  it('a change that breaks determinism fails replay', async () => {
    const bundle = await workflowBundle(require.resolve('../fixtures/nondeterministic-run'));
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: bundle }, load('lost-create-response.json'), 'lost-create-response'),
      (err: unknown) => err instanceof DeterminismViolationError,
    );
  });

  it('no history holds the API key or an item result', () => {
    for (const f of files) {
      const text = readFileSync(join(RUN_HISTORIES_DIR, f), 'utf8');
      assert.ok(!text.includes(TEST_API_KEY), `${f} holds the API key`);
      // Payloads are base64 in JSON histories: look for an item's result fields in the decoded payloads.
      const decoded = [...text.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)]
        .map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8'))
        .join('\n');
      assert.ok(decoded.includes('"custom_id"'), `${f}: payloads not decoded (the check would prove nothing)`);
      assert.ok(!/"date_published":"\d/.test(decoded), `${f} holds item results`);
    }
  });
});
