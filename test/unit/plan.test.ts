// lib/plan: config.json -> the ordered steps the child runs, and the bytes
// they are encoded to. Every test passes explicit host facts, so nothing
// depends on the machine (its cgroup layout, its uid, its kernel's caps).
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSpec } from '../../lib/bundle/default-spec';
import type { CgroupLayout } from '../../lib/cgroups/hierarchies';
import { constants } from '../../lib/native';
import { buildPlan, describeStep, encodePlan, joinPremadeNetns, type HostFacts, type Plan, type Step, type StepKind } from '../../lib/plan';
import { parseConfig } from '../../lib/spec';
import { configError } from '../helpers/errors';

// Raw JSON as a test edits it.
type Raw = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const C = constants.clone;
const M = constants.mount;
const CAP = constants.capabilities;
const bit = (name: string): bigint => 1n << BigInt(CAP[name]!);

const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-plan-'));
fs.mkdirSync(path.join(bundle, 'rootfs'));
t.teardown(() => fs.rmSync(bundle, { recursive: true, force: true }));

/** Our machines: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified. */
const HYBRID: CgroupLayout = {
  mode: 'hybrid',
  root: '/sys/fs/cgroup',
  hierarchies: [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', version: 1, controllers: ['cpu', 'cpuacct'], ownPath: '/ociish-test' },
    { mountPoint: '/sys/fs/cgroup/memory', version: 1, controllers: ['memory'], ownPath: '/ociish-test' },
    { mountPoint: '/sys/fs/cgroup/systemd', version: 1, controllers: ['name=systemd'], ownPath: '/user.slice/session-1.scope' },
    { mountPoint: '/sys/fs/cgroup/unified', version: 2, controllers: [], ownPath: '/user.slice/session-1.scope' },
  ],
  links: [
    { name: 'cpu', target: 'cpu,cpuacct' },
    { name: 'cpuacct', target: 'cpu,cpuacct' },
  ],
};

/** Pure cgroup v2. */
const UNIFIED: CgroupLayout = {
  mode: 'unified',
  root: '/sys/fs/cgroup',
  hierarchies: [{ mountPoint: '/sys/fs/cgroup', version: 2, controllers: [], ownPath: '/user.slice/ociish.scope' }],
  links: [],
};

const ROOT_HOST: HostFacts = { euid: 0, lastCap: 40, cgroups: HYBRID };

/** The default spec (what `ociish spec` writes), edited, validated and planned. */
function plan(edit: (c: Raw) => void = () => {}, host: HostFacts = ROOT_HOST, opts: { rootless?: boolean; cgroupNamespace?: boolean } = {}): Plan {
  const raw = defaultSpec({ cgroupNamespace: false, ...opts }) as Raw;
  edit(raw);
  return buildPlan(parseConfig(raw), { bundle, host });
}

const kinds = (p: Plan): StepKind[] => p.steps.map((s) => s.kind);
function only<K extends StepKind>(p: Plan, kind: K): Extract<Step, { kind: K }>[] {
  return p.steps.filter((s): s is Extract<Step, { kind: K }> => s.kind === kind);
}
const fromMount = (p: Plan, i: number): Step[] => p.steps.filter((s) => s.origin === `/mounts/${i}`);
const CGROUP_MOUNT = 6; // index of /sys/fs/cgroup in the default spec's mounts
const CGROUP_FLAGS = M.MS_NOSUID | M.MS_NOEXEC | M.MS_NODEV | M.MS_RELATIME; // its options, without ro
const RO_ATTRS = M.MOUNT_ATTR_RDONLY | M.MOUNT_ATTR_NOSUID | M.MOUNT_ATTR_NODEV | M.MOUNT_ATTR_NOEXEC;
const DEFAULT_CAPS = bit('CAP_AUDIT_WRITE') | bit('CAP_KILL') | bit('CAP_NET_BIND_SERVICE');

t.test('tmpcopyup: a flag on the tmpfs MOUNT step, not part of its mount(2) data', async (t) => {
  const p = plan((c) => {
    (c.mounts as Raw[]).push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'tmpcopyup', 'mode=1777'] });
    (c.mounts as Raw[]).push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
  });
  const n = (defaultSpec({ cgroupNamespace: false }) as Raw).mounts.length as number;
  t.match(fromMount(p, n), [{ kind: 'MOUNT', dest: '/tmp', fstype: 'tmpfs', flags: M.MS_NOSUID, data: 'mode=1777', copyUp: true, create: 1 }]);
  t.match(fromMount(p, n + 1), [{ kind: 'MOUNT', dest: '/run', fstype: 'tmpfs', flags: 0, data: '', copyUp: true }]);
  t.notOk(only(p, 'MOUNT').some((m) => m.data.includes('tmpcopyup')), 'no mount data carries it');
  t.ok(only(p, 'MOUNT').filter((m) => m.copyUp).length === 2, 'only those two copy up');
  t.throws(() => plan((c) => {
    (c.mounts as Raw[]).push({ destination: '/tmp', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] });
  }), { message: `config.json /mounts/${n}/options/1: "tmpcopyup" applies to a tmpfs mount only, not a bind mount` });
});

