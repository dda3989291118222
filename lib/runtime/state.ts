// Container state under the runtime root (--root, default /run/ociish): one
// directory per container holding state.json, written atomically. Creating
// the directory claims the id, so two commands cannot make the same container.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerStateError } from '../errors';

export const DEFAULT_ROOT = '/run/ociish';
export const OCI_VERSION = '1.3.0';

export type Status = 'creating' | 'created' | 'running' | 'stopped';

/** The runtime spec's state, plus runc's extra fields. */
export interface State {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
  rootfs: string;
  created: string;
  owner: string;
}

const ID = /^[\w+\-.]+$/;

/** Compiled seccomp programs under the root, in a directory no container id can name ("@" is not allowed in one). */
export function seccompCacheDir(root: string): string {
  return path.join(root, '@cache', 'seccomp');
}

export function checkId(id: string): void {
  if (!ID.test(id) || id === '.' || id === '..') throw new ContainerStateError(id, 'invalid container id (letters, digits, "_", "+", "-" and "." only)');
}

export class StateDir {
  readonly dir: string;
  private constructor(readonly root: string, readonly id: string) {
    this.dir = path.join(root, id);
  }

  /** Claims the id: fails if a container with this id exists. */
  static claim(root: string, id: string): StateDir {
    checkId(id);
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(path.join(root, id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerStateError(id, 'already exists');
      throw e;
    }
    return new StateDir(root, id);
  }

  write(state: State): void {
    const file = path.join(this.dir, 'state.json');
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, file);
  }

  /** Removes state.json and the directory (fs.rmSync's recursive walk costs ~5 ms). */
  remove(): void {
    for (const name of ['state.json', 'state.json.tmp']) {
      try {
        fs.unlinkSync(path.join(this.dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    fs.rmdirSync(this.dir);
  }
}
