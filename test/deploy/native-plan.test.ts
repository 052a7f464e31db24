// The native stack (kit/stack/native-plan.ts, `npm run stack:native`) against docker-compose.yml: the plan must be the
// compose file run as local processes, with no setting of its own. Fails when the two drift:
// - every compose service is run natively or named in NOT_RUN_NATIVELY (and that list names real services);
// - every variable of a service's compose `environment` reaches its process; a value changes only where compose names
//   a service's address, a wildcard bind, a mount target or a service's port; anything else a process gets is in its
//   `added` keys (and on this file's list of what the plan may add) or is the base environment an image gives;
// - nothing left points at the compose network or into a container (`temporal:7233`, `0.0.0.0`, `/app/…`);
// - the server is the one compose pins (image tag = TEMPORAL_SERVER_VERSION), reads the dynamic config compose mounts
//   (validated and rendered by the provisioned temporal-server), and the one-shots and app services run the very
//   scripts and sources compose runs;
// - replicas differ only in their own ports; depends_on is satisfiable in order.
// The last suite changes a copy of the parsed compose file and shows the plan (or these checks) notice.
// Pure except for the provisioned `temporal-server` (validate-dynamic-config, render-config); no server is started.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  NOT_RUN_NATIVELY,
  distToSource,
  imageServerVersion,
  nativePlan,
  type NativePlan,
  type NativeProcess,
} from '../../kit/stack/native-plan';
import { stackEnv } from '../../kit/stack/native-stack';
import {
  PRODUCTION_SERVER_FILES,
  TEMPORAL_SERVER_VERSION,
  devServerCachePath,
  productionServer,
  productionServerDir,
} from '../../scripts/temporal-servers';
import { ROOT, asArgv, envOf, loadCompose, type ComposeFile, type ComposeService } from './helpers';

/** Where the plan puts the run's files; only the render-config test creates anything here. */
const RUN_DIR = mkdtempSync(join(tmpdir(), 'airops-native-plan-'));
after(() => rmSync(RUN_DIR, { recursive: true, force: true }));

/** The template as `npm run stack:native` fills it: secrets generated, no OLOSTEP_BASE_URL, so the simulator runs. */
const ENV = stackEnv();
const COMPOSE = loadCompose(ENV);
const SERVER_DIR = productionServerDir();

/** The plan with deterministic ports: a counter from 40000, and from 20000 for the server's membership ports. */
function planOf(compose: ComposeFile, workers = 3): NativePlan {
  let port = 40_000;
  let lowPort = 20_000;
  return nativePlan(compose, {
    env: ENV,
    workers,
    port: () => port++,
    lowPort: () => lowPort++,
    runDir: RUN_DIR,
    serverDir: SERVER_DIR,
    temporalCli: devServerCachePath(),
    pgBinDir: join(RUN_DIR, 'postgresql-bin'),
    nodePath: process.execPath,
  });
}

const PLAN = planOf(COMPOSE);

/** What a container image gives every process before compose's environment (the plan passes these through). */
const IMAGE_BASE_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'];

/**
 * Everything the plan may add to a compose environment, by kind. A new native-only setting fails here until it is
 * listed (and documented in docs/operations.md, "The compose stack without Docker").
 */
const ALLOWED_ADDITIONS: Record<NativeProcess['kind'], string[]> = {
  // PGHOST/PGPORT: the compose healthcheck `pg_isready -U temporal -d temporal` relies on the container's defaults.
  postgres: ['PATH', 'PGHOST', 'PGPORT'],
  // The provisioned temporal-sql-tool, the Temporal CLI and pg_isready on PATH; the schema the image ships elsewhere.
  'one-shot': ['PATH', 'TEMPORAL_SCHEMA_DIR'],
  // The server's own ports, which in a container cannot collide (config/docker.yaml reads them).
  server: [
    'BIND_ON_IP',
    'FRONTEND_GRPC_PORT',
    'FRONTEND_HTTP_PORT',
    'HISTORY_GRPC_PORT',
    'MATCHING_GRPC_PORT',
    'WORKER_GRPC_PORT',
    'FRONTEND_MEMBERSHIP_PORT',
    'HISTORY_MEMBERSHIP_PORT',
    'MATCHING_MEMBERSHIP_PORT',
    'WORKER_MEMBERSHIP_PORT',
  ],
  app: [],
};

