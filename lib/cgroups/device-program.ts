// OCI linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program, the
// cgroup v2 replacement for devices.allow/deny. Pure: the bytes are loaded
// and attached by native.attachDeviceProgram.
//
// Semantics: the last rule that matches a request decides; no match denies.
// The program tests rules from the last to the first. Consecutive rules with
// the same decision form a set whose order does not matter, so within a set
// rules that share a type, and then a major, share one test of it; each rule
// then tests what is left (access, minor) and jumps to a shared "allow" or
// "deny" exit on a match, or goes on to the next rule on a mismatch.
import * as os from 'node:os';

export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  /** null: any major. */
  major: number | null;
  /** null: any minor. */
  minor: number | null;
  /** A non-empty subset of "rwm". */
  access: string;
}

// eBPF encoding (linux/bpf.h, linux/bpf_common.h).
const BPF_LDX = 0x01;
const BPF_ALU = 0x04; // 32-bit ALU
const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06; // compares the low 32 bits: majors above 2^31 need no sign care
const BPF_MEM = 0x60;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_K = 0x00; // immediate operand
const BPF_MOV = 0xb0;
const BPF_JA = 0x00;
const BPF_JEQ = 0x10;
const BPF_JSET = 0x40; // jump if (dst & imm) != 0
const BPF_JNE = 0x50;
const BPF_EXIT = 0x90;

const OP_LDX_H = BPF_LDX | BPF_MEM | BPF_H;
const OP_LDX_W = BPF_LDX | BPF_MEM | BPF_W;
const OP_MOV32_K = BPF_ALU | BPF_MOV | BPF_K;
const OP_JA = BPF_JMP | BPF_JA;
const OP_JEQ32_K = BPF_JMP32 | BPF_JEQ | BPF_K;
const OP_JNE32_K = BPF_JMP32 | BPF_JNE | BPF_K;
const OP_JSET32_K = BPF_JMP32 | BPF_JSET | BPF_K;
const OP_EXIT = BPF_JMP | BPF_EXIT;

export const INSN_SIZE = 8;

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
// access_type is (access << 16) | type, read as two 16-bit halves (the
// verifier allows narrow loads of that field; which half sits first in
// memory depends on the byte order).
const LITTLE_ENDIAN = os.endianness() === 'LE';
const CTX_TYPE = LITTLE_ENDIAN ? 0 : 2;
const CTX_ACCESS = LITTLE_ENDIAN ? 2 : 0;
const CTX_MAJOR = 4;
const CTX_MINOR = 8;

const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const BPF_DEVCG_ACC_MKNOD = 1;
const BPF_DEVCG_ACC_READ = 2;
const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Registers: R1 holds the context on entry and is never changed; the request
// is loaded once into R2 = type, R3 = access, R4 = major, R5 = minor (only
// those some rule tests); R0 is set just before exit to 1 (allow) or 0 (deny).
const R0 = 0;
const R1 = 1;
const R_TYPE = 2;
const R_ACCESS = 3;
const R_MAJOR = 4;
const R_MINOR = 5;

const MAX_JUMP = 0x7fff; // off is a signed 16-bit count of instructions

/** A rule reduced to the tests it needs: null where it matches anything. */
interface Test {
  allow: boolean;
  type: number | null;
  major: number | null;
  minor: number | null;
  /** Access bits the rule does not grant (a request with any of them fails); 0 for rwm. */
  refused: number;
}

const ACCESS_BITS: Record<string, number> = { m: BPF_DEVCG_ACC_MKNOD, r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE };

function deviceNumber(n: number | null, what: string): number | null {
  if (n === null) return null;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`device ${what} must be null or an integer from 0 to 2^32-1, not ${n}`);
  return n;
}

