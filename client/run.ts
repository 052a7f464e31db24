// Starting runAirOpsBatch from a file of URLs, watching it and fetching its results: the library behind the CLI's
// `run` command, usable from any service. The request is validated here (zod, the API's own limits) before
// Temporal is contacted; the workflow checks it again (zod-free) before any API call.
import { createHash } from 'node:crypto';
import { copyFile, readFile, rename, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ValidationError } from '../olostep/errors';
import { type CreateBatchRequestInput, validateCreateRequest } from '../olostep/schemas';
import {
  DEFAULT_TASK_QUEUE,
  RUN_WORKFLOW_TYPE,
  getProgress,
  getRunStatus,
  runWorkflowId,
  searchAttributes,
  type BatchProgress,
  type RunOptions,
  type RunResult,
  type RunStatus,
} from '../workflows/contract';
import type { runAirOpsBatch as runWorkflow } from '../workflows/run-airops-batch';
import { assertSearchAttributes } from './search-attributes';

export type RunHandle = WorkflowHandle<typeof runWorkflow>;
export type StartedRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof runWorkflow>;

/**
 * Largest workflow input accepted for a run, in bytes of JSON. Temporal refuses payloads over 2 MiB (the server's
 * blob size limit); a 10,000-URL request with typical URLs is 0.6–1.2 MB.
 */
export const MAX_RUN_INPUT_BYTES = 2_000_000;

/** A problem with the URL list or the request built from it; `problems` say where, with the file's line numbers. */
export class RunInputError extends Error {
  declare readonly name: 'RunInputError';
  readonly problems: { path: string; line: number | null; message: string }[];
  constructor(message: string, problems: RunInputError['problems'] = []) {
    super(message);
    this.problems = problems;
  }
}
Object.defineProperty(RunInputError.prototype, 'name', { value: 'RunInputError', enumerable: false });

export type UrlListFormat = 'txt' | 'csv';

export interface ParsedUrlList {
  format: UrlListFormat;
  items: { url: string; custom_id: string }[];
  /** 1-based source line of each item (for messages: `items[3]` is `lines[3]`). */
  lines: number[];
}

/** `csv` for `.csv` files, `txt` otherwise. */
export function urlListFormatOf(filename: string): UrlListFormat {
  return extname(filename).toLowerCase() === '.csv' ? 'csv' : 'txt';
}

/**
 * Parses a URL list into create-request items with `custom_id`s.
 *
 * - `txt`: one URL per line; blank lines and lines starting with `#` are skipped; `custom_id` is `line-<n>`.
 * - `csv` (RFC 4180: quotes, `""`, CRLF): with a header row naming a `url` column (and optionally `custom_id` or
 *   `id`), those columns; without one, column 1 is the URL and column 2, when present, the `custom_id`. Rows
 *   without an id get `line-<n>`.
 *
 * URLs are trimmed but not otherwise checked here: `buildRunRequest` validates the whole request.
 * @throws RunInputError when the list has no URL at all or a CSV quote is left open.
 */
export function parseUrlList(text: string, format: UrlListFormat = 'txt'): ParsedUrlList {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const items: ParsedUrlList['items'] = [];
  const lines: number[] = [];
  if (format === 'txt') {
    body.split(/\r\n|\n|\r/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      items.push({ url: line, custom_id: `line-${i + 1}` });
      lines.push(i + 1);
    });
  } else {
    const rows = parseCsv(body);
    const first = rows[0];
    const header = first?.cells.map((c) => c.trim().toLowerCase());
    const urlColumn = header?.indexOf('url') ?? -1;
    const hasHeader = urlColumn !== -1;
    const idColumn = hasHeader ? (header ?? []).findIndex((h) => h === 'custom_id' || h === 'id') : 1;
    for (const row of hasHeader ? rows.slice(1) : rows) {
      const url = (row.cells[hasHeader ? urlColumn : 0] ?? '').trim();
      if (url === '' && row.cells.every((c) => c.trim() === '')) continue;
      if (!hasHeader && url.startsWith('#')) continue;
      const id = idColumn === -1 ? '' : (row.cells[idColumn] ?? '').trim();
      items.push({ url, custom_id: id === '' ? `line-${row.line}` : id });
      lines.push(row.line);
    }
  }
  if (items.length === 0) throw new RunInputError(`the ${format} list has no URLs`);
  return { format, items, lines };
}

/** RFC 4180 records with the line each starts on. */
function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += ch;
    i++;
  }
  if (quoted) throw new RunInputError(`line ${rowLine}: a quoted CSV field is never closed`);
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

