// Structured logs for the worker: one JSON object per line ({time, level, msg, ...meta}), the format log shippers
// parse without configuration. Every line passes through a redactor holding the process's secrets, so an API key
// that slipped into an error message or metadata still never reaches the output. installWorkerRuntime (below)
// installs the Temporal runtime with this logger and watches its stream for failed workflow tasks.
import type { LogMetadata, Logger } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker, type LogEntry, type LogLevel, type WorkerOptions } from '@temporalio/worker';

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

// ---------------------------------------------------------------------------------------------------------------
// Workflow task failures: never silent. A workflow task that fails (the workflow code threw an error that is not a
// Temporal failure, a non-determinism error after a deploy, or the server refused the task's commands, e.g.
// BadSearchAttributes) is retried by Temporal indefinitely while the workflow looks "Running". The SDK says so in a
// Core WARN line, and only for the first failed attempt (later attempts of the same task fail without a word), so
// the worker watches two places: each eviction of a workflow whose activation failed (every attempt: the workflow
// code threw, or non-determinism), seen by TaskFailureWatchedWorker, and Core's line for a completed task the server
// refused (BadSearchAttributes, ...). Each failure becomes one ERROR line naming the workflow and the failure type,
// is counted, and is exported as a metric.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The Core log filter of the worker's runtime: Core's warnings and errors, plus the fields of the span in which a
 * workflow activation completes (run id, workflow id, task queue), which Core's failure lines then carry.
 */
export const WORKER_CORE_LOG_FILTER =
  'ERROR,temporalio_sdk_core=WARN,temporalio_client=WARN,temporalio_common=WARN,' +
  'temporalio_sdk_core[complete_workflow_activation]=INFO';

/** The message of the worker's ERROR line for a failed workflow task. */
export const WORKFLOW_TASK_FAILED_MESSAGE = 'workflow task failed';

/** The metric counting failed workflow tasks (label `failure_type`), served with the runtime's metrics. */
export const WORKFLOW_TASK_FAILURE_METRIC = 'airops_workflow_task_failures';

/** One failed workflow task, as the worker logs it. */
export interface WorkflowTaskFailure {
  workflowId: string | null;
  runId: string | null;
  taskQueue: string | null;
  /**
   * `NonDeterminismError` and `WorkflowError` (the workflow code threw), named as the SDK's
   * `temporal_workflow_task_execution_failed{failure_reason}` names them; or the server's reason for refusing the
   * completed task, e.g. `BadSearchAttributes`; `CompletionFailed` when the server gave none.
   */
  failureType: string;
  /** The thrown error's class for a `WorkflowError`, e.g. `TypeError`; null otherwise. */
  errorType: string | null;
  /** The failure's message. */
  message: string;
}

/** Counts of failed workflow tasks since the worker started, in total and by failure type. */
export interface WorkflowTaskFailureCounts {
  total: number;
  byType: Record<string, number>;
}

/** RemoveFromCache.EvictionReason (coresdk workflow_activation) of an activation that failed. */
const EVICTED_NONDETERMINISM = 3;
const EVICTED_LANG_FAIL = 4;

/** Core's lines for a failed workflow task (forwarded by the runtime with `sdkComponent: 'core'`). */
const CORE_TASK_FAILED = 'Failing workflow task';
const CORE_NONDETERMINISM_FAILS_WORKFLOW = 'Failing workflow due to nondeterminism error';
const CORE_COMPLETION_REJECTED = 'Error while completing workflow activation';

function field(meta: Record<string, unknown>, ...names: string[]): string | null {
  for (const n of names) {
    const v = meta[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** The first `message: "…"` of a Rust debug string, unescaped. */
function quotedMessage(text: string): string | null {
  const m = /message: "((?:[^"\\]|\\.)*)"/.exec(text);
  if (!m) return null;
  return m[1]!.replace(/\\n/g, ' ').replace(/\\(.)/g, '$1');
}

