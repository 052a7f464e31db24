// docker-compose.yml without a Docker engine: the file Compose would load (YAML merge keys resolved, variables
// interpolated from the env template) is valid against the Compose Specification's JSON schema, pins every image,
// checks health and orders start-up with depends_on conditions, publishes only what it should, lets the worker
// scale out, and hands the worker and the receiver an environment their own zod configs accept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { loadTemporalConnectConfig } from '../../client/temporal-connection';
import { loadWorkerConfig, WorkerConfig } from '../../worker/config';
import { loadWebhookConfig } from '../../webhooks/config';
import { ALL_SEARCH_ATTRIBUTES, DEFAULT_TASK_QUEUE } from '../../workflows/contract';
import {
  ENV_TEMPLATE,
  InterpolationError,
  ROOT,
  asArgv,
  envOf,
  filledTemplate,
  forEachString,
  loadCompose,
  loadComposeRaw,
  parseEnvFile,
  uncommentBlock,
  variablesIn,
  type ComposeFile,
  type ComposeService,
} from './helpers';

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const TEMPLATE_TEXT = readFileSync(ENV_TEMPLATE, 'utf8');
const SECRETS = ['OLOSTEP_API_KEY', 'WEBHOOK_SECRET', 'POSTGRES_PASSWORD'];
/** Connection variables @temporalio/envconfig reads for the worker and the CLI (see client/temporal-connection.ts). */
const ENVCONFIG_VARIABLES = ['TEMPORAL_API_KEY', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH'];
/** Services that run once and exit 0; everything else runs until stopped. */
const ONE_SHOTS = new Set(['temporal-schema', 'temporal-setup']);
/** The airops CLI service: `docker compose run --rm airops …`, never part of `up`. */
const CLI = 'airops';
/** The heading of the template's commented-out simulator block. */
const SIMULATOR_BLOCK = 'trying it without an Olostep account';

function validator() {
  const schema = JSON.parse(readFileSync(join(__dirname, 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // draft 2019-09, which Ajv2019 assumes; its meta-schema URI carries a trailing '#'
  dropLegacyIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // compose-spec's one custom format: a container port or range, optionally with a protocol.
  ajv.addFormat('expose', /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/);
  return ajv.compile(schema);
}

/** compose-spec still carries draft-04 `id` annotations (`"id": "#/properties/services"`), inert in 2019-09. */
function dropLegacyIds(node: unknown, inProperties = false): void {
  if (Array.isArray(node)) return node.forEach((n) => dropLegacyIds(n));
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (!inProperties && typeof obj.id === 'string') delete obj.id;
  for (const [k, v] of Object.entries(obj))
    dropLegacyIds(v, !inProperties && (k === 'properties' || k === 'patternProperties'));
}

/** What Compose hands the engine: the file interpolated, minus the `x-` extension blocks it only uses for anchors. */
function composeWith(env: Record<string, string>): ComposeFile {
  return loadCompose(env);
}

const compose = composeWith(filledTemplate());
const services = compose.services;

function imageTag(image: string): { repo: string; tag: string | undefined } {
  const at = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  return at > slash ? { repo: image.slice(0, at), tag: image.slice(at + 1) } : { repo: image, tag: undefined };
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON schema (interpolated with the env template)', () => {
    const validate = validator();
    const ok = validate(compose);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    // The simulator variant of the template too.
    const sim = composeWith(filledTemplate({}, uncommentBlock(TEMPLATE_TEXT, SIMULATOR_BLOCK)));
    assert.ok(validate(sim), JSON.stringify(validate.errors, null, 2));
    // And the schema is not vacuous: a typo'd key is caught.
    const broken = structuredClone(compose);
    (broken.services.worker as Record<string, unknown>).depends_onn = {};
    assert.equal(validate(broken), false, 'an unknown service key is rejected');
  });

  it('a missing secret stops Compose at once, naming the variable and the template', () => {
    for (const secret of SECRETS) {
      const env = filledTemplate();
      delete env[secret];
      assert.throws(
        () => composeWith(env),
        (err: unknown) =>
          err instanceof InterpolationError &&
          err.message.includes(`required variable ${secret} is missing`) &&
          err.message.includes('deploy/airops.env.example'),
        secret,
      );
      // An empty value (the template as copied, not yet filled in) fails the same way.
      assert.throws(() => composeWith({ ...filledTemplate(), [secret]: '' }), InterpolationError, `${secret}=`);
    }
    // The template as shipped has them empty, so a forgotten one can never pass silently.
    const template = parseEnvFile(TEMPLATE_TEXT);
    for (const secret of SECRETS) assert.equal(template[secret], '', `${secret} is empty in the template`);
  });

  it('every variable the file uses is documented in deploy/airops.env.example', () => {
    const documented = new Set(
      [...TEMPLATE_TEXT.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!).filter(Boolean),
    );
    const used = new Map<string, boolean>();
    forEachString(loadComposeRaw(), (s) => {
      for (const v of variablesIn(s)) used.set(v.name, (used.get(v.name) ?? false) || v.required);
    });
    const missing = [...used.keys()].filter((v) => !documented.has(v));
    assert.deepEqual(missing, [], 'variables used but not in the template');
    // The required ones are exactly the secrets; everything else has a default.
    assert.deepEqual(
      [...used]
        .filter(([, required]) => required)
        .map(([name]) => name)
        .sort(),
      [...SECRETS].sort(),
    );
  });

  it('pins every image to an explicit version (no latest, no bare major), the built one to the package version', () => {
    const pins: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(svc.image, `${name} names an image`);
      const { repo, tag } = imageTag(svc.image);
      assert.ok(tag, `${name}: ${svc.image} has a tag`);
      assert.notEqual(tag, 'latest', `${name}: ${svc.image}`);
      assert.match(tag, /^\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/, `${name}: ${svc.image} is a version, not a moving tag`);
      if (svc.build) assert.equal(svc.image, `${repo}:${PACKAGE.version}`, `${name}: the built image is tagged`);
      pins.push(svc.image);
    }
    // The server and its admin tools move together.
    const server = imageTag(services.temporal!.image!).tag!;
    for (const s of ['temporal-schema', 'temporal-setup']) {
      assert.ok(imageTag(services[s]!.image!).tag!.startsWith(`${server}-`), `${s} matches server ${server}`);
    }
    // The same minor as the dev server the test suite runs (Temporal CLI 1.5.1 embeds Server 1.29).
    assert.match(server, /^1\.29\./);
    assert.ok(!('version' in compose), 'no obsolete top-level version key');
    console.log(`images: ${[...new Set(pins)].sort().join(', ')}`);
  });

  it('health checks on every long-running service, start-up ordered by depends_on conditions', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (ONE_SHOTS.has(name) || name === CLI) {
        assert.equal(svc.healthcheck, undefined, `${name} runs once: no healthcheck`);
        assert.equal(svc.restart, 'no', `${name} is not restarted after it exits`);
        continue;
      }
      if (name === 'temporal-ui') continue; // nothing waits for it; its image has no HTTP client
      const test = asArgv(svc.healthcheck?.test);
      assert.ok(test.length > 1 && (test[0] === 'CMD' || test[0] === 'CMD-SHELL'), `${name} has a healthcheck`);
      assert.ok(svc.healthcheck?.interval && svc.healthcheck.timeout && svc.healthcheck.retries, `${name} timings`);
    }
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = services[dep];
        assert.ok(target, `${name} depends on the defined service ${dep}`);
        if (ONE_SHOTS.has(dep)) {
          assert.equal(condition, 'service_completed_successfully', `${name} → ${dep}`);
        } else {
          assert.equal(condition, 'service_healthy', `${name} → ${dep}`);
          assert.ok(target.healthcheck, `${name} waits for ${dep} to be healthy, so ${dep} has a healthcheck`);
        }
      }
    }
    const deps = (s: string) => Object.keys(services[s]!.depends_on ?? {});
    assert.deepEqual(deps('temporal-schema'), ['postgresql']);
    assert.ok(deps('temporal').includes('temporal-schema'));
    assert.deepEqual(deps('temporal-setup'), ['temporal']);
    for (const s of ['worker', 'webhooks', CLI]) assert.ok(deps(s).includes('temporal-setup'), `${s} after setup`);
    // The worker waits for the simulator only when the simulator profile is on.
    assert.deepEqual(services.worker!.depends_on!.simulator, { condition: 'service_healthy', required: false });
    // Temporal's own health is a real RPC, not an open port.
    assert.deepEqual(asArgv(services.temporal!.healthcheck!.test).slice(1, 5), [
      'temporal',
      'operator',
      'cluster',
      'health',
    ]);
    assert.match(asArgv(services.postgresql!.healthcheck!.test).join(' '), /pg_isready/);
  });

  it('ports: Temporal and the UI on loopback, the receiver public, the worker scalable with none', () => {
    const published = (s: string) =>
      (services[s]!.ports ?? []).map((p) => {
        assert.equal(typeof p, 'string', `${s}: short port syntax`);
        const parts = (p as string).split(':');
        return { host: parts.slice(0, -1).join(':'), container: Number(parts.at(-1)) };
      });
    assert.deepEqual(published('temporal'), [{ host: '127.0.0.1:7233', container: 7233 }]);
    assert.deepEqual(published('temporal-ui'), [{ host: '127.0.0.1:8080', container: 8080 }]);
    assert.deepEqual(published('webhooks'), [{ host: '8788', container: 8788 }]);
    assert.deepEqual(published('simulator'), [{ host: '127.0.0.1:8787', container: 8787 }]);
    assert.deepEqual(published('postgresql'), [], 'PostgreSQL stays on the compose network');
    // --scale worker=N: no fixed name, no host port, no fixed replica count.
    for (const [name, svc] of Object.entries(services)) assert.equal(svc.container_name, undefined, name);
    const worker = services.worker!;
    assert.equal(worker.ports, undefined, 'the worker binds no host port');
    assert.equal(worker.deploy?.replicas, undefined);
    // Its metrics are on a container port, the one METRICS_ADDRESS names and the healthcheck probes.
    const metrics = envOf(worker).METRICS_ADDRESS!;
    assert.match(metrics, /^0\.0\.0\.0:\d+$/);
    const port = metrics.split(':')[1]!;
    assert.deepEqual(worker.expose, [port]);
    assert.ok(asArgv(worker.healthcheck!.test).some((a) => a === `http://127.0.0.1:${port}/metrics`));
    // The receiver listens on all interfaces of its container, on the port it publishes and probes.
    const hooks = envOf(services.webhooks!);
    assert.equal(hooks.WEBHOOK_HOST, '0.0.0.0');
    assert.equal(Number(hooks.WEBHOOK_PORT), published('webhooks')[0]!.container);
    assert.ok(asArgv(services.webhooks!.healthcheck!.test).includes(`http://127.0.0.1:${hooks.WEBHOOK_PORT}/readyz`));
  });

  it('the worker gets every variable worker/config.ts requires, and its config accepts what it gets', () => {
    const worker = services.worker!;
    const env = envOf(worker);
    assert.equal(worker.env_file, undefined, 'everything is in `environment`, resolved from .env');
    const shape = WorkerConfig.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const required = Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success);
    assert.deepEqual(required, ['OLOSTEP_API_KEY'], 'the variables without a default');
    for (const key of required) assert.ok(env[key], `worker gets ${key}`);
    // Every variable the worker gets is one it (or envconfig, for TEMPORAL_*) reads: no typo goes unnoticed.
    for (const key of Object.keys(env)) {
      assert.ok(key in shape || ENVCONFIG_VARIABLES.includes(key), `${key} is read by the worker`);
    }
    const config = loadWorkerConfig(env);
    assert.equal(config.OLOSTEP_BASE_URL, 'https://api.olostep.com');
    assert.equal(config.TASK_QUEUE, DEFAULT_TASK_QUEUE);
    assert.equal(config.METRICS_ADDRESS, '0.0.0.0:9464');
    const temporal = loadTemporalConnectConfig(env);
    assert.equal(temporal.address, 'temporal:7233');
    assert.equal(temporal.namespace, 'default');
    // Without the key the worker itself would stop too (exit 2), but Compose stops first (previous test).
    assert.throws(() => loadWorkerConfig({ ...env, OLOSTEP_API_KEY: '' }), /OLOSTEP_API_KEY is required/);
  });

  it('Temporal Cloud through .env: the worker and the CLI connect with TLS and the API key, or with mTLS files', () => {
    const cloud = composeWith(
      filledTemplate({
        TEMPORAL_ADDRESS: 'airops.a1b2c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'airops.a1b2c',
        TEMPORAL_API_KEY: 'cloud-api-key-example',
      }),
    ).services;
    for (const s of ['worker', CLI]) {
      const c = loadTemporalConnectConfig(envOf(cloud[s]!));
      assert.deepEqual(
        { address: c.address, namespace: c.namespace, tls: c.tls, apiKey: c.apiKey },
        { address: 'airops.a1b2c.tmprl.cloud:7233', namespace: 'airops.a1b2c', tls: true, apiKey: true },
        s,
      );
    }
    const mtls = composeWith(
      filledTemplate({
        TEMPORAL_ADDRESS: 'airops.a1b2c.tmprl.cloud:7233',
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/certs/client.key',
      }),
    ).services;
    const env = envOf(mtls.worker!);
    assert.equal(env.TEMPORAL_TLS_CLIENT_CERT_PATH, '/certs/client.pem');
    assert.equal(env.TEMPORAL_API_KEY, '', 'no API key: empty, which the worker treats as unset');
    // By default (no TEMPORAL_* in .env) the stack's own server, in plaintext.
    const local = loadTemporalConnectConfig(envOf(services.worker!));
    assert.deepEqual([local.address, local.tls, local.apiKey], ['temporal:7233', false, false]);
  });

  it('the receiver, the simulator and the CLI agree with the worker on Temporal, namespace and task queue', () => {
    const hooks = loadWebhookConfig(envOf(services.webhooks!));
    const worker = envOf(services.worker!);
    assert.equal(hooks.TEMPORAL_ADDRESS, worker.TEMPORAL_ADDRESS);
    assert.equal(hooks.TEMPORAL_NAMESPACE, worker.TEMPORAL_NAMESPACE);
    assert.equal(hooks.TASK_QUEUE, worker.TASK_QUEUE);
    const cli = envOf(services[CLI]!);
    for (const k of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TASK_QUEUE']) assert.equal(cli[k], worker[k], k);
    assert.equal(envOf(services['temporal-setup']!).TEMPORAL_NAMESPACE, worker.TEMPORAL_NAMESPACE);
    // A namespace chosen in .env reaches all of them.
    const custom = composeWith(filledTemplate({ TEMPORAL_NAMESPACE: 'airops-prod', TASK_QUEUE: 'q1' })).services;
    for (const s of ['worker', 'webhooks', CLI, 'temporal-setup', 'temporal-ui']) {
      const e = envOf(custom[s]!);
      assert.equal(e.TEMPORAL_NAMESPACE ?? e.TEMPORAL_DEFAULT_NAMESPACE, 'airops-prod', s);
    }
    for (const s of ['worker', 'webhooks', CLI]) assert.equal(envOf(custom[s]!).TASK_QUEUE, 'q1', s);
  });

  it('the webhook journal: off by default; switched on in .env it lands on the mounted volume the image prepares', () => {
    assert.equal(loadWebhookConfig(envOf(services.webhooks!)).WEBHOOK_JOURNAL_DIR, undefined);
    const on = composeWith(filledTemplate({ WEBHOOK_JOURNAL_DIR: '/var/lib/airops/webhook-journal' })).services;
    const hooks = loadWebhookConfig(envOf(on.webhooks!));
    assert.equal(hooks.WEBHOOK_JOURNAL_DIR, '/var/lib/airops/webhook-journal');
    const mounted = (on.webhooks!.volumes ?? []).map((v) => String(v).split(':'));
    assert.ok(
      mounted.some(
        ([src, dst]) => dst === hooks.WEBHOOK_JOURNAL_DIR && compose.volumes !== undefined && src! in compose.volumes,
      ),
      'the journal directory is a named volume',
    );
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(
      dockerfile,
      /mkdir -p [^\n]*\/var\/lib\/airops\/webhook-journal[^\n]*chown node:node[^\n]*\/var\/lib\/airops\/webhook-journal/,
    );
  });

  it('the simulator profile: off by default, and switched on by the template it points the workers at it', () => {
    assert.deepEqual(services.simulator!.profiles, ['simulator']);
    assert.deepEqual(services[CLI]!.profiles, ['cli']);
    for (const [name, svc] of Object.entries(services)) {
      if (name !== 'simulator' && name !== CLI) assert.equal(svc.profiles, undefined, `${name} always runs`);
    }
    const simEnv = filledTemplate({}, uncommentBlock(TEMPLATE_TEXT, SIMULATOR_BLOCK));
    assert.equal(simEnv.COMPOSE_PROFILES, 'simulator');
    const sim = composeWith(simEnv).services;
    const argv = asArgv(sim.simulator!.command);
    const port = argv[argv.indexOf('--port') + 1];
    assert.equal(envOf(sim.worker!).OLOSTEP_BASE_URL, `http://simulator:${port}`);
    // The simulator accepts exactly the key the workers send.
    assert.equal(envOf(sim.simulator!).OLOSTEP_API_KEY, envOf(sim.worker!).OLOSTEP_API_KEY);
    // Every flag the compose command passes is one simulator/main.ts knows.
    const help = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'simulator', 'main.ts'), '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(help.status, 0, help.stderr);
    for (const flag of argv.filter((a) => a.startsWith('--'))) assert.ok(help.stdout.includes(`  ${flag} `), flag);
    assert.equal(argv[argv.indexOf('--host') + 1], '0.0.0.0');
  });

  it('files the containers mount or run exist: dynamic config, setup scripts, image entry points', () => {
    const temporal = services.temporal!;
    const mount = temporal.volumes!.find((v) => v.includes('/dynamicconfig'))!;
    const [hostDir, containerDir] = mount.split(':') as [string, string];
    const configPath = envOf(temporal).DYNAMIC_CONFIG_FILE_PATH!;
    // Relative to the server's root, /etc/temporal.
    const inContainer = posix.resolve('/etc/temporal', configPath);
    assert.ok(inContainer.startsWith(`${containerDir}/`), `${inContainer} is inside the mount ${containerDir}`);
    const onHost = join(ROOT, hostDir, posix.relative(containerDir, inContainer));
    assert.ok(existsSync(onHost), onHost);
    const dynamic = parseYaml(readFileSync(onHost, 'utf8')) as Record<string, { value: unknown }[]>;
    for (const [key, values] of Object.entries(dynamic)) {
      assert.match(key, /^[a-z]+\.[A-Za-z.]+$/, key);
      assert.ok(Array.isArray(values) && values.every((v) => 'value' in v), `${key}: a list of {value}`);
    }
    assert.deepEqual(dynamic['system.forceSearchAttributesCacheRefreshOnRead'], [{ value: true, constraints: {} }]);
    for (const s of ONE_SHOTS) {
      const svc = services[s]!;
      const [src, dst] = svc.volumes![0]!.split(':') as [string, string];
      const script = asArgv(svc.entrypoint).at(-1)!;
      assert.ok(script.startsWith(`${dst}/`), `${s} runs a mounted script`);
      assert.ok(existsSync(join(ROOT, src, posix.relative(dst, script))), `${s}: ${script} exists`);
    }
    // Image entry points are checked against the built image in dockerfile-build.test.ts.
  });

  it('registers exactly the search attributes of workflows/contract.ts', () => {
    const script = readFileSync(join(ROOT, 'deploy', 'temporal', 'register-search-attributes.sh'), 'utf8');
    const list = /^SEARCH_ATTRIBUTES="([^"]+)"$/m.exec(script)![1]!.split(' ');
    const cliType = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as Record<string, string>;
    assert.deepEqual(
      list,
      ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}:${cliType[k.type]}`),
    );
  });
});

export type { ComposeService };
