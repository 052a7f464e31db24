// Shared by the reliability soaks (bench/soak-*.ts): the long versions of test/reliability/*, which print progress
// as they go, their figures last, write bench/results/soak-<name>.json, and exit 1 when anything failed.
import { parseArgs } from 'node:util';
import { machineInfo, writeResult } from './lib/common';

export interface SoakReport {
  failures: string[];
}

/** Integer flags (`--batches 200`) over defaults; unknown flags are refused. */
export function soakFlags<T extends Record<string, number>>(defaults: T): T {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' as const }])),
    strict: true,
  });
  const out: Record<string, number> = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isFinite(n)) throw new Error(`--${k} must be a number, got ${String(v)}`);
    out[k] = n;
  }
  return out as T;
}

export async function runSoak<R extends SoakReport>(
  name: string,
  title: string,
  run: (progress: (line: string) => void) => Promise<R>,
  describe: (r: R) => string[],
  /** What goes into the JSON file (default: the report). */
  toJson: (r: R) => unknown = (r) => r,
): Promise<void> {
  const started = Date.now();
  const progress = (line: string) => console.log(`[${name} +${Math.round((Date.now() - started) / 1000)} s] ${line}`);
  let report: R;
  try {
    report = await run(progress);
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
  const wallS = Math.round((Date.now() - started) / 1000);
  const file = writeResult(`soak-${name}`, {
    at: new Date().toISOString(),
    machine: machineInfo(),
    wallS,
    report: toJson(report),
  });
  console.log('');
  console.log(`== ${title} (${wallS} s wall; ${file}) ==`);
  for (const line of describe(report)) console.log(line);
  console.log(report.failures.length === 0 ? 'RESULT: pass' : `RESULT: FAIL (${report.failures.length} failures)`);
  process.exit(report.failures.length === 0 ? 0 : 1);
}
