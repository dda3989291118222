// kill: a signal to the container's init, or with `all` to every process in its cgroup.
import { ContainerStateError } from '../errors';
import { native } from '../native';
import { LoadedContainer } from './container';

export async function killContainer(root: string, id: string, signal: number, opts: { all?: boolean } = {}): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    // --all reaches what is left in the cgroup even once the init is gone (runc; containerd relies on it).
    if (opts.all) return await c.cgroup.killAll(signal);
    c.require(['created', 'running', 'paused'], 'signal');
    const pidfd = c.openInit();
    // containerd maps "container not running" to NotFound.
    if (pidfd === null) throw new ContainerStateError(id, 'cannot signal: container not running');
    try {
      native.pidfdSendSignal(pidfd, signal);
    } finally {
      native.closeFd(pidfd);
    }
  } finally {
    c.release();
  }
}
