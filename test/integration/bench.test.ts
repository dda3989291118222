// `ociish bench` on a tiny run, as a user runs it: it exits 0, prints the
// table, writes a JSON result with every method's samples and summaries and
// the host facts, and an HTML page with the chart; and leaves nothing behind
// (temp dirs, state, cgroups). With runc and crun when installed, which on a
// hybrid host also takes the private-mount-namespace path. No measured
// number is asserted.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ociishBin, rootSkip, tempDir } from '../helpers/container';
import { externalReferences, markupProblems } from '../helpers/markup';

function installed(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** What of the bench's temp dir and cgroup parent (in any hierarchy) still exists. */
function leftovers(scratch: { dir: string; cgroupParent: string }): string[] {
  const hierarchies = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h))];
  return [scratch.dir, ...hierarchies.map((h) => path.join(h, scratch.cgroupParent))].filter((p) => fs.existsSync(p));
}

const runtimes = ['runc', 'crun'].map(installed).filter((p): p is string => p !== null);

t.test('a tiny bench writes the table, the JSON and the HTML page', { skip: rootSkip, timeout: 600_000 }, async (t) => {
  const out = tempDir('bench-out');
  const json = path.join(out, 'result.json');
  const html = path.join(out, 'result.html');
  const args = ['bench', '--runs', '2', '--warmup', '0', '--concurrency', '1,2', '--json', json, '--html', html, ...runtimes.flatMap((r) => ['--runtime', r])];
  // NODE_OPTIONS: tap's hooks in every node it spawns would be timed too.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [ociishBin, ...args], { encoding: 'utf8', env, timeout: 540_000 });
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.slice(-2000)})`);

  const names = ['node -e 0 (floor)', 'ociish API', 'ociish API pre-created', 'ociish CLI', ...runtimes.map((p) => path.basename(p))];
  for (const n of names) t.match(r.stdout, n, `the table names ${n}`);
  t.match(r.stdout, /Full run/);
  t.match(r.stdout, /NODE_EXTRA_CA_CERTS/, 'it says what it removes from the environment');

  const result = JSON.parse(fs.readFileSync(json, 'utf8'));
  t.equal(result.tool, 'ociish bench');
  t.same(result.options.concurrency, [1, 2]);
  t.equal(result.options.baseline, runtimes.some((p) => p.endsWith('/crun')) ? 'crun' : runtimes.length ? 'runc' : 'ociish CLI');
  for (const key of ['kernel', 'cores', 'node', 'hostCgroupMode', 'benchCgroupMode', 'privateMountNamespace', 'unifiedUnmounted']) t.ok(key in result.host, `host.${key}`);
  if (runtimes.length && result.host.hostCgroupMode === 'hybrid') {
    t.equal(result.host.privateMountNamespace, true, 'hybrid host with runtimes: it ran in a private mount namespace');
    t.match(result.notes.join('\n'), /private mount namespace/);
  }
  t.same(result.runtimes.map((x: { name: string }) => x.name), runtimes.map((p) => path.basename(p)));
  for (const rt of result.runtimes) t.type(rt.version, 'string');
  t.same(result.variants.map((v: { name: string }) => v.name), ['default', 'minimal']);

  for (const variant of ['default', 'minimal']) {
    const here = result.methods.filter((m: { variant: string }) => m.variant === variant).map((m: { name: string }) => m.name);
    for (const n of names.slice(1)) t.ok(here.includes(n), `${variant}: ${n} measured`);
  }
  t.ok(result.methods.some((m: { name: string; variant: string }) => m.name === 'ociish API (no cgroup)' && m.variant === 'minimal'), 'the minimal variant without a cgroup');
  for (const m of result.methods) {
    t.equal(m.samples.length, 2, `${m.name}: one sample per run`);
    for (const k of ['min', 'p50', 'p90', 'p99', 'mean']) t.type(m.summary[k], 'number', `${m.name}: ${k}`);
    if (m.kind === 'api' || m.kind === 'cli' || m.kind === 'runtime') {
      for (const part of ['create', 'start', 'delete']) t.equal(m.split?.samples[part].length, 2, `${m.name}: the ${part} split`);
    }
    if (m.kind !== 'floor') t.same(m.throughput.map((x: { concurrency: number }) => x.concurrency), [1, 2], `${m.name}: throughput per concurrency`);
  }
  const initRss = result.memory.createdInitRss.map((x: { method: string }) => x.method);
  t.same(initRss, ['ociish CLI', ...runtimes.map((p) => path.basename(p))], 'a created init\'s RSS for the CLI and each runtime');
  t.type(result.memory.apiPerLiveContainer.perContainerKb, 'number');

  const page = fs.readFileSync(html, 'utf8');
  t.match(page, /^<!DOCTYPE html>/);
  t.same(markupProblems(page), [], 'a well-formed page');
  t.same(externalReferences(page), [], 'self-contained');
  const svg = /<svg[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
  t.same(markupProblems(svg, { xml: true }), [], 'with an inline SVG chart');
  t.equal(svg.match(/<rect /g)?.length, result.methods.length, 'a bar per method and variant');

  t.type(result.scratch.dir, 'string');
  t.same(leftovers(result.scratch), [], 'no temp dir or cgroup left behind');
});
