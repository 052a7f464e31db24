// The `airops` CLI as a user runs it: a child process (tsx entry) against a real dev server with the production
// worker and the simulator in this process. Every command, the exit codes, one-line errors, --json output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAirOpsBatchProgress, waitForAirOpsBatch } from '../../client/progress';
import { listAirOpsBatches } from '../../client/list';
import { runCli } from '../../client/cli/main';
import { BAD_IDS, QUICK, SLOW, eventually, startStack, type Stack } from '../client/stack';
import { replayNet } from '../../kit/helpers/replay-net';
import { airops, type Run } from '../../kit/helpers/cli';

replayNet(__filename);

/** Runs the CLI in this process (same code path as the binary, minus process.exit): fast for many cases. */
async function airopsInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    ({ isTTY: false, write: (s: string) => (append(s), true) }) as unknown as NodeJS.WriteStream;
  const code = await runCli(args, {
    env: { ...process.env, CI: '1', ...env },
    io: { out: sink((t) => (stdout += t)), err: sink((t) => (stderr += t)) },
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr, ms: Date.now() - started };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('airops CLI (child processes against the dev server)', () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'airops-cli-'));
    stack = await startStack({ resultsDir: join(tmp, 'results') });
    env = { TEMPORAL_ADDRESS: stack.address, TASK_QUEUE: stack.taskQueue };
  });
  after(async () => {
    await stack?.teardown();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('--help everywhere: exit 0, every command listed, exit codes documented', async () => {
    const top = await airops(['--help']);
    const subs: Run[] = [];
    for (const cmd of ['track', 'status', 'watch', 'list', 'cancel', 'demo', 'run']) {
      subs.push(await airopsInProcess([cmd, '--help']));
    }
    assert.equal(top.code, 0, top.stderr);
    for (const c of ['track', 'status', 'watch', 'list', 'cancel', 'demo', 'run'])
      assert.match(top.stdout, new RegExp(`\\n  ${c} `));
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ', '130'])
      assert.match(top.stdout, new RegExp(`\\n  ${code}`));
    for (const r of subs) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: airops \w+/);
    }
  });

  it('bad arguments: exit 2 and one line on stderr, without contacting Temporal', async () => {
    // Temporal "unreachable" on purpose: reaching it would give exit 4, not 2.
    const nowhere = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const cases: [string, string[], RegExp][] = [
      ['no command', [], /Usage: airops/],
      ['missing id', ['status'], /missing required argument 'batchId'/],
      ['missing id (watch)', ['watch'], /missing required argument 'batchId'/],
      ['unknown flag', ['status', 'batch_x', '--bogus'], /unknown option '--bogus'/],
      ['unknown command', ['stats', 'batch_x'], /unknown command 'stats'/],
      ['too many arguments', ['cancel', 'batch_x', 'batch_y'], /too many arguments/],
      ['bad --status', ['list', '--status', 'done'], /--status must be one of/],
      ['bad --phase', ['list', '--phase', 'x;y'], /--phase must be one of/],
      ['bad --limit', ['list', '--limit', '0'], /--limit must be a whole number/],
      ['bad duration', ['track', 'batch_x', '--deadline', 'soon'], /--deadline must be a duration/],
      ['demo: real batch without a key', ['demo', 'batch_x'], /needs OLOSTEP_API_KEY/],
      ['demo: bad scenario', ['demo', '--scenario', 'nope'], /--scenario must be one of/],
      ['run: unreadable list', ['run', '--urls', join(tmp, 'missing.txt')], /cannot read the file/],
      ...BAD_IDS.filter(([what]) => what !== 'NUL').flatMap(([what, id]): [string, string[], RegExp][] => [
        [`invalid id (${what}), status`, ['status', id], /invalid batch id/],
        [`invalid id (${what}), track`, ['track', id], /invalid batch id/],
      ]),
      ['invalid id (control character)', ['watch', 'batch_\u0001x'], /invalid batch id: .*control/],
    ];
    // A few as real processes (the exit code the shell sees), the rest in-process (same code path, no spawn).
    const asProcess = new Set(['missing id', 'unknown flag', 'invalid id (path traversal), status', 'bad duration']);
    const runs = await Promise.all(
      cases.map(([what, args]) =>
        asProcess.has(what)
          ? airops(args, { ...nowhere, OLOSTEP_API_KEY: '' })
          : airopsInProcess(args, { ...nowhere, OLOSTEP_API_KEY: '' }),
      ),
    );
    cases.forEach(([what, , pattern], i) => {
      const r = runs[i]!;
      assert.equal(r.code, 2, `${what}: exit ${r.code}; ${r.stderr}`);
      if (what === 'no command') {
        assert.match(r.stderr, pattern);
        return;
      }
      assert.equal(lines(r.stderr).length, 1, `${what}: one line, got:\n${r.stderr}`);
      assert.match(r.stderr, pattern, what);
      assert.ok(r.stderr.length < 700, `${what}: a short line (${r.stderr.length} chars)`);
      assert.equal(r.stdout, '', `${what}: nothing on stdout`);
    });
  });

  it('--verbose shows the cause chain; without it the error is one line', async () => {
    const args = ['status', 'batch_x', '--address', '127.0.0.1:1', '--connect-timeout', '300'];
    const [plain, verbose] = await Promise.all([airops(args), airops([...args, '--verbose'])]);
    assert.equal(plain.code, 4);
    assert.equal(lines(plain.stderr).length, 1);
    assert.match(plain.stderr, /^airops: cannot reach Temporal at 127\.0\.0\.1:1/);
    assert.equal(verbose.code, 4);
    assert.ok(lines(verbose.stderr).length > 3, 'stack and causes');
  });

  it('track: exit 0, prints the workflow id; idempotent; status (text and --json) while running', async () => {
    const id = stack.createBatch(SLOW);
    const first = await airops(['track', id, '--min-poll-interval', '200', '--max-poll-interval', '1s'], {
      ...env,
      TEMPORAL_UI_URL: 'http://localhost:8233',
    });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      new RegExp(`tracking AirOps batch ${id}: workflow airops-batch-${id} \\(run [0-9a-f-]+\\)`),
    );
    assert.match(
      first.stdout,
      new RegExp(`Temporal UI: http://localhost:8233/namespaces/default/workflows/airops-batch-${id}`),
    );
    const again = await airops(['track', id], env);
    assert.equal(again.code, 0);
    const runId = (s: string) => /\(run ([0-9a-f-]+)\)/.exec(s)?.[1];
    assert.equal(runId(again.stdout), runId(first.stdout), 'same run: idempotent');

    await eventually(async () =>
      (await getAirOpsBatchProgress(stack.env.client, id)).overall === 'in_progress' ? true : undefined,
    );
    const [text, json] = await Promise.all([airops(['status', id], env), airops(['status', id, '--json'], env)]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^batch\\s+${id}`, 'm'));
    assert.match(text.stdout, /^overall\s+in_progress · phase scraping/m);
    for (const phase of ['scraping', 'analyzing', 'enriching'])
      assert.match(text.stdout, new RegExp(`^${phase}\\s+\\w+`, 'm'));
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown> & { progress: Record<string, unknown> };
    assert.equal(parsed.batchId, id);
    assert.equal(parsed.workflowId, `airops-batch-${id}`);
    assert.equal(parsed.workflowStatus, 'RUNNING');
    assert.equal(parsed.progress.batchId, id);
    assert.equal(parsed.progress.totalUrls, 20);
    assert.ok(typeof parsed.progress.phases === 'object');

    const refreshed = await airops(['status', id, '--refresh', '--json'], env);
    assert.equal(refreshed.code, 0, refreshed.stderr);

    // cancel: exit 0, the tracker ends cancelled; watch then says "tracking ended" (5); a second cancel is a no-op.
    const cancel = await airops(['cancel', id, '--wait'], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /cancellation requested for tracker/);
    assert.match(cancel.stdout, /tracking cancelled/);
    const [watchCancelled, cancelAgain] = await Promise.all([airops(['watch', id], env), airops(['cancel', id], env)]);
    assert.equal(watchCancelled.code, 5, watchCancelled.stdout + watchCancelled.stderr);
    assert.equal(cancelAgain.code, 0);
    assert.match(cancelAgain.stdout, /not running \(COMPLETED\); nothing to cancel/); // a cancelled tracker returns normally
  });

  it('watch: live progress lines, then exit 0 when the batch completes', async () => {
    const id = await stack.createAndTrack(QUICK, 40);
    const r = await airops(['watch', id, '--interval', '200'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.match(out[0]!, new RegExp(`watching AirOps batch ${id}`));
    const progress = out.filter((l) => /^\[\d\d:\d\d\] /.test(l));
    assert.ok(progress.length >= 2, `progress lines:\n${r.stdout}`);
    assert.ok(
      progress.some((l) => / · (scraping|enriching) (started|pending) /.test(l)),
      r.stdout,
    );
    assert.match(out[out.length - 1]!, /^✓ completed after \d+s · scraped 40\/40 \(0 failed\)/);
  });

  it('watch --json: JSON progress lines, then the result', async () => {
    const id = await stack.createAndTrack(QUICK, 5);
    const r = await airops(['watch', id, '--json', '--interval', '200'], env);
    assert.equal(r.code, 0, r.stderr);
    const objects = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = objects[objects.length - 1]!;
    assert.equal(result.status, 'completed');
    assert.equal(result.endedBy, 'terminal');
    assert.ok(objects.slice(0, -1).every((o) => o.batchId === id && typeof o.percent === 'number'));
  });

  it('track --watch on a failing batch: exit 1 and the failed phase', async () => {
    const id = stack.createBatch({ ...QUICK, scenario: 'llm_batch_expired' });
    const r = await airops(['track', id, '--watch', '--min-poll-interval', '200', '--max-poll-interval', '1s'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ failed in enriching: LLM_BATCH_EXPIRED/);
  });

  it('list: table and --json through visibility, filtered by status and phase', async () => {
    const done = await stack.createAndTrack(QUICK, 3);
    await waitForAirOpsBatch(stack.env.client, done);
    const running = await stack.createAndTrack(SLOW, 4);
    // Wait (in-process) until visibility shows both, then ask the CLI once per form.
    await eventually(async () => {
      const rows = await listAirOpsBatches(stack.env.client, {});
      const d = rows.find((r) => r.batchId === done);
      const r = rows.find((x) => x.batchId === running);
      return d?.status === 'completed' && r?.status === 'in_progress' ? true : undefined;
    });
    const [jsonRun, table] = await Promise.all([
      airops(['list', '--status', 'completed', '--phase', 'done', '--json'], env),
      airops(['list', '--status', 'in_progress,pending', '--running'], env),
    ]);
    assert.equal(jsonRun.code, 0, jsonRun.stderr);
    const json = JSON.parse(jsonRun.stdout) as { batchId: string; status: string }[];
    assert.ok(json.some((row) => row.batchId === done));
    assert.ok(json.every((row) => row.status === 'completed'));
    assert.ok(!json.some((row) => row.batchId === running));
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^BATCH ID\s+STATUS\s+PHASE\s+URLS\s+STALLED\s+WORKFLOW\s+STARTED/);
    assert.match(table.stdout, new RegExp(`^${running}\\s+in_progress\\s+scraping\\s+4\\s+no\\s+RUNNING`, 'm'));
    await stack.env.client.workflow.getHandle(`airops-batch-${running}`).cancel();
  });

  it('not found (3) and unreachable (4)', async () => {
    const [status, watch, cancel, unreachable] = await Promise.all([
      airops(['status', 'batch_nobody_tracks'], env),
      airops(['watch', 'batch_nobody_tracks'], env),
      airops(['cancel', 'batch_nobody_tracks'], env),
      airops(['list', '--address', '127.0.0.1:1', '--connect-timeout', '300']),
    ]);
    for (const r of [status, watch, cancel]) {
      assert.equal(r.code, 3, r.stderr);
      assert.equal(lines(r.stderr).length, 1);
      assert.match(r.stderr, /no tracker for AirOps batch "batch_nobody_tracks"/);
    }
    assert.equal(unreachable.code, 4);
  });

  it('run --urls: creates, tracks and collects a batch; --out gets the JSONL items', async () => {
    const list = join(tmp, 'urls.txt');
    writeFileSync(
      list,
      ['# demo list', ...Array.from({ length: 12 }, (_, i) => `https://example.test/run/${i}`)].join('\n'),
    );
    const out = join(tmp, 'results.jsonl');
    stack.sim.setDefaultScript(QUICK);
    try {
      const r = await airops(
        ['run', '--urls', list, '--brands', 'Acme,Olostep', '--out', out, '--interval', '200'],
        env,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /run airops-run-[0-9a-f]+: 12 URLs from /);
      assert.match(r.stdout, /results: 12 items → /);
      assert.equal(lines(readFileSync(out, 'utf8')).length, 12);
    } finally {
      stack.sim.setDefaultScript(undefined);
    }
    const bad = join(tmp, 'bad.txt');
    writeFileSync(bad, 'https://example.test/ok\nnot a url\n');
    const invalid = await airops(['run', '--urls', bad], env);
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.equal(lines(invalid.stderr).length, 1);
    assert.match(invalid.stderr, /line 2/);
  });

  it('demo against an existing Temporal (TEMPORAL_ADDRESS): its own simulator and worker, exit 0 on completion', async () => {
    const r = await airops(['demo', '--time-scale', '400', '--size', '10', '--db', join(tmp, 'demo', 'demo.db')], {
      ...env,
      TEMPORAL_UI_URL: 'http://localhost:8233',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`Temporal: ${stack.address.replace(/\./g, '\\.')} \\(namespace default\\), from TEMPORAL_ADDRESS`),
    );
    assert.match(r.stdout, /✓ created demo batch batch_\w+ \(10 URLs, scenario happy\)/);
    assert.match(
      r.stdout,
      /Temporal UI: http:\/\/localhost:8233\/namespaces\/default\/workflows\/airops-batch-batch_\w+/,
    );
    assert.match(r.stdout, /✓ completed after \d+s/);
    assert.match(r.stdout, /✓ webhook receiver http:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /stopped: webhook receiver, worker, connections, simulator \(/);
    assert.doesNotMatch(r.stdout, /Temporal dev server/);
  });
});
