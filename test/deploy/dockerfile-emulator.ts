// Performs a Dockerfile's build outside Docker, the way BuildKit would on this machine's platform: each stage gets a
// directory standing for its WORKDIR, COPY copies from the build context (honouring .dockerignore) or from an
// earlier stage, RUN runs in that directory through `sh -c`, independent stages run concurrently, and the last stage
// is the image: its directory, ENV, USER, CMD and HEALTHCHECK. Only what this repo's Dockerfile uses is supported,
// and anything else is an error, so the emulation cannot drift silently from the file.
//
// One deliberate difference: there is no `node` user here, so `chown` in a RUN line goes to a stand-in that only
// checks its operand exists (ownership inside the image is what the Dockerfile says; the test asserts USER node).
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { execForm, parseDockerfile, type Instruction } from './helpers';

export interface RunRecord {
  stage: string;
  command: string;
  ms: number;
}

export interface BuiltStage {
  name: string;
  base: string;
  dir: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  entrypoint: string[] | undefined;
  healthcheck: { options: string; test: string[] } | undefined;
  expose: string[];
}

export interface BuildResult {
  image: BuiltStage;
  stages: Map<string, BuiltStage>;
  runs: RunRecord[];
  copiedFromContext: string[];
}

/** .dockerignore rules (Go filepath.Match per pattern, `**` for any depth, `!` re-includes; the last match wins). */
export function dockerignore(contextDir: string): (relPath: string) => boolean {
  const file = join(contextDir, '.dockerignore');
  const rules = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => {
          const negate = l.startsWith('!');
          const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
          const re = pattern
            .split('/')
            .map((seg) =>
              seg === '**'
                ? '.*'
                : seg
                    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                    .replace(/\*/g, '[^/]*')
                    .replace(/\?/g, '[^/]'),
            )
            .join('/');
          return { negate, re: new RegExp(`^${re}$`) };
        })
    : [];
  return (relPath) => {
    // A path is excluded when it, or a directory above it, matches (the last matching rule decides).
    const parts = relPath.split('/');
    let excluded = false;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      for (const r of rules) if (r.re.test(prefix)) excluded = !r.negate;
    }
    return excluded;
  };
}

function copyFiltered(src: string, dst: string, relFromContext: string | null, ignored: (p: string) => boolean) {
  const st = statSync(src);
  if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) {
      const rel = relFromContext === null ? null : posix.join(relFromContext, name);
      if (rel !== null && ignored(rel)) continue;
      copyFiltered(join(src, name), join(dst, name), rel, ignored);
    }
  } else {
    mkdirSync(dirname(dst), { recursive: true });
    cpSync(src, dst);
  }
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string, b: string) => vars[a ?? b] ?? m);
}

function parseFlags(args: string): { flags: Record<string, string>; rest: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = words.shift()!.slice(2).split('=') as [string, string | undefined];
    flags[k] = v ?? 'true';
  }
  return { flags, rest: words };
}

function parseEnvArgs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`RUN ${command}\nexited ${code}:\n${out.slice(-4000)}`)),
    );
  });
}

export interface BuildOptions {
  contextDir: string;
  dockerfile: string;
  /** Where stage directories go (one subdirectory per stage). */
  outDir: string;
  /** The environment RUN lines see, beneath the stage's ENV (PATH, HOME, npm's cache settings). */
  runEnv: NodeJS.ProcessEnv;
  /** Overrides of ARG defaults (`--build-arg`). */
  buildArgs?: Record<string, string>;
}

