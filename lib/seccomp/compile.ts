// A profile as one classic BPF program:
//
//   load arch; for each ABI: if arch == token, run its section; else kill
//   section: load nr; a balanced search over the syscall numbers (ranges of
//            numbers with one outcome share a leaf); a leaf returns the
//            action, or checks the arguments first
//
// A syscall costs about log2(ranges) comparisons instead of one per rule
// (podman's profile: ~10 instructions per syscall, ~600 in all).
import { ConfigError } from '../errors';
import { BAD_ARCH, actionValue } from './actions';
import { X32_SYSCALL_BIT, filterArches, hostFamily, type FilterArch, type HostFamily } from './arches';
import { Assembler, JA, JEQ, JGE, JGT, MAX_INSNS, OFFSET_ARCH, OFFSET_NR, AND_K, argHigh, argLow, encodeProgram, insn, load, ret, type Insn, type Label } from './bpf';
import { seccompSchema, type LinuxSeccomp, type SeccompFlag } from '../spec';
import { archRules, type Condition, type ConditionalRule, type Outcome } from './rules';

export interface SeccompFilter {
  /** struct sock_filter[] for seccomp(SECCOMP_SET_MODE_FILTER). */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* to load it with (NEW_LISTENER is the loader's, from `listener`). */
  flags: number;
  /** A rule notifies: the filter is loaded with a listener to hand over (listenerPath). */
  listener: boolean;
}

/** linux/seccomp.h; TSYNC has nothing to synchronise in the single-threaded child, so it is accepted and not passed. */
const FLAG_VALUES: Record<SeccompFlag, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

const U32 = 0xffffffffn;
/** seccomp_data.nr of a syscall a tracer cancelled (-1). */
const NO_SYSCALL = 0xffffffff;
const lowWord = (v: bigint): number => Number(v & U32);
const highWord = (v: bigint): number => Number((v >> 32n) & U32);

/**
 * One argument comparison; falls through when it holds, jumps to `fail`
 * when not. 64-bit ABIs compare the high halves first and go on to the low
 * ones only when the high halves are equal.
 */
function emitCondition(a: Assembler, c: Condition, bits: 32 | 64, fail: Label): void {
  const pass = a.label('pass');
  const lo = lowWord(c.value);
  const hi = highWord(c.value);
  if (c.op === 'SCMP_CMP_MASKED_EQ') {
    // libseccomp compares with the datum's bits inside the mask only.
    const datum = c.valueTwo & c.value;
    if (bits === 64) {
      a.emit(load(argHigh(c.index)));
      a.emit(insn(AND_K, hi));
      a.jump(JEQ, highWord(datum), null, fail);
    }
    a.emit(load(argLow(c.index)));
    a.emit(insn(AND_K, lo));
    a.jump(JEQ, lowWord(datum), null, fail);
    return;
  }
  // The low-half test of each operator: [jump code, true target, false target].
  const lowTest: Record<Exclude<Condition['op'], 'SCMP_CMP_MASKED_EQ'>, [number, Label | null, Label | null]> = {
    SCMP_CMP_EQ: [JEQ, null, fail],
    SCMP_CMP_NE: [JEQ, fail, null],
    SCMP_CMP_GT: [JGT, null, fail],
    SCMP_CMP_GE: [JGE, null, fail],
    SCMP_CMP_LT: [JGE, fail, null],
    SCMP_CMP_LE: [JGT, fail, null],
  };
  if (bits === 64) {
    a.emit(load(argHigh(c.index)));
    switch (c.op) {
      case 'SCMP_CMP_EQ':
        a.jump(JEQ, hi, null, fail);
        break;
      case 'SCMP_CMP_NE':
        a.jump(JEQ, hi, null, pass);
        break;
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
        a.jump(JGT, hi, pass, null);
        a.jump(JEQ, hi, null, fail);
        break;
      case 'SCMP_CMP_LT':
      case 'SCMP_CMP_LE':
        a.jump(JGT, hi, fail, null);
        a.jump(JEQ, hi, null, pass);
        break;
    }
  }
  const [code, whenTrue, whenFalse] = lowTest[c.op];
  a.emit(load(argLow(c.index)));
  a.jump(code, lo, whenTrue, whenFalse);
  a.bind(pass);
}

/** A syscall with argument rules: each rule in turn, then the default. */
function emitConditional(rules: readonly ConditionalRule[], bits: 32 | 64, defaultRet: number): Insn[] {
  const a = new Assembler();
  for (const rule of rules) {
    const next = a.label('next rule');
    for (const c of rule.conditions) emitCondition(a, c, bits, next);
    a.emit(ret(rule.ret));
    a.bind(next);
  }
  a.emit(ret(defaultRet));
  return a.finish();
}

interface Range {
  start: number;
  outcome: Outcome;
}

const sameReturn = (a: Outcome, b: Outcome): boolean => 'ret' in a && 'ret' in b && a.ret === b.ret;

/** The numbers lo..hi as ranges with one outcome each, neighbours with the same return merged. */
function ranges(outcomes: Map<number, Outcome>, defaultRet: number, lo: number, hi: number): Range[] {
  const fallback: Outcome = { ret: defaultRet };
  const out: Range[] = [];
  const push = (start: number, outcome: Outcome) => {
    const last = out[out.length - 1];
    if (!last || !sameReturn(last.outcome, outcome)) out.push({ start, outcome });
  };
  let next = lo;
  for (const nr of [...outcomes.keys()].filter((n) => n >= lo && n <= hi).sort((x, y) => x - y)) {
    if (nr > next) push(next, fallback);
    push(nr, outcomes.get(nr)!);
    next = nr + 1;
  }
  if (next <= hi) push(next, fallback);
  return out;
}

/** A balanced search over the ranges (the accumulator holds nr). */
function emitSearch(list: readonly Range[], bits: 32 | 64, defaultRet: number): Insn[] {
  if (list.length === 1) {
    const { outcome } = list[0]!;
    return 'ret' in outcome ? [ret(outcome.ret)] : emitConditional(outcome.rules, bits, defaultRet);
  }
  const mid = list.length >> 1;
  const below = emitSearch(list.slice(0, mid), bits, defaultRet);
  const above = emitSearch(list.slice(mid), bits, defaultRet);
  const pivot = list[mid]!.start;
  // jt is 8 bits: past a long lower half, jump through a JA.
  if (below.length <= 255) return [insn(JGE, pivot, below.length, 0), ...below, ...above];
  return [insn(JGE, pivot, 0, 1), insn(JA, below.length), ...below, ...above];
}

function searchFor(seccomp: LinuxSeccomp, arch: FilterArch, lo: number, hi: number): Insn[] {
  const { defaultRet, outcomes } = archRules(seccomp, arch.table);
  return emitSearch(ranges(outcomes, defaultRet, lo, hi), arch.bits, defaultRet);
}

/** One ABI token's code, entered with the accumulator holding the arch. */
function emitSection(seccomp: LinuxSeccomp, arches: readonly FilterArch[]): Insn[] {
  const [main, x32] = arches;
  const code = [load(OFFSET_NR)];
  if (main!.table !== 'x86_64') return [...code, ...searchFor(seccomp, main!, 0, 0xffffffff)];
  // x86_64 and x32 share the token; x32 numbers carry X32_SYSCALL_BIT.
  const native = searchFor(seccomp, main!, 0, X32_SYSCALL_BIT - 1);
  if (!x32) {
    // As libseccomp: nr -1 (a syscall a tracer skipped) is no x32 call; no rule names it.
    const cancelled = [insn(JEQ, NO_SYSCALL, 0, 1), ret(actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet))];
    return [...code, insn(JGE, X32_SYSCALL_BIT, 0, cancelled.length + 1), ...cancelled, ret(BAD_ARCH), ...native];
  }
  return [...code, insn(JGE, X32_SYSCALL_BIT, 0, 1), insn(JA, native.length), ...native, ...searchFor(seccomp, x32, X32_SYSCALL_BIT, 0xffffffff)];
}

