// linux.seccomp in real containers run through `ociish run`: what the
// container's process sees when a rule matches (the errno, the signal, the
// agent's answer), that the filter is installed (/proc/self/status), and
// that podman's profile runs an ordinary busybox workload. The verdicts for
// every syscall and argument are the unit tests' business (a BPF
// interpreter); here the kernel runs the programs.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { leftoverState, makeBundle, ociish, processesMentioning, ranOk, rootSkip, runScript, tempDir, uniqueId, type Config } from '../helpers/container';

const podmanSeccomp = (): Config =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'spec', 'podman-run-config.json'), 'utf8')).linux.seccomp;

const x86Skip = process.arch === 'x64' ? false : 'the profiles below name x86_64 syscalls';
const skip = rootSkip || x86Skip;

/** busybox's mkdir calls mkdir(2) or mkdirat(2), depending on its libc. */
const MKDIR = ['mkdir', 'mkdirat'];
const SIGSYS = 31;

/** Everything allowed but these rules. */
const allowAllBut = (...syscalls: Config[]): Config => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });

const withSeccomp = (seccomp: Config) => (c: Config) => (c.linux.seccomp = seccomp);

const STATUS = "grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' /proc/self/status";

t.test('a denied syscall returns errnoRet, and the filter is installed once', { skip }, async (t) => {
  const r = await runScript(`mkdir /dev/shm/x 2>&1; ${STATUS}`, withSeccomp(allowAllBut({ names: MKDIR, action: 'SCMP_ACT_ERRNO', errnoRet: 18 })));
  ranOk(t, r);
  t.match(r.stdout, /mkdir: can't create directory '\/dev\/shm\/x': Invalid cross-device link/);
  t.match(r.stdout, /^Seccomp:\t2$/m, 'filter mode');
  t.match(r.stdout, /^Seccomp_filters:\t1$/m, 'one filter');
});

t.test('ERRNO without errnoRet is EPERM; defaultErrnoRet is the default action\'s errno', { skip }, async (t) => {
  const eperm = await runScript('mkdir /dev/shm/x 2>&1; echo rc=$?', withSeccomp(allowAllBut({ names: MKDIR, action: 'SCMP_ACT_ERRNO' })));
  ranOk(t, eperm);
  t.match(eperm.stdout, /Operation not permitted\nrc=1/);

  // podman's profile without mkdir in its allow list: mkdir meets the default (ERRNO 38).
  const profile = podmanSeccomp();
  for (const rule of profile.syscalls) rule.names = rule.names.filter((n: string) => !MKDIR.includes(n));
  profile.syscalls = profile.syscalls.filter((rule: Config) => rule.names.length > 0);
  const enosys = await runScript('mkdir /dev/shm/x 2>&1; echo rc=$?', withSeccomp(profile));
  ranOk(t, enosys);
  t.match(enosys.stdout, /Function not implemented\nrc=1/);
});

t.test('KILL, KILL_THREAD, KILL_PROCESS and TRAP end the process with SIGSYS', { skip }, async (t) => {
  for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']) {
    const bundle = await makeBundle((c) => {
      c.process.args = ['/bin/mkdir', '/dev/shm/x'];
      c.linux.seccomp = allowAllBut({ names: MKDIR, action });
    });
    const r = ociish(['run', '-b', bundle, uniqueId('kill')]);
    t.equal(r.status, 128 + SIGSYS, `${action}: exit status 128+SIGSYS (stderr: ${r.stderr.trim() || '-'})`);
  }
});

t.test('TRACE without a tracer fails the syscall with ENOSYS; LOG allows it', { skip }, async (t) => {
  const trace = await runScript('mkdir /dev/shm/x 2>&1; echo rc=$?', withSeccomp(allowAllBut({ names: MKDIR, action: 'SCMP_ACT_TRACE', errnoRet: 7 })));
  ranOk(t, trace);
  t.match(trace.stdout, /Function not implemented\nrc=1/);
  const log = await runScript('mkdir /dev/shm/x && ls -d /dev/shm/x', withSeccomp(allowAllBut({ names: MKDIR, action: 'SCMP_ACT_LOG' })));
  ranOk(t, log);
  t.equal(log.stdout, '/dev/shm/x\n');
});

