// The filesystem: rootfs, config.json's mounts in order (the cgroup type
// expanded into the container's read-only view), then masked and read-only
// paths, pivot_root and root.readonly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { mountPointField } from '../mountinfo';
import { constants } from '../native';
import type { Mount, Spec } from '../spec';
import type { HostFacts } from './host';
import { parseMountOptions, rootfsPropagationFlags } from './mount-options';
import type { CgroupHierarchy } from '../cgroups/hierarchies';
import type { CgroupJoin, NamespacePlan } from './namespaces';
import type { Step } from './steps';

const M = constants.mount;

type MountStep = Extract<Step, { kind: 'MOUNT' }>;

function mountStep(fields: Partial<MountStep> & Pick<MountStep, 'dest' | 'origin'>): MountStep {
  return {
    kind: 'MOUNT', source: '', fstype: '', data: '', flags: 0, propagation: 0,
    attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0, create: 1, copyUp: false, ...fields,
  };
}

/** What to create at a bind's destination: a file for a file source, else a directory. */
function bindTargetKind(source: string): 1 | 2 {
  try {
    return fs.statSync(source).isDirectory() ? 1 : 2;
  } catch {
    return 1; // a missing source fails at mount time with ENOENT, naming it
  }
}

export function resolveRootfs(spec: Spec, bundle: string): string {
  const rootfs = path.resolve(bundle, spec.root?.path ?? '');
  let st: fs.Stats;
  try {
    st = fs.statSync(rootfs);
  } catch (e) {
    throw new ConfigError('/root/path', `${rootfs}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : String(e)}`);
  }
  if (!st.isDirectory()) throw new ConfigError('/root/path', `${rootfs}: not a directory`);
  return rootfs;
}

/** The container's read-only view of its own cgroups at `mount.destination`. */
function cgroupView(m: Mount, origin: string, host: HostFacts, ns: NamespacePlan, cgroup: CgroupJoin | undefined): Step[] {
  const opts = parseMountOptions(m.options ?? [], m.type, origin);
  const layout = host.cgroups;
  // The container's own cgroup (or, without one, the runtime's).
  const own = (h: CgroupHierarchy) => path.join(h.mountPoint, cgroup?.paths.get(h.mountPoint) ?? h.ownPath);
  const dest = m.destination;
  if (layout.mode === 'none') throw new ConfigError(`${origin}/type`, 'the host has no cgroup filesystem mounted at /sys/fs/cgroup');
  if (layout.mode === 'unified') {
    const v2 = layout.hierarchies.find((h) => h.version === 2)!;
    if (ns.created.has('cgroup')) return [mountStep({ dest, fstype: 'cgroup2', source: 'cgroup2', flags: opts.flags, origin })];
    // Without a cgroup namespace, show the container's own cgroup by a bind.
    const attrs = { attrSet: flagsToAttrs(opts.flags), attrClr: 0 };
    return [mountStep({ dest, source: own(v2), flags: M.MS_BIND! | M.MS_REC!, ...attrs, origin })];
  }
  // v1/hybrid: a tmpfs with one read-only bind per hierarchy of the container's
  // own cgroup, the host's symlinks (cpu -> cpu,cpuacct), then the tmpfs
  // itself read-only, as runc builds it.
  const readOnly = (opts.flags & M.MS_RDONLY!) !== 0;
  const baseFlags = opts.flags & ~M.MS_RDONLY!;
  const steps: Step[] = [mountStep({ dest, fstype: 'tmpfs', source: 'tmpfs', flags: baseFlags, data: 'mode=755', origin })];
  // Read-only: the binds get their flags with the tmpfs's remount, by one
  // recursive mount_setattr (one syscall instead of a lookup and a
  // mount_setattr per hierarchy).
  for (const h of layout.hierarchies) {
    steps.push(mountStep({
      dest: path.join(dest, path.basename(h.mountPoint)),
      source: own(h),
      flags: M.MS_BIND! | M.MS_REC!,
      attrSet: readOnly ? 0 : flagsToAttrs(opts.flags),
      origin,
    }));
  }
  for (const link of layout.links) steps.push({ kind: 'SYMLINK', target: link.target, dest: path.join(dest, link.name), ignoreExisting: true, origin });
  if (readOnly) steps.push(mountStep({ dest, flags: M.MS_REMOUNT! | opts.flags, recAttrSet: flagsToAttrs(opts.flags), create: 0, origin }));
  return steps;
}

