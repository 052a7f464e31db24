// The replay net itself (kit/helpers/replay-net.ts): it catches a nondeterministic change in a suite's histories,
// names the test that made each, saves them where the printed command replays them, and counts exclusions; and every
// test file that starts a Temporal server is wired to it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { ReplayNetResult } from '../../kit/helpers/replay-net';

const ROOT = resolve(__dirname, '..', '..');
const SUITE = 'test/fixtures/replay-net-suite.ts';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    // Without NODE_TEST_CONTEXT, which would make the child's `node --test` a subtest of this file's run.
    const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...inherited, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => done({ code, out }));
  });
}

describe('replay net', () => {
  it('fails a suite whose histories do not replay, names each test, saves them to replay, counts exclusions', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-net-test-'));
    try {
      const resultDir = join(dir, 'results');
      const saveDir = join(dir, 'saved');
      mkdirSync(resultDir);
      // Its own result and save directories: the outer run's summary must not count the fixture's failures.
      const suite = await run(['--import', 'tsx', '--test', '--test-reporter=tap', SUITE], {
        REPLAY_NET_DIR: resultDir,
        REPLAY_NET_SAVE_DIR: saveDir,
        REPLAY_NET: '',
      });
      assert.equal(suite.code, 1, suite.out);
      assert.match(suite.out, /replay net: 6 failure\(s\) in test\/fixtures\/replay-net-suite\.ts/);

      const files = readdirSync(resultDir);
      assert.equal(files.length, 1, files.join());
      const result = JSON.parse(readFileSync(join(resultDir, files[0]!), 'utf8')) as ReplayNetResult;
      assert.equal(result.suite, SUITE);
      assert.equal(result.replayed, 7); // 2 servers × 3 tagBatch (a before hook, 2 tests), + sleepDays on its own bundle
      assert.equal(result.nondeterministic, 6);
      assert.equal(result.sources, 2);
      assert.deepEqual(result.excluded.map((e) => [e.workflowId, e.test]).sort(), [
        ['excluded-dev', 'dev > tags another, and one the net excludes'],
        ['excluded-time-skipping', 'time-skipping > tags another, and one the net excludes'],
      ]);
      const byId = new Map(result.failures.map((f) => [f.workflowId ?? '', f]));
      const failureOf = (id: string) => byId.get(id) ?? assert.fail(`no failure for ${id}`);
      assert.deepEqual([...byId.keys()].sort(), [
        'dev-in-before',
        'dev-tags',
        'dev-tags-another',
        'time-skipping-in-before',
        'time-skipping-tags',
        'time-skipping-tags-another',
      ]);
      for (const f of result.failures) {
        assert.equal(f.kind, 'nondeterministic');
        assert.match(f.message, /^\[TMPRL1100\] Nondeterminism error/);
      }
      // Attribution: the test's window on each server's own clock (the time-skipping one is skipped ahead).
      assert.equal(failureOf('time-skipping-tags').test, 'time-skipping > tags a batch');
      assert.equal(
        failureOf('time-skipping-tags-another').test,
        'time-skipping > tags another, and one the net excludes',
      );
      assert.equal(failureOf('dev-tags').test, 'dev > tags a batch');
      assert.equal(failureOf('time-skipping-in-before').test, '(a before hook, before the first test)');
      assert.match(
        failureOf('dev-in-before').test,
        /^\(hooks between «time-skipping > .*» and «dev > tags a batch»\)$/,
      );

      // Saved under <suite>--<test>--<workflowId>--<run>.json; the printed command replays it.
      const saved = readdirSync(saveDir).sort();
      assert.equal(saved.length, 6);
      const tagged = failureOf('dev-tags');
      assert.equal(
        relative(
          ROOT,
          join(
            saveDir,
            saved.find((s) => s.includes('--dev-tags--'))!,
          ),
        ),
        tagged.saved,
      );
      assert.match(tagged.saved ?? '', /replay-net-suite--tags-a-batch--dev-tags--[0-9a-f]{8}\.json$/);
      assert.ok(statSync(join(ROOT, tagged.saved ?? '')).size > 0);
      assert.equal(
        tagged.replay,
        `npx tsx kit/helpers/replay-net.ts ${tagged.saved} --workflows test/fixtures/nondeterministic-smoke.ts --workflow-id 'dev-tags'`,
      );
      const cli = ['--import', 'tsx', 'kit/helpers/replay-net.ts', tagged.saved ?? '', '--workflow-id', 'dev-tags'];
      const changed = await run([...cli, '--workflows', 'test/fixtures/nondeterministic-smoke.ts'], {});
      assert.equal(changed.code, 1, changed.out);
      assert.match(changed.out, /FAIL .*Nondeterminism error/);
      const original = await run([...cli, '--workflows', 'test/fixtures/smoke-workflows.ts'], {});
      assert.equal(original.code, 0, original.out);
      t.diagnostic(`replayed ${result.replayed} in ${result.replayMs} ms, collected in ${result.collectMs} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every test file that starts a Temporal server, or a process that does, wires the net', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(join(ROOT, 'test'));
    // Servers from the helpers, made directly, the client stack, the reliability scenarios, the demo's own server.
    const startsServer =
      /createDevServerEnv|createTimeSkippingEnv|TestWorkflowEnvironment\.create|startStack\(|run\w+Scenario\(|'demo'/;
    const unwired = files
      .filter((f) => f !== __filename && startsServer.test(readFileSync(f, 'utf8')))
      .filter((f) => !/\breplayNet\(__filename\b/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(unwired, [], 'wire each with replayNet(__filename) (kit/helpers/replay-net.ts)');
  });
});
