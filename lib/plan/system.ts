// Per-namespace system settings: hostname, domainname, loopback, sysctl,
// oom_score_adj.
import { ConfigError } from '../errors';
import { escapeToken, type Spec } from '../spec';
import type { NamespacePlan } from './namespaces';
import type { Step } from './steps';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** runc's rule: only sysctls of a namespace the container has on its own. */
function sysctlNamespace(key: string): 'ipc' | 'network' | 'uts' | null {
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return null;
}

function hasOwn(ns: NamespacePlan, type: 'ipc' | 'network' | 'uts'): boolean {
  return ns.created.has(type) || ns.joined.has(type);
}

const PROC_SUPER_MAGIC = 0x9fa0;

/** Names and loopback: after pivot_root. */
export function planSystem(spec: Spec, ns: NamespacePlan): Step[] {
  const steps: Step[] = [];
  if (spec.hostname) steps.push({ kind: 'HOSTNAME', name: spec.hostname, origin: '/hostname' });
  if (spec.domainname) steps.push({ kind: 'DOMAINNAME', name: spec.domainname, origin: '/domainname' });
  if (ns.created.has('network') && !ns.premadeNetns) steps.push({ kind: 'LOOPBACK_UP', origin: '/linux/namespaces' });
  return steps;
}

/**
 * sysctl writes go through the container's own /proc (its namespaces), so
 * they come after the mounts and before readonlyPaths makes /proc/sys
 * read-only, as in runc.
 */
export function planSysctl(spec: Spec, ns: NamespacePlan): Step[] {
  const steps: Step[] = [];
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    const origin = `/linux/sysctl/${escapeToken(key)}`;
    const owner = sysctlNamespace(key);
    if (!owner) throw new ConfigError(origin, `sysctl "${key}" is not namespaced; it would change the host`);
    if (!hasOwn(ns, owner)) throw new ConfigError(origin, `sysctl "${key}" needs the container's own ${owner} namespace`);
    if (key.includes('/') || key.split('.').some((part) => part === '' || part === '..')) throw new ConfigError(origin, 'invalid sysctl name');
    steps.push({ kind: 'WRITE_FILE', path: `/proc/sys/${key.replace(/\./g, '/')}`, content: value, inRoot: true, fsMagic: PROC_SUPER_MAGIC, origin });
  }
  return steps;
}

/** Before pivot_root, through the runtime's /proc: the container may not mount one. */
export function planOomScoreAdj(spec: Spec): Step[] {
  const adj = spec.process?.oomScoreAdj;
  return adj === undefined ? [] : [{ kind: 'WRITE_FILE', path: '/proc/self/oom_score_adj', content: String(adj), inRoot: false, fsMagic: 0, origin: '/process/oomScoreAdj' }];
}
