// The result of a bench as it is reported and written to JSON: every sample,
// the summaries, throughput, ratios to the baseline, memory, and the facts
// about the host and the runtimes needed to read it.
import type { VariantName } from './bundles';
import type { HostFacts } from './host';
import type { ApiRss, InitRss } from './memory';
import type { MethodKind } from './methods/method';
import type { Measured } from './runner';
import { summarize, type Summary } from './stats';

export interface ThroughputReport {
  concurrency: number;
  containers: number;
  seconds: number;
  perSecond: number;
  /** perSecond / the baseline's at the same concurrency and variant. */
  ratio: number | null;
}

export interface SplitReport {
  create: Summary;
  start: Summary;
  delete: Summary;
  samples: { create: number[]; start: number[]; delete: number[] };
}

export interface MethodReport {
  name: string;
  kind: MethodKind;
  /** null: the same in every variant (the Node floor). */
  variant: VariantName | null;
  measures: string;
  /** Milliseconds, in the order taken (warm-up excluded). */
  samples: number[];
  summary: Summary;
  /** p50 / the baseline's p50 in the same variant (the default variant's for the floor). */
  ratio: number | null;
  split: SplitReport | null;
  throughput: ThroughputReport[];
}

export interface RuntimeInfo {
  name: string;
  path: string;
  version: string;
}

export interface BenchResult {
  tool: 'ociish bench';
  ociishVersion: string;
  startedAt: string;
  finishedAt: string;
  options: { runs: number; warmup: number; concurrency: number[]; baseline: string };
  host: HostFacts;
  runtimes: RuntimeInfo[];
  /** Variables removed from the environment of every process the bench spawns, and which were set. */
  environment: { removed: string[]; wereSet: string[] };
  variants: { name: VariantName; description: string; bundle: string }[];
  /** Where the bench worked: its temp dir and the cgroup parent of the other runtimes' containers (both removed at the end). */
  scratch: { dir: string; cgroupParent: string };
  methods: MethodReport[];
  memory: { createdInitRss: InitRss[]; apiPerLiveContainer: ApiRss | null };
  notes: string[];
}

/** Summaries and ratios of what the runner measured. */
export function methodReports(measured: Measured[], baseline: string): MethodReport[] {
  const base = (variant: VariantName | null) => measured.find((m) => m.method.name === baseline && m.method.variant === (variant ?? 'default'));
  return measured.map((m): MethodReport => {
    const summary = summarize(m.samples);
    const b = base(m.method.variant);
    const bP50 = b ? summarize(b.samples).p50 : NaN;
    return {
      name: m.method.name,
      kind: m.method.kind,
      variant: m.method.variant,
      measures: m.method.measures,
      samples: m.samples,
      summary,
      ratio: Number.isFinite(bP50) && bP50 > 0 ? summary.p50 / bP50 : null,
      split: m.split ? { create: summarize(m.split.create), start: summarize(m.split.start), delete: summarize(m.split.delete), samples: m.split } : null,
      throughput: m.throughput.map((t) => {
        const bt = b?.throughput.find((x) => x.concurrency === t.concurrency);
        const perSecond = t.containers / (t.ms / 1000);
        return {
          concurrency: t.concurrency,
          containers: t.containers,
          seconds: t.ms / 1000,
          perSecond,
          ratio: bt ? perSecond / (bt.containers / (bt.ms / 1000)) : null,
        };
      }),
    };
  });
}
