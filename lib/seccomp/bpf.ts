// Classic BPF as seccomp runs it: the few instructions the compiler emits,
// and a block assembler whose jumps go forward to labels. A jump's offsets
// (jt, jf) are 8 bits; the assembler refuses a longer one, so code that may
// jump further uses JA (32-bit offset) explicitly.

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// linux/filter.h and linux/bpf_common.h
const BPF_LD = 0x00;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_ABS = 0x20;
const BPF_K = 0x00;
const BPF_AND = 0x50;
const BPF_JA = 0x00;

export const LD_ABS = BPF_LD | BPF_W | BPF_ABS;
export const AND_K = BPF_ALU | BPF_AND | BPF_K;
export const JA = BPF_JMP | BPF_JA;
export const JEQ = BPF_JMP | 0x10 | BPF_K;
export const JGT = BPF_JMP | 0x20 | BPF_K;
export const JGE = BPF_JMP | 0x30 | BPF_K;
export const RET_K = BPF_RET | BPF_K;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const MAX_INSNS = 4096;

// struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
/** The low (little-endian first) and high 32-bit halves of args[i]. */
export const argLow = (i: number): number => 16 + 8 * i;
export const argHigh = (i: number): number => 20 + 8 * i;

export const insn = (code: number, k: number, jt = 0, jf = 0): Insn => ({ code, jt, jf, k: k >>> 0 });
export const ret = (k: number): Insn => insn(RET_K, k);
export const load = (offset: number): Insn => insn(LD_ABS, offset);

/** A jump target inside one block; `next` (null) is the next instruction. */
export type Label = { readonly name: string };
type Target = Label | null;

/** Builds a block whose jumps all go forward, within 255 instructions. */
export class Assembler {
  private readonly insns: Insn[] = [];
  private readonly fixups: { at: number; jt: Target; jf: Target }[] = [];
  private readonly positions = new Map<Label, number>();

  label(name: string): Label {
    return { name };
  }

  /** Places `label` at the next instruction. */
  bind(label: Label): void {
    this.positions.set(label, this.insns.length);
  }

  emit(i: Insn): void {
    this.insns.push(i);
  }

  /** A conditional jump to `jt` when true, `jf` when false. */
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.fixups.push({ at: this.insns.length, jt, jf });
    this.insns.push(insn(code, k));
  }

  finish(): Insn[] {
    for (const { at, jt, jf } of this.fixups) {
      this.insns[at]!.jt = this.offset(at, jt);
      this.insns[at]!.jf = this.offset(at, jf);
    }
    return this.insns;
  }

  private offset(at: number, target: Target): number {
    if (target === null) return 0;
    const position = this.positions.get(target);
    if (position === undefined) throw new Error(`seccomp assembler: label ${target.name} never placed`);
    const distance = position - at - 1;
    if (distance < 0 || distance > 255) throw new Error(`seccomp assembler: jump to ${target.name} out of range (${distance})`);
    return distance;
  }
}

/** struct sock_filter[] as the kernel reads it (u16 code, u8 jt, u8 jf, u32 k; little-endian). */
export function encodeProgram(insns: readonly Insn[]): Buffer {
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    out.writeUInt16LE(i.code, n * 8);
    out.writeUInt8(i.jt, n * 8 + 2);
    out.writeUInt8(i.jf, n * 8 + 3);
    out.writeUInt32LE(i.k >>> 0, n * 8 + 4);
  });
  return out;
}
