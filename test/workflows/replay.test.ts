// Determinism: every history recorded from the tracker tests (test/histories/*.json, regenerate with
// `RECORD_HISTORIES=1 npm test -- test/workflows`) replays against today's workflow code; a change that breaks
// determinism (test/fixtures/nondeterministic-tracker.ts) is caught; so do the histories recorded by the
// pre-release tracker (test/histories/pre-release: its status call was a local activity), including two whose first
// round the SDK split across workflow tasks (docs/determinism.md). Also: the shapes the histories pin (the status
// call is a regular activity, a webhook keeps the running poll timer, a 400 ends tracking), and no history holds a
// secret (payloads decoded: the JSON files keep them base64).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
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

const PRE_RELEASE_DIR = join(HISTORIES_DIR, 'pre-release');
const preRelease = readdirSync(PRE_RELEASE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: load(join('pre-release', f)) }));
const SPLIT = ['split-first-round-early-queries', 'split-first-round-refresh-now'];

async function replayFailures(bundlePath: string, histories: typeof preRelease): Promise<Map<string, string>> {
  const bundle = await workflowBundle(bundlePath);
  const failures = new Map<string, string>();
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    if (r.error) failures.set(r.workflowId, r.error.message);
  }
  return failures;
}

/** The first workflow task's commands, and the next task's: the events after each WorkflowTaskCompleted. */
function firstTwoTasksCommands(events: readonly temporal.api.history.v1.IHistoryEvent[]): string[][] {
  const tasks: string[][] = [];
  let current: string[] | null = null;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) {
      if (tasks.length === 2) break;
      tasks.push((current = []));
    } else if (e.workflowTaskScheduledEventAttributes) current = null;
    else if (current && e.markerRecordedEventAttributes) {
      const m = e.markerRecordedEventAttributes;
      const patch = m.details?.['patch-data']?.payloads?.at(0)?.data;
      current.push(
        patch ? `patch ${(JSON.parse(Buffer.from(patch).toString()) as { id: string }).id}` : `${m.markerName}`,
      );
    } else if (current && e.timerStartedEventAttributes) current.push('timer');
  }
  return tasks;
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

  it('every history the pre-release tracker recorded (local-activity status call) replays on the current code', async () => {
    assert.ok(preRelease.length >= SPLIT.length + 5, `only ${preRelease.length} histories in ${PRE_RELEASE_DIR}`);
    assert.deepEqual([...(await replayFailures(WORKFLOWS_PATH, preRelease))], []);
  });

  it("the split pre-release histories: the first status call's marker in one task, the code after it in the next", () => {
    for (const name of SPLIT) {
      const history = preRelease.find((h) => h.workflowId === name)?.history;
      assert.ok(history?.events, name);
      const [first, second] = firstTwoTasksCommands(history.events);
      assert.deepEqual(first, ['patch status-call-local-activity', 'core_local_activity'], name);
      assert.deepEqual(
        second,
        ['patch poll-schedule-approach-estimated-end', 'patch keep-poll-timer-when-plan-unchanged', 'timer'],
        name,
      );
    }
  });

  it("without waiting for the marker's task, the split pre-release histories fail replay and the others do not", async () => {
    const failures = await replayFailures(require.resolve('../fixtures/pre-release-without-wait'), preRelease);
    assert.deepEqual([...failures.keys()].sort(), SPLIT);
    for (const message of failures.values()) {
      assert.match(message, /patch marker encountered for change poll-schedule-approach-estimated-end/);
    }
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
      ...preRelease.map((h) => join(PRE_RELEASE_DIR, `${h.workflowId}.json`)),
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
