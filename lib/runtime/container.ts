// An existing container as the commands after `create` see it: its state
// directory (locked while the command runs), what state.json recorded, its
// cgroup, and its status right now.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cgroup } from '../cgroups';
import { ContainerStateError } from '../errors';
import { native } from '../native';
import type { ContainerProcess } from './child';
import { liveStatus, processStat, publicState, StateDir, type State, type Status, type StoredState } from './state';

export class LoadedContainer {
  private cgroupOnce?: Cgroup;
  private constructor(readonly dir: StateDir, readonly stored: StoredState) {}

  /** Made when first asked for: it reads the host's cgroup layout, which state and start never need. */
  get cgroup(): Cgroup {
    return (this.cgroupOnce ??= this.stored.noCgroup ? Cgroup.none() : Cgroup.forContainer(this.stored.config, this.stored.id));
  }

  /** Locks the container's directory (until release()) and reads its state. */
  static load(root: string, id: string): LoadedContainer {
    const dir = StateDir.open(root, id);
    try {
      return new LoadedContainer(dir, dir.read());
    } catch (e) {
      dir.unlock();
      throw e;
    }
  }

  get id(): string {
    return this.stored.id;
  }

  status(): Status {
    return liveStatus(this.stored, () => this.cgroup.isFrozen(), this.dir);
  }

  state(): State {
    return publicState(this.stored, this.status());
  }

  save(changes: Partial<StoredState>): void {
    Object.assign(this.stored, changes);
    this.dir.write(this.stored);
  }

  /**
   * A pidfd for the init, or null when it is gone: opened first and then
   * checked against the recorded start time, so a reused pid is never signalled.
   */
  openInit(): number | null {
    const { pid, pidStartTime } = this.stored;
    if (!(pid > 0)) return null;
    let pidfd: number;
    try {
      pidfd = native.pidfdOpen(pid);
    } catch {
      return null;
    }
    const stat = processStat(pid);
    if (stat && stat.startTime === pidStartTime && stat.state !== 'Z') return pidfd;
    native.closeFd(pidfd);
    return null;
  }

  /** Fails unless the status is one of `allowed`; the message says what the status is (callers match on runc's phrases). */
  require(allowed: Status[], action: string): Status {
    const status = this.status();
    if (!allowed.includes(status)) {
      const why = status === 'stopped' || status === 'creating' ? 'container not running' : `container is ${status}`;
      throw new ContainerStateError(this.id, `cannot ${action}: ${why}`);
    }
    return status;
  }

  release(): void {
    this.dir.unlock();
  }
}

/** Waits until a process is gone (a pidfd turns readable when it exits, whoever its parent is). */
export async function waitGone(pidfd: number): Promise<void> {
  await native.waitReadable(pidfd);
}

/**
 * Tells the caller where a new process is, as runc's --pidfd-socket and
 * --pid-file do. If that fails the process is killed (nobody would watch
 * it) and the error thrown.
 */
export async function announceProcess(proc: ContainerProcess, to: { pidfdSocket?: string; pidFile?: string }): Promise<void> {
  try {
    if (to.pidfdSocket) native.sendToUnixSocket(to.pidfdSocket, Buffer.from(String(proc.pid)), [proc.pidfd]);
    if (to.pidFile) writeFileAtomic(path.resolve(to.pidFile), String(proc.pid));
  } catch (e) {
    native.pidfdSendSignal(proc.pidfd, 9);
    await proc.exited;
    throw e;
  }
}

/** Writes a file atomically (write + rename), as runc does for --pid-file. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
