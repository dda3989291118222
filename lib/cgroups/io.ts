// File operations on cgroup directories, behind an interface so that the
// writes can be checked against a plain temp directory in unit tests.
import * as fs from 'node:fs';
import { native } from '../native';

export interface CgroupIO {
  /** One write(2) of the whole value (the kernel takes one value per write). */
  write(file: string, value: string): void;
  /** The file's content, or undefined when it does not exist. */
  read(file: string): string | undefined;
  exists(file: string): boolean;
  /** Creates the directory; false when it already existed. */
  mkdir(dir: string): boolean;
  rmdir(dir: string): void;
  chown(file: string, uid: number, gid: number): void;
  /** Sub-directories (child cgroups) of dir. */
  children(dir: string): string[];
  /** The files (interface files) of dir. */
  files(dir: string): string[];
}

function isCode(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException).code === code;
}

function namesIn(dir: string, keep: (d: fs.Dirent) => boolean): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(keep)
    .map((d) => d.name);
}

export const kernelIO: CgroupIO = {
  write: (file, value) => native.writeKernelFile(file, value),
  read(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (isCode(e, 'ENOENT')) return undefined;
      throw e;
    }
  },
  exists: (file) => fs.existsSync(file),
  mkdir(dir) {
    try {
      fs.mkdirSync(dir);
      return true;
    } catch (e) {
      if (isCode(e, 'EEXIST')) return false;
      throw e;
    }
  },
  rmdir: (dir) => fs.rmdirSync(dir),
  chown: (file, uid, gid) => fs.chownSync(file, uid, gid),
  children: (dir) => namesIn(dir, (d) => d.isDirectory()),
  files: (dir) => namesIn(dir, (d) => d.isFile()),
};
