// create: everything up to the container process's execve. The init is left
// blocked on the exec fifo in the state directory (in its own small memory,
// so it outlives this process), the state says "created", and `start`
// releases it. A failure removes everything made so far (launch.ts).
import { ConfigError } from '../errors';
import { native } from '../native';
import type { Spec } from '../spec';
import { announceProcess } from './container';
import { destroyQuietly, launch, removeQuietly } from './launch';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  spec: Spec;
  /** Write the init's pid here (atomically) before returning. */
  pidFile?: string;
  /** With process.terminal: where the pty master goes (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string;
  /** Send a pidfd of the init to this unix socket, as runc's --pidfd-socket. */
  pidfdSocket?: string;
  preservedFds?: number;
  /** Keep the caller's session keyring instead of a new one named after the container (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  seccompCacheDir?: string;
  onWarning?: (message: string) => void;
}

export async function createContainer(opts: CreateOptions): Promise<{ pid: number }> {
  if (opts.spec.process?.terminal && !opts.consoleSocket) {
    // launch() checks this too; this says it in the words a CLI user needs.
    throw new ConfigError('/process/terminal', 'cannot allocate a terminal for a container that outlives this command without a console socket (--console-socket)');
  }
  const c = await launch({ ...opts, barrier: 'fifo' });
  const init = await c.spawned;
  try {
    await announceProcess(init, opts);
  } catch (e) {
    await destroyQuietly(c.cgroup, opts.onWarning);
    removeQuietly(c.state, opts.onWarning);
    throw e;
  }
  native.closeFd(init.pidfd);
  c.state.unlock();
  return { pid: init.pid };
}
