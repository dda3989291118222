// Pre-created containers through the API: everything but the execve is done
// ahead of time, so a sample times only start() and the wait for the exit.
// Deleting the used container and creating its replacement happen after the
// timed region, before the sample returns: the next method's sample (the
// runner interleaves them) runs on a quiet machine. (The API's pool() helper
// starts its refill as soon as a container is taken, which would run during
// the timed start; so the refill here is explicit.)
import type { BenchApi, BenchContainer } from '../api';
import type { VariantName } from '../bundles';
import { elapsedMs, withWorkers, type Ids, type Method } from './method';

export interface ApiPreCreatedOptions {
  name: string;
  variant: VariantName;
  api: BenchApi;
  bundle: string;
  ids: Ids;
}

export function apiPreCreated(o: ApiPreCreatedOptions): Method {
  const create = () => o.api.create(o.ids.next(), o.bundle, true);
  let ready: BenchContainer | null = null;

  async function startToExit(c: BenchContainer): Promise<number> {
    const t = process.hrtime.bigint();
    try {
      await c.start();
      await c.wait();
      return elapsedMs(t);
    } finally {
      await c.delete();
    }
  }

  return {
    name: o.name,
    kind: 'api-pre-created',
    variant: o.variant,
    measures: 'container.start() and wait() on a container created beforehand (create and delete untimed)',
    async sample() {
      const c = ready ?? (await create());
      ready = null;
      const ms = await startToExit(c);
      ready = await create();
      return ms;
    },
    // The pool for a burst is made first, untimed; the burst times the starts only.
    async throughput(workers, count) {
      const waiting: BenchContainer[] = [];
      try {
        while (waiting.length < count) waiting.push(await create());
        return await withWorkers(workers, count, async () => void (await startToExit(waiting.pop()!)));
      } finally {
        // The ones never taken (after a failure) are still waiting at their barrier.
        await Promise.all(waiting.splice(0).map((c) => c.delete().catch(() => {})));
      }
    },
    async close() {
      if (ready) await ready.delete();
      ready = null;
    },
  };
}
