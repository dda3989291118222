// The table `ociish bench` prints: latency per method and variant, the
// lifecycle split, throughput, memory, and the conditions of the run.
import { ms, ratio } from './format';
import type { BenchResult, MethodReport } from './result';

const NAME_WIDTH = 28;



function row(name: string, cells: string[], width = 8): string {
  return `  ${name.padEnd(NAME_WIDTH)}${cells.map((c) => c.padStart(width)).join('')}`;
}

/** The floor first, then each variant's methods in measuring order. */
function groups(r: BenchResult): { title: string | null; methods: MethodReport[] }[] {
  const out: { title: string | null; methods: MethodReport[] }[] = [];
  const floor = r.methods.filter((m) => m.variant === null);
  if (floor.length) out.push({ title: null, methods: floor });
  for (const v of r.variants) out.push({ title: `${v.name}: ${v.description}`, methods: r.methods.filter((m) => m.variant === v.name) });
  return out;
}

export function textReport(r: BenchResult): string {
  const lines: string[] = [];
  const base = r.options.baseline;
  const h = r.host;
  lines.push(`ociish bench ${r.ociishVersion}: ${r.options.runs} runs per method after ${r.options.warmup} warm-up, interleaved; ratios are to ${base} in the same variant`);
  lines.push(`host: Linux ${h.kernel} ${h.arch}, ${h.cores} cores (${h.cpuModel}), node ${h.node}, cgroups ${h.hostCgroupMode}` + (h.benchCgroupMode !== h.hostCgroupMode ? ` (the containers saw ${h.benchCgroupMode})` : ''));
  for (const rt of r.runtimes) lines.push(`runtime ${rt.name}: ${rt.version} (${rt.path})`);
  lines.push('');

  lines.push('Full run: create -> exit -> delete, ms');
  lines.push(row('', ['min', 'p50', 'p90', 'p99', 'mean', 'ratio'], 9));
  for (const g of groups(r)) {
    if (g.title) lines.push(g.title);
    for (const m of g.methods) {
      const s = m.summary;
      lines.push(row(m.name, [ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), ratio(m.ratio)], 9));
    }
  }
  lines.push(`  (ratio: p50 / ${base}'s p50. ociish API pre-created: start -> exit only; its create and delete are outside the timed region)`);
  lines.push('');

  lines.push('Split, p50 ms: create; start + wait for the exit; delete (each timed on its own)');
  lines.push(row('', ['create', 'start', 'delete', 'sum'], 9));
  for (const g of groups(r)) {
    const split = g.methods.filter((m) => m.split);
    if (!split.length) continue;
    if (g.title) lines.push(g.title.split(':')[0]!);
    for (const m of split) {
      const { create, start, delete: del } = m.split!;
      lines.push(row(m.name, [ms(create.p50), ms(start.p50), ms(del.p50), ms(create.p50 + start.p50 + del.p50)], 9));
    }
  }
  lines.push('');

  const ks = r.options.concurrency;
  lines.push(`Throughput, containers per second with K concurrent workers (ratio to ${base})`);
  lines.push(row('', ks.map((k) => `K=${k}`), 17));
  for (const g of groups(r)) {
    const able = g.methods.filter((m) => m.throughput.length);
    if (!able.length) continue;
    if (g.title) lines.push(g.title.split(':')[0]!);
    for (const m of able) {
      lines.push(row(m.name, ks.map((k) => {
        const t = m.throughput.find((x) => x.concurrency === k);
        return t ? `${t.perSecond.toFixed(0)} (${ratio(t.ratio)})` : '-';
      }), 17));
    }
  }
  lines.push('  (ociish API pre-created: the containers are created before each burst; the burst times their start -> exit)');
  lines.push('');

  lines.push('Memory');
  for (const m of r.memory.createdInitRss) lines.push(`  ${m.method}: a created, not started container's init holds ${m.kb} kB (VmRSS, median of ${m.samples.length})`);
  const api = r.memory.apiPerLiveContainer;
  if (api) lines.push(`  ociish API: ${api.perContainerKb.toFixed(0)} kB of the process's RSS per live pre-created container (${api.beforeKb} -> ${api.afterKb} kB with ${api.containers})`);
  lines.push('');

  lines.push('Notes');
  for (const n of r.notes) lines.push(`  - ${n}`);
  return lines.join('\n') + '\n';
}
