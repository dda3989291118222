// A small eBPF interpreter for cgroup device programs, written from the
// instruction set's definition and independent of the compiler: it knows
// only the instructions lib/cgroups/device-program.ts is meant to emit and
// throws on anything else, on jumps outside the program or backwards, on
// reads of registers never written, and on a return value other than 0 or 1
// (what the kernel's verifier would refuse).
import * as os from 'node:os';

export interface DeviceRequest {
  /** 1 block, 2 char. */
  type: number;
  major: number;
  minor: number;
  /** Bits: 1 mknod, 2 read, 4 write. */
  access: number;
}

const CLASS = 0x07;
const LDX = 0x01;
const ALU = 0x04;
const JMP = 0x05;
const JMP32 = 0x06;

/** struct bpf_cgroup_dev_ctx as the kernel lays it out on this host. */
function context(r: DeviceRequest): Buffer {
  const ctx = Buffer.alloc(12);
  const le = os.endianness() === 'LE';
  const put = (value: number, at: number) => (le ? ctx.writeUInt32LE(value, at) : ctx.writeUInt32BE(value, at));
  put(((r.access << 16) | r.type) >>> 0, 0);
  put(r.major, 4);
  put(r.minor, 8);
  return ctx;
}

function load(ctx: Buffer, off: number, size: number): number {
  if (off < 0 || off + size > ctx.length || off % size !== 0) throw new Error(`bad context load: ${size} bytes at ${off}`);
  if (size !== 4 && off >= 4) throw new Error(`narrow load of major/minor at ${off}`);
  const le = os.endianness() === 'LE';
  if (size === 4) return le ? ctx.readUInt32LE(off) : ctx.readUInt32BE(off);
  if (size === 2) return le ? ctx.readUInt16LE(off) : ctx.readUInt16BE(off);
  throw new Error(`load size ${size}`);
}

export interface RunResult {
  result: number;
  /** Instructions executed. */
  steps: number;
}

/** Runs `program` (8-byte little-endian instructions) on one request. */
export function runDeviceProgram(program: Buffer, request: DeviceRequest): RunResult {
  if (program.length === 0 || program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a positive multiple of 8`);
  const count = program.length / 8;
  const ctx = context(request);
  // Registers hold u32 values here (the subset uses only 32-bit operations);
  // R1 is the context pointer, usable only as a load base.
  const regs: (number | 'ctx' | undefined)[] = new Array(11).fill(undefined);
  regs[1] = 'ctx';
  const read = (r: number): number => {
    const v = regs[r];
    if (typeof v !== 'number') throw new Error(`read of R${r}, which holds ${v === undefined ? 'nothing' : 'the context'}`);
    return v;
  };
  let pc = 0;
  for (let steps = 1; ; steps++) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} outside the program (${count} instructions)`);
    const at = pc * 8;
    const op = program.readUInt8(at);
    const dst = program.readUInt8(at + 1) & 0x0f;
    const src = program.readUInt8(at + 1) >> 4;
    const off = program.readInt16LE(at + 2);
    const imm = program.readInt32LE(at + 4);
    const jump = () => {
      if (off < 0) throw new Error(`backward jump at ${pc}`);
      pc += off;
    };
    switch (op) {
      case LDX | 0x60 | 0x00: // LDX MEM W
      case LDX | 0x60 | 0x08: // LDX MEM H
        if (regs[src] !== 'ctx') throw new Error(`load through R${src}, not the context`);
        if (dst === 1 || dst === 10) throw new Error(`load into R${dst}`);
        regs[dst] = load(ctx, off, op === (LDX | 0x60) ? 4 : 2);
        break;
      case ALU | 0xb0: // MOV32 K
        if (dst === 10) throw new Error('write to R10');
        regs[dst] = imm >>> 0;
        break;
      case JMP | 0x00: // JA
        jump();
        break;
      case JMP32 | 0x10: // JEQ32 K
        if (read(dst) === imm >>> 0) jump();
        break;
      case JMP32 | 0x50: // JNE32 K
        if (read(dst) !== imm >>> 0) jump();
        break;
      case JMP32 | 0x40: // JSET32 K
        if ((read(dst) & imm) !== 0) jump();
        break;
      case JMP | 0x90: {
        // EXIT
        const r0 = read(0);
        if (r0 !== 0 && r0 !== 1) throw new Error(`returns ${r0}`);
        return { result: r0, steps };
      }
      default:
        throw new Error(`instruction 0x${op.toString(16)} (class ${op & CLASS}) at ${pc} is not in the subset`);
    }
    pc++;
  }
}

/** Every instruction can be reached from the first (the verifier refuses dead code). */
export function unreachable(program: Buffer): number[] {
  const count = program.length / 8;
  const seen = new Set<number>();
  const todo = [0];
  while (todo.length) {
    const pc = todo.pop()!;
    if (seen.has(pc) || pc >= count) continue;
    seen.add(pc);
    const op = program.readUInt8(pc * 8);
    const off = program.readInt16LE(pc * 8 + 2);
    if (op === (JMP | 0x90)) continue;
    if (op === (JMP | 0x00)) {
      todo.push(pc + 1 + off);
      continue;
    }
    if ((op & CLASS) === JMP32) todo.push(pc + 1 + off);
    todo.push(pc + 1);
  }
  return [...Array(count).keys()].filter((pc) => !seen.has(pc));
}
