#!/usr/bin/env node
// Generates lib/seccomp/tables/<arch>.ts: syscall name → the number the kernel
// puts in seccomp_data.nr for that architecture's ABI.
//
// Source of truth: the kernel's uapi headers from Debian packages, read
// through the C preprocessor so that each header's own choices (__ARCH_WANT_*,
// __BITS_PER_LONG, EABI vs OABI, x32) apply exactly as they do for C programs.
// Then every __NR_* / __ARM_NR_* macro is resolved here, since many are
// expressions over other macros (__NR_SYSCALL_BASE, __NR3264_*, __X32_SYSCALL_BIT).
//
// Needs: `cpp` (Debian's cpp package, pulled in by gcc/g++), and the headers:
//   linux-libc-dev              (x86_64, x86, x32; /usr/include/x86_64-linux-gnu)
//   linux-libc-dev-arm64-cross  (aarch64; /usr/aarch64-linux-gnu/include)
//   linux-libc-dev-armhf-cross  (arm EABI; /usr/arm-linux-gnueabihf/include)
//   apt-get install -y cpp linux-libc-dev linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross
//
// Usage: node scripts/gen-syscall-tables.mjs   (no arguments; deterministic)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(REPO, 'lib', 'seccomp', 'tables');
const SCRIPT = relative(REPO, fileURLToPath(import.meta.url));

const X32_SYSCALL_BIT = 0x40000000;

// Each ABI is the same `asm/unistd.h` seen with the macros a compiler for that
// target would predefine; the header picks the right numbering from them.
const ARCHES = [
  { arch: 'x86_64', pkg: 'linux-libc-dev', includeDir: '/usr/include/x86_64-linux-gnu', versionHeader: '/usr/include/linux/version.h', defines: ['__x86_64__'], supplementOffset: 0 },
  { arch: 'x86', pkg: 'linux-libc-dev', includeDir: '/usr/include/x86_64-linux-gnu', versionHeader: '/usr/include/linux/version.h', defines: ['__i386__'], supplementOffset: 0 },
  { arch: 'x32', pkg: 'linux-libc-dev', includeDir: '/usr/include/x86_64-linux-gnu', versionHeader: '/usr/include/linux/version.h', defines: ['__x86_64__', '__ILP32__'], supplementOffset: X32_SYSCALL_BIT },
  { arch: 'aarch64', pkg: 'linux-libc-dev-arm64-cross', includeDir: '/usr/aarch64-linux-gnu/include', versionHeader: '/usr/aarch64-linux-gnu/include/linux/version.h', defines: ['__aarch64__'], supplementOffset: 0 },
  // EABI: __NR_SYSCALL_BASE is 0 (OABI's 0x900000 base is not what seccomp sees on a modern kernel).
  { arch: 'arm', pkg: 'linux-libc-dev-armhf-cross', includeDir: '/usr/arm-linux-gnueabihf/include', versionHeader: '/usr/arm-linux-gnueabihf/include/linux/version.h', defines: ['__arm__', '__ARM_EABI__'], supplementOffset: 0 },
];

