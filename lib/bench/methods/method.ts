// What every measured method offers the runner. A method times its own
// samples, so work that must stay outside the timed region (refilling a pool
// of pre-created containers) is done inside sample() but not counted.
import type { VariantName } from '../bundles';

export type MethodKind = 'floor' | 'api' | 'api-pre-created' | 'cli' | 'runtime';

/** One separately timed lifecycle, in ms: create; start + wait for the exit; delete. */
export interface Split {
  create: number;
  start: number;
  delete: number;
}

export interface Method {
  /** Unique within a variant: "ociish API", "crun", "node -e 0 (floor)". */
  readonly name: string;
  readonly kind: MethodKind;
  /** null: the same for every variant (the Node floor). */
  readonly variant: VariantName | null;
  /** What one sample times, for the reports. */
  readonly measures: string;
  /** One timed sample, in ms. */
  sample(): Promise<number>;
  split?(): Promise<Split>;
  /** The ms that `workers` concurrent workers take to run `count` containers. */
  throughput?(workers: number, count: number): Promise<number>;
  /** The VmRSS (kB) of a created, not started container's init. */
  createdInitRss?(): Promise<number>;
  /** Removes whatever the method still holds. */
  close(): Promise<void>;
}

/** Unique container ids for one bench: no id is reused, so no run waits on a previous one's removal. */
export class Ids {
  private n = 0;

  constructor(private readonly prefix: string) {}

  next(): string {
    return `${this.prefix}-${++this.n}`;
  }
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs `count` jobs on `workers` concurrent workers (a worker takes the next
 * job when its last one ends); resolves with the elapsed ms. After a failure
 * no new job starts, and the first error is thrown once all have settled.
 */
export async function withWorkers(workers: number, count: number, job: (worker: number) => Promise<void>): Promise<number> {
  let taken = 0;
  let failure: { error: unknown } | undefined;
  const start = process.hrtime.bigint();
  const loop = async (worker: number) => {
    while (!failure && taken < count) {
      taken++;
      try {
        await job(worker);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, count) }, (_, w) => loop(w)));
  const ms = elapsedMs(start);
  if (failure) throw failure.error;
  return ms;
}
