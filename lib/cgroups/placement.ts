// Decides, for each write linux.resources asks for, the hierarchy that
// holds its controller on this host, and so whether the v1 or the v2 form
// applies. A field the host cannot honour is a ConfigError naming the field
// and the host's cgroup mode, before anything is created.
import { ConfigError } from '../errors';
import type { Resources } from '../spec';
import { isRefusal, type CgroupEntry, type CgroupWrite, type CurrentValue } from './entries';
import { v1Entries } from './entries-v1';
import { v2Entries } from './entries-v2';
import type { CgroupHierarchy, CgroupLayout } from './hierarchies';

export interface PlacedWrite extends CgroupWrite {
  hierarchy: CgroupHierarchy;
}

/** The hierarchy holding each controller ("cgroup": the core files of v2). */
export function controllerHierarchies(layout: CgroupLayout): Map<string, CgroupHierarchy> {
  const where = new Map<string, CgroupHierarchy>();
  for (const h of layout.hierarchies) {
    for (const c of h.controllers) where.set(c, h);
    if (h.version === 2) where.set('cgroup', h);
  }
  return where;
}

function hostHas(layout: CgroupLayout): string {
  return `host cgroup mode: ${layout.mode}`;
}

export function placeResources(resources: Resources, layout: CgroupLayout, current: CurrentValue = () => undefined): PlacedWrite[] {
  const where = controllerHierarchies(layout);
  const placed: PlacedWrite[] = [];
  const handled = new Set<string>(); // pointers one version took care of
  const missing = new Map<string, string>(); // pointer -> the controller neither version found
  const take = (entries: CgroupEntry[], version: 1 | 2) => {
    for (const e of entries) {
      const h = where.get(e.controller);
      if (!h) {
        // The other version may name it differently (io / blkio): decided after both.
        if (!missing.has(e.pointer)) missing.set(e.pointer, e.controller === 'cgroup' ? 'no cgroup v2 hierarchy' : `no ${e.controller} controller`);
        continue;
      }
      if (h.version !== version) {
        if ('unified' in e && e.unified) {
          throw new ConfigError(e.pointer, `is a cgroup v2 file, but the ${e.controller} controller is on a cgroup v1 hierarchy here (${hostHas(layout)})`);
        }
        continue; // the other version's form of this field applies
      }
      if (isRefusal(e)) throw new ConfigError(e.pointer, `cannot be honoured: ${e.refused} (${hostHas(layout)})`);
      handled.add(e.pointer);
      placed.push({ ...e, hierarchy: h });
    }
  };
  take(v2Entries(resources, current), 2);
  take(v1Entries(resources, current), 1);
  for (const [pointer, what] of missing) {
    if (!handled.has(pointer)) throw new ConfigError(pointer, `cannot be honoured: the host has ${what} (${hostHas(layout)})`);
  }
  return placed;
}
