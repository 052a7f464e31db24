// The package as users get it: `npm pack` (the prepack build), the tarball installed into a copy of
// examples/embed-worker (an app with its own package.json, no link to this checkout), every `exports` entry loaded
// from CommonJS and ESM and type-checked with TypeScript's node16 and bundler resolution, the field's package
// checkers (publint, @arethetypeswrong/cli), the `airops` bin from the install, and the example app run on a dev
// server: its own worker tracks a batch to completion. Twice: with the @temporalio/* versions this project pins
// and with the lowest of its peer range.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { replayNet } from '../../kit/helpers/replay-net';
import { createDevServerEnv } from '../../kit/helpers/temporal';

const exec = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const EXAMPLE = join(ROOT, 'examples', 'embed-worker');

const WORK = mkdtempSync(join(tmpdir(), 'airops-package-'));
// Kept until the process exits: the replay net bundles the example's workflows from here after the tests.
process.on('exit', () => rmSync(WORK, { recursive: true, force: true }));
const APP = { pinned: join(WORK, 'pinned'), lowest: join(WORK, 'lowest') };

// The example's own workflow (processBatch) replays with the example's compiled workflows module, as installed;
// its trackers replay with the project's tracker bundle, like every other tracker.
replayNet(__filename, { bundles: { processBatch: join(APP.pinned, 'dist', 'workflows.js') } });

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const PKG = readJson<PackageJson>(join(ROOT, 'package.json'));

/** The @temporalio/* packages a user's worker owns: peers of this package, pinned in its devDependencies. */
const TEMPORAL_PEERS = Object.keys(PKG.peerDependencies).filter((n) => n.startsWith('@temporalio/'));
const PINNED_TEMPORAL = PKG.devDependencies['@temporalio/client']!;
const LOWEST_TEMPORAL = /^\^(\d+\.\d+\.\d+)$/.exec(PKG.peerDependencies['@temporalio/client'] ?? '')?.[1];

/** For each entry: names it must export (checked from CommonJS, ESM and TypeScript). */
const ENTRIES: Record<string, string[]> = {
  '.': [
    'startAirOpsBatchTracker',
    'getAirOpsBatchProgress',
    'waitForAirOpsBatch',
    'listAirOpsBatches',
    'cancelAirOpsBatch',
    'getTrackerHandle',
    'trackerWorkflowId',
    'TrackerNotFoundError',
  ],
  './workflows': ['trackAirOpsBatch', 'runAirOpsBatch'],
  './activities': ['createActivities', 'JsonlFileSink'],
  './worker': [
    'createTrackerWorker',
    'bundleTrackerWorkflows',
    'preflightSearchAttributes',
    'trackerSlotOptions',
    'createActivities',
  ],
  './olostep': ['OlostepClient', 'OlostepError', 'CreateBatchRequest', 'validateBatchId'],
  './testing': ['startSimulator', 'runTrackerOnSimulator', 'simulatorActivities', 'sampleItems'],
};
const specifier = (entry: string) => (entry === '.' ? PKG.name : `${PKG.name}/${entry.slice(2)}`);

interface Packed {
  tarball: string;
  files: string[];
  size: number;
  unpackedSize: number;
}

async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return exec(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
}

/** A copy of examples/embed-worker with the tarball (and the given @temporalio/* version) installed. */
async function installExample(dir: string, tarball: string, temporalVersion: string): Promise<void> {
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/node_modules|[\\/]dist$/.test(src) });
  const pj = join(dir, 'package.json');
  const app = readJson<{ dependencies: Record<string, string> }>(pj);
  for (const name of Object.keys(app.dependencies)) {
    if (name.startsWith('@temporalio/')) app.dependencies[name] = temporalVersion;
  }
  writeFileSync(pj, `${JSON.stringify(app, null, 2)}\n`);
  await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  await run('npm', ['run', 'build'], dir);
}

