// The in-process API: one call creates the container, runs it to its exit
// and removes it, with no runtime binary spawned and no Node start paid.
import type { BenchApi } from '../api';
import type { VariantName } from '../bundles';
import { elapsedMs, withWorkers, type Ids, type Method, type Split } from './method';

export interface ApiRunOptions {
  name: string;
  variant: VariantName;
  api: BenchApi;
  bundle: string;
  /** false: no cgroup of its own (DESIGN.md's floor makes none). */
  cgroup: boolean;
  ids: Ids;
}

export function apiRun(o: ApiRunOptions): Method {
  const run = () => o.api.run(o.ids.next(), o.bundle, o.cgroup);
  return {
    name: o.name,
    kind: 'api',
    variant: o.variant,
    measures: `runtime.run(): create, start, wait for the exit, delete${o.cgroup ? '' : ' (cgroup: false)'}`,
    async sample() {
      const t = process.hrtime.bigint();
      await run();
      return elapsedMs(t);
    },
    async split(): Promise<Split> {
      let t = process.hrtime.bigint();
      const c = await o.api.create(o.ids.next(), o.bundle, o.cgroup);
      const create = elapsedMs(t);
      try {
        t = process.hrtime.bigint();
        await c.start();
        await c.wait();
        const start = elapsedMs(t);
        t = process.hrtime.bigint();
        await c.delete();
        return { create, start, delete: elapsedMs(t) };
      } catch (e) {
        await c.delete().catch(() => {});
        throw e;
      }
    },
    throughput: (workers, count) => withWorkers(workers, count, run),
    close: async () => {},
  };
}