/** Reads and parses a `.txt` or `.csv` URL list (format from the extension unless given). */
export async function readUrlList(path: string, format: UrlListFormat = urlListFormatOf(path)): Promise<ParsedUrlList> {
  return parseUrlList(await readFile(path, 'utf8'), format);
}

export interface RunRequestOptions {
  brands?: string[];
  /** `RANDOM` (API default) or an ISO 3166-1 alpha-2 code. */
  country?: string;
  metadata?: Record<string, string | number | boolean>;
}

/**
 * The create request for `list`, validated against every documented limit (10,000 URLs, URL syntax, custom_id
 * length and uniqueness, brands, country, metadata). Problems name the item and its line:
 * `items[3].url (line 5): "notaurl" is not a valid URL (cannot be parsed)`.
 * @throws RunInputError
 */
export function buildRunRequest(list: ParsedUrlList, options: RunRequestOptions = {}): CreateBatchRequestInput {
  const request: CreateBatchRequestInput = {
    items: list.items,
    ...(options.brands !== undefined && options.brands.length > 0 ? { brands: options.brands } : {}),
    ...(options.country !== undefined ? { country: options.country } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  };
  try {
    validateCreateRequest(request);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const problems = err.details.map((d) => {
      const index = /^items\[(\d+)\]/.exec(d.path)?.[1];
      const line = index === undefined ? null : (list.lines[Number(index)] ?? null);
      return { path: d.path, line, message: d.message };
    });
    const shown = problems
      .slice(0, 3)
      .map((p) => `${p.path}${p.line !== null ? ` (line ${p.line})` : ''}: ${p.message}`)
      .join('; ');
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
    throw new RunInputError(
      `invalid create request (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${shown}${more}`,
      problems,
    );
  }
  return request;
}

/** A stable key for a request's content: the same URLs, ids, brands, country and metadata give the same run id. */
export function runKeyOf(request: CreateBatchRequestInput): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 24);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface StartRunOptions extends RunOptions {
  /** Default `airops-batches`. */
  taskQueue?: string;
  /**
   * Names the run: workflow id `airops-run-<runKey>`. Default `runKeyOf(request)`, so starting the same request
   * again while it runs returns the running one (USE_EXISTING); once it has closed, the same key starts a new run,
   * which creates a new batch.
   */
  runKey?: string;
}

/**
 * Starts runAirOpsBatch for `request`, or returns the run already going under the same run key.
 * @throws ValidationError (olostep) before contacting Temporal when the request breaks a documented limit;
 *   RunInputError when its JSON exceeds MAX_RUN_INPUT_BYTES; MissingSearchAttributesError when the namespace lacks
 *   the tracker's search attributes (or has one with another type), checked once per client and namespace.
 */
export async function startRun(
  client: Client,
  request: CreateBatchRequestInput,
  options: StartRunOptions = {},
): Promise<StartedRunHandle> {
  validateCreateRequest(request);
  const bytes = Buffer.byteLength(JSON.stringify(request), 'utf8');
  if (bytes > MAX_RUN_INPUT_BYTES) {
    const per = Math.max(1, Math.floor((request.items.length * MAX_RUN_INPUT_BYTES) / bytes));
    throw new RunInputError(
      `the request is ${bytes} bytes of JSON, over the ${MAX_RUN_INPUT_BYTES}-byte workflow input limit (Temporal refuses payloads over 2 MiB); split it into batches of about ${per} URLs`,
    );
  }
  const { taskQueue = DEFAULT_TASK_QUEUE, runKey = runKeyOf(request), ...runOptions } = options;
  await assertSearchAttributes(client);
  return client.workflow.start<typeof runWorkflow>(RUN_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: runWorkflowId(runKey),
    args: [request, runOptions],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: searchAttributes.totalUrls, value: request.items.length }],
    staticSummary: `AirOps run: ${request.items.length} URLs`,
    staticDetails: `Creates an Olostep AirOps batch of ${request.items.length} URLs, tracks it to the end and collects its items.`,
  });
}

export interface RunFromFileOptions extends RunRequestOptions, StartRunOptions {
  /** Overrides the format the file's extension implies. */
  format?: UrlListFormat;
}

/**
 * `run --urls <file>` in one call: reads the `.txt`/`.csv` list, builds and validates the request, starts the run.
 * Returns the handle plus what was parsed, so a CLI can report the item count and run id before waiting.
 * @throws RunInputError (unreadable list, invalid request naming items and lines, request too large).
 */
