// Cgroup facts for tests: where a container's cgroup would be on this host,
// and a parent path per test process under a name the tests own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CGROUP_PARENT, hostCgroupLayout } from '../../lib/cgroups';

/** A cgroupsPath parent owned by this test process; removed at exit (children first). */
export const TEST_CGROUP_PARENT = `/ociish-test-${process.pid}`;

/** The host directories of cgroup path `cgPath` that exist, in every hierarchy. */
export function existingCgroupDirs(cgPath: string): string[] {
  return hostCgroupLayout()
    .hierarchies.map((h) => path.join(h.mountPoint, cgPath))
    .filter((dir) => fs.existsSync(dir));
}

/** The directories left behind by a container with this id and no cgroupsPath. */
export function defaultCgroupDirs(id: string): string[] {
  return existingCgroupDirs(path.posix.join(DEFAULT_CGROUP_PARENT, id));
}

function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

process.on('exit', () => {
  for (const dir of existingCgroupDirs(TEST_CGROUP_PARENT)) {
    try {
      removeTree(dir);
    } catch {
      // a test failed to clean up a container: the leftover check reports it
    }
  }
});
