// Namespaces, checked from inside real containers run through `ociish run`:
// each test asserts what a process in the container sees (pid 1, only lo,
// its own hostname, / cgroup paths, its uid map, a joined namespace's
// contents), so it fails if the namespace is missing or wrong.
import t, { type Test } from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountPointOf } from '../../lib/plan/mounts';
import {
  exampleBundle, leftoverState, rootSkip, tempDir, type Config, ranOk, sections, hostMountsMentioning, runScript, testPaths, privateRootfs,
} from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

function nsOf(type: string, pid: number | 'self' = 'self'): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${type}`);
}

/** Replaces (or adds) the namespace entry of `type`. */
function setNamespace(config: Config, type: string, entry: { type: string; path?: string } | null): void {
  const list = (config.linux.namespaces as { type: string; path?: string }[]).filter((n) => n.type !== type);
  if (entry) list.push(entry);
  config.linux.namespaces = list;
}

const USERNS_MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

// ---------------------------------------------------------------------------
// pid

t.test('pid namespace: the process is pid 1 and /proc lists only container pids', { skip: rootSkip }, async (t) => {
  // `exec ls` keeps the shell's pid: the only process in the container is pid 1.
  // The status loop is builtins only, so /proc/self is the shell itself.
  const r = await runScript('echo "@@pid"; echo $$; echo "@@ppid"; echo $PPID; echo "@@status"; while read k v; do case $k in Pid:|PPid:|NSpid:) echo "$k $v";; esac; done < /proc/self/status; echo "@@proc"; exec ls -1 /proc');
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['pid'], ['1'], 'the shell is pid 1');
  t.same(s['ppid'], ['0'], 'pid 1 has no parent in its namespace');
  t.same(s['status'], ['Pid: 1', 'PPid: 0', 'NSpid: 1'], '/proc/self/status: pid 1, no parent, one pid namespace level seen from inside');
  const pids = (s['proc'] ?? []).filter((e) => /^\d+$/.test(e));
  t.same(pids, ['1'], 'the container /proc has one numeric entry, pid 1 (ls itself)');
});

// ---------------------------------------------------------------------------
// network

t.test('network namespace: only lo, and lo is up', { skip: rootSkip }, async (t) => {
  const script = [
    'echo "@@netdev"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "',
    'echo "@@sysnet"; ls -1 /sys/class/net',
    'echo "@@operstate"; cat /sys/class/net/lo/operstate',
    'echo "@@flags"; cat /sys/class/net/lo/flags',
    'echo "@@iplink"; ip -o link show',
    'echo "@@ns"; readlink /proc/self/ns/net',
    // a TCP round trip over 127.0.0.1 only works if lo is up; the listener
    // may take seconds to start on a loaded CI machine (CI once missed 2 s)
    'nc -l -p 5555 > /tmp/got & for i in $(seq 100); do echo over-lo | nc 127.0.0.1 5555 2>/dev/null && break; sleep 0.1; done; wait',
    'echo "@@lo"; cat /tmp/got',
  ].join('\n');
  // /tmp as a tmpfs: the shared rootfs stays read-only and untouched.
  const r = await runScript(script, (c) => c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['netdev'], ['lo'], '/proc/net/dev lists only lo');
  t.same(s['sysnet'], ['lo'], '/sys/class/net has only lo (sysfs of the new netns)');
  t.same(s['operstate'], ['unknown'], 'lo operstate is "unknown" (up; lo has no carrier state)');
  const flags = Number((s['flags'] ?? ['0'])[0]);
  t.equal(flags & 0x1, 0x1, `IFF_UP is set in lo flags (${(s['flags'] ?? [''])[0]})`);
  t.equal(flags & 0x8, 0x8, 'IFF_LOOPBACK is set');
  t.equal(s['iplink']?.length, 1, 'ip link shows one interface');
  t.match(s['iplink']?.[0] ?? '', /^1: lo: <LOOPBACK,UP,LOWER_UP>/, 'ip link: lo is LOOPBACK,UP,LOWER_UP');
  t.not(s['ns']?.[0], nsOf('net'), 'a network namespace other than the host\'s');
  t.same(s['lo'], ['over-lo'], 'a TCP round trip over 127.0.0.1 works');
});

// ---------------------------------------------------------------------------
// ipc

t.test('ipc namespace: host SysV objects are invisible, namespace differs', { skip: rootSkip }, async (t) => {
  // A SysV shared memory segment in the host's ipc namespace (perl has shmget built in).
  let shmid: number | null = null;
  try {
    shmid = Number(execFileSync('perl', ['-e', 'use IPC::SysV qw(IPC_PRIVATE); my $id = shmget(IPC_PRIVATE, 4096, 0600); defined $id or die; print $id'], { encoding: 'utf8' }));
  } catch (e) {
    t.comment(`no host shm segment (perl failed: ${(e as Error).message}); checking the namespace id only`);
  }
  t.teardown(() => {
    if (shmid !== null) execFileSync('ipcrm', ['-m', String(shmid)]);
  });
  const r = await runScript('echo "@@shm"; tail -n +2 /proc/sysvipc/shm; echo "@@ns"; readlink /proc/self/ns/ipc; echo "@@mq"; ls -A /dev/mqueue');
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  if (shmid !== null) {
    const hostShm = fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).filter((l) => l.trim());
    t.ok(hostShm.some((l) => l.trim().split(/\s+/)[1] === String(shmid)), 'the segment exists on the host');
    t.same(s['shm'] ?? [], [], 'the container sees no SysV shm segment');
  }
  t.not(s['ns']?.[0], nsOf('ipc'), 'an ipc namespace other than the host\'s');
  t.same(s['mq'] ?? [], [], '/dev/mqueue (the container ipc namespace\'s mqueue fs) is empty');
});

// ---------------------------------------------------------------------------
// uts

t.test('uts namespace: hostname and domainname from config.json; host unchanged', { skip: rootSkip }, async (t) => {
  const hostHostname = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
  const hostDomain = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8');
  const r = await runScript('echo "@@hostname"; hostname; echo "@@kernel"; cat /proc/sys/kernel/hostname; echo "@@domain"; cat /proc/sys/kernel/domainname; echo "@@ns"; readlink /proc/self/ns/uts', (c) => {
    c.hostname = 'ociish-uts-test';
    c.domainname = 'ociish.example';
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['hostname'], ['ociish-uts-test'], '`hostname` is config.hostname');
  t.same(s['kernel'], ['ociish-uts-test'], '/proc/sys/kernel/hostname agrees');
  t.same(s['domain'], ['ociish.example'], '/proc/sys/kernel/domainname is config.domainname');
  t.not(s['ns']?.[0], nsOf('uts'), 'a uts namespace other than the host\'s');
  t.equal(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8'), hostHostname, 'host hostname unchanged');
  t.equal(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8'), hostDomain, 'host domainname unchanged');
});

// ---------------------------------------------------------------------------
// mount

t.test('mount namespace: the container sees its own tree, the host sees none of it', { skip: rootSkip }, async (t) => {
  const { rootfs } = await exampleBundle();
  const r = await runScript('echo "@@root"; head -1 /proc/self/mountinfo; echo "@@points"; cut -d" " -f5 /proc/self/mountinfo; echo "@@ns"; readlink /proc/self/ns/mnt');
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const root = (s['root']?.[0] ?? '').split(' ');
  t.equal(root[4], '/', 'the first mount is /');
  // mountinfo's root field is the path inside the filesystem holding it (/tmp may be a tmpfs of its own).
  const holder = mountPointOf(rootfs);
  t.equal(root[3], holder === '/' ? rootfs : rootfs.slice(holder.length), '/ is the bundle rootfs (mountinfo root field)');
  t.not(s['ns']?.[0], nsOf('mnt'), 'a mount namespace other than the host\'s');
  const points = s['points'] ?? [];
  t.equal(points.filter((p) => p === '/').length, 1, 'one mount at / (the old root is detached)');
  t.same(points.filter((p) => !/^\/(proc|dev|sys)(\/|$)/.test(p) && p !== '/'), [], 'only / and the config\'s /proc, /dev, /sys mounts: no host mount is visible');
  t.same(hostMountsMentioning([rootfs]), [], 'the host mount table does not mention the rootfs');
});

// ---------------------------------------------------------------------------
// cgroup

t.test('cgroup namespace: /proc/self/cgroup shows / paths', { skip: rootSkip }, async (t) => {
  const script = 'echo "@@cgroup"; cat /proc/self/cgroup; echo "@@ns"; readlink /proc/self/ns/cgroup';
  const hierarchies = (lines: string[] | undefined) => (lines ?? []).map((l) => l.replace(/:[^:]*$/, ''));

  const without = await runScript(script, (c) => setNamespace(c, 'cgroup', null));
  if (!ranOk(t, without)) return;
  const w = sections(without.stdout);
  t.equal(w['ns']?.[0], nsOf('cgroup'), 'without a cgroup namespace: the host\'s');
  // Without a namespace, the container's own cgroup (/ociish/<id>) shows through.
  t.ok((w['cgroup'] ?? []).length > 0 && (w['cgroup'] ?? []).every((l) => /:\/ociish\/[^/]+$/.test(l)), `without a cgroup namespace every path is /ociish/<id> (${(w['cgroup'] ?? []).join(' ')})`);

  const withNs = await runScript(script, (c) => setNamespace(c, 'cgroup', { type: 'cgroup' }));
  if (!ranOk(t, withNs)) return;
  const s = sections(withNs.stdout);
  t.same(hierarchies(s['cgroup']), hierarchies(w['cgroup']), 'the same hierarchies');
  t.same(s['cgroup'], hierarchies(w['cgroup']).map((h) => `${h}:/`), 'every cgroup path is / in the new cgroup namespace');
  t.not(s['ns']?.[0], nsOf('cgroup'), 'a cgroup namespace other than the host\'s');
});

// ---------------------------------------------------------------------------
// user

t.test('user namespace with uid/gid mappings: root inside, 100000 outside', { skip: rootSkip }, async (t) => {
  // The rootfs shifted to the mapped range, as images for a user namespace
  // are: the container's root may create its mount points.
  const rootfs = await privateRootfs('nsroot');
  execFileSync('chown', ['-R', '-h', '100000:100000', rootfs]);
  // A host directory owned by the mapped root, bound in: what the container
  // creates there is 0:0 inside and 100000:100000 on the host.
  const shared = tempDir('nsuser');
  fs.chmodSync(shared, 0o755);
  fs.chownSync(shared, 100000, 100000);
  const script = [
    'echo "@@id"; id -u; id -g',
    'echo "@@uidmap"; cat /proc/self/uid_map',
    'echo "@@gidmap"; cat /proc/self/gid_map',
    'echo "@@ns"; readlink /proc/self/ns/user',
    'touch /tmp/made-inside; echo "@@tmpfile"; stat -c "%u %g" /tmp/made-inside',
    'touch /data/made-inside; echo "@@datafile"; stat -c "%u %g" /data/made-inside',
    'echo "@@rootowner"; stat -c "%u %g" /bin/busybox',
    'echo "@@hostowned"; stat -c "%u %g" /hostowned',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = USERNS_MAP;
    c.linux.gidMappings = USERNS_MAP;
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.mounts.push({ destination: '/data', type: 'bind', source: shared, options: ['bind'] });
    c.mounts.push({ destination: '/hostowned', type: 'bind', source: tempDir('nshostowned'), options: ['bind', 'ro'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['id'], ['0', '0'], 'id -u / id -g are 0');
  const norm = (l: string[] | undefined) => (l ?? []).map((x) => x.trim().split(/\s+/).join(' '));
  t.same(norm(s['uidmap']), ['0 100000 65536'], '/proc/self/uid_map is the mapping');
  t.same(norm(s['gidmap']), ['0 100000 65536'], '/proc/self/gid_map is the mapping');
  t.not(s['ns']?.[0], nsOf('user'), 'a user namespace other than the host\'s');
  t.same(s['tmpfile'], ['0 0'], 'a file created on a tmpfs is owned by 0:0 inside');
  t.same(s['datafile'], ['0 0'], 'a file created in a bound host dir is owned by 0:0 inside');
  const st = fs.statSync(path.join(shared, 'made-inside'));
  t.same([st.uid, st.gid], [100000, 100000], '... and by 100000:100000 on the host');
  t.same(s['rootowner'], ['0 0'], 'the rootfs (host 100000) is owned by 0:0 inside');
  t.same(s['hostowned'], ['65534 65534'], 'a host-root-owned directory (bound in) shows as the overflow id 65534');
});

// ---------------------------------------------------------------------------
// joining namespaces by path

t.test('joining a network namespace by path (ip netns)', { skip: rootSkip }, async (t) => {
  const name = `ociish-t-${process.pid}-net`;
  const a = `ocv${process.pid}a`.slice(0, 15);
  const b = `ocv${process.pid}b`.slice(0, 15);
  execFileSync('ip', ['netns', 'add', name]);
  t.teardown(() => execFileSync('ip', ['netns', 'del', name]));
  execFileSync('ip', ['-n', name, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
  execFileSync('ip', ['-n', name, 'addr', 'add', '10.199.77.1/24', 'dev', a]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'mtu', '1234']);
  const nsIno = fs.statSync(`/run/netns/${name}`).ino;

  const r = await runScript('echo "@@netdev"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort; echo "@@addr"; ip -o -4 addr show dev ' + a + ' | tr -s " " | cut -d" " -f2,4; echo "@@mtu"; cat /sys/class/net/lo/mtu; echo "@@ns"; readlink /proc/self/ns/net',
    (c) => setNamespace(c, 'network', { type: 'network', path: `/run/netns/${name}` }));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['netdev'], [a, b, 'lo'].sort(), '/proc/net/dev lists the joined namespace\'s interfaces');
  t.same(s['addr'], [`${a} 10.199.77.1/24`], 'with the address set from the host');
  t.same(s['mtu'], ['1234'], 'sysfs shows the joined namespace\'s lo (mtu 1234)');
  t.equal(s['ns']?.[0], `net:[${nsIno}]`, 'the namespace is the one at /run/netns/<name>');
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((res) => setTimeout(res, 20));
  }
  return cond();
}

t.test('joining a uts namespace by the path of a running process', { skip: rootSkip }, async (t) => {
  const helper: ChildProcess = spawn('unshare', ['--uts', 'sleep', '30'], { stdio: 'ignore' });
  const pid = helper.pid!;
  t.teardown(() => {
    helper.kill('SIGKILL'); // by pid: the child we started
  });
  const hostUts = nsOf('uts');
  const entered = await waitFor(() => {
    try {
      return nsOf('uts', pid) !== hostUts;
    } catch {
      return false;
    }
  });
  if (!t.ok(entered, 'the helper is in a uts namespace of its own')) return;
  const name = `joined-${process.pid}`;
  execFileSync('nsenter', ['-t', String(pid), '-u', 'hostname', name]);
  const helperUts = nsOf('uts', pid);

  // No config.hostname: the joined namespace keeps the helper's name.
  const r = await runScript('echo "@@hostname"; hostname; echo "@@ns"; readlink /proc/self/ns/uts', (c) => {
    delete c.hostname;
    setNamespace(c, 'uts', { type: 'uts', path: `/proc/${pid}/ns/uts` });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['hostname'], [name], 'the hostname set in the helper\'s namespace');
  t.same(s['ns'], [helperUts], 'the helper\'s uts namespace');
  t.equal(execFileSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' }).trim(), name, 'the helper\'s hostname is unchanged');
});

/** A helper process in namespaces of its own (unshare(1) args), killed by pid in teardown; resolves to the pid of its `sleep`. */
async function namespaceHolder(t: Test, unshareArgs: string[], type: string): Promise<number | null> {
  const helper: ChildProcess = spawn('unshare', [...unshareArgs, 'sleep', '30'], { stdio: 'ignore' });
  let sleeperPid = 0;
  t.teardown(() => {
    // Both by pid: unshare, and with --fork its sleep, which would outlive it.
    if (sleeperPid && sleeperPid !== helper.pid) process.kill(sleeperPid, 'SIGKILL');
    helper.kill('SIGKILL');
  });
  const pid = helper.pid!;
  // With --fork the sleep is unshare's child; without, unshare execs it.
  const sleeper = () => {
    if (!unshareArgs.includes('--fork')) return pid;
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children ? Number(children.split(' ')[0]) : 0;
  };
  const host = nsOf(type);
  const ready = await waitFor(() => {
    try {
      const p = sleeper();
      return p > 0 && nsOf(type, p) !== host && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep');
    } catch {
      return false;
    }
  });
  if (!ready) return null;
  sleeperPid = sleeper();
  return sleeperPid;
}

t.test('joining a pid namespace by path: the init is cloned into it', { skip: rootSkip }, async (t) => {
  const holder = await namespaceHolder(t, ['--pid', '--fork'], 'pid');
  if (!t.ok(holder, 'a process in a pid namespace of its own')) return;
  const r = await runScript('echo "@@pid"; echo $$; echo "@@one"; cat /proc/1/cmdline | tr "\\0" " "; echo; echo "@@ns"; readlink /proc/self/ns/pid', (c) => {
    setNamespace(c, 'pid', { type: 'pid', path: `/proc/${holder}/ns/pid` });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['ns'], [nsOf('pid', holder!)], 'the holder\'s pid namespace');
  t.same(s['one'], ['sleep 30 '], 'pid 1 there is the holder\'s sleep');
  t.not(s['pid']?.[0], '1', 'the container process is not that namespace\'s init');
  t.same(leftoverState(), [], 'nothing left');
});

t.test('joining a user namespace by path, with new pid, mount and other namespaces owned by it', { skip: rootSkip }, async (t) => {
  const holder = await namespaceHolder(t, ['--user', '--map-root-user'], 'user');
  if (!t.ok(holder, 'a process in a user namespace of its own')) return;
  const r = await runScript('echo "@@map"; cat /proc/self/uid_map; echo "@@pid"; echo $$; echo "@@user"; readlink /proc/self/ns/user; echo "@@id"; id -u', (c) => {
    c.linux.namespaces.push({ type: 'user', path: `/proc/${holder}/ns/user` });
    // Only uid/gid 0 are mapped there: devpts cannot take gid=5 (as runc spec --rootless drops it).
    for (const m of c.mounts) if (m.type === 'devpts') m.options = m.options.filter((o: string) => o !== 'gid=5');
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['user'], [nsOf('user', holder!)], 'the holder\'s user namespace');
  t.same(s['map']?.map((l) => l.trim().split(/\s+/).join(' ')), ['0 0 1'], 'its uid map');
  t.same(s['pid'], ['1'], 'pid 1 of a new pid namespace (cloned by FORK_INIT)');
  t.same(s['id'], ['0']);
});

// ---------------------------------------------------------------------------

t.test('nothing left behind', { skip: rootSkip }, async (t) => {
  t.same(leftoverState(), [], 'no state directory left under --root');
  t.same(hostMountsMentioning(testPaths()), [], 'no host mount mentions a bundle, rootfs or temp dir of this file');
  t.same(fs.existsSync(`/run/netns/ociish-t-${process.pid}-net`), false, 'the test netns is gone');
});