/** Paths that exist only inside the compose stack's containers. */
const CONTAINER_PATH = /(?:^|[\s=:,])(?:\/app(?:\/|$)|\/var\/lib\/airops|\/etc\/temporal|\/deploy\/)/;

// ---------------------------------------------------------------------------------------------------------------
// the checks, as functions returning problems, so the drift suite can show each one firing
// ---------------------------------------------------------------------------------------------------------------

function serviceOf(compose: ComposeFile, p: NativeProcess): ComposeService {
  const svc = compose.services[p.service];
  assert.ok(svc, `${p.name}: compose service ${p.service}`);
  return svc;
}

/** Compose's mounts of a service: the container path, and what this checkout or run holds there. */
function mountsOf(svc: ComposeService, p: NativeProcess): { target: string; source: string | undefined }[] {
  return (svc.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    if (source.startsWith('.')) return { target, source: join(ROOT, source) };
    // A named volume: a directory of the run that the process creates.
    return { target, source: p.dirs.find((d) => d.startsWith(RUN_DIR) && basename(d) === source) };
  });
}

/** The host port serving a container port: this replica's own, else the (first replica of the) one service serving it. */
function hostPortOf(plan: NativePlan, p: NativeProcess, containerPort: number): number | undefined {
  if (p.ports[containerPort] !== undefined) return p.ports[containerPort];
  const serving = new Set(plan.processes.filter((q) => q.ports[containerPort] !== undefined).map((q) => q.service));
  if (serving.size !== 1) return undefined;
  return Number(plan.address([...serving][0]!, containerPort).split(':')[1]);
}

/**
 * What a compose value becomes natively if it is one of the forms the plan localizes: a service's host
 * (`POSTGRES_SEEDS: postgresql`), a wildcard (`0.0.0.0`, `0.0.0.0:9464`) or the container's own loopback, an address
 * on the compose network (`temporal:7233`, `http://simulator:8787`), a mount target (`/app/results`), a port-only
 * setting naming a service's port (`DB_PORT: 5432`). Null when it is none of them: then it must not change.
 */
function localizedForm(
  value: string,
  key: string | undefined,
  p: NativeProcess,
  plan: NativePlan,
  compose: ComposeFile,
): string | null {
  const names = new Set(Object.keys(compose.services));
  if (key !== undefined && /(_HOST|_SEEDS)$/.test(key) && names.has(value)) return '127.0.0.1';
  if (value === '0.0.0.0') return '127.0.0.1';
  if (key !== undefined && /_PORT$/.test(key) && /^\d+$/.test(value)) {
    const port = hostPortOf(plan, p, Number(value));
    return port === undefined ? null : String(port);
  }
  for (const m of mountsOf(serviceOf(compose, p), p)) {
    if (m.source !== undefined && (value === m.target || value.startsWith(`${m.target}/`))) {
      return m.source + value.slice(m.target.length);
    }
  }
  let changed = false;
  let out = value.replace(/\b(?:0\.0\.0\.0|127\.0\.0\.1|localhost):(\d+)\b/g, (m, port: string) => {
    const own = p.ports[Number(port)];
    if (own === undefined) return m;
    changed = true;
    return `127.0.0.1:${own}`;
  });
  out = out.replace(/(?<![\w.-])([a-z][a-z0-9-]*):(\d+)\b/g, (m, host: string, port: string) => {
    if (!names.has(host)) return m;
    changed = true;
    return plan.address(host, Number(port));
  });
  return changed ? out : null;
}

function coverageProblems(compose: ComposeFile, plan: NativePlan): string[] {
  const problems: string[] = [];
  const planned = new Set(plan.processes.map((p) => p.service));
  for (const name of Object.keys(compose.services)) {
    if (!planned.has(name) && !(name in NOT_RUN_NATIVELY))
      problems.push(`${name}: neither run nor in NOT_RUN_NATIVELY`);
    if (planned.has(name) && name in NOT_RUN_NATIVELY) problems.push(`${name}: run, yet in NOT_RUN_NATIVELY`);
  }
  for (const [name, why] of Object.entries(NOT_RUN_NATIVELY)) {
    if (!(name in compose.services)) problems.push(`NOT_RUN_NATIVELY names ${name}, which compose does not define`);
    if (!why.trim()) problems.push(`NOT_RUN_NATIVELY: no reason given for ${name}`);
  }
  return problems;
}

