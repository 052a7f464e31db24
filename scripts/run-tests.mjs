#!/usr/bin/env node
// The one test entry point (`npm test`): finds every test/**/*.test.ts (or those under the paths given as
// arguments) and runs them with Node's own test runner through tsx. One runner for the whole repo.
//   npm test                      every test
//   npm test -- test/olostep      only the tests under a folder (or single files)
// TEST_CONCURRENCY sets how many test files run at once (default: 1, since most files start their own
// Temporal server).
// The replay net (kit/helpers/replay-net.ts): every suite that ran workflows replays them at its end and writes its
// totals to REPLAY_NET_DIR, a fresh directory per run; after the test run this prints
//   replay net: N histories replayed from N suites, N nondeterministic
// and then, as the very last line, the runner's own verdict (counted by scripts/test-totals-reporter.mjs, a second
// reporter next to spec):
//   tests: N passed, N failed
// The exit code is node's (non-zero on any failure, the replay net's included).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    collect(join(path, name), out);
  }
  return out;
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const roots = args.length ? args.map((a) => resolve(a)) : [join(root, 'test')];
const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error(`No test files (*.test.ts) under ${roots.map((r) => relative(root, r)).join(', ')}`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '1';
const runDir = mkdtempSync(join(tmpdir(), 'airops-test-run-'));
const netDir = join(runDir, 'replay-net');
const totalsFile = join(runDir, 'totals.json');
mkdirSync(netDir);
// Reporters given on the command line replace spec; the totals reporter is added only with the default one.
const ownReporters = passThrough.some((a) => a.startsWith('--test-reporter'));
const reporters = ownReporters
  ? []
  : [
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts', 'test-totals-reporter.mjs')}`,
      `--test-reporter-destination=${totalsFile}`,
    ];
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    ...reporters,
    ...passThrough,
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', REPLAY_NET_DIR: netDir } },
);
let status = result.status ?? 1;

const net = replayNetSummary();
if (net.failed) status = status || 1;
if (!ownReporters) {
  const totals = readTotals();
  const failed = totals ? totals.failed : 1;
  // A non-zero exit with no counted failure (the runner itself failed): never print "0 failed" then.
  console.log(`tests: ${totals ? totals.passed : 0} passed, ${status !== 0 && failed === 0 ? 1 : failed} failed`);
}
rmSync(runDir, { recursive: true, force: true });
process.exit(status);

function readTotals() {
  try {
    return JSON.parse(readFileSync(totalsFile, 'utf8'));
  } catch {
    return null;
  }
}

/** Reads every suite's replay-net result and prints the failures, the unwired suites and the summary line. */
function replayNetSummary() {
  const suites = [];
  const unwired = [];
  for (const name of existsSync(netDir) ? readdirSync(netDir).sort() : []) {
    const data = JSON.parse(readFileSync(join(netDir, name), 'utf8'));
    if (name.startsWith('unwired.')) unwired.push(relative(root, data.suite));
    else suites.push(data);
  }
  const sum = (f) => suites.reduce((n, s) => n + f(s), 0);
  const replayed = sum((s) => s.replayed);
  const nondeterministic = sum((s) => s.nondeterministic);
  const failures = suites.flatMap((s) => s.failures.map((f) => ({ suite: s.suite, ...f })));
  const excluded = suites.flatMap((s) => s.excluded.map((e) => ({ suite: s.suite, ...e })));
  const seconds = (sum((s) => s.collectMs + s.replayMs) / 1000).toFixed(1);
  console.log('');
  for (const e of excluded)
    console.log(`replay net: excluded ${e.suite} › ${e.test}: ${e.type} ${e.workflowId}: ${e.reason}`);
  for (const f of failures) {
    console.log(
      `replay net: ${f.kind} ${f.suite} › ${f.test}: ${f.type ?? ''} ${f.workflowId ?? f.source}: ${f.message}`,
    );
    if (f.replay) console.log(`            replay it: ${f.replay}`);
  }
  for (const u of unwired) console.log(`replay net: ${u} ran workflows without replayNet(__filename): wire it`);
  if (process.env.REPLAY_NET_VERBOSE) {
    for (const s of suites) {
      const time = `collect ${(s.collectMs / 1000).toFixed(1)} s, replay ${(s.replayMs / 1000).toFixed(1)} s`;
      console.log(`replay net: ${s.suite}: ${s.replayed} histories from ${s.sources} servers (${time})`);
      for (const [test, n] of Object.entries(s.byTest)) console.log(`replay net:     ${n} ${test}`);
    }
  }
  const other = failures.length - nondeterministic;
  if (process.env.REPLAY_NET === 'off') console.log('replay net: off (REPLAY_NET=off)');
  else
    console.log(
      `replay net: ${replayed} histories replayed from ${suites.length} suites in ${seconds} s, ${nondeterministic} nondeterministic` +
        (other ? `, ${other} other failures` : '') +
        (excluded.length ? `, ${excluded.length} excluded` : '') +
        (unwired.length ? `, ${unwired.length} suites not wired` : ''),
    );
  return { failed: failures.length > 0 || unwired.length > 0 };
}
