// run: create and start a container in the foreground, wait for it, and
// remove everything it had. The caller's stdio goes to the container as is,
// unless `stdio` names other fds.
import type { Cgroup } from '../cgroups';
import type { ExitStatus } from '../native';
import { native } from '../native';
import type { Spec } from '../spec';
import type { ContainerProcess } from './child';
import { runHooks, runHooksWarning } from './hooks';
import { destroyQuietly, launch, removeQuietly } from './launch';
import { DEFAULT_ROOT, publicState } from './state';

export interface RunOptions {
  id: string;
  bundle: string;
  spec: Spec;
  root?: string;
  preservedFds?: number;
  /** The container's stdio: fds of this process (-1: the inherited one). */
  stdio?: [number, number, number];
  /** false: no cgroup of its own (no linux.resources, no cgroupsPath). */
  cgroup?: boolean;
  /** Keep the caller's session keyring instead of a new one named after the container (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /** Keep compiled seccomp programs here for later processes (the CLI); in memory only without it. */
  seccompCacheDir?: string;
  /** Called with each warning the plan has (unknown capabilities, ...). */
  onWarning?: (message: string) => void;
  /** Called once the container process runs (e.g. to forward signals to it). */
  onStart?: (container: ContainerProcess) => void;
  /** With process.terminal: where the pty master goes (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string;
  /** With process.terminal and no consoleSocket: takes the pty master (closed once this returns: dup it to keep it). */
  onConsole?: (fd: number, ptsIndex: number) => void;
  /** Called once the process has ended, before its cgroup goes (e.g. to read the OOM count). */
  onExit?: (status: ExitStatus, cgroup: Cgroup) => void;
  /** Keep the stopped container (state and cgroup) for a later `delete`, as runc's run --keep. */
  keep?: boolean;
  /** Aborting kills the container (SIGKILL); the run removes it and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function runContainer(opts: RunOptions): Promise<ExitStatus> {
  opts.signal?.throwIfAborted();
  const { spec } = opts;
  // startContainer hooks run while the process waits before execve.
  const startHooks = Boolean(spec.hooks?.startContainer?.length);
  const c = await launch({ ...opts, root: opts.root ?? DEFAULT_ROOT, barrier: startHooks ? 'socket' : 'none' });
  const { state, stored, cgroup } = c;
  // Set once the state and cgroup are kept (--keep) or already removed.
  let settled = false;
  let stopAbort = () => {};
  try {
    let container: ContainerProcess;
    try {
      opts.signal?.throwIfAborted();
      if (startHooks) {
        await runHooks('startContainer', spec, publicState(stored, 'created'), { spec, initPid: c.pid, cgroup, rootfs: stored.rootfs });
        opts.signal?.throwIfAborted();
      }
    } catch (e) {
      await c.abort();
      throw e;
    }
    container = await c.release();
    try {
      // Other commands (state, kill, exec) may act on the container while it runs.
      state.unlock();
      if (opts.signal) {
        const kill = () => native.pidfdSendSignal(container.pidfd, 9);
        opts.signal.addEventListener('abort', kill, { once: true });
        stopAbort = () => opts.signal!.removeEventListener('abort', kill);
      }
      opts.onStart?.(container);
      await runHooksWarning('poststart', spec, publicState(stored, 'running'), opts.onWarning);
    } catch (e) {
      // Nobody would watch the container: end it before reporting.
      native.pidfdSendSignal(container.pidfd, 9);
      await container.exited;
      throw e;
    }
    const status = await container.exited;
    stopAbort();
    opts.onExit?.(status, cgroup);
    if (opts.keep) {
      state.write({ ...stored, status: 'stopped', detached: true });
      settled = true;
    } else {
      await destroyQuietly(cgroup, opts.onWarning);
      removeQuietly(state, opts.onWarning);
      settled = true;
      await runHooksWarning('poststop', spec, { ...publicState(stored, 'stopped'), pid: 0 }, opts.onWarning);
    }
    opts.signal?.throwIfAborted();
    return status;
  } finally {
    stopAbort();
    if (!settled) {
      await destroyQuietly(cgroup, opts.onWarning);
      removeQuietly(state, opts.onWarning);
    }
  }
}
