// docker-compose.yml turned into local processes, with no container engine: the native stack (kit/stack/native-stack.ts,
// `npm run stack:native`) runs exactly what this plan derives from the compose file, so the file stays the one source
// of the stack's settings. Pure: no process is started here, which is what lets test/deploy check the derivation.
//
// What changes on the way, and nothing else:
// - addresses: a service's name on the compose network (`temporal:7233`, `http://simulator:8787`, `postgresql`)
//   and a wildcard bind (`0.0.0.0:9464`) become loopback addresses on free ports, one per replica;
// - images become the local programs built from the same sources: temporalio/server → the provisioned
//   `temporal-server` (its own config template, `config/docker.yaml`, read from the same environment variables);
//   temporalio/admin-tools → `sh` with the provisioned `temporal-sql-tool` and the Temporal CLI on PATH; the airops
//   image's `node dist/<x>.js` → `node --import tsx <x>.ts` from this checkout; postgres → Debian's PostgreSQL;
// - volumes: bind mounts point at the same files in this checkout; named volumes become directories of the run.
// Only the server needs settings compose leaves to its image: the ports of its other services (`serverPorts`).
import { join, posix } from 'node:path';
import { asArgv, envOf, ROOT, type ComposeFile, type ComposeService } from './compose';

/** Services the native stack does not run, and why (test/deploy fails on any other service it does not know). */
export const NOT_RUN_NATIVELY: Readonly<Record<string, string>> = {
  'temporal-ui': 'the Web UI ships as a container image only; the dev server (npm start) has the UI',
  airops: 'a one-shot CLI container; natively it is `npm run airops -- --address <the stack address>`',
};

/** Where the server image keeps its configuration root; its bind mounts below it map into the run's root. */
const SERVER_IMAGE_ROOT = '/etc/temporal';

export type DependsOn = Record<string, 'service_started' | 'service_healthy' | 'service_completed_successfully'>;

export interface NativeProcess {
  /** The compose service, with `#n` for a replica. */
  name: string;
  service: string;
  kind: 'postgres' | 'one-shot' | 'server' | 'app';
  argv: string[];
  cwd: string;
  /** The service's compose environment, localized, plus what the plan adds (`added` names those keys). */
  env: Record<string, string>;
  added: string[];
  /** The compose healthcheck, localized; run with `env`. */
  health: string[] | null;
  dependsOn: DependsOn;
  /** Host port of each container port this replica serves. */
  ports: Record<number, number>;
  /** Directories to create: named volumes; for the server, symlinks into its configuration root. */
  dirs: string[];
  links: { path: string; target: string }[];
}

export interface PlanContext {
  /** The stack's .env, as Compose reads it (interpolation and COMPOSE_PROFILES). */
  env: Record<string, string | undefined>;
  workers: number;
  /** A free loopback port for every call. */
  port: () => number;
  /** The same, below 32768: the server stores membership ports in a smallint column. */
  lowPort: () => number;
  /** Where the run keeps its files (server root, named volumes, logs). */
  runDir: string;
  serverDir: string;
  temporalCli: string;
  pgBinDir: string;
  nodePath: string;
}

export interface NativePlan {
  processes: NativeProcess[];
  /** Host port per `service:containerPort` (the first replica's). */
  address(service: string, containerPort: number): string;
  profiles: string[];
}

function containerPorts(name: string, svc: ComposeService, env: Record<string, string>): number[] {
  const out = new Set<number>();
  for (const p of svc.ports ?? []) {
    const target = typeof p === 'string' ? Number(p.split(':').pop()) : p.target;
    if (Number.isFinite(target)) out.add(target);
  }
  for (const e of svc.expose ?? []) out.add(Number(e));
  // Ports a service listens on that only its own settings name: PostgreSQL's default, the receiver's WEBHOOK_PORT.
  if (name === 'postgresql') out.add(5432);
  if (env.WEBHOOK_PORT) out.add(Number(env.WEBHOOK_PORT));
  return [...out].sort((a, b) => a - b);
}

function imageKind(name: string, svc: ComposeService): NativeProcess['kind'] {
  const image = svc.image ?? '';
  if (image.startsWith('postgres:')) return 'postgres';
  if (image.startsWith('temporalio/admin-tools:')) return 'one-shot';
  if (image.startsWith('temporalio/server:')) return 'server';
  if (svc.build) return 'app';
  throw new Error(`docker-compose.yml service ${name}: no native equivalent of image ${image || '(none)'}`);
}

/** The server version a compose image tag pins (`temporalio/server:1.29.1` → `v1.29.1`). */
export function imageServerVersion(image: string): string {
  const tag = image.slice(image.indexOf(':') + 1);
  return `v${tag.split('-')[0]}`;
}

