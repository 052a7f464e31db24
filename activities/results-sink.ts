// Where a batch's items go: outside workflow history. The items endpoint returns up to 10,000 items at once
// (docs/airops-api.md#batch-items, ~2–3 MB of JSON), far more than history should carry, so the items activity writes them to a sink
// and hands the workflow a small reference. The default sink writes one JSONL file per run, atomically.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResultsRef } from '../workflows/run-summary';

export type { ResultsRef } from '../workflows/run-summary';

/**
 * Stores a batch's items and says where they are. `write` must be idempotent for a given `runKey` (activity retries
 * call it again with the same items): overwrite, never append.
 */
export interface ResultsSink {
  write(runKey: string, items: readonly unknown[]): Promise<ResultsRef>;
}

/** Default directory of the JSONL sink: `./results`, relative to the worker's working directory. */
export const DEFAULT_RESULTS_DIR = 'results';

/** A file name for `runKey`: itself when already safe, otherwise a sanitized prefix plus a hash (no collisions). */
export function resultsFileName(runKey: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/.test(runKey)) return `${runKey}.jsonl`;
  const safe = runKey
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 120);
  const hash = createHash('sha256').update(runKey).digest('hex').slice(0, 16);
  return `${safe || 'run'}-${hash}.jsonl`;
}

export interface JsonlFileSinkOptions {
  /** Directory for the files (created if missing). Default `./results`. */
  dir?: string;
}

/**
 * One `<runKey>.jsonl` file per run: one item per line, exactly as the API sent it (unknown fields kept). Written
 * to a temporary file in the same directory, flushed to disk, then renamed over the target, so a reader never sees
 * a half-written file and a retried write replaces the previous one whole.
 */
export class JsonlFileSink implements ResultsSink {
  readonly dir: string;

  constructor(options: JsonlFileSinkOptions = {}) {
    this.dir = resolve(options.dir ?? DEFAULT_RESULTS_DIR);
  }

  /** Where `runKey`'s file goes. */
  pathFor(runKey: string): string {
    return join(this.dir, resultsFileName(runKey));
  }

  async write(runKey: string, items: readonly unknown[]): Promise<ResultsRef> {
    await mkdir(this.dir, { recursive: true });
    const target = this.pathFor(runKey);
    const temp = join(this.dir, `.${resultsFileName(runKey)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let bytes = 0;
    const file = await open(temp, 'wx', 0o644);
    try {
      // Chunks of ~1 MB: one string for 10,000 items would be fine too, but this keeps memory flat for any size.
      let chunk: string[] = [];
      let chunkLength = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        const buf = Buffer.from(chunk.join(''), 'utf8');
        hash.update(buf);
        bytes += buf.length;
        await file.write(buf);
        chunk = [];
        chunkLength = 0;
      };
      for (const item of items) {
        const line = `${JSON.stringify(item)}\n`;
        chunk.push(line);
        chunkLength += line.length;
        if (chunkLength >= 1 << 20) await flush();
      }
      await flush();
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    await file.close();
    try {
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return {
      kind: 'jsonl-file',
      uri: pathToFileURL(target).href,
      path: target,
      items: items.length,
      bytes,
      sha256: hash.digest('hex'),
    };
  }
}
