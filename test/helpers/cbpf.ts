// A classic-BPF interpreter for seccomp filters, written from the kernel's
// rules (bpf_check_classic, seccomp_check_filter, the cBPF → eBPF
// conversion) and independent of lib/seccomp: checkFilter() refuses what
// prctl(PR_SET_SECCOMP) would, runFilter() computes the u32 the filter
// returns for one seccomp_data and counts the instructions it ran.

/** struct seccomp_data: what a seccomp filter reads. */
export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer: bigint;
  /** Six u64 arguments. */
  args: readonly bigint[];
}

const U64 = (1n << 64n) - 1n;

/** A seccomp_data; missing args are 0, numbers and bigints are taken modulo 2^64. */
export function seccompData(nr: number, arch: number, args: readonly (number | bigint)[] = [], instructionPointer: number | bigint = 0): SeccompData {
  if (args.length > 6) throw new Error(`${args.length} args: seccomp_data has 6`);
  const full = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6).map((a) => BigInt(a) & U64);
  return { nr: nr >>> 0, arch: arch >>> 0, instructionPointer: BigInt(instructionPointer) & U64, args: full };
}

/** The 64 bytes the kernel hands the filter, in the host families' (x86_64, aarch64) little-endian order. */
export function seccompDataBytes(d: SeccompData): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeUInt32LE(d.nr >>> 0, 0);
  b.writeUInt32LE(d.arch >>> 0, 4);
  b.writeBigUInt64LE(d.instructionPointer & U64, 8);
  for (let i = 0; i < 6; i++) b.writeBigUInt64LE((d.args[i] ?? 0n) & U64, 16 + 8 * i);
  return b;
}

export const SECCOMP_DATA_SIZE = 64;
const MAX_INSNS = 4096; // BPF_MAXINSNS
const MEMWORDS = 16; // BPF_MEMWORDS

// Opcodes (linux/bpf_common.h), composed as the kernel's switch spells them.
export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

const ALU_OPS = [BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.OR, BPF.AND, BPF.LSH, BPF.RSH, BPF.XOR];
const COND_JUMPS = [BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET];

/** Every code seccomp_check_filter lets through (after its LEN rewrites); BPF_MOD, IND, H/B loads, MSH and RET X are not among them. */
const SECCOMP_CODES: ReadonlySet<number> = new Set([
  BPF.LD | BPF.W | BPF.ABS,
  BPF.LD | BPF.W | BPF.LEN,
  BPF.LDX | BPF.W | BPF.LEN,
  BPF.RET | BPF.K,
  BPF.RET | BPF.A,
  ...ALU_OPS.flatMap((op) => [BPF.ALU | op | BPF.K, BPF.ALU | op | BPF.X]),
  BPF.ALU | BPF.NEG,
  BPF.LD | BPF.IMM,
  BPF.LDX | BPF.IMM,
  BPF.MISC | BPF.TAX,
  BPF.MISC | BPF.TXA,
  BPF.LD | BPF.MEM,
  BPF.LDX | BPF.MEM,
  BPF.ST,
  BPF.STX,
  BPF.JMP | BPF.JA,
  ...COND_JUMPS.flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
]);

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Splits a struct sock_filter[] (8 bytes each, little-endian). */
export function decode(program: Buffer): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let at = 0; at < program.length; at += 8)
    out.push({ code: program.readUInt16LE(at), jt: program.readUInt8(at + 2), jf: program.readUInt8(at + 3), k: program.readUInt32LE(at + 4) });
  return out;
}

/** Builds a struct sock_filter[] from instructions (for hand-written programs): the compiler's own encoder. */
export { encodeProgram as encode } from '../../lib/seccomp/bpf';

export const stmt = (code: number, k: number): Insn => ({ code, jt: 0, jf: 0, k: k >>> 0 });
export const jump = (code: number, k: number, jt: number, jf: number): Insn => ({ code, jt, jf, k: k >>> 0 });

function isCondJump(code: number): boolean {
  return (code & 0x07) === BPF.JMP && (code & 0xf0) !== BPF.JA;
}

