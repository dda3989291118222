// The native binding (csrc/): errors shaped like Node's system errors,
// argument checks, the constants tables, waitReadable, and the spawn core
// driven with tiny hand-made plans. test/asan/run.sh runs this file against
// the ASan/UBSan build of the same sources.
import t from 'tap';
import { execFileSync, spawn as spawnProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { constants, native, type ExitStatus, type Spawned, type StepName, type SyncMessage } from '../../lib/native';
import { encodePlan } from '../../lib/plan/encode';
import type { Step, StepKind } from '../../lib/plan/steps';
import { openFds } from '../helpers/container';
import { syncMessages } from '../helpers/sync-messages';

const isRoot = process.geteuid?.() === 0;
const rootSkip: string | false = isRoot ? false : 'needs root';
const MSG = constants.messages;
const ENOENT = 2;
const BAD_FD = 987654;
/** Above any pid_max (at most 2^22), so never a live process. */
const NO_SUCH_PID = 0x7ffffff0;

/** Pids whose parent is this process (zombies included). */
function children(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-native-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function exec(args: string[], pathDirs: string[] | null = null): Step {
  return { kind: 'EXEC', args, env: ['PATH=/usr/bin:/bin'], pathDirs, preservedFds: 0, origin: '/process/args' };
}

interface Outcome {
  messages: SyncMessage[];
  status: ExitStatus;
}

/**
 * Spawns a plan with no namespaces and follows it to the end: every sync
 * message until EOF (`reply` answers each), then the exit status. The arena
 * is released only after the child is reaped.
 */
async function runPlan(plan: Buffer, reply: (m: SyncMessage, child: Spawned) => void = () => {}): Promise<Outcome> {
  const child = native.spawn(plan, 0, -1);
  let status: ExitStatus | null = null;
  try {
    const messages = await syncMessages(child.syncFd, (m) => reply(m, child));
    await native.waitReadable(child.pidfd);
    status = native.waitPidfd(child.pidfd);
    if (status === null) throw new Error('pidfd readable but the child is not reapable');
    return { messages, status };
  } finally {
    if (status === null) {
      // A failed assertion above: the child may still run in the arena.
      native.pidfdSendSignal(child.pidfd, os.constants.signals.SIGKILL);
      await native.waitReadable(child.pidfd);
      native.waitPidfd(child.pidfd);
    }
    native.closeFd(child.syncFd);
    native.closeFd(child.pidfd);
    native.releaseArena(child.arena);
  }
}

t.test('the addon under test', async (t) => {
  // test/asan/run.sh sets OCIISH_EXPECT_ADDON to the sanitized build it made.
  const mapped = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith('.node')).map((l) => l.slice(l.indexOf('/'))))];
  const ours = mapped.filter((p) => path.basename(p) === 'ociish.node');
  t.comment(`addon: ${ours.join(', ')}`);
  t.equal(ours.length, 1, 'one ociish.node is loaded');
  const expected = process.env['OCIISH_EXPECT_ADDON'];
  if (expected) t.equal(ours[0], fs.realpathSync(expected), 'the build the runner asked for');
});

t.test('system errors are shaped like Node\'s', async (t) => {
  t.throws(() => native.mount('', '/nonexistent-dir-xyz', 'tmpfs', 0), {
    name: 'Error',
    code: 'ENOENT',
    errno: -2,
    syscall: 'mount',
    path: '/nonexistent-dir-xyz',
    message: /^ENOENT: .*, mount '\/nonexistent-dir-xyz'$/,
  });
  // Node's own, for comparison: the same fields with the same types.
  let nodeErr: NodeJS.ErrnoException | undefined;
  try {
    fs.openSync('/nonexistent-dir-xyz', 'r');
  } catch (e) {
    nodeErr = e as NodeJS.ErrnoException;
  }
  let ours: NodeJS.ErrnoException | undefined;
  try {
    native.mount('', '/nonexistent-dir-xyz', 'tmpfs', 0);
  } catch (e) {
    ours = e as NodeJS.ErrnoException;
  }
  t.ok(ours instanceof Error, 'an Error instance');
  for (const key of ['code', 'errno', 'path'] as const) t.equal(ours?.[key], nodeErr?.[key], key);

  t.throws(() => native.umount2('/nonexistent-dir-xyz'), { code: 'ENOENT', errno: -2, syscall: 'umount2', path: '/nonexistent-dir-xyz' });
  t.throws(() => native.umount2('/nonexistent-dir-xyz', 2), { code: 'ENOENT', syscall: 'umount2' }, 'with flags');
  t.throws(() => native.pivotRoot('/nonexistent-dir-xyz', '/nonexistent-dir-xyz/old'), {
    code: isRoot ? 'ENOENT' : 'EPERM',
    syscall: 'pivot_root',
    path: '/nonexistent-dir-xyz',
  });
  t.throws(() => native.mount('', '/nonexistent-dir-xyz', 'tmpfs', 0, 'size=1k'), { code: 'ENOENT' }, 'with data');
});