function envProblems(compose: ComposeFile, plan: NativePlan): string[] {
  const problems: string[] = [];
  for (const p of plan.processes) {
    const composeEnv = envOf(serviceOf(compose, p));
    for (const [key, value] of Object.entries(composeEnv)) {
      if (!(key in p.env)) {
        problems.push(`${p.name}: compose sets ${key}, the native process does not get it`);
        continue;
      }
      const native = p.env[key]!;
      if (native === value) continue;
      const expected = localizedForm(value, key, p, plan, compose);
      if (expected === null) {
        problems.push(`${p.name}: ${key}=${value} in compose but ${native} natively; it names no service or mount`);
      } else if (native !== expected) {
        problems.push(`${p.name}: ${key}=${value} should become ${expected} natively, not ${native}`);
      }
    }
    for (const key of Object.keys(p.env)) {
      if (key in composeEnv || p.added.includes(key)) continue;
      if (IMAGE_BASE_ENV.includes(key) && p.env[key] === process.env[key]) continue;
      problems.push(`${p.name}: ${key} is set natively but is neither in compose nor in \`added\``);
    }
    for (const key of p.added) {
      if (key in composeEnv) problems.push(`${p.name}: added ${key} overrides compose's value`);
      if (!ALLOWED_ADDITIONS[p.kind].includes(key)) problems.push(`${p.name}: ${key} is a new native-only setting`);
      if (!(key in p.env)) problems.push(`${p.name}: added ${key} is not in its env`);
    }
  }
  return problems;
}

function leakProblems(compose: ComposeFile, plan: NativePlan): string[] {
  const names = Object.keys(compose.services).join('|'); // [a-z0-9-]: nothing to escape
  const onNetwork = new RegExp(`(?<![\\w.-])(?:${names}):\\d+`);
  const problems: string[] = [];
  for (const p of plan.processes) {
    const strings: [string, string][] = [
      ...Object.entries(p.env).map(([k, v]): [string, string] => [`env ${k}`, v]),
      ...p.argv.map((a, i): [string, string] => [`argv[${i}]`, a]),
      ...(p.health ?? []).map((a, i): [string, string] => [`health[${i}]`, a]),
    ];
    for (const [where, value] of strings) {
      if (onNetwork.test(value)) problems.push(`${p.name} ${where}: ${value} is an address on the compose network`);
      if (value.includes('0.0.0.0')) problems.push(`${p.name} ${where}: ${value} binds a wildcard`);
      if (CONTAINER_PATH.test(value)) problems.push(`${p.name} ${where}: ${value} is a path inside a container`);
    }
    for (const [key, value] of Object.entries(p.env)) {
      if (/(_HOST|_SEEDS)$/.test(key) && value in compose.services) {
        problems.push(`${p.name}: ${key}=${value} is a service's name on the compose network`);
      }
    }
  }
  return problems;
}

/** The native stack builds TEMPORAL_SERVER_VERSION: the compose server and its admin tools must pin the same. */
function versionProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const images = Object.entries(compose.services).map(([name, svc]) => [name, svc.image ?? ''] as const);
  const servers = images.filter(([, image]) => image.startsWith('temporalio/server:'));
  const tools = images.filter(([, image]) => image.startsWith('temporalio/admin-tools:'));
  if (servers.length !== 1) problems.push(`${servers.length} temporalio/server services, expected one`);
  if (tools.length === 0) problems.push('no temporalio/admin-tools service');
  for (const [name, image] of [...servers, ...tools]) {
    const version = imageServerVersion(image);
    if (version !== TEMPORAL_SERVER_VERSION) {
      problems.push(`${name}: ${image} is server ${version}; the native stack builds ${TEMPORAL_SERVER_VERSION}`);
    }
  }
  return problems;
}