// Syscalls added after Linux 6.1 (the headers above), which a 6.18 kernel has
// and podman profiles name. Since 5.1 new syscalls share one number on every
// architecture (x32 adds __X32_SYSCALL_BIT). Used only where the header lacks
// the name; the generated files mark these entries "supplement".
// Checked against the kernel's syscall tables (arch/*/syscall*.tbl and
// asm-generic/unistd.h as quoted in kernel patches and in QEMU's header syncs).
const ALL = ['x86_64', 'x86', 'x32', 'aarch64', 'arm'];
const X86_64_ABI_ONLY = ['x86_64', 'x32']; // syscall_64.tbl "common": x86_64 and x32, not i386
const SUPPLEMENT = [
  { name: 'cachestat', nr: 451, since: '6.5', arches: ALL },
  { name: 'fchmodat2', nr: 452, since: '6.6', arches: ALL },
  // x86_64 in 6.6; the number was reserved on i386, arm and asm-generic in 6.7
  // (ENOSYS there; real on arm64 with GCS from 6.13), and x32 got it in 6.10.
  { name: 'map_shadow_stack', nr: 453, since: { x86_64: '6.6', x86: '6.7', x32: '6.10', aarch64: '6.7', arm: '6.7' }, arches: ALL },
  { name: 'futex_wake', nr: 454, since: '6.7', arches: ALL },
  { name: 'futex_wait', nr: 455, since: '6.7', arches: ALL },
  { name: 'futex_requeue', nr: 456, since: '6.7', arches: ALL },
  { name: 'statmount', nr: 457, since: '6.8', arches: ALL },
  { name: 'listmount', nr: 458, since: '6.8', arches: ALL },
  { name: 'lsm_get_self_attr', nr: 459, since: '6.8', arches: ALL },
  { name: 'lsm_set_self_attr', nr: 460, since: '6.8', arches: ALL },
  { name: 'lsm_list_modules', nr: 461, since: '6.8', arches: ALL },
  { name: 'mseal', nr: 462, since: '6.10', arches: ALL },
  { name: 'setxattrat', nr: 463, since: '6.13', arches: ALL },
  { name: 'getxattrat', nr: 464, since: '6.13', arches: ALL },
  { name: 'listxattrat', nr: 465, since: '6.13', arches: ALL },
  { name: 'removexattrat', nr: 466, since: '6.13', arches: ALL },
  { name: 'open_tree_attr', nr: 467, since: '6.15', arches: ALL },
  { name: 'file_getattr', nr: 468, since: '6.17', arches: ALL },
  { name: 'file_setattr', nr: 469, since: '6.17', arches: ALL },
  // x86 uprobe trampolines: in the x86_64 table's low range, not the common numbering.
  { name: 'uretprobe', nr: 335, since: '6.11', arches: X86_64_ABI_ONLY },
  { name: 'uprobe', nr: 336, since: '6.18', arches: X86_64_ABI_ONLY },
];

// Macros with a syscall prefix that are counts or bases, not syscalls.
const NOT_SYSCALLS = new Set(['syscalls', 'arch_specific_syscall']);
const SYSCALL_MACRO = /^(?:__NR_|__ARM_NR_)([a-z_][a-z0-9_]*)$/;

function packageVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** "6.1.187" from the headers' linux/version.h. */
function headersLinuxVersion(versionHeader) {
  const text = readFileSync(versionHeader, 'utf8');
  const field = (name) => new RegExp(`#define LINUX_VERSION_${name} (\\d+)`).exec(text)?.[1];
  const parts = [field('MAJOR'), field('PATCHLEVEL'), field('SUBLEVEL')];
  return parts.every((p) => p !== undefined) ? parts.join('.') : 'unknown';
}

/** `#define NAME BODY` lines of the object-like macros cpp ends up with. */
function preprocessorDefines({ includeDir, defines }) {
  const args = ['-undef', '-nostdinc', '-dM', '-I', includeDir, ...defines.map((d) => `-D${d}`), '-include', 'asm/unistd.h', '/dev/null'];
  let text;
  try {
    text = execFileSync('cpp', args, { encoding: 'utf8' });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('cpp not found: apt-get install -y cpp');
    throw err;
  }
  const macros = new Map();
  for (const line of text.split('\n')) {
    const m = /^#define ([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*))?$/.exec(line);
    if (m) macros.set(m[1], (m[2] ?? '').trim()); // function-like macros have "(" right after the name: no match
  }
  return macros;
}

function tokenize(expr) {
  const tokens = [];
  const re = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_][A-Za-z0-9_]*)|(<<|>>|[-+*|&~()]))/y;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) return null;
    tokens.push(m[1] !== undefined ? { num: Number(m[1]) } : m[2] !== undefined ? { ident: m[2] } : { op: m[3] });
    pos = re.lastIndex;
  }
  return tokens;
}

/**
 * The integer a macro expands to, or null when it is not a plain number (an
 * unknown identifier, a string, a cast...). Small precedence-climbing parser
 * for the operators uapi syscall headers use.
 */