/** mount(2) flags -> mount_setattr attributes, for binds that stand in for a filesystem mount. */
function flagsToAttrs(flags: number): number {
  let attrs = 0;
  if (flags & M.MS_RDONLY!) attrs |= M.MOUNT_ATTR_RDONLY!;
  if (flags & M.MS_NOSUID!) attrs |= M.MOUNT_ATTR_NOSUID!;
  if (flags & M.MS_NODEV!) attrs |= M.MOUNT_ATTR_NODEV!;
  if (flags & M.MS_NOEXEC!) attrs |= M.MOUNT_ATTR_NOEXEC!;
  return attrs;
}

/** The mount point of the mount that holds `dir` (itself, if it is one), from mountinfo. */
export function mountPointOf(dir: string, mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string {
  const real = fs.realpathSync(dir);
  let best = '/';
  for (const line of mountinfo.split('\n')) {
    const point = mountPointField(line);
    const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (point && inside && point.length > best.length) best = point;
  }
  return best;
}

export function planMounts(spec: Spec, bundle: string, rootfs: string, host: HostFacts, ns: NamespacePlan, cgroup?: CgroupJoin): Step[] {
  // An unbindable "/" would forbid binding the rootfs: that one is applied
  // after pivot_root only (planPivot re-applies every rootfsPropagation).
  const configured = spec.linux?.rootfsPropagation ? rootfsPropagationFlags(spec.linux.rootfsPropagation) : 0;
  const propagation = configured && !(configured & M.MS_UNBINDABLE!) ? configured : M.MS_SLAVE! | M.MS_REC!;
  const privateParent = propagation & M.MS_SHARED! ? mountPointOf(rootfs) : '';
  const steps: Step[] = [{ kind: 'ROOTFS', rootfs, propagation, privateParent, origin: '/root/path' }];
  (spec.mounts ?? []).forEach((m, i) => {
    const origin = `/mounts/${i}`;
    if (m.type === 'cgroup') {
      steps.push(...cgroupView(m, origin, host, ns, cgroup));
      return;
    }
    const opts = parseMountOptions(m.options ?? [], m.type, origin);
    if (opts.bind) {
      if (!m.source) throw new ConfigError(`${origin}/source`, 'a bind mount needs a source');
      const source = path.resolve(bundle, m.source);
      steps.push(mountStep({
        source, dest: m.destination, flags: opts.flags, propagation: opts.propagation,
        attrSet: opts.attrSet, attrClr: opts.attrClr, recAttrSet: opts.recAttrSet, recAttrClr: opts.recAttrClr,
        create: bindTargetKind(source), origin,
      }));
      return;
    }
    if (!m.type) throw new ConfigError(`${origin}/type`, 'a mount that is not a bind needs a type');
    steps.push(mountStep({
      source: m.source ?? m.type, dest: m.destination, fstype: m.type, data: opts.data, flags: opts.flags,
      propagation: opts.propagation, recAttrSet: opts.recAttrSet, recAttrClr: opts.recAttrClr,
      create: (opts.flags & M.MS_REMOUNT!) ? 0 : 1, copyUp: opts.copyUp, origin,
    }));
  });
  return steps;
}

/** The cwd is created if the image lacks it, as runc does (after the mounts, so it may be in one). */
export function planCwd(spec: Spec): Step[] {
  return spec.process ? [{ kind: 'MKDIR', dest: spec.process.cwd, origin: '/process/cwd' }] : [];
}

/** Masked and read-only paths; before pivot_root, resolved inside the root. */
export function planPathHardening(spec: Spec): Step[] {
  const steps: Step[] = [];
  (spec.linux?.maskedPaths ?? []).forEach((dest, i) => steps.push({ kind: 'MASK', dest, origin: `/linux/maskedPaths/${i}` }));
  (spec.linux?.readonlyPaths ?? []).forEach((dest, i) => steps.push({ kind: 'READONLY', dest, origin: `/linux/readonlyPaths/${i}` }));
  return steps;
}

export function planPivot(spec: Spec): Step[] {
  const steps: Step[] = [{ kind: 'PIVOT_ROOT', origin: '/root/path' }];
  if (spec.linux?.rootfsPropagation) steps.push({ kind: 'ROOT_PROPAGATION', flags: rootfsPropagationFlags(spec.linux.rootfsPropagation), origin: '/linux/rootfsPropagation' });
  if (spec.root?.readonly) steps.push({ kind: 'ROOT_READONLY', origin: '/root/readonly' });
  return steps;
}
