// Structured logs for the worker: one JSON object per line ({time, level, msg, ...meta}), the format log shippers
// parse without configuration. Every line passes through a redactor holding the process's secrets, so an API key
// that slipped into an error message or metadata still never reaches the output.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

export type LineWriter = (line: string) => void;

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** Replaces every occurrence of each secret (≥ 4 characters) with `[redacted]`. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => list.reduce((t, s) => t.split(s).join('[redacted]'), text);
}

/** Formats one SDK log entry as a JSON line. */
export function jsonLine(entry: LogEntry): string {
  const { message, level, timestampNanos, meta } = entry;
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level, msg: message, ...(meta ?? {}) }, replacer);
}

/** Formats one SDK log entry as a human-readable line (LOG_FORMAT=text). */
export function textLine(entry: LogEntry): string {
  const { message, level, timestampNanos, meta } = entry;
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const rest = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta, replacer)}` : '';
  return `${time} ${level.padEnd(5)} ${message}${rest}`;
}

/**
 * A Temporal SDK logger (use it as `Runtime.install({ logger })`, and for the process's own messages) that writes
 * structured lines through `write`, with `secrets` redacted.
 */
export function createLogger(options: {
  level: LogLevel;
  format?: 'json' | 'text';
  secrets?: readonly (string | undefined)[];
  write?: LineWriter;
}): DefaultLogger {
  const redact = redactor(options.secrets ?? []);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const format = options.format === 'text' ? textLine : jsonLine;
  return new DefaultLogger(options.level, (entry) => write(redact(format(entry))));
}
