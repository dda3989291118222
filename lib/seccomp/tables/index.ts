// Syscall name → seccomp_data.nr, per architecture, for compiling OCI seccomp
// profiles. The tables are generated from the kernel's uapi headers by
// scripts/gen-syscall-tables.mjs. Each is loaded on first use only, so a
// process on x86_64 never parses the arm tables.

export type SyscallArch = 'x86_64' | 'x86' | 'x32' | 'aarch64' | 'arm';

type TableModule = { syscalls: Readonly<Record<string, number>> };

export function syscallTable(arch: SyscallArch): Readonly<Record<string, number>> {
  // Literal require() paths inside the switch keep each load lazy (an import
  // would load all five at startup) and visible to bundlers.
  switch (arch) {
    case 'x86_64':
      return (require('./x86_64') as TableModule).syscalls;
    case 'x86':
      return (require('./x86') as TableModule).syscalls;
    case 'x32':
      return (require('./x32') as TableModule).syscalls;
    case 'aarch64':
      return (require('./aarch64') as TableModule).syscalls;
    case 'arm':
      return (require('./arm') as TableModule).syscalls;
    default: {
      const unknown: never = arch;
      throw new TypeError(`no syscall table for architecture ${String(unknown)}`);
    }
  }
}

/**
 * The number of a syscall on an architecture, or undefined if it has none
 * there. Use this rather than indexing the table with a name from a profile:
 * the tables are plain objects, so "constructor" or "toString" would
 * otherwise resolve to Object.prototype's members.
 */
export function syscallNumber(arch: SyscallArch, name: string): number | undefined {
  const table = syscallTable(arch);
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}
