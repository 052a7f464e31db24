// Shared by the test/deploy suites: docker-compose.yml as Compose reads it (kit/stack/compose.ts), the env template,
// the Dockerfile's instructions, and child-process plumbing.
// No Docker engine runs here, so these read the files the way Compose and BuildKit would.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const DOCKERFILE = join(ROOT, 'Dockerfile');

export {
  COMPOSE_FILE,
  ENV_TEMPLATE,
  InterpolationError,
  asArgv,
  envOf,
  forEachString,
  interpolate,
  loadCompose,
  loadComposeRaw,
  parseEnvFile,
  uncommentBlock,
  variablesIn,
  type ComposeFile,
  type ComposeService,
} from '../../kit/stack/compose';
import { ENV_TEMPLATE, parseEnvFile } from '../../kit/stack/compose';

/** The env template with every secret filled in, as a user would after `cp deploy/airops.env.example .env`. */
export function filledTemplate(
  extra: Record<string, string> = {},
  text = readFileSync(ENV_TEMPLATE, 'utf8'),
): Record<string, string> {
  return {
    ...parseEnvFile(text),
    OLOSTEP_API_KEY: 'sk_live_example_0123456789',
    WEBHOOK_SECRET: 'whsec0123456789abcdef0123456789abcdef',
    POSTGRES_PASSWORD: 'pg-example-password',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions in order, continuation lines joined, comments and the parser directive dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${line}`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// processes
// ---------------------------------------------------------------------------------------------------------------

export { freePort } from '../../kit/reliability/processes';

export interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Spawns a process, collecting stdout+stderr; resolves once a line matches `ready` (rejects if it exits first). */
export function startProcess(
  argv: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number; name: string },
): Promise<Child> {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const child: Child = { proc, output: () => out, exited };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${opts.name} not ready within ${opts.timeoutMs ?? 90_000} ms:\n${out.slice(-3000)}`));
    }, opts.timeoutMs ?? 90_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (opts.ready.test(out)) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with ${code} before it was ready:\n${out.slice(-3000)}`));
    });
  });
}

export async function stopProcess(child: Child | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 30_000);
  await child.exited;
  clearTimeout(timer);
}
