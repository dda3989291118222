// Facts about the host the plan depends on, read once per process.
import * as fs from 'node:fs';
import { hostCgroupLayout, type CgroupLayout } from '../cgroups/hierarchies';

export interface HostFacts {
  /** Effective uid of the runtime: an unprivileged runtime must deny setgroups in a new user namespace. */
  euid: number;
  /** The highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
  cgroups: CgroupLayout;
}

let cached: HostFacts | undefined;

export function hostFacts(): HostFacts {
  cached ??= {
    euid: process.geteuid?.() ?? 0,
    lastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    cgroups: hostCgroupLayout(),
  };
  return cached;
}
