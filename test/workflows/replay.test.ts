// Determinism: every history recorded from the tracker tests (test/histories/*.json, regenerate with
// `RECORD_HISTORIES=1 npm test -- test/workflows`) replays against today's workflow code; a change that breaks
// determinism (test/fixtures/nondeterministic-tracker.ts) is caught. Also: the shapes the histories pin (the status
// call is a regular activity, a webhook keeps the running poll timer, a 400 ends tracking), and no history holds a
// secret (payloads decoded: the JSON files keep them base64).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { HISTORIES_DIR, TEST_API_KEY } from '../../kit/helpers/tracker';
import { RUN_HISTORIES_DIR } from '../../kit/run/helpers';
import { decodedHistoryText, findSecrets, secretForms } from '../../kit/reliability/secrets';
import { workflowBundle } from '../../kit/helpers/temporal';
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

  it('a 400 on the status call ends tracking at once with type Validation', () => {
    const text = decodedHistoryText(load('validation-ends-tracking.json'));
    assert.equal(text.match(/"type":"Validation"/g)?.length, 2, 'the activity failure and the workflow failure');
    assert.ok(text.includes('"workflowExecutionFailedEventAttributes"'));
  });

  it('the status call is a regular activity: no local-activity markers, no patch markers', () => {
    for (const file of files) {
      const text = decodedHistoryText(load(file));
      assert.ok(!text.includes('core_local_activity'), `${file}: a local-activity marker`);
      assert.ok(!text.includes('core_patch'), `${file}: a patch marker`);
    }
    const happy = decodedHistoryText(load('happy-path.json'));
    assert.ok(happy.includes('"activityTaskScheduledEventAttributes"') && happy.includes('fetchAirOpsBatchStatus'));
  });

  it('a webhook keeps the running poll timer (no TimerCanceled)', () => {
    const text = decodedHistoryText(load('webhook-terminal.json'));
    assert.ok(text.includes('"workflowExecutionSignaledEventAttributes"'));
    assert.equal(text.match(/"timerCanceledEventAttributes"/g), null);
  });

  it('no committed history (tracker or run) holds an API key, payloads decoded', () => {
    const secrets = [secretForms('test key', TEST_API_KEY), secretForms('simulator key', SIMULATOR_DEFAULT_KEY)];
    const all = [
      ...files.map((f) => join(HISTORIES_DIR, f)),
      ...readdirSync(RUN_HISTORIES_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(RUN_HISTORIES_DIR, f)),
    ];
    for (const path of all) {
      const text = decodedHistoryText(historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))));
      assert.equal(findSecrets(text, secrets), null, path);
      assert.ok(!/Bearer\s/.test(text), `${path} holds a bearer token`);
    }
  });
});
