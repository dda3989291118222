// One self-contained HTML page (no scripts, no external assets): the
// conditions of the run, the tables, and a bar chart of the p50 of each
// method with a whisker to its p90, grouped by variant, drawn as inline SVG.
import * as fs from 'node:fs';
import { ms, ratio } from './format';
import type { BenchResult, MethodReport } from './result';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}



/** A round tick step giving about five ticks up to max. */
function tickStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
}

interface Bar {
  group: string;
  label: string;
  p50: number;
  p90: number;
}

export function chartSvg(bars: Bar[], title: string): string {
  const labelWidth = 300;
  const plotWidth = 560;
  const rowHeight = 22;
  const groupGap = 26;
  const top = 40;
  const max = Math.max(...bars.map((b) => b.p90).filter(Number.isFinite), 0.001);
  const step = tickStep(max);
  const scaleMax = Math.ceil(max / step) * step;
  const x = (v: number) => labelWidth + (v / scaleMax) * plotWidth;

  const body: string[] = [];
  let y = top;
  let group: string | null = null;
  for (const b of bars) {
    if (b.group !== group) {
      group = b.group;
      y += group === bars[0]!.group ? 0 : 6;
      body.push(`<text x="8" y="${y + 14}" class="group">${esc(group)}</text>`);
      y += groupGap - 6;
    }
    const mid = y + rowHeight / 2;
    body.push(`<text x="${labelWidth - 8}" y="${mid + 4}" text-anchor="end">${esc(b.label)}</text>`);
    body.push(`<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(0.5, x(b.p50) - labelWidth).toFixed(1)}" height="${rowHeight - 6}" class="bar"><title>${esc(`${b.label}: p50 ${ms(b.p50)} ms, p90 ${ms(b.p90)} ms`)}</title></rect>`);
    body.push(`<line x1="${x(b.p50).toFixed(1)}" x2="${x(b.p90).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`);
    body.push(`<line x1="${x(b.p90).toFixed(1)}" x2="${x(b.p90).toFixed(1)}" y1="${mid - 5}" y2="${mid + 5}" class="whisker"/>`);
    body.push(`<text x="${(x(b.p90) + 6).toFixed(1)}" y="${mid + 4}" class="value">${ms(b.p50)}</text>`);
    y += rowHeight;
  }
  const bottom = y + 8;
  const axis: string[] = [];
  for (let v = 0; v <= scaleMax + step / 2; v += step) {
    axis.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 6}" y2="${bottom}" class="grid"/>`);
    axis.push(`<text x="${x(v).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="tick">${Number(v.toPrecision(6))}</text>`);
  }
  const width = labelWidth + plotWidth + 70;
  const height = bottom + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    '<style>text{font:12px sans-serif;fill:#222}.group{font-weight:bold}.bar{fill:#4a7fb5}.whisker{stroke:#222;stroke-width:1.5}.grid{stroke:#ddd}.tick,.value{fill:#555}</style>',
    `<text x="8" y="18" class="group">${esc(title)}</text>`,
    ...axis,
    ...body,
    `<text x="${labelWidth + plotWidth / 2}" y="${height - 6}" text-anchor="middle" class="tick">ms (bar: p50, whisker: p90)</text>`,
    '</svg>',
  ].join('\n');
}

function groupName(m: MethodReport): string {
  return m.variant === null ? 'floor' : `${m.variant} bundle`;
}

function latencyTable(r: BenchResult): string {
  const head = ['variant', 'method', 'min', 'p50', 'p90', 'p99', 'mean', `/ ${r.options.baseline}`, 'split p50: create', 'start', 'delete'];
  const rows = r.methods.map((m) => {
    const s = m.summary;
    const split = m.split ? [m.split.create.p50, m.split.start.p50, m.split.delete.p50].map(ms) : ['', '', ''];
    return [groupName(m), m.name, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), ratio(m.ratio), ...split];
  });
  return table(head, rows);
}

function throughputTable(r: BenchResult): string {
  const head = ['variant', 'method', ...r.options.concurrency.map((k) => `K=${k} /s`)];
  const rows = r.methods
    .filter((m) => m.throughput.length)
    .map((m) => [groupName(m), m.name, ...r.options.concurrency.map((k) => {
      const t = m.throughput.find((x) => x.concurrency === k);
      return t ? `${t.perSecond.toFixed(0)} (${ratio(t.ratio)})` : '-';
    })]);
  return table(head, rows);
}

function memoryTable(r: BenchResult): string {
  const rows = r.memory.createdInitRss.map((m) => [`${m.method}: created, not started init`, `${m.kb} kB VmRSS`]);
  const api = r.memory.apiPerLiveContainer;
  if (api) rows.push([`ociish API: process RSS per live pre-created container (${api.containers})`, `${api.perContainerKb.toFixed(0)} kB`]);
  return table(['what', 'memory'], rows);
}

function table(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((row) => `<tr>${row.map((c, i) => (i < 2 ? `<td>${esc(c)}</td>` : `<td class="n">${esc(c)}</td>`)).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>`;
}

export function htmlReport(r: BenchResult): string {
  const bars: Bar[] = r.methods.map((m) => ({ group: groupName(m), label: m.name, p50: m.summary.p50, p90: m.summary.p90 }));
  const h = r.host;
  const facts = [
    `${r.options.runs} runs per method after ${r.options.warmup} warm-up, methods interleaved; started ${r.startedAt}`,
    `Linux ${h.kernel} ${h.arch}, ${h.cores} cores (${h.cpuModel}), node ${h.node}, cgroups ${h.hostCgroupMode}${h.benchCgroupMode !== h.hostCgroupMode ? ` (the containers saw ${h.benchCgroupMode})` : ''}`,
    ...r.runtimes.map((rt) => `${rt.name}: ${rt.version} (${rt.path})`),
    ...r.variants.map((v) => `${v.name} bundle: ${v.description}`),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ociish bench ${esc(r.startedAt)}</title>
<style>
body{font:14px sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}
</style>
</head>
<body>
<h1>ociish bench</h1>
<ul>
${facts.map((f) => `<li>${esc(f)}</li>`).join('\n')}
</ul>
<h2>Full run: create, exit, delete</h2>
${chartSvg(bars, 'p50 latency per method (ms), whisker to p90')}
${latencyTable(r)}
<p>${esc('ociish API pre-created times start → exit only: its create and delete are outside the timed region.')}</p>
<h2>Throughput</h2>
${throughputTable(r)}
<h2>Memory</h2>
${memoryTable(r)}
<h2>Notes</h2>
<ul>
${r.notes.map((n) => `<li>${esc(n)}</li>`).join('\n')}
</ul>
</body>
</html>
`;
}

export function writeHtmlReport(file: string, r: BenchResult): void {
  fs.writeFileSync(file, htmlReport(r));
}
