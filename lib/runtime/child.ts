// Drives the native spawn core for one container process: clones the child,
// answers its requests (uid/gid maps), and turns a failed step into a
// StepError that names the operation, the path and the config.json location.
import * as util from 'node:util';
import { StepError } from '../errors';
import { constants, native, type ExitStatus, type Spawned } from '../native';
import { describeStep, encodePlan, type Plan, type Step } from '../plan';

const MSG = constants.messages;

export interface ContainerProcess {
  pid: number;
  pidfd: number;
  /** Resolves once with the process's exit; reaps it. */
  exited: Promise<ExitStatus>;
}

function errnoText(errno: number): { code: string; message: string } {
  const entry = util.getSystemErrorMap().get(-errno);
  return entry ? { code: entry[0], message: entry[1] } : { code: `E${errno}`, message: `error ${errno}` };
}

/** runc's phrases for a failed entrypoint, which podman and containerd match on. */
function execDetail(step: Extract<Step, { kind: 'EXEC' }>, code: string, message: string): string {
  const file = step.args[0]!;
  if (code === 'ENOENT' && step.pathDirs !== null) return `"${file}": executable file not found in $PATH`;
  return `"${file}": ${message}`;
}

export function stepError(plan: Plan, index: number, errno: number): StepError {
  const { code, message } = errnoText(errno);
  const step = plan.steps[index];
  if (!step) return new StepError('container setup', undefined, undefined, code, errno, message);
  const { operation, path } = describeStep(step);
  const detail = step.kind === 'EXEC' ? execDetail(step, code, message) : `${code}: ${message}`;
  return new StepError(step.kind === 'EXEC' ? 'exec' : operation, step.kind === 'EXEC' ? undefined : path, step.origin || undefined, code, errno, detail);
}

async function waitExit(pidfd: number): Promise<ExitStatus> {
  for (;;) {
    const status = native.waitPidfd(pidfd);
    if (status) return status;
    await native.waitReadable(pidfd);
  }
}

/** Writes the maps; a failure names the file and the config field it came from. */
function writeIdMaps(pid: number, plan: Plan): StepError | null {
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
      const err = e as NodeJS.ErrnoException;
      return new StepError('write', err.path, pointer, err.code ?? 'EIO', Math.abs(err.errno ?? 5), `${err.code}: ${errnoText(Math.abs(err.errno ?? 5)).message}`, e);
    }
  }
  return null;
}

function killAndReap(pidfd: number): Promise<ExitStatus> {
  try {
    native.pidfdSendSignal(pidfd, 9);
  } catch {
    // already gone
  }
  return waitExit(pidfd).finally(() => native.closeFd(pidfd));
}

/**
 * Starts the plan's child and waits until it has exec'd the container
 * process (EOF on the sync socket) or failed (StepError; nothing left behind:
 * the child has exited and been reaped, its namespaces and mounts with it).
 * With FORK_INIT the child clones the container's init and ends; the init
 * (also our child, CLONE_PARENT) reports its pid and becomes the container.
 */
export async function spawnContainer(plan: Plan, opts: { cgroupFd?: number } = {}): Promise<ContainerProcess> {
  const spawned: Spawned = native.spawn(encodePlan(plan.steps), plan.cloneFlags, opts.cgroupFd ?? -1);
  let init: { pid: number; pidfd: number } | null = null;
  let failure: Error | null = null;
  try {
    for (let done = false; !done; ) {
      await native.waitReadable(spawned.syncFd);
      for (let msg = native.recvSyncMsg(spawned.syncFd); msg !== undefined; msg = native.recvSyncMsg(spawned.syncFd)) {
        if (msg === null) {
          done = true;
          break;
        }
        // After an ABORT the child reports the wait step; the parent's own error says more.
        if (msg.kind === MSG.ERROR) failure ??= stepError(plan, msg.step, msg.value);
        else if (msg.kind === MSG.IDMAPS) {
          const error = writeIdMaps(spawned.pid, plan);
          failure ??= error;
          native.sendSyncMsg(spawned.syncFd, error ? MSG.ABORT : MSG.GO, 0, error ? error.errno : 0);
        } else if (msg.kind === MSG.PID) {
          // Our own unreaped child: its pid cannot have been reused.
          init = { pid: msg.value, pidfd: native.pidfdOpen(msg.value) };
        }
      }
    }
  } catch (e) {
    failure ??= e as Error;
  } finally {
    native.closeFd(spawned.syncFd);
  }
  if (failure) {
    // The children exit by themselves after reporting; make sure, then reap.
    await Promise.all([killAndReap(spawned.pidfd), init && killAndReap(init.pidfd)]);
    native.releaseArena(spawned.arena);
    throw failure;
  }
  // EOF without an error: the container process exec'd (its memory is its
  // own now) or died before it could report; the arena is no longer in use.
  native.releaseArena(spawned.arena);
  if (init) {
    const first = await waitExit(spawned.pidfd).finally(() => native.closeFd(spawned.pidfd));
    if (!('exitCode' in first) || first.exitCode !== 0) {
      await killAndReap(init.pidfd);
      throw new StepError('clone the container init', undefined, '/linux/namespaces', 'ECHILD', 10, `the first child ended with ${JSON.stringify(first)}`);
    }
  }
  const container = init ?? { pid: spawned.pid, pidfd: spawned.pidfd };
  const exited = waitExit(container.pidfd).finally(() => native.closeFd(container.pidfd));
  return { pid: container.pid, pidfd: container.pidfd, exited };
}
