// Writes bench/results/REPORT.md and its PNG charts from the JSON the benchmarks left in bench/results/.
//   npm run bench:report   (npm run bench runs it last)
// Missing results are reported as missing; every figure in the report comes from a JSON file beside it.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, lineChart, scatterChart, writePng } from './lib/charts';
import { RESULTS_DIR, machineInfo, ms, readResult, type MachineInfo, type Summary } from './lib/common';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the report reads the JSON the benchmarks wrote */
type Json = any;

const out: string[] = [];
const md = (...lines: string[]) => out.push(...lines);
const mdTable = (headers: string[], rows: (string | number)[][]) => {
  md(`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) md(`| ${r.map((c) => String(c)).join(' | ')} |`);
  md('');
};
const x = (r: number | null | undefined) => (r === null || r === undefined || !Number.isFinite(r) ? '–' : `${r}×`);
const met = (b: boolean | undefined) => (b === undefined ? '–' : b ? '**met**' : '**not met**');
const missing = (name: string) => md(`_No results yet: run \`npm run bench:${name}\`._`, '');
const s = (v: Summary | undefined, k: keyof Summary) => ms(v?.[k]);

function chart(file: string, svg: string, alt: string): void {
  writePng(svg, join(RESULTS_DIR, file));
  md(`![${alt}](${file})`, '');
}

const efficiency = readResult<Json>('efficiency');
const schedule = readResult<Json>('schedule');
const history = readResult<Json>('history');
/** Fresh batches (a start storm) at each size, and 5,000 on batches already running (the steady state). */
const scales: { n: number; running: boolean; r: Json }[] = [
  ...[1_000, 5_000, 10_000].map((n) => ({ n, running: false, r: readResult<Json>(`scale-${n}`) })),
  { n: 5_000, running: true, r: readResult<Json>('scale-5000-running') },
];
const scaleLabel = (x: { n: number; running: boolean }) =>
  `${x.n.toLocaleString('en')}${x.running ? ' (batches already running)' : ''}`;
const query = readResult<Json>('query');
const webhooks = readResult<Json>('webhooks');
const webhooksSaOff = readResult<Json>('webhooks-sa-cache-off');
const runs = readResult<Record<string, { wallS: number; exitCode: number | null; at: string }>>('runs') ?? {};
/**
 * Queries and signals behind a slow API: the local-activity status call (before), the regular activity as first
 * measured, and the same measured again on a later commit (`--out query-slow-api-head`).
 */
const slowApiRuns: { name: string; r: Json }[] = [
  { name: 'query-slow-api-before-local-activity', r: readResult<Json>('query-slow-api-before-local-activity') },
  { name: 'query-slow-api', r: readResult<Json>('query-slow-api') },
  { name: 'query-slow-api-head', r: readResult<Json>('query-slow-api-head') },
].filter((x) => x.r !== null);

/** The tracker against a bare sleep + status-call loop in the same run (bench/scale.ts --compare bare). */
const overheadRuns: { name: string; when: 'before' | 'after'; n: number; r: Json }[] = readdirSync(RESULTS_DIR)
  .flatMap((f) => {
    // overhead-<N>[-before][-run<k>].json: the npm scripts' results and repeats of the same command (--label).
    const m = /^overhead-(\d+)(-before)?(-run\d+)?\.json$/.exec(f);
    return m
      ? [{ name: f.replace(/\.json$/, ''), when: m[2] ? ('before' as const) : ('after' as const), n: Number(m[1]) }]
      : [];
  })
  .sort((a, b) => a.n - b.n || a.when.localeCompare(b.when) * -1 || a.name.localeCompare(b.name))
  .map((x) => ({ ...x, r: readResult<Json>(x.name) }))
  .filter((x) => x.r !== null);

/** The Temporal server's usage and CPU per status call in a scale result (`server` now, `devServer` before). */
const serverUsage = (r: Json, period: 'window' | 'sinceFirstStart') =>
  r?.usage?.[period]?.server ?? r?.usage?.[period]?.devServer;
const serverCpuPerCall = (r: Json) => r?.cpuMsPerStatusCall?.server ?? r?.cpuMsPerStatusCall?.devServer;
/** The same fleets on the dev server and on Temporal on PostgreSQL as docker-compose.yml runs it (--server native). */
const serverRuns: { n: number; server: 'dev' | 'native'; slots: 'tracker' | 'fixed'; r: Json }[] = [1_000, 5_000]
  .flatMap((n) => [
    { n, server: 'dev' as const, slots: 'tracker' as const, file: `scale-${n}` },
    { n, server: 'native' as const, slots: 'tracker' as const, file: `scale-${n}-native` },
    { n, server: 'dev' as const, slots: 'fixed' as const, file: `scale-${n}-fixed-slots` },
    { n, server: 'native' as const, slots: 'fixed' as const, file: `scale-${n}-native-fixed-slots` },
  ])
  .map(({ file, ...x }) => ({ ...x, r: readResult<Json>(file) }))
  .filter((x) => x.r !== null);

const machine: MachineInfo =
  [efficiency, history, ...scales.map((x) => x.r), query].find((r) => r?.machine?.cpuModel)?.machine ?? machineInfo();

md(
  '# Benchmark report',
  '',
  `Generated ${new Date().toISOString()} by \`npm run bench:report\` from the JSON files beside it; \`npm run bench\`` +
    ' runs every benchmark and then this. Each benchmark is also its own command (`npm run bench:<name>`), prints a' +
    ' table with its figures last and writes `bench/results/<name>.json`.',
  '',
  '## Machine',
  '',
);
mdTable(
  ['', ''],
  [
    ['CPUs (nproc)', machine.nproc],
    ['memory', `${machine.memoryGiB} GiB`],
    ['CPU model (/proc/cpuinfo)', machine.cpuModel],
    ['kernel', machine.kernel],
    ['Node.js', machine.node],
    ['Java (time-skipping test server)', machine.java],
    ['Temporal CLI dev server', machine.temporalCli],
    ['time-skipping test server', machine.testServer],
  ],
);
md(
  'The machine is shared: other sessions run test suites and servers on the same 2 cores while these benchmarks' +
    ' run (load averages of 8–16 during the first session’s runs; ~2–4 besides our own processes during the runs in' +
    ' this report). Every benchmark records the load average, and the scale and query' +
    ' benchmarks record the whole machine’s CPU (`/proc/stat`) beside their own processes’, so a figure can be read' +
    ' against what else was running. Ratios against baselines are taken in the same run. The efficiency and history' +
    ' figures run in virtual time and do not depend on load; latency figures (slip, query, webhook receiver) do.',
  '',
);

// ---- summary ----

md('## Goals', '');
const scale5k = scales.find((x) => x.n === 5_000 && !x.running)?.r;
const scale5kRunning = scales.find((x) => x.n === 5_000 && x.running)?.r;
const goals: (string | number)[][] = [];
if (efficiency) {
  const ours = efficiency.pollers.find((p: Json) => p.poller === 'ours-polling');
  const wh = efficiency.pollers.find((p: Json) => p.poller === 'ours-webhooks');
  goals.push([
    'polling only, reference lifecycle: ≤ 40 calls, lag p50 ≤ 10 s, max ≤ 60 s',
    `${ours.calls.p50} calls (max ${ours.calls.max}), lag p50 ${ms(ours.lag.p50)}, max ${ms(ours.lag.max)} (${ours.runs.length} runs)`,
    met(efficiency.goals.oursPolling.met),
  ]);
  goals.push([
    'with webhooks: ≤ 3 calls, lag p99 ≤ 1 s after receipt',
    `${wh.calls.max} calls max, after receipt p99 ${ms(wh.lagAfterReceipt?.p99)} (${wh.runs.length} runs)`,
    met(efficiency.goals.oursWebhooks.met),
  ]);
}
if (schedule) {
  const ref = schedule.lifecycles[0];
  goals.push([
    `polling only over ${schedule.seeds} seeds (schedule model): ≤ 40 calls, lag max ≤ 60 s`,
    `calls p99 ${ref.calls.p99} (max ${ref.calls.max}), lag max ${ms(ref.lag.max)}, ${ref.runsOver60s} runs over 60 s`,
    met(ref.calls.p99 <= 40 && ref.runsOver60s === 0),
  ]);
}
if (history) {
  const day = history.chains.find((c: Json) => c.workflow === 'ours' && c.lifecycle === '24 h enrichment');
  goals.push([
    '24 h enrichment: ≤ 2,000 events in total, no run over 4,096',
    `${day.totalEvents} events, largest run ${day.maxEventsPerRun} (${day.runs.length} runs)`,
    met(history.goal.met),
  ]);
}
for (const [r, what] of [
  [scale5kRunning, 'on batches already running (steady state)'],
  [scale5k, 'all started at once on brand-new batches (start storm)'],
] as const) {
  if (!r) continue;
  goals.push([
    `5,000 open trackers, one worker, ${what}: slip p99 ≤ 2 s, worker RSS ≤ 1 GiB`,
    `slip p99 ${ms(r.slip.window.startSlipMs.p99)} (window), RSS peak ${r.usage.sinceFirstStart.worker?.rssPeakMiB} MiB`,
    met(r.goal.met),
  ]);
}
if (query) {
  goals.push([
    'getProgress with 1,000 open trackers: p99 ≤ 50 ms',
    `p50 ${ms(query.sequential.p50)}, p99 ${ms(query.sequential.p99)}`,
    met(query.goal.met),
  ]);
}
if (webhooks?.throughput) {
  const t = webhooks.throughput;
  goals.push([
    'webhook receiver, answering after Temporal accepted the signal (default): ≥ 500 events/s with p99 ≤ 50 ms',
    `${t.saturation.acceptedPerSec}/s at saturation (p99 ${t.saturation.latency.p99} ms)` +
      (t.paced ? `; p99 ${t.paced.latency.p99} ms at ${t.paced.offeredPerSec}/s offered` : ''),
    met(t.saturation.acceptedPerSec >= 500 && t.saturation.latency.p99 <= 50),
  ]);
  const jp = t.journal?.paced;
  if (jp) {
    goals.push([
      'webhook receiver with the ingest journal (answers once fsync’d): ≥ 500 events/s with p99 ≤ 50 ms',
      `${jp.http.ok2xx} of ${jp.http.total} accepted at ${jp.http.offeredPerSec}/s offered, p99 ${jp.http.latency.p99} ms; ` +
        `${t.journal.saturation.http.acceptedPerSec}/s at saturation; forwarded to Temporal at ${jp.deliveredPerSec}/s`,
      met(jp.http.ok2xx === jp.http.total && jp.http.offeredPerSec >= 500 && jp.http.latency.p99 <= 50),
    ]);
  }
}
{
  const latest = slowApiRuns[slowApiRuns.length - 1]?.r;
  if (latest) {
    const q = latest.slowApi.queries;
    goals.push([
      `getProgress while status calls are in flight (API answering in 0–${ms(Math.max(...latest.workload.slowApi.delaysMs))}): p99 < ${latest.goal.queryP99WhileCallOpenMaxMs} ms`,
      `status call as ${latest.statusCall}: p99 ${ms(q.whileCallOpen.p99)} while its call is open, ${ms(q.all.p99)} over all queries`,
      met(latest.goal.met),
    ]);
  }
}
for (const n of [1_000, 5_000]) {
  const after = overheadRuns.find((o) => o.n === n && o.when === 'after')?.r;
  if (!after) continue;
  const ratio = after.comparison.oursOverBare.workerCpuMsPerPoll;
  goals.push([
    `worker CPU per poll against a bare sleep + status-call loop, ${n.toLocaleString('en')} workflows, same run: ours ÷ bare ≤ 1.2`,
    `${after.comparison.tracker.workerCpuMsPerPoll} ms ÷ ${after.comparison.bare.workerCpuMsPerPoll} ms = ${x(ratio)}`,
    met(ratio <= 1.2),
  ]);
}
mdTable(['goal', 'measured', ''], goals);

// ---- 1. efficiency ----

md('## 1. Efficiency: status calls and detection lag on the reference lifecycle', '');
if (!efficiency) missing('efficiency');
else {
  md(
    `Reference lifecycle: ${efficiency.reference.urls} URLs; scraping 300 s, analyzing 2 s, enrichment submitted 3 s` +
      ' later, enriching 1,295 s. Detection lag of a transition = first observation − when it happened. Status' +
      ' calls counted at the simulator.',
    '',
  );
  mdTable(
    [
      'poller',
      'how it ran',
      'runs',
      'status calls p50 (range)',
      'lag p50',
      'lag p99',
      'lag max',
      'lag after receipt p99',
    ],
    efficiency.pollers.map((p: Json) => [
      p.label,
      p.how,
      p.runs.length,
      `${p.calls.p50} (${p.calls.min}–${p.calls.max})`,
      ms(p.lag.p50),
      ms(p.lag.p99),
      ms(p.lag.max),
      p.lagAfterReceipt ? ms(p.lagAfterReceipt.p99) : '–',
    ]),
  );
  const transitions = Object.keys(efficiency.pollers[0].lagByTransition);
  md('Lag per transition (p50 over runs; max in parentheses):', '');
  mdTable(
    ['transition', ...efficiency.pollers.map((p: Json) => p.label)],
    transitions.map((t) => [
      t,
      ...efficiency.pollers.map((p: Json) => `${ms(p.lagByTransition[t].p50)} (${ms(p.lagByTransition[t].max)})`),
    ]),
  );
  const r = efficiency.ratios;
  md('Ratios, ours ÷ baseline (below 1 = ours uses fewer calls / detects sooner):', '');
  mdTable(
    ['', 'status calls', 'lag p50', 'lag max'],
    [
      [
        'polling only ÷ naive 5 s workflow',
        x(r['ours-polling'].vsNaive.calls),
        x(r['ours-polling'].vsNaive.lagP50),
        x(r['ours-polling'].vsNaive.lagMax),
      ],
      [
        'polling only ÷ SDK-style 10 s loop',
        x(r['ours-polling'].vsSdk.calls),
        x(r['ours-polling'].vsSdk.lagP50),
        x(r['ours-polling'].vsSdk.lagMax),
      ],
      [
        'webhooks ÷ naive 5 s workflow',
        x(r['ours-webhooks'].vsNaive.calls),
        x(r['ours-webhooks'].vsNaive.lagP50),
        x(r['ours-webhooks'].vsNaive.lagMax),
      ],
      [
        'webhooks ÷ SDK-style 10 s loop',
        x(r['ours-webhooks'].vsSdk.calls),
        x(r['ours-webhooks'].vsSdk.lagP50),
        x(r['ours-webhooks'].vsSdk.lagMax),
      ],
    ],
  );
  chart(
    'efficiency-calls-vs-lag.png',
    scatterChart({
      title: 'Status calls vs detection lag, reference lifecycle',
      subtitle: 'dot = lag p50 over all transitions and runs, bar up to the max lag; log scales',
      x: { label: 'status calls per batch (log)', log: true, format: (v) => String(v) },
      y: { label: 'detection lag (log)', log: true, format: (v) => ms(v) },
      points: efficiency.pollers.map((p: Json) => ({
        label: `${p.label}: ${p.calls.p50} calls`,
        x: Math.max(1, p.calls.p50),
        y: Math.max(1, p.lag.p50),
        yLow: Math.max(1, p.lag.p50),
        yHigh: Math.max(1, p.lag.max),
      })),
      hlines: [{ y: 60_000, label: 'goal: max lag 60 s (polling only)' }],
      vlines: [{ x: 40, label: '40 calls' }],
    }),
    'status calls against detection lag for the four pollers',
  );
}
if (schedule) {
  md(
    `### The poll schedule's tail (${schedule.seeds} seeds)`,
    '',
    'The real workflow runs above a handful of times; `npm run bench:schedule` runs the workflow’s own reducer and' +
      ' schedule (no Temporal) against the simulator’s plans for many seeds, with the schedule new trackers use' +
      ' (`approachEnd`, patched) and the one before it (what older runs keep on replay).',
    '',
  );
  mdTable(
    ['lifecycle', 'calls p50', 'calls p99', 'calls max', 'lag p50', 'lag p99', 'lag max', 'runs with lag > 60 s'],
    schedule.lifecycles.map((l: Json) => [
      l.name,
      l.calls.p50,
      l.calls.p99,
      l.calls.max,
      ms(l.lag.p50),
      ms(l.lag.p99),
      ms(l.lag.max),
      `${l.runsOver60s}/${schedule.seeds}`,
    ]),
  );
  const byName = (n: string) => schedule.lifecycles.find((l: Json) => l.name === n);
  const after = byName('reference');
  const before = byName('reference, before the patch');
  chart(
    'schedule-lag-before-after.png',
    barChart({
      title: `Detection lag over ${schedule.seeds} seeds of the reference lifecycle`,
      subtitle: 'the workflow schedule before and after approaching the estimated end (log scale)',
      categories: ['lag p50', 'lag p90', 'lag p99', 'lag max'],
      series: [
        {
          label: `before (calls p50 ${before.calls.p50}, p99 ${before.calls.p99})`,
          values: ['p50', 'p90', 'p99', 'max'].map((k) => before.lag[k]),
        },
        {
          label: `after (calls p50 ${after.calls.p50}, p99 ${after.calls.p99})`,
          values: ['p50', 'p90', 'p99', 'max'].map((k) => after.lag[k]),
        },
      ],
      y: { label: 'lag (log)', log: true, format: (v) => ms(v) },
    }),
    'detection lag percentiles before and after the schedule change',
  );
}

// ---- 2. history ----

md('## 2. History per tracked batch', '');
if (!history) missing('history');
else {
  md(
    'Time-skipping server, simulator clock synced. Bytes = the history protobuf-encoded, as the server stores it.' +
      ` A real server terminates a run at ${history.limits.eventsError.toLocaleString('en')} events.`,
    '',
  );
  mdTable(
    ['workflow', 'lifecycle', 'runs', 'status calls', 'events', 'largest run (events)', 'bytes', 'events / call'],
    history.chains.map((c: Json) => [
      c.workflow + (c.measured ? '' : ' (extrapolated linearly from the two runs above)'),
      c.lifecycle,
      c.runs.length,
      c.statusCalls,
      c.totalEvents.toLocaleString('en'),
      c.maxEventsPerRun.toLocaleString('en'),
      c.totalBytes.toLocaleString('en'),
      c.eventsPerCall,
    ]),
  );
  mdTable(
    ['ours ÷ naive', 'events', 'bytes', 'largest run'],
    Object.entries(history.ratios as Record<string, Json>).map(([l, r]) => [
      l,
      x(r.events),
      x(r.bytes),
      x(r.maxEventsPerRun),
    ]),
  );
  const pick = (w: string, l: string) => history.chains.find((c: Json) => c.workflow === w && c.lifecycle === l);
  chart(
    'history-events.png',
    barChart({
      title: 'History events per tracked batch',
      subtitle: 'ours (continue-as-new every 100 polls) vs the naive 5 s workflow (log scale)',
      categories: ['reference lifecycle', '24 h enrichment'],
      series: [
        {
          label: 'ours (all runs)',
          values: [pick('ours', 'reference').totalEvents, pick('ours', '24 h enrichment').totalEvents],
        },
        {
          label: 'naive 5 s workflow',
          values: [pick('naive', 'reference').totalEvents, pick('naive', '24 h enrichment').totalEvents],
        },
      ],
      y: { label: 'events (log)', log: true, format: (v) => v.toLocaleString('en') },
    }),
    'history events, ours vs naive',
  );
}

// ---- 3. scale ----

md('## 3. Scale: concurrent trackers on one worker (dev server)', '');
const present = scales.filter((s) => s.r !== null);
if (present.length === 0) missing('scale-1000');
else {
  const first = present[0]?.r;
  md(
    `One worker process (createTrackerWorker, production tracker defaults; maxCachedWorkflows = the fleet size, other` +
      ` worker options at SDK defaults unless listed), our own \`temporal server start-dev\` process (in-memory SQLite),` +
      ` the simulator with ${first?.batches ? `batches of ${first.batches.urlsPerBatch} URLs whose scraping takes ${Math.round(first.batches.scrapingMs / 60_000)} min (items finish throughout, so each tracker follows the rate of its counts)` : '6-hour batches of 20 URLs'}.` +
      ` Trackers are started ${first?.start ? 'with 64 starts in flight' : ''}, then` +
      ' until every tracker has made its first status call (the start backlog drained), then a settle period, then' +
      ' the steady window. Slip = status call started − due (history event times of a seeded sample of 300' +
      ' trackers; the status call starts in the workflow task after the timer fired).' +
      (scale5kRunning
        ? ` The “batches already running” row (\`npm run bench:scale-5000-running\`): the same, except that each batch` +
          ` was created ${Math.round((scale5kRunning.batches?.createdAgoMs ?? 0) / 60_000)} minutes before its tracker` +
          ' starts, so every tracker starts on a batch in mid-scraping and skips a young tracker’s dense first polls.'
        : ''),
    '',
  );
  mdTable(
    [
      'trackers',
      'open at end',
      'starts/s',
      'status calls/s (starting / window)',
      'slip p50 (window)',
      'slip p99 (window)',
      'start → first call p50 / p99',
      'every tracker polled once after',
      'worker RSS peak',
      'worker CPU % (window)',
      'dev server CPU % (window)',
      'machine CPU % (window, all processes)',
      'CPU ms per status call (worker / server)',
    ],
    present.map((x) => [
      scaleLabel(x),
      x.r.running,
      x.r.start.startsPerSec,
      `${x.r.statusCallsPerSec.start} / ${x.r.statusCallsPerSec.window}`,
      s(x.r.slip.window.startSlipMs, 'p50'),
      s(x.r.slip.window.startSlipMs, 'p99'),
      `${s(x.r.slipAllPolls.startToFirstCallMs, 'p50')} / ${s(x.r.slipAllPolls.startToFirstCallMs, 'p99')}`,
      x.r.allPolledOnceAfterS === undefined
        ? '–'
        : x.r.allPolledOnceAfterS === null
          ? `not within the run (${x.r.polledOnceByEnd} of ${x.n})`
          : `${x.r.allPolledOnceAfterS} s`,
      `${x.r.usage.sinceFirstStart.worker?.rssPeakMiB} MiB`,
      x.r.usage.window.worker?.cpuPercent,
      serverUsage(x.r, 'window')?.cpuPercent,
      `${x.r.usage.window.machine?.cpuPercent} (load ${x.r.usage.window.machine?.loadavg?.[0] ?? '?'})`,
      `${x.r.cpuMsPerStatusCall.worker} / ${serverCpuPerCall(x.r)}`,
    ]),
  );
  const activated = present.map((x) => {
    const share = x.r.slipAllPolls.firstPolls / Math.max(1, Math.min(300, x.n));
    return {
      label: scaleLabel(x),
      n: x.n,
      share,
      cached: Math.round(share * x.n),
      rss: x.r.usage.sinceFirstStart.worker?.rssPeakMiB as number,
    };
  });
  const partial = activated.filter((x) => x.share < 0.99);
  md(
    'How many trackers had run at all: a tracker enters the worker’s cache with its first workflow task. By the end' +
      ' of each run, of the 300 sampled trackers these had made their first status call: ' +
      activated
        .map((a) => `${a.label}: ${Math.round(a.share * 100)} % (≈ ${a.cached.toLocaleString('en')} cached)`)
        .join('; ') +
      '. ' +
      (partial.length > 0
        ? `So the RSS figures of ${partial.map((x) => x.label).join(' and ')} are for fewer cached workflows than open ones; `
        : 'Every open tracker was cached; ') +
      (() => {
        // Per cached tracker: between the smallest run and the largest run in which every tracker was cached.
        const full = activated.filter((x) => x.share >= 0.99);
        const lo = full.reduce<(typeof full)[number] | undefined>(
          (m, a) => (m === undefined || a.cached < m.cached ? a : m),
          undefined,
        );
        const hi = full.reduce<(typeof full)[number] | undefined>(
          (m, a) => (m === undefined || a.cached > m.cached ? a : m),
          undefined,
        );
        if (lo === undefined || hi === undefined || hi.cached <= lo.cached)
          return 'no per-workflow estimate could be made.';
        const perKiB = ((hi.rss - lo.rss) * 1024) / (hi.cached - lo.cached);
        const at = (k: number) => Math.round(lo.rss + (perKiB * (k - lo.cached)) / 1024);
        return (
          `between ${lo.label} and ${hi.label} (every tracker cached in both) the worker grew ≈ ${Math.round(perKiB)} KiB` +
          ' per cached tracker' +
          (partial.length > 0
            ? `, which extrapolates to ${partial.map((x) => `≈ ${at(x.n)} MiB with all ${x.n.toLocaleString('en')} cached`).join(' and ')}`
            : '') +
          ' (an estimate, not a measurement).'
        );
      })(),
    '',
  );
  md(
    'Where the slip goes in the window (p50 / p99): the timer fires on time; the time is in the workflow task that' +
      ' follows (queued, then processed by the worker):',
    '',
  );
  mdTable(
    [
      'trackers',
      'timer fired − due',
      'poll scheduled − due',
      'status call (HTTP + completion)',
      'slip while starting p50 / p99',
    ],
    present.map((x) => [
      scaleLabel(x),
      `${s(x.r.slip.window.fireSlipMs, 'p50')} / ${s(x.r.slip.window.fireSlipMs, 'p99')}`,
      `${s(x.r.slip.window.scheduleSlipMs, 'p50')} / ${s(x.r.slip.window.scheduleSlipMs, 'p99')}`,
      `${s(x.r.slip.window.callMs, 'p50')} / ${s(x.r.slip.window.callMs, 'p99')}`,
      `${s(x.r.slip.start.startSlipMs, 'p50')} / ${s(x.r.slip.start.startSlipMs, 'p99')}`,
    ]),
  );
  md(
    `Worker settings: ${JSON.stringify(Object.fromEntries(Object.entries(first?.worker ?? {}).filter(([k, v]) => v !== undefined && k !== 'pid')))};` +
      ` dev server flags: \`${((first?.server ?? first?.devServer)?.args ?? []).filter((a: string) => !/^AirOps|--search-attribute/.test(a)).join(' ')}\`.`,
    '',
  );
  // The charts follow the fleet size on brand-new batches; the running-batches run is in the tables above.
  const storm = present.filter((p) => !p.running);
  const xs = storm.map((p) => p.n);
  chart(
    'scale-slip.png',
    lineChart({
      title: 'Poll slip vs open trackers (one worker, dev server)',
      subtitle: 'status call started − due, steady window; machine shared with other sessions',
      x: { label: 'open trackers', min: 0, format: (v) => v.toLocaleString('en') },
      y: { label: 'slip', min: 0, format: (v) => ms(v) },
      xs,
      series: [
        { label: 'slip p50', values: storm.map((p) => p.r.slip.window.startSlipMs.p50) },
        { label: 'slip p99', values: storm.map((p) => p.r.slip.window.startSlipMs.p99) },
      ],
      hlines: [{ y: 2_000, label: 'goal: p99 ≤ 2 s at 5,000' }],
    }),
    'poll slip against the number of open trackers',
  );
  chart(
    'scale-resources.png',
    lineChart({
      title: 'Worker memory and CPU vs open trackers',
      subtitle: 'RSS peak over the run (MiB); CPU in the steady window (% of one core)',
      x: { label: 'open trackers', min: 0, format: (v) => v.toLocaleString('en') },
      y: { label: 'MiB / %', min: 0 },
      xs,
      series: [
        { label: 'worker RSS peak (MiB)', values: storm.map((p) => p.r.usage.sinceFirstStart.worker?.rssPeakMiB) },
        { label: 'worker CPU %', values: storm.map((p) => p.r.usage.window.worker?.cpuPercent) },
        { label: 'dev server CPU %', values: storm.map((p) => serverUsage(p.r, 'window')?.cpuPercent) },
      ],
      hlines: [{ y: 1_024, label: 'goal: RSS ≤ 1 GiB' }],
    }),
    'worker RSS and CPU against the number of open trackers',
  );
}

// ---- 3b. the production server ----

md('## 3b. Scale on the production server: Temporal on PostgreSQL against the dev server', '');
if (serverRuns.length === 0) missing('scale-1000-native');
else {
  md(
    'The fleet of section 3 (brand-new batches, all started at once) on two servers, measured in the same session:' +
      ' the dev server (`temporal server start-dev`, SQLite in memory, one process) and `temporal-server` v1.29.1 on' +
      ' PostgreSQL configured from docker-compose.yml (its shard count, dynamic config, namespace and search-attribute' +
      ' one-shots; `npm run bench:scale-<N>-native`, `--server native`). Server CPU is the Temporal server’s process' +
      ' and, natively, every PostgreSQL process’s (exited backends counted through their parent). Server RSS adds up' +
      ' the processes, so PostgreSQL’s shared buffers count once per backend. “fixed slots” rows replace the tracker’s' +
      ' workflow-task slot supplier (one non-sticky task at a time, so that no query on a closed tracker is lost) with' +
      ' the SDK’s fixed-size one (`--slots fixed`): what the supplier costs a start storm. Start → first call is over' +
      ' the sampled trackers that made their first call within the run: where not every tracker did, it understates' +
      ' the wait, and the worker’s RSS is for fewer cached trackers than open ones.',
    '',
  );
  mdTable(
    [
      'trackers',
      'server',
      'status calls/s (window)',
      'server CPU ms per status call',
      'worker CPU ms per status call',
      'slip p50 / p99 (window)',
      'start → first call p50 / p99',
      'every tracker polled once after',
      'worker RSS peak',
      'server RSS peak',
      'machine CPU % (window; load)',
      'measured',
    ],
    serverRuns.map((x) => [
      x.n.toLocaleString('en'),
      `${x.server === 'native' ? 'PostgreSQL (compose)' : 'dev server'}${x.slots === 'fixed' ? ', fixed slots' : ''}`,
      x.r.statusCallsPerSec.window,
      serverCpuPerCall(x.r),
      x.r.cpuMsPerStatusCall.worker,
      `${s(x.r.slip.window.startSlipMs, 'p50')} / ${s(x.r.slip.window.startSlipMs, 'p99')}`,
      `${s(x.r.slipAllPolls.startToFirstCallMs, 'p50')} / ${s(x.r.slipAllPolls.startToFirstCallMs, 'p99')}`,
      x.r.allPolledOnceAfterS === null
        ? `not within the run (${x.r.polledOnceByEnd} of ${x.n})`
        : `${x.r.allPolledOnceAfterS} s`,
      `${x.r.usage.sinceFirstStart.worker?.rssPeakMiB} MiB`,
      `${serverUsage(x.r, 'sinceFirstStart')?.rssPeakMiB} MiB`,
      `${x.r.usage.window.machine?.cpuPercent} (${x.r.usage.window.machine?.loadavg?.[0] ?? '?'})`,
      String(x.r.at).slice(0, 16).replace('T', ' '),
    ]),
  );
  const pair = (n: number) => {
    const dev = serverRuns.find((x) => x.n === n && x.server === 'dev' && x.slots === 'tracker')?.r;
    const native = serverRuns.find((x) => x.n === n && x.server === 'native' && x.slots === 'tracker')?.r;
    return dev && native ? Math.round((serverCpuPerCall(native) / serverCpuPerCall(dev)) * 100) / 100 : null;
  };
  md(
    'Server CPU per status call, PostgreSQL-backed ÷ dev server in the same session: ' +
      [1_000, 5_000].map((n) => `${n.toLocaleString('en')} trackers ${x(pair(n))}`).join(', ') +
      '.',
    '',
  );
}

// ---- 4. query ----

md('## 4. Query latency: getProgress with 1,000 open trackers', '');
if (!query) missing('query');
else {
  mdTable(
    ['getProgress', 'n', 'p50', 'p90', 'p99', 'max'],
    [
      [
        'one at a time',
        query.sequential.n,
        ms(query.sequential.p50),
        ms(query.sequential.p90),
        ms(query.sequential.p99),
        ms(query.sequential.max),
      ],
      [
        `${query.parallel.concurrency} in flight (${query.parallel.queriesPerSec}/s)`,
        query.parallel.n,
        ms(query.parallel.p50),
        ms(query.parallel.p90),
        ms(query.parallel.p99),
        ms(query.parallel.max),
      ],
    ],
  );
  md(
    (query.startBacklogDrainedAfterS !== undefined
      ? `Queries began once every tracker had polled once (${query.startBacklogDrainedAfterS} s after the last start) and ${query.settleS} s more. `
      : '') +
      `${query.running} trackers open; ${query.errors} failed queries; machine CPU during the queries` +
      ` ${query.usage?.machine?.cpuPercent ?? '?'} % (load ${query.usage?.machine?.loadavg?.[0] ?? '?'}), worker` +
      ` ${query.usage?.worker?.cpuPercent ?? '?'} %, dev server ${query.usage?.devServer?.cpuPercent ?? '?'} %.`,
    '',
  );
}

// ---- 5. webhooks ----

md('## 5. Webhook receiver throughput (bench/webhooks.ts)', '');
if (!webhooks) missing('webhooks');
else {
  const rows: (string | number)[][] = [];
  /** A row from an HTTP load summary: accepted/s and the answer latency. */
  const httpRow = (label: string, perSec: number, l: Json) => [label, perSec, l.p50, l.p99, l.max];
  const a = webhooks.receiverAlone;
  if (a) rows.push(httpRow('receiver alone (stub Temporal client)', Math.round(a.ok2xx / a.duration), a.latency));
  const t = webhooks.throughput;
  if (t?.saturation)
    rows.push(
      httpRow(
        `end to end, saturation (${t.connections} connections, ${t.batches} trackers)`,
        t.saturation.acceptedPerSec,
        t.saturation.latency,
      ),
    );
  if (t?.direct)
    rows.push([
      'signalWithStart straight from a client, same load (no HTTP, no receiver)',
      t.direct.perSec,
      t.direct.p50,
      t.direct.p99,
      '–',
    ]);
  if (t?.paced)
    rows.push(httpRow(`end to end, ${t.paced.offeredPerSec}/s offered`, t.paced.acceptedPerSec, t.paced.latency));
  const off = webhooksSaOff?.throughput;
  if (off?.saturation)
    rows.push(
      httpRow(
        'end to end, saturation, dev server with `system.forceSearchAttributesCacheRefreshOnRead=false` (as in production)',
        off.saturation.acceptedPerSec,
        off.saturation.latency,
      ),
    );
  if (off?.paced)
    rows.push(
      httpRow(
        `end to end, ${off.paced.offeredPerSec}/s offered, same server setting`,
        off.paced.acceptedPerSec,
        off.paced.latency,
      ),
    );
  mdTable(['', 'accepted events/s', 'p50 ms', 'p99 ms', 'max ms'], rows);
  const j = t?.journal;
  if (j) {
    md(
      'With the ingest journal (`WEBHOOK_JOURNAL_DIR`): the receiver answers 202 once the event is fsync’d to its' +
        ' journal, and a forwarder (64 signals in flight) signals the trackers from it. Answered = what Olostep sees;' +
        ' forwarded = until every accepted event was signaled (Temporal accepted it); receipt → signal is the' +
        ' end-to-end latency to the tracker, which grows with the backlog when events come faster than Temporal' +
        ' takes them. Paced rows: evenly spaced requests, latency from when each was due.',
      '',
    );
    mdTable(
      [
        'journal mode',
        'answered events/s',
        'answer p50 / p99 / max ms',
        'forwarded events/s (until drained)',
        'receipt → signal p50 / p99',
      ],
      [
        ['saturation (32 connections, closed loop)', j.saturation],
        [`${j.paced?.http.offeredPerSec}/s offered`, j.paced],
      ]
        .filter((row): row is [string, Json] => row[1] !== null && row[1] !== undefined)
        .map(([name, p]) => [
          name,
          p.http.acceptedPerSec,
          `${p.http.latency.p50} / ${p.http.latency.p99} / ${p.http.latency.max}`,
          `${p.deliveredPerSec} (${p.forwarded} in ${p.drainedAfterS} s)`,
          `${ms(p.receiptToSignalMs.p50)} / ${ms(p.receiptToSignalMs.p99)}`,
        ]),
    );
  }
  if (webhooks.machine?.loadavg) md(`Load average when written: ${webhooks.machine.loadavg.join(', ')}.`, '');
}

// ---- 6. queries and signals behind a slow API ----

md('## 6. Queries and signals while status calls are in flight (slow API), and what a poll costs', '');
if (slowApiRuns.length === 0) missing('query-slow-api');
else {
  const w = slowApiRuns[slowApiRuns.length - 1]?.r.workload;
  md(
    `\`bench/query-slow-api.ts\`: ${w.trackers} trackers on one worker (dev server), each polling every` +
      ` ${w.pollIntervalMs / 1000} s (fixed interval, so every variant makes the same polls). Another client (its own` +
      ` connection, the library's \`getAirOpsBatchProgress\`) queries random trackers at ${w.queryRatePerSec}/s, open` +
      ` loop, and sends \`airopsEvent\` webhook payloads at ${w.signalRatePerSec}/s, each followed by queries of that` +
      ` tracker until \`getProgress\` shows it (signal → visible). First with the API answering at once (the same-run` +
      ` baseline), then with every status call answering after a delay spread evenly over` +
      ` ${w.slowApi.delaysMs.length} values from 0 to ${ms(Math.max(...w.slowApi.delaysMs))} (the worker's status` +
      ` timeout is ${ms(w.slowApi.statusTimeoutMs)}). "While its call is open": the queried tracker had a status call` +
      ` in flight when the query was sent (from the simulator's log). Queries may wait ${ms(w.queryTimeoutMs)}; the` +
      ` client library's default query timeout is 10 s.`,
    '',
  );
  const label = (r: Json) =>
    `${r.statusCall} (${r.trees.tree.commit}${r.trees.tree.dirty ? ', uncommitted changes' : ''})`;
  const lrow = (name: string, v: Summary, ...extra: (string | number)[]) => [
    name,
    v.n,
    ms(v.p50),
    ms(v.p90),
    ms(v.p99),
    ms(v.max),
    ...extra,
  ];
  const rows: (string | number)[][] = [];
  for (const { r } of slowApiRuns) {
    const errs = (q: Json) =>
      Object.entries<number>(q.errorsByType)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || '0';
    rows.push(
      lrow(
        `${label(r)}: API fast`,
        r.fastApi.queries.all,
        r.fastApi.queries.overDefaultTimeout,
        errs(r.fastApi.queries),
      ),
    );
    rows.push(
      lrow(
        `${label(r)}: API slow, all`,
        r.slowApi.queries.all,
        r.slowApi.queries.overDefaultTimeout,
        errs(r.slowApi.queries),
      ),
    );
    rows.push(lrow(`${label(r)}: API slow, while its call is open`, r.slowApi.queries.whileCallOpen, '', ''));
  }
  mdTable(['getProgress latency', 'n', 'p50', 'p90', 'p99', 'max', 'over 10 s', 'errors (in the latencies)'], rows);
  const srows: (string | number)[][] = [];
  for (const { r } of slowApiRuns) {
    srows.push(lrow(`${label(r)}: API fast`, r.fastApi.signals.sentToVisibleMs, `${r.fastApi.signals.notVisible}`));
    srows.push(
      lrow(`${label(r)}: API slow, all`, r.slowApi.signals.sentToVisibleMs, `${r.slowApi.signals.notVisible}`),
    );
    srows.push(
      lrow(`${label(r)}: API slow, while its call is open`, r.slowApi.signals.sentToVisibleWhileCallOpenMs, ''),
    );
  }
  mdTable(['signal sent → visible in getProgress', 'n', 'p50', 'p90', 'p99', 'max', 'not seen in 60 s'], srows);
  md(
    'Slow / fast in the same run, p50 and p99: ' +
      slowApiRuns
        .map(
          ({ r }) =>
            `${r.statusCall}: queries ${x(r.slowVsFast.queryP50)} and ${x(r.slowVsFast.queryP99)}, signal → visible` +
            ` ${x(r.slowVsFast.signalVisibleP50)} and ${x(r.slowVsFast.signalVisibleP99)}`,
        )
        .join('; ') +
      ` (with ${slowApiRuns[0]?.r.fastApi.signals.sent} signals in a fast window, its p99 is its slowest one)` +
      '. Open status calls during the slow window (p50 over 1-s samples): ' +
      slowApiRuns.map(({ r }) => `${r.statusCall} ${r.slowApi.calls.openCalls.p50}`).join(', ') +
      '. History events per status call in the slow window (signals included): ' +
      slowApiRuns
        .map(({ r }) => {
          const t = r.slowApi.cost.history.eventsPerPollByType;
          return `${r.statusCall} ${r.slowApi.cost.history.eventsPerPoll} (workflow tasks timed out ${t.workflow_task_timed_out ?? 0}, failed ${t.workflow_task_failed ?? 0} per poll)`;
        })
        .join(', ') +
      '. What the worker logged during the query phases (counted): ' +
      slowApiRuns
        .map(
          ({ r }) =>
            `${r.statusCall}: ${
              Object.entries<number>(r.workerLog ?? {})
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || 'nothing counted'
            }`,
        )
        .join('; ') +
      '.',
    '',
  );
  // Variants of the slow-API phase: where the time goes (the queried tracker's own call, or the worker).
  const variants = [
    ...slowApiRuns,
    ...[
      'query-slow-api-before-local-activity-short',
      'query-slow-api-before-local-activity-wft200',
      'query-slow-api-before-local-activity-30-trackers',
    ]
      .map((name) => ({ name, r: readResult<Json>(name) }))
      .filter((v) => v.r !== null),
  ];
  if (variants.some((v) => v.r.slowApi.queries.whileNoCallOpen)) {
    md(
      '**Where a query waits, API slow.** Queries split by whether the queried tracker had a status call of its own' +
        ' open when the query was sent; the workflow-task slots are the worker’s `maxConcurrentWorkflowTaskExecutions`' +
        ' (the SDK default is 40). Shorter runs (`--cost-rounds 0`, 60-s slow window) vary one thing each:',
      '',
    );
    const pq = (v: Summary | undefined) => (v ? `${ms(v.p50)} / ${ms(v.p99)}` : '–');
    mdTable(
      [
        'run',
        'status call',
        'trackers',
        'workflow-task slots',
        'open calls p50',
        'own call open: p50 / p99',
        'no call open: p50 / p99',
        'workflow tasks timed out / poll',
        'query errors',
      ],
      variants.map(({ name, r }) => [
        `${name} (${r.trees.tree.commit})`,
        r.statusCall,
        r.workload.trackers,
        r.workload.workerMaxConcurrentWorkflowTasks ?? 'sdk default',
        r.slowApi.calls.openCalls.p50,
        pq(r.slowApi.queries.whileCallOpen),
        pq(r.slowApi.queries.whileNoCallOpen),
        r.slowApi.cost.history.eventsPerPollByType.workflow_task_timed_out ?? 0,
        r.slowApi.queries.errors,
      ]),
    );
  }
  md(
    '**Per poll, API answering at once** (no queries or signals; history events of every tracker in the window over' +
      ' the status calls recorded in it; CPU from `/proc/<pid>/stat` over the status calls the simulator answered;' +
      ' pooled over the rounds, each on fresh trackers and a fresh worker process):',
    '',
  );
  const crow = (name: string, c: Json) => [
    name,
    c.statusCallKind,
    c.rounds,
    c.polls,
    c.eventsPerPoll,
    c.workerCpuMsPerPoll,
    c.devServerCpuMsPerPoll,
  ];
  const crows: (string | number)[][] = [];
  for (const { name, r } of slowApiRuns) {
    crows.push(crow(`${name}: ${r.trees.tree.commit}`, r.perPoll.tree));
    if (r.perPoll.baseline) {
      crows.push(crow(`${name}: same-run baseline ${r.trees.baseline.commit}`, r.perPoll.baseline));
      crows.push([
        `${name}: ratio to its same-run baseline`,
        '',
        '',
        '',
        x(r.perPollVsBaseline.eventsPerPoll),
        x(r.perPollVsBaseline.workerCpuMsPerPoll),
        x(r.perPollVsBaseline.devServerCpuMsPerPoll),
      ]);
    }
  }
  mdTable(
    ['run', 'status call', 'rounds', 'polls', 'events / poll', 'worker CPU ms / poll', 'dev server CPU ms / poll'],
    crows,
  );
  for (const { name, r } of slowApiRuns) {
    const first = r.costRounds.find((c: Json) => c.label === 'tree');
    const byType = Object.entries<number>(first?.cost.history.eventsPerPollByType ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    md(
      `${name} (${r.statusCall}), events per poll by type (its first round): ${byType}. Machine CPU during its cost rounds` +
        ` ${Math.round(r.perPoll.tree.machineCpuPercent)} % of one core (2 cores, anyone's); load average` +
        ` ${r.machine?.loadavg?.join(', ')} when written.`,
      '',
    );
  }
}

// ---- 7. overhead against a bare loop ----

md('## 7. Overhead: the tracker against a bare sleep + status-call loop', '');
if (overheadRuns.length === 0) missing('overhead-1000');
else {
  const first = overheadRuns[0]!.r;
  md(
    '`bench/scale.ts --compare bare` (`npm run bench:overhead-1000`, `bench:overhead-5000`): N trackers, then N bare' +
      ' loops (`bench/baselines/bare-loop.ts`: sleep, one `fetchAirOpsBatchStatus` call, a regular activity with the' +
      ' tracker’s options, nothing else), each phase on a fresh dev server, simulator and worker process with the same' +
      ' worker settings (createTrackerWorker: cache, slots with the tracker’s slot supplier, pollers) and the same' +
      ' bundle (the package’s workflows plus the bare loop, the tracker’s shared modules preloaded). Batches already' +
      ` running (${first.phases.tracker.batches.createdAgoMs / 60_000} min into a ${first.phases.tracker.batches.scrapingMs / 60_000}-min` +
      ' scraping phase), so the trackers poll on their steady-state schedule. The bare loop polls at a fixed interval' +
      ' chosen so that both fleets make the same number of status calls per second: N ÷ the trackers’ calls per' +
      ' second in their window (CPU per poll depends on the rate, since what a worker does between polls is spread' +
      ' over them; the tracker’s adaptive schedule follows each batch’s state, which a bare loop has none of). CPU per' +
      ' poll: the worker process’s CPU in the steady window ÷ the status calls the simulator answered in it. Events per' +
      ' poll: events of 300 sampled histories in the window ÷ the polls they scheduled in it. Memory per workflow:' +
      ' (worker memory at the end of the window − before the first start) ÷ the workflows that ran (all cached); heap' +
      ' is the main thread’s after a full GC plus the workflow thread’s in use (that thread cannot be made to collect,' +
      ' so its figure carries garbage). “Before”: the tracker code before this change; the JSON names the command.' +
      ` These runs were on ${first.phases.tracker.machine.nproc} × ${first.phases.tracker.machine.cpuModel}` +
      ` (${first.phases.tracker.machine.memoryGiB} GiB), shared.`,
    '',
  );
  const cmp = (o: Json, k: string) =>
    `${o.comparison.tracker[k]} / ${o.comparison.bare[k]} (${x(o.comparison.oursOverBare[k])})`;
  mdTable(
    [
      'run',
      'workflows',
      'calls/s (window)',
      'worker CPU ms / poll, ours / bare (÷)',
      'history events / poll',
      'worker RSS KiB / workflow',
      'worker heap KiB / workflow',
      'ran by the window’s end, ours / bare',
      'machine CPU % (window), load',
    ],
    overheadRuns.map(({ name, n, r }) => {
      const mach = (phase: string) => r.phases[phase].usage.window.machine;
      return [
        name,
        n.toLocaleString('en'),
        `${r.comparison.tracker.statusCallsPerSec} / ${r.comparison.bare.statusCallsPerSec}`,
        cmp(r, 'workerCpuMsPerPoll'),
        cmp(r, 'historyEventsPerPoll'),
        `${r.comparison.tracker.rssKiBPerWorkflow} / ${r.comparison.bare.rssKiBPerWorkflow} (${x(r.comparison.oursOverBare.rssKiBPerWorkflow)})`,
        `${r.comparison.tracker.heapKiBPerWorkflow} / ${r.comparison.bare.heapKiBPerWorkflow} (${x(r.comparison.oursOverBare.heapKiBPerWorkflow)})`,
        `${r.phases.tracker.memoryPerWorkflow.workflows} / ${r.phases.bare.memoryPerWorkflow.workflows}`,
        `${mach('tracker')?.cpuPercent ?? '–'} (${mach('tracker')?.loadavg?.[0] ?? '–'}) / ${mach('bare')?.cpuPercent ?? '–'} (${mach('bare')?.loadavg?.[0] ?? '–'})`,
      ];
    }),
  );
  md('Commands: ' + overheadRuns.map(({ name, r }) => `${name}: \`${String(r.command)}\``).join('; ') + '.', '');
}

// ---- bottlenecks ----

/** Bottleneck 10, from section 3b: what a status call costs the PostgreSQL-backed server, and the slot supplier's cost. */
function productionServerItem(): string {
  const get = (n: number, server: 'dev' | 'native', slots: 'tracker' | 'fixed') =>
    serverRuns.find((v) => v.n === n && v.server === server && v.slots === slots)?.r;
  const head = '10. **The production server and the start storm.**';
  const d1 = get(1_000, 'dev', 'tracker');
  const n1 = get(1_000, 'native', 'tracker');
  if (!d1 || !n1) return `${head} Run \`npm run bench:scale-1000-native\` (section 3b).`;
  const d5 = get(5_000, 'dev', 'tracker');
  const n5 = get(5_000, 'native', 'tracker');
  const f5 = get(5_000, 'dev', 'fixed');
  const cpu = (r: Json) => `${serverCpuPerCall(r)} ms`;
  const first = (r: Json) => ms(r.slipAllPolls.startToFirstCallMs.p99);
  const polled = (r: Json, n: number) =>
    r.allPolledOnceAfterS === null
      ? `${r.polledOnceByEnd} of ${n} had polled by the end`
      : `all had polled after ${r.allPolledOnceAfterS} s`;
  return (
    `${head} Temporal on PostgreSQL, configured as docker-compose.yml configures it, spends more CPU per status call` +
    ` than the dev server on SQLite: ${cpu(n1)} against ${cpu(d1)} at 1,000 trackers` +
    (d5 && n5 ? `, ${cpu(n5)} against ${cpu(d5)} at 5,000` : '') +
    ' (the server and every PostgreSQL process, for the same two workflow tasks and one activity task per poll). On' +
    ' this 2-core machine that CPU is what the' +
    ' worker competes with, so the same fleet polls fewer times a second and starts slower: start → first status call' +
    ` p99 ${first(n1)} natively against ${first(d1)} at 1,000` +
    (d5 && n5
      ? `, ${first(n5)} against ${first(d5)} at 5,000 (${polled(n5, 5_000)} natively, ${polled(d5, 5_000)} on the dev server)`
      : '') +
    '. A production cluster runs the server on its own machines, which this benchmark cannot. The start storm has a' +
    ' second cost, ours: the worker’s workflow-task slot supplier lets one task of the normal (non-sticky) queue in at' +
    ' a time, so that no query on a closed tracker is dropped (an SDK core behaviour, see CHANGELOG 0.2.0), and every' +
    ' new tracker’s first task comes from that queue.' +
    (f5 && d5
      ? ` With the SDK’s fixed-size supplier instead (\`--slots fixed\`), 5,000 trackers started at once made their first` +
        ` call with p99 ${first(f5)} (${polled(f5, 5_000)}) against ${first(d5)} with ours, slip p99 in the window` +
        ` ${ms(f5.slip.window.startSlipMs.p99)} against ${ms(d5.slip.window.startSlipMs.p99)}.`
      : ' Run `npx tsx bench/scale.ts --trackers 5000 --settle 60 --window 90 --slots fixed` to measure it.') +
    ' Steady polls are sticky and unaffected; a fleet that starts thousands of trackers at once pays it once, at the start.'
  );
}

/** Bottleneck 2, from section 6's results: what the local-activity status call cost and what the change costs. */
function statusCallItem(): string {
  const la = slowApiRuns.find((v) => v.r.statusCall === 'local activity')?.r;
  const ra = slowApiRuns.find((v) => v.r.statusCall === 'activity')?.r;
  const wft = readResult<Json>('query-slow-api-before-local-activity-wft200');
  const head =
    '2. **A local-activity status call held the workflow task behind a slow API (ours, changed this session).** The' +
    ' status call had become a local activity (one workflow task and a marker per poll). A local activity keeps its' +
    ' workflow task open while the call runs';
  if (!la) return `${head}; measure it with \`npm run bench:query-slow-api\` (section 6).`;
  const laQ = la.slowApi.queries;
  const delay = ms(Math.max(...la.workload.slowApi.delaysMs));
  let text =
    `${head}, so with the API answering in 0–${delay} (section 6) a query to a tracker waits for its call` +
    ` (getProgress p50 ${ms(laQ.whileCallOpen.p50)}, p99 ${ms(laQ.whileCallOpen.p99)} while the tracker's call is` +
    ` open; ${laQ.overDefaultTimeout} of ${laQ.all.n} queries took longer than the library's 10-s default), and a` +
    ` signal is merged only after it (signal → visible p99 ${ms(la.slowApi.signals.sentToVisibleMs.p99)}). Each such` +
    ` task also holds one of the worker's workflow-task slots (maxConcurrentWorkflowTaskExecutions, SDK default 40):` +
    ` with ${la.slowApi.calls.openCalls.p50} calls open, trackers without a call of their own waited too (p50` +
    ` ${ms(laQ.whileNoCallOpen?.p50)}), workflow tasks timed out` +
    ` (${la.slowApi.cost.history.eventsPerPollByType.workflow_task_timed_out ?? 0} per poll) and queries failed` +
    ` (${laQ.errors}, e.g. "Workflow Task in failed state").`;
  if (wft) {
    text +=
      ` The slots, not CPU, are the limit there: with 200 slots, ${wft.slowApi.calls.openCalls.p50} calls open,` +
      ` queries to trackers without a call answered at once (p50 ${ms(wft.slowApi.queries.whileNoCallOpen.p50)}, p99` +
      ` ${ms(wft.slowApi.queries.whileNoCallOpen.p99)}), while those behind their own call still waited for it` +
      ` (p99 ${ms(wft.slowApi.queries.whileCallOpen.p99)}).`;
  }
  if (!ra) return `${text} Not yet measured after the change to a regular activity: \`npm run bench:query-slow-api\`.`;
  const raQ = ra.slowApi.queries;
  text +=
    ` The status call is a regular activity again (${ra.trees.tree.commit}): with the same slow API getProgress p99 is` +
    ` ${ms(raQ.all.p99)} (${ms(raQ.whileCallOpen.p99)} while the tracker's call is open, ${raQ.errors} errors) and` +
    ` signal → visible p99 ${ms(ra.slowApi.signals.sentToVisibleMs.p99)}, with ${ra.slowApi.calls.openCalls.p50} calls` +
    ' open.';
  if (ra.perPoll.baseline) {
    text +=
      ` What it costs, with the API answering at once, against the local activity in the same run` +
      ` (${ra.trees.baseline.commit}): ${ra.perPoll.tree.eventsPerPoll} history events per poll instead of` +
      ` ${ra.perPoll.baseline.eventsPerPoll} (two workflow tasks and ActivityTaskScheduled/Started/Completed instead of` +
      ` one task and a marker; ${x(ra.perPollVsBaseline.eventsPerPoll)}), dev-server CPU per poll` +
      ` ${ra.perPoll.tree.devServerCpuMsPerPoll} ms instead of ${ra.perPoll.baseline.devServerCpuMsPerPoll}` +
      ` (${x(ra.perPollVsBaseline.devServerCpuMsPerPoll)}), worker CPU per poll ${ra.perPoll.tree.workerCpuMsPerPoll}` +
      ` ms instead of ${ra.perPoll.baseline.workerCpuMsPerPoll} (${x(ra.perPollVsBaseline.workerCpuMsPerPoll)}).` +
      ' Sections 1 and 3 above were measured before the change (see the dates in their JSON): their calls and lags' +
      ' hold (same schedule), the dev server’s share of the scale runs grows with these ratios until they are' +
      ' re-run; section 2 was re-measured after it.';
  }
  return text;
}

/** Bottleneck 9, from section 7 and heap-per-poll*.json: the tracker against a bare loop. */
function overheadItem(): string {
  const head = '9. **The tracker against a bare sleep + status-call loop (this session).**';
  const get = (n: number, when: 'before' | 'after') => overheadRuns.find((o) => o.n === n && o.when === when)?.r;
  const b1 = get(1_000, 'before');
  const a1 = get(1_000, 'after');
  const a5 = get(5_000, 'after');
  const b5 = get(5_000, 'before');
  if (!b1 || !a1) return `${head} Run \`npm run bench:overhead-1000\` (section 7).`;
  const r = (o: Json, k: string) => x(o.comparison.oursOverBare[k]);
  /** Every run's ratio at that size (the npm script's first, then its repeats). */
  const cpuRatios = (n: number, when: 'before' | 'after') =>
    overheadRuns
      .filter((o) => o.n === n && o.when === when)
      .map((o) => x(o.r.comparison.oursOverBare.workerCpuMsPerPoll))
      .join(', ');
  const memRatios = (n: number, when: 'before' | 'after', k: string) =>
    overheadRuns
      .filter((o) => o.n === n && o.when === when)
      .map((o) => x(o.r.comparison.oursOverBare[k]))
      .join(', ');
  const maxCpu = Math.max(...overheadRuns.map((o) => o.r.comparison.oursOverBare.workerCpuMsPerPoll as number));
  let text =
    `${head} Section 7 runs both in one invocation at the same status calls per second. Worker CPU per poll, ours ÷` +
    ` bare: ${cpuRatios(1_000, 'before')} before and ${cpuRatios(1_000, 'after')} after at 1,000` +
    (b5 && a5 ? `, ${cpuRatios(5_000, 'before')} and ${cpuRatios(5_000, 'after')} at 5,000` : '') +
    ': within the noise of this shared machine (the runs differ by more than the change could make; compare the' +
    ' machine column), and ' +
    (maxCpu <= 1.2 ? 'at or under the 1.2 goal in every run' : `over the 1.2 goal in at least one run (${x(maxCpu)})`) +
    '. History events per poll are the same (' +
    `${r(a1, 'historyEventsPerPoll')}): two workflow tasks and the activity’s three events per poll in both; the tracker` +
    ' upserts search attributes only when a value changes and adds no event per poll. So the workflow promises per' +
    ' poll that an earlier session counted (22 for the tracker, 10 for a bare sleep + local-activity loop) did not' +
    ' cost what item 3 suggested. The SDK’s stack-trace promise hook (item 3) has no worker option in' +
    ' 1.24.0: the workflow thread installs it unconditionally (`GlobalHandlers.install` in vm-shared.js), and only' +
    ' patching SDK internals in that thread would remove it. Measured once by doing so (replaying the committed' +
    ' happy-path history 30 times on a workflow thread, SDK internals patched for the measurement only): ~6.2 ms of' +
    ' worker CPU per poll with the hook, ~5.8 without (~0.02 ms per promise); on the main thread (debugMode) the same' +
    ' replay took 4.2 ms per poll with the hook and 2.7 without. A replay is not the fleet, and this was not' +
    ' re-profiled under load; but the fleet figures agree that the hook is a small share: the tracker makes more' +
    ' workflow promises per poll than the bare loop (15 in replays) and its CPU per poll is within the noise of the bare loop’s. Not' +
    ' worth patching the SDK or losing the stack-trace query. What changed (62fa9e1, no command changed,' +
    ' no patch): the poll timers share one cancellation scope until one is cancelled, and every wait uses one' +
    ' condition function. Workflow promises per poll in replays of the committed histories 18 → 15.' +
    ` Memory per cached workflow, ours ÷ bare: RSS ${r(b1, 'rssKiBPerWorkflow')} → ${r(a1, 'rssKiBPerWorkflow')}, heap` +
    ` ${r(b1, 'heapKiBPerWorkflow')} → ${r(a1, 'heapKiBPerWorkflow')} at 1,000` +
    (b5 && a5
      ? `, RSS ${r(b5, 'rssKiBPerWorkflow')} → ${r(a5, 'rssKiBPerWorkflow')} and heap ${r(b5, 'heapKiBPerWorkflow')} →` +
        ` ${r(a5, 'heapKiBPerWorkflow')} at 5,000`
      : '') +
    '. That is no change the fleet runs can resolve (every run at 1,000, before: RSS ' +
    `${memRatios(1_000, 'before', 'rssKiBPerWorkflow')}, heap ${memRatios(1_000, 'before', 'heapKiBPerWorkflow')};` +
    ` after: RSS ${memRatios(1_000, 'after', 'rssKiBPerWorkflow')}, heap ${memRatios(1_000, 'after', 'heapKiBPerWorkflow')}):` +
    ' their workflows have made a handful of polls each, and the change is in what each poll leaves behind (below)' +
    `. Most of the RSS gap is heap the worker has committed (${a1.phases.tracker.memoryPerWorkflow.heapCommittedKiB}` +
    ` KiB per workflow against ${a1.phases.bare.memoryPerWorkflow.heapCommittedKiB} at 1,000), in the workflow thread,` +
    ' whose heap in use is measured without a GC: the tracker allocates more per poll (state copies, its progress,' +
    ' and a stack trace the SDK records for each of its promises), and V8 keeps the heap it grew to.';
  const hb = readResult<Json>('heap-per-poll-before');
  const ha = readResult<Json>('heap-per-poll');
  if (hb && ha) {
    text +=
      ' The fleet runs read memory after a handful of polls per workflow; what a poll leaves behind until its run' +
      ' ends (up to 100 polls) shows in `bench/heap-per-poll.ts` (heap after a full GC, worker in debugMode, every' +
      ` workflow polling each ${hb.settings.pollMs / 1000} s, ${hb.settings.workflows} of each kind):` +
      ` ${hb.tracker.heapKiBPerPoll} KiB kept per poll before, ${ha.tracker.heapKiBPerPoll} after, against` +
      ` ${ha.bare.heapKiBPerPoll} for the bare loop (the SDK keeps a cancellation handler for every timer, activity` +
      ' and wait in a cancellable scope until the run ends; the tracker left a whole scope per poll, now one' +
      ' handler for its wait more than the bare loop). Commands: ' +
      `\`${String(hb.command)
        .replace(/--tree \S+/, '--tree DIR')
        .trim()}\` (before; DIR a \`git worktree add\` checkout` +
      ` of a31a673, the code before the change) and \`${String(ha.command).trim()}\`.`;
  }
  const bareRss = (a5 ?? a1).comparison.bare.rssKiBPerWorkflow;
  const bareHeapShare = Math.round(
    ((a5 ?? a1).phases.bare.memoryPerWorkflow.heapCommittedKiB / (a5 ?? a1).phases.bare.memoryPerWorkflow.rssKiB) * 100,
  );
  text +=
    ` The 1 GiB goal at 5,000 is not met, and not reachable from workflow code: the bare loop alone takes ~${bareRss}` +
    ` KiB of worker RSS per cached workflow (${Math.round((bareRss * 5_000) / 1024)} MiB for 5,000 before the worker’s own` +
    ` base), most of it outside the JavaScript heaps (the committed heap is ${bareHeapShare} % of it; the rest is` +
    ' native memory per cached run, the SDK’s Rust core among it, not broken down further here). What would meet it: a `MAX_CACHED_WORKFLOWS` below the fleet' +
    ' (evicted trackers replay from history on their next poll: CPU for memory, item 5) or the fleet split over two' +
    ' worker processes. At 5,000 the first workflow tasks of new workflows go through the one non-sticky slot' +
    ' (worker/workflow-task-slots.ts), so within the 300-s drain only part of the trackers had run (column “ran by' +
    ' the window’s end”), and the window mixes first tasks with steady polls.';
  return text;
}

md(
  '## Bottlenecks found',
  '',
  '1. **Detection lag tail (ours, fixed).** The poll schedule waited for the whole estimated remaining time of a' +
    ' phase. The estimate comes from the rate of the phase’s counts, and near the end of an enrichment of ~45 items' +
    ' it is often minutes late (the last items are sparse, and the phase ends after its last item), so the poll' +
    ' after it landed minutes after the transition: 79 of 300 seeded reference runs had a lag over 60 s, the worst' +
    ' 8 minutes. The schedule now approaches the estimate geometrically (40 % of the remaining estimate per wait,' +
    " no finer than 3.5 % of the phase so far), behind `patched('poll-schedule-approach-estimated-end')`: worst" +
    ' lag 51 s over the same seeds, calls p99 39, and fewer calls over 24 h. Found by the efficiency benchmark' +
    ' (2 of its 5 runs over 60 s), quantified and tuned with `bench:schedule`.',
  statusCallItem(),
  '3. **Worker CPU per poll is the SDK’s workflow sandbox (Temporal SDK, not our code).** A `--cpu-prof` profile of' +
    ' the worker at 2,000 trackers (`npx tsx bench/scale.ts --trackers 2000 --cpu-prof DIR`, summarized by `npx tsx' +
    ' bench/lib/cpuprofile.ts DIR`): the workflow thread was ~70 % busy, the main thread ~40 % (core bridge, gRPC,' +
    ' axios ~10 % of it, GC). On the workflow thread most of the time is the SDK’s promise hook for its stack-trace' +
    ' query: for every promise created in workflow code it compiles a small function in the sandbox (`runInContext`' +
    ' self time 31 %, source-map lookups of each compile), builds an `Error` and formats its stack (`init` 11 %,' +
    ' `prepareStackTrace` and call-site formatting ~12 %). It cannot be turned off (no worker option), and working' +
    ' around it from workflow code is impossible: the sandbox freezes `Promise` (tried). Our reducer' +
    ' (`applySnapshot`) is < 1 %. On the server side, `temporal server start-dev` sets' +
    ' `system.forceSearchAttributesCacheRefreshOnRead=true` (a production server does not): see section 5.',
  '4. **Status calls per second, not trackers, are what costs; this machine serves ~75 a second.** A poll costs' +
    ' ~13 ms of worker CPU and ~12 ms of dev-server CPU (section 3), so the two processes on these 2 shared cores' +
    ' serve ~75–85 polls/s and no more (both at 85–97 % of a core in the 5,000 runs). Two fleets of 5,000 show' +
    ' where the demand comes from. (a) All trackers started at once on brand-new batches: a new tracker polls at 0,' +
    ' 2, 6, 14, 30, 62 … s (it does not yet know how fast its batch goes), so 5,000 ask for ~30,000 polls in their' +
    ' first minutes; the last trackers made their first call 7.5 minutes after their start, and the window still' +
    ' carried that backlog. (b) Trackers started on batches already 2 minutes into a 30-minute scraping phase' +
    ' (`bench:scale-5000-running`): no young-tracker storm, but following 5,000 batches with detection lags under a' +
    ' minute still takes ~71 polls/s in the window, at this machine’s capacity, and the slip p99 is 4.5 s (timers' +
    ' fire on time; the wait is the workflow task queued behind others). At 1,000 trackers the same schedule needs' +
    ' ~10–15 polls/s and the window slip p99 is tens of ms. Trackers already running are served first (8 of the 10' +
    ' workflow-task pollers serve the sticky queue); a sticky task waiting 10 s moves to the normal queue, which caps' +
    ' the slip near 10 s. What would meet the goal: more CPU for the worker and the server (they are separate' +
    ' processes; a second worker on another core halves the worker’s share), or fewer polls per batch (a floor on' +
    ' a young tracker’s first waits from the batch’s size, behind a patch and re-tuned with `bench:schedule`; not' +
    ' done).',
  '5. **Worker memory: our share fixed, the rest is the SDK’s per-workflow state.** Every cached tracker evaluated' +
    ' its own copy of the workflow code’s modules (the reusable V8 context isolates module state per workflow). The' +
    ' pure ones (contract, lifecycle, schedule, request checks, batch-id, normalize) are now preloaded once and shared' +
    ' (the SDK’s `preloadModules`, worker/worker.ts `SHARED_WORKFLOW_MODULES`, guarded by test/worker/bundle.test.ts):' +
    ' heap per cached tracker 134 → 88 KiB (300 idle trackers, `--expose-gc` heap after GC), where a one-line' +
    ' `sleep` workflow costs 65 KiB, the SDK’s floor. Worker RSS at 5,000 cached trackers went from 1,717 to' +
    ' 1,433–1,500 MiB. The rest is the SDK: the main thread’s per-workflow pipeline (~300 MiB of main-thread heap' +
    ' at 5,000), the workflow thread’s context and the Rust core’s state per cached run. `MAX_CACHED_WORKFLOWS`' +
    ' bounds it (an evicted tracker is replayed from history on its next poll: more CPU, which this machine has' +
    ' none of to spare). Measured with half the fleet cached (5,000 open on running batches, `npx tsx' +
    ' bench/scale.ts --trackers 5000 --created-ago-min 2 --settle 30 --window 90 --cache 2500`, written to' +
    ' scale-5000-running-cache2500.json): RSS 1,185 MiB instead of 1,500, worker CPU per poll 16.5 ms instead of' +
    ' 13.5 (replays), slip p99 3.3 s. Over the 1 GiB goal at 5,000 cached. Measured against a bare loop since: item 9.',
  '6. **Webhook throughput: Temporal’s signalWithStart on this machine, with or without a journal.** The receiver' +
    ' alone (stub Temporal client) answers ~8,000–10,000 deliveries/s; answering after Temporal accepted each signal' +
    ' (the default: a 2xx means the event is in Temporal) it does what the dev server accepts: 170–185/s in this' +
    ' session’s three runs (280/s with the production search-attribute setting), about what the same signalWithStart' +
    ' load sent straight from a client gets (224–427/s). New this session: an opt-in ingest journal' +
    ' (`WEBHOOK_JOURNAL_DIR`) answers once the event is fsync’d to a local log and forwards from it. It answers' +
    ' 900–1,150 events/s at saturation and every one of 5,000 at 500/s offered, but with a p99 of 0.3–0.5 s on this' +
    ' machine: its 2 cores are taken by the dev server and the worker digesting the forwarded signals (250–350/s),' +
    ' and the receiver’s process waits for CPU. With the forwarder throttled to 4 signals in flight' +
    ' (`--forward-concurrency 4`) one run answered 1,675/s at saturation (p99 56 ms) and p99 146 ms at 500/s while' +
    ' forwarding only ~115/s. An fdatasync here takes ~0.1 ms, and the receiver alone with the journal answers 500' +
    ' evenly paced events/s with p99 27–32 ms, so the journal itself is not the tail. Forwarded events reach their' +
    ' trackers at Temporal’s pace (receipt → signal p99 4–16 s while a 5,000-event backlog drains). A forwarded' +
    ' event Temporal refuses as invalid is logged and dropped rather than blocking the journal. Paced runs now use' +
    ' an even-rate generator (bench/lib/paced-load.ts): autocannon’s `overallRate` sends each second’s quota in a' +
    ' burst at the start of the second, so its p99 measured that burst’s queue (p99 114–128 ms for the stub' +
    ' receiver at 500/s, against 27–32 ms evenly paced).',
  '7. **Query latency is the worker’s share of a query, under load.** With 1,000 open trackers, getProgress one at' +
    ' a time answers in 12 ms (p50) and 75 ms (p99; 68 ms in the previous session, within the noise of this shared' +
    ' machine). A query is an activation on the worker’s workflow thread, queued with the young trackers’ polls' +
    ' (~15/s at that moment) and served by the same sandbox (the promise hook of item 3), with the worker and the dev' +
    ' server each at ~75 % of a core and the machine at ~170 %; the worker’s event loop shows p99 delays of 50–90 ms' +
    ' in 5-s samples. The handler itself (`progressOf` over the tracker’s state) takes microseconds, and the memory' +
    ' work of item 5 did not move the tail. Not met by 25 ms; what would: a worker with CPU to spare (the p50,' +
    ' 12 ms, is the path when the query does not wait), or a read model outside the worker for dashboards (search attributes,' +
    ' which the tracker already upserts on every phase change, answer a `list` without touching the worker).',
  '8. **The machine.** 2 cores shared with other sessions; each benchmark records the load and the whole machine’s' +
    ' CPU beside its figures.',
  overheadItem(),
  productionServerItem(),
  '',
);

// ---- wall times ----

md('## Wall time of each benchmark', '');
mdTable(
  ['benchmark', 'command', 'wall time', 'finished'],
  Object.entries(runs).map(([name, r]) => [name, `npm run bench:${name}`, `${r.wallS} s`, r.at]),
);

writeFileSync(join(RESULTS_DIR, 'REPORT.md'), `${out.join('\n')}\n`);
console.log(`wrote ${join(RESULTS_DIR, 'REPORT.md')}`);
