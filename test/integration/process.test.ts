// The container's process (config.json /process and the per-namespace system
// settings), checked from inside real containers run through `ociish run`:
// each test prints what the process sees with busybox applets and /proc, and
// asserts exact values, so it fails if the feature is missing or wrong.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  leftoverState, makeBundle, ociish, rootSkip, runScript, tempDir, uniqueId,
  type Config, ranOk,
} from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

/** Capability bit numbers (linux/capability.h). */
const CAP = {
  CHOWN: 0,
  KILL: 5,
  NET_BIND_SERVICE: 10,
  NET_ADMIN: 12,
  AUDIT_WRITE: 29,
} as const;

/** A capability mask as /proc/PID/status prints it: 16 lowercase hex digits. */
function hex(...bits: number[]): string {
  return bits.reduce((m, b) => m | (1n << BigInt(b)), 0n).toString(16).padStart(16, '0');
}

/** The value of `Field:` in /proc/PID/status-shaped text (trimmed), or undefined. */
function field(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

function fields(text: string, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, field(text, n)]));
}

const CAP_FIELDS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'];
const CAPS_SCRIPT = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Uid|Gid|Groups):' /proc/self/status";

/** The run left no state dir behind. */
function noState(t: Test): void {
  t.same(leftoverState(), [], 'no state dir is left under --root');
}

/** A host dir holding executable scripts, world-traversable so any container user can use it. */
function scriptDir(scripts: Record<string, { body: string; mode?: number }>): string {
  const dir = tempDir('bin');
  fs.chmodSync(dir, 0o755);
  for (const [name, { body, mode }] of Object.entries(scripts)) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, body);
    fs.chmodSync(file, mode ?? 0o755);
  }
  return dir;
}

function bindRo(source: string, destination: string): Config {
  return { destination, type: 'bind', source, options: ['bind', 'ro', 'nosuid', 'nodev'] };
}

const hostStatus = fs.readFileSync('/proc/self/status', 'utf8');

// ---------------------------------------------------------------------------
// user: uid, gid, additionalGids, umask

t.test('process.user: uid, gid and additionalGids as seen by id and /proc/self/status', { skip: rootSkip }, async (t) => {
  const r = await runScript(`id; id -G; ${CAPS_SCRIPT}`, (c) => {
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [10, 20, 4242] };
  });
  if (!ranOk(t, r)) return;
  const lines = r.stdout.split('\n');
  t.equal(lines[0], 'uid=1000 gid=1001 groups=10,20,4242', 'id');
  t.equal(lines[1], '1001 10 20 4242', 'id -G: the gid, then the additional groups');
  t.equal(field(r.stdout, 'Uid'), '1000\t1000\t1000\t1000', 'real, effective, saved and fs uid');
  t.equal(field(r.stdout, 'Gid'), '1001\t1001\t1001\t1001', 'real, effective, saved and fs gid');
  t.equal(field(r.stdout, 'Groups'), '10 20 4242', 'supplementary groups are exactly additionalGids');
  t.equal(r.stderr, '');
  noState(t);
});

t.test('process.user: root with additionalGids, and no additionalGids clears the runtime\'s groups', { skip: rootSkip }, async (t) => {
  const withGroups = await runScript(`id; ${CAPS_SCRIPT}`, (c) => {
    c.process.user = { uid: 0, gid: 0, additionalGids: [5, 4242] };
  });
  if (ranOk(t, withGroups)) {
    t.equal(withGroups.stdout.split('\n')[0], 'uid=0(root) gid=0(root) groups=5(tty),4242');
    t.equal(field(withGroups.stdout, 'Groups'), '5 4242');
  }
  const none = await runScript(CAPS_SCRIPT, (c) => {
    c.process.user = { uid: 0, gid: 0 };
  });
  if (ranOk(t, none)) t.equal(field(none.stdout, 'Groups'), '', 'no supplementary groups at all');
});

t.test('process.user.umask: 23 (octal 027) is the umask, and the default is 0022', { skip: rootSkip }, async (t) => {
  const set = await runScript('umask; touch /dev/shm/f; mkdir /dev/shm/d; stat -c %a /dev/shm/f /dev/shm/d', (c) => {
    c.process.user.umask = 23;
  });
  if (ranOk(t, set)) t.equal(set.stdout, '0027\n640\n750\n', 'umask prints 0027; new files 0640, dirs 0750');
  const zero = await runScript('umask', (c) => {
    c.process.user.umask = 0;
  });
  if (ranOk(t, zero)) t.equal(zero.stdout, '0000\n');
  const dflt = await runScript('umask', (c) => {
    delete c.process.user.umask;
  });
  if (ranOk(t, dflt)) t.equal(dflt.stdout, '0022\n', 'without umask: 0022');
});

