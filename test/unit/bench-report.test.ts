// The bench's reports from a made-up measurement (no containers, no root):
// the summaries are samples in order, ratios are to the chosen baseline in
// the same variant, and the HTML page is one well-formed self-contained
// document whose chart has a bar per method.
import t from 'tap';
import type { Method, MethodKind } from '../../lib/bench/methods/method';
import { htmlReport } from '../../lib/bench/report-html';
import { textReport } from '../../lib/bench/report-text';
import { methodReports, type BenchResult } from '../../lib/bench/result';
import type { Measured } from '../../lib/bench/runner';
import { summarize } from '../../lib/bench/stats';
import { externalReferences, markupProblems } from '../helpers/markup';

function fakeMethod(name: string, kind: MethodKind, variant: Method['variant']): Method {
  return { name, kind, variant, measures: 'nothing', sample: async () => 0, close: async () => {} };
}

/** Samples from a fixed pseudo-random sequence, so the test is the same every time. */
function samples(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 10 + 1);
}

function measured(name: string, kind: MethodKind, variant: Method['variant'], seed: number): Measured {
  const s = samples(seed, 25);
  return {
    method: fakeMethod(name, kind, variant),
    samples: s,
    split: kind === 'floor' ? null : { create: samples(seed + 1, 25), start: samples(seed + 2, 25), delete: samples(seed + 3, 25) },
    throughput: kind === 'floor' ? [] : [{ concurrency: 1, containers: 30, ms: s[0]! * 30 }, { concurrency: 4, containers: 30, ms: s[1]! * 10 }],
  };
}

const all: Measured[] = [
  measured('node -e 0 (floor)', 'floor', null, 1),
  measured('ociish API', 'api', 'default', 2),
  measured('crun', 'runtime', 'default', 3),
  measured('ociish API', 'api', 'minimal', 4),
  measured('crun', 'runtime', 'minimal', 5),
  measured('weird <name> & "quotes"', 'runtime', 'minimal', 6),
];

function result(): BenchResult {
  return {
    tool: 'ociish bench',
    ociishVersion: '0.0.0',
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    options: { runs: 25, warmup: 0, concurrency: [1, 4], baseline: 'crun' },
    host: { kernel: 'k', arch: 'x64', cores: 2, cpuModel: 'cpu', node: 'v20', hostCgroupMode: 'hybrid', benchCgroupMode: 'v1', privateMountNamespace: true, unifiedUnmounted: true },
    runtimes: [{ name: 'crun', path: '/usr/bin/crun', version: 'crun version x' }],
    environment: { removed: ['NODE_EXTRA_CA_CERTS'], wereSet: [] },
    variants: [
      { name: 'default', description: 'the default bundle', bundle: '/b' },
      { name: 'minimal', description: 'the minimal bundle', bundle: '/m' },
    ],
    scratch: { dir: '/tmp/x', cgroupParent: 'ociish-bench-1' },
    methods: methodReports(all, 'crun'),
    memory: { createdInitRss: [{ method: 'crun', kb: 1, samples: [1] }], apiPerLiveContainer: { containers: 2, beforeKb: 1, afterKb: 2, perContainerKb: 0.5 } },
    notes: ['a note'],
  };
}

t.test('a summary is made of samples, in order', async (t) => {
  const s = samples(7, 40);
  const sum = summarize(s);
  for (const p of [sum.min, sum.p50, sum.p90, sum.p99]) t.ok(s.includes(p), 'each percentile is a measured sample');
  t.ok(sum.min <= sum.p50 && sum.p50 <= sum.p90 && sum.p90 <= sum.p99, 'min <= p50 <= p90 <= p99');
  t.ok(sum.min <= sum.mean && sum.mean <= Math.max(...s), 'the mean lies between the extremes');
  t.equal(sum.count, s.length);
});

t.test('ratios are to the baseline of the same variant; the floor is compared with the default one', async (t) => {
  const reports = methodReports(all, 'crun');
  const get = (name: string, variant: string | null) => reports.find((r) => r.name === name && r.variant === variant)!;
  t.equal(get('crun', 'default').ratio, 1, 'the baseline is 1 against itself');
  t.equal(get('crun', 'minimal').ratio, 1);
  const api = get('ociish API', 'minimal');
  t.equal(api.ratio, api.summary.p50 / get('crun', 'minimal').summary.p50, 'p50 over the same variant\'s baseline p50');
  t.equal(get('node -e 0 (floor)', null).ratio, get('node -e 0 (floor)', null).summary.p50 / get('crun', 'default').summary.p50);
  t.equal(get('crun', 'default').throughput.every((x) => x.ratio === 1), true, 'throughput ratios too');
  t.equal(methodReports(all, 'nobody').every((r) => r.ratio === null), true, 'no baseline: no ratios');
});

t.test('the HTML page is well formed, self-contained, escaped, and charts every method', async (t) => {
  const html = htmlReport(result());
  t.match(html, /^<!DOCTYPE html>/);
  t.same(markupProblems(html), [], 'every element closed in order');
  t.same(externalReferences(html), [], 'no scripts, links or external assets');
  const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
  t.ok(svg, 'an inline SVG chart');
  t.same(markupProblems(svg, { xml: true }), [], 'the SVG is well-formed XML');
  t.equal(svg.match(/<rect /g)?.length, all.length, 'a bar per method and variant');
  t.notMatch(html, /weird <name>/, 'names are escaped');
  t.match(html, /weird &#60;name&#62; &#38; &#34;quotes&#34;/);
});

t.test('the text table names every method, the baseline and the notes', async (t) => {
  const text = textReport(result());
  for (const m of all) t.match(text, m.method.name);
  t.match(text, /ratios are to crun/);
  t.match(text, /Split, p50 ms/);
  t.match(text, /Throughput/);
  t.match(text, /a note/);
});
