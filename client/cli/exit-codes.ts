// The CLI's exit codes, in one place: the table in docs/cli.md#exit-codes, `airops --help` and the error classifier
// read them here.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ConfigError } from '../temporal-connection';
import { isOlostepError } from '../../olostep/errors';
import { NOT_FOUND_FAILURE_TYPES } from '../../workflows/contract';
import {
  InvalidListFilterError,
  MissingSearchAttributesError,
  TrackerNotFoundError,
  TrackerQueryTimeoutError,
  isTemporalUnavailable,
} from '../errors';

export const EXIT = {
  /** The command did what it was asked; for `watch`/`demo`/`track --watch`: the batch completed. */
  ok: 0,
  /** The batch ended `failed` (a phase failed). */
  batchFailed: 1,
  /**
   * Bad arguments or configuration: missing/unknown option, invalid batch id, bad environment variable, a namespace
   * without the tracker's search attributes.
   */
  usage: 2,
  /** No tracker for that batch (or the AirOps API does not know the batch). */
  notFound: 3,
  /** Temporal unreachable, or no answer in time (e.g. no worker polls the tracker's task queue). */
  unavailable: 4,
  /** Tracking ended without a final status: tracker cancelled, terminated, timed out, or failed (deadline, stall, API refused). */
  trackingEnded: 5,
  /** Anything else (a bug): run again with --verbose. */
  internal: 6,
  /** Interrupted by Ctrl-C (SIGINT). The tracker keeps running. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    ok; watch/demo/track --watch: the batch completed
  1    the batch failed (a phase failed)
  2    usage or configuration error (bad option, invalid batch id, bad environment variable, the namespace lacks
       the tracker's search attributes)
  3    no tracker for that batch (or the AirOps API does not know it)
  4    Temporal unreachable, or no answer in time (is a worker running?)
  5    tracking ended without a final status (cancelled, terminated, deadline, stall, API refused)
  6    unexpected error (run again with --verbose)
  130  interrupted (Ctrl-C); the tracker keeps running`;

/** A usage error found by the CLI itself (not by commander). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An error that already carries its exit code and one-line message. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    readonly code: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps any error to (exit code, one-line message). */
export function classifyError(err: unknown): { code: ExitCode; message: string } {
  const message = oneLine(err instanceof Error ? err.message : String(err));
  if (err instanceof CliExit) return { code: err.code, message };
  if (
    err instanceof UsageError ||
    err instanceof ConfigError ||
    err instanceof InvalidListFilterError ||
    err instanceof MissingSearchAttributesError
  ) {
    return { code: EXIT.usage, message };
  }
  if (isOlostepError(err) && err.name === 'InvalidBatchIdError') return { code: EXIT.usage, message };
  if (err instanceof TrackerNotFoundError || err instanceof WorkflowNotFoundError) {
    return { code: EXIT.notFound, message };
  }
  if (err instanceof TrackerQueryTimeoutError) return { code: EXIT.unavailable, message };
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? cause.type : null;
    const detail = oneLine(cause?.message ?? err.message);
    if (type !== null && type !== undefined && NOT_FOUND_FAILURE_TYPES.includes(type)) {
      return { code: EXIT.notFound, message: `tracking failed: ${type}: ${detail}` };
    }
    return { code: EXIT.trackingEnded, message: `tracking failed: ${type ? `${type}: ` : ''}${detail}` };
  }
  if (isTemporalUnavailable(err)) return { code: EXIT.unavailable, message: `Temporal unreachable: ${message}` };
  return { code: EXIT.internal, message };
}

/** Collapses whitespace (incl. newlines) so every error is one line; caps the length. */
export function oneLine(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The error, its causes and stacks, for --verbose. */
export function verboseError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    parts.push(depth === 0 ? '' : 'caused by:');
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : JSON.stringify(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.filter(Boolean).join('\n');
}