/** Throws, with the first reason found, if the kernel would refuse `program` as a seccomp filter. */
export function checkFilter(program: Buffer): void {
  const insns = decode(program);
  const n = insns.length;
  if (n === 0 || n > MAX_INSNS) throw new Error(`${n} instructions: a filter has 1 to ${MAX_INSNS}`);
  insns.forEach((i, pc) => {
    const where = `instruction ${pc} (code 0x${i.code.toString(16)})`;
    if (!SECCOMP_CODES.has(i.code)) throw new Error(`${where}: opcode not allowed in a seccomp filter`);
    if (i.code === (BPF.ALU | BPF.DIV | BPF.K) && i.k === 0) throw new Error(`${where}: division by zero`);
    if ((i.code === (BPF.ALU | BPF.LSH | BPF.K) || i.code === (BPF.ALU | BPF.RSH | BPF.K)) && i.k >= 32) throw new Error(`${where}: shift by ${i.k}`);
    if ((i.code === (BPF.LD | BPF.MEM) || i.code === (BPF.LDX | BPF.MEM) || i.code === BPF.ST || i.code === BPF.STX) && i.k >= MEMWORDS)
      throw new Error(`${where}: scratch slot ${i.k}`);
    if (i.code === (BPF.LD | BPF.W | BPF.ABS) && (i.k >= SECCOMP_DATA_SIZE || i.k % 4 !== 0)) throw new Error(`${where}: load at offset ${i.k}`);
    // The kernel compares k against the remaining length, so JA cannot wrap around either.
    if (i.code === (BPF.JMP | BPF.JA) && i.k >= n - pc - 1) throw new Error(`${where}: jump past the end`);
    if (isCondJump(i.code) && (pc + i.jt + 1 >= n || pc + i.jf + 1 >= n)) throw new Error(`${where}: jump past the end`);
  });
  const last = insns[n - 1]!.code;
  if (last !== (BPF.RET | BPF.K) && last !== (BPF.RET | BPF.A)) throw new Error(`last instruction (code 0x${last.toString(16)}) is not a RET`);
  checkScratch(insns);
}

/** check_load_and_stores: a scratch slot must be stored on every path before it is loaded. */
function checkScratch(insns: readonly Insn[]): void {
  const ALL = 0xffff;
  const masks = new Array<number>(insns.length).fill(ALL);
  let valid = 0;
  insns.forEach((i, pc) => {
    valid &= masks[pc]!;
    if (i.code === BPF.ST || i.code === BPF.STX) valid |= 1 << i.k;
    else if (i.code === (BPF.LD | BPF.MEM) || i.code === (BPF.LDX | BPF.MEM)) {
      if (!(valid & (1 << i.k))) throw new Error(`instruction ${pc}: load of scratch slot ${i.k}, not stored on every path`);
    } else if (i.code === (BPF.JMP | BPF.JA)) {
      masks[pc + 1 + i.k]! &= valid;
      valid = ALL; // the next instruction is reached only by jumps, which set its mask
    } else if (isCondJump(i.code)) {
      masks[pc + 1 + i.jt]! &= valid;
      masks[pc + 1 + i.jf]! &= valid;
      valid = ALL;
    }
  });
}

export interface RunResult {
  /** The u32 the filter returned. */
  ret: number;
  /** Instructions executed, the RET included. */
  executed: number;
}

/** Runs a filter that checkFilter() accepts on one seccomp_data. */
export function runFilter(program: Buffer, data: SeccompData): RunResult {
  return runDecoded(decode(program), data);
}

