// Test helpers: a busybox (or host-binaries) rootfs built once per test file,
// bundles around it, and `ociish run` driven as a user would drive it.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';
import { buildExampleBundle } from '../../lib/bundle/example';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const ociishBin = path.join(repoRoot, 'bin', 'ociish');

export const isRoot = process.geteuid?.() === 0;
export const rootSkip: string | false = isRoot ? false : 'needs root (creates namespaces and mounts)';

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every temp dir this test process made (bundles, rootfs copies, --root): none may stay mounted. */
export function testPaths(): readonly string[] {
  return tempDirs;
}

/** A fresh temp dir, removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ociish-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

let shared: { dir: string; config: Record<string, unknown> } | undefined;

/** The example bundle (rootfs + default config), built once per test process. */
export async function exampleBundle(): Promise<{ rootfs: string; config: Record<string, unknown> }> {
  if (!shared) {
    const dir = tempDir('rootfs');
    await buildExampleBundle(dir);
    shared = { dir, config: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) };
  }
  return { rootfs: path.join(shared.dir, 'rootfs'), config: structuredClone(shared.config) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Config = Record<string, any>;

/** Writes a bundle whose config is the default one changed by `edit`; returns its dir. */
export async function makeBundle(edit: (config: Config, rootfs: string) => void = () => {}): Promise<string> {
  const { rootfs, config } = await exampleBundle();
  const dir = tempDir('bundle');
  config.root = { path: rootfs, readonly: true };
  edit(config, rootfs);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** A copy of the example rootfs a test may change, in a directory others can traverse (0755). */
export async function privateRootfs(prefix = 'root'): Promise<string> {
  const { rootfs } = await exampleBundle();
  const dir = tempDir(prefix);
  fs.chmodSync(dir, 0o755);
  const copy = path.join(dir, 'rootfs');
  execFileSync('cp', ['-a', rootfs, copy]);
  return copy;
}

let counter = 0;
export function uniqueId(name = 'test'): string {
  return `${name}-${process.pid}-${++counter}`;
}

export const stateRoot = tempDir('state');

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the ociish CLI with --root set to this test's state root. NODE_OPTIONS
 * is dropped with env(1): tap puts its process-info hook there (even into an
 * explicit env), and the hook's signal handlers would change what ociish does.
 */
export function ociish(args: string[], opts: { input?: string; cwd?: string; timeout?: number } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd,
    timeout: opts.timeout ?? 30_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the ociish CLI (as ociish() does) with its stdout and stderr on
 * files, not pipes: a created or detached container keeps the stdio it was
 * given, and a pipe would hold spawnSync until the container exits.
 */
export function ociishToFiles(args: string[], opts: { input?: string } = {}): RunResult {
  const dir = tempDir('cli');
  const out = path.join(dir, 'out');
  const err = path.join(dir, 'err');
  const fds = [fs.openSync(out, 'w'), fs.openSync(err, 'w')];
  try {
    const r = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, ...args], {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', fds[0]!, fds[1]!],
      input: opts.input,
      timeout: 30_000,
    });
    return { status: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** This process's open fds, each with what it points at. */
export function openFds(): string[] {
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [`${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`];
    } catch {
      return []; // the fd readdir itself used
    }
  });
}

/** This process's children (every thread's): a failed spawn must leave none. */
export function ourChildren(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${process.pid}/task`)) {
    const text = fs.readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

/**
 * A process (sleep) in a pid namespace of its own, for plans that join a pid
 * namespace by path (FORK_INIT); killed at the test's end. 0 if it did not
 * come up.
 */
export async function pidNamespaceHolder(t: Test): Promise<number> {
  const holder = spawn('unshare', ['--pid', '--fork', 'sleep', '60'], { stdio: 'ignore' });
  let sleeper = 0;
  t.teardown(() => {
    try {
      if (sleeper) process.kill(sleeper, 'SIGKILL');
    } catch {
      // already gone
    }
    holder.kill('SIGKILL');
  });
  for (let i = 0; i < 200 && !sleeper; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const kids = fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim();
    if (kids && fs.readFileSync(`/proc/${kids}/cmdline`, 'utf8').startsWith('sleep')) sleeper = Number(kids);
  }
  return sleeper;
}

/** Runs a shell script in a fresh container built from the default config changed by `edit`. */
export async function runScript(script: string, edit?: (config: Config, rootfs: string) => void): Promise<RunResult> {
  const bundle = await makeBundle((config, rootfs) => {
    config.process.args = ['sh', '-c', script];
    edit?.(config, rootfs);
  });
  return ociish(['run', '--bundle', bundle, uniqueId()]);
}

/** What a test leaves behind: state dirs under our root. */
export function leftoverState(): string[] {
  return fs.existsSync(stateRoot) ? fs.readdirSync(stateRoot) : [];
}

/** Asserts `ociish run` exited 0, showing its stderr otherwise. */
export function ranOk(t: Test, r: RunResult): boolean {
  return t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
}

/** Output split by marker lines "@@name": name -> the non-empty lines after it. */
export function sections(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur = '';
  for (const line of stdout.split('\n')) {
    const m = /^@@(\S+)$/.exec(line);
    if (m) {
      cur = m[1]!;
      out[cur] = [];
    } else if (cur && line !== '') {
      out[cur]!.push(line);
    }
  }
  return out;
}

/** Host mounts (lines of /proc/self/mountinfo) that mention any of `paths`. */
export function hostMountsMentioning(paths: readonly string[]): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l && paths.some((p) => l.includes(p)));
}

/** Pids (not ours) whose command line contains any of `needles`. */
export function processesMentioning(...needles: string[]): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch {
      continue; // gone
    }
    if (needles.some((n) => cmdline.includes(n))) pids.push(Number(entry));
  }
  return pids;
}
