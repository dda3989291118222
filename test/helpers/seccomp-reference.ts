// What a linux.seccomp profile means, computed directly from the profile for
// one seccomp_data (no BPF): the oracle the compiled filters are checked
// against. Written from the written-down semantics (runc's treatment of the
// profile, libseccomp's of the rules), not from lib/seccomp's code; only the
// syscall tables are shared.
import { syscalls as aarch64 } from '../../lib/seccomp/tables/aarch64';
import { syscalls as arm } from '../../lib/seccomp/tables/arm';
import { syscalls as x32 } from '../../lib/seccomp/tables/x32';
import { syscalls as x86 } from '../../lib/seccomp/tables/x86';
import { syscalls as x86_64 } from '../../lib/seccomp/tables/x86_64';
import type { SeccompData } from './cbpf';

export type Host = 'x86_64' | 'aarch64';

/** linux.seccomp as far as the verdict goes (lib/spec's LinuxSeccomp fits; values may also be bigints). */
export interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: readonly string[];
  syscalls?: readonly ProfileRule[];
}
export interface ProfileRule {
  names: readonly string[];
  action: string;
  errnoRet?: number;
  args?: readonly ProfileArg[];
}
export interface ProfileArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}
export type AbiName = 'x86_64' | 'x86' | 'x32' | 'aarch64' | 'arm';

export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028 } as const;
export const X32_BIT = 0x40000000;

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  NOTIFY: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** The syscall tables: name → the nr a task of that ABI puts in seccomp_data (x32 numbers carry X32_BIT). */
export const TABLES: Readonly<Record<AbiName, Readonly<Record<string, number>>>> = { x86_64, x86, x32, aarch64, arm };

export interface Abi {
  name: AbiName;
  token: number;
  /** 32-bit ABIs compare only the low halves of args and values. */
  bits: 32 | 64;
}

export const ABIS: Readonly<Record<AbiName, Abi>> = {
  x86_64: { name: 'x86_64', token: AUDIT_ARCH.X86_64, bits: 64 },
  x86: { name: 'x86', token: AUDIT_ARCH.I386, bits: 32 },
  x32: { name: 'x32', token: AUDIT_ARCH.X86_64, bits: 32 },
  aarch64: { name: 'aarch64', token: AUDIT_ARCH.AARCH64, bits: 64 },
  arm: { name: 'arm', token: AUDIT_ARCH.ARM, bits: 32 },
};

/** The ABIs a host can run at all (the ones a filter on it may check). */
export const HOST_ABIS: Readonly<Record<Host, readonly AbiName[]>> = { x86_64: ['x86_64', 'x86', 'x32'], aarch64: ['aarch64', 'arm'] };

/** The ABIs the profile's filter accepts on `host`: the native one always, compat ones when listed. */
export function profileAbis(profile: Pick<Profile, 'architectures'>, host: Host): Set<AbiName> {
  const listed = new Set<string>(profile.architectures ?? []);
  const out = new Set<AbiName>([host]);
  if (host === 'x86_64') {
    if (listed.has('SCMP_ARCH_X86')) out.add('x86');
    if (listed.has('SCMP_ARCH_X32')) out.add('x32');
  } else if (listed.has('SCMP_ARCH_ARM')) out.add('arm');
  return out;
}

/**
 * Whether an nr under the x86_64 token belongs to x32. libseccomp (what runc
 * loads) splits at the bit as a bound, nr >= X32_BIT, not as a mask, and
 * leaves -1 to the native rules: a tracer cancels a syscall by setting nr to
 * -1, and seccomp sees that number. (The kernel itself runs neither
 * 0x80000000..0xbfffffff nor -1, so only the verdict on them differs.)
 */
export function isX32Number(nr: number): boolean {
  return nr >>> 0 >= X32_BIT && nr >>> 0 !== 0xffffffff;
}

/** Which ABI a seccomp_data comes from on `host`, or null for a token the host does not run. */
export function abiOf(host: Host, data: SeccompData): AbiName | null {
  if (host === 'x86_64') {
    if (data.arch === AUDIT_ARCH.X86_64) return isX32Number(data.nr) ? 'x32' : 'x86_64';
    if (data.arch === AUDIT_ARCH.I386) return 'x86';
    return null;
  }
  if (data.arch === AUDIT_ARCH.AARCH64) return 'aarch64';
  if (data.arch === AUDIT_ARCH.ARM) return 'arm';
  return null;
}

const BASE: Readonly<Record<string, number>> = {
  SCMP_ACT_KILL: RET.KILL_THREAD,
  SCMP_ACT_KILL_THREAD: RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: RET.KILL_PROCESS,
  SCMP_ACT_TRAP: RET.TRAP,
  SCMP_ACT_ERRNO: RET.ERRNO,
  SCMP_ACT_TRACE: RET.TRACE,
  SCMP_ACT_LOG: RET.LOG,
  SCMP_ACT_NOTIFY: RET.NOTIFY,
  SCMP_ACT_ALLOW: RET.ALLOW,
};

/** The u32 an action returns; ERRNO and TRACE carry their value (EPERM when none is given, as runc does). */
export function actionRet(action: string, value: number | undefined): number {
  const base = BASE[action];
  if (base === undefined) throw new Error(`unknown action ${action}`);
  const carries = action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE';
  return (base | (carries ? (value ?? 1) & 0xffff : 0)) >>> 0;
}

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

/** A profile's uint64 as the spec means it; JSON.parse turns 18446744073709551615 into the double 2^64. */
export function u64(v: number | bigint): bigint {
  if (typeof v === 'number' && v === 2 ** 64) return U64;
  return BigInt(v) & U64;
}

/** One comparison of one argument, on the ABI's width. */
export function compare(arg: ProfileArg, data: SeccompData, bits: 32 | 64): boolean {
  const width = bits === 64 ? U64 : U32;
  const a = (data.args[arg.index] ?? 0n) & width;
  const v = u64(arg.value) & width;
  const two = u64(arg.valueTwo ?? 0) & width;
  switch (arg.op) {
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === (two & v); // libseccomp masks the datum too
    default: throw new Error(`unknown operator ${arg.op}`);
  }
}

/** A rule's conditions: all must hold, unless an index repeats, when any one is enough (runc splits them into rules). */
function ruleMatches(args: readonly ProfileArg[], data: SeccompData, bits: 32 | 64): boolean {
  const indexes = args.map((a) => a.index);
  const split = new Set(indexes).size < indexes.length;
  return split ? args.some((a) => compare(a, data, bits)) : args.every((a) => compare(a, data, bits));
}

/** The u32 the profile's filter must return on `host` for `data`. */
export function expectedVerdict(profile: Profile, host: Host, data: SeccompData): number {
  const abi = abiOf(host, data);
  if (abi === null || !profileAbis(profile, host).has(abi)) return RET.KILL_PROCESS;
  const table = TABLES[abi];
  const fallback = actionRet(profile.defaultAction, profile.defaultErrnoRet);
  const rules = (profile.syscalls ?? []).filter(
    (r) => r.names.some((n) => Object.prototype.hasOwnProperty.call(table, n) && table[n] === data.nr) && actionRet(r.action, r.errnoRet) !== fallback,
  );
  const unconditional = rules.find((r) => (r.args ?? []).length === 0);
  if (unconditional) return actionRet(unconditional.action, unconditional.errnoRet);
  const hit = rules.find((r) => ruleMatches(r.args ?? [], data, ABIS[abi].bits));
  return hit ? actionRet(hit.action, hit.errnoRet) : fallback;
}
