// Drives the native spawn core for one container process: clones the child,
// answers its requests (uid/gid maps, cgroups, hooks, the console, the start
// barrier, the init's pid, the seccomp listener), and turns a failed step
// into a StepError that names the operation, the path and the config.json
// location.
import * as os from 'node:os';
import { StepError } from '../errors';
import { constants, native, type ExitStatus, type Spawned, type SyncMessage } from '../native';
import { describeStep, encodePlan, type Plan } from '../plan';
import { stepErrorOf } from '../system-error';

const MSG = constants.messages;

export interface ContainerProcess {
  pid: number;
  pidfd: number;
  /**
   * The process sits at a fifo barrier (OPEN_BARRIER): set up, not exec'd,
   * independent of this process; one byte written to the fifo starts it.
   */
  waiting: boolean;
  /**
   * Resolves once with the process's exit, reaps it and closes the pidfd.
   * Lazy: nothing watches the pidfd until this is first read, so a caller
   * that leaves the container behind (`create`) never does.
   */
  readonly exited: Promise<ExitStatus>;
}

/** runc's phrases for a failed entrypoint, which podman and containerd match on. */
function execDetail(file: string, pathDirs: string[] | null, code: string, message: string): string {
  if (code === 'ENOENT' && pathDirs !== null) return `"${file}": executable file not found in $PATH`;
  return `"${file}": ${message}`;
}

export function stepError(plan: Plan, index: number, errno: number): StepError {
  const { code, message } = native.errnoText(errno);
  const step = plan.steps[index];
  if (!step) return new StepError('container setup', undefined, undefined, code, errno, message);
  const { operation, path } = describeStep(step);
  // An exec error (or its check at create time) names the file in its runc
  // phrase rather than as the path.
  if (step.kind === 'EXEC') return new StepError(operation, undefined, step.origin || undefined, code, errno, execDetail(step.args[0]!, step.pathDirs, code, message));
  if (step.kind === 'CHECK_EXEC') return new StepError(operation, undefined, step.origin || undefined, code, errno, execDetail(step.file, step.pathDirs, code, message));
  return new StepError(operation, path, step.origin || undefined, code, errno, `${code}: ${message}`);
}

async function waitExit(pidfd: number): Promise<ExitStatus> {
  for (;;) {
    const status = native.waitPidfd(pidfd);
    if (status) return status;
    await native.waitReadable(pidfd);
  }
}

/** Writes the maps; a failure names the file and the config field it came from. */
function writeIdMaps(pid: number, plan: Plan): void {
  const maps = plan.idMaps!;
  const writes: [string, string, string][] = [
    ['setgroups', maps.denySetgroups ? 'deny' : '', '/linux/gidMappings'],
    ['uid_map', maps.uidMap, '/linux/uidMappings'],
    ['gid_map', maps.gidMap, '/linux/gidMappings'],
  ];
  for (const [file, content, pointer] of writes) {
    if (!content) continue;
    try {
      native.writeKernelFile(`/proc/${pid}/${file}`, content);
    } catch (e) {
      throw stepErrorOf('write', e, pointer);
    }
  }
}

/** Does the parent's part of a handshake, then lets the child go on, or tells it to give up with the error's errno. */
async function answer(fd: number, action: () => void | Promise<void>): Promise<Error | null> {
  try {
    await action();
    native.sendSyncMsg(fd, MSG.GO, 0, 0);
    return null;
  } catch (e) {
    const errno = (e as Partial<StepError>).errno;
    native.sendSyncMsg(fd, MSG.ABORT, 0, typeof errno === 'number' && errno > 0 ? errno : 5 /* EIO */);
    return e as Error;
  }
}

function killAndReap(pidfd: number): Promise<ExitStatus> {
  try {
    native.pidfdSendSignal(pidfd, 9);
  } catch {
    // already gone
  }
  return waitExit(pidfd).finally(() => native.closeFd(pidfd));
}

export interface SpawnOptions {
  /** Fds of this process that become the child's stdin, stdout and stderr (-1: the inherited one). */
  stdio?: [number, number, number];
  /** A cgroup to start the child in (CLONE_INTO_CGROUP). */
  cgroupFd?: number;
  /** The child waits (SYNC_CGROUPS) while this puts it in its other cgroups (v1 hierarchies). */
  onCgroupJoin?: (pid: number) => void;
  /** The child waits at the start barrier (BARRIER step without a fifo); resolve to let it exec. */
  onReady?: (pid: number) => void | Promise<void>;
  /**
   * The child waits (SYNC_HOOKS, before pivot_root) while this runs hooks;
   * `pid` is the container process's. Throwing fails the spawn. None: go on.
   */
  onHooks?: (pid: number) => void | Promise<void>;
  /**
   * process.terminal: the pty master (and the pts index in the container's
   * devpts), e.g. for --console-socket. The fd is closed once this settles:
   * dup or send it to keep it. Throwing fails the spawn; without this
   * callback a CONSOLE step fails.
   */
  onConsole?: (fd: number, ptsIndex: number) => void | Promise<void>;
  /**
   * The child waits (SECCOMP step with a listener) while this takes the
   * seccomp notify fd; `pid` is the container process's. The fd is closed
   * once this settles: dup or send it to keep it. Throwing fails the start.
   */
  onSeccompListener?: (fd: number, pid: number) => void | Promise<void>;
}

