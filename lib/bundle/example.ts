// Assembles a runnable example bundle from what the host already has (no
// downloads): a static busybox with its applet links if there is one,
// otherwise a handful of host binaries with their shared libraries.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { defaultSpec } from './default-spec';
import { isStaticElf, readElf } from './elf';

const execFileAsync = promisify(execFile);

export const DEFAULT_BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** Host binaries copied when there is no static busybox; missing ones are skipped, except sh. */
export const DEFAULT_HOST_BINARIES = [
  'sh', 'ls', 'cat', 'echo', 'id', 'hostname', 'mount', 'umount', 'ps', 'env', 'mkdir', 'rm', 'cp', 'mv', 'ln',
  'grep', 'sed', 'head', 'tail', 'wc', 'sleep', 'true', 'false', 'uname', 'pwd', 'touch', 'chmod', 'stat',
  'readlink', 'date', 'kill', 'test', 'printf', 'df',
];

const DEFAULT_ARGS = ['sh', '-c', 'echo "hello from $(hostname), pid $$, uid $(id -u)"'];

export interface ExampleBundleOptions {
  /** process.args of the bundle's config.json. */
  args?: string[];
  /** Where to look for a static busybox; [] forces the host-binaries path. */
  busyboxCandidates?: string[];
  /** Names looked up when there is no static busybox; sh is always added. */
  hostBinaries?: string[];
  /** Directories searched for them; default $PATH and the usual system directories. */
  searchPath?: string[];
}

export interface ExampleBundle {
  rootfs: string;
  source: 'busybox' | 'host-binaries';
}

export async function buildExampleBundle(dir: string, opts: ExampleBundleOptions = {}): Promise<ExampleBundle> {
  const bundle = path.resolve(dir);
  const rootfs = path.join(bundle, 'rootfs');
  await fs.mkdir(rootfs, { recursive: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var']) {
    await mkdirInside(rootfs, d);
  }
  // mkdir's mode is filtered by the umask; set the ones that matter explicitly.
  await fs.chmod(path.join(rootfs, 'tmp'), 0o1777);
  await fs.chmod(path.join(rootfs, 'root'), 0o700);

  await writeInside(rootfs, 'etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeInside(rootfs, 'etc/group', 'root:x:0:\ntty:x:5:\nnobody:x:65534:\n');
  await writeInside(rootfs, 'etc/hostname', 'ociish\n');

  const busybox = findStaticBusybox(opts.busyboxCandidates ?? DEFAULT_BUSYBOX_CANDIDATES);
  let source: ExampleBundle['source'];
  if (busybox !== null) {
    await installBusybox(rootfs, busybox);
    source = 'busybox';
  } else {
    await installHostBinaries(rootfs, opts.hostBinaries ?? DEFAULT_HOST_BINARIES, opts.searchPath ?? defaultSearchPath());
    source = 'host-binaries';
  }

  // Overwritten on purpose: rebuilding an example bundle restores its example config.
  const spec = defaultSpec({ args: opts.args ?? DEFAULT_ARGS });
  await fs.rm(path.join(bundle, 'config.json'), { force: true });
  await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2) + '\n', { mode: 0o644 });
  return { rootfs, source };
}

function findStaticBusybox(candidates: string[]): string | null {
  for (const candidate of candidates) {
    try {
      if (isStaticElf(candidate)) return candidate;
    } catch {
      // Missing or not an ELF file: try the next one.
    }
  }
  return null;
}

async function installBusybox(rootfs: string, busybox: string): Promise<void> {
  await copyInside(rootfs, busybox, 'bin/busybox', 0o755);
  // --list-full (paths like usr/bin/wc) needs CONFIG_FEATURE_INSTALLER; --list (names) is always there.
  let applets: string[];
  try {
    applets = lines((await execFileAsync(busybox, ['--list-full'])).stdout);
  } catch {
    applets = lines((await execFileAsync(busybox, ['--list'])).stdout).map((name) => `bin/${name}`);
  }
  for (const applet of applets) {
    const rel = path.posix.normalize(applet.replace(/^\/+/, ''));
    if (rel === 'bin/busybox' || rel.startsWith('..') || rel === '.') continue;
    // Relative targets resolve the same from the host and from inside the container.
    const target = path.posix.relative(path.posix.dirname(rel), 'bin/busybox');
    await symlinkInside(rootfs, target, rel);
  }
}

