// delete: remove a stopped (or never started) container: what is left in its
// cgroup, the cgroup, and the state directory; then its poststop hooks. With `force` a running one is
// killed first. Like runc, deleting an unknown id with `force` succeeds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerStateError } from '../errors';
import { native } from '../native';
import { LoadedContainer, waitGone } from './container';
import { checkId } from './state';

export interface DeleteOptions {
  force?: boolean;
  onWarning?: (message: string) => void;
}

export async function deleteContainer(root: string, id: string, opts: DeleteOptions = {}): Promise<void> {
  let c: LoadedContainer;
  try {
    c = LoadedContainer.load(root, id);
  } catch (e) {
    if (!(e instanceof ContainerStateError) || !opts.force) throw e;
    removeAbandoned(root, id);
    return;
  }
  try {
    const status = c.status();
    if ((status === 'running' || status === 'paused') && !opts.force) {
      throw new ContainerStateError(id, `cannot delete container that is not stopped: ${status} (use --force)`);
    }
    // A frozen process dies of SIGKILL only once thawed (v1 freezer).
    if (status === 'paused') {
      await c.cgroup.killAll();
      await c.cgroup.setFrozen(false);
    }
    if (status !== 'stopped') await killInit(c);
    // Processes outside a pid namespace do not die with the init.
    await c.cgroup.killAll();
    await c.cgroup.remove();
    c.dir.remove();
    // Loaded only when needed: the hooks module brings the planner with it.
    if (c.stored.config.hooks?.poststop?.length) {
      const { runHooksWarning } = await import('./hooks');
      await runHooksWarning('poststop', c.stored.config, { ...c.state(), status: 'stopped', pid: 0 }, opts.onWarning);
    }
  } finally {
    c.release();
  }
}

async function killInit(c: LoadedContainer): Promise<void> {
  const pidfd = c.openInit();
  if (pidfd === null) return;
  try {
    native.pidfdSendSignal(pidfd, 9);
    await waitGone(pidfd);
  } finally {
    native.closeFd(pidfd);
  }
}

/** A directory left by a create that died before writing state.json (runc removes it too). */
function removeAbandoned(root: string, id: string): void {
  checkId(id);
  fs.rmSync(path.join(root, id), { recursive: true, force: true });
}