// ---------------------------------------------------------------------------
// cwd

t.test('process.cwd: the process starts there', { skip: rootSkip }, async (t) => {
  const r = await runScript('pwd; echo "PWD=$PWD"', (c) => {
    c.process.cwd = '/tmp';
  });
  if (ranOk(t, r)) t.equal(r.stdout, '/tmp\nPWD=/tmp\n');
  const dir = scriptDir({});
  const inMount = await runScript('pwd', (c) => {
    c.mounts.push(bindRo(dir, '/opt/work'));
    c.process.cwd = '/opt/work';
  });
  if (ranOk(t, inMount)) t.equal(inMount.stdout, '/opt/work\n', 'a cwd inside a bind mount');
});

t.test('process.cwd: a cwd the image does not have is created (as runc)', { skip: rootSkip }, async (t) => {
  // In a tmpfs, so the shared example rootfs is not changed.
  const r = await runScript('pwd; stat -c "%a %u" .', (c) => {
    c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] });
    c.process.cwd = '/scratch/new/dir';
  });
  if (ranOk(t, r)) t.equal(r.stdout, '/scratch/new/dir\n755 0\n');
});

// ---------------------------------------------------------------------------
// env and PATH lookup

t.test('process.env: the exact environment, in order, nothing added', { skip: rootSkip }, async (t) => {
  const env = ['PATH=/usr/bin:/bin', 'FOO=bar baz', 'EMPTY=', 'EQ=a=b=c', 'HOME=/root'];
  const bundle = await makeBundle((c) => {
    c.process.args = ['env'];
    c.process.env = env;
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('env')]);
  if (ranOk(t, r)) t.equal(r.stdout, env.map((e) => `${e}\n`).join(''));
  t.equal(r.stderr, '');
});

t.test('process.env: HOME is set from the user\'s passwd entry when env has none (runc does)', { skip: rootSkip }, async (t) => {
  const bundle = await makeBundle((c) => {
    c.process.args = ['env'];
    c.process.env = ['PATH=/usr/bin:/bin'];
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('home')]);
  if (ranOk(t, r)) t.equal(r.stdout, 'PATH=/usr/bin:/bin\nHOME=/root\n');
});

t.test('PATH lookup: args[0] "sh" is found through the container\'s PATH', { skip: rootSkip }, async (t) => {
  const r = await runScript('echo "ran $0"', (c) => {
    c.process.env = ['PATH=/nowhere:/bin'];
  });
  if (ranOk(t, r)) t.equal(r.stdout, 'ran sh\n');
});

t.test('PATH lookup: a custom PATH finds a script in a bind-mounted dir, in PATH order', { skip: rootSkip }, async (t) => {
  // The host's PATH has none of these dirs: a lookup through the runtime's
  // own PATH (or the image's default) cannot find myscript.
  const first = scriptDir({
    myscript: { body: '#!/bin/sh\necho "first: $0 $*"\n', mode: 0o644 }, // not executable: skipped as execvp does
    hostname: { body: '#!/bin/sh\necho "shadowed hostname"\n' },
  });
  const second = scriptDir({ myscript: { body: '#!/bin/sh\necho "second: $0 $*"\n' } });
  const bundle = await makeBundle((c) => {
    c.mounts.push(bindRo(first, '/opt/first'), bindRo(second, '/opt/second'));
    c.process.env = ['PATH=/opt/nowhere:/opt/first:/opt/second:/bin'];
    c.process.args = ['myscript', 'a', 'b c'];
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('path')]);
  if (ranOk(t, r)) t.equal(r.stdout, 'second: /opt/second/myscript a b c\n', 'the first executable match; the args as given');

  const shadow = await makeBundle((c) => {
    c.mounts.push(bindRo(first, '/opt/first'));
    c.process.env = ['PATH=/opt/first:/bin'];
    c.process.args = ['hostname'];
  });
  const r2 = ociish(['run', '--bundle', shadow, uniqueId('path')]);
  if (ranOk(t, r2)) t.equal(r2.stdout, 'shadowed hostname\n', 'an earlier PATH entry wins over /bin/hostname');
});

// ---------------------------------------------------------------------------
// rlimits

t.test('process.rlimits: RLIMIT_NOFILE and RLIMIT_CORE soft/hard', { skip: rootSkip }, async (t) => {
  const r = await runScript("ulimit -n; ulimit -Hn; ulimit -c; ulimit -Hc; grep -E '^Max (open files|core file size)' /proc/self/limits", (c) => {
    c.process.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
      { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 },
    ];
  });
  if (!ranOk(t, r)) return;
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 4), ['100', '200', '8', '16'], 'ulimit -n/-Hn in files, -c/-Hc in 512-byte blocks');
  t.match(r.stdout, /^Max core file size\s+4096\s+8192\s+bytes\s*$/m);
  t.match(r.stdout, /^Max open files\s+100\s+200\s+files\s*$/m);
});