t.test('the default spec, in order', async (t) => {
  const p = plan();
  t.same(kinds(p), [
    'ROOTFS',
    ...Array(6).fill('MOUNT'), // proc, dev, devpts, shm, mqueue, sysfs
    'MOUNT', 'MOUNT', 'MOUNT', 'MOUNT', 'MOUNT', 'SYMLINK', 'SYMLINK', 'MOUNT', // the cgroup view (below)
    ...Array(6).fill('MKNOD'),
    ...Array(5).fill('SYMLINK'),
    'MKDIR', // process.cwd, created if missing
    ...Array(11).fill('MASK'),
    ...Array(5).fill('READONLY'),
    'PIVOT_ROOT', 'ROOT_READONLY', 'HOSTNAME', 'LOOPBACK_UP',
    'RLIMIT', 'CAP_BOUNDING', 'CHDIR', 'SET_USER', 'CHDIR', 'CAPS', 'UMASK', 'NO_NEW_PRIVS', 'EXEC',
  ]);
  t.equal(p.cloneFlags, C.CLONE_NEWPID | C.CLONE_NEWNET | C.CLONE_NEWIPC | C.CLONE_NEWUTS | C.CLONE_NEWNS, 'clone3 creates the namespaces');
  t.equal(p.idMaps, null);
  t.same(p.warnings, []);

  t.match(p.steps[0], { kind: 'ROOTFS', rootfs: path.join(bundle, 'rootfs'), propagation: M.MS_SLAVE | M.MS_REC, origin: '/root/path' });
  const mounts = only(p, 'MOUNT');
  t.match(mounts[0], { dest: '/proc', fstype: 'proc', source: 'proc', flags: 0, data: '', create: 1, origin: '/mounts/0' });
  t.match(mounts[1], { dest: '/dev', fstype: 'tmpfs', flags: M.MS_NOSUID | M.MS_STRICTATIME, data: 'mode=755,size=65536k', origin: '/mounts/1' });
  t.match(mounts[2], { dest: '/dev/pts', fstype: 'devpts', flags: M.MS_NOSUID | M.MS_NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620,gid=5' });
  t.match(mounts[5], { dest: '/sys', fstype: 'sysfs', flags: M.MS_RDONLY | M.MS_NOSUID | M.MS_NOEXEC | M.MS_NODEV, origin: '/mounts/5' });

  t.same(only(p, 'MKNOD').map((d) => [d.dest, d.mode, d.major, d.minor, d.bindFrom]), [
    ['/dev/null', constants.mode.S_IFCHR | 0o666, 1, 3, null],
    ['/dev/zero', constants.mode.S_IFCHR | 0o666, 1, 5, null],
    ['/dev/full', constants.mode.S_IFCHR | 0o666, 1, 7, null],
    ['/dev/random', constants.mode.S_IFCHR | 0o666, 1, 8, null],
    ['/dev/urandom', constants.mode.S_IFCHR | 0o666, 1, 9, null],
    ['/dev/tty', constants.mode.S_IFCHR | 0o666, 5, 0, null],
  ]);
  t.same(only(p, 'MASK').map((s) => s.origin), Array.from({ length: 11 }, (_, i) => `/linux/maskedPaths/${i}`));
  t.same(only(p, 'READONLY').map((s) => s.dest), ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  t.match(only(p, 'HOSTNAME'), [{ name: 'ociish', origin: '/hostname' }]);
  t.same(only(p, 'RLIMIT'), [{ kind: 'RLIMIT', name: 'RLIMIT_NOFILE', resource: constants.rlimit['RLIMIT_NOFILE'], soft: 1024n, hard: 1024n, origin: '/process/rlimits/0' }]);
  t.same(only(p, 'CAP_BOUNDING'), [{ kind: 'CAP_BOUNDING', keep: DEFAULT_CAPS, lastCap: 40, origin: '/process/capabilities/bounding' }], 'bounding keep mask; lastCap from the host facts');
  t.same(only(p, 'CAPS'), [{ kind: 'CAPS', effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS, inheritable: 0n, ambient: 0n, origin: '/process/capabilities' }]);
  t.same(only(p, 'CHDIR').map((s) => s.soft), [true, false], 'cwd tried before and after the user switch');
  t.match(only(p, 'SET_USER'), [{ uid: 0, gid: 0, setGroups: true, groups: [] }]);
  t.match(only(p, 'UMASK'), [{ mask: 0o022 }]);
  t.same(p.steps.at(-1), {
    kind: 'EXEC',
    args: ['sh'],
    // HOME added from the image's passwd; this temp rootfs has none, so "/"
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'HOME=/'],
    pathDirs: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
    preservedFds: 0,
    origin: '/process/args',
  });
  for (const s of p.steps) {
    t.type(s.origin, 'string');
    t.ok(describeStep(s).operation, `${s.kind} is described`);
  }
});

t.test('run options: the barrier and preserved fds', async (t) => {
  const raw = defaultSpec({ cgroupNamespace: false }) as Raw;
  const p = buildPlan(parseConfig(raw), { bundle, host: ROOT_HOST, barrier: true, preservedFds: 2 });
  t.same(kinds(p).slice(-2), ['BARRIER', 'EXEC']);
  t.match(p.steps.at(-1), { preservedFds: 2 });
  t.notOk(kinds(plan()).includes('BARRIER'), 'run: no barrier');
});

t.test('create options: a fifo barrier, the executable checked, hooks before pivot_root', async (t) => {
  const spec = parseConfig(defaultSpec({ cgroupNamespace: false }) as Raw);
  const fifo = buildPlan(spec, { bundle, host: ROOT_HOST, barrierFifo: '/run/ociish/c1/exec.fifo' });
  t.match(fifo.steps[0], { kind: 'OPEN_BARRIER', path: '/run/ociish/c1/exec.fifo', origin: '' }, 'the fifo is opened first (a host path)');
  t.same(kinds(fifo).filter((k) => k === 'OPEN_BARRIER'), ['OPEN_BARRIER'], 'once');
  t.same(kinds(fifo).slice(-4), ['NO_NEW_PRIVS', 'CHECK_EXEC', 'BARRIER', 'EXEC'], 'the executable is checked last before the barrier');
  t.match(only(fifo, 'CHECK_EXEC'), [{ file: 'sh', pathDirs: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'], origin: '/process/args' }]);
  const byPath = buildPlan(parseConfig({ ...(defaultSpec({ cgroupNamespace: false }) as Raw), process: { ...(defaultSpec({ cgroupNamespace: false }) as Raw).process, args: ['/bin/sh'] } }), { bundle, host: ROOT_HOST, barrier: true });
  t.match(only(byPath, 'CHECK_EXEC'), [{ file: '/bin/sh', pathDirs: null }], 'barrier alone checks too; a path is not looked up');
  t.same(only(buildPlan(spec, { bundle, host: ROOT_HOST }), 'CHECK_EXEC'), [], 'run: no check (EXEC reports its own error)');
  t.notOk(kinds(buildPlan(spec, { bundle, host: ROOT_HOST, barrier: true })).includes('OPEN_BARRIER'), 'barrier without a fifo: the socket handshake');

  const hooks = kinds(buildPlan(spec, { bundle, host: ROOT_HOST, hooks: true }));
  t.equal(hooks[hooks.indexOf('PIVOT_ROOT') - 1], 'SYNC_HOOKS', 'SYNC_HOOKS right before PIVOT_ROOT');
  t.same(hooks.filter((k) => k === 'SYNC_HOOKS'), ['SYNC_HOOKS'], 'once');
  t.notOk(kinds(buildPlan(spec, { bundle, host: ROOT_HOST })).includes('SYNC_HOOKS'), 'no hooks, no step');
});

t.test('terminal: CONSOLE after pivot_root and before the process steps, with consoleSize', async (t) => {
  const p = plan((c) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 24, width: 80 };
  });
  const k = kinds(p);
  const i = k.indexOf('CONSOLE');
  t.ok(i > k.indexOf('PIVOT_ROOT'), 'after pivot_root (the container\'s devpts)');
  t.ok(i < k.indexOf('RLIMIT') && i < k.indexOf('SET_USER') && i < k.indexOf('CAP_BOUNDING'), 'before the process steps, as root');
  t.match(only(p, 'CONSOLE'), [{ size: { rows: 24, cols: 80 }, origin: '/process/terminal' }], 'height is rows, width is cols');
  t.match(only(plan((c) => (c.process.terminal = true)), 'CONSOLE'), [{ size: null }], 'no consoleSize: no size');
  t.same(only(plan((c) => ((c.process.terminal = false), (c.process.consoleSize = { height: 1, width: 1 }))), 'CONSOLE'), [], 'terminal false: no console');
});

t.test('seccomp with no_new_privs and a barrier: the executable is checked before the filter', async (t) => {
  const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['faccessat2'], action: 'SCMP_ACT_ERRNO' }] };
  const raw = defaultSpec({ cgroupNamespace: false }) as Raw;
  raw.linux.seccomp = seccomp;
  raw.process.noNewPrivileges = true;
  const p = buildPlan(parseConfig(raw), { bundle, host: ROOT_HOST, barrierFifo: '/run/x.fifo' });
  t.same(kinds(p).slice(-5), ['NO_NEW_PRIVS', 'CHECK_EXEC', 'SECCOMP', 'BARRIER', 'EXEC']);
});

