// create: everything up to the container process's execve. The init is left
// blocked on the exec fifo in the state directory (in its own small memory,
// so it outlives this process), the state says "created", and `start`
// releases it. A failure removes everything made so far, in reverse order.
import * as path from 'node:path';
import { Cgroup, delegationOwner, deviceRules } from '../cgroups';
import { ConfigError } from '../errors';
import { native } from '../native';
import { buildPlan } from '../plan';
import { deliverListener } from '../seccomp';
import type { Spec } from '../spec';
import { destroyQuietly, removeQuietly, spawnInCgroup } from './run';
import { sendConsole } from './console';
import { writeFileAtomic } from './container';
import { hasCreateHooks, runCreateHooks } from './hooks';
import { newStoredState, OCI_VERSION, processStat, publicState, StateDir } from './state';

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
  const { spec, id } = opts;
  const bundle = path.resolve(opts.bundle);
  if (spec.process?.terminal && !opts.consoleSocket) {
    throw new ConfigError('/process/terminal', 'cannot allocate a terminal for a container that outlives this command without a console socket (--console-socket)');
  }
  const cgroup = Cgroup.forContainer(spec, id);
  const resources = spec.linux?.resources ?? {};
  cgroup.check(resources);
  const state = StateDir.claim(opts.root, id);
  const stored = newStoredState(id, bundle, spec, true);
  let cgroupMade = false;
  try {
    const plan = buildPlan(spec, {
      bundle,
      preservedFds: opts.preservedFds ?? 0,
      cgroup: cgroup.planJoin(),
      seccompCacheDir: opts.seccompCacheDir,
      barrierFifo: state.execFifo,
      hooks: hasCreateHooks(spec),
      sessionKeyring: opts.noNewKeyring ? undefined : id,
    });
    for (const w of plan.warnings) opts.onWarning?.(w);
    // Written before anything exists on the host, so that `delete --force`
    // can clean up after a create that was killed half way.
    state.write(stored);
    native.mkfifo(state.execFifo, 0o600);
    cgroup.create();
    cgroupMade = true;
    cgroup.apply(resources, deviceRules(spec));
    const owner = delegationOwner(spec);
    if (owner) cgroup.delegateTo(owner);
    const seccomp = spec.linux?.seccomp;
    const init = await spawnInCgroup(plan, cgroup, {
      onSeccompListener: (fd, pid) => deliverListener(seccomp!, fd, { ociVersion: OCI_VERSION, id, pid, bundle, annotations: stored.annotations }),
      onConsole: (fd, ptsIndex) => sendConsole(opts.consoleSocket!, fd, ptsIndex),
      onHooks: (pid) => runCreateHooks(spec, { ...publicState(stored, 'creating'), pid }, cgroup, stored.rootfs),
    });
    try {
      const stat = processStat(init.pid);
      if (!init.waiting || !stat) throw new ConfigError('/process', 'the container process did not stop at the start barrier');
      Object.assign(stored, { status: 'created', pid: init.pid, pidStartTime: stat.startTime });
      state.write(stored);
      if (opts.pidfdSocket) native.sendToUnixSocket(opts.pidfdSocket, Buffer.from(String(init.pid)), [init.pidfd]);
      if (opts.pidFile) writeFileAtomic(path.resolve(opts.pidFile), String(init.pid));
    } catch (e) {
      native.pidfdSendSignal(init.pidfd, 9);
      await init.exited;
      throw e;
    }
    native.closeFd(init.pidfd);
    state.unlock();
    return { pid: init.pid };
  } catch (e) {
    // A cleanup failure is a warning: it must not hide the error that caused it.
    if (cgroupMade) await destroyQuietly(cgroup, opts.onWarning);
    removeQuietly(state, opts.onWarning);
    throw e;
  }
}