t.test('setns and unshare refuse in a multithreaded process', async (t) => {
  const threads = /\d+ threads/;
  const netBefore = fs.readlinkSync('/proc/self/ns/net');
  t.throws(() => native.setns('/proc/self/ns/net', constants.clone.CLONE_NEWNET), {
    code: 'EINVAL',
    errno: -22,
    syscall: 'setns',
    message: threads,
  });
  t.throws(() => native.unshare(constants.clone.CLONE_NEWNET), { code: 'EINVAL', errno: -22, syscall: 'unshare', message: threads });
  t.throws(() => native.unshare(constants.clone.CLONE_NEWUSER), { code: 'EINVAL', syscall: 'unshare', message: /^EINVAL: unshare from a process with \d+ threads/ });
  // The refusal comes before the path is even opened.
  t.throws(() => native.setns('/nonexistent-dir-xyz', 0), { code: 'EINVAL', syscall: 'setns' });
  t.equal(fs.readlinkSync('/proc/self/ns/net'), netBefore, 'still in our own network namespace');
});

t.test('sethostname never changes the host on a bad name', async (t) => {
  const before = os.hostname();
  t.throws(() => native.sethostname('x'.repeat(100)), { code: isRoot ? 'EINVAL' : 'EPERM', syscall: 'sethostname' });
  t.equal(os.hostname(), before);
});

t.test('writeKernelFile', async (t) => {
  t.throws(() => native.writeKernelFile('/nonexistent-dir-xyz/cgroup.procs', '1'), {
    code: 'ENOENT',
    errno: -2,
    syscall: 'open',
    path: '/nonexistent-dir-xyz/cgroup.procs',
    message: /^ENOENT: /,
  });
  // The kernel's own errno for a value it rejects, from the write itself.
  t.throws(() => native.writeKernelFile('/proc/self/oom_score_adj', 'not a number'), {
    code: 'EINVAL',
    syscall: 'write',
    path: '/proc/self/oom_score_adj',
  });
  const dir = tempDir();
  t.throws(() => native.writeKernelFile(dir, 'x'), { code: 'EISDIR', syscall: 'open', path: dir });
  // One write of the whole value.
  const file = path.join(dir, 'value');
  fs.writeFileSync(file, '');
  native.writeKernelFile(file, 'a'.repeat(10000));
  t.equal(fs.readFileSync(file, 'utf8').length, 10000);
});

