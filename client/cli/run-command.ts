// `airops run --urls <file>`: the CLI face of runAirOpsBatch (client/run.ts): read and validate the URL list,
// start the run (idempotent per request content), show the batch's live progress, print the summary, copy the
// JSONL results.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { isOlostepError } from '../../olostep/errors';
import { runWorkflowId } from '../../workflows/contract';
import type { CreateBatchRequestInput } from '../../olostep/schemas';
import { copyRunResults, describeRunResult } from '../run-results';
import { runKeyOf, startRun } from '../run-start';
import { watchRun } from '../run-watch';
import { RunInputError, buildRunRequest, readUrlList, type ParsedUrlList } from '../url-list';
import type { Io } from './commands';
import { EXIT, UsageError, classifyError, type ExitCode } from './exit-codes';
import { createProgressView, type ViewMode } from './render';

export interface RunCommandOptions {
  urls: string;
  brands?: string[];
  country?: string;
  out?: string;
  taskQueue?: string;
  runKey?: string;
  webhookUrl?: string;
  /** false with --no-wait. */
  wait: boolean;
  plain?: boolean;
  json?: boolean;
  interval: string;
}

interface PreparedRun {
  request: CreateBatchRequestInput;
  list: ParsedUrlList;
}

/** Reads and validates the URL list and the request built from it, before any connection (usage errors: exit 2). */
export async function prepareRun(o: RunCommandOptions): Promise<PreparedRun> {
  try {
    const list = await readUrlList(o.urls);
    const request = buildRunRequest(list, {
      ...(o.brands ? { brands: o.brands.filter((b) => b !== '') } : {}),
      ...(o.country !== undefined ? { country: o.country } : {}),
    });
    return { request, list };
  } catch (err) {
    if (err instanceof RunInputError || (isOlostepError(err) && err.name === 'ValidationError')) {
      throw new UsageError(`--urls ${o.urls}: ${err.message}`);
    }
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      throw new UsageError(`--urls ${o.urls}: cannot read the file (${String(code)})`);
    }
    throw err;
  }
}

export async function runCommand(
  client: Client,
  prepared: PreparedRun,
  o: RunCommandOptions & { taskQueue: string; intervalMs: number; mode: ViewMode; signal: AbortSignal },
  io: Io,
): Promise<ExitCode> {
  const { request, list } = prepared;
  const runKey = o.runKey ?? runKeyOf(request);
  let handle: Awaited<ReturnType<typeof startRun>>;
  try {
    handle = await startRun(client, request, {
      taskQueue: o.taskQueue,
      runKey,
      ...(o.webhookUrl !== undefined ? { webhookUrl: o.webhookUrl } : {}),
    });
  } catch (err) {
    if (err instanceof RunInputError) throw new UsageError(`--urls ${o.urls}: ${err.message}`);
    throw err;
  }
  if (o.mode !== 'json') {
    io.out.write(
      `run ${runWorkflowId(runKey)}: ${list.items.length} URLs from ${o.urls} (task queue ${o.taskQueue})\n`,
    );
  }
  if (!o.wait) return EXIT.ok;

  const view = createProgressView(o.mode, io.out);
  let lastStage = '';
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error('interrupted'));
    if (o.signal.aborted) fail();
    else o.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  let result: Awaited<ReturnType<typeof watchRun>>;
  try {
    result = await Promise.race([
      watchRun(
        client,
        handle,
        (u) => {
          const stage = `${u.run.stage}${u.run.batchId ? ` (batch ${u.run.batchId})` : ''}`;
          if (stage !== lastStage) {
            lastStage = stage;
            view.note(`run: ${stage}`);
          }
          if (u.batch) view.update(u.batch);
        },
        { intervalMs: o.intervalMs },
      ),
      aborted,
    ]);
  } catch (err) {
    view.stop();
    if (o.signal.aborted) {
      io.out.write(`interrupted: the run goes on in Temporal (workflow ${handle.workflowId})\n`);
      return EXIT.interrupted;
    }
    if (err instanceof WorkflowFailedError) {
      const { code, message } = classifyError(err);
      io.err.write(`airops: run failed: ${message}\n`);
      return code;
    }
    throw err;
  }
  view.stop();
  if (o.mode === 'json') io.out.write(`${JSON.stringify(result)}\n`);
  else io.out.write(`${describeRunResult(result)}\n`);
  if (o.out !== undefined) {
    const copied = await copyRunResults(result, o.out);
    if (o.mode !== 'json') io.out.write(`results: ${copied.items} items → ${copied.path}\n`);
  }
  if (result.status === 'completed') return EXIT.ok;
  if (result.status === 'failed') return EXIT.batchFailed;
  return EXIT.trackingEnded;
}
