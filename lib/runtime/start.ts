// start: run the startContainer hooks, release a created container's init
// (from the exec fifo; or, made by the API in this process, from its sync
// socket), so that it execs the container process; run the poststart hooks.
import * as fs from 'node:fs';
import { ContainerStateError } from '../errors';
import type { ContainerProcess } from './child';
import { LoadedContainer } from './container';
import type { Launched } from './launch';
import { publicState, StateDir } from './state';

export interface StartOptions {
  onWarning?: (message: string) => void;
}

export async function startContainer(root: string, id: string, opts: StartOptions = {}): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    requireCreated(c);
    if (!c.stored.detached) throw new ContainerStateError(id, 'cannot start: it was created through the ociish API by another process, which alone can start it');
    const config = c.stored.config;
    // The hooks module brings the planner with it (~15 ms of the CLI's start): only when there are hooks.
    const hooks = config.hooks ? await import('./hooks') : undefined;
    try {
      await hooks?.runHooks('startContainer', config, c.state(), { spec: config, initPid: c.stored.pid, cgroup: c.cgroup, rootfs: c.stored.rootfs });
    } catch (e) {
      // The spec: a failed startContainer hook stops the container.
      await c.cgroup.killAll().catch(() => {});
      throw e;
    }
    let fd: number;
    try {
      // Non-blocking: with no reader (the init died) this fails at once with ENXIO.
      fd = fs.openSync(c.dir.execFifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new ContainerStateError(id, 'cannot start: container not running');
      throw e;
    }
    try {
      fs.writeSync(fd, Buffer.from([0]));
    } finally {
      fs.closeSync(fd);
    }
    // No fifo means started: `state` reads "running" from here on.
    fs.unlinkSync(c.dir.execFifo);
    c.save({ status: 'running' });
    await hooks?.runHooksWarning('poststart', config, c.state(), opts.onWarning);
  } finally {
    c.release();
  }
}

function requireCreated(c: LoadedContainer): void {
  const status = c.status();
  if (status !== 'created') {
    throw new ContainerStateError(c.id, status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`);
  }
}

/**
 * Starts a container this process launched with a socket barrier (the
 * API's). The init is let go first and the state is written while it execs
 * (on the other core): a pre-created container's start is the release and
 * the execve, nothing else. With startContainer hooks, those run first.
 * Resolves with the exec'd process; a failed exec rejects (the process is
 * gone, its state and cgroup stay for delete).
 */
export async function startLaunched(launched: Launched, opts: StartOptions = {}): Promise<ContainerProcess> {
  const { root, id } = launched.state;
  const config = launched.stored.config;
  const hooks = config.hooks ? await import('./hooks') : undefined;
  if (config.hooks?.startContainer?.length) {
    const c = LoadedContainer.load(root, id);
    try {
      requireCreated(c);
      await hooks!.runHooks('startContainer', config, c.state(), { spec: config, initPid: c.stored.pid, cgroup: c.cgroup, rootfs: c.stored.rootfs });
    } catch (e) {
      await launched.abort();
      throw e;
    } finally {
      c.release();
    }
  }
  const execed = launched.release();
  // The release's answer goes out in microtasks: let them run before the
  // state write below, which then overlaps the exec instead of delaying it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  // Read again under the lock: an `update` may have changed the stored config meanwhile.
  const dir = StateDir.open(root, id);
  try {
    dir.write({ ...dir.read(), status: 'running' });
  } finally {
    dir.unlock();
  }
  const proc = await execed;
  await hooks?.runHooksWarning('poststart', config, publicState(launched.stored, 'running'), opts.onWarning);
  return proc;
}
