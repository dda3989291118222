// exec: run another process in a live container, joined to its namespaces
// and cgroup. Attached, its exit status is the caller's; detached, it is left
// running (reparented to the caller's subreaper once this process exits).
import * as path from 'node:path';
import { ConfigError, ContainerStateError } from '../errors';
import type { ExitStatus } from '../native';
import { buildExecPlan } from '../plan';
import { cachedSeccompFilter, deliverListener } from '../seccomp';
import type { Process } from '../spec';
import type { ContainerProcess } from './child';
import { sendConsole } from './console';
import { announceProcess, LoadedContainer } from './container';
import { spawnInCgroup } from './launch';
import { OCI_VERSION } from './state';

export interface ExecOptions {
  root: string;
  id: string;
  process: Process;
  /** Return once the process runs instead of waiting for it. */
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** Send a pidfd of the process to this unix socket, as runc's --pidfd-socket. */
  pidfdSocket?: string;
  preservedFds?: number;
  /** The process's stdio: fds of this process (-1: the inherited one). */
  stdio?: [number, number, number];
  seccompCacheDir?: string;
  onWarning?: (message: string) => void;
  /** Called once the process runs (e.g. to forward signals to it). */
  onStart?: (proc: ContainerProcess) => void;
}

export async function execInContainer(opts: ExecOptions): Promise<{ pid: number; exited: Promise<ExitStatus> | null }> {
  const c = LoadedContainer.load(opts.root, opts.id);
  let proc: ContainerProcess;
  try {
    // A process born into a frozen cgroup would never report back.
    const status = c.require(['created', 'running', 'paused'], 'exec');
    if (status === 'paused') throw new ContainerStateError(opts.id, 'cannot exec: container is paused (resume it first)');
    if (opts.process.terminal && !opts.consoleSocket) throw new ConfigError('/terminal', 'a terminal needs a console socket (--console-socket)');
    const { config, pid: initPid, bundle } = c.stored;
    const seccomp = config.linux?.seccomp;
    const plan = buildExecPlan(config, opts.process, {
      initPid,
      rootfs: c.stored.rootfs,
      preservedFds: opts.preservedFds ?? 0,
      cgroup: c.cgroup.planJoin(),
      seccomp: seccomp ? cachedSeccompFilter(seccomp, { cacheDir: opts.seccompCacheDir }) : null,
    });
    for (const w of plan.warnings) opts.onWarning?.(w);
    proc = await spawnInCgroup(plan, c.cgroup, {
      stdio: opts.stdio,
      onSeccompListener: (fd, pid) => deliverListener(seccomp!, fd, { ociVersion: OCI_VERSION, id: opts.id, pid, bundle: path.resolve(bundle), annotations: c.stored.annotations }),
      onConsole: (fd, ptsIndex) => sendConsole(opts.consoleSocket!, fd, ptsIndex),
    });
  } finally {
    // Other commands (kill, delete) must not wait for this process to end.
    c.release();
  }
  // The caller will treat a failure as a failed exec: the process is killed then.
  await announceProcess(proc, opts);
  opts.onStart?.(proc);
  return { pid: proc.pid, exited: opts.detach ? null : proc.exited };
}