t.test('flock', async (t) => {
  const file = path.join(tempDir(), 'lock');
  fs.writeFileSync(file, '');
  // Two opens: flock locks belong to the open file, not to the process.
  const a = fs.openSync(file, 'r');
  const b = fs.openSync(file, 'r');
  t.teardown(() => (fs.closeSync(a), fs.closeSync(b)));
  t.equal(native.flock(a, true, false), true, 'exclusive, not waiting: granted');
  t.equal(native.flock(b, true, false), false, 'a second exclusive lock: false, not an error');
  t.equal(native.flock(b, false, false), false, 'nor a shared one');
  t.equal(native.flock(a, false, true), true, 'the holder may turn it into a shared lock');
  t.equal(native.flock(b, false, false), true, 'then a second shared lock is granted');
  t.equal(native.flock(a, true, false), false, 'and no exclusive one while it is shared');
  // Another process sees the lock too (flock(1), non-blocking).
  const other = spawnSync('flock', ['-n', '-x', file, 'true']);
  t.equal(other.status, 1, 'flock(1) -n -x fails while we hold a shared lock');
  t.throws(() => native.flock(BAD_FD, true, false), { code: 'EBADF', errno: -9, syscall: 'flock' }, 'other errors throw');

  // Waiting: another process holds it for a moment.
  const file2 = path.join(tempDir(), 'lock');
  fs.writeFileSync(file2, '');
  const holder = spawnProcess('flock', ['-x', file2, 'sh', '-c', 'echo held; sleep 0.3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  const c = fs.openSync(file2, 'r');
  t.teardown(() => fs.closeSync(c));
  t.equal(native.flock(c, true, false), false, 'held elsewhere');
  const start = Date.now();
  t.equal(native.flock(c, true, true), true, 'waiting: granted once released');
  t.ok(Date.now() - start >= 100, `after waiting ${Date.now() - start} ms`);
});

t.test('replaceFile', async (t) => {
  const dir = tempDir();
  const from = path.join(dir, 'state.json.tmp');
  const to = path.join(dir, 'state.json');
  fs.writeFileSync(from, 'one');
  native.replaceFile(from, to);
  t.equal(fs.readFileSync(to, 'utf8'), 'one', 'no file there yet: moved');
  fs.writeFileSync(from, 'two');
  const ino = fs.statSync(from).ino;
  native.replaceFile(from, to);
  t.equal(fs.readFileSync(to, 'utf8'), 'two', 'an existing file is replaced');
  t.equal(fs.statSync(to).ino, ino, 'by the very file written');
  t.same(fs.readdirSync(dir), ['state.json'], 'and the old one is gone');
  t.throws(() => native.replaceFile(from, to), { code: 'ENOENT', syscall: 'rename' }, 'nothing to move: ENOENT');
  t.equal(fs.readFileSync(to, 'utf8'), 'two', 'and the target is left as it was');
});

t.test('writeFileAtomic: written, then moved into place, on a worker thread', async (t) => {
  const dir = tempDir();
  const to = path.join(dir, 'state.json');
  await native.writeFileAtomic(`${to}.tmp`, to, '{"a":1}', 0o600);
  t.equal(fs.readFileSync(to, 'utf8'), '{"a":1}');
  t.equal(fs.statSync(to).mode & 0o777, 0o600, 'with the mode asked for');
  await native.writeFileAtomic(`${to}.tmp`, to, 'é', 0o600);
  t.equal(fs.readFileSync(to, 'utf8'), 'é', 'replaced (UTF-8)');
  t.same(fs.readdirSync(dir), ['state.json'], 'no tmp left');
  await t.rejects(native.writeFileAtomic(path.join(dir, 'no/such/x.tmp'), to, '', 0o600), { code: 'ENOENT', syscall: 'open' });
  t.equal(fs.readFileSync(to, 'utf8'), 'é', 'a failed write leaves the file as it was');
});

t.test('process and sync-socket bindings on bad input', async (t) => {
  t.throws(() => native.pidfdOpen(NO_SUCH_PID), { code: 'ESRCH', errno: -3, syscall: 'pidfd_open' });
  t.throws(() => native.pidfdOpen(-1), { code: 'EINVAL', syscall: 'pidfd_open' });
  t.throws(() => native.pidfdSendSignal(BAD_FD, 0), { code: 'EBADF', errno: -9, syscall: 'pidfd_send_signal' });
  t.throws(() => native.waitPidfd(BAD_FD), { code: 'EBADF', syscall: 'waitid' });
  t.throws(() => native.closeFd(BAD_FD), { code: 'EBADF', syscall: 'close' });
  t.throws(() => native.recvSyncMsg(BAD_FD), { code: 'EBADF', syscall: 'recvmsg' });
  t.throws(() => native.sendSyncMsg(BAD_FD, MSG.GO, 0, 0), { code: 'EBADF', syscall: 'send' });
  for (const e of [() => native.pidfdOpen(NO_SUCH_PID), () => native.closeFd(BAD_FD)]) {
    try {
      e();
    } catch (err) {
      t.equal((err as NodeJS.ErrnoException).path, undefined, 'no path when there is none');
    }
  }

  // A pidfd of ourselves works and is not reapable (not our child).
  const self = native.pidfdOpen(process.pid);
  t.ok(self > 2, 'a pidfd');
  native.pidfdSendSignal(self, 0);
  t.throws(() => native.waitPidfd(self), { code: 'ECHILD', syscall: 'waitid' });
  native.closeFd(self);
});

t.test('wrong argument types throw TypeErrors naming the argument', async (t) => {
  const n = native as unknown as Record<string, (...args: unknown[]) => unknown>;
  const cases: [string, unknown[], RegExp][] = [
    ['mount', [1, '/x', 'tmpfs', 0], /argument 'source' must be a string/],
    ['mount', ['', '/x', 'tmpfs', '0'], /argument 'flags' must be an integer/],
    ['mount', ['', '/x', 'tmpfs', 0, 5], /argument 'data' must be a string/],
    ['mount', [], /argument 'source' must be a string/],
    ['umount2', [null], /argument 'target' must be a string/],
    ['pivotRoot', ['/a'], /argument 'putOld' must be a string/],
    ['setns', ['/proc/self/ns/net'], /argument 'nstype' must be an integer/],
    ['unshare', ['CLONE_NEWNET'], /argument 'flags' must be an integer/],
    ['sethostname', [{}], /argument 'name' must be a string/],
    ['writeKernelFile', ['/x'], /argument 'value' must be a string/],
    ['writeKernelFile', [Buffer.from('/x'), 'v'], /argument 'path' must be a string/],
    ['waitReadable', ['0'], /argument 'fd' must be an integer/],
    ['pidfdOpen', ['1'], /argument 'pid' must be an integer/],
    ['pidfdSendSignal', [3, 'SIGKILL'], /argument 'signal' must be an integer/],
    ['waitPidfd', [undefined], /argument 'pidfd' must be an integer/],
    ['closeFd', [], /argument 'fd' must be an integer/],
    ['recvSyncMsg', ['x'], /argument 'fd' must be an integer/],
    ['sendSyncMsg', [3, 1, 0], /argument 'value' must be an integer/],
    ['spawn', ['plan', 0, -1], /argument 'plan' must be a Buffer/],
    ['spawn', [encodePlan([exec(['/bin/true'])]), '0', -1], /argument 'cloneFlags' must be an integer/],
    ['spawn', [encodePlan([exec(['/bin/true'])]), 0], /argument 'cgroupFd' must be an integer/],
    ['spawn', [encodePlan([exec(['/bin/true'])]), 0, -1, 3, 1], /argument 'ownMemory' must be a boolean/],
    ['flock', ['0', true, true], /argument 'fd' must be an integer/],
    ['flock', [0, 1, true], /argument 'exclusive' must be a boolean/],
    ['flock', [0, true], /argument 'wait' must be a boolean/],
    ['releaseArena', [{}], /argument 'arena' must be a spawn arena/],
    ['releaseArena', [], /argument 'arena' must be a spawn arena/],
  ];
  const before = children();
  for (const [name, args, message] of cases) {
    t.throws(() => n[name]!(...args), { name: 'TypeError', message }, `${name}(${args.map((a) => typeof a).join(', ')})`);
  }
  t.same(children(), before, 'no child was spawned');
  // Integers may come as BigInt.
  t.throws(() => native.pidfdOpen(BigInt(NO_SUCH_PID) as unknown as number), { code: 'ESRCH' });
});

t.test('constants come from the kernel headers', async (t) => {
  const c = constants;
  t.match(c.clone, {
    CLONE_NEWNS: 0x00020000,
    CLONE_NEWCGROUP: 0x02000000,
    CLONE_NEWUTS: 0x04000000,
    CLONE_NEWIPC: 0x08000000,
    CLONE_NEWUSER: 0x10000000,
    CLONE_NEWPID: 0x20000000,
    CLONE_NEWNET: 0x40000000,
    CLONE_NEWTIME: 0x00000080,
  });
  t.match(c.mount, { MS_RDONLY: 1, MS_BIND: 4096, MS_REC: 16384, MS_PRIVATE: 1 << 18, MS_SLAVE: 1 << 19, MOUNT_ATTR_RDONLY: 1 });
  t.match(c.mode, { S_IFMT: 0o170000, S_IFCHR: 0o020000, S_IFDIR: 0o040000 });
  t.equal(c.rlimit['RLIMIT_NOFILE'], 7);
  t.same(c.plan, { MAGIC: 0x5043494f, VERSION: 1, MAX_GROUPS: 4 });

  const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const caps = c.capabilities;
  t.ok(Object.keys(caps).length >= lastCap + 1, `${Object.keys(caps).length} capabilities >= cap_last_cap + 1 = ${lastCap + 1}`);
  const bits = new Set(Object.values(caps));
  t.equal(bits.size, Object.keys(caps).length, 'capability numbers are distinct');
  for (let cap = 0; cap <= lastCap; cap++) t.ok(bits.has(cap), `capability ${cap} has a name`);
  t.equal(caps['CAP_SYS_ADMIN'], 21);
});

// Every kind of lib/plan/steps.ts's Step union, checked by the compiler: a
// kind added there (or here) without the other fails to compile.
const STEP_KINDS: Record<StepKind, true> = {
  SETNS: true, UNSHARE: true, SYNC_IDMAPS: true, SYNC_CGROUPS: true, ENTER_CGROUP: true, SET_ROOT_IDS: true, ROOTFS: true, MOUNT: true, MKNOD: true,
  SYMLINK: true, MASK: true, READONLY: true, PIVOT_ROOT: true, ROOT_READONLY: true, ROOT_PROPAGATION: true,
  HOSTNAME: true, DOMAINNAME: true, WRITE_FILE: true, LOOPBACK_UP: true, RLIMIT: true, CAP_BOUNDING: true,
  SET_USER: true, CAPS: true, UMASK: true, NO_NEW_PRIVS: true, CHDIR: true, BARRIER: true, EXEC: true, FORK_INIT: true, MKDIR: true,
  SECCOMP: true, OPEN_BARRIER: true, CHECK_EXEC: true, CONSOLE: true, SYNC_HOOKS: true, STDIN_DATA: true, SETNS_PID: true, SESSION_KEYRING: true,
};
// binding.ts's StepName must be the same set as steps.ts's StepKind.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stepNamesMatch: Same<StepKind, StepName> = true;

t.test('steps and messages tables match lib/plan', async (t) => {
  t.ok(stepNamesMatch, 'StepName (binding.ts) and StepKind (steps.ts) are the same set');
  const kinds = Object.keys(STEP_KINDS);
  // The source too, in case dist/ is stale against lib/.
  const source = fs.readFileSync(path.resolve(__dirname, '../../../lib/plan/steps.ts'), 'utf8');
  const union = source.slice(source.indexOf('export type Step ='), source.indexOf('export type StepKind'));
  const fromSource = [...union.matchAll(/kind: '([A-Z_]+)'/g)].map((m) => m[1]!);
  t.same(fromSource.slice().sort(), kinds.slice().sort(), 'kinds in lib/plan/steps.ts');

  const steps = constants.steps as Record<string, number>;
  for (const kind of kinds) t.ok(Number.isInteger(steps[kind]) && steps[kind]! > 0, `${kind} has a step number`);
  t.same(Object.keys(steps).sort(), kinds.slice().sort(), 'no step number without a kind');
  t.equal(new Set(Object.values(steps)).size, kinds.length, 'step numbers are distinct');

  t.same(Object.keys(MSG).sort(), ['ABORT', 'CGROUPS', 'CONSOLE', 'ERROR', 'EXEC', 'GO', 'HOOKS', 'IDMAPS', 'PID', 'READY', 'SECCOMP', 'WAITING']);
  t.equal(new Set(Object.values(MSG)).size, 12, 'message numbers are distinct');
  t.match(MSG, { WAITING: 10, CONSOLE: 11, HOOKS: 12 });
  t.match(constants.steps, { OPEN_BARRIER: 31, CHECK_EXEC: 32, CONSOLE: 33, SYNC_HOOKS: 34 });
});

t.test('waitReadable', async (t) => {
  const dir = tempDir();
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // O_RDWR: a FIFO opened both ways never blocks the open and never sees EOF.
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  t.teardown(() => fs.closeSync(fd));

  t.test('resolves for a fifo with data, and the continuation runs promptly', async (t) => {
    fs.writeSync(fd, 'x');
    // A continuation that waits for the next unrelated callback would show as
    // this timer's delay.
    const sentinel = setTimeout(() => {}, 3000);
    const start = process.hrtime.bigint();
    const p = native.waitReadable(fd);
    t.ok(p instanceof Promise, 'a promise');
    await p;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    clearTimeout(sentinel);
    t.ok(ms < 1000, `resolved after ${ms.toFixed(1)} ms`);
    t.equal(fs.readSync(fd, Buffer.alloc(1)), 1, 'the byte is there');
  });

  t.test('waits until data arrives', async (t) => {
    let resolved = false;
    const p = native.waitReadable(fd).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 100));
    t.equal(resolved, false, 'pending while the fifo is empty');
    fs.writeSync(fd, 'y');
    const start = process.hrtime.bigint();
    const sentinel = setTimeout(() => {}, 3000);
    await p;
    clearTimeout(sentinel);
    t.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000, 'promptly after the write');
    t.equal(resolved, true);
    fs.readSync(fd, Buffer.alloc(1));
  });

  t.test('sequential waits on the same fd (as a sync-socket loop does)', async (t) => {
    for (let i = 0; i < 20; i++) {
      fs.writeSync(fd, 'z');
      await native.waitReadable(fd);
      fs.readSync(fd, Buffer.alloc(1));
    }
    t.pass('20 rounds');
  });

  t.test('a bad fd', async (t) => {
    t.throws(() => native.waitReadable(BAD_FD), { code: 'EBADF', syscall: 'uv_poll_init' });
  });

  t.test('one waiter per fd: a second concurrent wait is refused, the first still resolves', async (t) => {
    // libuv allows one poll handle per fd; the addon refuses a second waiter.
    const first = native.waitReadable(fd);
    t.throws(() => native.waitReadable(fd), { code: 'EBUSY', syscall: 'waitReadable' });
    fs.writeSync(fd, 'w');
    await first;
    fs.readSync(fd, Buffer.alloc(1));
    t.pass('the first waiter resolved');
  });

  t.test('closeFd cancels a pending wait, so the fd number is free for a new one', async (t) => {
    const other = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const pending = native.waitReadable(other);
    native.closeFd(other);
    await t.rejects(pending, { code: 'ECANCELED', syscall: 'waitReadable' });
    const reused = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    t.teardown(() => fs.closeSync(reused));
    fs.writeSync(reused, 'r');
    await native.waitReadable(reused); // would throw EBUSY if the old wait were still registered
    t.equal(fs.readSync(reused, Buffer.alloc(1)), 1);
  });
});