/** depends_on as compose has it, satisfiable in order with the plan's processes. */
function dependencyProblems(compose: ComposeFile, plan: NativePlan): string[] {
  const problems: string[] = [];
  const planned = new Set(plan.processes.map((p) => p.service));
  for (const p of plan.processes) {
    for (const [dep, cond] of Object.entries(serviceOf(compose, p).depends_on ?? {})) {
      if (planned.has(dep)) {
        if (p.dependsOn[dep] !== cond.condition) problems.push(`${p.name} → ${dep}: ${p.dependsOn[dep]}`);
      } else if (cond.required !== false) {
        problems.push(`${p.name} depends on ${dep}, which is not planned`);
      } else if (dep in p.dependsOn) {
        problems.push(`${p.name} waits for ${dep}, which is optional and not planned`);
      }
    }
    for (const dep of Object.keys(p.dependsOn)) {
      if (!planned.has(dep)) problems.push(`${p.name} depends on ${dep}, which is not planned`);
    }
  }
  // Start whatever has its dependencies done; a service is done once all its replicas are.
  const done = new Set<string>();
  let left = [...plan.processes];
  while (left.length > 0) {
    const ready = left.filter((p) => Object.keys(p.dependsOn).every((d) => done.has(d)));
    if (ready.length === 0) {
      problems.push(`depends_on cannot be satisfied for ${left.map((p) => p.name).join(', ')}`);
      break;
    }
    left = left.filter((p) => !ready.includes(p));
    for (const p of ready) if (!left.some((q) => q.service === p.service)) done.add(p.service);
  }
  return problems;
}

function resolveThroughLinks(path: string, links: NativeProcess['links']): string {
  for (const l of links)
    if (path === l.path || path.startsWith(`${l.path}/`)) return l.target + path.slice(l.path.length);
  return path;
}

const processesOf = (plan: NativePlan, service: string) => plan.processes.filter((p) => p.service === service);
const only = (plan: NativePlan, service: string) => {
  const ps = processesOf(plan, service);
  assert.equal(ps.length, 1, `one ${service} process`);
  return ps[0]!;
};

// ---------------------------------------------------------------------------------------------------------------

