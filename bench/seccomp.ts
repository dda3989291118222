// The seccomp compiler on podman's profile, next to libseccomp (what runc and
// crun load): compile time, program length, instructions executed per
// syscall, and every verdict on which the two programs (or ours and the
// reference semantics) disagree. libseccomp is a yardstick only: its helper
// (bench/seccomp-libseccomp.c) is built here into a cache under /tmp.
// Usage: node dist/bench/seccomp.js [--profile config.json|seccomp.json] [--json FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decode, runDecoded, seccompData, type Insn, type SeccompData } from '../test/helpers/cbpf';
import { AUDIT_ARCH, HOST_ABIS, TABLES, X32_BIT, actionRet, expectedVerdict, u64, type AbiName, type Profile } from '../test/helpers/seccomp-reference';

const ROOT = path.resolve(__dirname, '../..'); // dist/bench → the repo
const HELPER_SRC = path.join(ROOT, 'bench/seccomp-libseccomp.c');
const TOKEN: Record<AbiName, number> = { x86_64: AUDIT_ARCH.X86_64, x86: AUDIT_ARCH.I386, x32: AUDIT_ARCH.X86_64, aarch64: AUDIT_ARCH.AARCH64, arm: AUDIT_ARCH.ARM };
const COMMON: [string, (number | bigint)[]][] = [
  ['read', []], ['write', []], ['openat', []], ['close', []], ['futex', []], ['mmap', []], ['epoll_wait', []],
  ['getpid', []], ['clone', []], ['personality', [0]], ['sendmsg', []],
];
const WARM = 50;

type Compile = (profile: Profile, host: 'x86_64') => { program: Buffer };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function loadProfile(file: string): Profile {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { linux?: { seccomp?: Profile } } & Profile;
  return json.linux?.seccomp ?? json;
}

