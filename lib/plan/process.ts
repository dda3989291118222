// The container process: its console, rlimits, capabilities, user and
// groups, cwd, umask, no_new_privs and execve (with PATH looked up in the
// container's env, and checked before a start barrier).
import { ConfigError } from '../errors';
import { constants } from '../native';
import type { SeccompFilter } from '../seccomp';
import type { Capabilities, Process } from '../spec';
import { withHome } from './home';
import type { HostFacts } from './host';
import type { Step } from './steps';

const CAPS = constants.capabilities;
const MAX_GROUPS = 1024; // the child's fixed setgroups buffer (csrc/child/steps_process.cc)

/** A capability list as a bit mask; unknown names are warnings (the spec says so). */
function capMask(names: string[] | undefined, pointer: string, warnings: string[]): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => {
    const bit = CAPS[name];
    if (bit === undefined) warnings.push(`${pointer}/${i}: unknown capability "${name}" ignored`);
    else mask |= 1n << BigInt(bit);
  });
  return mask;
}

function capNames(mask: bigint): string[] {
  return Object.entries(CAPS).filter(([, bit]) => mask & (1n << BigInt(bit))).map(([name]) => name);
}

function planCapabilities(caps: Capabilities, host: HostFacts, warnings: string[]): { bounding: Step; caps: Step } {
  const p = '/process/capabilities';
  const bounding = capMask(caps.bounding, `${p}/bounding`, warnings);
  const effective = capMask(caps.effective, `${p}/effective`, warnings);
  const permitted = capMask(caps.permitted, `${p}/permitted`, warnings);
  const inheritable = capMask(caps.inheritable, `${p}/inheritable`, warnings);
  let ambient = capMask(caps.ambient, `${p}/ambient`, warnings);
  // The kernel raises an ambient capability only if it is permitted and
  // inheritable; runc warns and goes on, and so do we, before the child runs.
  const unraisable = ambient & ~(permitted & inheritable);
  if (unraisable) {
    warnings.push(`${p}/ambient: ${capNames(unraisable).join(', ')} not raised: an ambient capability must also be permitted and inheritable`);
    ambient &= ~unraisable;
  }
  return {
    bounding: { kind: 'CAP_BOUNDING', keep: bounding, lastCap: host.lastCap, origin: `${p}/bounding` },
    caps: { kind: 'CAPS', effective, permitted, inheritable, ambient, origin: p },
  };
}

function planRlimits(process: Process): Step[] {
  return (process.rlimits ?? []).map((r, i) => {
    const resource = constants.rlimit[r.type];
    if (resource === undefined) throw new ConfigError(`/process/rlimits/${i}/type`, `unknown rlimit "${r.type}"`);
    return { kind: 'RLIMIT', name: r.type, resource, soft: BigInt(r.soft), hard: BigInt(r.hard), origin: `/process/rlimits/${i}` };
  });
}

/** The PATH directories execvp would search, from the container's env. */
export function pathDirs(args: string[], env: string[]): string[] | null {
  if (args[0]!.includes('/')) return null;
  const entry = [...env].reverse().find((e) => e.startsWith('PATH='));
  if (entry === undefined) return [];
  return entry.slice(5).split(':');
}

function seccompStep(filter: SeccompFilter): Step {
  return { kind: 'SECCOMP', flags: filter.flags, program: filter.program, listener: filter.listener, origin: '/linux/seccomp' };
}

export interface ProcessPlanOptions {
  /** The compiled linux.seccomp filter, if any. */
  seccomp: SeccompFilter | null;
  /** The host path of the rootfs (for HOME from its /etc/passwd). */
  rootfs: string;
  preservedFds: number;
  /** Stop at the start barrier before exec (create/start); the executable is looked for before it. */
  barrier: boolean;
}

export function planProcess(process: Process, host: HostFacts, setGroups: boolean, opts: ProcessPlanOptions, warnings: string[]): Step[] {
  const args = process.args;
  if (!args || args.length === 0) throw new ConfigError('/process/args', 'is required to run a container');
  const steps: Step[] = [];
  // As root, before anything of the process: stdio becomes the pty (runc's order).
  if (process.terminal) {
    const size = process.consoleSize ? { rows: process.consoleSize.height, cols: process.consoleSize.width } : null;
    steps.push({ kind: 'CONSOLE', size, origin: '/process/terminal' });
  }
  steps.push(...planRlimits(process));
  const caps = process.capabilities ? planCapabilities(process.capabilities, host, warnings) : null;
  if (caps) steps.push(caps.bounding);
  steps.push({ kind: 'CHDIR', path: process.cwd, soft: true, origin: '/process/cwd' });
  const groups = process.user.additionalGids ?? [];
  if (groups.length > MAX_GROUPS) throw new ConfigError('/process/user/additionalGids', `at most ${MAX_GROUPS} groups are supported`);
  if (!setGroups && groups.length) warnings.push('/process/user/additionalGids: not set: setgroups is denied in a user namespace made by an unprivileged runtime');
  // Without no_new_privs the kernel wants CAP_SYS_ADMIN to load a filter:
  // load it while the child is still root with every capability (runc does
  // the same). With it, as late as possible, so the filter sees the fewest
  // of the runtime's own syscalls.
  const seccomp = opts.seccomp && seccompStep(opts.seccomp);
  if (seccomp && !process.noNewPrivileges) steps.push(seccomp);
  steps.push({ kind: 'SET_USER', uid: process.user.uid, gid: process.user.gid, setGroups, groups, origin: '/process/user' });
  steps.push({ kind: 'CHDIR', path: process.cwd, soft: false, origin: '/process/cwd' });
  if (caps) steps.push(caps.caps);
  steps.push({ kind: 'UMASK', mask: process.user.umask ?? 0o022, origin: '/process/user/umask' });
  if (process.noNewPrivileges) steps.push({ kind: 'NO_NEW_PRIVS', origin: '/process/noNewPrivileges' });
  const env = withHome(process.env ?? [], opts.rootfs, process.user.uid);
  const dirs = pathDirs(args, env);
  // With the user, cwd and capabilities the exec will have; before the filter,
  // which may deny faccessat.
  if (opts.barrier) steps.push({ kind: 'CHECK_EXEC', file: args[0]!, pathDirs: dirs, origin: '/process/args' });
  // Before the start barrier: a listener is handed over while `create` runs.
  if (seccomp && process.noNewPrivileges) steps.push(seccomp);
  if (opts.barrier) steps.push({ kind: 'BARRIER', origin: '' });
  steps.push({ kind: 'EXEC', args, env, pathDirs: dirs, preservedFds: opts.preservedFds, origin: '/process/args' });
  return steps;
}
