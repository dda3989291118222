// Where a container's cgroup is, in each hierarchy (linux.cgroupsPath).
import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { CgroupHierarchy, CgroupLayout } from './hierarchies';

/** The parent of containers whose config gives no cgroupsPath: /ociish/<id> in every hierarchy. */
export const DEFAULT_CGROUP_PARENT = '/ociish';

export interface ContainerCgroupDir {
  hierarchy: CgroupHierarchy;
  /** The cgroup's path inside the hierarchy, e.g. /ociish/web. */
  path: string;
  /** Its directory on the host, e.g. /sys/fs/cgroup/memory/ociish/web. */
  dir: string;
}

/**
 * As runc: an absolute cgroupsPath is below each hierarchy's root; a relative
 * one below the runtime's own cgroup in that hierarchy; none gives
 * /ociish/<id> (not the runtime's own cgroup, which may be a service's).
 */
export function containerCgroupDirs(layout: CgroupLayout, cgroupsPath: string | undefined, id: string): ContainerCgroupDir[] {
  const wanted = cgroupsPath || path.posix.join(DEFAULT_CGROUP_PARENT, id);
  return layout.hierarchies.map((hierarchy) => {
    const cgPath = path.posix.resolve(wanted.startsWith('/') ? '/' : hierarchy.ownPath, wanted);
    if (cgPath === '/') throw new ConfigError('/linux/cgroupsPath', 'must name a cgroup below the root of the hierarchy');
    return { hierarchy, path: cgPath, dir: path.join(hierarchy.mountPoint, cgPath) };
  });
}