/** Child mode: the first compile in this process, module loading apart. */
function first(file: string): void {
  const profile = loadProfile(file);
  const t0 = process.hrtime.bigint();
  const { compileSeccomp } = require('../lib/seccomp/compile') as { compileSeccomp: Compile };
  const t1 = process.hrtime.bigint();
  compileSeccomp(profile, 'x86_64');
  const t2 = process.hrtime.bigint();
  process.stdout.write(JSON.stringify({ loadMs: Number(t1 - t0) / 1e6, compileMs: Number(t2 - t1) / 1e6 }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ------------------------------------------------------------- libseccomp

/** The helper's input: what runc hands libseccomp for this profile on an x86_64 host. */
function libseccompInput(profile: Profile): string {
  const def = actionRet(profile.defaultAction, profile.defaultErrnoRet);
  const lines = [`default ${def}`, `badarch ${0x80000000}`];
  // Only the compat arches this host runs: the others cannot occur here and ours leaves them out.
  for (const [name, lib] of [['SCMP_ARCH_X86', 'x86'], ['SCMP_ARCH_X32', 'x32']]) if (profile.architectures?.includes(name!)) lines.push(`arch ${lib}`);
  for (const rule of profile.syscalls ?? []) {
    const ret = actionRet(rule.action, rule.errnoRet);
    if (ret === def) continue; // runc skips these (libseccomp refuses them)
    const args = rule.args ?? [];
    // runc: conditions on a repeated index become one rule each.
    const repeated = new Set(args.map((a) => a.index)).size < args.length;
    const groups = repeated ? args.map((a) => [a]) : [args];
    for (const name of rule.names)
      for (const g of groups)
        lines.push(`rule ${ret} ${name} ${g.length}${g.map((a) => ` ${a.index} ${a.op.replace('SCMP_CMP_', '')} ${u64(a.value)} ${u64(a.valueTwo ?? 0)}`).join('')}`);
  }
  return lines.join('\n') + '\n';
}

/** Builds the helper once per source version; null (with the reason) if libseccomp or a compiler is missing. */
function helperBinary(): { bin: string } | { missing: string } {
  const src = readFileSync(HELPER_SRC);
  const cache = path.join(os.tmpdir(), 'ociish-bench-cache');
  const bin = path.join(cache, `seccomp-libseccomp-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  if (existsSync(bin)) return { bin };
  if (!existsSync('/usr/include/seccomp.h')) return { missing: 'libseccomp-dev is not installed (apt-get install -y libseccomp-dev)' };
  mkdirSync(cache, { recursive: true });
  for (const cc of ['gcc', 'cc', 'g++']) {
    const r = spawnSync(cc, [...(cc === 'g++' ? ['-x', 'c'] : []), '-O2', '-o', bin, HELPER_SRC, '-lseccomp'], { encoding: 'utf8' });
    if (r.status === 0) return { bin };
    if (r.error === undefined) return { missing: `${cc} failed: ${r.stderr.trim()}` };
  }
  return { missing: 'no C compiler (gcc, cc, g++)' };
}

interface Libseccomp {
  version: string;
  buildUs: number;
  program: Buffer;
  tree: { buildUs: number; program: Buffer } | null;
  warnings: string;
}

function runLibseccomp(profile: Profile): Libseccomp | { missing: string } {
  const helper = helperBinary();
  if ('missing' in helper) return helper;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ociish-seccomp-bench-'));
  try {
    writeFileSync(path.join(dir, 'profile.txt'), libseccompInput(profile));
    const r = spawnSync(helper.bin, [path.join(dir, 'profile.txt'), path.join(dir, 'default.bpf'), path.join(dir, 'tree.bpf'), String(WARM)], { encoding: 'utf8' });
    if (r.status !== 0) return { missing: `the libseccomp helper failed: ${r.stderr.trim()}` };
    const field = (re: RegExp) => re.exec(r.stdout)?.[1];
    const treeUs = field(/^tree build_us (\S+)$/m);
    return {
      version: field(/^version (\S+)$/m) ?? '?',
      buildUs: Number(field(/^default build_us (\S+)$/m)),
      program: readFileSync(path.join(dir, 'default.bpf')),
      tree: treeUs === undefined ? null : { buildUs: Number(treeUs), program: readFileSync(path.join(dir, 'tree.bpf')) },
      warnings: r.stderr.trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------- the comparison

/** Every number of each ABI up to 10 past its largest, with odd ones around the x32 bit; args 0, then personality's patterns. */
function sweep(): { abi: AbiName; data: SeccompData }[] {
  const out: { abi: AbiName; data: SeccompData }[] = [];
  const odd = [X32_BIT - 1, X32_BIT, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff];
  for (const abi of HOST_ABIS.x86_64) {
    const base = abi === 'x32' ? X32_BIT : 0;
    const top = Math.max(...Object.values(TABLES[abi])) - base;
    const nrs = new Set<number>(odd);
    for (let n = 0; n <= top + 10; n++) nrs.add(base + n);
    for (const n of nrs) out.push({ abi, data: seccompData(n, TOKEN[abi]) });
    const personality = TABLES[abi].personality!;
    for (const a of [1, 8, 0x20000, 0x20008, 0xffffffff, 0x1_0000_0000, 0x1_0000_0008, (1n << 64n) - 1n])
      out.push({ abi, data: seccompData(personality, TOKEN[abi], [a]) });
  }
  for (const token of [AUDIT_ARCH.AARCH64, 0, 0xffffffff]) out.push({ abi: 'x86_64', data: seccompData(39, token) });
  return out;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const describe = (abi: AbiName, d: SeccompData) => {
  const table = TABLES[abi];
  const name = Object.keys(table).find((k) => table[k] === d.nr && d.arch === TOKEN[abi]) ?? '?';
  const args = d.args[0] ? ` arg0 0x${d.args[0].toString(16)}` : '';
  return `${abi} nr ${hex(d.nr)} (${name}) arch ${hex(d.arch)}${args}`;
};

/** Executed instructions for the common syscalls, and max/mean over the x86_64 table. */
function costs(insns: readonly Insn[]): { common: Record<string, number>; max: number; maxAt: string; mean: number } {
  const common: Record<string, number> = {};
  for (const [name, args] of COMMON) common[name + (args.length ? `(${args.join(',')})` : '')] = runDecoded(insns, seccompData(TABLES.x86_64[name]!, AUDIT_ARCH.X86_64, args)).executed;
  let max = 0;
  let maxAt = '';
  let sum = 0;
  const names = Object.keys(TABLES.x86_64);
  for (const name of names) {
    const n = runDecoded(insns, seccompData(TABLES.x86_64[name]!, AUDIT_ARCH.X86_64)).executed;
    sum += n;
    if (n > max) [max, maxAt] = [n, name];
  }
  return { common, max, maxAt, mean: sum / names.length };
}

function main(): void {
  const file = path.resolve(arg('--profile') ?? path.join(ROOT, 'test/unit/fixtures/spec/podman-run-config.json'));
  if (process.argv.includes('--first')) return first(file);
  const profile = loadProfile(file);

  const firsts = Array.from({ length: 5 }, () => JSON.parse(execFileSync(process.execPath, [__filename, '--first', '--profile', file], { encoding: 'utf8' })) as { loadMs: number; compileMs: number });
  const { compileSeccomp } = require('../lib/seccomp/compile') as { compileSeccomp: Compile };
  const warm: number[] = [];
  let program: Buffer = Buffer.alloc(0);
  for (let i = 0; i < WARM + 5; i++) {
    const t0 = process.hrtime.bigint();
    program = compileSeccomp(profile, 'x86_64').program;
    if (i >= 5) warm.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const ours = decode(program);
  const lib = runLibseccomp(profile);

  const programs: { name: string; insns: Insn[] }[] = [{ name: 'ociish', insns: ours }];
  if (!('missing' in lib)) {
    programs.push({ name: `libseccomp ${lib.version}`, insns: decode(lib.program) });
    if (lib.tree) programs.push({ name: `libseccomp ${lib.version} tree`, insns: decode(lib.tree.program) });
  }
  const rows = programs.map((p) => ({ name: p.name, length: p.insns.length, ...costs(p.insns) }));

  // Verdicts: ours against the reference, and each libseccomp program against ours.
  const differences: Record<string, string[]> = {};
  const cases = sweep();
  for (const p of programs) {
    const list: string[] = [];
    for (const { abi, data } of cases) {
      const mine = runDecoded(ours, data).ret;
      const want = p.insns === ours ? expectedVerdict(profile, 'x86_64', data) : runDecoded(p.insns, data).ret;
      if (mine !== want) list.push(`${describe(abi, data)}: ociish ${hex(mine)}, ${p.insns === ours ? 'reference' : p.name} ${hex(want)}`);
    }
    differences[p.insns === ours ? 'ociish vs reference' : `ociish vs ${p.name}`] = list;
  }

  const out = process.stdout;
  out.write(`seccomp filter for ${path.relative(process.cwd(), file) || file} on x86_64 (${(profile.syscalls ?? []).length} rules, architectures ${(profile.architectures ?? []).join(', ') || 'native'})\n`);
  out.write(`ociish compile: first in a fresh process ${median(firsts.map((f) => f.compileMs)).toFixed(2)} ms (module load ${median(firsts.map((f) => f.loadMs)).toFixed(2)} ms; median of 5 processes), warm ${median(warm).toFixed(1)} µs (median of ${WARM})\n`);
  if ('missing' in lib) out.write(`libseccomp: not measured: ${lib.missing}\n`);
  else {
    out.write(`libseccomp ${lib.version} build+export (C, median of ${WARM}): default ${lib.buildUs.toFixed(1)} µs${lib.tree ? `, tree ${lib.tree.buildUs.toFixed(1)} µs` : ', tree: unsupported by this version'}\n`);
    if (lib.warnings) out.write(`libseccomp helper said:\n  ${lib.warnings.split('\n').join('\n  ')}\n`);
  }
  const keys = Object.keys(rows[0]!.common);
  const width = Math.max(...rows.map((r) => r.name.length), 14);
  out.write(`\ninstructions executed (x86_64 syscalls, args 0)\n`);
  out.write(`  ${''.padEnd(width)}  length  ${keys.map((k) => k.padStart(Math.max(k.length, 4))).join(' ')}   max (at)                 mean\n`);
  for (const r of rows)
    out.write(`  ${r.name.padEnd(width)}  ${String(r.length).padStart(6)}  ${keys.map((k) => String(r.common[k]).padStart(Math.max(k.length, 4))).join(' ')}   ${`${r.max} (${r.maxAt})`.padEnd(24)} ${r.mean.toFixed(1)}\n`);
  out.write(`\nverdicts over ${cases.length} seccomp_data (every nr of x86_64, x86, x32 up to the largest + 10, odd numbers, personality args, foreign tokens)\n`);
  for (const [what, list] of Object.entries(differences)) {
    out.write(`  ${what}: ${list.length === 0 ? 'no difference' : `${list.length} differences`}\n`);
    for (const line of list.slice(0, 40)) out.write(`    ${line}\n`);
    if (list.length > 40) out.write(`    ... ${list.length - 40} more\n`);
  }

  const json = arg('--json');
  if (json) {
    const result = {
      profile: file,
      ociish: { firstCompileMs: median(firsts.map((f) => f.compileMs)), moduleLoadMs: median(firsts.map((f) => f.loadMs)), warmCompileUs: median(warm) },
      libseccomp: 'missing' in lib ? { missing: lib.missing } : { version: lib.version, buildUs: lib.buildUs, treeBuildUs: lib.tree?.buildUs ?? null },
      programs: rows,
      differences,
    };
    writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  }
}

main();