t.test('spawn refuses a malformed plan and leaves no child', async (t) => {
  const good = encodePlan([exec(['/bin/true'])]);
  const unterminated = Buffer.alloc(40, 0);
  unterminated.writeUInt32LE(constants.plan.MAGIC, 0);
  unterminated.writeUInt32LE(constants.plan.VERSION, 4);
  unterminated.writeUInt32LE(1, 8); // one step
  unterminated.writeUInt32LE(constants.steps.HOSTNAME, 16);
  unterminated.writeUInt32LE(0, 24); // no ints
  unterminated.writeUInt32LE(1, 28); // one group
  unterminated.writeUInt32LE(1, 32); // of one string
  unterminated.write('abcd', 36, 'latin1'); // and no NUL up to the end
  const badMagic = Buffer.from(good);
  badMagic.writeUInt32LE(0xdeadbeef, 0);
  const badVersion = Buffer.from(good);
  badVersion.writeUInt32LE(99, 4);
  const tooManyGroups = Buffer.from(good);
  tooManyGroups.writeUInt32LE(constants.plan.MAX_GROUPS + 1, 16 + 12);
  const moreSteps = Buffer.from(good);
  moreSteps.writeUInt32LE(2, 8);
  const trailing = Buffer.concat([good, Buffer.alloc(8)]);

  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /^spawn: invalid plan: bad magic$/],
    ['bad magic', badMagic, /^spawn: invalid plan: bad magic$/],
    ['unsupported version', badVersion, /^spawn: invalid plan: unsupported version$/],
    ['truncated in the ints', good.subarray(0, 40), /^spawn: invalid plan: truncated ints$/],
    ['truncated in the strings', good.subarray(0, good.length - 8), /^spawn: invalid plan: (unterminated string|malformed plan)$/],
    ['unterminated string', unterminated, /^spawn: invalid plan: unterminated string$/],
    ['too many groups', tooManyGroups, /^spawn: invalid plan: too many groups$/],
    ['more steps than bytes', moreSteps, /^spawn: invalid plan: malformed plan$/],
    ['trailing bytes', trailing, /^spawn: invalid plan: malformed plan$/],
  ];
  const fdsBefore = openFds();
  const childrenBefore = children();
  for (const [name, plan, message] of cases) t.throws(() => native.spawn(plan, 0, -1), { name: 'Error', message }, name);
  t.same(children(), childrenBefore, 'no child');
  t.same(openFds(), fdsBefore, 'no fd left open');
});