function resolveMacro(name, macros, seen = new Set()) {
  if (!macros.has(name) || seen.has(name)) return null;
  const tokens = tokenize(macros.get(name));
  if (!tokens || tokens.length === 0) return null;
  const inner = new Set(seen).add(name);
  let i = 0;
  const BINARY = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5 };

  function primary() {
    const t = tokens[i++];
    if (!t) return null;
    if (t.num !== undefined) return t.num;
    if (t.ident !== undefined) return resolveMacro(t.ident, macros, inner);
    if (t.op === '(') {
      const v = expression(0);
      if (v === null || tokens[i++]?.op !== ')') return null;
      return v;
    }
    if (t.op === '-' || t.op === '+' || t.op === '~') {
      const v = primary();
      if (v === null) return null;
      return t.op === '-' ? -v : t.op === '~' ? ~v : v;
    }
    return null;
  }
  function expression(minPrec) {
    let left = primary();
    while (left !== null && i < tokens.length) {
      const op = tokens[i].op;
      const prec = op && BINARY[op];
      if (!prec || prec < minPrec) break;
      i++;
      const right = expression(prec + 1);
      if (right === null) return null;
      left = op === '|' ? left | right : op === '&' ? left & right : op === '<<' ? left << right : op === '>>' ? left >> right
        : op === '+' ? left + right : op === '-' ? left - right : left * right;
    }
    return left;
  }
  const value = expression(0);
  return value !== null && i === tokens.length && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function headerSyscalls(spec) {
  const macros = preprocessorDefines(spec);
  const table = new Map();
  const skipped = [];
  for (const macro of [...macros.keys()].sort()) {
    const m = SYSCALL_MACRO.exec(macro);
    if (!m || NOT_SYSCALLS.has(m[1])) continue;
    const value = resolveMacro(macro, macros);
    if (value === null) {
      skipped.push(macro);
      continue;
    }
    if (table.has(m[1]) && table.get(m[1]) !== value) {
      throw new Error(`${spec.arch}: ${m[1]} is both ${table.get(m[1])} and ${value}`);
    }
    table.set(m[1], value);
  }
  return { table, skipped };
}

const formatNumber = (n) => (n >= 0x10000 ? `0x${n.toString(16)}` : String(n));

function render(spec, table, supplemented, packageVer, linuxVersion) {
  const entries = [...table].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
  const lines = [
    `// Generated by ${SCRIPT}: do not edit; re-run the script instead.`,
    `// Source: ${spec.includeDir}/asm/unistd.h preprocessed with ${spec.defines.map((d) => `-D${d}`).join(' ')},`,
    `// from Debian ${spec.pkg} ${packageVer} (Linux ${linuxVersion} uapi headers).`,
    '// Entries marked "supplement" are syscalls newer than these headers, from',
    '// the list in the script, added where the headers lack the name.',
    `// Values are what seccomp_data.nr holds for an ${spec.arch} task.`,
    '',
    'export const syscalls: Readonly<Record<string, number>> = {',
  ];
  for (const [name, nr] of entries) {
    const note = supplemented.get(name);
    lines.push(`  ${name}: ${formatNumber(nr)},${note ? ` // supplement: Linux ${note}` : ''}`);
  }
  lines.push('};', '');
  return lines.join('\n');
}

function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  const versions = new Map();
  for (const spec of ARCHES) {
    if (!existsSync(join(spec.includeDir, 'asm', 'unistd.h'))) {
      throw new Error(`${spec.includeDir}/asm/unistd.h missing: apt-get install -y ${spec.pkg}`);
    }
    if (!versions.has(spec.pkg)) versions.set(spec.pkg, packageVersion(spec.pkg));

    const { table, skipped } = headerSyscalls(spec);
    const fromHeader = table.size;
    const supplemented = new Map();
    for (const s of SUPPLEMENT) {
      if (!s.arches.includes(spec.arch) || table.has(s.name)) continue;
      table.set(s.name, s.nr + spec.supplementOffset);
      supplemented.set(s.name, typeof s.since === 'string' ? s.since : s.since[spec.arch]);
    }

    writeFileSync(join(OUT_DIR, `${spec.arch}.ts`), render(spec, table, supplemented, versions.get(spec.pkg), headersLinuxVersion(spec.versionHeader)));
    const highest = Math.max(...table.values());
    const skippedNote = skipped.length ? `; skipped non-numeric ${skipped.join(' ')}` : '';
    console.log(`${spec.arch}: ${table.size} syscalls (${fromHeader} from headers + ${supplemented.size} supplement), highest ${formatNumber(highest)}${skippedNote}`);
  }
}

main();