describe('the native plan is docker-compose.yml', () => {
  it('every compose service is run natively or listed in NOT_RUN_NATIVELY, which names only compose services', () => {
    assert.deepEqual(coverageProblems(COMPOSE, PLAN), []);
    assert.ok(PLAN.profiles.includes('simulator'), 'stackEnv() turns the simulator profile on');
    assert.ok(processesOf(PLAN, 'simulator').length === 1, 'so the simulator is planned');
  });

  it("every compose variable reaches its process; changes only where it names a service's address, port or mount", () => {
    assert.deepEqual(envProblems(COMPOSE, PLAN), []);
    // The kinds of change, each seen at least once (so the check above is not vacuous).
    const worker = processesOf(PLAN, 'worker')[0]!;
    assert.equal(worker.env.TEMPORAL_ADDRESS, PLAN.address('temporal', 7233));
    assert.equal(worker.env.OLOSTEP_BASE_URL, `http://${PLAN.address('simulator', 8787)}`);
    assert.equal(worker.env.METRICS_ADDRESS, `127.0.0.1:${worker.ports[9464]}`);
    assert.ok(worker.env.RESULTS_DIR!.startsWith(RUN_DIR) && worker.dirs.includes(worker.env.RESULTS_DIR!));
    const server = only(PLAN, 'temporal');
    assert.equal(server.env.POSTGRES_SEEDS, '127.0.0.1');
    for (const key of ['DB_PORT', 'VISIBILITY_DB_PORT']) {
      assert.equal(`127.0.0.1:${server.env[key]}`, PLAN.address('postgresql', 5432), key);
    }
    assert.equal(server.env.FRONTEND_GRPC_PORT, PLAN.address('temporal', 7233).split(':')[1]);
    const ports = ALLOWED_ADDITIONS.server.filter((k) => k.endsWith('_PORT')).map((k) => Number(server.env[k]));
    assert.equal(new Set(ports).size, ports.length, 'the server ports are distinct');
    for (const k of ALLOWED_ADDITIONS.server.filter((k) => k.endsWith('_MEMBERSHIP_PORT'))) {
      assert.ok(Number(server.env[k]) < 32768, `${k} fits the smallint column the server stores it in`);
    }
  });

  it('nothing refers to the compose network or to paths inside a container', () => {
    assert.deepEqual(leakProblems(COMPOSE, PLAN), []);
  });

  it('the native server is the compose server: one version for temporalio/server and both admin-tools images', () => {
    assert.deepEqual(versionProblems(COMPOSE), []);
    assert.equal(imageServerVersion(COMPOSE.services.temporal!.image!), TEMPORAL_SERVER_VERSION);
    const tools = Object.entries(COMPOSE.services).filter(([, s]) => s.image?.startsWith('temporalio/admin-tools:'));
    assert.deepEqual(tools.map(([n]) => n).sort(), ['temporal-schema', 'temporal-setup']);
    for (const [name, svc] of tools) {
      assert.ok(svc.image!.includes(`:${TEMPORAL_SERVER_VERSION.slice(1)}-`), `${name}: ${svc.image}`);
    }
  });

  it('the server reads the dynamic config compose mounts, and the provisioned temporal-server accepts it', () => {
    const server = only(PLAN, 'temporal');
    const composeServer = COMPOSE.services.temporal!;
    const configured = envOf(composeServer).DYNAMIC_CONFIG_FILE_PATH!;
    assert.equal(server.env.DYNAMIC_CONFIG_FILE_PATH, configured, 'compose value, unchanged');
    const file = join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'airops.yaml');
    // Natively: relative to the server's cwd, through the plan's links.
    assert.equal(resolveThroughLinks(resolve(server.cwd, configured), server.links), file);
    // In the container: relative to the image's root (/etc/temporal), through compose's bind mount.
    const inContainer = posix.resolve('/etc/temporal', configured);
    const mount = mountsOf(composeServer, server).find((m) => inContainer.startsWith(`${m.target}/`));
    assert.ok(mount, `compose mounts ${inContainer}`);
    assert.equal(mount.source! + inContainer.slice(mount.target.length), file);
    // The server's config template is the provisioned one, the file the image starts with (`--env docker`).
    assert.deepEqual(server.argv.slice(1), ['--root', server.cwd, '--config', 'config', '--env', 'docker', 'start']);
    assert.equal(
      resolveThroughLinks(join(server.cwd, 'config', 'docker.yaml'), server.links),
      join(SERVER_DIR, 'config', 'docker.yaml'),
    );
    assert.ok(PRODUCTION_SERVER_FILES.includes('config/docker.yaml'));

    const dir = productionServer(); // not provisioned: fails here with the command that provisions it
    const validate = (path: string) => {
      const r = spawnSync(join(dir, 'temporal-server'), ['validate-dynamic-config', path], { encoding: 'utf8' });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const r = validate(file);
    assert.equal(r.code, 0, r.out);
    // It exits 0 on unknown keys and bad values too, and says so on `warning:` / `error:` lines.
    assert.doesNotMatch(r.out, /warning:|error:/, r.out);
    const bad = join(RUN_DIR, 'bad-dynamicconfig.yaml');
    writeFileSync(bad, `${readFileSync(file, 'utf8')}\nairops.noSuchKey:\n  - value: true\n`);
    assert.match(validate(bad).out, /warning: unregistered key "airops.noSuchKey"/);
  });

  it('the server renders its config template with the plan: PostgreSQL for both stores, its own ports, the file', () => {
    const dir = productionServer();
    const server = only(PLAN, 'temporal');
    for (const l of server.links) {
      mkdirSync(dirname(l.path), { recursive: true });
      rmSync(l.path, { force: true });
      symlinkSync(l.target, l.path);
    }
    const r = spawnSync(join(dir, 'temporal-server'), server.argv.slice(1, -1).concat('render-config'), {
      cwd: server.cwd,
      env: server.env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    type Rpc = { bindOnIP: string; grpcPort: number; membershipPort: number; httpPort: number };
    const config = parseYaml(r.stdout) as {
      persistence: { numHistoryShards: number; datastores: Record<string, { sql: { connectAddr: string } }> };
      services: Record<string, { rpc: Rpc }>;
      dynamicConfigClient: { filepath: string };
    };
    // Visibility's port comes from VISIBILITY_DB_PORT, not DB_PORT: without it visibility would dial 5432.
    for (const store of ['default', 'visibility']) {
      assert.equal(config.persistence.datastores[store]!.sql.connectAddr, PLAN.address('postgresql', 5432), store);
    }
    assert.equal(config.persistence.numHistoryShards, Number(server.env.NUM_HISTORY_SHARDS));
    assert.equal(config.dynamicConfigClient.filepath, server.env.DYNAMIC_CONFIG_FILE_PATH);
    assert.equal(`127.0.0.1:${config.services.frontend!.rpc.grpcPort}`, PLAN.address('temporal', 7233));
    for (const [name, { rpc }] of Object.entries(config.services)) {
      assert.equal(rpc.bindOnIP, '127.0.0.1', name);
      const up = name.toUpperCase();
      assert.equal(String(rpc.grpcPort), server.env[`${up}_GRPC_PORT`], `${name} grpc`);
      assert.equal(String(rpc.membershipPort), server.env[`${up}_MEMBERSHIP_PORT`], `${name} membership`);
    }
  });

  it('the one-shots run the scripts compose mounts; the app services the sources of its dist/*.js commands', () => {
    const scripts: Record<string, string> = {
      'temporal-schema': 'deploy/temporal/setup-schema.sh',
      'temporal-setup': 'deploy/temporal/register-search-attributes.sh',
    };
    for (const [service, script] of Object.entries(scripts)) {
      const p = only(PLAN, service);
      const svc = COMPOSE.services[service]!;
      const entry = asArgv(svc.entrypoint);
      assert.equal(entry[0], '/bin/sh', service);
      const mount = mountsOf(svc, p).find((m) => entry[1]!.startsWith(`${m.target}/`));
      assert.ok(mount, `${service}: compose mounts ${entry[1]}`);
      const onHost = mount.source! + entry[1]!.slice(mount.target.length);
      assert.equal(onHost, join(ROOT, script));
      assert.deepEqual(p.argv, ['sh', onHost]);
      assert.ok(existsSync(onHost), onHost);
    }
    // setup-schema.sh defaults to the image's schema under /etc/temporal; the plan points at the provisioned copy.
    const schemaText = readFileSync(join(ROOT, scripts['temporal-schema']!), 'utf8');
    const schemaDefault = /\$\{TEMPORAL_SCHEMA_DIR:=([^}]+)\}/.exec(schemaText)?.[1] ?? '(none)';
    assert.ok(schemaDefault.startsWith('/etc/temporal/'), `the script's default: ${schemaDefault}`);
    const schemaDir = only(PLAN, 'temporal-schema').env.TEMPORAL_SCHEMA_DIR!;
    assert.equal(schemaDir, join(SERVER_DIR, posix.relative('/etc/temporal', schemaDefault)));
    for (const f of PRODUCTION_SERVER_FILES.filter((f) => f.startsWith('schema/'))) {
      assert.ok(join(SERVER_DIR, f).startsWith(`${schemaDir}/`), `${f} is provisioned below TEMPORAL_SCHEMA_DIR`);
    }

    const apps = PLAN.processes.filter((p) => p.kind === 'app');
    assert.deepEqual([...new Set(apps.map((p) => p.service))].sort(), ['simulator', 'webhooks', 'worker']);
    for (const p of apps) {
      const svc = serviceOf(COMPOSE, p);
      assert.ok(svc.build, `${p.service} runs the image built from this checkout`);
      const cmd = asArgv(svc.command);
      assert.equal(cmd[0], 'node', p.service);
      assert.match(cmd[1]!, /^dist\/.+\.js$/, p.service);
      const source = distToSource(cmd[1]!);
      assert.equal(source, cmd[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
      assert.ok(existsSync(join(ROOT, source)), `${p.service}: ${source} exists`);
      assert.deepEqual(p.argv.slice(0, 4), [process.execPath, '--import', 'tsx', source], p.name);
      assert.equal(p.cwd, ROOT);
      // The rest of the command: unchanged, or a port / wildcard / address localized.
      const rest = cmd.slice(2);
      assert.equal(p.argv.length, 4 + rest.length, p.name);
      rest.forEach((arg, i) => {
        const native = p.argv[4 + i]!;
        if (native === arg) return;
        const port = rest[i - 1] === '--port' ? p.ports[Number(arg)] : undefined;
        const expected = port !== undefined ? String(port) : localizedForm(arg, undefined, p, PLAN, COMPOSE);
        assert.equal(native, expected, `${p.name}: ${arg}`);
      });
    }
  });

  it('every long-running process has the compose healthcheck, localized', () => {
    for (const p of PLAN.processes) {
      const test = asArgv(serviceOf(COMPOSE, p).healthcheck?.test);
      if (p.kind === 'one-shot') {
        assert.equal(p.health, null, `${p.name} runs once`);
        continue;
      }
      assert.ok(p.health && p.health.length > 0, `${p.name} has a healthcheck`);
      if (test[0] === 'CMD-SHELL') {
        assert.deepEqual(p.health, ['sh', '-c', test.slice(1).join(' ')], p.name);
        continue;
      }
      assert.equal(test[0], 'CMD', p.name);
      const args = test.slice(1);
      assert.equal(p.health.length, args.length, p.name);
      const programs: Record<string, string> = { node: process.execPath, temporal: devServerCachePath() };
      args.forEach((arg, i) => {
        const native = p.health![i]!;
        if (i === 0) return assert.equal(native, programs[arg] ?? arg, `${p.name}: program ${arg}`);
        if (native !== arg) assert.equal(native, localizedForm(arg, undefined, p, PLAN, COMPOSE), `${p.name}: ${arg}`);
      });
    }
    // Each probes what its process serves.
    assert.ok(only(PLAN, 'temporal').health!.includes(PLAN.address('temporal', 7233)));
    assert.ok(
      only(PLAN, 'webhooks').health!.includes(`http://127.0.0.1:${only(PLAN, 'webhooks').env.WEBHOOK_PORT}/readyz`),
    );
  });

  it('three workers: distinct metrics ports, the rest of their environment identical', () => {
    const workers = processesOf(PLAN, 'worker');
    assert.deepEqual(
      workers.map((w) => w.name),
      ['worker#1', 'worker#2', 'worker#3'],
    );
    const metrics = workers.map((w) => w.env.METRICS_ADDRESS!);
    assert.equal(new Set(metrics).size, 3, metrics.join(', '));
    for (const w of workers) {
      assert.equal(w.env.METRICS_ADDRESS, `127.0.0.1:${w.ports[9464]}`);
      assert.ok(w.health!.includes(`http://${w.env.METRICS_ADDRESS}/metrics`), `${w.name} probes its own port`);
    }
    const rest = (w: NativeProcess) => ({ ...w.env, METRICS_ADDRESS: undefined });
    for (const w of workers.slice(1)) {
      assert.deepEqual(rest(w), rest(workers[0]!), w.name);
      assert.deepEqual(w.argv, workers[0]!.argv, w.name);
      assert.deepEqual(w.dirs, workers[0]!.dirs, `${w.name} shares the results volume`);
    }
    assert.equal(processesOf(planOf(COMPOSE, 1), 'worker').length, 1);
  });

  it("depends_on: compose's conditions, every dependency a planned service, satisfiable in order", () => {
    assert.deepEqual(dependencyProblems(COMPOSE, PLAN), []);
    assert.equal(processesOf(PLAN, 'worker')[0]!.dependsOn.simulator, 'service_healthy');
    // Without the simulator profile (a real OLOSTEP_BASE_URL) the worker's optional dependency on it goes away.
    const real = stackEnv({ OLOSTEP_BASE_URL: 'https://api.olostep.com', COMPOSE_PROFILES: '' });
    let port = 40_000;
    const plan = nativePlan(loadCompose(real), {
      env: real,
      workers: 2,
      port: () => port++,
      lowPort: () => port++,
      runDir: RUN_DIR,
      serverDir: SERVER_DIR,
      temporalCli: devServerCachePath(),
      pgBinDir: join(RUN_DIR, 'postgresql-bin'),
      nodePath: process.execPath,
    });
    assert.equal(processesOf(plan, 'simulator').length, 0);
    assert.ok(!('simulator' in processesOf(plan, 'worker')[0]!.dependsOn));
    assert.equal(processesOf(plan, 'worker')[0]!.env.OLOSTEP_BASE_URL, 'https://api.olostep.com');
    assert.deepEqual(dependencyProblems(loadCompose(real), plan), []);
  });
});

describe('drift between docker-compose.yml and the native stack is detected', () => {
  const copy = (): ComposeFile => structuredClone(COMPOSE);

  it('(a) a new address in a compose environment comes out localized', () => {
    const compose = copy();
    compose.services.worker!.environment!.FOO_ADDRESS = 'temporal:7233';
    const plan = planOf(compose);
    for (const w of processesOf(plan, 'worker')) assert.equal(w.env.FOO_ADDRESS, plan.address('temporal', 7233));
    assert.deepEqual(envProblems(compose, plan), []);
    assert.deepEqual(leakProblems(compose, plan), []);
  });

  it('(b) a service with an image the native stack has no program for makes the plan throw', () => {
    const compose = copy();
    compose.services.cache = { image: 'redis:7' };
    assert.throws(() => planOf(compose), /service cache: no native equivalent of image redis:7/);
  });

  it('(c) a dependency on a service the plan does not run throws, unless compose marks it optional', () => {
    const compose = copy();
    compose.services.worker!.depends_on!['temporal-ui'] = { condition: 'service_started' };
    assert.throws(() => planOf(compose), /worker depends on temporal-ui, which the native stack does not run/);
    compose.services.worker!.depends_on!['temporal-ui'] = { condition: 'service_started', required: false };
    const plan = planOf(compose);
    assert.ok(!('temporal-ui' in processesOf(plan, 'worker')[0]!.dependsOn));
    assert.deepEqual(dependencyProblems(compose, plan), []);
  });

  it('(d) a compose server version other than the one provisioned is a mismatch', () => {
    const server = copy();
    server.services.temporal!.image = 'temporalio/server:1.30.0';
    assert.deepEqual(versionProblems(server), [
      `temporal: temporalio/server:1.30.0 is server v1.30.0; the native stack builds ${TEMPORAL_SERVER_VERSION}`,
    ]);
    const tools = copy();
    tools.services['temporal-setup']!.image = 'temporalio/admin-tools:1.30.0-tctl-1.18.4-cli-1.5.0';
    assert.match(versionProblems(tools).join('\n'), /temporal-setup: .* is server v1\.30\.0/);
  });

  it('(e) the checks catch a plan that changes, adds or leaks what compose does not say', () => {
    const tampered = (edit: (w: NativeProcess) => void): NativePlan => {
      const plan = planOf(COMPOSE);
      edit(processesOf(plan, 'worker')[0]!);
      return plan;
    };
    assert.match(
      envProblems(
        COMPOSE,
        tampered((w) => (w.env.LOG_LEVEL = 'DEBUG')),
      ).join('\n'),
      /worker#1: LOG_LEVEL=INFO in compose but DEBUG natively/,
    );
    assert.match(
      envProblems(
        COMPOSE,
        tampered((w) => (w.env.EXTRA = '1')),
      ).join('\n'),
      /worker#1: EXTRA is set natively but is neither in compose nor in `added`/,
    );
    assert.match(
      envProblems(
        COMPOSE,
        tampered((w) => delete w.env.SHUTDOWN_GRACE_MS),
      ).join('\n'),
      /compose sets SHUTDOWN_GRACE_MS, the native process does not get it/,
    );
    const leaked = tampered((w) => {
      w.env.TEMPORAL_ADDRESS = 'temporal:7233';
      w.env.RESULTS_DIR = '/app/results';
      w.argv.push('--host', '0.0.0.0');
    });
    const leaks = leakProblems(COMPOSE, leaked).join('\n');
    assert.match(leaks, /TEMPORAL_ADDRESS: temporal:7233 is an address on the compose network/);
    assert.match(leaks, /RESULTS_DIR: \/app\/results is a path inside a container/);
    assert.match(leaks, /0\.0\.0\.0 binds a wildcard/);
    assert.match(
      coverageProblems({ services: { ...COMPOSE.services, cache: { build: { context: '.' } } } }, PLAN).join('\n'),
      /cache: neither run nor in NOT_RUN_NATIVELY/,
    );
  });
});
