// When a container's cgroup is delegated to it (config-linux.md, "cgroup
// ownership"): its own user and cgroup namespaces and a writable cgroup mount.
import type { Spec } from '../spec';

/** The host uid/gid of the container's root, when the config asks for delegation; otherwise null. */
export function delegationOwner(spec: Spec): { uid: number; gid: number } | null {
  const namespaces = spec.linux?.namespaces ?? [];
  const creates = (type: string) => namespaces.some((n) => n.type === type && !n.path);
  if (!creates('user') || !creates('cgroup')) return null;
  const writable = (spec.mounts ?? []).some((m) => m.type === 'cgroup' && m.destination === '/sys/fs/cgroup' && !(m.options ?? []).includes('ro'));
  if (!writable) return null;
  const hostIdOf0 = (list: { containerID: number; hostID: number; size: number }[] = []) => {
    const m = list.find((x) => x.containerID <= 0 && 0 < x.containerID + x.size);
    return m ? m.hostID - m.containerID : undefined;
  };
  const uid = hostIdOf0(spec.linux?.uidMappings);
  const gid = hostIdOf0(spec.linux?.gidMappings);
  return uid === undefined || gid === undefined ? null : { uid, gid };
}