// ---------------------------------------------------------------------------
// noNewPrivileges

t.test('process.noNewPrivileges: NoNewPrivs 1 when true, 0 when false or absent', { skip: rootSkip }, async (t) => {
  for (const [value, expected] of [[true, '1'], [false, '0'], [undefined, '0']] as const) {
    const r = await runScript(CAPS_SCRIPT, (c) => {
      if (value === undefined) delete c.process.noNewPrivileges;
      else c.process.noNewPrivileges = value;
    });
    if (ranOk(t, r)) t.equal(field(r.stdout, 'NoNewPrivs'), expected, `noNewPrivileges ${String(value)}`);
  }
});

// ---------------------------------------------------------------------------
// capabilities

t.test('capabilities: NET_ADMIN+KILL in all five sets, ambient raised', { skip: rootSkip }, async (t) => {
  const set = ['CAP_NET_ADMIN', 'CAP_KILL'];
  const r = await runScript(CAPS_SCRIPT, (c) => {
    c.process.capabilities = { bounding: set, effective: set, permitted: set, inheritable: set, ambient: set };
  });
  if (!ranOk(t, r)) return;
  const mask = hex(CAP.NET_ADMIN, CAP.KILL);
  t.equal(mask, '0000000000001020');
  t.same(fields(r.stdout, CAP_FIELDS), { CapInh: mask, CapPrm: mask, CapEff: mask, CapBnd: mask, CapAmb: mask });
  t.equal(r.stderr, '', 'no warning');
});

t.test('capabilities: the bounding set limits what root gets', { skip: rootSkip }, async (t) => {
  const r = await runScript(CAPS_SCRIPT, (c) => {
    c.process.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
  });
  if (!ranOk(t, r)) return;
  const kill = hex(CAP.KILL);
  t.same(fields(r.stdout, CAP_FIELDS), { CapInh: hex(), CapPrm: kill, CapEff: kill, CapBnd: kill, CapAmb: hex() });
});

t.test('capabilities: no capabilities object leaves root with the runtime\'s full set', { skip: rootSkip }, async (t) => {
  const r = await runScript(CAPS_SCRIPT, (c) => {
    delete c.process.capabilities;
  });
  if (!ranOk(t, r)) return;
  const full = field(hostStatus, 'CapBnd')!;
  t.match(full, /^[0-9a-f]{16}$/);
  t.not(full, hex(CAP.AUDIT_WRITE, CAP.KILL, CAP.NET_BIND_SERVICE), 'differs from the default config\'s three');
  t.same(fields(r.stdout, CAP_FIELDS), { CapInh: hex(), CapPrm: full, CapEff: full, CapBnd: full, CapAmb: hex() });
});

t.test('capabilities: a non-root user keeps them after setuid (effective, usable)', { skip: rootSkip }, async (t) => {
  const set = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN'];
  const script = `id -u; ${CAPS_SCRIPT}; touch /dev/shm/f; chown 0:0 /dev/shm/f 2>/dev/null && echo "chown $(stat -c %u:%g /dev/shm/f)" || echo "chown denied"`;
  const r = await runScript(script, (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = { bounding: set, effective: set, permitted: set, inheritable: set, ambient: set };
  });
  if (ranOk(t, r)) {
    const mask = hex(CAP.CHOWN, CAP.KILL, CAP.NET_ADMIN);
    t.equal(r.stdout.split('\n')[0], '1000');
    t.same(fields(r.stdout, CAP_FIELDS), { CapInh: mask, CapPrm: mask, CapEff: mask, CapBnd: mask, CapAmb: mask });
    t.match(r.stdout, /^chown 0:0$/m, 'CAP_CHOWN works for uid 1000');
  }
  // Control: the same user without capabilities cannot chown.
  const none = await runScript(script, (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = { bounding: set, effective: [], permitted: [] };
  });
  if (ranOk(t, none)) {
    t.same(fields(none.stdout, ['CapPrm', 'CapEff', 'CapAmb']), { CapPrm: hex(), CapEff: hex(), CapAmb: hex() });
    t.match(none.stdout, /^chown denied$/m);
  }
});

t.test('capabilities: an unknown name is a warning on stderr and the container runs', { skip: rootSkip }, async (t) => {
  const r = await runScript(CAPS_SCRIPT, (c) => {
    c.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_NOT_A_THING'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL'],
    };
  });
  t.equal(r.status, 0);
  t.equal(r.stderr, 'ociish: warning: /process/capabilities/bounding/1: unknown capability "CAP_NOT_A_THING" ignored\n');
  t.equal(field(r.stdout, 'CapBnd'), hex(CAP.KILL), 'the known ones still apply');
});

