// A PostgreSQL server of its own for the native stack, from Debian's `postgresql` package: a new cluster in a
// temporary directory on a free loopback port, password-authenticated like the compose stack's postgres image
// (superuser and database named by its POSTGRES_USER, password POSTGRES_PASSWORD). The package's own cluster is never
// touched. PostgreSQL refuses to run as root, so as root the cluster runs as the package's `postgres` user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, type OutputLog } from '../reliability/processes';

export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

/** The newest server binaries Debian installed (/usr/lib/postgresql/<major>/bin), or PG_BINDIR. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BINDIR) return env.PG_BINDIR;
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => existsSync(join(base, d, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new PostgresUnavailableError(
      'PostgreSQL server binaries not found under /usr/lib/postgresql: run `bash scripts/install-system-deps.sh` ' +
        "(Debian's postgresql package) or set PG_BINDIR",
    );
  }
  return join(base, majors[0]!, 'bin');
}

/** Who runs the cluster: ourselves, or as root the `postgres` system user. */
function clusterUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PostgresUnavailableError(
      'running as root and there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses root)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface PostgresOptions {
  user: string;
  password: string;
  log: OutputLog;
  /** A port to listen on; a free one by default. */
  port?: number;
}

export interface Postgres {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** The postmaster and its backends, for CPU accounting. */
  pids(): number[];
  /** pg_isready against the server, as the compose healthcheck does. */
  ready(): boolean;
  stop(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export async function startPostgres(opts: PostgresOptions): Promise<Postgres> {
  const bin = postgresBinDir();
  const owner = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), 'airops-pg-'));
  const dataDir = join(dir, 'data');
  const pwFile = join(dir, 'pwfile');
  writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwFile, owner.uid, owner.gid);
  }
  const spawnOpts = { ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', opts.user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-instructions'],
    { ...spawnOpts, encoding: 'utf8' },
  );
  rmSync(pwFile, { force: true });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new PostgresUnavailableError(`initdb failed (exit ${init.status}): ${init.stderr.trim().slice(-500)}`);
  }
  const port = opts.port ?? (await freePort());
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`],
    { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout?.on('data', (b: Buffer) => opts.log.add('postgresql stdout', b.toString()));
  server.stderr?.on('data', (b: Buffer) => opts.log.add('postgresql stderr', b.toString()));
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  const pgEnv = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(port), PGPASSWORD: opts.password };
  const ready = () =>
    spawnSync(join(bin, 'pg_isready'), ['-U', opts.user, '-d', opts.user, '-q'], { env: pgEnv }).status === 0;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (server.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new PostgresUnavailableError(`PostgreSQL did not start on port ${port}:\n${opts.log.tail(20)}`);
    }
    await sleep(100);
  }
  // The postgres image creates a database named after POSTGRES_USER; its healthcheck connects to it.
  const created = spawnSync(join(bin, 'createdb'), ['-U', opts.user, opts.user], { env: pgEnv, encoding: 'utf8' });
  if (created.status !== 0) {
    await stop();
    throw new PostgresUnavailableError(`createdb ${opts.user} failed: ${created.stderr.trim()}`);
  }
  return {
    host: '127.0.0.1',
    port,
    user: opts.user,
    pids: () => (server.pid === undefined ? [] : [server.pid, ...childrenOf(server.pid)]),
    ready,
    stop,
  };
}
