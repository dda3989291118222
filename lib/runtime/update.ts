// update: new resource limits for a live container; the stored config keeps
// them, so that `state`-reading tools and later updates see what applies.
import type { Resources } from '../spec';
import { LoadedContainer } from './container';

export async function updateContainer(root: string, id: string, resources: Resources): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    c.require(['created', 'running', 'paused'], 'update');
    c.cgroup.check(resources);
    c.cgroup.update(resources);
    const config = c.stored.config;
    config.linux = { ...config.linux, resources: mergeResources(config.linux?.resources ?? {}, resources) };
    c.save({ config });
  } finally {
    c.release();
  }
}

/** The stored resources with each given section's fields replaced. */
function mergeResources(old: Resources, update: Resources): Resources {
  const out: Record<string, unknown> = { ...old };
  for (const [key, value] of Object.entries(update)) {
    const prev = out[key];
    out[key] = value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' ? { ...prev, ...value } : value;
  }
  return out as Resources;
}
