// The workflow bundle, cached on disk (in the machine cache, ~/.cache/airops-temporal/workflow-bundles):
// webpack-bundling workflows/ takes seconds, most of the demo's start-up. The cache key hashes every source file the bundle can include (workflows/, olostep/) and the
// SDK version and the modules the bundle shares between workflows, so any change rebuilds it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SHARED_WORKFLOW_MODULES, bundleTrackerWorkflows } from '../worker/worker';

const ROOT = join(__dirname, '..');
const SOURCE_DIRS = ['workflows', 'olostep'];

function sourceHash(): string {
  const hash = createHash('sha256');
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as {
    version: string;
  };
  hash.update(`sdk ${sdk.version}\n`);
  for (const m of SHARED_WORKFLOW_MODULES) hash.update(`shared ${relative(ROOT, m)}\n`);
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      if (!/\.(ts|js)$/.test(name)) continue;
      hash.update(`${dir}/${name}\n`);
      hash.update(readFileSync(join(ROOT, dir, name)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** The workflow bundle from `cacheDir`, built (and stored) when missing or stale. */
export async function cachedWorkflowBundle(cacheDir: string): Promise<{ code: string; cached: boolean }> {
  const file = join(cacheDir, `workflow-bundle-${sourceHash()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8'), cached: true };
  const { code } = await bundleTrackerWorkflows({ logger: quietLogger });
  mkdirSync(cacheDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, code);
  renameSync(temp, file);
  // Older bundles (of earlier sources) are of no further use.
  for (const name of readdirSync(cacheDir)) {
    if (/^workflow-bundle-[0-9a-f]+\.js$/.test(name) && join(cacheDir, name) !== file)
      rmSync(join(cacheDir, name), { force: true });
  }
  return { code, cached: false };
}
