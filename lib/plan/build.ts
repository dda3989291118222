// config.json + bundle + host facts -> the ordered steps the child runs.
// Pure apart from reading host facts and checking the rootfs exists.
import { ConfigError } from '../errors';
import { cachedSeccompFilter, type SeccompFilter } from '../seccomp';
import type { Spec } from '../spec';
import { planDevices } from './devices';
import { hostFacts, type HostFacts } from './host';
import { planCwd, planMounts, planPathHardening, planPivot, resolveRootfs } from './mounts';
import { overlapCgroupJoin, planNamespaces, type CgroupJoin } from './namespaces';
import { planProcess } from './process';
import type { Plan, Step } from './steps';
import { planOomScoreAdj, planSysctl, planSystem } from './system';

export interface BuildOptions {
  bundle: string;
  /** Extra fds (3, 4, ...) handed to the container, as runc's --preserve-fds. */
  preservedFds?: number;
  /** Stop at the start barrier (create/start); `run` execs straight away. */
  barrier?: boolean;
  /**
   * Stop at a barrier on this fifo (made by the runtime, e.g. in the state
   * dir): the child opens it first thing, and waits there for one byte, with
   * no tie to the runtime process (which may exit). Implies `barrier`.
   */
  barrierFifo?: string;
  /** The child waits before pivot_root while the runtime runs hooks (prestart, createRuntime, createContainer). */
  hooks?: boolean;
  /** Join a new session keyring with this name (the container id, as runc); none: keep the caller's. */
  sessionKeyring?: string;
  /** The container's own cgroup, and whether the child must wait while the parent puts it in. */
  cgroup?: CgroupJoin;
  host?: HostFacts;
  /** Where compiled seccomp programs are kept between processes (the CLI's state root); memory only without it. */
  seccompCacheDir?: string;
}

function planSeccomp(spec: Spec, cacheDir: string | undefined, warnings: string[]): SeccompFilter | null {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp) return null;
  const filter = cachedSeccompFilter(seccomp, { cacheDir });
  if (seccomp.listenerPath !== undefined && !filter.listener) warnings.push('/linux/seccomp/listenerPath: not used: no rule has SCMP_ACT_NOTIFY');
  return filter;
}

export function buildPlan(spec: Spec, opts: BuildOptions): Plan {
  const host = opts.host ?? hostFacts();
  if (!spec.process) throw new ConfigError('/process', 'is required to run a container');
  const ns = planNamespaces(spec, host, opts.cgroup);
  if (!ns.created.has('mount')) throw new ConfigError('/linux/namespaces', 'a new mount namespace is required (ociish always sets up the root filesystem)');
  const rootfs = resolveRootfs(spec, opts.bundle);
  const warnings: string[] = [];
  const setGroups = !ns.idMaps?.denySetgroups;
  const seccomp = planSeccomp(spec, opts.seccompCacheDir, warnings);
  const steps: Step[] = overlapCgroupJoin([
    ...(opts.barrierFifo !== undefined ? [{ kind: 'OPEN_BARRIER' as const, path: opts.barrierFifo, origin: '' }] : []),
    ...ns.steps,
    ...(opts.sessionKeyring !== undefined ? [{ kind: 'SESSION_KEYRING' as const, name: opts.sessionKeyring, origin: '' }] : []),
    ...planMounts(spec, opts.bundle, rootfs, host, ns, opts.cgroup),
    ...planDevices(spec, ns, warnings),
    ...planCwd(spec),
    ...planSysctl(spec, ns),
    ...planPathHardening(spec),
    ...planOomScoreAdj(spec),
    ...(opts.hooks ? [{ kind: 'SYNC_HOOKS' as const, origin: '/hooks' }] : []),
    ...planPivot(spec),
    ...planSystem(spec, ns),
    ...planProcess(spec.process, host, setGroups, { rootfs, preservedFds: opts.preservedFds ?? 0, barrier: (opts.barrier ?? false) || opts.barrierFifo !== undefined, seccomp }, warnings),
  ]);
  return { steps, cloneFlags: ns.cloneFlags, idMaps: ns.idMaps, warnings };
}
