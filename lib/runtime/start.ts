// start: run the startContainer hooks, release a created container's init
// from the exec fifo (it execs the container process), run the poststart hooks.
import * as fs from 'node:fs';
import { ContainerStateError } from '../errors';
import { LoadedContainer } from './container';

export interface StartOptions {
  onWarning?: (message: string) => void;
}

export async function startContainer(root: string, id: string, opts: StartOptions = {}): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    const status = c.status();
    if (status !== 'created') {
      throw new ContainerStateError(id, status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`);
    }
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
