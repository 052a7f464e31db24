// Small SVG charts for the report (scatter with ranges, grouped bars, lines; linear or log axes), rendered to PNG
// with resvg (system DejaVu fonts). Enough for a handful of benchmark figures; no charting library.
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const W = 900;
const H = 520;
const M = { left: 90, right: 30, top: 60, bottom: 80 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const FONT = 'DejaVu Sans';

export interface Axis {
  label: string;
  log?: boolean;
  min?: number;
  max?: number;
  /** Formats a tick value. */
  format?: (v: number) => string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function scale(axis: Axis, values: number[], from: number, to: number) {
  const finite = values.filter((v) => Number.isFinite(v) && (!axis.log || v > 0));
  let lo = axis.min ?? Math.min(...finite);
  let hi = axis.max ?? Math.max(...finite);
  if (axis.log) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
  } else {
    if (axis.min === undefined) lo = Math.min(0, lo);
    const span = hi - lo || 1;
    const step = 10 ** Math.floor(Math.log10(span / 5));
    const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 6) ?? step * 10;
    hi = Math.ceil(hi / nice) * nice;
    lo = Math.floor(lo / nice) * nice;
  }
  const f = axis.log
    ? (v: number) =>
        from + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (to - from)
    : (v: number) => from + ((v - lo) / (hi - lo || 1)) * (to - from);
  const ticks: number[] = [];
  if (axis.log) {
    for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) ticks.push(10 ** e);
  } else {
    const span = hi - lo || 1;
    const step = 10 ** Math.floor(Math.log10(span / 5));
    const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 6) ?? step * 10;
    for (let v = lo; v <= hi + nice / 1e6; v += nice) ticks.push(Math.round(v / nice) * nice);
  }
  return { f, ticks, lo, hi };
}

function frame(title: string, subtitle: string | undefined, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="${FONT}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>`,
    subtitle ? `<text x="${W / 2}" y="48" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>` : '',
    ...body,
    '</svg>',
  ].join('\n');
}

function axes(x: ReturnType<typeof scale>, y: ReturnType<typeof scale>, xa: Axis, ya: Axis): string[] {
  const out: string[] = [];
  const fx = xa.format ?? ((v: number) => String(v));
  const fy = ya.format ?? ((v: number) => String(v));
  for (const t of y.ticks) {
    const py = y.f(t);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${py + 4}" text-anchor="end" font-size="12">${esc(fy(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = x.f(t);
    out.push(`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${esc(fx(t))}</text>`);
  }
  out.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - M.bottom + 45}" text-anchor="middle" font-size="14">${esc(xa.label)}</text>`,
    `<text transform="translate(22 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(ya.label)}</text>`,
  );
  return out;
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** Optional vertical range drawn as a bar (e.g. p50 with max). */
  yLow?: number;
  yHigh?: number;
}

/** One labelled point per series (e.g. a poller: status calls vs lag), with an optional vertical range. */
export function scatterChart(opts: {
  title: string;
  subtitle?: string;
  x: Axis;
  y: Axis;
  points: ScatterPoint[];
  /** Horizontal/vertical goal lines. */
  hlines?: { y: number; label: string }[];
  vlines?: { x: number; label: string }[];
}): string {
  const x = scale(
    opts.x,
    [...opts.points.map((p) => p.x), ...(opts.vlines ?? []).map((l) => l.x)],
    M.left,
    W - M.right,
  );
  const y = scale(
    opts.y,
    [...opts.points.flatMap((p) => [p.y, p.yLow ?? p.y, p.yHigh ?? p.y]), ...(opts.hlines ?? []).map((l) => l.y)],
    H - M.bottom,
    M.top,
  );
  const body = axes(x, y, opts.x, opts.y);
  for (const l of opts.hlines ?? []) {
    const py = y.f(l.y);
    body.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.right - 4}" y="${py - 5}" text-anchor="end" font-size="11" fill="#666">${esc(l.label)}</text>`,
    );
  }
  for (const l of opts.vlines ?? []) {
    const px = x.f(l.x);
    body.push(
      `<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${px + 4}" y="${M.top + 12}" font-size="11" fill="#666">${esc(l.label)}</text>`,
    );
  }
  opts.points.forEach((p, i) => {
    const c = COLORS[i % COLORS.length] as string;
    const px = x.f(p.x);
    if (p.yLow !== undefined && p.yHigh !== undefined) {
      body.push(
        `<line x1="${px}" x2="${px}" y1="${y.f(p.yLow)}" y2="${y.f(p.yHigh)}" stroke="${c}" stroke-width="3" opacity="0.6"/>`,
        `<line x1="${px - 6}" x2="${px + 6}" y1="${y.f(p.yHigh)}" y2="${y.f(p.yHigh)}" stroke="${c}" stroke-width="2"/>`,
      );
    }
    body.push(`<circle cx="${px}" cy="${y.f(p.y)}" r="7" fill="${c}"/>`);
    // Labels right of the dot, or left of it in the right third (so they stay on the canvas).
    const right = px < M.left + ((W - M.left - M.right) * 2) / 3;
    body.push(
      `<text x="${right ? px + 11 : px - 11}" y="${y.f(p.y) + 4}" text-anchor="${right ? 'start' : 'end'}" font-size="13" fill="${c}">${esc(p.label)}</text>`,
    );
  });
  return frame(opts.title, opts.subtitle, body);
}

