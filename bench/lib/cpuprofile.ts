// Summarizes V8 .cpuprofile files (node --cpu-prof): self time by function and by package, so the report can name
// where a worker's CPU goes.   npx tsx bench/lib/cpuprofile.ts DIR_OR_FILE... [--top 25]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  sampledMs: number;
  idleMs: number;
  byFunction: { name: string; where: string; selfMs: number; share: number }[];
  byArea: { area: string; selfMs: number; share: number }[];
}

/** Which part of the stack a script URL belongs to. */
function areaOf(url: string, name: string): string {
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  if (url === '') return '(native/V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m?.[1]) return m[1];
  if (url.startsWith('node:')) return 'node core';
  if (/workflow-bundle|webpack/.test(url)) return 'workflow bundle (our workflow code + SDK workflow runtime)';
  const own = /\/work\/[^/]+\/([^/]+)\//.exec(url);
  if (own?.[1]) return `ours: ${own[1]}/`;
  return url.slice(0, 60);
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const area = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = url ? `${url.replace(/^.*\/(node_modules\/)?/, '')}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const cur = fn.get(key) ?? { name, where, us: 0 };
    cur.us += us;
    fn.set(key, cur);
    const a = areaOf(url, name);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  return {
    file,
    durationMs: Math.round((p.endTime - p.startTime) / 1000),
    sampledMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byFunction: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 1000), share: f.us / busy })),
    byArea: [...area.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([a, us]) => ({ area: a, selfMs: Math.round(us / 1000), share: us / busy })),
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const topArg = argv.indexOf('--top');
  const top = topArg >= 0 ? Number(argv[topArg + 1]) : 25;
  const args = argv.filter((a, i) => !a.startsWith('--') && !(topArg >= 0 && i === topArg + 1));
  const files = args.flatMap((a) =>
    statSync(a).isDirectory()
      ? readdirSync(a)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(a, f))
      : [a],
  );
  for (const f of files) {
    const s = summarizeProfile(f, top);
    console.log(`\n${s.file}: ${s.durationMs} ms, busy ${s.sampledMs - s.idleMs} ms, idle ${s.idleMs} ms`);
    for (const a of s.byArea.slice(0, 12)) console.log(`  ${(a.share * 100).toFixed(1).padStart(5)} %  ${a.area}`);
    console.log('  --');
    for (const x of s.byFunction) {
      console.log(`  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.selfMs} ms  ${x.name}  ${x.where}`);
    }
  }
}