t.test('argument rules: EQ, MASKED_EQ, 64-bit values, and one index twice (either matches)', { skip }, async (t) => {
  // The shell's own kill(2): sig is argument 1. HUP and USR2 are ignored, so an allowed kill is harmless.
  const script = "trap '' HUP USR2; for s in 1 12 0; do kill -$s $$ 2>/dev/null; echo $s=$?; done";
  const cases: [string, Config[], string][] = [
    ['EQ 12', [{ index: 1, value: 12, op: 'SCMP_CMP_EQ' }], '1=0 12=1 0=0'],
    // 2^32 + 12: the high half differs, so signal 12 does not match on x86_64.
    ['EQ 2^32+12', [{ index: 1, value: 2 ** 32 + 12, op: 'SCMP_CMP_EQ' }], '1=0 12=0 0=0'],
    ['MASKED_EQ bit 3', [{ index: 1, value: 8, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' }], '1=0 12=1 0=0'],
    ['NE 0', [{ index: 1, value: 0, op: 'SCMP_CMP_NE' }], '1=1 12=1 0=0'],
    ['EQ 1 or EQ 0', [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0, op: 'SCMP_CMP_EQ' }], '1=1 12=0 0=1'],
    ['sig GE 1 and pid GT 0', [{ index: 1, value: 1, op: 'SCMP_CMP_GE' }, { index: 0, value: 0, op: 'SCMP_CMP_GT' }], '1=1 12=1 0=0'],
  ];
  for (const [name, args, expected] of cases) {
    const r = await runScript(script, withSeccomp(allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args })));
    ranOk(t, r);
    t.equal(r.stdout.trim().split('\n').join(' '), expected, name);
  }
});

t.test("the spec's example profile (x86 and x32 listed, the native arch still filtered)", { skip }, async (t) => {
  const example = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['getcwd', 'chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] };
  const r = await runScript('cd /dev/shm && touch f && /bin/pwd 2>&1; chmod 600 f 2>&1; echo done', withSeccomp(example));
  ranOk(t, r);
  t.match(r.stdout, /pwd: getcwd: Operation not permitted/);
  t.match(r.stdout, /chmod: f: Operation not permitted/);
  t.match(r.stdout, /done/);
});

t.test("podman's profile: loaded once, an ordinary busybox workload runs under it", { skip }, async (t) => {
  const workload = `${STATUS}; ls / >/dev/null && echo a | sed s/a/b/ && ps >/dev/null && date >/dev/null && sleep 0.1 && mkdir /dev/shm/d && echo hi > /dev/shm/d/f && cat /dev/shm/d/f && id -u`;
  for (const noNewPrivileges of [true, false]) {
    const r = await runScript(workload, (c) => {
      c.linux.seccomp = podmanSeccomp();
      c.process.noNewPrivileges = noNewPrivileges;
      c.process.user = { uid: 1000, gid: 1000 };
    });
    ranOk(t, r);
    t.equal(r.stdout, `NoNewPrivs:\t${noNewPrivileges ? 1 : 0}\nSeccomp:\t2\nSeccomp_filters:\t1\nb\nhi\n1000\n`, `noNewPrivileges ${noNewPrivileges}`);
  }
});

t.test('flags: LOG, SPEC_ALLOW and TSYNC load', { skip }, async (t) => {
  const seccomp = { ...allowAllBut({ names: MKDIR, action: 'SCMP_ACT_ERRNO', errnoRet: 18 }), flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] };
  const r = await runScript(`mkdir /dev/shm/x 2>&1; ${STATUS}`, withSeccomp(seccomp));
  ranOk(t, r);
  t.match(r.stdout, /Invalid cross-device link/);
  t.match(r.stdout, /^Seccomp:\t2$/m);
});

// A seccomp agent in Python: takes the listener and the state from the
// socket, answers one notification with EXDEV, and writes what it saw.
const AGENT = `
import fcntl, json, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print('ready', flush=True)
conn, _ = server.accept()
data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
while True:
    more = conn.recv(1 << 16)
    if not more: break
    data += more
notif = bytearray(80)  # struct seccomp_notif
fcntl.ioctl(fds[0], 0xc0502100, notif, True)  # SECCOMP_IOCTL_NOTIF_RECV
notif_id, pid = struct.unpack_from('<QI', notif, 0)
nr = struct.unpack_from('<i', notif, 16)[0]
fcntl.ioctl(fds[0], 0xc0182101, bytearray(struct.pack('<QqiI', notif_id, 0, -18, 0)), True)  # SEND: error -EXDEV
json.dump({'state': json.loads(data), 'fds': len(fds), 'pid': pid, 'nr': nr}, open(out, 'w'))
`;

function startAgent(dir: string): Promise<{ socket: string; out: string; done: Promise<number | null> }> {
  const script = path.join(dir, 'agent.py');
  fs.writeFileSync(script, AGENT);
  const socket = path.join(dir, 'agent.sock');
  const out = path.join(dir, 'agent.json');
  const child = spawn('python3', [script, socket, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve({ socket, out, done }));
    child.once('error', reject);
    setTimeout(() => reject(new Error('agent did not start')), 10_000).unref();
  });
}

