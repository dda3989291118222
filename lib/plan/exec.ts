// exec: a new process in a running container. The child joins all of the
// container's namespaces at once through a pidfd of its init (setns), clones
// itself into the pid namespace, and then runs the same process steps as the
// container's own process. No mounts: the container's filesystem is
// already there.
import { ConfigError } from '../errors';
import type { SeccompFilter } from '../seccomp';
import type { Process, Spec } from '../spec';
import { hostFacts, type HostFacts } from './host';
import { cgroupJoinSteps, NAMESPACE_FLAGS, type CgroupJoin } from './namespaces';
import { planProcess } from './process';
import type { Plan, Step } from './steps';

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
export function planJoinContainer(spec: Spec, initPid: number, cgroup?: CgroupJoin, host: HostFacts = hostFacts()): Step[] {
  const types = new Set((spec.linux?.namespaces ?? []).map((ns) => ns.type));
  if (types.has('time')) throw new ConfigError('/linux/namespaces', 'exec into a container with a time namespace is not supported yet');
  const steps: Step[] = cgroupJoinSteps(cgroup, host.euid === 0 && !types.has('user'));
  const flags = [...types].reduce((f, type) => f | NAMESPACE_FLAGS[type], 0);
  if (flags) steps.push({ kind: 'SETNS_PID', pid: initPid, flags, origin: '/linux/namespaces' });
  // Files a hook or process makes belong to the namespace's root, not to an unmapped id.
  if (types.has('user')) steps.push({ kind: 'SET_ROOT_IDS', setGroups: true, origin: '/linux/namespaces' });
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
    ...planJoinContainer(spec, opts.initPid, opts.cgroup, host),
    ...planProcess(process, host, setGroups, { rootfs: opts.rootfs, preservedFds: opts.preservedFds ?? 0, barrier: false, seccomp: opts.seccomp }, warnings),
  ];
  return { steps, cloneFlags: 0, idMaps: null, warnings };
}
