// How the CLI shows a batch: live progress bars per phase (cli-progress multibar) on a terminal, plain lines
// elsewhere (CI, pipes, files), JSON lines on request; plus the one-shot status table and the final outcome line.
import { MultiBar, type SingleBar } from 'cli-progress';
import { PHASES, type PhaseName } from '../../olostep/enums';
import type { BatchProgress, PhaseProgress } from '../../workflows/progress';
import type { TrackResult } from '../../workflows/contract';
import type { AirOpsBatchSummary } from '../progress';

export type ViewMode = 'bars' | 'lines' | 'json';

/** 3723000 → "1h 02m", 250000 → "4m 10s", 12000 → "12s", null → "–". */
function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

function pct(value: number | null): string {
  return value === null ? '–' : `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

function counts(ph: PhaseProgress): string {
  if (ph.done === null && ph.total === null) return '–';
  return `${ph.done ?? '?'}/${ph.total ?? '?'}`;
}

function etaText(p: BatchProgress): string {
  if (p.overall === 'completed' || p.overall === 'failed') return '';
  if (p.etaMs === null) return 'ETA –';
  return `ETA ${formatDuration(p.etaMs)}${p.etaBasis === 'typical' ? ' (typical)' : ''}`;
}

/** One line of progress: "in_progress · scraping started 45/100 (45%) · overall 8.6% · ETA 4m 10s". */
function progressLine(p: BatchProgress): string {
  if (p.overall === null) return 'waiting for the first status';
  const parts: string[] = [p.overall];
  if (p.currentPhase !== null) {
    const ph = p.phases[p.currentPhase];
    parts.push(`${p.currentPhase} ${ph.state ?? 'pending'} ${counts(ph)} (${pct(ph.percent)})`);
  }
  parts.push(`overall ${pct(p.percent)}`);
  const eta = etaText(p);
  if (eta) parts.push(eta);
  if (p.stalled) parts.push(`STALLED (no progress for ${formatDuration(p.noProgressForMs)})`);
  return parts.join(' · ');
}

/** The final line: "completed in 58s · scraped 100/100 (0 failed) · enriched 45/45 (0 failed)". */
export function outcomeLine(r: TrackResult): string {
  const s = r.phases.scraping.metrics;
  const e = r.phases.enriching;
  const parts: string[] = [];
  if (r.endedBy === 'cancelled') parts.push(`tracking cancelled (batch was ${r.status ?? 'unknown'})`);
  else if (r.status === 'failed') {
    const err = r.error ? `: ${r.error.code} ${r.error.message}` : '';
    parts.push(`failed in ${r.failedPhase ?? 'an unknown phase'}${err}`);
  } else parts.push(r.status ?? 'unknown');
  parts[0] += ` after ${formatDuration(r.observedDurationMs)}`;
  if (s.succeeded !== null || s.failed !== null) {
    parts.push(`scraped ${s.succeeded ?? '?'}/${s.valid ?? r.totalUrls ?? '?'} (${s.failed ?? 0} failed)`);
  }
  if (e.state === 'skipped') parts.push('enrichment skipped');
  else if (e.metrics.itemsToEnrich !== null) {
    parts.push(
      `enriched ${e.metrics.itemsEnriched ?? 0}/${e.metrics.itemsToEnrich} (${e.metrics.itemsFailed ?? 0} failed)`,
    );
  }
  parts.push(`${r.pollStats.calls} status calls`);
  return parts.join(' · ');
}

/** The `status` command's human-readable view. */
export function statusText(summary: AirOpsBatchSummary, p: BatchProgress, now = Date.now()): string {
  const rows: [string, string][] = [
    ['batch', summary.batchId],
    ['workflow', `${summary.workflowId} (${summary.workflowStatus}, task queue ${summary.taskQueue})`],
    [
      'overall',
      [p.overall ?? 'unknown', p.currentPhase ? `phase ${p.currentPhase}` : null, pct(p.percent), etaText(p)]
        .filter(Boolean)
        .join(' · '),
    ],
  ];
  for (const name of PHASES) {
    const ph = p.phases[name];
    rows.push([name, `${(ph.state ?? '–').padEnd(9)} ${counts(ph).padStart(11)}  ${pct(ph.percent)}`]);
  }
  const since = p.lastProgressAt === null ? 'never' : `${formatDuration(Math.max(0, now - p.lastProgressAt))} ago`;
  rows.push(['stalled', `${p.stalled ? 'YES' : 'no'} (last progress ${since})`]);
  if (p.totalUrls !== null) rows.push(['urls', String(p.totalUrls)]);
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
}

/** The `list` command's table. */
export function listTable(rows: readonly AirOpsBatchSummary[]): string {
  if (rows.length === 0) return 'no AirOps batch trackers match';
  const head = ['BATCH ID', 'STATUS', 'PHASE', 'URLS', 'STALLED', 'WORKFLOW', 'STARTED'];
  const body = rows.map((r) => [
    r.batchId,
    r.status ?? '–',
    r.phase ?? '–',
    r.totalUrls === null ? '–' : String(r.totalUrls),
    r.stalled ? 'yes' : 'no',
    r.workflowStatus,
    r.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

interface ProgressView {
  update(p: BatchProgress): void;
  /** A message that must not be overwritten by the bars. */
  note(line: string): void;
  stop(): void;
}

/** Estimates the current phase's remaining time from the counts this view saw move. */
class PhaseRate {
  private phase: PhaseName | null = null;
  private first: { at: number; done: number } | null = null;

  etaMs(p: BatchProgress, now: number): number | null {
    const name = p.currentPhase;
    if (name === null) return null;
    const ph = p.phases[name];
    if (name !== this.phase || ph.done === null) {
      this.phase = name;
      this.first = ph.done === null ? null : { at: now, done: ph.done };
      return null;
    }
    if (this.first === null || ph.total === null) return null;
    const moved = ph.done - this.first.done;
    const elapsed = now - this.first.at;
    if (moved <= 0 || elapsed <= 0) return null;
    return ((ph.total - ph.done) * elapsed) / moved;
  }
}

function barsView(stream: NodeJS.WriteStream, now: () => number): ProgressView {
  const multibar = new MultiBar({
    stream,
    format: '{label} {bar} {pct} {counts} {detail}',
    barsize: 28,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: false,
    fps: 5,
  });
  const payload = (label: string, pctText: string, countText: string, detail: string) => ({
    label: label.padEnd(9),
    pct: pctText.padStart(6),
    counts: countText.padStart(11),
    detail,
  });
  const overall: SingleBar = multibar.create(100, 0, payload('overall', '0%', '', 'waiting for the first status'));
  const bars = Object.fromEntries(
    PHASES.map((name) => [name, multibar.create(1, 0, payload(name, '–', '–', 'pending'))]),
  ) as Record<PhaseName, SingleBar>;
  const rate = new PhaseRate();
  let stopped = false;
  return {
    update(p) {
      if (stopped) return;
      const phaseEta = rate.etaMs(p, now());
      const extra = p.stalled ? ` · STALLED ${formatDuration(p.noProgressForMs)}` : '';
      overall.update(p.percent, payload('overall', pct(p.percent), '', `${p.overall ?? '…'} ${etaText(p)}${extra}`));
      for (const name of PHASES) {
        const ph = p.phases[name];
        const total = ph.total !== null && ph.total > 0 ? ph.total : 1;
        const value = ph.total !== null && ph.total > 0 ? Math.min(ph.done ?? 0, total) : ph.percent === 100 ? 1 : 0;
        const isCurrent = p.currentPhase === name && ph.state === 'started';
        const detail = `${ph.state ?? 'pending'}${isCurrent ? ` · ETA ${formatDuration(phaseEta)}` : ''}`;
        bars[name].setTotal(total);
        bars[name].update(value, payload(name, pct(ph.percent), counts(ph), detail));
      }
    },
    note(line) {
      if (!stopped) multibar.log(`${line}\n`);
      else stream.write(`${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}

/** Plain lines: on every phase/state change at once, otherwise at most every `everyMs` while counts move. */
function linesView(stream: NodeJS.WritableStream, now: () => number, everyMs: number): ProgressView {
  const started = now();
  let lastKey = '';
  let lastShape = '';
  let lastAt = -Infinity;
  const stamp = () => {
    const s = Math.floor((now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  };
  return {
    update(p) {
      const line = progressLine(p);
      const key = line.replace(/ · ETA .*$/, '');
      // The "shape": overall status, current phase, and each phase's state. A change there always prints.
      const shape = [p.overall, p.currentPhase, p.stalled, ...PHASES.map((n) => p.phases[n].state)].join('|');
      const t = now();
      if (key === lastKey) return;
      if (shape === lastShape && t - lastAt < everyMs) return;
      lastKey = key;
      lastShape = shape;
      lastAt = t;
      stream.write(`${stamp()} ${line}\n`);
    },
    note(line) {
      stream.write(`${stamp()} ${line}\n`);
    },
    stop() {},
  };
}

function jsonView(stream: NodeJS.WritableStream): ProgressView {
  return {
    update(p) {
      stream.write(`${JSON.stringify(p)}\n`);
    },
    note() {},
    stop() {},
  };
}

export function createProgressView(
  mode: ViewMode,
  stream: NodeJS.WriteStream = process.stdout,
  options: { now?: () => number; lineIntervalMs?: number } = {},
): ProgressView {
  const now = options.now ?? Date.now;
  if (mode === 'json') return jsonView(stream);
  if (mode === 'bars') return barsView(stream, now);
  return linesView(stream, now, options.lineIntervalMs ?? 3_000);
}

/** Bars on an interactive terminal; plain lines in CI, pipes and files (or when asked with --plain). */
export function defaultViewMode(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flags: { json?: boolean; plain?: boolean },
): ViewMode {
  if (flags.json) return 'json';
  if (flags.plain || !stream.isTTY || (env.CI !== undefined && env.CI !== '' && env.CI !== 'false')) return 'lines';
  if (env.TERM === 'dumb') return 'lines';
  return 'bars';
}