t.test('capabilities: ambient without inheritable is a warning, not raised', { skip: rootSkip }, async (t) => {
  const r = await runScript(CAPS_SCRIPT, (c) => {
    c.process.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], ambient: ['CAP_KILL'] };
  });
  t.equal(r.status, 0);
  t.equal(r.stderr, 'ociish: warning: /process/capabilities/ambient: CAP_KILL not raised: an ambient capability must also be permitted and inheritable\n');
  t.same(fields(r.stdout, ['CapAmb', 'CapInh']), { CapAmb: hex(), CapInh: hex() });
});

// ---------------------------------------------------------------------------
// oomScoreAdj, sysctl, hostname

t.test('process.oomScoreAdj: /proc/self/oom_score_adj', { skip: rootSkip }, async (t) => {
  const r = await runScript('cat /proc/self/oom_score_adj', (c) => {
    c.process.oomScoreAdj = 500;
  });
  if (ranOk(t, r)) t.equal(r.stdout, '500\n');
  const inherited = fs.readFileSync('/proc/self/oom_score_adj', 'utf8');
  const dflt = await runScript('cat /proc/self/oom_score_adj', (c) => {
    delete c.process.oomScoreAdj;
  });
  if (ranOk(t, dflt)) t.equal(dflt.stdout, inherited, 'absent: the runtime\'s own value');
});

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

t.test('linux.sysctl: net.ipv4.ip_forward=1 in the container\'s netns with the default config', { skip: rootSkip }, async (t) => {
  // The default config (like runc's) makes /proc/sys read-only: runc writes
  // the sysctls before it applies readonlyPaths, so this works under runc.
  const before = fs.readFileSync(IP_FORWARD, 'utf8');
  const r = await runScript(`cat ${IP_FORWARD}`, (c) => {
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    t.ok(c.linux.readonlyPaths.includes('/proc/sys'), 'the default config has /proc/sys read-only');
  });
  t.equal(r.stderr, '');
  if (ranOk(t, r)) t.equal(r.stdout, '1\n', 'reads 1 inside');
  t.equal(fs.readFileSync(IP_FORWARD, 'utf8'), before, 'the host value is unchanged');
});

t.test('linux.sysctl: net.ipv4.ip_forward=1 when /proc/sys is not read-only', { skip: rootSkip }, async (t) => {
  const before = fs.readFileSync(IP_FORWARD, 'utf8');
  const r = await runScript(`cat ${IP_FORWARD}`, (c) => {
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.readonlyPaths = c.linux.readonlyPaths.filter((p: string) => p !== '/proc/sys');
  });
  if (ranOk(t, r)) t.equal(r.stdout, '1\n');
  t.equal(fs.readFileSync(IP_FORWARD, 'utf8'), before, 'the host value is unchanged');
});

t.test('linux.sysctl: a non-namespaced sysctl is refused with its pointer', { skip: rootSkip }, async (t) => {
  const before = fs.readFileSync('/proc/sys/kernel/panic', 'utf8');
  const r = await runScript('echo should-not-run', (c) => {
    c.linux.sysctl = { 'kernel.panic': '7' };
  });
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr, 'ociish: config.json /linux/sysctl/kernel.panic: sysctl "kernel.panic" is not namespaced; it would change the host\n');
  t.equal(fs.readFileSync('/proc/sys/kernel/panic', 'utf8'), before);
  noState(t);
});

t.test('linux.sysctl: a net sysctl without a network namespace of its own is refused', { skip: rootSkip }, async (t) => {
  const before = fs.readFileSync(IP_FORWARD, 'utf8');
  const r = await runScript('echo should-not-run', (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  });
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr, 'ociish: config.json /linux/sysctl/net.ipv4.ip_forward: sysctl "net.ipv4.ip_forward" needs the container\'s own network namespace\n');
  t.equal(fs.readFileSync(IP_FORWARD, 'utf8'), before);
});

t.test('hostname and domainname', { skip: rootSkip }, async (t) => {
  const name = `box-${process.pid}`;
  const r = await runScript('hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', (c) => {
    c.hostname = name;
    c.domainname = 'example.test';
  });
  if (ranOk(t, r)) t.equal(r.stdout, `${name}\n${name}\nexample.test\n`);
  const hostName = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  t.not(hostName, name, 'the host keeps its own name');
});

t.test('hostname without a uts namespace is refused', { skip: rootSkip }, async (t) => {
  const r = await runScript('echo should-not-run', (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts');
    c.hostname = 'nope';
  });
  t.equal(r.status, 1);
  t.equal(r.stderr, 'ociish: config.json /hostname: needs a uts namespace in /linux/namespaces\n');
  noState(t);
});