export function nativePlan(compose: ComposeFile, ctx: PlanContext): NativePlan {
  const profiles = (ctx.env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean);
  const services = Object.entries(compose.services).filter(
    ([name, svc]) =>
      !(name in NOT_RUN_NATIVELY) && (svc.profiles === undefined || svc.profiles.some((p) => profiles.includes(p))),
  );
  const names = new Set(Object.keys(compose.services));
  const replicas = (name: string) => (name === 'worker' ? ctx.workers : 1);
  // Host ports for each replica's container ports.
  const hostPorts = new Map<string, Record<number, number>>();
  for (const [name, svc] of services) {
    for (let i = 1; i <= replicas(name); i++) {
      const ports: Record<number, number> = {};
      for (const p of containerPorts(name, svc, envOf(svc))) ports[p] = ctx.port();
      hostPorts.set(replicas(name) > 1 ? `${name}#${i}` : name, ports);
    }
  }
  const hostPort = (service: string, port: number): number => {
    const p = hostPorts.get(service)?.[port] ?? hostPorts.get(`${service}#1`)?.[port];
    if (p === undefined) throw new Error(`docker-compose.yml: nothing serves ${service}:${port} in the native stack`);
    return p;
  };

  // Named volumes: one directory per volume for the run, shared by the replicas that mount it (as in compose).
  const volumeDir = (volume: string) => join(ctx.runDir, 'volumes', volume);
  function mounts(svc: ComposeService): { source: string; target: string }[] {
    return (svc.volumes ?? []).map((v) => {
      const [source, target] = v.split(':') as [string, string];
      return { source: source.startsWith('.') ? join(ROOT, source) : volumeDir(source), target };
    });
  }

  function localizer(self: string, svc: ComposeService) {
    const own = hostPorts.get(self) ?? {};
    const paths = mounts(svc);
    // A port-only setting names its service's port: the database's, or the receiver's own.
    const portOf: Record<string, () => number> = {
      DB_PORT: () => hostPort('postgresql', 5432),
      VISIBILITY_DB_PORT: () => hostPort('postgresql', 5432),
      SQL_PORT: () => hostPort('postgresql', 5432),
      WEBHOOK_PORT: () => own[8788]!,
    };
    return (value: string, key?: string): string => {
      if (key !== undefined && key in portOf && /^\d+$/.test(value)) return String(portOf[key]!());
      // A host setting (`POSTGRES_SEEDS: postgresql`, `SQL_HOST`) names a service; other values may equal one's name.
      if (key !== undefined && /(_HOST|_SEEDS)$/.test(key) && names.has(value)) return '127.0.0.1';
      if (value === '0.0.0.0') return '127.0.0.1';
      // A wildcard bind, or the container's own loopback (its healthchecks), is this replica's own port.
      let out = value.replace(/\b(?:0\.0\.0\.0|127\.0\.0\.1|localhost):(\d+)\b/g, (m, p: string) =>
        own[Number(p)] === undefined ? m : `127.0.0.1:${own[Number(p)]}`,
      );
      out = out.replace(/\b([a-z][a-z0-9-]*):(\d+)\b/g, (m, host: string, p: string) =>
        names.has(host) ? `127.0.0.1:${hostPort(host, Number(p))}` : m,
      );
      for (const { source, target } of paths) {
        if (out === target || out.startsWith(`${target}/`)) out = source + out.slice(target.length);
      }
      return out;
    };
  }

  const processes: NativeProcess[] = [];
  for (const [name, svc] of services) {
    const kind = imageKind(name, svc);
    const baseEnv = envOf(svc);
    for (let i = 1; i <= replicas(name); i++) {
      const self = replicas(name) > 1 ? `${name}#${i}` : name;
      const localize = localizer(self, svc);
      const env = Object.fromEntries(Object.entries(baseEnv).map(([k, v]) => [k, localize(v, k)]));
      const added: Record<string, string> = {};
      const links: NativeProcess['links'] = [];
      let argv: string[];
      let cwd = ROOT;
      // PostgreSQL keeps its data in its own temporary cluster (kit/stack/postgres.ts).
      const dirs =
        kind === 'postgres'
          ? []
          : mounts(svc)
              .filter((m) => !m.source.startsWith(ROOT))
              .map((m) => m.source);
      const toolsPath = [ctx.serverDir, join(ctx.temporalCli, '..'), ctx.pgBinDir, process.env.PATH ?? ''].join(':');
      switch (kind) {
        case 'postgres':
          argv = [];
          break;
        case 'one-shot': {
          const entry = asArgv(svc.entrypoint).map((a) => localize(a));
          argv = entry[0] === '/bin/sh' ? ['sh', ...entry.slice(1)] : entry;
          added.PATH = toolsPath;
          // The script's default schema directory is the image's; the provisioned copy has the same layout.
          added.TEMPORAL_SCHEMA_DIR = join(ctx.serverDir, 'schema', 'postgresql', 'v12');
          break;
        }
        case 'server': {
          cwd = join(ctx.runDir, 'temporal');
          links.push({
            path: join(cwd, 'config', 'docker.yaml'),
            target: join(ctx.serverDir, 'config', 'docker.yaml'),
          });
          for (const m of mounts(svc)) {
            if (!m.target.startsWith(`${SERVER_IMAGE_ROOT}/`)) continue;
            links.push({ path: join(cwd, posix.relative(SERVER_IMAGE_ROOT, m.target)), target: m.source });
          }
          argv = [
            join(ctx.serverDir, 'temporal-server'),
            '--root',
            cwd,
            '--config',
            'config',
            '--env',
            'docker',
            'start',
          ];
          Object.assign(added, serverPorts(ctx, hostPort('temporal', 7233)));
          break;
        }
        case 'app': {
          const cmd = asArgv(svc.command);
          if (cmd[0] !== 'node')
            throw new Error(`docker-compose.yml service ${name}: command is not node: ${cmd.join(' ')}`);
          // `--port N` names a port of this replica, like a wildcard bind does.
          const args = cmd
            .slice(1)
            .map((a, j, all) =>
              all[j - 1] === '--port' && hostPorts.get(self)?.[Number(a)] !== undefined
                ? String(hostPorts.get(self)![Number(a)])
                : localize(distToSource(a)),
            );
          argv = [ctx.nodePath, '--import', 'tsx', ...args];
          break;
        }
      }
      const test = svc.healthcheck ? asArgv(svc.healthcheck.test) : [];
      let health: string[] | null = null;
      if (test[0] === 'CMD') {
        health = test.slice(1).map((a) => localize(a));
        if (health[0] === 'node') health[0] = ctx.nodePath;
        if (health[0] === 'temporal') health[0] = ctx.temporalCli;
      } else if (test[0] === 'CMD-SHELL') {
        health = ['sh', '-c', test.slice(1).join(' ')];
        added.PATH ??= toolsPath;
        Object.assign(added, { PGHOST: '127.0.0.1', PGPORT: String(hostPort('postgresql', 5432)) });
      }
      const dependsOn: DependsOn = {};
      for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) {
        const running = services.some(([n]) => n === dep);
        if (!running && cond.required === false) continue;
        if (!running)
          throw new Error(`docker-compose.yml: ${name} depends on ${dep}, which the native stack does not run`);
        dependsOn[dep] = cond.condition as DependsOn[string];
      }
      processes.push({
        name: self,
        service: name,
        kind,
        argv,
        cwd,
        env: { ...baseProcessEnv(), ...env, ...added },
        added: Object.keys(added),
        health,
        dependsOn,
        ports: hostPorts.get(self) ?? {},
        dirs,
        links,
      });
    }
  }
  return {
    processes,
    address: (service, containerPort) => `127.0.0.1:${hostPort(service, containerPort)}`,
    profiles,
  };
}

