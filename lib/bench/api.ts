// The in-process API (lib/api's Runtime) as the bench drives it, behind one
// small interface: the methods time these calls and nothing else.
import { Runtime, type ExitResult } from '../api';

export interface BenchContainer {
  readonly pid: number;
  start(): Promise<void>;
  /** Resolves once the process has exited; rejects unless it exited 0. */
  wait(): Promise<void>;
  /** Removes it; one never started (or still running) is killed first. */
  delete(): Promise<void>;
}

export interface BenchApi {
  run(id: string, bundle: string, cgroup: boolean): Promise<void>;
  create(id: string, bundle: string, cgroup: boolean): Promise<BenchContainer>;
  /** Removes whatever containers this API still holds. */
  close(): Promise<void>;
}

function checkExit(id: string, r: ExitResult): void {
  if (r.exitCode !== 0) throw new Error(`container ${id}: ${r.signal ? `killed by ${r.signal}` : `exited with ${r.exitCode}`}`);
}

export function openApi(root: string): BenchApi {
  const runtime = new Runtime({ root });
  return {
    async run(id, bundle, cgroup) {
      checkExit(id, await runtime.run(id, { bundle }, { stdio: 'ignore', cgroup }));
    },
    async create(id, bundle, cgroup) {
      const c = await runtime.create(id, { bundle }, { stdio: 'ignore', cgroup });
      let started = false;
      return {
        pid: c.pid,
        async start() {
          await c.start();
          started = true;
        },
        async wait() {
          checkExit(id, await c.wait());
        },
        // A stopped container needs no force: the split times the plain delete.
        delete: () => c.delete({ force: !started }),
      };
    },
    close: () => runtime[Symbol.asyncDispose](),
  };
}
