// A finished run's result: its JSONL items copied where the caller wants them, and a few lines for a terminal.
import { copyFile, rename, rm } from 'node:fs/promises';
import type { RunResult } from '../workflows/contract';
import { RunInputError } from './url-list';

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