t.test('spawn refuses a plan whose length is not a multiple of 8, saying why', async (t) => {
  const good = encodePlan([exec(['/bin/true'])]);
  const childrenBefore = children();
  t.throws(() => native.spawn(good.subarray(0, good.length - 3), 0, -1), { message: /^spawn: invalid plan: / }, 'refused');
  t.same(children(), childrenBefore, 'no child');
  t.throws(() => native.spawn(good.subarray(0, good.length - 3), 0, -1), { message: 'spawn: invalid plan: length is not a multiple of 8' }, 'with a reason');
});

/** A SECCOMP step; root may load a filter without no_new_privs (CAP_SYS_ADMIN). */
function seccomp(program: Buffer, listener: boolean): Step {
  return { kind: 'SECCOMP', flags: 0, program, listener, origin: '/linux/seccomp' };
}

/** ret SECCOMP_RET_ALLOW: one sock_filter, any architecture. */
const ALLOW_ALL = Buffer.from([0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]);

t.test('recvSyncMsg: one fd kept, extra fds closed, truncated control data is EPROTO', { skip: hasPython() ? false : 'needs python3' }, async (t) => {
  // The sender is python on a socketpair Node makes for a child's stdio
  // (fd 3 there); Node's own reads on our end are stopped, so recvSyncMsg
  // sees every message. `_handle` is Node's internal: test-only.
  const sender = [
    'import os, socket, struct, sys',
    's = socket.socket(fileno=3)',
    'def msg(kind, value): return [struct.pack("<Iiq", kind, 7, value)]',
    'fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]',
    'socket.send_fds(s, msg(9, 1), fds[:1])',
    'socket.send_fds(s, msg(9, 2), fds[:2])',
    'socket.send_fds(s, msg(9, 3), fds[:3])',
    's.send(msg(4, 4)[0])',
    'print("sent", flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const py = spawnProcess('python3', ['-c', sender], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
  t.teardown(() => void py.kill('SIGKILL'));
  const ours = py.stdio[3] as unknown as { pause(): void; _handle: { readStop(): void; fd: number } };
  ours.pause();
  ours._handle.readStop();
  const fd = ours._handle.fd;
  await new Promise<void>((resolve) => py.stdout!.once('data', () => resolve()));
  const before = openFds();
  const one = native.recvSyncMsg(fd)!;
  t.match(one, { kind: 9, step: 7, value: 1, fd: Number }, 'one fd');
  t.equal(fs.readlinkSync(`/proc/self/fd/${one.fd}`), '/dev/null');
  const two = native.recvSyncMsg(fd)!;
  t.match(two, { kind: 9, value: 2, fd: Number }, 'two fds: the first comes back');
  t.same(openFds().length, before.length + 2, 'the second was closed');
  t.throws(() => native.recvSyncMsg(fd), { code: 'EPROTO', syscall: 'recvmsg' }, 'three fds do not fit: EPROTO');
  t.same(openFds().length, before.length + 2, 'and none of them stays open');
  t.same(native.recvSyncMsg(fd), { kind: 4, step: 7, value: 4 }, 'a message without an fd has no fd field');
  native.closeFd(one.fd!);
  native.closeFd(two.fd!);
  py.stdin!.end();
});

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import socket; socket.send_fds'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

t.test('newNetns: a new network namespace, loopback up, made on a worker thread that returns to its own', { skip: rootSkip }, async (t) => {
  const own = fs.readlinkSync('/proc/self/ns/net');
  const fd = await native.newNetns();
  t.teardown(() => native.closeFd(fd));
  const made = fs.readlinkSync(`/proc/self/fd/${fd}`);
  t.match(made, /^net:\[\d+\]$/);
  t.not(made, own, 'not ours');
  const threads = fs.readdirSync('/proc/self/task').map((tid) => fs.readlinkSync(`/proc/self/task/${tid}/ns/net`));
  t.ok(threads.every((ns) => ns === own), 'every thread is in our own namespace again');
  // ip asks the kernel by netlink in the namespace nsenter joined (/sys would show the host's).
  const lo = spawnSync('nsenter', [`--net=/proc/${process.pid}/fd/${fd}`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
  t.equal(lo.status, 0, lo.stderr);
  t.match(lo.stdout, /^1: lo: <LOOPBACK,UP,LOWER_UP>/, 'only lo, and up');
  t.equal(lo.stdout.trim().split('\n').length, 1);
});

t.test('a real spawn (no namespaces)', { skip: rootSkip }, async (t) => {
  t.test('exec /bin/true: EOF on the sync socket, exit code 0', async (t) => {
    const child = native.spawn(encodePlan([exec(['/bin/true'])]), 0, -1);
    t.ok(child.pid > 0 && child.pidfd > 2 && child.syncFd > 2, 'pid, pidfd and sync fd');
    await native.waitReadable(child.syncFd);
    t.same(native.recvSyncMsg(child.syncFd), { kind: MSG.EXEC, step: 0, value: 0 }, 'EXEC: setup done');
    await native.waitReadable(child.syncFd);
    t.equal(native.recvSyncMsg(child.syncFd), null, 'EOF: the exec happened');
    await native.waitReadable(child.pidfd);
    t.same(native.waitPidfd(child.pidfd), { pid: child.pid, exitCode: 0 });
    native.closeFd(child.syncFd);
    native.closeFd(child.pidfd);
    native.releaseArena(child.arena);
    native.releaseArena(child.arena); // a second release is harmless
  });

  t.test('exec of a missing file: ERROR {step 0, ENOENT}', async (t) => {
    const { messages, status } = await runPlan(encodePlan([exec(['/nonexistent-dir-xyz/true'])]));
    t.same(messages, [{ kind: MSG.EXEC, step: 0, value: 0 }, { kind: MSG.ERROR, step: 0, value: ENOENT }], 'EXEC, then the failed execve');
    t.match(status, { exitCode: 1 });
  });

  t.test('the step index of a later failure', async (t) => {
    const steps: Step[] = [{ kind: 'UMASK', mask: 0o22, origin: '' }, { kind: 'CHDIR', path: '/nonexistent-dir-xyz', soft: false, origin: '/process/cwd' }, exec(['/bin/true'])];
    const { messages, status } = await runPlan(encodePlan(steps));
    t.same(messages, [{ kind: MSG.ERROR, step: 1, value: ENOENT }]);
    t.match(status, { exitCode: 1 });
  });

  t.test('PATH lookup through the plan\'s directories', async (t) => {
    const execMsg = { kind: MSG.EXEC, step: 0, value: 0 };
    t.same(await runPlan(encodePlan([exec(['true'], ['/nonexistent-dir-xyz', '/usr/bin', '/bin'])])).then((o) => o.messages), [execMsg], 'found');
    const missing = await runPlan(encodePlan([exec(['no-such-command-xyz'], ['/usr/bin', '/bin'])]));
    t.same(missing.messages, [execMsg, { kind: MSG.ERROR, step: 0, value: ENOENT }], 'not found');
  });

  t.test('an empty plan and an unknown step kind fail in the child', async (t) => {
    const empty = await runPlan(encodePlan([]));
    t.same(empty.messages, [{ kind: MSG.ERROR, step: 0, value: 8 /* ENOEXEC */ }], 'no EXEC: ENOEXEC');
    const unknown = Buffer.alloc(32);
    unknown.writeUInt32LE(constants.plan.MAGIC, 0);
    unknown.writeUInt32LE(constants.plan.VERSION, 4);
    unknown.writeUInt32LE(1, 8);
    unknown.writeUInt32LE(999, 16);
    const r = await runPlan(unknown);
    t.same(r.messages, [{ kind: MSG.ERROR, step: 0, value: 38 /* ENOSYS */ }], 'unknown kind: ENOSYS');
  });

  t.test('the start barrier: READY, then GO or ABORT', async (t) => {
    const plan = encodePlan([{ kind: 'BARRIER', origin: '' }, exec(['/bin/true'])]);
    let stillRunning: unknown;
    const go = await runPlan(plan, (m, child) => {
      if (m.kind !== MSG.READY) return;
      stillRunning = native.waitPidfd(child.pidfd);
      native.sendSyncMsg(child.syncFd, MSG.GO, 0, 0);
    });
    t.same(go.messages, [{ kind: MSG.READY, step: 0, value: 0 }, { kind: MSG.EXEC, step: 1, value: 0 }], 'READY, then EXEC');
    t.equal(stillRunning, null, 'waitPidfd is null while the child waits');
    t.same(go.status, { pid: go.status.pid, exitCode: 0 }, 'GO: exec');

    const abort = await runPlan(plan, (m, child) => {
      if (m.kind === MSG.READY) native.sendSyncMsg(child.syncFd, MSG.ABORT, 0, 125);
    });
    t.same(abort.messages, [{ kind: MSG.READY, step: 0, value: 0 }, { kind: MSG.ERROR, step: 0, value: 125 }], 'ABORT: the errno comes back');
    t.match(abort.status, { exitCode: 1 });
  });

  t.test('pidfdSendSignal kills a child waiting at the barrier', async (t) => {
    const r = await runPlan(encodePlan([{ kind: 'BARRIER', origin: '' }, exec(['/bin/true'])]), (m, child) => {
      if (m.kind === MSG.READY) native.pidfdSendSignal(child.pidfd, os.constants.signals.SIGKILL);
    });
    t.same(r.status, { pid: r.status.pid, signal: os.constants.signals.SIGKILL, coreDumped: false });
  });

  t.test('no fd leak and no child left over 50 spawns', async (t) => {
    const plan = encodePlan([exec(['/bin/true'])]);
    await runPlan(plan); // warm up whatever libuv opens once
    const fdsBefore = openFds();
    const childrenBefore = children();
    for (let i = 0; i < 50; i++) {
      const r = await runPlan(plan);
      if (r.messages.length !== 1 || r.messages[0]!.kind !== MSG.EXEC || !('exitCode' in r.status) || r.status.exitCode !== 0) {
        t.fail(`spawn ${i}: ${JSON.stringify(r)}`);
        break;
      }
    }
    t.same(openFds(), fdsBefore, 'same fds');
    t.same(children(), childrenBefore, 'no child left');
  });

  t.test('SECCOMP with a listener: the fd comes with the message; GO or ABORT', async (t) => {
    const plan = encodePlan([seccomp(ALLOW_ALL, true), exec(['/bin/true'])]);
    const fdsBefore = openFds();
    const targets: string[] = [];
    const go = await runPlan(plan, (m, child) => {
      if (m.kind !== MSG.SECCOMP) return;
      targets.push(fs.readlinkSync(`/proc/self/fd/${m.fd}`));
      native.closeFd(m.fd!);
      native.sendSyncMsg(child.syncFd, MSG.GO, 0, 0);
    });
    t.match(go.messages, [{ kind: MSG.SECCOMP, step: 0, value: Number, fd: Number }, { kind: MSG.EXEC, step: 1, value: 0 }], 'SECCOMP with an fd, then EXEC');
    t.same(targets, ['anon_inode:seccomp notify'], 'the listener');
    t.same(go.status, { pid: go.status.pid, exitCode: 0 });

    const abort = await runPlan(plan, (m, child) => {
      if (m.kind !== MSG.SECCOMP) return;
      native.closeFd(m.fd!);
      native.sendSyncMsg(child.syncFd, MSG.ABORT, 0, 125);
    });
    t.match(abort.messages, [{ kind: MSG.SECCOMP, step: 0 }, { kind: MSG.ERROR, step: 0, value: 125 }], 'ABORT: the errno comes back');
    t.match(abort.status, { exitCode: 1 });
    t.same(openFds(), fdsBefore, 'no fd left open');
  });

  t.test('SECCOMP without a listener: no message; a refused program is the step\'s EINVAL', async (t) => {
    const ok = await runPlan(encodePlan([seccomp(ALLOW_ALL, false), exec(['/bin/true'])]));
    t.same(ok.messages, [{ kind: MSG.EXEC, step: 1, value: 0 }]);
    t.same(ok.status, { pid: ok.status.pid, exitCode: 0 });
    const bad = await runPlan(encodePlan([seccomp(Buffer.alloc(0), false), exec(['/bin/true'])]));
    t.same(bad.messages, [{ kind: MSG.ERROR, step: 0, value: 22 /* EINVAL: an empty program */ }]);
  });

  t.test('concurrent spawns', async (t) => {
    const plan = encodePlan([exec(['/bin/true'])]);
    const results = await Promise.all(Array.from({ length: 10 }, () => runPlan(plan)));
    t.same(results.map((r) => r.status.pid > 0 && 'exitCode' in r.status && r.status.exitCode), Array(10).fill(0));
  });
});
