// exec: a new process in a running container. The child joins each of the
// container's namespaces through its init's /proc/PID/ns files (the user
// namespace first, the mount namespace last: after it the host's /proc is
// out of sight), clones itself into the pid namespace, and then runs the
// same process steps as the container's own process. No mounts: the
// container's filesystem is already there.
import { ConfigError } from '../errors';
import type { SeccompFilter } from '../seccomp';
import type { NamespaceType, Process, Spec } from '../spec';
import { hostFacts, type HostFacts } from './host';
import { NAMESPACE_FLAGS, type CgroupJoin } from './namespaces';
import { planProcess } from './process';
import type { Plan, Step } from './steps';

/** /proc/PID/ns/<name> for each namespace type. */
const NS_FILE: Record<NamespaceType, string> = {
  user: 'user',
  pid: 'pid',
  network: 'net',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
  time: 'time',
  mount: 'mnt',
};

/** The order of the joins: user first (it grants the rights for the rest), mount last. */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface ExecPlanOptions {
  /** The container's init, whose namespaces the process joins. */
  initPid: number;
  /** The host path of the container's rootfs (HOME from its /etc/passwd). */
  rootfs: string;
  preservedFds?: number;
  cgroup?: CgroupJoin;
  seccomp: SeccompFilter | null;
  host?: HostFacts;
}

/** The steps that put a child into the container's namespaces (exec, hooks in the container). */
export function planJoinContainer(spec: Spec, initPid: number, cgroup?: CgroupJoin): Step[] {
  const types = new Set((spec.linux?.namespaces ?? []).map((ns) => ns.type));
  if (types.has('time')) throw new ConfigError('/linux/namespaces', 'exec into a container with a time namespace is not supported yet');
  const steps: Step[] = [];
  if (cgroup?.sync) steps.push({ kind: 'SYNC_CGROUPS', origin: '/linux/cgroupsPath' });
  for (const type of JOIN_ORDER) {
    if (!types.has(type)) continue;
    steps.push({ kind: 'SETNS', nstype: NAMESPACE_FLAGS[type], path: `/proc/${initPid}/ns/${NS_FILE[type]}`, origin: '/linux/namespaces' });
  }
  // setns into a pid namespace applies to children only.
  if (types.has('pid')) steps.push({ kind: 'FORK_INIT', origin: '/linux/namespaces' });
  return steps;
}

export function buildExecPlan(spec: Spec, process: Process, opts: ExecPlanOptions): Plan {
  const host = opts.host ?? hostFacts();
  const warnings: string[] = [];
  // Where the container's user namespace denies setgroups, so must we.
  const userns = spec.linux?.namespaces?.some((ns) => ns.type === 'user') ?? false;
  const setGroups = !(userns && host.euid !== 0);
  const steps = [
    ...planJoinContainer(spec, opts.initPid, opts.cgroup),
    ...planProcess(process, host, setGroups, { rootfs: opts.rootfs, preservedFds: opts.preservedFds ?? 0, barrier: false, seccomp: opts.seccomp }, warnings),
  ];
  return { steps, cloneFlags: 0, idMaps: null, warnings };
}
