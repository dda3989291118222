// The host's cgroup hierarchies and this process's place in each, read from
// statfs, /proc/self/mountinfo and /proc/self/cgroup (never guessed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountPointField } from '../mountinfo';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

export type CgroupMode = 'unified' | 'hybrid' | 'legacy' | 'none';

export interface CgroupHierarchy {
  /** Where the host mounts it, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup. */
  mountPoint: string;
  version: 1 | 2;
  /** v1: the controllers (and name=...) of the hierarchy; v2: those in its root's cgroup.controllers (filled in by hostCgroupLayout). */
  controllers: string[];
  /** This process's cgroup in it, e.g. /user.slice/x (from /proc/self/cgroup). */
  ownPath: string;
}

export interface CgroupLayout {
  mode: CgroupMode;
  root: string;
  hierarchies: CgroupHierarchy[];
  /** Symlinks directly under the root, e.g. cpu -> cpu,cpuacct. */
  links: { name: string; target: string }[];
}

export function detectMode(root = '/sys/fs/cgroup'): CgroupMode {
  try {
    const type = fs.statfsSync(root).type;
    if (type === CGROUP2_SUPER_MAGIC) return 'unified';
    if (type !== TMPFS_MAGIC) return 'none';
    try {
      if (fs.statfsSync(path.join(root, 'unified')).type === CGROUP2_SUPER_MAGIC) return 'hybrid';
    } catch {
      // no unified hierarchy: legacy
    }
    return 'legacy';
  } catch {
    return 'none';
  }
}

export function parseCgroupLayout(mode: CgroupMode, root: string, mountinfo: string, procCgroup: string): CgroupLayout {
  const own = new Map<string, string>(); // "cpu,cpuacct" or "" (v2) -> path
  const controllerNames = new Set<string>(); // every controller /proc/self/cgroup names
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    own.set(m[1]!.split(',').sort().join(','), m[2]!);
    for (const name of m[1]!.split(',')) if (name) controllerNames.add(name);
  }
  const hierarchies: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = mountPointField(pre);
    const [fstype, , superOptions = ''] = post.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    if (mountPoint !== root && path.dirname(mountPoint) !== root) continue;
    // Super options mix controllers with others (rw, xattr, clone_children...).
    const controllers = fstype === 'cgroup' ? superOptions.split(',').filter((o) => controllerNames.has(o)) : [];
    const key = controllers.slice().sort().join(',');
    const ownPath = own.get(key);
    if (ownPath === undefined) continue;
    hierarchies.push({ mountPoint, version: fstype === 'cgroup' ? 1 : 2, controllers, ownPath });
  }
  return { mode, root, hierarchies, links: [] };
}

/** The controllers a v2 cgroup directory offers its children (cgroup.controllers). */
export function readControllers(dir: string): string[] {
  return fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
}

let cached: CgroupLayout | undefined;

/** The host's layout, read once per process. */
export function hostCgroupLayout(): CgroupLayout {
  if (cached) return cached;
  const root = '/sys/fs/cgroup';
  const mode = detectMode(root);
  const layout = parseCgroupLayout(mode, root, fs.readFileSync('/proc/self/mountinfo', 'utf8'), fs.readFileSync('/proc/self/cgroup', 'utf8'));
  for (const h of layout.hierarchies) {
    if (h.version === 2) h.controllers = readControllers(h.mountPoint);
  }
  if (mode === 'hybrid' || mode === 'legacy') {
    for (const name of fs.readdirSync(root)) {
      const p = path.join(root, name);
      if (fs.lstatSync(p).isSymbolicLink()) layout.links.push({ name, target: fs.readlinkSync(p) });
    }
  }
  cached = layout;
  return layout;
}
