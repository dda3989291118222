// A runtime driven through its command line, as podman or containerd drive
// one: `X run` for a sample; `X create --pid-file`, `X start`, the init's
// exit (seen through a pidfd: once `create` has exited the init is not our
// child), `X delete` for the split. The ociish CLI is one of these too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VariantName } from '../bundles';
import { ForeignProcess, readPidFile, runTimed, vmRssKb } from '../processes';
import { elapsedMs, withWorkers, type Ids, type Method, type MethodKind, type Split } from './method';

export interface BinaryMethodOptions {
  name: string;
  kind: Extract<MethodKind, 'cli' | 'runtime'>;
  variant: VariantName;
  /** The command up to the verb, global flags included: ["runc", "--root", DIR]. */
  command: string[];
  /** The bundle a worker uses (runc and crun get one per worker: each has its own cgroup). */
  bundle: (worker: number) => string;
  ids: Ids;
  /** Where pid files go. */
  tmpDir: string;
}

export function binaryMethod(o: BinaryMethodOptions): Method {
  const verb = (...args: string[]) => [...o.command, ...args];
  const run = (worker: number) => runTimed(verb('run', '--bundle', o.bundle(worker), o.ids.next()));

  /** Creates a container; its init waits for start. */
  async function create(id: string): Promise<{ ms: number; pid: number }> {
    const pidFile = path.join(o.tmpDir, `${id}.pid`);
    const ms = await runTimed(verb('create', '--bundle', o.bundle(0), '--pid-file', pidFile, id));
    try {
      return { ms, pid: readPidFile(pidFile) };
    } finally {
      fs.rmSync(pidFile, { force: true });
    }
  }

  /** After a failure: nothing may stay behind (a missing container is fine). */
  async function forceDelete(id: string): Promise<void> {
    await runTimed(verb('delete', '--force', id)).catch(() => {});
  }

  return {
    name: o.name,
    kind: o.kind,
    variant: o.variant,
    measures: `spawn to exit of \`${path.basename(o.command[0] === process.execPath ? o.command[1]! : o.command[0]!)} run\``,
    sample: () => run(0),
    async split(): Promise<Split> {
      const id = o.ids.next();
      try {
        const created = await create(id);
        const init = new ForeignProcess(created.pid);
        let start: number;
        try {
          const t = process.hrtime.bigint();
          await runTimed(verb('start', id));
          await init.exited();
          start = elapsedMs(t);
        } finally {
          init.close();
        }
        return { create: created.ms, start, delete: await runTimed(verb('delete', id)) };
      } catch (e) {
        await forceDelete(id);
        throw e;
      }
    },
    throughput: (workers, count) => withWorkers(workers, count, async (w) => void (await run(w))),
    async createdInitRss(): Promise<number> {
      const id = o.ids.next();
      try {
        return vmRssKb((await create(id)).pid);
      } finally {
        await forceDelete(id);
      }
    },
    close: async () => {},
  };
}
