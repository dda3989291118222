// lib/seccomp/tables: the generated name → seccomp_data.nr maps. Known
// numbers per ABI, the aliases the headers really have, the post-6.1
// supplement, lazy loading, and which names of podman's default profile each
// x86 ABI lacks, spelled out so that a regenerated table that gains or loses a
// name fails here.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { syscallNumber, syscallTable, type SyscallArch } from '../../lib/seccomp/tables';

const ARCHES: SyscallArch[] = ['x86_64', 'x86', 'x32', 'aarch64', 'arm'];
const X32_SYSCALL_BIT = 0x40000000;

// Compiled to dist/test/unit; the fixtures stay in the source tree.
const FIXTURES = resolve(__dirname, '../../../test/unit/fixtures/spec');

function podmanSyscallNames(): string[] {
  const config = JSON.parse(readFileSync(resolve(FIXTURES, 'podman-run-config.json'), 'utf8'));
  const names = new Set<string>();
  for (const rule of config.linux.seccomp.syscalls as { names: string[] }[]) for (const n of rule.names) names.add(n);
  return [...names].sort();
}

const has = (arch: SyscallArch, name: string) => syscallNumber(arch, name) !== undefined;

// First, before any other test touches a table.
t.test('only the requested table is loaded', (t) => {
  const tableModule = (arch: SyscallArch) => require.resolve(`../../lib/seccomp/tables/${arch}`);
  t.equal(syscallTable('x86_64').read, 0);
  t.ok(require.cache[tableModule('x86_64')], 'x86_64 loaded');
  for (const arch of ARCHES.filter((a) => a !== 'x86_64')) t.notOk(require.cache[tableModule(arch)], `${arch} not loaded`);
  t.end();
});

t.test('known numbers', (t) => {
  const expected: Record<SyscallArch, Record<string, number>> = {
    x86_64: { read: 0, write: 1, execve: 59, openat: 257, newfstatat: 262, clone3: 435, set_mempolicy_home_node: 450 },
    x86: { restart_syscall: 0, read: 3, socketcall: 102, _llseek: 140, _newselect: 142, mmap2: 192, openat: 295, clock_gettime64: 403 },
    x32: { read: X32_SYSCALL_BIT, openat: X32_SYSCALL_BIT + 257, execve: 0x40000208, rt_sigaction: X32_SYSCALL_BIT + 512, pwritev2: X32_SYSCALL_BIT + 547 },
    aarch64: { io_setup: 0, openat: 56, read: 63, fstat: 80, newfstatat: 79, clone: 220, mmap: 222, clone3: 435 },
    arm: {
      restart_syscall: 0, read: 3, _llseek: 140, arm_fadvise64_64: 270, arm_sync_file_range: 341, sync_file_range2: 341,
      breakpoint: 0x0f0001, cacheflush: 0x0f0002, usr26: 0x0f0003, usr32: 0x0f0004, set_tls: 0x0f0005, get_tls: 0x0f0006,
    },
  };
  for (const arch of ARCHES) for (const [name, nr] of Object.entries(expected[arch])) t.equal(syscallNumber(arch, name), nr, `${arch} ${name}`);

  // Names an ABI does not have: the generic table has only the *at forms, and
  // 64-bit ABIs have no *64 / *_time64 variants.
  for (const name of ['open', 'stat', 'fork', 'poll', 'fstatat64']) t.notOk(has('aarch64', name), `aarch64 has no ${name}`);
  for (const name of ['mmap2', '_llseek', 'socketcall', 'clock_gettime64']) t.notOk(has('x86_64', name), `x86_64 has no ${name}`);
  t.notOk(has('x32', 'set_thread_area'), 'set_thread_area is 64-bit-only in syscall_64.tbl');
  t.notOk(has('arm', 'fadvise64_64'), 'arm names it arm_fadvise64_64');
  t.end();
});

t.test('every table is well formed', (t) => {
  for (const arch of ARCHES) {
    const entries = Object.entries(syscallTable(arch));
    t.ok(entries.length > 300, `${arch} has ${entries.length} names`);
    const bad = entries.filter(([name, nr]) => !/^[a-z_][a-z0-9_]*$/.test(name) || !Number.isInteger(nr) || nr < 0);
    t.same(bad, [], `${arch}: names are kernel names, numbers non-negative integers`);
    // Non-syscall macros of the headers must not leak in.
    for (const name of ['syscalls', 'arch_specific_syscall', 'SYSCALL_BASE', 'BASE']) t.notOk(has(arch, name), `${arch} has no ${name}`);
  }
  const x32 = Object.entries(syscallTable('x32'));
  t.same(x32.filter(([, nr]) => (nr & X32_SYSCALL_BIT) === 0), [], 'every x32 number carries the x32 bit');
  t.end();
});

t.test('two names share a number only where the header defines an alias', (t) => {
  const aliases = (arch: SyscallArch): string[][] => {
    const byNumber = new Map<number, string[]>();
    for (const [name, nr] of Object.entries(syscallTable(arch))) byNumber.set(nr, [...(byNumber.get(nr) ?? []), name]);
    return [...byNumber.values()].filter((names) => names.length > 1).map((names) => names.sort());
  };
  // arm's asm/unistd.h: #define __NR_sync_file_range2 __NR_arm_sync_file_range
  const expected: Record<SyscallArch, string[][]> = { x86_64: [], x86: [], x32: [], aarch64: [], arm: [['arm_sync_file_range', 'sync_file_range2']] };
  for (const arch of ARCHES) t.same(aliases(arch), expected[arch], arch);
  t.end();
});

