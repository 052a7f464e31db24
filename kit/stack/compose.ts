// docker-compose.yml as Compose reads it: YAML with merge keys, then variable interpolation from an env file. Shared
// by the compose file's tests (test/deploy) and the native stack (kit/stack/native-plan.ts), which runs the file's
// services as local processes; so the file is the one source of both.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(__dirname, '..', '..');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const ENV_TEMPLATE = join(ROOT, 'deploy', 'airops.env.example');

// ---------------------------------------------------------------------------------------------------------------
// env files and interpolation (Compose Specification, "Interpolation")
// ---------------------------------------------------------------------------------------------------------------

/** KEY=VALUE lines; `#` comments and blank lines skipped; the last assignment of a key wins. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not an env assignment: ${line}`);
    let value = line.slice(eq + 1).trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/** The template with its commented-out block of `KEY=VALUE` lines after `marker` switched on. */
export function uncommentBlock(text: string, marker: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes(marker));
  if (at < 0) throw new Error(`no line mentions ${marker}`);
  for (let i = at + 1; i < lines.length; i++) {
    const m = /^#\s*([A-Z][A-Z0-9_]*=.*)$/.exec(lines[i]!);
    if (m) lines[i] = m[1]!;
    else if (!lines[i]!.startsWith('#')) break;
  }
  return lines.join('\n');
}

export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
}

const VAR = /\$(\$)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation of one string: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}. */
export function interpolate(value: string, env: Record<string, string | undefined>, where = ''): string {
  return value.replace(VAR, (_m, dollar: string, name: string, op: string, arg: string, bare: string) => {
    if (dollar) return '$';
    const key = name ?? bare;
    const v = env[key];
    const unset = v === undefined;
    const empty = unset || v === '';
    switch (op) {
      case undefined:
        return v ?? '';
      case ':-':
        return empty ? arg : v;
      case '-':
        return unset ? arg : v;
      case ':?':
      case '?':
        if (op === ':?' ? empty : unset) {
          throw new InterpolationError(`${where}: required variable ${key} is missing a value: ${arg}`);
        }
        return v!;
      case ':+':
        return empty ? '' : arg;
      case '+':
        return unset ? '' : arg;
      default:
        throw new InterpolationError(`${where}: unsupported operator ${op}`);
    }
  });
}

/** Every variable a string refers to, with how (`required` for :? and ?). */
export function variablesIn(value: string): { name: string; required: boolean; hasDefault: boolean }[] {
  const out: { name: string; required: boolean; hasDefault: boolean }[] = [];
  for (const m of value.matchAll(VAR)) {
    if (m[1]) continue;
    const name = (m[2] ?? m[5])!;
    out.push({ name, required: m[3] === ':?' || m[3] === '?', hasDefault: m[3] === ':-' || m[3] === '-' });
  }
  return out;
}

function mapStrings(node: unknown, fn: (s: string, path: string) => string, path = ''): unknown {
  if (typeof node === 'string') return fn(node, path);
  if (Array.isArray(node)) return node.map((v, i) => mapStrings(v, fn, `${path}[${i}]`));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapStrings(v, fn, path ? `${path}.${k}` : k)]));
  }
  return node;
}

export function forEachString(node: unknown, fn: (s: string, path: string) => void): void {
  mapStrings(node, (s, p) => (fn(s, p), s));
}

export type ComposeFile = {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
};

export type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  env_file?: unknown;
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  expose?: (string | number)[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number };
  profiles?: string[];
  volumes?: string[];
  container_name?: string;
  restart?: string;
  deploy?: { replicas?: number };
  [key: string]: unknown;
};

/** docker-compose.yml as YAML (anchors and `<<` merge keys resolved), before interpolation. */
export function loadComposeRaw(): ComposeFile {
  return parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** docker-compose.yml as Compose sees it with `env` as its `.env`: interpolated, `x-` extensions still present. */
export function loadCompose(env: Record<string, string | undefined>): ComposeFile {
  return mapStrings(loadComposeRaw(), (s, path) => interpolate(s, env, path)) as ComposeFile;
}

export function asArgv(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean);
}

/** A service's `environment` as strings (Compose passes numbers and booleans as their text). */
export function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
}
