// start: release a created container's init from the exec fifo; it execs
// the container process.
import * as fs from 'node:fs';
import { ContainerStateError } from '../errors';
import { LoadedContainer } from './container';

export interface StartOptions {
  onWarning?: (message: string) => void;
}

export async function startContainer(root: string, id: string, _opts: StartOptions = {}): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    const status = c.status();
    if (status !== 'created') {
      throw new ContainerStateError(id, status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`);
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
  } finally {
    c.release();
  }
}
