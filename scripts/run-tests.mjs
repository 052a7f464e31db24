#!/usr/bin/env node
// The one test entry point (`npm test`): finds every test/**/*.test.ts (or those under the paths given as
// arguments) and runs them with Node's own test runner through tsx. One runner for the whole repo.
//   npm test                      every test
//   npm test -- test/olostep      only the tests under a folder (or single files)
// TEST_CONCURRENCY sets how many test files run at once (default: 1 on this 2-core machine, since most files
// start their own Temporal server).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...passThrough,
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
