// run: create and start a container in the foreground, wait for it, and
// remove everything it had. The caller's stdio goes to the container as is.
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { native, type ExitStatus } from '../native';
import { Cgroup, delegationOwner, deviceRules } from '../cgroups';
import { buildPlan, type Plan } from '../plan';
import type { Spec } from '../spec';
import { deliverListener } from '../seccomp';
import { spawnContainer, type ContainerProcess, type SpawnOptions } from './child';
import { sendConsole } from './console';
import { hasCreateHooks, runCreateHooks, runHooks, runHooksWarning } from './hooks';
import { DEFAULT_ROOT, newStoredState, OCI_VERSION, processStat, publicState, StateDir } from './state';

export interface RunOptions {
  id: string;
  bundle: string;
  spec: Spec;
  root?: string;
  preservedFds?: number;
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
  /** Keep the stopped container (state and cgroup) for a later `delete`, as runc's run --keep. */
  keep?: boolean;
}

/** The exit code a shell would report: the status, or 128 + the signal. */
export function exitCode(status: ExitStatus): number {
  return 'exitCode' in status ? status.exitCode : 128 + status.signal;
}

export async function runContainer(opts: RunOptions): Promise<ExitStatus> {
  const bundle = path.resolve(opts.bundle);
  if (opts.spec.process?.terminal && !opts.consoleSocket && !opts.onConsole) {
    throw new ConfigError('/process/terminal', 'a terminal needs a console socket (consoleSocket) or an onConsole callback');
  }
  const cgroup = Cgroup.forContainer(opts.spec, opts.id);
  const resources = opts.spec.linux?.resources ?? {};
  cgroup.check(resources);
  const plan = buildPlan(opts.spec, {
    bundle,
    preservedFds: opts.preservedFds ?? 0,
    cgroup: cgroup.planJoin(),
    seccompCacheDir: opts.seccompCacheDir,
    hooks: hasCreateHooks(opts.spec),
    sessionKeyring: opts.noNewKeyring ? undefined : opts.id,
    // startContainer hooks run while the process waits before execve.
    barrier: Boolean(opts.spec.hooks?.startContainer?.length),
  });
  for (const w of plan.warnings) opts.onWarning?.(w);
  const state = StateDir.claim(opts.root ?? DEFAULT_ROOT, opts.id);
  const stored = newStoredState(opts.id, bundle, opts.spec, false);
  // Set once the state and cgroup are kept (--keep) or already removed.
  let settled = false;
  try {
    state.write(stored);
    cgroup.create();
    try {
      cgroup.apply(resources, deviceRules(opts.spec));
      const owner = delegationOwner(opts.spec);
      if (owner) cgroup.delegateTo(owner);
      const seccomp = opts.spec.linux?.seccomp;
      const container = await spawnInCgroup(plan, cgroup, {
        onSeccompListener: (fd, pid) =>
          deliverListener(seccomp!, fd, { ociVersion: OCI_VERSION, id: opts.id, pid, bundle, annotations: stored.annotations }),
        onConsole: (fd, ptsIndex) => (opts.consoleSocket ? sendConsole(opts.consoleSocket, fd, ptsIndex) : opts.onConsole!(fd, ptsIndex)),
        onHooks: (pid) => runCreateHooks(opts.spec, { ...publicState(stored, 'creating'), pid }, cgroup, stored.rootfs),
        onReady: (pid) => runHooks('startContainer', opts.spec, { ...publicState(stored, 'created'), pid }, { spec: opts.spec, initPid: pid, cgroup, rootfs: stored.rootfs }),
      });
      try {
        Object.assign(stored, { status: 'running', pid: container.pid, pidStartTime: processStat(container.pid)?.startTime ?? '' });
        state.write(stored);
        // Other commands (state, kill, exec) may act on the container while it runs.
        state.unlock();
        opts.onStart?.(container);
        await runHooksWarning('poststart', opts.spec, publicState(stored, 'running'), opts.onWarning);
      } catch (e) {
        // Nobody would watch the container: end it before reporting.
        native.pidfdSendSignal(container.pidfd, 9);
        await container.exited;
        throw e;
      }
      const status = await container.exited;
      if (opts.keep) {
        state.write({ ...stored, status: 'stopped', detached: true });
        settled = true;
      } else {
        await destroyQuietly(cgroup, opts.onWarning);
        removeQuietly(state, opts.onWarning);
        settled = true;
        await runHooksWarning('poststop', opts.spec, { ...publicState(stored, 'stopped'), pid: 0 }, opts.onWarning);
      }
      return status;
    } finally {
      if (!settled) await destroyQuietly(cgroup, opts.onWarning);
    }
  } finally {
    if (!settled) removeQuietly(state, opts.onWarning);
  }
}

/** Spawns the plan's child inside the container's cgroup: born there on v2, put there by pid on v1. */
export async function spawnInCgroup(plan: Plan, cgroup: Cgroup, opts: SpawnOptions = {}): Promise<ContainerProcess> {
  const cgroupFd = cgroup.openCloneFd();
  try {
    return await spawnContainer(plan, { ...opts, cgroupFd, onCgroupJoin: (pid) => cgroup.joinV1(pid) });
  } finally {
    if (cgroupFd >= 0) native.closeFd(cgroupFd);
  }
}

/** What the container left running (daemons outside a pid namespace) is killed, then the cgroup goes. */
export async function destroyQuietly(cgroup: Cgroup, onWarning?: (message: string) => void): Promise<void> {
  try {
    await cgroup.killAll();
    await cgroup.remove();
  } catch (e) {
    onWarning?.(`could not remove the cgroup: ${(e as Error).message}`);
  }
}

/** A failed removal is a warning: it must not hide the run's own result or error. */
export function removeQuietly(state: StateDir, onWarning?: (message: string) => void): void {
  try {
    state.remove();
  } catch (e) {
    onWarning?.(`could not remove ${state.dir}: ${(e as Error).message}`);
  }
}
