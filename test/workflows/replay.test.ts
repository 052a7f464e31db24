// Determinism: every history recorded from the tracker tests (test/histories/*.json, regenerate with
// `RECORD_HISTORIES=1 npm test -- test/workflows`) replays against today's workflow code; a change that breaks
// determinism (test/fixtures/nondeterministic-tracker.ts) is caught. Also: no history holds a secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { HISTORIES_DIR, TEST_API_KEY } from '../helpers/tracker';
import { workflowBundle } from '../helpers/temporal';
import { DEFAULT_API_KEY as SIMULATOR_DEFAULT_KEY } from '../../simulator/server';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
}

describe('replay of committed histories', () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 5, `only ${files.length} histories in ${HISTORIES_DIR}`);
  });

  it('every committed history replays on the current workflow code', async () => {
    const bundle = await workflowBundle(WORKFLOWS_PATH);
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: load(f) }));
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    assert.deepEqual(failures, []);
  });

  it('a change that breaks determinism fails replay', async () => {
    const bundle = await workflowBundle(require.resolve('../fixtures/nondeterministic-tracker'));
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: bundle }, load('happy-path.json'), 'happy-path'),
      (err: unknown) => err instanceof DeterminismViolationError,
    );
  });

  it('no recorded history contains an API key', () => {
    for (const f of files) {
      const text = readFileSync(join(HISTORIES_DIR, f), 'utf8');
      for (const secret of [TEST_API_KEY, SIMULATOR_DEFAULT_KEY, 'Bearer ']) {
        assert.ok(!text.includes(secret), `${f} contains ${secret.slice(0, 6)}…`);
      }
    }
  });
});