describe('the npm package, installed from its tarball', () => {
  let packed: Packed;
  let env: TestWorkflowEnvironment;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };

  before(async () => {
    const out = await timed('pack (prepack build)', () =>
      run('npm', ['pack', '--json', '--pack-destination', WORK, '--loglevel=error'], ROOT),
    );
    const [info] = JSON.parse(out.stdout.slice(out.stdout.indexOf('['))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    assert.ok(info);
    packed = {
      tarball: join(WORK, info.filename),
      files: info.files.map((f) => f.path).sort(),
      size: info.size,
      unpackedSize: info.unpackedSize,
    };
    await timed('install + build example (pinned)', () => installExample(APP.pinned, packed.tarball, PINNED_TEMPORAL));
    env = await createDevServerEnv();
  });
  after(async () => {
    await env?.teardown();
    if (packed) {
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log(
        `package: ${packed.files.length} files, ${kb(packed.size)} packed, ${kb(packed.unpackedSize)} unpacked; ` +
          Object.entries(timings)
            .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
            .join(', '),
      );
    }
  });

  it('the peer range of @temporalio/* is one range, and the pins (project and example) are inside it', () => {
    assert.ok(
      LOWEST_TEMPORAL,
      `peer range of @temporalio/client is ^x.y.z: ${PKG.peerDependencies['@temporalio/client']}`,
    );
    for (const name of ['activity', 'client', 'common', 'envconfig', 'worker', 'workflow', 'testing']) {
      const peer = `@temporalio/${name}`;
      assert.equal(PKG.peerDependencies[peer], `^${LOWEST_TEMPORAL}`, `${peer} peer range`);
      assert.equal(PKG.devDependencies[peer], PINNED_TEMPORAL, `${peer} pinned for this project's tests`);
      assert.equal(PKG.dependencies[peer], undefined, `${peer} is not a regular dependency`);
    }
    assert.deepEqual(TEMPORAL_PEERS.sort(), Object.keys(PKG.peerDependencies).sort());
    const example = readJson<{ dependencies: Record<string, string> }>(join(EXAMPLE, 'package.json'));
    for (const [name, v] of Object.entries(example.dependencies)) {
      if (name.startsWith('@temporalio/')) assert.equal(v, PINNED_TEMPORAL, `example's ${name}`);
    }
    assert.equal(example.dependencies[PKG.name], `^${PKG.version}`);
  });

  it('the tarball holds the compiled package only: every entry, the bin, no sources, tests, benchmarks or fixtures', () => {
    const files = packed.files;
    for (const [entry, target] of Object.entries(PKG.exports)) {
      const targets = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, '')), `${entry} → ${t} is packed`);
    }
    for (const bin of Object.values(PKG.bin)) assert.ok(files.includes(bin), `bin ${bin} is packed`);
    const unexpected = files.filter(
      (f) =>
        !/^dist\/.+\.(js|d\.ts)$/.test(f) &&
        !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f) &&
        !Object.values(PKG.bin).includes(f),
    );
    assert.deepEqual(unexpected, [], 'only compiled JS, declarations, the bin and the package documents');
    for (const f of files) {
      assert.doesNotMatch(f, /(^|\/)(test|bench|examples|histories|fixtures)\//, f);
      assert.doesNotMatch(f, /\.test\.|\.map$|(?<!\.d)\.ts$/, f);
    }
  });

  it('publint and @arethetypeswrong/cli find no problem in the tarball', async () => {
    await timed('publint + attw', async () => {
      const lint = await run(join(BIN, 'publint'), ['run', packed.tarball, '--strict'], WORK);
      assert.match(lint.stdout, /All good!/, lint.stdout);
      const types = await run(join(BIN, 'attw'), [packed.tarball, '--format', 'json'], WORK).catch(
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
      );
      // `problems`: a list, or an object of lists by entry, depending on the attw version; empty either way.
      const report = JSON.parse(types.stdout) as { problems?: object; analysis: { entrypoints: object } };
      assert.deepEqual(Object.values(report.problems ?? {}).flat(), [], 'attw problems');
      assert.deepEqual(Object.keys(report.analysis.entrypoints).sort(), Object.keys(PKG.exports).sort());
    });
  });

  it('every entry loads with require() from CommonJS', async () => {
    const script = `
      const want = ${JSON.stringify(Object.fromEntries(Object.entries(ENTRIES).map(([e, n]) => [specifier(e), n])))};
      const out = {};
      for (const [spec, names] of Object.entries(want)) {
        const m = require(spec);
        out[spec] = names.filter((n) => m[n] === undefined);
      }
      console.log(JSON.stringify(out));`;
    writeFileSync(join(APP.pinned, 'check.cjs'), script);
    const { stdout } = await run(process.execPath, ['check.cjs'], APP.pinned);
    const missing = JSON.parse(stdout) as Record<string, string[]>;
    for (const [spec, names] of Object.entries(missing)) assert.deepEqual(names, [], `${spec}: missing exports`);
  });

  it('every entry loads with named imports from ESM', async () => {
    const lines = Object.entries(ENTRIES).map(
      ([e, names], i) => `import { ${names.map((n) => `${n} as e${i}_${n}`).join(', ')} } from '${specifier(e)}';`,
    );
    const checks = Object.entries(ENTRIES).flatMap(([e, names], i) =>
      names.map((n) => `if (e${i}_${n} === undefined) missing.push('${specifier(e)}#${n}');`),
    );
    writeFileSync(
      join(APP.pinned, 'check.mjs'),
      `${lines.join('\n')}\nconst missing = [];\n${checks.join('\n')}\nconsole.log(JSON.stringify(missing));\n`,
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], APP.pinned);
    assert.deepEqual(JSON.parse(stdout), []);
  });

  it('TypeScript resolves every entry with node16 (CommonJS and ESM files) and bundler resolution', async () => {
    const body = Object.entries(ENTRIES)
      .map(([e, names], i) => `import { ${names.map((n) => `${n} as e${i}_${n}`).join(', ')} } from '${specifier(e)}';`)
      .join('\n');
    // Types through the entries, used as a consumer would.
    const usage = `
import type { BatchProgress, TrackOptions, TrackResult } from '${PKG.name}';
import type { ActivityDeps } from '${PKG.name}/activities';
import type { TrackerWorkerOptions } from '${PKG.name}/worker';
import type { BatchSnapshot } from '${PKG.name}/olostep';
import type { SimulatorHandle, TrackerRun } from '${PKG.name}/testing';
export const options: TrackOptions = { minPollIntervalMs: 1_000 };
export const deps: ActivityDeps = { olostep: { apiKey: 'k', baseUrl: 'http://127.0.0.1:1' } };
export type Seen = [BatchProgress['percent'], TrackResult['status'], BatchSnapshot['batchId'], TrackerRun['runId']];
export type Uses = [TrackerWorkerOptions['taskQueue'], SimulatorHandle['url']];
export const all = [${Object.entries(ENTRIES)
      .flatMap(([, names], i) => names.map((n) => `e${i}_${n}`))
      .join(', ')}];
`;
    const dir = join(APP.pinned, 'types');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'consumer.cts'), `${body}\n${usage}`);
    writeFileSync(join(dir, 'consumer.mts'), `${body}\n${usage}`);
    writeFileSync(join(dir, 'consumer-bundler.ts'), `${body}\n${usage}`);
    const base = { strict: true, noEmit: true, skipLibCheck: true, types: ['node'], target: 'ES2022' };
    writeFileSync(
      join(dir, 'tsconfig.node16.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'node16' }, files: ['consumer.cts', 'consumer.mts'] }),
    );
    writeFileSync(
      join(dir, 'tsconfig.bundler.json'),
      JSON.stringify({
        compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' },
        files: ['consumer-bundler.ts'],
      }),
    );
    const tsc = join(APP.pinned, 'node_modules', '.bin', 'tsc');
    for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
      const res = await run(tsc, ['-p', config], dir).catch((err: { stdout?: string }) => ({
        stdout: err.stdout,
        failed: true,
      }));
      assert.ok(!('failed' in res), `${config}:\n${res.stdout}`);
    }
  });

  it('the airops bin runs the compiled CLI from the install (no tsx, no sources)', async () => {
    assert.equal(existsSync(join(APP.pinned, 'node_modules', 'tsx')), false, 'tsx is not installed');
    assert.equal(existsSync(join(APP.pinned, 'node_modules', PKG.name, 'client')), false, 'no sources installed');
    const { stdout } = await run(join(APP.pinned, 'node_modules', '.bin', 'airops'), ['--version'], APP.pinned);
    assert.equal(stdout.trim(), PKG.version);
  });

  async function runExample(dir: string) {
    const res = await run('npm', ['start', '--silent'], dir, {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
    });
    const last = res.stdout.trim().split('\n').at(-1) ?? '';
    const outcome = JSON.parse(last) as {
      batchId: string;
      report: string;
      progressReads: number;
      overall: string;
      percent: number;
    };
    assert.equal(outcome.overall, 'completed', res.stdout);
    assert.equal(outcome.percent, 100);
    assert.ok(outcome.progressReads >= 1, 'getProgress was read while the batch ran');
    assert.equal(outcome.report, `batch ${outcome.batchId}: completed (25 URLs)`, 'its own workflow and activity ran');
    assert.match(res.stdout, /progress: in_progress/, 'progress was read while in progress');
    return outcome;
  }

  it(`examples/embed-worker: its own worker tracks a batch to completion (@temporalio/* ${PINNED_TEMPORAL})`, async () => {
    const outcome = await timed('example run (pinned)', () => runExample(APP.pinned));
    // The installed bin sees the tracker the app's worker ran, through the server's visibility.
    const { stdout } = await run(join(APP.pinned, 'node_modules', '.bin', 'airops'), ['list', '--json'], APP.pinned, {
      TEMPORAL_ADDRESS: env.address,
    });
    const listed = (JSON.parse(stdout) as { batchId: string; status: string; taskQueue: string }[]).find(
      (b) => b.batchId === outcome.batchId,
    );
    assert.deepEqual(listed && { status: listed.status, taskQueue: listed.taskQueue }, {
      status: 'completed',
      taskQueue: 'embed-worker-example',
    });
  });

  it(`examples/embed-worker on the lowest supported @temporalio/* (${LOWEST_TEMPORAL ?? '?'})`, async () => {
    assert.ok(LOWEST_TEMPORAL);
    await timed('install + build example (lowest)', () => installExample(APP.lowest, packed.tarball, LOWEST_TEMPORAL));
    const installed = readJson<{ version: string }>(
      join(APP.lowest, 'node_modules', '@temporalio', 'worker', 'package.json'),
    );
    assert.equal(installed.version, LOWEST_TEMPORAL);
    await timed('example run (lowest)', () => runExample(APP.lowest));
  });
});