/** How the program is loaded: everything but the program itself. */
export function filterSettings(seccomp: LinuxSeccomp): Omit<SeccompFilter, 'program'> {
  const flags = (seccomp.flags ?? []).reduce((all, name) => all | FLAG_VALUES[name], 0);
  return { flags, listener: (seccomp.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY') };
}

/** Compiles a profile that lib/spec has validated (the plan's path). */
export function compileValidated(seccomp: LinuxSeccomp, host: HostFamily): SeccompFilter {
  const byToken = new Map<number, FilterArch[]>();
  for (const arch of filterArches(seccomp, host)) byToken.set(arch.token, [...(byToken.get(arch.token) ?? []), arch]);
  const insns: Insn[] = [load(OFFSET_ARCH)];
  for (const [token, arches] of byToken) {
    const section = emitSection(seccomp, arches);
    insns.push(insn(JEQ, token, 1, 0), insn(JA, section.length), ...section);
  }
  insns.push(ret(BAD_ARCH));
  if (insns.length > MAX_INSNS) {
    throw new ConfigError('/linux/seccomp', `the filter needs ${insns.length} BPF instructions, more than the kernel's limit of ${MAX_INSNS}`);
  }
  return { program: encodeProgram(insns), ...filterSettings(seccomp) };
}

/** Validates a profile (ConfigError with its /linux/seccomp pointer) and compiles it. */
export function compileSeccomp(seccomp: LinuxSeccomp, host: HostFamily = hostFamily()): SeccompFilter {
  return compileValidated(seccompSchema.parse(seccomp, '/linux/seccomp'), host);
}