/** runFilter() on instructions decoded once (for the loops over every syscall). */
export function runDecoded(insns: readonly Insn[], data: SeccompData): RunResult {
  const bytes = seccompDataBytes(data);
  const words = Array.from({ length: SECCOMP_DATA_SIZE / 4 }, (_, w) => bytes.readUInt32LE(w * 4));
  let a = 0; // the converted program zeroes A and X first
  let x = 0;
  const mem = new Array<number | undefined>(MEMWORDS).fill(undefined);
  let pc = 0;
  for (let executed = 1; ; executed++) {
    const i = insns[pc];
    if (i === undefined) throw new Error(`pc ${pc} outside the program (${insns.length} instructions)`);
    if (!SECCOMP_CODES.has(i.code)) throw new Error(`instruction ${pc}: opcode 0x${i.code.toString(16)} not allowed in a seccomp filter`);
    const src = (i.code & BPF.X) !== 0 ? x : i.k;
    pc++;
    switch (i.code & 0x07) {
      case BPF.LD:
      case BPF.LDX: {
        let v: number;
        const mode = i.code & 0xe0;
        if (mode === BPF.ABS) {
          if (i.k >= SECCOMP_DATA_SIZE || i.k % 4 !== 0) throw new Error(`instruction ${pc - 1}: load at offset ${i.k}`);
          v = words[i.k / 4]!;
        } else if (mode === BPF.IMM) v = i.k;
        else if (mode === BPF.LEN) v = SECCOMP_DATA_SIZE;
        else {
          const m = mem[i.k];
          if (m === undefined) throw new Error(`instruction ${pc - 1}: scratch slot ${i.k} read before written`);
          v = m;
        }
        if ((i.code & 0x07) === BPF.LD) a = v >>> 0;
        else x = v >>> 0;
        break;
      }
      case BPF.ST:
      case BPF.STX:
        if (i.k >= MEMWORDS) throw new Error(`scratch slot ${i.k}`);
        mem[i.k] = (i.code & 0x07) === BPF.ST ? a : x;
        break;
      case BPF.ALU:
        a = alu(i.code & 0xf0, a, src >>> 0, pc - 1);
        if (Number.isNaN(a)) return { ret: 0, executed }; // cBPF division by a zero X returns 0 from the filter
        break;
      case BPF.JMP: {
        const op = i.code & 0xf0;
        if (op === BPF.JA) {
          pc += i.k;
          break;
        }
        let taken: boolean;
        if (op === BPF.JEQ) taken = a === src >>> 0;
        else if (op === BPF.JGT) taken = a > src >>> 0;
        else if (op === BPF.JGE) taken = a >= src >>> 0;
        else taken = ((a & src) >>> 0) !== 0; // JSET
        pc += taken ? i.jt : i.jf;
        break;
      }
      case BPF.RET:
        return { ret: (i.code === (BPF.RET | BPF.A) ? a : i.k) >>> 0, executed };
      case BPF.MISC:
        if (i.code === (BPF.MISC | BPF.TAX)) x = a;
        else a = x;
        break;
    }
  }
}

/** One 32-bit ALU operation; NaN for a division by zero. */
function alu(op: number, a: number, v: number, pc: number): number {
  switch (op) {
    case BPF.ADD: return (a + v) >>> 0;
    case BPF.SUB: return (a - v) >>> 0;
    case BPF.MUL: return Math.imul(a, v) >>> 0;
    case BPF.DIV: return v === 0 ? NaN : Math.floor(a / v) >>> 0;
    case BPF.OR: return (a | v) >>> 0;
    case BPF.AND: return (a & v) >>> 0;
    case BPF.XOR: return (a ^ v) >>> 0;
    // 32-bit shifts take the count modulo 32, as the eBPF interpreter does for a register count.
    case BPF.LSH: return (a << (v & 31)) >>> 0;
    case BPF.RSH: return a >>> (v & 31);
    case BPF.NEG: return -a >>> 0;
    default: throw new Error(`instruction ${pc}: ALU op 0x${op.toString(16)}`);
  }
}

/** Instructions no path from the first reaches (a compiler should emit none). */
export function unreachable(program: Buffer): number[] {
  const insns = decode(program);
  const seen = new Array<boolean>(insns.length).fill(false);
  const todo = [0];
  while (todo.length) {
    const pc = todo.pop()!;
    if (pc >= insns.length || seen[pc]) continue;
    seen[pc] = true;
    const i = insns[pc]!;
    if ((i.code & 0x07) === BPF.RET) continue;
    if (i.code === (BPF.JMP | BPF.JA)) todo.push(pc + 1 + i.k);
    else if (isCondJump(i.code)) todo.push(pc + 1 + i.jt, pc + 1 + i.jf);
    else todo.push(pc + 1);
  }
  return seen.flatMap((s, pc) => (s ? [] : [pc]));
}
