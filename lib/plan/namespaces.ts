// Namespaces: which are created by clone3, which are joined by path (setns
// in the child), and the uid/gid maps the parent writes.
import { ConfigError } from '../errors';
import { constants } from '../native';
import type { IdMapping, NamespaceType, Spec } from '../spec';
import type { HostFacts } from './host';
import type { IdMaps, Step } from './steps';

const C = constants.clone;

export const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  pid: C.CLONE_NEWPID,
  network: C.CLONE_NEWNET,
  mount: C.CLONE_NEWNS,
  ipc: C.CLONE_NEWIPC,
  uts: C.CLONE_NEWUTS,
  user: C.CLONE_NEWUSER,
  cgroup: C.CLONE_NEWCGROUP,
  time: C.CLONE_NEWTIME,
};

export interface NamespacePlan {
  cloneFlags: number;
  /** Steps at the very start of the child: joins, unshare, id maps. */
  steps: Step[];
  idMaps: IdMaps | null;
  /** The set of namespace types the container gets new (not joined, not inherited). */
  created: Set<NamespaceType>;
  joined: Set<NamespaceType>;
  /** The new network namespace is made ahead (premadeNetns), loopback up: the child joins it. */
  premadeNetns: boolean;
}

/**
 * Whether a container's new network namespace can be made ahead of its
 * spawn, by the runtime on a worker thread (lib/runtime/netns.ts): root,
 * and no user namespace, which would have to own it.
 */
export function canPremadeNetns(spec: Spec, host: HostFacts): boolean {
  const namespaces = spec.linux?.namespaces ?? [];
  return host.euid === 0 && namespaces.some((ns) => ns.type === 'network' && !ns.path) && !namespaces.some((ns) => ns.type === 'user');
}

/** The SETNS path of a premade network namespace, until joinPremadeNetns fills it in: empty, so that the child fails (ENOENT) if it never is. */
const PREMADE_NETNS_PATH = '';

/** Gives the plan the path of the premade network namespace (e.g. /proc/<pid>/fd/<fd>). */
export function joinPremadeNetns(plan: { steps: Step[] }, nsPath: string): void {
  const step = plan.steps.find((s) => s.kind === 'SETNS' && s.nstype === C.CLONE_NEWNET && s.path === PREMADE_NETNS_PATH);
  if (!step || step.kind !== 'SETNS') throw new Error('the plan has no premade network namespace to join');
  step.path = nsPath;
}