/** Failure type, error class and message of a failed activation, from Core's debug rendering of the failure. */
function classifyActivationFailure(
  failure: string,
  nondeterministic: boolean,
): Pick<WorkflowTaskFailure, 'failureType' | 'errorType' | 'message'> {
  const text = quotedMessage(failure) ?? failure.slice(0, 300);
  const nondeterminism = nondeterministic || /force_cause: NonDeterministicError|nondetermin|TMPRL1100/i.test(failure);
  const errorType = nondeterminism
    ? null
    : (/\\n\\n([A-Za-z_$][\w$]*): /.exec(failure)?.[1] ??
      /^([A-Z][\w$]*(?:Error|Exception)): /.exec(text)?.[1] ??
      null);
  return { failureType: nondeterminism ? 'NonDeterminismError' : 'WorkflowError', errorType, message: text };
}

/** Classifies one of Core's failure lines; null for any other log entry. */
export function workflowTaskFailureOf(message: string, meta: Record<string, unknown>): WorkflowTaskFailure | null {
  if (meta.sdkComponent !== 'core') return null;
  const ids = {
    workflowId: field(meta, 'workflowId', 'workflow_id'),
    runId: field(meta, 'runId', 'run_id'),
    taskQueue: field(meta, 'taskQueue', 'task_queue'),
  };
  if (message === CORE_TASK_FAILED || message === CORE_NONDETERMINISM_FAILS_WORKFLOW) {
    return {
      ...ids,
      ...classifyActivationFailure(field(meta, 'failure') ?? '', message === CORE_NONDETERMINISM_FAILS_WORKFLOW),
    };
  }
  if (message === CORE_COMPLETION_REJECTED) {
    const error = field(meta, 'error') ?? '';
    const text = quotedMessage(error) ?? error.slice(0, 300);
    const cause = /^([A-Z][A-Za-z]+): /.exec(text)?.[1];
    return { ...ids, failureType: cause ?? 'CompletionFailed', errorType: null, message: text };
  }
  return null;
}

/** Minimal view of a metric meter: the runtime's `metricMeter` fits. */
interface CounterMeter {
  createCounter(
    name: string,
    unit?: string,
    description?: string,
  ): { add(value: number, tags?: Record<string, string>): void };
}

/**
 * Watches for failed workflow tasks: wraps the logger given to `Runtime.install` (Core's line for a task the server
 * refused) and hears the evictions of TaskFailureWatchedWorker (an activation that failed: every attempt). Each
 * failure becomes one ERROR line (`workflow task failed`, with workflowId, runId, taskQueue, failureType,
 * errorType, error) and is counted.
 */
export class WorkflowTaskFailureWatch {
  readonly logger: Logger;
  private readonly counts: WorkflowTaskFailureCounts = { total: 0, byType: {} };
  private counter: { add(value: number, tags?: Record<string, string>): void } | null = null;
  private readonly listeners: ((f: WorkflowTaskFailure) => void)[] = [];
  private watchedWorkers = 0;

  constructor(private readonly downstream: Logger) {
    const log = (level: LogLevel, message: string, meta?: LogMetadata) => this.log(level, message, meta);
    this.logger = {
      log,
      trace: (m, meta) => log('TRACE', m, meta),
      debug: (m, meta) => log('DEBUG', m, meta),
      info: (m, meta) => log('INFO', m, meta),
      warn: (m, meta) => log('WARN', m, meta),
      error: (m, meta) => log('ERROR', m, meta),
    };
  }

  /** Also counts into the runtime's metrics (`airops_workflow_task_failures{failure_type}`). */
  attachMeter(meter: CounterMeter): void {
    this.counter = meter.createCounter(
      WORKFLOW_TASK_FAILURE_METRIC,
      '1',
      'Failed workflow tasks seen by this worker, by failure type (workflow code error, non-determinism, refused by the server)',
    );
  }

  /** Calls `listener` for every failed workflow task (tests, alerts). */
  onFailure(listener: (f: WorkflowTaskFailure) => void): void {
    this.listeners.push(listener);
  }

  /** Failed workflow tasks so far. */
  failures(): WorkflowTaskFailureCounts {
    return { total: this.counts.total, byType: { ...this.counts.byType } };
  }

  /** A TaskFailureWatchedWorker reports its evictions here: failed activations are counted from them from now on. */
  workerAttached(): void {
    this.watchedWorkers++;
  }

