// crun 1.8 refuses hybrid cgroup hosts (v1 controllers plus cgroup2 at
// /sys/fs/cgroup/unified). So that every method runs under the same
// conditions, the whole bench re-executes itself in a private mount namespace
// where that one mount is gone; the host's own mounts are never touched
// (--propagation private: the umount does not travel back).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { cgroupMode, type CgroupMode } from './host';

/** Set in the re-executed bench: the host's cgroup mode, as seen before the unmount. */
const MARKER = 'OCIISH_BENCH_HOST_CGROUP_MODE';
/** Set in the re-executed bench: the mount namespace the user started it in. */
const STARTED_IN = 'OCIISH_BENCH_STARTED_IN_MNT_NS';

export interface MountNamespaceDecision {
  hostCgroupMode: CgroupMode;
  /** True in the re-executed bench. */
  unifiedUnmounted: boolean;
  /** It runs in a mount namespace other than the one it was started in (checked, not assumed). */
  privateMountNamespace: boolean;
}

function mountNamespace(): string {
  return fs.readlinkSync('/proc/self/ns/mnt');
}

/** Where this process stands: the re-executed child, or the process the user started. */
export function mountNamespaceState(): MountNamespaceDecision {
  const inherited = process.env[MARKER] as CgroupMode | undefined;
  if (inherited) return { hostCgroupMode: inherited, unifiedUnmounted: true, privateMountNamespace: process.env[STARTED_IN] !== mountNamespace() };
  return { hostCgroupMode: cgroupMode(), unifiedUnmounted: false, privateMountNamespace: false };
}

export function needsPrivateMountNamespace(state: MountNamespaceDecision, externalRuntimes: number): boolean {
  return !state.unifiedUnmounted && state.hostCgroupMode === 'hybrid' && externalRuntimes > 0;
}

/**
 * Runs this same command again under `unshare -m --propagation private` with
 * /sys/fs/cgroup/unified unmounted there; resolves with its exit code. The
 * child shares our terminal, so Ctrl-C reaches it directly: here it is only
 * waited for.
 */
export function reexecInPrivateMountNamespace(benchArgs: string[]): Promise<number> {
  const script = 'umount /sys/fs/cgroup/unified || exit 1; exec "$@"';
  const argv = ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', process.execPath, ...process.execArgv, process.argv[1]!, 'bench', ...benchArgs];
  const child = spawn('unshare', argv, { stdio: 'inherit', env: { ...process.env, [MARKER]: 'hybrid', [STARTED_IN]: mountNamespace() } });
  // Ctrl-C reaches the child through the terminal; SIGTERM is passed on, so
  // that the child cleans up before it ends.
  const ignore = () => {};
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}