/** Hands the listener to the callback; an error if there is no callback or no fd. */
function handOverListener(plan: Plan, msg: SyncMessage, pid: number, opts: SpawnOptions): void | Promise<void> {
  const step = plan.steps[msg.step];
  const cannot = (code: 'ENOTSUP' | 'EPROTO', why: string) =>
    new StepError('load seccomp filter', undefined, step?.origin || undefined, code, os.constants.errno[code], `the listener cannot be delivered: ${why}`);
  if (msg.fd === undefined) throw cannot('EPROTO', 'the message carried no fd');
  if (!opts.onSeccompListener) throw cannot('ENOTSUP', 'nothing takes it (no onSeccompListener)');
  return opts.onSeccompListener(msg.fd, pid);
}

/** Hands the pty master to the callback; an error if there is no callback or no fd. */
function handOverConsole(plan: Plan, msg: SyncMessage, opts: SpawnOptions): void | Promise<void> {
  const step = plan.steps[msg.step];
  const cannot = (code: 'ENOTSUP' | 'EPROTO', why: string) =>
    new StepError('set up the console', undefined, step?.origin || undefined, code, os.constants.errno[code], why);
  if (msg.fd === undefined) throw cannot('EPROTO', 'the message carried no fd');
  if (!opts.onConsole) throw cannot('ENOTSUP', 'terminal: true needs a console socket');
  return opts.onConsole(msg.fd, msg.value);
}

/** Waits for the exit on first use only, once. */
function containerProcess(pid: number, pidfd: number, waiting: boolean): ContainerProcess {
  let exited: Promise<ExitStatus> | undefined;
  return {
    pid,
    pidfd,
    waiting,
    get exited() {
      return (exited ??= waitExit(pidfd).finally(() => native.closeFd(pidfd)));
    },
  };
}

/** The first fd the child may keep for itself: stdio and the preserved fds come before it. */
function minFd(plan: Plan): number {
  const exec = plan.steps.find((s) => s.kind === 'EXEC');
  return 3 + (exec?.kind === 'EXEC' ? exec.preservedFds : 0);
}

/**
 * Starts the plan's child and waits until it has exec'd the container
 * process (its EXEC message, then EOF on the sync socket), or, with a fifo
 * barrier, reached it (WAITING, then EOF: `waiting` is true), or failed
 * (StepError; nothing left behind: the child has exited and been reaped, its
 * namespaces and mounts with it). With FORK_INIT the child clones the
 * container's init and ends; the init (also our child, CLONE_PARENT) reports
 * its pid and becomes the container. A plan with a fifo barrier runs in
 * memory of its own (not this process's), as it outlives this process.
 */