  /** An eviction of a cached workflow; those of a failed activation (code error, non-determinism) are failures. */
  evicted(
    workflow: { workflowId?: string; runId?: string; taskQueue?: string } | undefined,
    runId: string,
    evict: { reason?: number | null; message?: string | null },
  ): void {
    if (evict.reason !== EVICTED_LANG_FAIL && evict.reason !== EVICTED_NONDETERMINISM) return;
    const message = evict.message ?? '';
    this.report(
      {
        workflowId: workflow?.workflowId ?? null,
        runId,
        taskQueue: workflow?.taskQueue ?? null,
        ...classifyActivationFailure(message, evict.reason === EVICTED_NONDETERMINISM),
      },
      {},
      message,
    );
  }

  private log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const failure = meta && (level === 'WARN' || level === 'ERROR') ? workflowTaskFailureOf(message, meta) : null;
    if (failure === null) {
      this.downstream.log(level, message, meta);
      return;
    }
    if (message !== CORE_COMPLETION_REJECTED && this.watchedWorkers > 0) {
      // A failed activation: the worker's eviction of that workflow already reported it (Core says it for the first
      // attempt only). Kept, one level down, for whoever debugs the SDK.
      this.downstream.log('DEBUG', message, meta);
      return;
    }
    this.report(
      failure,
      { ...meta, failure: undefined, completion: undefined, spanContexts: undefined, coreMessage: message },
      field(meta!, 'failure', 'error'),
    );
  }

  private report(failure: WorkflowTaskFailure, meta: LogMetadata, detail: string | null): void {
    this.counts.total++;
    this.counts.byType[failure.failureType] = (this.counts.byType[failure.failureType] ?? 0) + 1;
    this.counter?.add(1, { failure_type: failure.failureType });
    this.downstream.log('ERROR', WORKFLOW_TASK_FAILED_MESSAGE, {
      ...meta,
      workflowId: failure.workflowId,
      runId: failure.runId,
      taskQueue: failure.taskQueue,
      failureType: failure.failureType,
      ...(failure.errorType ? { errorType: failure.errorType } : {}),
      error: failure.message.slice(0, 500),
      failuresSoFar: this.counts.total,
      ...(detail ? { detail: detail.slice(0, 2_000) } : {}),
    });
    for (const l of this.listeners) l(failure);
  }
}

/** The watch of the installed runtime (installWorkerRuntime); null when the runtime was installed otherwise. */
let installedWatch: WorkflowTaskFailureWatch | null = null;

/**
 * The SDK's Worker, telling the installed runtime's WorkflowTaskFailureWatch about every eviction (the only place
 * where each failed attempt of a workflow task shows, with the workflow's id). createTrackerWorker builds this one.
 */
export class TaskFailureWatchedWorker extends Worker {
  static override async create(options: WorkerOptions): Promise<Worker> {
    const worker = await super.create(options);
    installedWatch?.workerAttached();
    return worker;
  }

  protected override handleActivation(
    ...args: Parameters<Worker['handleActivation']>
  ): ReturnType<Worker['handleActivation']> {
    const [workflow, { activation }] = args;
    const evict = installedWatch ? activation.jobs?.find((j) => j.removeFromCache)?.removeFromCache : undefined;
    if (evict) installedWatch!.evicted(workflow?.logAttributes, activation.runId, evict);
    return super.handleActivation(...args);
  }
}

export interface WorkerRuntimeOptions {
  /** The process's logger (createLogger): the runtime's, Core's and the workflows' lines go through it. */
  logger: Logger;
  /** Prometheus scrape endpoint (host:port) for the runtime's metrics; off when unset. */
  metricsAddress?: string;
  /** Signals on which the runtime shuts its workers down (default none). */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * Installs the Temporal runtime as the worker runs it (worker/main.ts, the demo): Core's logs forwarded to `logger`,
 * failed workflow tasks logged at ERROR and counted, metrics on `metricsAddress`. Returns the watch with the counts.
 */
export function installWorkerRuntime(options: WorkerRuntimeOptions): {
  runtime: Runtime;
  taskFailures: WorkflowTaskFailureWatch;
} {
  const taskFailures = new WorkflowTaskFailureWatch(options.logger);
  const runtime = Runtime.install({
    logger: taskFailures.logger,
    shutdownSignals: options.shutdownSignals ?? [],
    telemetryOptions: {
      // Core (Rust) logs go through the same logger instead of straight to the console.
      logging: { filter: WORKER_CORE_LOG_FILTER, forward: {} },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
    },
  });
  taskFailures.attachMeter(runtime.metricMeter);
  installedWatch = taskFailures;
  return { runtime, taskFailures };
}