t.test('ROOT_READONLY only when root.readonly', async (t) => {
  t.ok(kinds(plan()).includes('ROOT_READONLY'));
  t.notOk(kinds(plan((c) => (c.root.readonly = false))).includes('ROOT_READONLY'), 'readonly false');
  t.notOk(kinds(plan((c) => delete c.root.readonly)).includes('ROOT_READONLY'), 'readonly absent');
  const withPropagation = plan((c) => (c.linux.rootfsPropagation = 'rshared'));
  const i = kinds(withPropagation).indexOf('PIVOT_ROOT');
  t.same(kinds(withPropagation).slice(i, i + 3), ['PIVOT_ROOT', 'ROOT_PROPAGATION', 'ROOT_READONLY']);
  t.match(withPropagation.steps[i + 1], { flags: M.MS_SHARED | M.MS_REC, origin: '/linux/rootfsPropagation' });
  t.match(withPropagation.steps[0], { kind: 'ROOTFS', propagation: M.MS_SHARED | M.MS_REC });
});

t.test('namespaces', async (t) => {
  t.test('no user namespace: no SYNC_IDMAPS', async (t) => {
    const p = plan();
    t.notOk(kinds(p).includes('SYNC_IDMAPS'));
    t.notOk(kinds(p).includes('SET_ROOT_IDS'));
    t.equal(p.cloneFlags & C.CLONE_NEWUSER, 0);
  });

  t.test('a new user namespace (rootless default spec, unprivileged runtime)', async (t) => {
    const p = plan(
      (c) => {
        c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      },
      { ...ROOT_HOST, euid: 1000 },
      { rootless: true },
    );
    t.equal(p.cloneFlags, C.CLONE_NEWPID | C.CLONE_NEWIPC | C.CLONE_NEWUTS | C.CLONE_NEWNS | C.CLONE_NEWUSER);
    t.same(kinds(p).slice(0, 3), ['SYNC_IDMAPS', 'SET_ROOT_IDS', 'ROOTFS'], 'id maps before anything else');
    t.match(p.steps[0], { origin: '/linux/uidMappings' });
    t.match(p.steps[1], { setGroups: false });
    t.same(p.idMaps, { uidMap: '0 1000 1\n', gidMap: '0 1000 1\n', denySetgroups: true });
    t.match(only(p, 'SET_USER'), [{ setGroups: false }], 'no setgroups once it is denied');
    t.ok(only(p, 'MKNOD').every((d) => d.bindFrom === d.dest), 'devices are binds of the host\'s');
    t.notOk(kinds(p).includes('LOOPBACK_UP'), 'no network namespace of its own');
    t.match(fromMount(p, 5), [{ source: '/sys', flags: M.MS_BIND | M.MS_REC, attrSet: RO_ATTRS }], '/sys is a read-only rbind');
  });

  t.test('a new user namespace from a privileged runtime; root not mapped', async (t) => {
    const p = plan((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 1, hostID: 100000, size: 65535 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    t.same(kinds(p).slice(0, 2), ['SYNC_IDMAPS', 'ROOTFS'], 'no SET_ROOT_IDS: uid 0 is not mapped');
    t.same(p.idMaps, { uidMap: '1 100000 65535\n', gidMap: '0 100000 65536\n', denySetgroups: false });
  });

  t.test('joining a namespace by path', async (t) => {
    const p = plan((c) => (c.linux.namespaces[1] = { type: 'network', path: '/var/run/netns/blue' }));
    t.same(p.steps[0], { kind: 'SETNS', nstype: C.CLONE_NEWNET, path: '/var/run/netns/blue', origin: '/linux/namespaces/1/path' });
    t.equal(p.cloneFlags, C.CLONE_NEWPID | C.CLONE_NEWIPC | C.CLONE_NEWUTS | C.CLONE_NEWNS, 'not created by clone3');
    t.notOk(kinds(p).includes('LOOPBACK_UP'), 'a joined network namespace is left as it is');
  });

  t.test('joins with a new user namespace: join, then unshare', async (t) => {
    const p = plan((c) => {
      c.linux.namespaces = [{ type: 'ipc', path: '/proc/1234/ns/ipc' }, { type: 'mount' }, { type: 'uts' }, { type: 'user' }];
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    t.equal(p.cloneFlags, 0, 'clone3 creates nothing');
    t.same(kinds(p).slice(0, 4), ['SETNS', 'UNSHARE', 'SYNC_IDMAPS', 'SET_ROOT_IDS']);
    t.match(p.steps[0], { nstype: C.CLONE_NEWIPC, path: '/proc/1234/ns/ipc', origin: '/linux/namespaces/0/path' });
    t.match(p.steps[1], { flags: C.CLONE_NEWNS | C.CLONE_NEWUTS | C.CLONE_NEWUSER });
  });

  t.test('a joined user namespace comes first', async (t) => {
    const p = plan((c) => {
      c.linux.namespaces = [{ type: 'network', path: '/var/run/netns/blue' }, { type: 'mount' }, { type: 'uts' }, { type: 'user', path: '/proc/1234/ns/user' }];
    });
    t.same(p.steps.slice(0, 4).map((s) => [s.kind, s.origin]), [
      ['SETNS', '/linux/namespaces/3/path'],
      ['SET_ROOT_IDS', '/linux/namespaces/3/path'],
      ['SETNS', '/linux/namespaces/0/path'],
      ['UNSHARE', '/linux/namespaces'],
    ]);
    t.match(p.steps[0], { nstype: C.CLONE_NEWUSER, path: '/proc/1234/ns/user' });
    t.match(p.steps[3], { flags: C.CLONE_NEWNS | C.CLONE_NEWUTS });
    t.equal(p.idMaps, null, 'the joined namespace has its maps');
    t.notOk(kinds(p).includes('SYNC_IDMAPS'));
  });

  t.test('a new pid namespace with a joined user namespace: join, unshare, FORK_INIT', async (t) => {
    const p = plan((c) => c.linux.namespaces.push({ type: 'user', path: '/proc/1234/ns/user' }));
    t.equal(p.cloneFlags, 0, 'clone3 makes no namespace: they must belong to the joined user namespace');
    t.same(p.steps.slice(0, 4).map((s) => s.kind), ['SETNS', 'SET_ROOT_IDS', 'UNSHARE', 'FORK_INIT']);
    t.match(p.steps[0], { nstype: C.CLONE_NEWUSER, path: '/proc/1234/ns/user' });
    t.ok(((p.steps[2] as Extract<Step, { kind: 'UNSHARE' }>).flags & C.CLONE_NEWPID) !== 0, 'the pid namespace is unshared');
  });

  t.test('a new pid namespace with joins and a new user namespace: joins first, then the maps, then FORK_INIT', async (t) => {
    const p = plan((c) => {
      c.linux.namespaces[1] = { type: 'network', path: '/var/run/netns/blue' };
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    t.equal(p.cloneFlags, 0);
    t.same(p.steps.slice(0, 5).map((s) => s.kind), ['SETNS', 'UNSHARE', 'SYNC_IDMAPS', 'SET_ROOT_IDS', 'FORK_INIT']);
    t.ok(((p.steps[1] as Extract<Step, { kind: 'UNSHARE' }>).flags & (C.CLONE_NEWUSER | C.CLONE_NEWPID)) === (C.CLONE_NEWUSER | C.CLONE_NEWPID));
  });

  t.test('joining a pid namespace: setns, then FORK_INIT', async (t) => {
    const p = plan((c) => (c.linux.namespaces[0] = { type: 'pid', path: '/proc/1234/ns/pid' }));
    t.same(p.steps.slice(0, 3).map((s) => [s.kind, s.origin]), [
      ['SETNS', '/linux/namespaces/0/path'],
      ['UNSHARE', '/linux/namespaces'],
      ['FORK_INIT', '/linux/namespaces'],
    ]);
    t.equal(p.cloneFlags, 0);
  });

  t.test('refused: no new mount namespace', async (t) => {
    const e = configError(() => plan((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: Raw) => n.type !== 'mount'))));
    t.equal(e.pointer, '/linux/namespaces');
  });
});

t.test('v1 cgroups: as root the child enters them itself, first thing; in a user namespace it asks at once and waits before the first step that must run inside them', async (t) => {
  const v1 = HYBRID.hierarchies.filter((h) => h.version === 1);
  const join = { sync: true, v1Dirs: v1.map((h) => `${h.mountPoint}/ociish/c1`), paths: new Map(HYBRID.hierarchies.map((h) => [h.mountPoint, '/ociish/c1'])) };
  const withUserns = (c: Raw) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  };
  const planWith = (edit: (c: Raw) => void, opts: { cgroupNamespace?: boolean } = {}) => {
    const raw = defaultSpec({ cgroupNamespace: false, ...opts }) as Raw;
    edit(raw);
    return buildPlan(parseConfig(raw), { bundle, host: ROOT_HOST, cgroup: join });
  };
  const parts = (p: Plan) => p.steps.flatMap((s, i) => (s.kind === 'SYNC_CGROUPS' ? [[i, s.part]] : []));
  const firstOf = (p: Plan, kind: StepKind) => kinds(p).indexOf(kind);

  const p = planWith(() => {});
  t.same(p.steps.slice(0, v1.length), join.v1Dirs.map((d) => ({ kind: 'ENTER_CGROUP', tasksFile: `${d}/tasks`, origin: '/linux/cgroupsPath' })), 'one ENTER_CGROUP per v1 hierarchy, before anything else');
  t.same(parts(p), [], 'no handshake with the parent');

  const userns = planWith(withUserns);
  t.same(kinds(userns).slice(0, 3), ['SYNC_IDMAPS', 'SYNC_CGROUPS', 'SET_ROOT_IDS'], 'asked after the id-map handshake (answers come in order)');
  t.same(parts(userns)[1], [firstOf(userns, 'MKNOD') - 1, 'wait'], 'the mounts (the cgroup view\'s binds too) run in between');
  t.notOk(kinds(userns).includes('ENTER_CGROUP'), 'the host\'s cgroup files are not the user namespace\'s to write');

  const cgroupns = planWith(withUserns, { cgroupNamespace: true });
  const wait = parts(cgroupns).at(-1)!;
  t.equal(wait[1], 'wait');
  t.match(cgroupns.steps[(wait[0] as number) + 1], { kind: 'UNSHARE', flags: C.CLONE_NEWCGROUP }, 'a cgroup namespace is made inside the cgroups: right after the wait');
  const rootCgroupns = planWith(() => {}, { cgroupNamespace: true });
  t.match(rootCgroupns.steps[v1.length], { kind: 'UNSHARE', flags: C.CLONE_NEWCGROUP }, 'as root: right after entering them');

  const copyUp = planWith((c) => {
    withUserns(c);
    c.mounts.unshift({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
  });
  const copied = copyUp.steps.findIndex((s) => s.kind === 'MOUNT' && s.copyUp);
  t.same(parts(copyUp).at(-1), [copied - 1, 'wait'], 'files copied up are charged to the container: the wait comes before');
});

t.test('a premade network namespace: joined by SETNS instead of made by clone3, its loopback already up', async (t) => {
  const premade = (edit: (c: Raw) => void = () => {}, host: HostFacts = ROOT_HOST, opts: { rootless?: boolean } = {}) => {
    const raw = defaultSpec({ cgroupNamespace: false, ...opts }) as Raw;
    edit(raw);
    return buildPlan(parseConfig(raw), { bundle, host, premadeNetns: true });
  };
  const p = premade();
  t.equal(p.premadeNetns, true);
  t.equal(p.cloneFlags, C.CLONE_NEWPID | C.CLONE_NEWIPC | C.CLONE_NEWUTS | C.CLONE_NEWNS, 'no CLONE_NEWNET');
  t.match(only(p, 'SETNS'), [{ nstype: C.CLONE_NEWNET, path: '', origin: '/linux/namespaces/1' }], 'a join, with no path yet (a child would fail with ENOENT)');
  t.notOk(kinds(p).includes('LOOPBACK_UP'));
  t.ok(kinds(p).indexOf('SETNS') < kinds(p).indexOf('ROOTFS'), 'joined before the mounts (sysfs shows the namespace it is mounted in)');
  joinPremadeNetns(p, '/proc/1234/fd/19');
  t.match(only(p, 'SETNS'), [{ path: '/proc/1234/fd/19' }]);

  const userns = premade((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  t.equal(userns.premadeNetns, false, 'a user namespace owns the network namespace: made by clone3 in it');
  t.equal(userns.cloneFlags & C.CLONE_NEWNET, C.CLONE_NEWNET);
  t.equal(premade(() => {}, { ...ROOT_HOST, euid: 1000 }).premadeNetns, false, 'not as an unprivileged runtime');
  t.equal(premade((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network'))).premadeNetns, false, 'no network namespace asked for');
  t.throws(() => joinPremadeNetns(plan(), '/proc/1/fd/3'), /no premade network namespace/);
});

t.test('the cgroup view, hybrid layout', async (t) => {
  for (const cgroupNamespace of [false, true]) {
    t.test(`${cgroupNamespace ? 'with' : 'without'} a cgroup namespace`, async (t) => {
      const p = plan(() => {}, ROOT_HOST, { cgroupNamespace });
      t.equal(p.cloneFlags & C.CLONE_NEWCGROUP, cgroupNamespace ? C.CLONE_NEWCGROUP : 0);
      const view = fromMount(p, CGROUP_MOUNT);
      t.same(view.map((s) => s.kind), ['MOUNT', 'MOUNT', 'MOUNT', 'MOUNT', 'MOUNT', 'SYMLINK', 'SYMLINK', 'MOUNT']);
      t.match(view[0], { dest: '/sys/fs/cgroup', fstype: 'tmpfs', source: 'tmpfs', flags: CGROUP_FLAGS, data: 'mode=755', create: 1 }, 'a writable tmpfs first');
      t.same(
        view.slice(1, 5).map((s) => s.kind === 'MOUNT' && [s.dest, s.source, s.fstype, s.flags, s.attrSet, s.attrClr]),
        HYBRID.hierarchies.map((h) => [
          `/sys/fs/cgroup/${path.basename(h.mountPoint)}`,
          path.join(h.mountPoint, h.ownPath),
          '',
          M.MS_BIND | M.MS_REC,
          0,
          0,
        ]),
        'one bind of our own cgroup per hierarchy',
      );
      t.same(view.slice(5, 7).map((s) => s.kind === 'SYMLINK' && [s.dest, s.target, s.ignoreExisting]), [
        ['/sys/fs/cgroup/cpu', 'cpu,cpuacct', true],
        ['/sys/fs/cgroup/cpuacct', 'cpu,cpuacct', true],
      ]);
      t.match(
        view[7],
        { dest: '/sys/fs/cgroup', source: '', fstype: '', flags: M.MS_REMOUNT | M.MS_RDONLY | CGROUP_FLAGS, recAttrSet: RO_ATTRS, create: 0 },
        'then the tmpfs read-only, and with it every bind (recursive mount_setattr)',
      );
    });
  }

  t.test('rw: no read-only remount', async (t) => {
    const p = plan((c) => (c.mounts[CGROUP_MOUNT].options = ['nosuid', 'rw']));
    const view = fromMount(p, CGROUP_MOUNT);
    t.equal(view.length, 7);
    t.ok(view.every((s) => s.kind !== 'MOUNT' || (s.flags & M.MS_REMOUNT) === 0));
    t.match(view[1], { attrSet: M.MOUNT_ATTR_NOSUID });
  });

  t.test('legacy (no unified hierarchy) is built the same way', async (t) => {
    const legacy: CgroupLayout = { ...HYBRID, mode: 'legacy', hierarchies: HYBRID.hierarchies.filter((h) => h.version === 1) };
    t.equal(fromMount(plan(() => {}, { ...ROOT_HOST, cgroups: legacy }), CGROUP_MOUNT).length, 7);
  });
});

t.test('the cgroup view, unified layout', async (t) => {
  const host: HostFacts = { ...ROOT_HOST, cgroups: UNIFIED };
  t.test('with a cgroup namespace: a cgroup2 mount', async (t) => {
    const p = plan(() => {}, host, { cgroupNamespace: true });
    t.equal(p.cloneFlags & C.CLONE_NEWCGROUP, C.CLONE_NEWCGROUP);
    t.same(fromMount(p, CGROUP_MOUNT), [
      {
        kind: 'MOUNT', source: 'cgroup2', dest: '/sys/fs/cgroup', fstype: 'cgroup2', data: '', flags: M.MS_RDONLY | CGROUP_FLAGS,
        propagation: 0, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0, create: 1, copyUp: false, origin: `/mounts/${CGROUP_MOUNT}`,
      },
    ]);
  });
  t.test('without one: a read-only bind of our own cgroup', async (t) => {
    const p = plan(() => {}, host, { cgroupNamespace: false });
    t.equal(p.cloneFlags & C.CLONE_NEWCGROUP, 0);
    t.same(fromMount(p, CGROUP_MOUNT), [
      {
        kind: 'MOUNT', source: '/sys/fs/cgroup/user.slice/ociish.scope', dest: '/sys/fs/cgroup', fstype: '', data: '', flags: M.MS_BIND | M.MS_REC,
        propagation: 0, attrSet: RO_ATTRS, attrClr: 0, recAttrSet: 0, recAttrClr: 0, create: 1, copyUp: false, origin: `/mounts/${CGROUP_MOUNT}`,
      },
    ]);
  });
  t.test('no cgroup filesystem on the host', async (t) => {
    const e = configError(() => plan(() => {}, { ...ROOT_HOST, cgroups: { mode: 'none', root: '/sys/fs/cgroup', hierarchies: [], links: [] } }));
    t.equal(e.pointer, `/mounts/${CGROUP_MOUNT}/type`);
  });
});

t.test('seccomp: before the user changes without no_new_privs, just before exec (and the barrier) with it', async (t) => {
  const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  const tail = (p: Plan) => kinds(p).slice(kinds(p).indexOf('CAP_BOUNDING'));
  const nnp = plan((c) => ((c.linux.seccomp = seccomp), (c.process.noNewPrivileges = true)));
  t.same(tail(nnp), ['CAP_BOUNDING', 'CHDIR', 'SET_USER', 'CHDIR', 'CAPS', 'UMASK', 'NO_NEW_PRIVS', 'SECCOMP', 'EXEC']);
  const privileged = plan((c) => ((c.linux.seccomp = seccomp), (c.process.noNewPrivileges = false)));
  t.same(tail(privileged), ['CAP_BOUNDING', 'CHDIR', 'SECCOMP', 'SET_USER', 'CHDIR', 'CAPS', 'UMASK', 'EXEC']);
  const step = only(nnp, 'SECCOMP')[0]!;
  t.match(step, { origin: '/linux/seccomp', flags: 0, listener: false });
  t.equal(step.program.length % 8, 0);
  t.same(only(plan(), 'SECCOMP'), [], 'no profile, no step');
  const barrier = buildPlan(parseConfig({ ...defaultSpec({ cgroupNamespace: false }), linux: { ...(defaultSpec({ cgroupNamespace: false }) as Raw).linux, seccomp } }), { bundle, host: ROOT_HOST, barrier: true });
  t.same(kinds(barrier).slice(-3), ['SECCOMP', 'BARRIER', 'EXEC'], 'a listener is handed over during create');
  const unused = plan((c) => (c.linux.seccomp = { ...seccomp, listenerPath: '/run/agent.sock' }));
  t.same(unused.warnings, ['/linux/seccomp/listenerPath: not used: no rule has SCMP_ACT_NOTIFY']);
});

t.test('capabilities', async (t) => {
  t.test('an ambient capability that is not inheritable: a warning, not raised', async (t) => {
    const p = plan((c) => (c.process.capabilities.ambient = ['CAP_KILL', 'CAP_NET_BIND_SERVICE']));
    t.same(p.warnings, [
      '/process/capabilities/ambient: CAP_KILL, CAP_NET_BIND_SERVICE not raised: an ambient capability must also be permitted and inheritable',
    ]);
    t.match(only(p, 'CAPS'), [{ ambient: 0n }]);
  });
  t.test('permitted and inheritable: raised, no warning', async (t) => {
    const p = plan((c) => {
      c.process.capabilities.inheritable = ['CAP_KILL'];
      c.process.capabilities.ambient = ['CAP_KILL'];
    });
    t.same(p.warnings, []);
    t.match(only(p, 'CAPS'), [{ inheritable: bit('CAP_KILL'), ambient: bit('CAP_KILL') }]);
  });
  t.test('an unknown capability: a warning naming it', async (t) => {
    const p = plan((c) => c.process.capabilities.bounding.push('CAP_NOT_A_CAP'));
    t.same(p.warnings, ['/process/capabilities/bounding/3: unknown capability "CAP_NOT_A_CAP" ignored']);
    t.match(only(p, 'CAP_BOUNDING'), [{ keep: DEFAULT_CAPS }]);
  });
  t.test('no capabilities object: no capability steps', async (t) => {
    const p = plan((c) => delete c.process.capabilities);
    t.notOk(kinds(p).includes('CAP_BOUNDING'));
    t.notOk(kinds(p).includes('CAPS'));
  });
  t.test('lastCap comes from the host', async (t) => {
    t.match(only(plan(() => {}, { ...ROOT_HOST, lastCap: 37 }), 'CAP_BOUNDING'), [{ lastCap: 37 }]);
  });
});

// ---------------------------------------------------------------- encoding

interface DecodedStep {
  op: number;
  origin: number;
  ints: bigint[];
  groups: string[][];
}

/** Decodes the format csrc/child/plan.h documents, checking every byte on the way. */
function decodePlan(buf: Buffer): { magic: number; version: number; reserved: number; steps: DecodedStep[] } {
  let off = 0;
  const u32 = () => {
    const v = buf.readUInt32LE(off);
    off += 4;
    return v;
  };
  const magic = u32(), version = u32(), nsteps = u32(), reserved = u32();
  const steps: DecodedStep[] = [];
  for (let i = 0; i < nsteps; i++) {
    const op = u32(), origin = u32(), nints = u32(), ngroups = u32();
    const ints: bigint[] = [];
    for (let k = 0; k < nints; k++, off += 8) ints.push(buf.readBigUInt64LE(off));
    const groups: string[][] = [];
    for (let g = 0; g < ngroups; g++) {
      const count = u32();
      const group: string[] = [];
      for (let k = 0; k < count; k++) {
        const nul = buf.indexOf(0, off);
        if (nul < 0) throw new Error(`step ${i}: unterminated string`);
        group.push(buf.toString('utf8', off, nul));
        off = nul + 1;
      }
      groups.push(group);
    }
    const padded = (off + 7) & ~7;
    if (!buf.subarray(off, padded).every((b) => b === 0)) throw new Error(`step ${i}: padding is not zero`);
    off = padded;
    steps.push({ op, origin, ints, groups });
  }
  if (off !== buf.length) throw new Error(`${buf.length - off} bytes after the last step`);
  return { magic, version, reserved, steps };
}

type Int = number | bigint | boolean;
const u64 = (v: Int): bigint => {
  const b = typeof v === 'boolean' ? BigInt(v ? 1 : 0) : BigInt(v);
  return b > (1n << 64n) - 1n ? (1n << 64n) - 1n : BigInt.asUintN(64, b);
};

/**
 * What the child reads for each kind: the argument lists of plan.h's step
 * table as csrc/child/steps_*.cc index them.
 */
function expectedLayout(s: Step): { ints: Int[]; groups: string[][] } {
  switch (s.kind) {
    case 'SETNS': return { ints: [s.nstype], groups: [[s.path]] };
    case 'UNSHARE': return { ints: [s.flags], groups: [] };
    case 'SET_ROOT_IDS': return { ints: [s.setGroups], groups: [] };
    case 'ROOTFS': return { ints: [s.propagation], groups: [[s.rootfs, s.privateParent]] };
    // steps_mount.cc step_mount: ints[0..6] (plan.h's comment still lists the older 6-int form)
    case 'MOUNT': return { ints: [s.flags, s.propagation, s.attrSet, s.attrClr, s.recAttrSet, s.recAttrClr, s.create, s.copyUp ? 1 : 0], groups: [[s.source, s.dest, s.fstype, s.data]] };
    case 'MKNOD': return { ints: [s.mode, s.major, s.minor, s.uid, s.gid, s.bindFrom !== null], groups: [[s.dest, s.bindFrom ?? '']] };
    case 'SYMLINK': return { ints: [s.ignoreExisting], groups: [[s.target, s.dest]] };
    case 'MASK':
    case 'READONLY':
    case 'MKDIR': return { ints: [], groups: [[s.dest]] };
    case 'ROOT_PROPAGATION': return { ints: [s.flags], groups: [] };
    case 'HOSTNAME':
    case 'DOMAINNAME': return { ints: [], groups: [[s.name]] };
    case 'WRITE_FILE': return { ints: [s.inRoot, s.fsMagic], groups: [[s.path, s.content]] };
    case 'RLIMIT': return { ints: [s.resource, s.soft, s.hard], groups: [] };
    case 'CAP_BOUNDING': return { ints: [s.keep, s.lastCap], groups: [] };
    case 'SET_USER': return { ints: [s.uid, s.gid, s.setGroups, ...s.groups], groups: [] };
    case 'CAPS': return { ints: [s.effective, s.permitted, s.inheritable, s.ambient], groups: [] };
    case 'UMASK': return { ints: [s.mask], groups: [] };
    case 'CHDIR': return { ints: [s.soft], groups: [[s.path]] };
    // steps_exec.cc step_exec: ints[preserved fds, lookup], groups[args, env, path dirs]
    case 'EXEC': return { ints: [s.preservedFds, s.pathDirs !== null], groups: [s.args, s.env, s.pathDirs ?? [], s.file === undefined ? [] : [s.file]] };
    case 'STDIN_DATA': return { ints: [], groups: [[s.data]] };
    case 'SETNS_PID': return { ints: [s.pid, s.flags], groups: [] };
    case 'SESSION_KEYRING': return { ints: [], groups: [[s.name]] };
    // steps_ns.cc step_sync_cgroups: ints[part] (1 ask, 2 wait; none: both)
    case 'SYNC_CGROUPS': return { ints: s.part ? [s.part === 'ask' ? 1 : 2] : [], groups: [] };
    case 'ENTER_CGROUP': return { ints: [], groups: [[s.tasksFile]] };
    case 'SYNC_IDMAPS':
    case 'PIVOT_ROOT':
    case 'ROOT_READONLY':
    case 'LOOPBACK_UP':
    case 'NO_NEW_PRIVS':
    case 'BARRIER':
    case 'SYNC_HOOKS':
    case 'FORK_INIT': return { ints: [], groups: [] };
    // steps_barrier.cc step_open_barrier: strs[path]
    case 'OPEN_BARRIER': return { ints: [], groups: [[s.path]] };
    // steps_exec.cc step_check_exec: ints[lookup], groups[[file], path dirs]
    case 'CHECK_EXEC': return { ints: [s.pathDirs !== null], groups: [[s.file], s.pathDirs ?? []] };
    // steps_console.cc step_console: ints[set size, rows, cols]
    case 'CONSOLE': return { ints: [s.size !== null, s.size?.rows ?? 0, s.size?.cols ?? 0], groups: [] };
    // steps_seccomp.cc: ints[flags, listener], then one sock_filter per slot, bytes as is
    case 'SECCOMP': {
      const insns: bigint[] = [];
      for (let off = 0; off < s.program.length; off += 8) insns.push(s.program.readBigUInt64LE(off));
      return { ints: [s.flags, s.listener, ...insns], groups: [] };
    }
  }
}

function checkRoundTrip(t: Test, steps: Step[]): void {
  const buf = encodePlan(steps);
  t.equal(buf.length % 8, 0, 'a multiple of 8 bytes');
  const decoded = decodePlan(buf);
  t.same([decoded.magic, decoded.version, decoded.reserved], [constants.plan.MAGIC, constants.plan.VERSION, 0], 'header');
  t.equal(decoded.steps.length, steps.length, 'step count');
  steps.forEach((s, i) => {
    const d = decoded.steps[i]!;
    const want = expectedLayout(s);
    t.same(
      { op: d.op, origin: d.origin, ints: d.ints, groups: d.groups },
      { op: constants.steps[s.kind], origin: i, ints: want.ints.map(u64), groups: want.groups },
      `step ${i} ${s.kind}`,
    );
    t.ok(d.groups.length <= constants.plan.MAX_GROUPS, `step ${i}: at most MAX_GROUPS groups`);
  });
}

t.test('encodePlan: the bytes decode back to the steps', async (t) => {
  t.test('the default plan', async (t) => checkRoundTrip(t, plan((c) => (c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 2 ** 64 }))).steps));
  t.test('the rootless plan', async (t) =>
    checkRoundTrip(t, plan(() => {}, { ...ROOT_HOST, euid: 1000 }, { rootless: true }).steps));
  t.test('every step kind, with edge values', async (t) => {
    const all: Step[] = [
      { kind: 'SETNS', nstype: C.CLONE_NEWNET, path: '/var/run/netns/blue', origin: '/linux/namespaces/1/path' },
      { kind: 'UNSHARE', flags: C.CLONE_NEWNS | C.CLONE_NEWUSER, origin: '/linux/namespaces' },
      { kind: 'SYNC_IDMAPS', origin: '/linux/uidMappings' },
      { kind: 'SYNC_CGROUPS', origin: '/linux/cgroupsPath' },
      { kind: 'ENTER_CGROUP', tasksFile: '/sys/fs/cgroup/pids/ociish/c1/tasks', origin: '/linux/cgroupsPath' },
      { kind: 'SYNC_CGROUPS', part: 'ask', origin: '/linux/cgroupsPath' },
      { kind: 'SYNC_CGROUPS', part: 'wait', origin: '/linux/cgroupsPath' },
      { kind: 'SET_ROOT_IDS', setGroups: true, origin: '/linux/uidMappings' },
      { kind: 'ROOTFS', rootfs: '/bundles/x/rootfs', propagation: M.MS_SHARED | M.MS_REC, privateParent: '/bundles', origin: '/root/path' },
      { kind: 'MKDIR', dest: '/work dir', origin: '/process/cwd' },
      {
        kind: 'MOUNT', source: '/src dir', dest: '/dést', fstype: '', data: '', flags: M.MS_BIND | M.MS_REC, propagation: M.MS_PRIVATE,
        attrSet: 1, attrClr: 2, recAttrSet: 4, recAttrClr: 0x70, create: 2, copyUp: false, origin: '/mounts/0',
      },
      {
        kind: 'MOUNT', source: 'tmpfs', dest: '/tmp', fstype: 'tmpfs', data: 'mode=1777', flags: M.MS_NOSUID, propagation: 0,
        attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0, create: 1, copyUp: true, origin: '/mounts/1',
      },
      { kind: 'MKNOD', dest: '/dev/fuse', mode: 0o20666, major: 10, minor: 229, uid: 0xfffffffe, gid: 5, bindFrom: '/dev/fuse', origin: '/linux/devices/0' },
      { kind: 'MKNOD', dest: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0, bindFrom: null, origin: '' },
      { kind: 'SYMLINK', target: 'pts/ptmx', dest: '/dev/ptmx', ignoreExisting: true, origin: '' },
      { kind: 'MASK', dest: '/proc/kcore', origin: '/linux/maskedPaths/0' },
      { kind: 'READONLY', dest: '/proc/sys', origin: '/linux/readonlyPaths/0' },
      { kind: 'PIVOT_ROOT', origin: '/root/path' },
      { kind: 'ROOT_READONLY', origin: '/root/readonly' },
      { kind: 'ROOT_PROPAGATION', flags: M.MS_SHARED | M.MS_REC, origin: '/linux/rootfsPropagation' },
      { kind: 'HOSTNAME', name: 'häst', origin: '/hostname' },
      { kind: 'DOMAINNAME', name: '', origin: '/domainname' },
      { kind: 'WRITE_FILE', path: '/proc/sys/net/ipv4/ip_forward', content: '1', inRoot: true, fsMagic: 0x9fa0, origin: '/linux/sysctl/net.ipv4.ip_forward' },
      { kind: 'WRITE_FILE', path: '/proc/self/oom_score_adj', content: '-1000', inRoot: false, fsMagic: 0, origin: '/process/oomScoreAdj' },
      { kind: 'LOOPBACK_UP', origin: '/linux/namespaces' },
      { kind: 'RLIMIT', name: 'RLIMIT_NOFILE', resource: 7, soft: (1n << 64n) - 1n, hard: 1n << 64n, origin: '/process/rlimits/0' },
      { kind: 'CAP_BOUNDING', keep: (1n << 41n) - 1n, lastCap: 40, origin: '/process/capabilities/bounding' },
      { kind: 'SET_USER', uid: 1000, gid: 1000, setGroups: true, groups: [4, 24, 27], origin: '/process/user' },
      { kind: 'CAPS', effective: 1n << 40n, permitted: 1n << 63n, inheritable: 0n, ambient: 1n, origin: '/process/capabilities' },
      { kind: 'UMASK', mask: 0o077, origin: '/process/user/umask' },
      { kind: 'NO_NEW_PRIVS', origin: '/process/noNewPrivileges' },
      { kind: 'CHDIR', path: '/home/u', soft: true, origin: '/process/cwd' },
      { kind: 'BARRIER', origin: '' },
      { kind: 'FORK_INIT', origin: '/linux/namespaces' },
      { kind: 'EXEC', args: ['sh', '-c', 'echo ✓'], env: [], pathDirs: ['', '/bin'], preservedFds: 3, origin: '/process/args' },
      { kind: 'EXEC', args: ['/bin/true'], env: ['A=1'], pathDirs: null, preservedFds: 0, origin: '/process/args' },
      // ld [4]; ret ALLOW: the bytes of two sock_filters, high bits set in k
      {
        kind: 'SECCOMP', flags: 2, listener: true, origin: '/linux/seccomp',
        program: Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]),
      },
      { kind: 'SECCOMP', flags: 0, listener: false, program: Buffer.alloc(0), origin: '/linux/seccomp' },
      { kind: 'OPEN_BARRIER', path: '/run/ociish/c1/exec.fifo', origin: '' },
      { kind: 'CHECK_EXEC', file: 'sh', pathDirs: ['', '/usr/bin'], origin: '/process/args' },
      { kind: 'CHECK_EXEC', file: '/bin/sh', pathDirs: null, origin: '/process/args' },
      { kind: 'CONSOLE', size: { rows: 65535, cols: 80 }, origin: '/process/terminal' },
      { kind: 'CONSOLE', size: null, origin: '/process/terminal' },
      { kind: 'SYNC_HOOKS', origin: '/hooks' },
      { kind: 'STDIN_DATA', data: '{"status":"created"}', origin: '/hooks/startContainer/0' },
      { kind: 'SETNS_PID', pid: 4194303, flags: 0x7e020000, origin: '/linux/namespaces' },
      { kind: 'SESSION_KEYRING', name: 'my-container.1', origin: '' },
      { kind: 'EXEC', args: ['argv0', 'x'], env: [], pathDirs: null, preservedFds: 0, file: '/hooks/bin/hook', origin: '/hooks/startContainer/0/path' },
    ];
    const covered = new Set(all.map((s) => s.kind));
    t.same([...covered].sort(), Object.keys(constants.steps).sort(), 'every kind is covered');
    checkRoundTrip(t, all);
  });
  t.test('an empty plan is just the header', async (t) => {
    t.same(encodePlan([]), Buffer.from([...u32le(constants.plan.MAGIC), ...u32le(constants.plan.VERSION), 0, 0, 0, 0, 0, 0, 0, 0]));
  });
  t.test('a seccomp program that is not whole instructions is refused', async (t) => {
    t.throws(() => encodePlan([{ kind: 'SECCOMP', flags: 0, listener: false, program: Buffer.alloc(12), origin: '/linux/seccomp' }]), { message: /not a multiple of 8/ });
  });
  t.test('a NUL inside a string is refused, not truncated', async (t) => {
    t.throws(() => encodePlan([{ kind: 'HOSTNAME', name: 'a\0b', origin: '/hostname' }]), { message: /NUL/ });
  });
});

function u32le(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return [...b];
}
