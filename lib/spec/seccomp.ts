// linux.seccomp (config-linux.md "Seccomp"): the names the spec defines and
// the schema of the profile. What the profile means as a BPF program is
// lib/seccomp's business; the rules that need no syscall table are checked
// here, so that a bad profile is a ConfigError before anything is created.

import { Infer, Schema, arr, at, fail, int, nonEmptyStr, obj, oneOf, optional, refine, str, uint32, uint64 } from './schema';

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

/** Every architecture the spec names; those that cannot occur on this host have no effect. */
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
] as const;

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];
export type SeccompArch = (typeof SECCOMP_ARCHES)[number];
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number];

/** The errno a process sees is at most MAX_ERRNO (the kernel clamps larger values). */
const MAX_ERRNO = 4095;

/**
 * A 64-bit argument value: a JSON number (exact up to 2^53-1, and 2^64 for
 * 18446744073709551615, as JSON.parse reads it), or a bigint from the API.
 */
const argValue: Schema<number | bigint> = {
  parse(v, ptr) {
    if (typeof v !== 'bigint') return uint64.parse(v, ptr);
    if (v < 0n || v >= 1n << 64n) fail(ptr, 'must be between 0 and 2^64-1');
    return v;
  },
};

const argSchema = obj({
  index: int({ min: 0, max: 5 }),
  value: argValue,
  valueTwo: optional(argValue),
  op: oneOf(...SECCOMP_OPERATORS),
});

const syscallSchema = obj({
  names: arr(nonEmptyStr, { minItems: 1 }),
  action: oneOf(...SECCOMP_ACTIONS),
  errnoRet: optional(uint32),
  args: optional(arr(argSchema)),
});

/** errnoRet is the errno of ERRNO and the message of TRACE; any other action has no use for it. */
function checkReturnValue(action: SeccompAction, value: number | undefined, ptr: string): void {
  if (value === undefined) return;
  if (action === 'SCMP_ACT_ERRNO' && value > MAX_ERRNO) fail(ptr, `must be at most ${MAX_ERRNO} (the largest errno)`);
  if (action === 'SCMP_ACT_TRACE' && value > 0xffff) fail(ptr, 'must be at most 65535 (the tracer message is 16 bits)');
  if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') fail(ptr, `has no meaning for ${action} (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return a value)`);
}

/**
 * What the setup process calls between loading the filter and the agent
 * having the listener: sending it to the runtime, and closing its own copy.
 * Notified, either would wait for an agent that cannot have it yet.
 */
const LISTENER_HANDOVER_SYSCALLS = ['sendmsg', 'close'];

export const seccompSchema = refine(
  obj({
    defaultAction: oneOf(...SECCOMP_ACTIONS),
    defaultErrnoRet: optional(uint32),
    architectures: optional(arr(oneOf(...SECCOMP_ARCHES))),
    flags: optional(arr(oneOf(...SECCOMP_FLAGS))),
    listenerPath: optional(nonEmptyStr),
    listenerMetadata: optional(str),
    syscalls: optional(arr(syscallSchema)),
  }),
  (s, ptr) => {
    checkReturnValue(s.defaultAction, s.defaultErrnoRet, at(ptr, 'defaultErrnoRet'));
    // The runtime's own last steps run under the filter: with NOTIFY as the
    // default they would wait for an agent that has no listener yet (runc
    // and crun refuse it too).
    if (s.defaultAction === 'SCMP_ACT_NOTIFY') fail(at(ptr, 'defaultAction'), 'SCMP_ACT_NOTIFY cannot be the default action');
    let notifies = false;
    (s.syscalls ?? []).forEach((rule, i) => {
      const rulePtr = at(at(ptr, 'syscalls'), i);
      checkReturnValue(rule.action, rule.errnoRet, at(rulePtr, 'errnoRet'));
      if (rule.action !== 'SCMP_ACT_NOTIFY') return;
      notifies = true;
      const handover = rule.names.findIndex((name) => LISTENER_HANDOVER_SYSCALLS.includes(name));
      if (handover >= 0) {
        fail(at(at(rulePtr, 'names'), handover), `SCMP_ACT_NOTIFY cannot be used for ${rule.names[handover]}: ociish hands the listener over with it`);
      }
    });
    if (notifies && s.listenerPath === undefined) fail(at(ptr, 'listenerPath'), 'is required when a rule uses SCMP_ACT_NOTIFY');
    const flags = s.flags ?? [];
    const killable = flags.indexOf('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
    if (killable >= 0 && !notifies) {
      fail(at(at(ptr, 'flags'), killable), 'needs a rule with SCMP_ACT_NOTIFY (it changes how the notify listener waits)');
    }
  },
);

export type LinuxSeccomp = Infer<typeof seccompSchema>;
export type SeccompRule = Infer<typeof syscallSchema>;
export type SeccompArg = Infer<typeof argSchema>;
