// Cgroup facts for tests: where a container's cgroup would be on this host,
// and a parent path per test process under a name the tests own.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CGROUP_PARENT, hostCgroupLayout } from '../../lib/cgroups';
import type { CgroupHierarchy } from '../../lib/cgroups/hierarchies';
import { ociishBin, stateRoot, type RunResult } from './container';

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

/** The host hierarchy that holds `controller` ("cgroup": the v2 core files), or undefined when the host lacks it. */
export function hierarchyOf(controller: string): CgroupHierarchy | undefined {
  return hostCgroupLayout().hierarchies.find((h) => h.controllers.includes(controller) || (controller === 'cgroup' && h.version === 2));
}

/** Where a container sees `controller`'s files in its /sys/fs/cgroup view (/sys/fs/cgroup/memory, /sys/fs/cgroup/unified, /sys/fs/cgroup). */
export function viewDirOf(controller: string): string | undefined {
  const h = hierarchyOf(controller);
  if (!h) return undefined;
  return h.mountPoint === '/sys/fs/cgroup' ? h.mountPoint : path.posix.join('/sys/fs/cgroup', path.basename(h.mountPoint));
}

/** The host directory of cgroup `cgPath` in the hierarchy of `controller`. */
export function hostDirOf(cgPath: string, controller: string): string | undefined {
  const h = hierarchyOf(controller);
  return h && path.join(h.mountPoint, cgPath);
}

/**
 * `ociish run ARGS` in the background: when the container prints the line
 * "@@hold" (and then waits with `read _`), `whileHeld` runs (it may look at
 * the host's cgroup files), then a newline on the container's stdin lets it
 * go on. A container that does not finish within `timeoutMs` gets SIGTERM
 * (forwarded to it), then ociish gets SIGKILL.
 */
export function runHolding(args: string[], whileHeld: () => void, timeoutMs = 30_000): Promise<RunResult & { held: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let held = false;
    let failure: unknown;
    const term = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
    child.stdin.on('error', () => {}); // the container may be gone already
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (held || !/^@@hold$/m.test(stdout)) return;
      held = true;
      try {
        whileHeld();
      } catch (e) {
        failure = e;
      }
      child.stdin.end('\n');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      if (failure) reject(failure);
      else resolve({ status, signal, stdout, stderr, held });
    });
  });
}
