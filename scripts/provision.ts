// Provisions the two real Temporal servers the tests and the demo run on, from package registries only:
// `npm run provision` (also run by `npm test` and `npm start` first). Pinned and cached: a second run checks and exits.
//   Dev server:   go install github.com/temporalio/cli/cmd/temporal@v1.5.1   -> <cache>/temporal-cli-v1.5.1/temporal
//   Test server:  mvn dependency:build-classpath io.temporal:temporal-test-server:1.38.0
//                 -> <cache>/temporal-test-server-1.38.0/temporal-test-server (wrapper) + classpath + CDS archive
//   Production:   go install go.temporal.io/server/cmd/server@v1.29.1 .../cmd/tools/sql@v1.29.1
//                 -> <cache>/temporal-server-v1.29.1/{temporal-server,temporal-sql-tool,config/docker.yaml,schema/}
//                 (the native compose stack, kit/stack; PostgreSQL itself is a system package: install-system-deps.sh)
// Overrides: TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH, TEMPORAL_SERVER_DIR. Cache: AIROPS_CACHE_DIR (default ~/.cache/airops-temporal).
// Where Go or Maven is missing, it records that the SDK's own download is the fallback and says so.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  PRODUCTION_SERVER_FILES,
  TEMPORAL_SERVER_COMMANDS,
  TEMPORAL_SERVER_MODULE,
  TEMPORAL_SERVER_VERSION,
  productionServerDir,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_VERSION,
  TEST_SERVER_ARTIFACT,
  TEST_SERVER_VERSION,
  cacheDir,
  devServerCachePath,
  testServerCacheDir,
  testServerCachePath,
} from './temporal-servers';

const env = process.env;
const say = (line: string) => console.log(`[provision] ${line}`);

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

function markFallback(kind: 'dev-server' | 'test-server', why: string): void {
  mkdirSync(cacheDir(env), { recursive: true });
  writeFileSync(join(cacheDir(env), `${kind}.sdk-download`), `${why}\n`);
  say(`WARNING: ${why}. Falling back to the Temporal SDK's own download of the ${kind} (needs internet access).`);
}

function clearFallback(kind: 'dev-server' | 'test-server'): void {
  rmSync(join(cacheDir(env), `${kind}.sdk-download`), { force: true });
}

function provisionDevServer(): void {
  if (env.TEMPORAL_CLI_PATH) {
    if (!existsSync(env.TEMPORAL_CLI_PATH))
      throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
    say(`dev server: using TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH}`);
    return;
  }
  const target = devServerCachePath(env);
  if (existsSync(target)) {
    say(`dev server: up to date (${target})`);
    return;
  }
  const go = which('go');
  if (!go) return markFallback('dev-server', 'Go is not installed, so the Temporal CLI cannot be built');
  const start = Date.now();
  const staging = `${dirname(target)}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  say(`dev server: go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} (first run takes minutes)`);
  const r = spawnSync(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    stdio: 'inherit',
    env: { ...env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
  if (r.status !== 0)
    throw new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${r.status})`);
  rmSync(dirname(target), { recursive: true, force: true });
  renameSync(staging, dirname(target)); // atomic: a killed install never leaves a half-built binary in place
  clearFallback('dev-server');
  say(`dev server: built in ${elapsed(start)} -> ${target}`);
}

