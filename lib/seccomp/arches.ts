// The architectures a filter checks on this host. The kernel reports the
// caller's ABI in seccomp_data.arch (an AUDIT_ARCH_* token); a 64-bit host
// also runs its 32-bit compat ABIs, so a profile may list those. Any other
// architecture in a profile cannot occur here and adds nothing.
import { ConfigError } from '../errors';
import type { LinuxSeccomp, SeccompArch } from '../spec';
import type { SyscallArch } from './tables';

export type HostFamily = 'x86_64' | 'aarch64';

/** linux/audit.h */
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const AUDIT_ARCH_ARM = 0x40000028;

/** x32 syscalls come with the x86_64 token and this bit in nr. */
export const X32_SYSCALL_BIT = 0x40000000;

export interface FilterArch {
  table: SyscallArch;
  token: number;
  /** Arguments are compared in full (64-bit ABIs) or by their low 32 bits (as libseccomp does for 32-bit ABIs). */
  bits: 32 | 64;
}

const NATIVE: Record<HostFamily, FilterArch> = {
  x86_64: { table: 'x86_64', token: AUDIT_ARCH_X86_64, bits: 64 },
  aarch64: { table: 'aarch64', token: AUDIT_ARCH_AARCH64, bits: 64 },
};

const COMPAT: Record<HostFamily, Partial<Record<SeccompArch, FilterArch>>> = {
  x86_64: {
    SCMP_ARCH_X86: { table: 'x86', token: AUDIT_ARCH_I386, bits: 32 },
    SCMP_ARCH_X32: { table: 'x32', token: AUDIT_ARCH_X86_64, bits: 32 },
  },
  aarch64: {
    SCMP_ARCH_ARM: { table: 'arm', token: AUDIT_ARCH_ARM, bits: 32 },
  },
};

export function hostFamily(): HostFamily {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  throw new ConfigError('/linux/seccomp', `seccomp filters are not supported on ${process.arch}`);
}

/** The native ABI (always in the filter, as libseccomp's native arch), then the listed compat ABIs. */
export function filterArches(seccomp: Pick<LinuxSeccomp, 'architectures'>, host: HostFamily): FilterArch[] {
  const compat = COMPAT[host];
  const listed = new Set(seccomp.architectures ?? []);
  return [NATIVE[host], ...Object.entries(compat).filter(([name]) => listed.has(name as SeccompArch)).map(([, arch]) => arch)];
}

/** The profile architectures that have rules on this host (for `features`). */
export function hostArches(host: HostFamily): SeccompArch[] {
  const native: SeccompArch = host === 'x86_64' ? 'SCMP_ARCH_X86_64' : 'SCMP_ARCH_AARCH64';
  return [native, ...(Object.keys(COMPAT[host]) as SeccompArch[])];
}
