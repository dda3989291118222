// ociish bench [options] [BUNDLE]
import * as path from 'node:path';
import { parseVerb, UsageError } from '../args';
import type { CommandContext } from '../context';
import { writeErr } from '../output';
import type * as BenchIndex from '../../bench';
import type * as PrivateMountNs from '../../bench/private-mount-ns';
import type * as ReportText from '../../bench/report-text';
import type * as ReportJson from '../../bench/report-json';
import type * as ReportHtml from '../../bench/report-html';

/**
 * lib/bench (and the API it drives) is loaded by a computed path:
 * scripts/bundle-cli.mjs follows literal relative requires only, so the CLI's
 * one-file bundle, read at every start of every command, stays without it.
 */
function benchModule<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, '..', '..', 'bench', name));
}

export const benchHelp = `Usage: ociish bench [options] [BUNDLE]

Measures how long a container takes from create to its exit and removal,
for ociish's in-process API (runtime.run, and pre-created containers where
only start -> exit is timed), the ociish CLI (ociish run), \`node -e 0\` (the
floor of any Node command line) and every --runtime given (PATH run). The
methods are interleaved, one sample each per round, so ratios hold on a
noisy machine. Each is measured on BUNDLE (default: /bin/true in a busybox
bundle with ociish spec's config) and on a minimal variant of it (pid,
mount, uts and ipc namespaces, /proc, pivot_root, hostname, exec).

Reported per method: min/p50/p90/p99/mean, the create / start+exit / delete
split, containers per second with K concurrent workers, ratios to the
baseline, the RSS of a created-but-not-started init, and the API process's
RSS per live pre-created container.

Needs root. On a hybrid cgroup host with --runtime given, the whole bench
re-runs itself in a private mount namespace with /sys/fs/cgroup/unified
unmounted there (crun 1.8 refuses hybrid hosts); the host's mounts are not
touched. NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed from the
environment of every process it spawns.

Options:
      --runs N              samples per method (default 30)
      --warmup N            discarded rounds before them (default 3)
      --concurrency K,...   concurrent workers for throughput (default 1,8,32)
      --runtime PATH        another runtime binary to compare (repeatable)
      --baseline NAME       the method ratios are to (default crun, else runc, else "ociish CLI")
      --json FILE           write every sample, the summaries and the host facts as JSON
      --html FILE           write a self-contained HTML page with the table and a chart
  -h, --help                show this help
`;

function count(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`bench: ${flag} must be a whole number of at least ${min}`);
  return n;
}

function concurrency(value: string | undefined): number[] {
  if (value === undefined) return [1, 8, 32];
  const ks = value.split(',').map((k) => count('--concurrency', k.trim(), 0, 1));
  return [...new Set(ks)];
}

export async function bench(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'bench', benchHelp, args, {
    runs: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    runtime: { type: 'string', multiple: true },
    baseline: { type: 'string' },
    json: { type: 'string' },
    html: { type: 'string' },
  }, { min: 0, max: 1, what: 'at most one bundle' });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runs = count('--runs', values.runs, 30, 1);
  const warmup = count('--warmup', values.warmup, 3, 0);
  const ks = concurrency(values.concurrency);
  const runtimes = values.runtime ?? [];
  if (process.geteuid?.() !== 0) throw new UsageError('bench: needs root (it creates namespaces, mounts and cgroups)');

  const { mountNamespaceState, needsPrivateMountNamespace, reexecInPrivateMountNamespace } = benchModule<typeof PrivateMountNs>('private-mount-ns');
  const mountNamespace = mountNamespaceState();
  if (needsPrivateMountNamespace(mountNamespace, runtimes.length)) {
    writeErr('bench: hybrid cgroup host: re-running in a private mount namespace with /sys/fs/cgroup/unified unmounted there (crun 1.8 refuses hybrid hosts; the host is not touched)\n');
    return reexecInPrivateMountNamespace(args);
  }
  const { runBench } = benchModule<typeof BenchIndex>('index');
  const { textReport } = benchModule<typeof ReportText>('report-text');
  const { writeJsonReport } = benchModule<typeof ReportJson>('report-json');
  const { writeHtmlReport } = benchModule<typeof ReportHtml>('report-html');

  // Ctrl-C or SIGTERM: stop after the current measurement, then clean up.
  const abort = new AbortController();
  const stop = () => abort.abort(new Error('bench: interrupted'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A wait on a promise that nothing in the event loop will settle would end
  // the process quietly with status 0, as if the bench had finished.
  const stalled = () => {
    writeErr('ociish: bench: stalled: it waited on something nothing will finish (a bug); nothing reported\n');
    process.exit(1);
  };
  process.on('beforeExit', stalled);
  try {
    const result = await runBench({
      runs,
      warmup,
      concurrency: ks,
      runtimes,
      baseline: values.baseline,
      bundle: positionals[0],
      ociishBin: path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'ociish'),
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ociishVersion: require('../../../../package.json').version,
      mountNamespace,
      signal: abort.signal,
      progress: (line) => writeErr(`bench: ${line}\n`),
    });
    ctx.out(textReport(result));
    if (values.json) writeJsonReport(values.json, result);
    if (values.html) writeHtmlReport(values.html, result);
    return 0;
  } finally {
    process.off('beforeExit', stalled);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
