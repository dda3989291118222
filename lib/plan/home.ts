// HOME for a process whose env has none: the user's home from the image's
// /etc/passwd, or "/", as runc does.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Reads rootfs/etc/passwd only if it really is inside the rootfs (the image controls its symlinks). */
function readPasswd(rootfs: string): string | null {
  try {
    // .native: one realpath(3) each, not an lstat per component from JS (a fifth of buildPlan).
    const real = fs.realpathSync.native(path.join(rootfs, 'etc', 'passwd'));
    const root = fs.realpathSync.native(rootfs);
    if (!real.startsWith(root + path.sep)) return null;
    return fs.readFileSync(real, 'utf8');
  } catch {
    return null;
  }
}

export function homeDir(rootfs: string, uid: number): string {
  for (const line of (readPasswd(rootfs) ?? '').split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && Number(fields[2]) === uid && fields[5]) return fields[5];
  }
  return '/';
}

/** The env with HOME added when it has none. */
export function withHome(env: string[], rootfs: string, uid: number): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${homeDir(rootfs, uid)}`];
}
