// Each distinct profile is compiled once: programs are kept by a hash of the
// profile (and the host and compiler version) in memory, and, when given a
// directory (the CLI's state root), on disk for the next process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostFamily, type HostFamily } from './arches';
import { compileValidated, filterSettings, type SeccompFilter } from './compile';
import type { LinuxSeccomp } from '../spec';

/** Bump when the compiler's output for the same profile changes, so stale programs are not reused. */
const COMPILER_VERSION = 1;

const memory = new Map<string, SeccompFilter>();

function profileHash(seccomp: LinuxSeccomp, host: HostFamily): string {
  const text = JSON.stringify(seccomp, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  // node:crypto costs the CLI ~5 ms to load: only a config with a profile pays it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(`${COMPILER_VERSION} ${host} ${text}`).digest('hex');
}

/** A cached program file, if it is there and whole (a multiple of 8 bytes). */
function readCached(file: string): Buffer | null {
  try {
    const program = fs.readFileSync(file);
    return program.length > 0 && program.length % 8 === 0 ? program : null;
  } catch {
    return null;
  }
}

/** Written beside and renamed into place, so a reader never sees half a program. A cache that cannot be written is skipped: it only saves time. */
function writeCached(file: string, program: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, program, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}

/** The program for a validated profile (lib/spec), compiled once. */
export function cachedSeccompFilter(seccomp: LinuxSeccomp, opts: { cacheDir?: string; host?: HostFamily } = {}): SeccompFilter {
  const host = opts.host ?? hostFamily();
  const key = profileHash(seccomp, host);
  const known = memory.get(key);
  if (known) return known;
  const file = opts.cacheDir === undefined ? null : path.join(opts.cacheDir, `${key}.bpf`);
  const fromDisk = file === null ? null : readCached(file);
  // The flags and listener are cheap to derive; only the program is stored.
  const filter = fromDisk ? { program: fromDisk, ...filterSettings(seccomp) } : compileValidated(seccomp, host);
  if (file !== null && !fromDisk) writeCached(file, filter.program);
  memory.set(key, filter);
  return filter;
}
