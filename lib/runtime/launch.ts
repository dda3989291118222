// The one path from a validated config to a container process, shared by
// `create` (the init waits on the exec fifo, in its own memory, and outlives
// this process), the API's create (it waits on the sync socket until
// release()) and `run` (it execs at once). Claims the id, writes the state
// before anything exists on the host (so `delete --force` can clean up after
// a killed create), makes the cgroup, spawns the child with every hand-over
// answered (console, seccomp listener, create hooks), and on failure removes
// all of it again, in reverse order.
import * as path from 'node:path';
import { Cgroup, delegationOwner, deviceRules } from '../cgroups';
import { ConfigError, StepError } from '../errors';
import { native } from '../native';
import { buildPlan, type Plan } from '../plan';
import { deliverListener } from '../seccomp';
import type { Spec } from '../spec';
import { spawnContainer, type ContainerProcess, type SpawnOptions } from './child';
import { sendConsole } from './console';
import { hasCreateHooks, runCreateHooks } from './hooks';
import { PremadeNetns } from './netns';
import { newStoredState, OCI_VERSION, processStat, publicState, StateDir, unlinkIfThere, type StoredState } from './state';

export type Barrier = 'fifo' | 'socket' | 'none';

export interface LaunchOptions {
  root: string;
  id: string;
  bundle: string;
  spec: Spec;
  /**
   * fifo: the init waits on exec.fifo in the state dir, in memory of its own,
   * and outlives this process (`create`). socket: it waits until release(),
   * sharing this process's memory (the API). none: it execs at once (`run`).
   */
  barrier: Barrier;
  /** The container's stdio: fds of this process (-1: the inherited one). */
  stdio?: [number, number, number];
  /** false: no cgroup of its own; the container stays in this process's cgroups (no linux.resources, no cgroupsPath). */
  cgroup?: boolean;
  preservedFds?: number;
  /** Keep the caller's session keyring instead of a new one named after the container (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /** Keep compiled seccomp programs here for later processes (the CLI); in memory only without it. */
  seccompCacheDir?: string;
  /** With process.terminal: where the pty master goes (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string;
  /** With process.terminal and no consoleSocket: takes the pty master (closed once this returns: dup it to keep it). */
  onConsole?: (fd: number, ptsIndex: number) => void | Promise<void>;
  onWarning?: (message: string) => void;
}

/** A container whose init this process spawned: at its barrier, or (barrier none) exec'd. */
export interface Launched {
  readonly state: StateDir;
  readonly stored: StoredState;
  readonly cgroup: Cgroup;
  /** The init's pid (our child until it is reaped). */
  readonly pid: number;
  /**
   * socket: removes the "created" fifo and lets the init exec; resolves once
   * it has (a failed exec rejects, everything else still in place).
   */
  release(): Promise<ContainerProcess>;
  /** Kills the init (SIGKILL) and waits until it is gone (reaped where we can). */
  abort(): Promise<void>;
  /**
   * The process: at once for fifo (waiting on the fifo) and none (exec'd);
   * for socket once it has exec'd (or, not released, failed or was killed).
   */
  readonly spawned: Promise<ContainerProcess>;
}

/** The cgroup a launch uses: the config's, or none at all (the API's cgroup: false). */
export function containerCgroup(spec: Spec, id: string, own: boolean): Cgroup {
  if (own) return Cgroup.forContainer(spec, id);
  if (spec.linux?.cgroupsPath !== undefined) throw new ConfigError('/linux/cgroupsPath', 'needs a cgroup of its own (the container was asked for without one: cgroup: false)');
  if (spec.linux?.resources && Object.keys(spec.linux.resources).length) {
    throw new ConfigError('/linux/resources', 'needs a cgroup of its own (the container was asked for without one: cgroup: false)');
  }
  return Cgroup.none();
}