function toTest(rule: DeviceRule): Test {
  let access = 0;
  for (const ch of rule.access) {
    const bit = ACCESS_BITS[ch];
    if (bit === undefined) throw new RangeError(`device access must be a non-empty subset of "rwm", not ${JSON.stringify(rule.access)}`);
    access |= bit;
  }
  if (access === 0) throw new RangeError('device access must be a non-empty subset of "rwm", not ""');
  const types = { a: null, b: BPF_DEVCG_DEV_BLOCK, c: BPF_DEVCG_DEV_CHAR };
  if (!Object.hasOwn(types, rule.type)) throw new RangeError(`device type must be a, b or c, not ${JSON.stringify(rule.type)}`);
  return {
    allow: rule.allow,
    type: types[rule.type],
    major: deviceNumber(rule.major, 'major'),
    minor: deviceNumber(rule.minor, 'minor'),
    refused: ACC_ALL & ~access,
  };
}

const matchesAll = (t: Test) => t.type === null && t.major === null && t.minor === null && t.refused === 0;

type Label = { pos: number | null };
type Item = { op: number; dst: number; src: number; off: number; imm: number; target?: Label } | Label;
const isLabel = (i: Item): i is Label => 'pos' in i;

/** Instructions with symbolic forward jumps, resolved by bytes(). */
class Assembler {
  readonly items: Item[] = [];
  readonly used = new Set<Label>();

  insn(op: number, dst: number, src: number, off: number, imm: number): void {
    this.items.push({ op, dst, src, off, imm });
  }

  jump(op: number, reg: number, imm: number, target: Label): void {
    this.used.add(target);
    this.items.push({ op, dst: reg, src: 0, off: 0, imm, target });
  }

  place(label: Label): void {
    this.items.push(label);
  }

  bytes(): Buffer {
    let n = 0;
    for (const item of this.items) {
      if (isLabel(item)) item.pos = n;
      else n++;
    }
    const out = Buffer.alloc(n * INSN_SIZE);
    let pc = 0;
    for (const item of this.items) {
      if (isLabel(item)) continue;
      let off = item.off;
      if (item.target) {
        if (item.target.pos === null) throw new Error('eBPF jump to a label never placed');
        off = item.target.pos - (pc + 1);
        if (off < 0 || off > MAX_JUMP) throw new RangeError('device rules too many for one eBPF jump');
      }
      const at = pc * INSN_SIZE;
      out.writeUInt8(item.op, at);
      out.writeUInt8((item.src << 4) | item.dst, at + 1);
      out.writeInt16LE(off, at + 2);
      out.writeInt32LE(item.imm | 0, at + 4);
      pc++;
    }
    return out;
  }
}

/** The request fields a level groups on, most shared first. */
const LEVELS: { reg: number; key: (t: Test) => number | null; rest: (t: Test) => boolean }[] = [
  { reg: R_TYPE, key: (t) => t.type, rest: (t) => t.major !== null || t.minor !== null || t.refused !== 0 },
  { reg: R_MAJOR, key: (t) => t.major, rest: (t) => t.minor !== null || t.refused !== 0 },
];

/**
 * Tests that send a request matching any of `set` to `exit` and let any
 * other fall through. Rules that leave this level open go first; the others
 * are grouped by their value here, which one comparison tests for the group.
 */
