// What a profile asks for each syscall number of one architecture, in the
// order of precedence libseccomp gives rules (runc and crun use it, so
// profiles are written against it):
// - a rule whose action is the default action adds nothing (runc skips it);
// - an argument-less rule decides its syscalls; the first one wins;
// - otherwise the conditional rules are tried in profile order, the first
//   that matches decides, and none matching means the default action;
// - a rule's conditions must all hold, except that when one argument index
//   appears twice, each condition is a rule of its own (runc's reading);
// - MASKED_EQ is (arg & value) == (valueTwo & value).
// Names the architecture does not have are skipped, as runc does.
import type { LinuxSeccomp, SeccompArg, SeccompOperator } from '../spec';
import { actionValue } from './actions';
import { syscallNumber, type SyscallArch } from './tables';

export interface Condition {
  index: number;
  op: SeccompOperator;
  value: bigint;
  /** The datum of MASKED_EQ (0 if absent). */
  valueTwo: bigint;
}

export interface ConditionalRule {
  conditions: Condition[];
  ret: number;
}

/** A syscall's outcome: a fixed return value, or rules over its arguments. */
export type Outcome = { ret: number } | { rules: ConditionalRule[] };

export interface ArchRules {
  defaultRet: number;
  outcomes: Map<number, Outcome>;
}

const U64_MASK = (1n << 64n) - 1n;

function u64(v: number | bigint): bigint {
  if (typeof v === 'bigint') return v & U64_MASK;
  return v >= 2 ** 64 ? U64_MASK : BigInt(v);
}

/** One rule's conditions as alternatives: one group (AND), or one per condition when an index repeats (OR). */
function conditionGroups(args: readonly SeccompArg[]): Condition[][] {
  const conditions = args.map((a) => ({ index: a.index, op: a.op, value: u64(a.value), valueTwo: u64(a.valueTwo ?? 0) }));
  const indexes = new Set(conditions.map((c) => c.index));
  return indexes.size < conditions.length ? conditions.map((c) => [c]) : [conditions];
}

export function archRules(seccomp: LinuxSeccomp, arch: SyscallArch): ArchRules {
  const defaultRet = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const unconditional = new Map<number, number>();
  const conditional = new Map<number, ConditionalRule[]>();
  for (const rule of seccomp.syscalls ?? []) {
    const ret = actionValue(rule.action, rule.errnoRet);
    if (ret === defaultRet) continue;
    const groups = rule.args?.length ? conditionGroups(rule.args) : null;
    for (const name of rule.names) {
      const nr = syscallNumber(arch, name);
      if (nr === undefined) continue;
      if (groups === null) {
        if (!unconditional.has(nr)) unconditional.set(nr, ret);
      } else {
        const list = conditional.get(nr) ?? [];
        for (const conditions of groups) list.push({ conditions, ret });
        conditional.set(nr, list);
      }
    }
  }
  const outcomes = new Map<number, Outcome>();
  for (const [nr, rules] of conditional) outcomes.set(nr, { rules });
  for (const [nr, ret] of unconditional) outcomes.set(nr, { ret });
  return { defaultRet, outcomes };
}
