// What the bench leaves behind must be nothing: containers a runtime still
// knows (after a failure or Ctrl-C), and the cgroups runc and crun made under
// the bench's own parent, in every hierarchy.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchEnv } from './processes';

/** Force-deletes every container the runtime lists under its --root. */
export function deleteLeftoverContainers(command: string[]): string[] {
  const env = benchEnv();
  const list = spawnSync(command[0]!, [...command.slice(1), 'list', '-q'], { encoding: 'utf8', env });
  const ids = list.status === 0 ? list.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
  for (const id of ids) spawnSync(command[0]!, [...command.slice(1), 'delete', '--force', id], { stdio: 'ignore', env });
  return ids;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

/**
 * Removes `/sys/fs/cgroup/<hierarchy>/<parent>` (children first) wherever it
 * exists; returns what could not be removed. With /sys/fs/cgroup/unified
 * unmounted, crun 1.8 still makes its "cgroup" there: plain directories and
 * a cgroup.procs file in the tmpfs under the mount point (hidden from the
 * host, but kept); those are removed as files.
 */
export function removeCgroupTree(parent: string): string[] {
  const top = '/sys/fs/cgroup';
  const roots = fs.statfsSync(top).type === CGROUP2_SUPER_MAGIC ? [top] : fs.readdirSync(top).map((h) => path.join(top, h));
  const failed: string[] = [];
  for (const root of roots) {
    const dir = path.join(root, parent);
    if (!fs.existsSync(dir)) continue;
    if (fs.statfsSync(dir).type === TMPFS_MAGIC) fs.rmSync(dir, { recursive: true, force: true });
    else removeDirs(dir, failed);
  }
  return failed;
}

function removeDirs(dir: string, failed: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeDirs(path.join(dir, entry.name), failed);
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    failed.push(dir);
  }
}