async function installHostBinaries(rootfs: string, names: string[], dirs: string[]): Promise<void> {
  const files = new Map<string, string>(); // path in rootfs -> host path
  for (const name of new Set(['sh', ...names])) {
    const host = await findExecutable(name, dirs);
    if (host === null) {
      if (name === 'sh') throw new Error(`cannot build an example bundle: no static busybox, and no sh in ${dirs.join(':')}`);
      continue;
    }
    let libs: string[];
    try {
      libs = await sharedLibraries(host);
    } catch (e) {
      if (name === 'sh') throw e;
      continue; // an optional tool we cannot copy completely is left out
    }
    // Binaries go in /bin whatever their host directory (on merged-/usr hosts sh may be found in /usr/bin).
    files.set(`bin/${name}`, host);
    for (const lib of libs) files.set(lib.replace(/^\/+/, ''), lib);
  }
  for (const [rel, host] of files) {
    // Drop setuid bits (mount, umount): the example has no use for them.
    await copyInside(rootfs, host, rel, rel.startsWith('bin/') ? 0o755 : undefined);
  }
}

/**
 * The shared libraries and ELF interpreter a dynamic binary loads, as absolute
 * host paths (ldd gives the transitive closure). A static binary needs none.
 */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const interpreter = readElf(binary).interpreter;
  if (interpreter === null) return [];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('ldd', [binary]));
  } catch (e) {
    throw new Error(`cannot list the shared libraries of ${binary}: ldd failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const libs = new Set<string>([interpreter]);
  for (const line of lines(stdout)) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
    // "linux-vdso.so.1 (0x...)" (in the kernel, no file), "libfoo.so => not found".
    if (/=>\s*not found/.test(line)) throw new Error(`${binary}: shared library not found: ${line.split('=>')[0]!.trim()}`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** $PATH, then the usual system directories (a service's PATH may be minimal). */
function defaultSearchPath(): string[] {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [...new Set(dirs)];
}

/** Finds an executable regular file named `name` in `dirs`, or null. */
export async function findExecutable(name: string, dirs: string[] = defaultSearchPath()): Promise<string | null> {
  for (const dir of dirs) {
    if (!dir.startsWith('/')) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

// Everything below writes only inside the rootfs: a directory component that
// is a symlink (an image's `bin -> /usr/bin`) could otherwise redirect a write
// to the host. Our own output never has directory symlinks, so rebuilding is fine.

async function mkdirInside(rootfs: string, rel: string): Promise<void> {
  let cur = rootfs;
  for (const part of rel.split('/').filter((p) => p !== '')) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (st === null) await fs.mkdir(cur, { mode: 0o755 });
    else if (!st.isDirectory()) throw new Error(`cannot build the example rootfs: ${cur} exists and is not a directory`);
  }
}

/** Makes the parent directory and removes whatever is at `rel` (a file or a symlink, never followed). */
async function prepareEntry(rootfs: string, rel: string): Promise<string> {
  await mkdirInside(rootfs, path.posix.dirname(rel));
  const dest = path.join(rootfs, rel);
  const st = await fs.lstat(dest).catch(() => null);
  if (st?.isDirectory()) throw new Error(`cannot build the example rootfs: ${dest} is a directory`);
  if (st) await fs.unlink(dest);
  return dest;
}

async function writeInside(rootfs: string, rel: string, content: string): Promise<void> {
  await fs.writeFile(await prepareEntry(rootfs, rel), content, { mode: 0o644 });
}

async function copyInside(rootfs: string, hostPath: string, rel: string, mode?: number): Promise<void> {
  const dest = await prepareEntry(rootfs, rel);
  await fs.copyFile(hostPath, dest); // follows a host symlink: the rootfs gets the file itself
  if (mode !== undefined) await fs.chmod(dest, mode);
}

async function symlinkInside(rootfs: string, target: string, rel: string): Promise<void> {
  await fs.symlink(target, await prepareEntry(rootfs, rel));
}