function mapText(list: IdMapping[]): string {
  return list.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function maps(list: IdMapping[] | undefined, id: number): boolean {
  return (list ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

export interface CgroupJoin {
  /** The child must be put in v1 hierarchies (a write of its pid, or its own write of 0). */
  sync: boolean;
  /** The container's directory in each v1 hierarchy. */
  v1Dirs: readonly string[];
  /** The container's cgroup in each hierarchy, by mount point (for the /sys/fs/cgroup view). */
  paths: ReadonlyMap<string, string>;
}

/**
 * With `cgroup` (the container gets its own cgroup), a new cgroup namespace
 * is made by UNSHARE once the child is in that cgroup, so that the
 * namespace's root is the container's cgroup, not the runtime's.
 */
export function planNamespaces(spec: Spec, host: HostFacts, cgroup?: CgroupJoin, premade = false): NamespacePlan {
  const namespaces = spec.linux?.namespaces ?? [];
  const created = new Set<NamespaceType>();
  const joined = new Set<NamespaceType>();
  namespaces.forEach((ns) => (ns.path ? joined : created).add(ns.type));
  const index = (type: NamespaceType) => namespaces.findIndex((ns) => ns.type === type);

  const laterCgroupNs = cgroup !== undefined && created.has('cgroup');
  const premadeNetns = premade && canPremadeNetns(spec, host);
  const newFlags = [...created].reduce((f, t) => f | NAMESPACE_FLAGS[t], 0) & ~(laterCgroupNs ? C.CLONE_NEWCGROUP : 0) & ~(premadeNetns ? C.CLONE_NEWNET : 0);
  const userNew = created.has('user');
  // Namespaces made after a user namespace is joined or created belong to it,
  // so joins must come first. clone3 can create everything at once only when
  // no join has to precede the user namespace; otherwise the child joins,
  // then unshares. A pid (or time) namespace joined by setns or made by
  // unshare holds only the caller's children: then FORK_INIT clones the init.
  const unshareLater = (userNew && joined.size > 0) || joined.has('user');
  const forkInit = joined.has('pid') || (unshareLater && (created.has('pid') || created.has('time')));
  const cloneAll = !unshareLater && !forkInit;

  // The kernel lets only a task that shares its memory with no one join a
  // time namespace, and the child runs in the runtime's memory (CLONE_VM).
  if (joined.has('time')) throw new ConfigError(`/linux/namespaces/${index('time')}/path`, 'joining an existing time namespace is not supported yet');

  const steps: Step[] = cgroupJoinSteps(cgroup, host.euid === 0 && !created.has('user') && !joined.has('user'));
  const join = (type: NamespaceType) => {
    const i = index(type);
    steps.push({ kind: 'SETNS', nstype: NAMESPACE_FLAGS[type], path: namespaces[i]!.path!, origin: `/linux/namespaces/${i}/path` });
  };
  if (joined.has('user')) {
    join('user');
    // As runc: become root of the joined namespace, so that what the setup
    // creates belongs to it (and mkdir works where host root is unmapped).
    steps.push({ kind: 'SET_ROOT_IDS', setGroups: true, origin: `/linux/namespaces/${index('user')}/path` });
  }
  for (const t of joined) if (t !== 'user') join(t);
  if (premadeNetns) steps.push({ kind: 'SETNS', nstype: C.CLONE_NEWNET, path: PREMADE_NETNS_PATH, origin: `/linux/namespaces/${index('network')}` });
  if (!cloneAll && newFlags) steps.push({ kind: 'UNSHARE', flags: newFlags, origin: '/linux/namespaces' });

  let idMaps: IdMaps | null = null;
  if (userNew) {
    const uidMappings = spec.linux?.uidMappings ?? [];
    const gidMappings = spec.linux?.gidMappings ?? [];
    const denySetgroups = host.euid !== 0;
    idMaps = { uidMap: mapText(uidMappings), gidMap: mapText(gidMappings), denySetgroups };
    steps.push({ kind: 'SYNC_IDMAPS', origin: '/linux/uidMappings' });
    // Files the setup creates (devices, mount points) then belong to the
    // container's root rather than to an unmapped id.
    if (maps(uidMappings, 0) && maps(gidMappings, 0)) steps.push({ kind: 'SET_ROOT_IDS', setGroups: !denySetgroups, origin: '/linux/uidMappings' });
  }
  if (laterCgroupNs) steps.push({ kind: 'UNSHARE', flags: C.CLONE_NEWCGROUP, origin: `/linux/namespaces/${index('cgroup')}` });
  if (forkInit) steps.push({ kind: 'FORK_INIT', origin: '/linux/namespaces' });
  return { cloneFlags: cloneAll ? newFlags : 0, steps, idMaps, created, joined, premadeNetns };
}

/**
 * How a child gets into its v1 cgroups: by itself, first thing (ENTER_CGROUP:
 * as root, before any user namespace, where the host's cgroup files are
 * still ours to write), or else by the parent writing its pid while it
 * waits (SYNC_CGROUPS). On v2 it is born there (CLONE_INTO_CGROUP): none.
 */
export function cgroupJoinSteps(cgroup: CgroupJoin | undefined, selfJoin: boolean): Step[] {
  if (!cgroup?.sync) return [];
  if (!selfJoin) return [{ kind: 'SYNC_CGROUPS', origin: '/linux/cgroupsPath' }];
  return cgroup.v1Dirs.map((dir) => ({ kind: 'ENTER_CGROUP', tasksFile: `${dir}/tasks`, origin: '/linux/cgroupsPath' }));
}

/**
 * Whether a step may run before the child is in its v1 cgroups: it neither
 * makes anything the cgroups account or limit (device nodes, processes,
 * copied-up files, the cgroup namespace's root and cgroupfs mounts) nor
 * talks to the parent (whose answers come in order).
 */
function runsBeforeCgroupJoin(step: Step): boolean {
  switch (step.kind) {
    case 'SETNS':
    case 'SETNS_PID':
    case 'SET_ROOT_IDS':
    case 'SESSION_KEYRING':
    case 'ROOTFS':
    case 'MKDIR':
    case 'SYMLINK':
    case 'MASK':
    case 'READONLY':
    case 'PIVOT_ROOT':
    case 'ROOT_READONLY':
    case 'ROOT_PROPAGATION':
    case 'HOSTNAME':
    case 'DOMAINNAME':
    case 'LOOPBACK_UP':
      return true;
    case 'UNSHARE':
      return (step.flags & C.CLONE_NEWCGROUP) === 0;
    case 'MOUNT':
      return !step.copyUp && step.fstype !== 'cgroup' && step.fstype !== 'cgroup2';
    default:
      return false;
  }
}

/**
 * Writing the child's pid into each v1 hierarchy costs the parent ~0.1 ms a
 * hierarchy. The child asks at once and waits for the answer only before
 * the first step that must run inside its cgroups, so that the parent's
 * writes overlap the setup in between (mounts, mostly). A SYNC_IDMAPS
 * handshake in between is kept before the ask, as answers come in order.
 */
export function overlapCgroupJoin(steps: Step[]): Step[] {
  const at = steps.findIndex((s) => s.kind === 'SYNC_CGROUPS');
  if (at < 0) return steps;
  const origin = steps[at]!.origin;
  const rest = [...steps.slice(0, at), ...steps.slice(at + 1)];
  let wait = at;
  let ask = at;
  while (wait < rest.length && (runsBeforeCgroupJoin(rest[wait]!) || rest[wait]!.kind === 'SYNC_IDMAPS')) {
    if (rest[wait]!.kind === 'SYNC_IDMAPS') ask = wait + 1;
    wait++;
  }
  if (ask === wait) return steps;
  return [
    ...rest.slice(0, ask),
    { kind: 'SYNC_CGROUPS', part: 'ask', origin },
    ...rest.slice(ask, wait),
    { kind: 'SYNC_CGROUPS', part: 'wait', origin },
    ...rest.slice(wait),
  ];
}