export async function launch(opts: LaunchOptions): Promise<Launched> {
  const { spec, id } = opts;
  const bundle = path.resolve(opts.bundle);
  if (spec.process?.terminal && !opts.consoleSocket && !opts.onConsole) {
    throw new ConfigError('/process/terminal', 'a terminal needs a console socket (--console-socket) or an onConsole callback');
  }
  const ownCgroup = opts.cgroup ?? true;
  const cgroup = containerCgroup(spec, id, ownCgroup);
  const resources = spec.linux?.resources ?? {};
  cgroup.check(resources);
  const state = StateDir.claim(opts.root, id);
  const stored = newStoredState(id, bundle, spec, opts.barrier === 'fifo');
  if (!ownCgroup) stored.noCgroup = true;
  let cgroupMade = false;
  // Made on a worker thread meanwhile (~0.4 ms off the spawn).
  const netns = PremadeNetns.start(spec);
  // State writes run on a worker thread too, each awaited before what needs
  // it: anything on the host (the first), launch()'s return (the second).
  let writing = Promise.resolve();
  const write = () => {
    writing = state.writeAsync(stored);
    writing.catch(() => {}); // awaited later; not an unhandled rejection meanwhile
  };
  try {
    write();
    const plan = buildPlan(spec, {
      premadeNetns: netns !== undefined,
      bundle,
      preservedFds: opts.preservedFds ?? 0,
      cgroup: cgroup.planJoin(),
      seccompCacheDir: opts.seccompCacheDir,
      barrierFifo: opts.barrier === 'fifo' ? state.execFifo : undefined,
      barrier: opts.barrier === 'socket',
      hooks: hasCreateHooks(spec),
      sessionKeyring: opts.noNewKeyring ? undefined : id,
    });
    for (const w of plan.warnings) opts.onWarning?.(w);
    await writing;
    // The fifo is the barrier of a detached init; for one waiting on its
    // socket it only marks "created" (it goes at release), as for the CLI's.
    if (opts.barrier !== 'none') native.mkfifo(state.execFifo, 0o600);
    cgroup.create();
    cgroupMade = true;
    const limit = () => {
      cgroup.apply(resources, deviceRules(spec));
      const owner = delegationOwner(spec);
      if (owner) cgroup.delegateTo(owner);
    };
    // A child the parent puts in v1 hierarchies runs nothing they limit
    // before that (SYNC_CGROUPS): the limits are written then, while it sets
    // up. One that enters them by itself (ENTER_CGROUP) gets them now.
    const joinsV1 = plan.steps.some((s) => s.kind === 'SYNC_CGROUPS');
    if (!joinsV1) limit();
    const seccomp = spec.linux?.seccomp;
    const status = opts.barrier === 'none' ? 'running' : 'created';
    // Recorded while the child sets itself up, off the way to its exec; our
    // lock keeps other commands from reading it before launch() returns.
    let recorded = 0;
    const record = (pid: number) => {
      const stat = processStat(pid);
      if (!stat) throw new ConfigError('/process', 'the container process ended before it could be recorded');
      Object.assign(stored, { status, pid, pidStartTime: stat.startTime });
      write();
      recorded = pid;
    };
    const handlers: SpawnOptions = {
      stdio: opts.stdio,
      onClone: record,
      onCgroupJoin: joinsV1 ? limit : undefined,
      onSeccompListener: (fd, pid) => deliverListener(seccomp!, fd, { ociVersion: OCI_VERSION, id, pid, bundle, annotations: stored.annotations }),
      onConsole: (fd, ptsIndex) => (opts.consoleSocket ? sendConsole(opts.consoleSocket, fd, ptsIndex) : opts.onConsole!(fd, ptsIndex)),
      onHooks: (pid) => runCreateHooks(spec, { ...publicState(stored, 'creating'), pid }, cgroup, stored.rootfs),
    };
    await netns?.join(plan);
    const launched = opts.barrier === 'socket' ? await spawnAtSocket(plan, cgroup, handlers) : await spawnNow(plan, cgroup, handlers);
    try {
      if (opts.barrier === 'fifo' && !(await launched.spawned).waiting) throw new ConfigError('/process', 'the container process did not stop at the start barrier');
      if (recorded !== launched.pid) record(launched.pid);
      await writing;
    } catch (e) {
      await launched.abort();
      throw e;
    }
    const release = () => {
      unlinkIfThere(state.execFifo);
      return launched.release();
    };
    return { state, stored, cgroup, ...launched, release: opts.barrier === 'socket' ? release : launched.release };
  } catch (e) {
    // A cleanup failure is a warning: it must not hide the error that caused it.
    if (cgroupMade) await destroyQuietly(cgroup, opts.onWarning);
    await writing.catch(() => {});
    removeQuietly(state, opts.onWarning);
    throw e;
  } finally {
    // Joined by now (or never to be): the container holds it.
    void netns?.close();
  }
}