/**
 * What a container's image gives every process before compose's environment: a PATH, a home, a locale. Nothing else
 * of this shell's environment reaches the services (a TEMPORAL_ADDRESS set here must not redirect them).
 */
function baseProcessEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]])));
}

/** `dist/worker/main.js` → `worker/main.ts`: the image runs the compiled sources, the native stack these sources. */
export function distToSource(arg: string): string {
  const m = /^dist\/(.+)\.js$/.exec(arg);
  return m ? `${m[1]}.ts` : arg;
}

/**
 * The server's own ports besides the frontend's gRPC port (config/docker.yaml reads them; in a container the
 * defaults cannot collide, on one machine they can): every one on a free loopback port.
 */
export function serverPorts(
  ports: Pick<PlanContext, 'port' | 'lowPort'>,
  frontendGrpc: number,
): Record<string, string> {
  const rpc = ['FRONTEND_HTTP_PORT', 'HISTORY_GRPC_PORT', 'MATCHING_GRPC_PORT', 'WORKER_GRPC_PORT'];
  const membership = ['FRONTEND', 'HISTORY', 'MATCHING', 'WORKER'].map((s) => `${s}_MEMBERSHIP_PORT`);
  return {
    BIND_ON_IP: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(frontendGrpc),
    ...Object.fromEntries(rpc.map((n) => [n, String(ports.port())])),
    ...Object.fromEntries(membership.map((n) => [n, String(ports.lowPort())])),
  };
}
