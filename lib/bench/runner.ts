// Runs the methods interleaved: every round takes one sample of each method
// (and one split of each that has one) before the next round starts, so a
// noisy spell on the machine hits every method alike. The order rotates from
// round to round, so no method always follows the same neighbour. Warm-up
// rounds are run the same way and discarded.
import type { Method } from './methods/method';

export interface Measured {
  method: Method;
  samples: number[];
  split: { create: number[]; start: number[]; delete: number[] } | null;
  throughput: Throughput[];
}

export interface Throughput {
  concurrency: number;
  containers: number;
  ms: number;
}

export interface RunnerOptions {
  runs: number;
  warmup: number;
  concurrency: number[];
  signal: AbortSignal;
  progress: (line: string) => void;
}

type Task = { measured: Measured; kind: 'sample' | 'split' };

/** Interleaved samples and splits, then throughput at each concurrency. */
export async function measure(methods: Method[], o: RunnerOptions): Promise<Measured[]> {
  const results = methods.map((method): Measured => ({ method, samples: [], split: method.split ? { create: [], start: [], delete: [] } : null, throughput: [] }));
  const tasks: Task[] = [
    ...results.map((measured): Task => ({ measured, kind: 'sample' })),
    ...results.filter((r) => r.split).map((measured): Task => ({ measured, kind: 'split' })),
  ];
  const rounds = o.warmup + o.runs;
  for (let round = 0; round < rounds; round++) {
    if (round === 0 && o.warmup) o.progress(`warm-up: ${o.warmup} round(s) of ${tasks.length} measurements, discarded`);
    if (round === o.warmup) o.progress(`measuring: ${o.runs} round(s) of ${tasks.length} measurements, interleaved`);
    const keep = round >= o.warmup;
    for (let i = 0; i < tasks.length; i++) {
      o.signal.throwIfAborted();
      const { measured, kind } = tasks[(round + i) % tasks.length]!;
      if (kind === 'sample') {
        const ms = await measured.method.sample();
        if (keep) measured.samples.push(ms);
      } else {
        const split = await measured.method.split!();
        if (keep) for (const part of ['create', 'start', 'delete'] as const) measured.split![part].push(split[part]);
      }
    }
  }
  await measureThroughput(results, o);
  return results;
}

/** Bursts measured per concurrency, each split in this many chunks taken round-robin over the methods. */
const THROUGHPUT_CHUNKS = 3;

/**
 * Containers per second with K concurrent workers. Each method runs at least
 * `runs` and at least 4×K containers per K, in chunks interleaved with the
 * other methods'; the rate is all containers over all the chunks' time.
 */
async function measureThroughput(results: Measured[], o: RunnerOptions): Promise<void> {
  const able = results.filter((r) => r.method.throughput);
  for (const k of o.concurrency) {
    const chunk = Math.max(k, Math.ceil(Math.max(o.runs, 4 * k) / THROUGHPUT_CHUNKS));
    o.progress(`throughput: ${k} concurrent worker(s), ${THROUGHPUT_CHUNKS}×${chunk} containers per method`);
    const totals = new Map<Measured, Throughput>(able.map((r) => [r, { concurrency: k, containers: 0, ms: 0 }]));
    for (let c = 0; c < THROUGHPUT_CHUNKS; c++) {
      for (let i = 0; i < able.length; i++) {
        o.signal.throwIfAborted();
        const r = able[(c + i) % able.length]!;
        const total = totals.get(r)!;
        total.ms += await r.method.throughput!(k, chunk);
        total.containers += chunk;
      }
    }
    for (const [r, total] of totals) r.throughput.push(total);
  }
}