export async function runBatchFromFile(
  client: Client,
  path: string,
  options: RunFromFileOptions = {},
): Promise<{ handle: StartedRunHandle; request: CreateBatchRequestInput; list: ParsedUrlList; runKey: string }> {
  const { format, brands, country, metadata, ...start } = options;
  const list = await readUrlList(path, format ?? urlListFormatOf(path));
  const request = buildRunRequest(list, { brands, country, metadata });
  const runKey = start.runKey ?? runKeyOf(request);
  const handle = await startRun(client, request, { ...start, runKey });
  return { handle, request, list, runKey };
}

/** A handle to the run named `runKey`. */
export function getRunHandle(client: Client, runKey: string): RunHandle {
  return client.workflow.getHandle<typeof runWorkflow>(runWorkflowId(runKey));
}

export interface RunProgressUpdate {
  run: RunStatus;
  /** The tracker's live progress once the batch exists; null before (or while the tracker is unreachable). */
  batch: BatchProgress | null;
}

/**
 * Waits for a run's result, calling `onProgress` every `intervalMs` (default 1 s) with the run's stage and, once
 * the batch exists, its tracker's progress (phase, percent, ETA): what a progress bar needs. Query failures
 * (e.g. before the first workflow task) are skipped, not thrown.
 * @throws whatever `handle.result()` throws (WorkflowFailedError with the run's failure as `cause`).
 */
export async function watchRun(
  client: Client,
  handle: RunHandle,
  onProgress: (update: RunProgressUpdate) => void,
  options: { intervalMs?: number } = {},
): Promise<RunResult> {
  const intervalMs = options.intervalMs ?? 1_000;
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  });
  const poll = async () => {
    while (!settled) {
      try {
        const run = await handle.query(getRunStatus);
        let batch: BatchProgress | null = null;
        if (run.trackerWorkflowId !== null) {
          batch = await client.workflow
            .getHandle(run.trackerWorkflowId)
            .query(getProgress)
            .catch(() => null);
        }
        if (!settled) onProgress({ run, batch });
      } catch {
        // not queryable yet, or just closed
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    await polling;
  }
}

/**
 * Copies a finished run's JSONL results to `outPath` (via a temporary file and a rename). Works where the worker's
 * results directory is reachable from here (same machine or a shared volume).
 * @throws RunInputError when the run has no results or they are not a reachable local file.
 */
export async function copyRunResults(result: RunResult, outPath: string): Promise<{ path: string; items: number }> {
  const ref = result.results;
  if (ref === null) {
    throw new RunInputError(
      `batch ${result.batchId} has no collected items${result.itemsError ? `: ${result.itemsError.message}` : ''}`,
    );
  }
  if (ref.path === null) throw new RunInputError(`results are not a local file: ${ref.uri}`);
  const temp = `${outPath}.${process.pid}.tmp`;
  try {
    await copyFile(ref.path, temp);
    await rename(temp, outPath);
  } catch (err) {
    await rm(temp, { force: true });
    const code = (err as { code?: unknown }).code;
    throw new RunInputError(
      code === 'ENOENT'
        ? `results file ${ref.path} is not reachable from here (is the worker on another machine?)`
        : `copying ${ref.path} to ${outPath} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return { path: outPath, items: ref.items };
}

/** A few lines for a terminal: outcome, counts, failures by stage/code, page types, brands, missing fields. */
export function describeRunResult(result: RunResult): string {
  const out: string[] = [];
  const t = result.tracking;
  const took = t.observedDurationMs >= 0 ? ` in ${Math.round(t.observedDurationMs / 1000)} s` : '';
  out.push(
    `batch ${result.batchId}: ${result.status ?? 'unknown'}${result.failedPhase ? ` (failed in ${result.failedPhase}${result.error ? `: ${result.error.code}` : ''})` : ''}${took}`,
  );
  const s = result.summary;
  if (s === null) {
    out.push(
      `items: not collected${result.itemsError ? ` (${result.itemsError.type}: ${result.itemsError.message})` : ''}`,
    );
    return out.join('\n');
  }
  const top = (m: Record<string, number>, n = 8) =>
    Object.entries(m)
      .slice(0, n)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '–';
  out.push(`items: ${s.total} (${top(s.byStatus)})${s.complete ? '' : ' — partial'}`);
  for (const [stage, e] of Object.entries(s.failed.byStage))
    out.push(`  failed in ${stage}: ${e.total} (${top(e.byCode)})`);
  out.push(`page types: ${top(s.pageTypes)}`);
  out.push(
    `brand mentions: ${top(s.brandMentions.byBrand)} (${s.brandMentions.itemsWithMentions} items with, ${s.brandMentions.itemsWithout} without)`,
  );
  out.push(`still missing: ${top(s.missingFields as unknown as Record<string, number>)}`);
  if (result.results !== null) out.push(`results: ${result.results.items} items → ${result.results.uri}`);
  return out.join('\n');
}