t.test('NOTIFY: the agent gets the listener and the process state, and answers the syscall', { skip }, async (t) => {
  for (const flags of [[], ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']]) {
    const dir = tempDir('agent');
    const agent = await startAgent(dir);
    const id = uniqueId('notify');
    const bundle = await makeBundle((c) => {
      c.process.args = ['/bin/mkdir', '/dev/shm/x'];
      c.annotations = { 'org.example': 'yes' };
      c.linux.seccomp = { ...allowAllBut({ names: MKDIR, action: 'SCMP_ACT_NOTIFY' }), listenerPath: agent.socket, listenerMetadata: 'meta', flags };
    });
    const r = ociish(['run', '-b', bundle, id]);
    t.equal(await agent.done, 0, 'the agent answered');
    t.equal(r.status, 1, 'mkdir failed');
    t.match(r.stderr, /Invalid cross-device link/, 'with the errno the agent chose');
    const seen = JSON.parse(fs.readFileSync(agent.out, 'utf8'));
    t.equal(seen.fds, 1, 'one fd');
    t.same(seen.state.fds, ['seccompFd']);
    t.equal(seen.state.metadata, 'meta');
    t.equal(seen.pid, seen.state.pid, 'the notification comes from the container process the state names');
    t.match(seen.state.state, { id, status: 'creating', pid: seen.state.pid, bundle, annotations: { 'org.example': 'yes' } });
    t.equal(typeof seen.state.ociVersion, 'string');
  }
});

t.test('NOTIFY with nobody listening fails the run and leaves nothing behind', { skip }, async (t) => {
  const missing = path.join(tempDir('agent'), 'nobody.sock');
  const id = uniqueId('notify-fail');
  const bundle = await makeBundle((c) => {
    c.process.args = ['/bin/true'];
    c.linux.seccomp = { ...allowAllBut({ names: MKDIR, action: 'SCMP_ACT_NOTIFY' }), listenerPath: missing };
  });
  const r = ociish(['run', '-b', bundle, id]);
  t.equal(r.status, 1);
  t.equal(r.stderr, `ociish: send the seccomp listener to ${missing}: ENOENT: no such file or directory (config.json /linux/seccomp/listenerPath)\n`);
  t.same(leftoverState().filter((e) => e !== '@cache'), [], 'no state dir');
  t.same(processesMentioning(bundle), [], 'no process');
});

t.test('profiles refused before anything runs, with the field named', { skip: rootSkip }, async (t) => {
  const cases: [Config, string][] = [
    [{ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }, '/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action'],
    [allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }), '/linux/seccomp/listenerPath: is required when a rule uses SCMP_ACT_NOTIFY'],
    [{ ...allowAllBut({ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' }), listenerPath: '/x' }, '/linux/seccomp/syscalls/0/names/0: SCMP_ACT_NOTIFY cannot be used for sendmsg'],
    [{ ...allowAllBut({ names: ['mkdir', 'close'], action: 'SCMP_ACT_NOTIFY' }), listenerPath: '/x' }, '/linux/seccomp/syscalls/0/names/1: SCMP_ACT_NOTIFY cannot be used for close'],
    [allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), '/linux/seccomp/syscalls/0/errnoRet: has no meaning for SCMP_ACT_ALLOW'],
    [allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }), '/linux/seccomp/syscalls/0/args/0/index: must be an integer between 0 and 5'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, '/linux/seccomp/flags/0: needs a rule with SCMP_ACT_NOTIFY'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_VAX'] }, '/linux/seccomp/architectures/0: must be one of'],
  ];
  for (const [seccomp, message] of cases) {
    const bundle = await makeBundle(withSeccomp(seccomp));
    const r = ociish(['run', '-b', bundle, uniqueId('refused')]);
    t.equal(r.status, 1, message);
    t.ok(r.stderr.startsWith(`ociish: config.json ${message}`), `stderr: ${r.stderr.trim()}`);
  }
});

t.test('the CLI keeps each compiled profile once under its root', { skip }, async (t) => {
  const cache = path.join((await import('../helpers/container')).stateRoot, '@cache', 'seccomp');
  const seccomp = allowAllBut({ names: ['acct'], action: 'SCMP_ACT_ERRNO', errnoRet: 99 });
  const before = fs.existsSync(cache) ? fs.readdirSync(cache).length : 0;
  ranOk(t, await runScript('true', withSeccomp(seccomp)));
  ranOk(t, await runScript('true', withSeccomp(seccomp)));
  t.equal(fs.readdirSync(cache).length, before + 1, 'one program file for one profile');
});

t.test("a profile that denies the runtime's own last syscalls: a clear error, nothing left", { skip }, async (t) => {
  const bundle = await makeBundle((c) => {
    c.process.args = ['/bin/true'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ALLOW' }] };
  });
  const r = ociish(['run', '-b', bundle, uniqueId('denied')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /^ociish: container setup: the setup process ended before exec without a word: its last steps run under linux\.seccomp, .*\(config\.json \/linux\/seccomp\)\n$/);
  t.same(leftoverState().filter((e) => e !== '@cache'), [], 'no state dir');
  t.same(processesMentioning(bundle), [], 'no process');
});