t.test('syscalls added after the 6.1 headers', (t) => {
  const common: Record<string, number> = {
    cachestat: 451, fchmodat2: 452, map_shadow_stack: 453, futex_wake: 454, futex_wait: 455, futex_requeue: 456,
    statmount: 457, listmount: 458, lsm_get_self_attr: 459, lsm_set_self_attr: 460, lsm_list_modules: 461, mseal: 462,
    setxattrat: 463, getxattrat: 464, listxattrat: 465, removexattrat: 466, open_tree_attr: 467, file_getattr: 468, file_setattr: 469,
  };
  for (const arch of ARCHES) {
    const offset = arch === 'x32' ? X32_SYSCALL_BIT : 0;
    for (const [name, nr] of Object.entries(common)) t.equal(syscallNumber(arch, name), nr + offset, `${arch} ${name}`);
  }
  // The x86 uprobe trampolines are in syscall_64.tbl as "common": x86_64 and x32, not i386.
  t.equal(syscallNumber('x86_64', 'uretprobe'), 335);
  t.equal(syscallNumber('x86_64', 'uprobe'), 336);
  t.equal(syscallNumber('x32', 'uretprobe'), X32_SYSCALL_BIT + 335);
  t.equal(syscallNumber('x32', 'uprobe'), X32_SYSCALL_BIT + 336);
  for (const arch of ['x86', 'aarch64', 'arm'] as const) {
    t.notOk(has(arch, 'uretprobe'), `${arch} has no uretprobe`);
    t.notOk(has(arch, 'uprobe'), `${arch} has no uprobe`);
  }
  t.end();
});

t.test("podman's default profile against the x86 ABIs it lists", (t) => {
  const names = podmanSyscallNames();
  const missingOn = (arch: SyscallArch) => names.filter((n) => !has(arch, n));

  // 32-bit-only names (*32, *64, *_time64, old*, socketcall...) and the
  // other architectures' names that the profile carries for them.
  t.same(missingOn('x86_64'), [
    '_llseek', '_newselect', 'bdflush', 'chown32', 'clock_adjtime64', 'clock_getres_time64', 'clock_gettime64',
    'clock_nanosleep_time64', 'clock_settime64', 'fadvise64_64', 'fchown32', 'fcntl64', 'fstat64', 'fstatat64',
    'fstatfs64', 'ftruncate64', 'futex_time64', 'getegid32', 'geteuid32', 'getgid32', 'getgroups32', 'getresgid32',
    'getresuid32', 'getuid32', 'ipc', 'lchown32', 'lstat64', 'mmap2', 'mq_timedreceive_time64', 'mq_timedsend_time64',
    'nice', 'oldfstat', 'oldlstat', 'oldolduname', 'oldstat', 'olduname', 'pciconfig_iobase', 'pciconfig_read',
    'pciconfig_write', 'ppoll_time64', 'pselect6_time64', 'readdir', 'recv', 'recvmmsg_time64', 'rt_sigtimedwait_time64',
    'sched_rr_get_interval_time64', 'semtimedop_time64', 'send', 'sendfile64', 'setfsgid32', 'setfsuid32', 'setgid32',
    'setgroups32', 'setregid32', 'setresgid32', 'setresuid32', 'setreuid32', 'setuid32', 'sgetmask', 'sigaction',
    'signal', 'sigpending', 'sigprocmask', 'sigreturn', 'sigsuspend', 'socketcall', 'ssetmask', 'stat64', 'statfs64',
    'stime', 'swapcontext', 'syscall', 'timer_gettime64', 'timer_settime64', 'timerfd', 'timerfd_gettime64',
    'timerfd_settime64', 'truncate64', 'ugetrlimit', 'umount', 'utimensat_time64', 'vm86', 'vm86old', 'waitpid',
  ], 'names x86_64 lacks');

  t.same(missingOn('x86'), [
    'accept', 'epoll_ctl_old', 'epoll_wait_old', 'kexec_file_load', 'newfstatat', 'pciconfig_iobase', 'pciconfig_read',
    'pciconfig_write', 'recv', 'semop', 'semtimedop', 'send', 'swapcontext', 'syscall', 'timerfd',
  ], 'names i386 lacks');

  // x32 lacks what x86_64 lacks, and the syscall_64.tbl entries marked "64" (x86_64 only).
  const x32Only = missingOn('x32').filter((n) => has('x86_64', n));
  t.same(x32Only, ['epoll_ctl_old', 'epoll_wait_old', 'get_thread_area', 'nfsservctl', 'query_module', 'set_thread_area', 'uselib'], 'names x32 lacks beyond x86_64');
  t.same(missingOn('x32').filter((n) => !has('x86_64', n)), missingOn('x86_64'), 'x32 lacks every name x86_64 lacks');

  // Names that exist on none of the profile's architectures (alpha, powerpc,
  // ia64, mips... names): a compiler must skip them, not fail.
  t.same(names.filter((n) => !has('x86_64', n) && !has('x86', n) && !has('x32', n)), [
    'pciconfig_iobase', 'pciconfig_read', 'pciconfig_write', 'recv', 'send', 'swapcontext', 'syscall', 'timerfd',
  ], 'names on no x86 ABI');
  t.end();
});

t.test('lookups never reach Object.prototype', (t) => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) t.equal(syscallNumber('x86_64', name), undefined, name);
  t.throws(() => syscallTable('riscv64' as SyscallArch), TypeError);
  t.end();
});