export async function buildDockerfile(opts: BuildOptions): Promise<BuildResult> {
  const instructions = parseDockerfile(readFileSync(opts.dockerfile, 'utf8'));
  const ignored = dockerignore(opts.contextDir);
  const args: Record<string, string> = {};
  const stageInstructions: { from: Instruction; body: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') stageInstructions.push({ from: ins, body: [] });
    else if (stageInstructions.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: only ARG may precede FROM`);
      const [k, v] = ins.args.split('=') as [string, string | undefined];
      args[k] = opts.buildArgs?.[k] ?? v ?? '';
    } else stageInstructions.at(-1)!.body.push(ins);
  }

  // chown stand-in: there is no `node` user outside the image.
  const shimDir = join(opts.outDir, '.shims');
  mkdirSync(shimDir, { recursive: true });
  writeFileSync(join(shimDir, 'chown'), '#!/bin/sh\nshift\nfor p in "$@"; do [ -e "$p" ] || exit 1; done\n');
  chmodSync(join(shimDir, 'chown'), 0o755);

  const stages = new Map<string, BuiltStage>();
  const done = new Map<string, Promise<BuiltStage>>();
  const runs: RunRecord[] = [];
  const copiedFromContext: string[] = [];

  const buildStage = async ({ from, body }: { from: Instruction; body: Instruction[] }, index: number) => {
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(from.args);
    if (!m) throw new Error(`line ${from.line}: FROM ${from.args}`);
    const base = substitute(m[1]!, args);
    const name = m[2] ?? String(index);
    const stage: BuiltStage = {
      name,
      base,
      dir: join(opts.outDir, name),
      workdir: '/',
      env: {},
      user: undefined,
      cmd: undefined,
      entrypoint: undefined,
      healthcheck: undefined,
      expose: [],
    };
    if (done.has(base)) {
      const parent = await done.get(base)!;
      cpSync(parent.dir, stage.dir, { recursive: true });
      Object.assign(stage, { ...parent, name, base, dir: stage.dir });
    } else mkdirSync(stage.dir, { recursive: true });
    const inStage = (p: string) => {
      const abs = posix.resolve(stage.workdir, p);
      if (abs !== '/app' && !abs.startsWith('/app/')) throw new Error(`${name}: ${p} is outside /app, not emulated`);
      return join(stage.dir, posix.relative('/app', abs));
    };
    for (const ins of body) {
      // Docker substitutes variables in most instructions itself; RUN lines are left to the shell.
      const text = ins.keyword === 'RUN' ? ins.args : substitute(ins.args, { ...args, ...stage.env });
      switch (ins.keyword) {
        case 'WORKDIR':
          if (posix.resolve(stage.workdir, text) !== '/app') throw new Error(`${name}: only WORKDIR /app is emulated`);
          stage.workdir = '/app';
          break;
        case 'ARG':
          break;
        case 'ENV':
          Object.assign(stage.env, parseEnvArgs(text));
          break;
        case 'COPY': {
          const { flags, rest } = parseFlags(text);
          const dest = rest.pop()!;
          if (rest.length === 0) throw new Error(`line ${ins.line}: COPY without a source`);
          const toDir = dest.endsWith('/') || rest.length > 1;
          for (const src of rest) {
            let from: string;
            let rel: string | null = null;
            if (flags.from) {
              const other = await done.get(flags.from);
              if (!other) throw new Error(`line ${ins.line}: no stage ${flags.from}`);
              if (!src.startsWith('/app/')) throw new Error(`line ${ins.line}: --from source must be under /app`);
              from = join(other.dir, posix.relative('/app', src));
            } else {
              rel = posix.normalize(src).replace(/\/$/, '');
              if (ignored(rel)) throw new Error(`line ${ins.line}: ${src} is excluded by .dockerignore`);
              from = join(opts.contextDir, rel);
              copiedFromContext.push(rel);
            }
            if (!existsSync(from)) throw new Error(`line ${ins.line}: ${src} does not exist`);
            const target = toDir ? join(inStage(dest), posix.basename(src)) : inStage(dest);
            copyFiltered(from, target, rel, ignored);
          }
          break;
        }
        case 'RUN': {
          const started = Date.now();
          await sh(text, stage.dir, {
            ...opts.runEnv,
            ...stage.env,
            PATH: `${shimDir}:${opts.runEnv.PATH ?? ''}`,
          });
          runs.push({ stage: name, command: text, ms: Date.now() - started });
          break;
        }
        case 'USER':
          stage.user = text;
          break;
        case 'EXPOSE':
          stage.expose.push(...text.split(/\s+/));
          break;
        case 'CMD':
          stage.cmd = execForm(text);
          break;
        case 'ENTRYPOINT':
          stage.entrypoint = execForm(text);
          break;
        case 'HEALTHCHECK': {
          const at = text.indexOf('CMD ');
          stage.healthcheck = { options: text.slice(0, at).trim(), test: execForm(text.slice(at + 4)) };
          break;
        }
        default:
          throw new Error(`line ${ins.line}: ${ins.keyword} is not emulated`);
      }
    }
    stages.set(name, stage);
    return stage;
  };

  // Every stage starts at once and waits only for the stages it copies from, as BuildKit schedules them.
  stageInstructions.forEach((s, i) => {
    const name = /\s+AS\s+(\S+)$/i.exec(s.from.args)?.[1] ?? String(i);
    const deps = s.body
      .filter((b) => b.keyword === 'COPY')
      .map((b) => parseFlags(b.args).flags.from)
      .filter((f): f is string => f !== undefined);
    const ready = Promise.all(deps.map((d) => done.get(d) ?? Promise.reject(new Error(`unknown stage ${d}`))));
    done.set(
      name,
      ready.then(() => buildStage(s, i)),
    );
  });
  const all = await Promise.all([...done.values()]);
  return { image: all.at(-1)!, stages, runs, copiedFromContext };
}

/** Bytes under a directory (the image's own layers, without the base image). */
export function diskUsage(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    total += st.isDirectory() ? diskUsage(p) : st.size;
  }
  return total;
}

export function relativeTo(root: string, p: string): string {
  return relative(root, p).split('\\').join('/');
}