function provisionProductionServer(): void {
  const dir = productionServerDir(env);
  if (env.TEMPORAL_SERVER_DIR) {
    say(`production server: using TEMPORAL_SERVER_DIR=${dir}`);
    return;
  }
  if (PRODUCTION_SERVER_FILES.every((f) => existsSync(join(dir, f)))) {
    say(`production server: up to date (${dir})`);
    return;
  }
  const go = which('go');
  // No SDK download exists for it: only the native stack's tests and `npm run stack:native` need it, and they say so.
  if (!go) throw new Error(`Go is needed to build ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}; install Go`);
  const start = Date.now();
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const pkgs = Object.values(TEMPORAL_SERVER_COMMANDS).map(
    (p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`,
  );
  say(`production server: go install ${pkgs.join(' ')} (first run takes minutes)`);
  const goEnv = { ...env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const r = spawnSync(go, ['install', ...pkgs], { stdio: 'inherit', env: goEnv });
  if (r.status !== 0) throw new Error(`go install ${pkgs.join(' ')} failed (exit ${r.status})`);
  // `go install` names each binary after its package folder (server, sql); the images call them these names.
  for (const [name, pkg] of Object.entries(TEMPORAL_SERVER_COMMANDS)) {
    renameSync(join(staging, pkg.split('/').pop()!), join(staging, name));
  }
  // The config template and the schema come from the module just built, so they match the binaries exactly.
  const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8', env: goEnv }).stdout.trim();
  const moduleDir = join(modCache, `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`);
  for (const part of ['config/docker.yaml', 'schema/postgresql/v12']) {
    cpSync(join(moduleDir, part), join(staging, part), { recursive: true });
  }
  // The module cache is read-only; the copy must stay removable by the next provisioning.
  spawnSync('chmod', ['-R', 'u+w', staging]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  say(`production server: built in ${elapsed(start)} -> ${dir}`);
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.airops-temporal</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${TEST_SERVER_ARTIFACT.split(':')[0]}</groupId>
      <artifactId>${TEST_SERVER_ARTIFACT.split(':')[1]}</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency><!-- silences SLF4J's "no binder" banner on every start; matches the server's slf4j-api 1.7.x -->
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
`;

// -XX:TieredStopAtLevel=1 and SerialGC trade peak speed for start time; the CDS archive (made below) does the rest.
function wrapperScript(java: string): string {
  return `#!/bin/sh
# Generated by scripts/provision.ts: ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION}, run as \`$0 <port>\` by @temporalio/testing.
DIR=$(cd "$(dirname "$0")" && pwd)
exec "${java}" -XX:SharedArchiveFile="$DIR/app-cds.jsa" -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off \\
  -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \\
  -cp "$(cat "$DIR/classpath.txt")" io.temporal.testserver.TestServer "$@"
`;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolvePort(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`test server did not open port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts the wrapper once and measures how long until its port answers. */
export async function measureTestServerStart(path: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<number> {
  const port = await freePort();
  const child = spawn(path, [String(port)], { stdio: 'ignore', env: { ...env, ...extraEnv } });
  try {
    return await waitForPort(port, 30_000);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

function classpathComplete(dir: string): boolean {
  const cp = join(dir, 'classpath.txt');
  if (!existsSync(cp) || !existsSync(join(dir, 'temporal-test-server')) || !existsSync(join(dir, 'app-cds.jsa')))
    return false;
  return readFileSync(cp, 'utf8')
    .trim()
    .split(':')
    .every((jar) => existsSync(jar));
}

async function provisionTestServer(): Promise<void> {
  if (env.TEMPORAL_TEST_SERVER_PATH) {
    if (!existsSync(env.TEMPORAL_TEST_SERVER_PATH))
      throw new Error(`TEMPORAL_TEST_SERVER_PATH=${env.TEMPORAL_TEST_SERVER_PATH} does not exist`);
    say(`test server: using TEMPORAL_TEST_SERVER_PATH=${env.TEMPORAL_TEST_SERVER_PATH}`);
    return;
  }
  const dir = testServerCacheDir(env);
  if (classpathComplete(dir)) {
    say(`test server: up to date (${testServerCachePath(env)})`);
    return;
  }
  const mvn = which('mvn');
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : which('java');
  if (!mvn || !java || !existsSync(java))
    return markFallback(
      'test-server',
      `${!mvn ? 'Maven' : 'Java'} is not installed, so the test server cannot be resolved`,
    );
  const start = Date.now();
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'pom.xml'), POM);
  say(`test server: resolving ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION} and its runtime classpath with Maven`);
  const r = spawnSync(
    mvn,
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      join(staging, 'pom.xml'),
      'dependency:build-classpath',
      `-Dmdep.outputFile=${join(staging, 'classpath.txt')}`,
      '-Dmdep.includeScope=runtime',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (r.status !== 0) process.stderr.write(`${r.stdout}${r.stderr}`); // Maven's own words, only when it failed
  if (r.status !== 0 || !existsSync(join(staging, 'classpath.txt')))
    throw new Error(
      `mvn dependency:build-classpath for ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION} failed (exit ${r.status})`,
    );
  const wrapper = join(staging, 'temporal-test-server');
  writeFileSync(wrapper, wrapperScript(java));
  chmodSync(wrapper, 0o755);
  // Class-data sharing: one run that dumps the loaded classes at exit; later starts map them instead of parsing jars.
  say('test server: building the class-data-sharing archive');
  const dumpScript = join(staging, 'dump-cds.sh');
  writeFileSync(
    dumpScript,
    readFileSync(wrapper, 'utf8').replace(
      '-XX:SharedArchiveFile="$DIR/app-cds.jsa" -Xshare:auto',
      '-XX:ArchiveClassesAtExit="$DIR/app-cds.jsa"',
    ),
  );
  chmodSync(dumpScript, 0o755);
  await measureTestServerStart(dumpScript);
  rmSync(dumpScript);
  if (!existsSync(join(staging, 'app-cds.jsa')))
    say('test server: CDS archive not created; the JVM will start without it');
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  // The classpath file holds absolute jar paths in ~/.m2; the wrapper in its final place reads it at start.
  clearFallback('test-server');
  const startMs = await measureTestServerStart(testServerCachePath(env));
  say(`test server: ready in ${elapsed(start)} -> ${testServerCachePath(env)} (JVM start to open port: ${startMs} ms)`);
}

async function main(): Promise<void> {
  const start = Date.now();
  provisionDevServer();
  await provisionTestServer();
  provisionProductionServer();
  say(`done in ${elapsed(start)} (cache: ${cacheDir(env)})`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`[provision] FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