export async function spawnContainer(plan: Plan, opts: SpawnOptions = {}): Promise<ContainerProcess> {
  const ownMemory = plan.steps.some((s) => s.kind === 'OPEN_BARRIER');
  const spawned: Spawned = native.spawn(encodePlan(plan.steps), plan.cloneFlags, opts.cgroupFd ?? -1, minFd(plan), ownMemory, opts.stdio);
  let initPid = 0;
  let initPidfd = -1;
  let execed = false;
  let waiting = false;
  let failure: Error | null = null;
  let joinFailure: Error | null = null;
  // The init (FORK_INIT) may ask for what needs its pid before its parent
  // has sent that pid: such requests wait for the PID message.
  const forkInit = plan.steps.some((s) => s.kind === 'FORK_INIT');
  const pending: SyncMessage[] = [];
  const withPid = async (msg: SyncMessage) => {
    const pid = initPid || spawned.pid;
    try {
      if (msg.kind === MSG.SECCOMP) failure ??= await answer(spawned.syncFd, () => handOverListener(plan, msg, pid, opts));
      else failure ??= await answer(spawned.syncFd, () => opts.onHooks?.(pid));
    } finally {
      if (msg.fd !== undefined) native.closeFd(msg.fd);
    }
  };
  const consoleMaster = async (msg: SyncMessage) => {
    try {
      failure ??= await answer(spawned.syncFd, () => handOverConsole(plan, msg, opts));
    } finally {
      if (msg.fd !== undefined) native.closeFd(msg.fd);
    }
  };
  try {
    for (let done = false; !done; ) {
      await native.waitReadable(spawned.syncFd);
      for (let msg = native.recvSyncMsg(spawned.syncFd); msg !== undefined; msg = native.recvSyncMsg(spawned.syncFd)) {
        if (msg === null) {
          done = true;
          break;
        }
        // Only SECCOMP and CONSOLE bring an fd; one on any other message is not ours to keep.
        if (msg.fd !== undefined && msg.kind !== MSG.SECCOMP && msg.kind !== MSG.CONSOLE) native.closeFd(msg.fd);
        switch (msg.kind) {
          case MSG.ERROR:
            // After an ABORT the child reports the wait step; the parent's own error says more.
            failure ??= joinFailure && plan.steps[msg.step]?.kind === 'SYNC_CGROUPS' ? joinFailure : stepError(plan, msg.step, msg.value);
            break;
          case MSG.IDMAPS:
            failure ??= await answer(spawned.syncFd, () => writeIdMaps(spawned.pid, plan));
            break;
          case MSG.CGROUPS:
            // The child may go on after asking (SYNC_CGROUPS part 'ask') and
            // fail meanwhile: then its ERROR, read next, says why, not the
            // join of a process that is gone or our answer to it.
            joinFailure = await answer(spawned.syncFd, () => opts.onCgroupJoin?.(spawned.pid)).catch((e: Error) => e);
            break;
          case MSG.READY:
            failure ??= await answer(spawned.syncFd, () => opts.onReady?.(initPid || spawned.pid));
            break;
          case MSG.PID:
            // Our own unreaped child: its pid cannot have been reused.
            initPid = msg.value;
            initPidfd = native.pidfdOpen(initPid);
            for (let next = pending.shift(); next; next = pending.shift()) await withPid(next);
            break;
          case MSG.SECCOMP:
          case MSG.HOOKS:
            if (forkInit && !initPid) pending.push(msg);
            else await withPid(msg);
            break;
          case MSG.CONSOLE:
            await consoleMaster(msg);
            break;
          case MSG.EXEC:
            execed = true;
            break;
          case MSG.WAITING:
            // The child closes the sync socket next and waits on its fifo.
            waiting = true;
            break;
        }
      }
    }
  } catch (e) {
    failure ??= e as Error;
  } finally {
    native.closeFd(spawned.syncFd);
    for (const msg of pending) if (msg.fd !== undefined) native.closeFd(msg.fd);
  }
  failure ??= joinFailure;
  if (!failure && !execed && !waiting) {
    // EOF without EXEC or ERROR: the setup was killed (or crashed), or its
    // seccomp filter denied it the syscalls it needed to go on and to report.
    const filtered = plan.steps.some((s) => s.kind === 'SECCOMP');
    const detail = filtered
      ? 'the setup process ended before exec without a word: its last steps run under linux.seccomp, which may deny a syscall they need (e.g. close_range, fcntl, sendto, execve)'
      : 'the setup process ended before exec';
    failure = new StepError('container setup', undefined, filtered ? '/linux/seccomp' : undefined, 'ECHILD', 10, detail);
  }
  if (failure) {
    // The children exit by themselves after reporting; make sure, then reap.
    if (initPid && initPidfd < 0) {
      // No pidfd for the init: kill it by pid (our child, not yet reaped) and
      // keep the arena it may still run in.
      process.kill(initPid, 'SIGKILL');
      await killAndReap(spawned.pidfd);
      throw failure;
    }
    await Promise.all([killAndReap(spawned.pidfd), initPidfd >= 0 && killAndReap(initPidfd)]);
    native.releaseArena(spawned.arena);
    throw failure;
  }
  // The container process exec'd, or waits in memory of its own (released
  // at the clone already): the arena is not used any more.
  native.releaseArena(spawned.arena);
  if (initPidfd >= 0) {
    const first = await waitExit(spawned.pidfd).finally(() => native.closeFd(spawned.pidfd));
    if (!('exitCode' in first) || first.exitCode !== 0) {
      await killAndReap(initPidfd);
      throw new StepError('clone the container init', undefined, '/linux/namespaces', 'ECHILD', 10, `the first child ended with ${JSON.stringify(first)}`);
    }
  }
  return initPidfd >= 0 ? containerProcess(initPid, initPidfd, waiting) : containerProcess(spawned.pid, spawned.pidfd, waiting);
}
