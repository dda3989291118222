// The SECCOMP plan step and its listener handshake, driven through
// spawnContainer with hand-assembled classic BPF (lib/seccomp's compiler is
// not used here): the filter is checked from inside the container, a program
// the kernel refuses fails the run with nothing left behind, and a notify
// listener reaches the runtime's callback.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlan, type Plan, type Step } from '../../lib/plan';
import { spawnContainer, type SpawnOptions } from '../../lib/runtime/child';
import { loadBundleConfig } from '../../lib/spec';
import { makeBundle, ourChildren, pidNamespaceHolder, rootSkip, tempDir, type Config } from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const skip = rootSkip || (process.arch === 'x64' ? false : `the hand-assembled filters are for x86_64, not ${process.arch}`);

// linux/filter.h, linux/audit.h, linux/seccomp.h, asm/unistd_64.h, errno.h
const BPF = { LD_W_ABS: 0x20, JEQ_K: 0x15, RET_K: 0x06 } as const;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const RET = { KILL_PROCESS: 0x80000000, ERRNO: 0x00050000, ALLOW: 0x7fff0000 } as const;
const NR = { mkdir: 83, mkdirat: 258 } as const;
const EXDEV = 18;
const SECCOMP_FILTER_FLAG_LOG = 2;

/** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, little-endian. */
function insn(code: number, k: number, jt = 0, jf = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(code, 0);
  b.writeUInt8(jt, 2);
  b.writeUInt8(jf, 3);
  b.writeUInt32LE(k >>> 0, 4);
  return b;
}

/** x86_64 only (anything else is killed); mkdir and mkdirat fail with EXDEV; the rest is allowed. */
const MKDIR_EXDEV = Buffer.concat([
  insn(BPF.LD_W_ABS, 4), // seccomp_data.arch
  insn(BPF.JEQ_K, AUDIT_ARCH_X86_64, 0, 5),
  insn(BPF.LD_W_ABS, 0), // seccomp_data.nr
  insn(BPF.JEQ_K, NR.mkdir, 2, 0),
  insn(BPF.JEQ_K, NR.mkdirat, 1, 0),
  insn(BPF.RET_K, RET.ALLOW),
  insn(BPF.RET_K, RET.ERRNO | EXDEV),
  insn(BPF.RET_K, RET.KILL_PROCESS),
]);

const ALLOW_ALL = insn(BPF.RET_K, RET.ALLOW);

/** A conditional jump past the end of the program: the kernel's checker refuses it. */
const OUT_OF_RANGE = Buffer.concat([insn(BPF.LD_W_ABS, 0), insn(BPF.JEQ_K, 0, 10, 0), insn(BPF.RET_K, RET.ALLOW)]);

const SCRIPT = [
  'exec >/tmp/out.log 2>&1',
  'mkdir /tmp/x; echo "mkdir exit $?"',
  "grep -E '^Seccomp(_filters)?:' /proc/self/status",
].join('\n');

interface Setup {
  plan: Plan;
  /** The host dir bound at the container's /tmp. */
  tmp: string;
}

interface PlanOptions {
  listener?: boolean;
  flags?: number;
  edit?: (c: Config) => void;
  /** The step goes just before EXEC, or (to race its parent's PID message) right after FORK_INIT. */
  at?: 'EXEC' | 'FORK_INIT';
}

/** The default bundle with a host dir at /tmp, planned as run.ts does, with a SECCOMP step inserted. */
async function planWithSeccomp(program: Buffer, opts: PlanOptions = {}): Promise<Setup> {
  const tmp = tempDir('seccomp-tmp');
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', SCRIPT];
    c.mounts.push({ destination: '/tmp', type: 'bind', source: tmp, options: ['rbind', 'rw'] });
    opts.edit?.(c);
  });
  const plan = buildPlan(loadBundleConfig(bundle), { bundle });
  const at = opts.at ?? 'EXEC';
  const index = plan.steps.findIndex((s) => s.kind === at);
  if (index < 0) throw new Error(`the plan has no ${at} step`);
  const step: Step = { kind: 'SECCOMP', flags: opts.flags ?? 0, program, listener: opts.listener ?? false, origin: '/linux/seccomp' };
  plan.steps.splice(at === 'EXEC' ? index : index + 1, 0, step);
  return { plan, tmp };
}

/** Runs the plan to its exit; returns what the container wrote to /tmp/out.log. */
async function run(t: Test, setup: Setup, opts: SpawnOptions = {}): Promise<string> {
  const container = await spawnContainer(setup.plan, opts);
  const status = await container.exited;
  t.same(status, { pid: container.pid, exitCode: 0 }, 'the container exits 0');
  return fs.readFileSync(path.join(setup.tmp, 'out.log'), 'utf8');
}

const children = ourChildren;

function fdTarget(fd: number): string | null {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------

t.test('a loaded filter: mkdir fails with EXDEV, /proc shows one filter', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV);
  const out = await run(t, setup);
  t.match(out, /mkdir: can't create directory '\/tmp\/x': Invalid cross-device link\n/, "busybox's EXDEV message");
  t.match(out, /mkdir exit 1\n/);
  t.match(out, /^Seccomp:\t2$/m, 'filter mode');
  t.match(out, /^Seccomp_filters:\t1$/m, 'exactly our one filter');
  t.notOk(fs.existsSync(path.join(setup.tmp, 'x')), 'no directory was made');
});