export interface Series {
  label: string;
  values: number[];
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(opts: { title: string; subtitle?: string; categories: string[]; series: Series[]; y: Axis }) {
  const y = scale(
    opts.y,
    opts.series.flatMap((s) => s.values),
    H - M.bottom,
    M.top,
  );
  const xa = {
    f: () => 0,
    ticks: [] as number[],
    lo: 0,
    hi: 0,
  };
  const body = axes(xa, y, { label: '' }, opts.y);
  const groupW = (W - M.left - M.right) / opts.categories.length;
  const barW = (groupW * 0.8) / opts.series.length;
  opts.categories.forEach((cat, ci) => {
    const gx = M.left + ci * groupW + groupW * 0.1;
    body.push(
      `<text x="${gx + groupW * 0.4}" y="${H - M.bottom + 20}" text-anchor="middle" font-size="13">${esc(cat)}</text>`,
    );
    opts.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      if (!Number.isFinite(v)) return;
      const top = y.f(v);
      const c = COLORS[si % COLORS.length] as string;
      body.push(
        `<rect x="${gx + si * barW}" y="${top}" width="${barW - 2}" height="${H - M.bottom - top}" fill="${c}"/>`,
        `<text x="${gx + si * barW + barW / 2}" y="${top - 4}" text-anchor="middle" font-size="11">${esc(opts.y.format ? opts.y.format(v) : String(v))}</text>`,
      );
    });
  });
  body.push(...legend(opts.series.map((s) => s.label)));
  return frame(opts.title, opts.subtitle, body);
}

/** Lines over a numeric x (e.g. slip vs concurrency). */
export function lineChart(opts: {
  title: string;
  subtitle?: string;
  x: Axis;
  y: Axis;
  xs: number[];
  series: Series[];
  hlines?: { y: number; label: string }[];
}): string {
  const x = scale(opts.x, opts.xs, M.left, W - M.right);
  const y = scale(
    opts.y,
    [...opts.series.flatMap((s) => s.values), ...(opts.hlines ?? []).map((l) => l.y)],
    H - M.bottom,
    M.top,
  );
  const body = axes(x, y, opts.x, opts.y);
  for (const l of opts.hlines ?? []) {
    const py = y.f(l.y);
    body.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.right - 4}" y="${py - 5}" text-anchor="end" font-size="11" fill="#666">${esc(l.label)}</text>`,
    );
  }
  opts.series.forEach((s, si) => {
    const c = COLORS[si % COLORS.length] as string;
    const pts = opts.xs
      .map((xv, i) => [x.f(xv), y.f(s.values[i] ?? NaN)] as const)
      .filter(([, py]) => Number.isFinite(py));
    body.push(
      `<polyline points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2.5"/>`,
    );
    for (const [a, b] of pts) body.push(`<circle cx="${a}" cy="${b}" r="5" fill="${c}"/>`);
  });
  body.push(...legend(opts.series.map((s) => s.label)));
  return frame(opts.title, opts.subtitle, body);
}

function legend(labels: string[]): string[] {
  return labels.flatMap((label, i) => {
    const x = M.left + 10 + (i % 3) * 260;
    const y = H - 22 + Math.floor(i / 3) * 16 - (labels.length > 3 ? 10 : 0);
    const c = COLORS[i % COLORS.length] as string;
    return [
      `<rect x="${x}" y="${y - 10}" width="14" height="10" fill="${c}"/>`,
      `<text x="${x + 20}" y="${y}" font-size="12">${esc(label)}</text>`,
    ];
  });
}

/** Renders an SVG to a PNG file (white background, DejaVu Sans). */
export function writePng(svg: string, file: string): void {
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: FONT },
    background: 'white',
  })
    .render()
    .asPng();
  writeFileSync(file, png);
}
