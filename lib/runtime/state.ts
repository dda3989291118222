// Container state under the runtime root (--root, default /run/ociish): one
// directory per container holding state.json (written atomically) and, while
// the container waits for `start`, the exec fifo its init blocks on.
// Creating the directory claims the id, so two commands cannot make the same
// container; an flock on the directory serialises the commands that change it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerStateError } from '../errors';
import { native } from '../native';
import type { Spec } from '../spec';

export const DEFAULT_ROOT = '/run/ociish';
export const OCI_VERSION = '1.3.0';

/** The spec's statuses, plus runc's "paused". */
export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** The runtime spec's state, plus runc's extra fields: what `state` prints. */
export interface State {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

/** What state.json holds: the state as last written, and what later commands need. */
export interface StoredState extends State {
  /** The init's start time (field 22 of /proc/PID/stat): a pid reused by another process does not match. */
  pidStartTime: string;
  /** The validated config the container was made from (hooks, namespaces, cgroup, process for exec). */
  config: Spec;
  /**
   * The container lives on after the command that made it: its state dir
   * stays until `delete`. Not detached: its init is the child of the process
   * that made it (the API), which alone can start it.
   */
  detached: boolean;
  /** Made without a cgroup of its own (the API's cgroup: false): its processes are in its creator's. */
  noCgroup?: boolean;
}

/** What state.json holds before the container's process exists (status "creating", pid 0). */
export function newStoredState(id: string, bundle: string, spec: Spec, detached: boolean): StoredState {
  return {
    ociVersion: OCI_VERSION,
    id,
    status: 'creating',
    pid: 0,
    pidStartTime: '',
    bundle,
    rootfs: path.resolve(bundle, spec.root?.path ?? ''),
    created: new Date().toISOString(),
    owner: '',
    annotations: spec.annotations ?? {},
    config: spec,
    detached,
  };
}

const ID = /^[\w+\-.]+$/;

/** Compiled seccomp programs under the root, in a directory no container id can name ("@" is not allowed in one). */
export function seccompCacheDir(root: string): string {
  return path.join(root, '@cache', 'seccomp');
}

export function checkId(id: string): void {
  if (!ID.test(id) || id === '.' || id === '..') throw new ContainerStateError(id, 'invalid container id (letters, digits, "_", "+", "-" and "." only)');
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function unlinkIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot) and the state letter; undefined if there is no such process. */
export function processStat(pid: number): { startTime: string; state: string } | undefined {
  if (!(pid > 0)) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, startTime: fields[19]! };
}

export class StateDir {
  readonly dir: string;
  private lockFd = -1;
  private constructor(readonly root: string, readonly id: string) {
    this.dir = path.join(root, id);
  }

  /** Claims the id: fails if a container with this id exists. The directory is locked until unlock(). */
  static claim(root: string, id: string): StateDir {
    checkId(id);
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(path.join(root, id), { mode: 0o711 });
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') throw new ContainerStateError(id, 'already exists');
      throw e;
    }
    const state = new StateDir(root, id);
    state.lock();
    return state;
  }

  /** An existing container's directory, locked (waiting for another command to finish with it). */
  static open(root: string, id: string): StateDir {
    checkId(id);
    const state = new StateDir(root, id);
    try {
      state.lock();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new ContainerStateError(id, 'does not exist');
      throw e;
    }
    // It may have been deleted while we waited for the lock.
    if (!fs.existsSync(state.stateFile)) {
      state.unlock();
      throw new ContainerStateError(id, 'does not exist');
    }
    return state;
  }

  /** The ids under a root (directories holding a state.json), sorted. */
  static ids(root: string): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => ID.test(n) && fs.existsSync(path.join(root, n, 'state.json'))).sort();
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  /** The fifo the init blocks on until `start` writes a byte to it. */
  get execFifo(): string {
    return path.join(this.dir, 'exec.fifo');
  }

  /**
   * Locks the directory. One deleted (and maybe made again under the same
   * id) while we waited is not the container any more: the lock then
   * follows the path to the directory that is there now.
   */
  private lock(): void {
    for (;;) {
      const fd = fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        native.flock(fd, true, true);
        const locked = fs.fstatSync(fd);
        const now = fs.statSync(this.dir, { throwIfNoEntry: false });
        if (locked.nlink > 0 && now && now.ino === locked.ino && now.dev === locked.dev) {
          this.lockFd = fd;
          return;
        }
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
      fs.closeSync(fd);
    }
  }

  unlock(): void {
    if (this.lockFd < 0) return;
    fs.closeSync(this.lockFd);
    this.lockFd = -1;
  }

  read(): StoredState {
    try {
      return JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as StoredState;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new ContainerStateError(this.id, 'does not exist');
      throw new ContainerStateError(this.id, `cannot read ${this.stateFile}: ${(e as Error).message}`);
    }
  }

  write(state: StoredState): void {
    const tmp = `${this.stateFile}.tmp`;
    // Only root may read it: it holds the whole config, process.env included (runc's is 0600 too).
    fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    // Swapped with the old file rather than renamed over it (cheaper on ext4, see replaceFile).
    native.replaceFile(tmp, this.stateFile);
  }

  /** Removes what the directory holds and the directory itself (fs.rmSync's recursive walk costs ~5 ms). */
  remove(): void {
    unlinkIfThere(this.stateFile);
    try {
      fs.rmdirSync(this.dir);
    } catch (e) {
      if (errnoCode(e) !== 'ENOTEMPTY') throw e;
      // The others are rare (a fifo barrier's, a write cut short): looked
      // for only now, as each failed unlink costs a thrown exception.
      for (const name of ['state.json.tmp', 'exec.fifo']) unlinkIfThere(path.join(this.dir, name));
      fs.rmdirSync(this.dir);
    }
    this.unlock();
  }
}

/** The state as it is now: a dead or reused pid is stopped; a frozen cgroup is paused; a waiting init is created. */
export function liveStatus(stored: StoredState, frozen: () => boolean, dir: StateDir): Status {
  if (stored.status === 'creating' && !stored.pid) return 'creating';
  if (stored.status === 'stopped') return 'stopped';
  const stat = processStat(stored.pid);
  if (!stat || stat.startTime !== stored.pidStartTime || stat.state === 'Z' || stat.state === 'X') return 'stopped';
  // Frozen first: a paused created container is paused (runc's order).
  if (frozen()) return 'paused';
  // The API's containers wait on a socket, not the fifo: their state says when they start.
  if (!stored.detached) return stored.status === 'created' ? 'created' : 'running';
  return fs.existsSync(dir.execFifo) ? 'created' : 'running';
}

/** What `state` prints: the spec's fields and runc's extras; a stopped container shows pid 0, as runc's does. */
export function publicState(stored: StoredState, status: Status): State {
  const { ociVersion, id, bundle, rootfs, created, owner, annotations } = stored;
  return { ociVersion, id, pid: status === 'stopped' ? 0 : stored.pid, status, bundle, rootfs, created, owner, annotations };
}
