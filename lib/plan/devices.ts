// /dev: the spec's default devices and links (created even when config.json
// does not list them), then linux.devices. In a user namespace mknod is not
// allowed, so each node is a bind of the host's.
import * as path from 'node:path';
import { constants } from '../native';
import type { Device, Spec } from '../spec';
import type { NamespacePlan } from './namespaces';
import type { Step } from './steps';

const S = constants.mode;

const DEFAULT_DEVICES: { path: string; major: number; minor: number }[] = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

const DEFAULT_LINKS: { dest: string; target: string }[] = [
  { dest: '/dev/fd', target: '/proc/self/fd' },
  { dest: '/dev/stdin', target: '/proc/self/fd/0' },
  { dest: '/dev/stdout', target: '/proc/self/fd/1' },
  { dest: '/dev/stderr', target: '/proc/self/fd/2' },
  { dest: '/dev/ptmx', target: 'pts/ptmx' },
];

const TYPE_BITS: Record<Device['type'], number> = { c: S.S_IFCHR, u: S.S_IFCHR, b: S.S_IFBLK, p: S.S_IFIFO };

/**
 * runc's rule: /dev is set up unless config.json binds one (the host's, say);
 * then nothing is created or changed in it, linux.devices included.
 */
function devIsBound(spec: Spec): boolean {
  return (spec.mounts ?? []).some(
    (m) => path.posix.normalize(m.destination).replace(/\/+$/, '') === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')),
  );
}

export function planDevices(spec: Spec, ns: NamespacePlan, warnings: string[]): Step[] {
  const inUserNs = ns.created.has('user') || ns.joined.has('user');
  const listed = spec.linux?.devices ?? [];
  if (devIsBound(spec)) {
    if (listed.length) warnings.push('/linux/devices: not created: /dev is a bind mount, whose nodes are used as they are (as runc)');
    return [];
  }
  const listedPaths = new Set(listed.map((d) => path.posix.normalize(d.path)));
  const steps: Step[] = [];
  for (const d of DEFAULT_DEVICES) {
    if (listedPaths.has(d.path)) continue; // linux.devices overrides a default
    steps.push({ kind: 'MKNOD', dest: d.path, mode: S.S_IFCHR | 0o666, major: d.major, minor: d.minor, uid: 0, gid: 0, bindFrom: inUserNs ? d.path : null, origin: '' });
  }
  for (const l of DEFAULT_LINKS) steps.push({ kind: 'SYMLINK', dest: l.dest, target: l.target, ignoreExisting: true, origin: '' });
  listed.forEach((d, i) => {
    const fileMode = d.fileMode ?? 0o666;
    steps.push({
      kind: 'MKNOD', dest: d.path, mode: TYPE_BITS[d.type] | (fileMode & 0o7777),
      major: d.type === 'p' ? 0 : d.major ?? 0, minor: d.type === 'p' ? 0 : d.minor ?? 0,
      uid: d.uid ?? 0, gid: d.gid ?? 0, bindFrom: inUserNs && d.type !== 'p' ? d.path : null, origin: `/linux/devices/${i}`,
    });
  });
  return steps;
}
