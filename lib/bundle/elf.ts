// Just enough ELF parsing to tell a static binary from a dynamic one: a
// dynamic binary names its loader in a PT_INTERP program header. Parsed here
// rather than by running `file`, which is not installed everywhere.
import * as fs from 'node:fs';

const PT_INTERP = 3;
const PN_XNUM = 0xffff;

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_type: 2 = ET_EXEC, 3 = ET_DYN (PIE executables and shared libraries). */
  type: number;
  /** The PT_INTERP path (e.g. /lib64/ld-linux-x86-64.so.2), or null for a static binary. */
  interpreter: string | null;
}

/** Reads the ELF header and program headers of `path`; throws if it is not an ELF file. */
export function readElf(path: string): ElfInfo {
  const fd = fs.openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      if (n !== length) throw new Error(`${path}: truncated ELF file`);
      return buf;
    };
    const ident = Buffer.alloc(16);
    if (fs.readSync(fd, ident, 0, 16, 0) !== 16 || ident.readUInt32BE(0) !== 0x7f454c46) {
      throw new Error(`${path}: not an ELF file`);
    }
    const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : 0;
    const le = ident[5] === 1 ? true : ident[5] === 2 ? false : undefined;
    if (bits === 0 || le === undefined) throw new Error(`${path}: unknown ELF class or byte order`);

    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const word = bits === 64 ? u64 : u32;

    const hdr = read(0, bits === 64 ? 64 : 52);
    const type = u16(hdr, 0x10);
    const phoff = word(hdr, bits === 64 ? 0x20 : 0x1c);
    const phentsize = u16(hdr, bits === 64 ? 0x36 : 0x2a);
    const phnum = u16(hdr, bits === 64 ? 0x38 : 0x2c);
    // More than 0xfffe headers are counted elsewhere; no real executable has that many.
    if (phnum === PN_XNUM) throw new Error(`${path}: unsupported ELF file (PN_XNUM program headers)`);

    let interpreter: string | null = null;
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (u32(ph, 0) !== PT_INTERP) continue;
      const offset = word(ph, bits === 64 ? 0x08 : 0x04);
      const size = word(ph, bits === 64 ? 0x20 : 0x10);
      interpreter = read(offset, size).toString('latin1').replace(/\0.*$/s, '');
      break;
    }
    return { bits, littleEndian: le, type, interpreter };
  } finally {
    fs.closeSync(fd);
  }
}

/** True if `path` is an ELF executable that needs no loader (static or static-pie). */
export function isStaticElf(path: string): boolean {
  const elf = readElf(path);
  return (elf.type === 2 || elf.type === 3) && elf.interpreter === null;
}
