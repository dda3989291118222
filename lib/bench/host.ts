// Facts about the machine a bench ran on, recorded with its results so two
// result files can be told apart (and compared only when they should be).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

export type CgroupMode = 'v2' | 'hybrid' | 'v1' | 'none';

/** The cgroup layout this process sees, by statfs (never guessed). */
export function cgroupMode(): CgroupMode {
  const type = fsType('/sys/fs/cgroup');
  if (type === CGROUP2_SUPER_MAGIC) return 'v2';
  if (type !== TMPFS_MAGIC) return 'none';
  return fsType('/sys/fs/cgroup/unified') === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'v1';
}

function fsType(dir: string): number | null {
  try {
    return fs.statfsSync(dir).type;
  } catch {
    return null;
  }
}

/** The first line of `binary --version`, or why there is none. */
export function runtimeVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).split('\n')[0]!.trim();
  } catch (e) {
    return `unknown (${binary} --version failed: ${(e as Error).message.split('\n')[0]})`;
  }
}

export interface HostFacts {
  kernel: string;
  arch: string;
  cores: number;
  cpuModel: string;
  node: string;
  /** The cgroup layout of the machine, before any private mount namespace. */
  hostCgroupMode: CgroupMode;
  /** The layout the containers saw (differs once /sys/fs/cgroup/unified is unmounted in a private namespace). */
  benchCgroupMode: CgroupMode;
  privateMountNamespace: boolean;
  unifiedUnmounted: boolean;
}

export function hostFacts(hostCgroupMode: CgroupMode, unifiedUnmounted: boolean, privateMountNamespace: boolean): HostFacts {
  const cpus = os.cpus();
  return {
    kernel: os.release(),
    arch: os.arch(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    hostCgroupMode,
    benchCgroupMode: cgroupMode(),
    privateMountNamespace,
    unifiedUnmounted,
  };
}
