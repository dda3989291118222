// The in-process API as the bench drives it, behind one small interface:
// the methods time these calls and nothing else.
// TEMPORARY: until lib/api (Runtime) lands on main, this drives the runtime's
// launch path directly, the way the API will (socket barrier for create).
import * as fs from 'node:fs';
import { type ExitStatus } from '../native';
import { destroyQuietly, launch, removeQuietly } from '../runtime/launch';
import { runContainer } from '../runtime/run';
import { loadBundleConfig } from '../spec';

export interface BenchContainer {
  readonly pid: number;
  start(): Promise<void>;
  /** Resolves once the process has exited; rejects unless it exited 0. */
  wait(): Promise<void>;
  delete(): Promise<void>;
}

export interface BenchApi {
  run(id: string, bundle: string, cgroup: boolean): Promise<void>;
  create(id: string, bundle: string, cgroup: boolean): Promise<BenchContainer>;
  close(): Promise<void>;
}

function checkExit(id: string, status: ExitStatus): void {
  if (!('exitCode' in status) || status.exitCode !== 0) throw new Error(`container ${id}: ${JSON.stringify(status)}`);
}

export function openApi(root: string): BenchApi {
  // The containers' stdio: /dev/null, as the API's stdio: 'ignore'.
  const devNull = fs.openSync('/dev/null', 'r+');
  const stdio: [number, number, number] = [devNull, devNull, devNull];
  return {
    async run(id, bundle, cgroup) {
      checkExit(id, await runContainer({ id, bundle, spec: loadBundleConfig(bundle), root, stdio, cgroup }));
    },
    async create(id, bundle, cgroup) {
      const launched = await launch({ id, bundle, spec: loadBundleConfig(bundle), root, stdio, cgroup, barrier: 'socket' });
      let exited: Promise<ExitStatus> | undefined;
      return {
        pid: launched.pid,
        async start() {
          exited = (await launched.release()).exited;
        },
        async wait() {
          if (!exited) throw new Error(`container ${id}: not started`);
          checkExit(id, await exited);
        },
        async delete() {
          if (!exited) {
            // launch()'s abort() leaves the spawn waiting at its gate forever
            // (nothing else keeps the event loop alive): kill, then let the
            // spawn go on to see the death and reap it.
            process.kill(launched.pid, 'SIGKILL');
            await launched.release().catch(() => {});
          }
          await destroyQuietly(launched.cgroup);
          removeQuietly(launched.state);
        },
      };
    },
    async close() {
      fs.closeSync(devNull);
    },
  };
}