t.test('flags reach seccomp(2): SECCOMP_FILTER_FLAG_LOG is accepted', { skip }, async (t) => {
  const out = await run(t, await planWithSeccomp(MKDIR_EXDEV, { flags: SECCOMP_FILTER_FLAG_LOG }));
  t.match(out, /Invalid cross-device link/);
});

t.test('a program the kernel refuses: StepError naming the step and EINVAL, nothing left', { skip }, async (t) => {
  const setup = await planWithSeccomp(OUT_OF_RANGE);
  await t.rejects(spawnContainer(setup.plan), {
    name: 'StepError',
    operation: 'load seccomp filter',
    pointer: '/linux/seccomp',
    code: 'EINVAL',
    message: 'load seccomp filter: EINVAL: invalid argument (config.json /linux/seccomp)',
  });
  t.notOk(fs.existsSync(path.join(setup.tmp, 'out.log')), 'the container process never ran');
  t.same(children(), [], 'no child process left');
});

t.test('an unknown flag: EINVAL from the kernel', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV, { flags: 1 << 30 });
  await t.rejects(spawnContainer(setup.plan), { name: 'StepError', operation: 'load seccomp filter', code: 'EINVAL' });
  t.same(children(), [], 'no child process left');
});

t.test('without no_new_privs and CAP_SYS_ADMIN the kernel refuses the filter: EACCES', { skip }, async (t) => {
  // Where the plan puts the step must respect this (runc loads early when no_new_privs is off).
  const setup = await planWithSeccomp(MKDIR_EXDEV, { edit: (c) => (c.process.noNewPrivileges = false) });
  await t.rejects(spawnContainer(setup.plan), { name: 'StepError', operation: 'load seccomp filter', code: 'EACCES' });
  t.same(children(), [], 'no child process left');
});

t.test('a listener: the callback gets a seccomp notify fd and the container pid, then the container runs', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV, { listener: true });
  const seen: { fd: number; pid: number; target: string | null }[] = [];
  const container = await spawnContainer(setup.plan, {
    onSeccompListener: (fd, pid) => {
      seen.push({ fd, pid, target: fdTarget(fd) });
    },
  });
  t.equal(seen.length, 1, 'called once');
  t.equal(seen[0]?.target, 'anon_inode:seccomp notify', 'a seccomp notify fd');
  t.equal(seen[0]?.pid, container.pid, "the container process's pid");
  t.not(fdTarget(seen[0]!.fd), 'anon_inode:seccomp notify', 'closed once the callback returned');
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
  const out = fs.readFileSync(path.join(setup.tmp, 'out.log'), 'utf8');
  t.match(out, /Invalid cross-device link/, 'the filter is in force');
  t.match(out, /^Seccomp_filters:\t1$/m);
});

t.test('a listener and an async callback: the child waits for it', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV, { listener: true });
  let resolved = false;
  const container = await spawnContainer(setup.plan, {
    onSeccompListener: async () => {
      await new Promise((r) => setTimeout(r, 200));
      t.notOk(fs.existsSync(path.join(setup.tmp, 'out.log')), 'the container has not run yet');
      resolved = true;
    },
  });
  t.ok(resolved);
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
});

t.test('a listener whose callback throws: the run fails with its error, the container never runs', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV, { listener: true });
  let got = -1;
  const boom = new Error('agent unreachable');
  await t.rejects(spawnContainer(setup.plan, { onSeccompListener: (fd) => { got = fd; throw boom; } }), boom);
  t.ok(got >= 0, 'the callback was called');
  t.not(fdTarget(got), 'anon_inode:seccomp notify', 'the fd is closed');
  t.notOk(fs.existsSync(path.join(setup.tmp, 'out.log')), 'the container process never ran');
  t.same(children(), [], 'no child process left');
});

t.test('a listener and no callback: the run fails, the container never runs', { skip }, async (t) => {
  const setup = await planWithSeccomp(MKDIR_EXDEV, { listener: true });
  await t.rejects(spawnContainer(setup.plan), {
    name: 'StepError',
    operation: 'load seccomp filter',
    code: 'ENOTSUP',
    message: /the listener cannot be delivered/,
  });
  t.notOk(fs.existsSync(path.join(setup.tmp, 'out.log')), 'the container process never ran');
  t.same(children(), [], 'no child process left');
});

t.test('a listener in a FORK_INIT plan: the pid is the init\'s', { skip }, async (t) => {
  // A pid namespace joined by path makes the plan clone the init (FORK_INIT),
  // which may ask for the listener before its parent has sent its pid.
  const sleeper = await pidNamespaceHolder(t);
  if (!t.ok(sleeper, 'a sleep in a pid namespace of its own')) return;
  const joinPidNs = (c: Config) => {
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${sleeper}/ns/pid` } : n));
  };
  // Right after FORK_INIT the init's request often beats its parent's PID
  // message (an allow-all program: the rest of the setup runs under it).
  for (const [program, at] of [[MKDIR_EXDEV, 'EXEC'], [ALLOW_ALL, 'FORK_INIT']] as const) {
    for (let round = 0; round < 10; round++) {
      const setup = await planWithSeccomp(program, { listener: true, at, edit: joinPidNs });
      let pid = 0;
      const container = await spawnContainer(setup.plan, { onSeccompListener: (_fd, p) => void (pid = p) });
      t.equal(pid, container.pid, `SECCOMP at ${at}, round ${round}: the init's pid`);
      t.same(await container.exited, { pid: container.pid, exitCode: 0 });
    }
  }
});