type Spawned = Pick<Launched, 'pid' | 'release' | 'abort' | 'spawned'>;

async function spawnNow(plan: Plan, cgroup: Cgroup, handlers: SpawnOptions): Promise<Spawned> {
  const proc = await spawnInCgroup(plan, cgroup, handlers);
  return {
    pid: proc.pid,
    spawned: Promise.resolve(proc),
    release: () => Promise.resolve(proc),
    abort: async () => {
      native.pidfdSendSignal(proc.pidfd, 9);
      await proc.exited;
    },
  };
}

/**
 * Spawns a plan that stops at a socket barrier (READY) and returns once the
 * init waits there; release() answers GO. The spawn's promise settles only
 * after the exec, so until then its failure is kept for release().
 */
async function spawnAtSocket(plan: Plan, cgroup: Cgroup, handlers: SpawnOptions): Promise<Spawned> {
  let go!: () => void;
  const gate = new Promise<void>((resolve) => (go = resolve));
  let ready!: (pid: number) => void;
  const atBarrier = new Promise<number>((resolve) => (ready = resolve));
  const spawning = spawnInCgroup(plan, cgroup, {
    ...handlers,
    onReady: (pid) => {
      ready(pid);
      // The spawn answers nothing else while it waits here: if the process
      // is killed before release(), stop waiting, so that the spawn sees its
      // end (and reaps it). Our unreaped child: its pid is still its own.
      const pidfd = native.pidfdOpen(pid);
      const died = native.waitReadable(pidfd).then(() => {
        throw new StepError('wait at the start barrier', undefined, undefined, 'ESRCH', 3, 'the container process ended before it was started');
      });
      died.catch(() => {}); // closing the pidfd below cancels the wait (ECANCELED)
      const settled = Promise.race([gate, died]);
      // Released: closed in a microtask queued behind the spawn's answer, so
      // that the GO goes out first. Dead: closed at once.
      settled.then(
        () => queueMicrotask(() => native.closeFd(pidfd)),
        () => native.closeFd(pidfd),
      );
      return settled;
    },
  });
  // Until release() takes it over, a failure is seen through the race below.
  spawning.catch(() => {});
  const pid = await Promise.race([atBarrier, spawning.then(() => 0)]);
  if (!pid) throw new ConfigError('/process', 'the container process did not stop at the start barrier');
  return {
    pid,
    spawned: spawning,
    release: () => {
      go();
      return spawning;
    },
    abort: async () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      // The spawn reaps it and reports the setup as failed: expected here.
      await spawning.catch(() => {});
    },
  };
}

/** Spawns the plan's child inside the container's cgroup: born there on v2; on v1 it enters by itself (ENTER_CGROUP) or the parent puts it there by pid (SYNC_CGROUPS). */
export async function spawnInCgroup(plan: Plan, cgroup: Cgroup, opts: SpawnOptions = {}): Promise<ContainerProcess> {
  const cgroupFd = cgroup.openCloneFd();
  try {
    return await spawnContainer(plan, {
      ...opts,
      cgroupFd,
      onCgroupJoin: (pid) => {
        opts.onCgroupJoin?.(pid);
        cgroup.joinV1(pid);
      },
    });
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