function emitSet(asm: Assembler, set: Test[], level: number, exit: Label): void {
  if (level === LEVELS.length) {
    for (const t of set) emitLeaf(asm, t, exit);
    return;
  }
  const { reg, key, rest } = LEVELS[level]!;
  const open = set.filter((t) => key(t) === null);
  if (open.length) emitSet(asm, open, level + 1, exit);
  const groups = new Map<number, Test[]>();
  for (const t of set) {
    const k = key(t);
    if (k !== null) groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  for (const [value, group] of groups) {
    if (!group.every(rest)) {
      // One rule needs nothing more: the whole group is this comparison.
      asm.jump(OP_JEQ32_K, reg, value, exit);
      continue;
    }
    const next: Label = { pos: null };
    asm.jump(OP_JNE32_K, reg, value, next);
    emitSet(asm, group, level + 1, exit);
    asm.place(next);
  }
}

/**
 * The access and minor tests of one rule. A rule with neither never gets
 * here: it matches everything (compileDeviceProgram) or made its group one
 * comparison (emitSet).
 */
function emitLeaf(asm: Assembler, t: Test, exit: Label): void {
  const next: Label = { pos: null };
  if (t.refused) asm.jump(OP_JSET32_K, R_ACCESS, t.refused, next);
  if (t.minor !== null) asm.jump(OP_JEQ32_K, R_MINOR, t.minor, exit);
  else asm.jump(OP_JA, 0, 0, exit); // JSET has no inverse to jump to the exit with
  asm.place(next);
}

/** The program for `rules`: eBPF instructions, INSN_SIZE bytes each, little-endian. */
export function compileDeviceProgram(rules: readonly DeviceRule[]): Buffer {
  // Last to first; a rule matching everything ends the search (what comes
  // after it is unreachable) and becomes the decision when nothing matches.
  let tests = rules.map(toTest).reverse();
  let fallback = false;
  const all = tests.findIndex(matchesAll);
  if (all >= 0) {
    fallback = tests[all]!.allow;
    tests = tests.slice(0, all);
  }
  // Rules tested last that decide as the fallback change nothing.
  while (tests.length && tests[tests.length - 1]!.allow === fallback) tests.pop();

  const asm = new Assembler();
  const exits = { allow: { pos: null } as Label, deny: { pos: null } as Label };
  const exitOf = (allow: boolean) => (allow ? exits.allow : exits.deny);
  for (let i = 0; i < tests.length; ) {
    let j = i;
    while (j < tests.length && tests[j]!.allow === tests[i]!.allow) j++;
    emitSet(asm, tests.slice(i, j), 0, exitOf(tests[i]!.allow));
    i = j;
  }

  // The exits. Labels after the last instruction mean "nothing matched": the
  // fallback. Its exit comes first, reached by falling through, unless the
  // code ends in a jump to the other exit: then that one comes first and the
  // jump goes.
  const nothingMatched: Label[] = [];
  while (asm.items.length && isLabel(asm.items[asm.items.length - 1]!)) nothingMatched.push(asm.items.pop() as Label);
  const last = asm.items[asm.items.length - 1];
  let first = fallback;
  if (last && !isLabel(last) && last.op === OP_JA && last.target === exitOf(!fallback)) {
    asm.items.pop();
    first = !fallback;
  }
  for (const allow of [first, !first]) {
    const exit = exitOf(allow);
    const reached = allow === first || asm.used.has(exit) || (allow === fallback && nothingMatched.some((l) => asm.used.has(l)));
    if (!reached) continue; // the verifier refuses unreachable instructions
    if (allow === fallback) for (const l of nothingMatched) asm.place(l);
    asm.place(exit);
    asm.insn(OP_MOV32_K, R0, 0, 0, allow ? 1 : 0);
    asm.insn(OP_EXIT, 0, 0, 0, 0);
  }

  // Load only the fields some comparison reads.
  const tested = new Set(asm.items.flatMap((i) => (!isLabel(i) && i.target && i.op !== OP_JA ? [i.dst] : [])));
  const loads = [
    { op: OP_LDX_H, reg: R_TYPE, off: CTX_TYPE },
    { op: OP_LDX_H, reg: R_ACCESS, off: CTX_ACCESS },
    { op: OP_LDX_W, reg: R_MAJOR, off: CTX_MAJOR },
    { op: OP_LDX_W, reg: R_MINOR, off: CTX_MINOR },
  ].filter((l) => tested.has(l.reg));
  asm.items.unshift(...loads.map(({ op, reg, off }) => ({ op, dst: reg, src: R1, off, imm: 0 })));
  return asm.bytes();
}
