// The container's filesystem, checked from inside real containers run
// through `ociish run`: /proc/self/mountinfo (type, per-mount flags,
// superblock options, propagation fields) and behaviour (a write to a
// read-only mount fails with EROFS, a noexec script does not run, ...).
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  exampleBundle, leftoverState, rootSkip, tempDir, type Config, type RunResult, ranOk, sections, hostMountsMentioning, runScript, testPaths, makeBundle, ociishBin, stateRoot, uniqueId, privateRootfs,
} from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

interface MountEntry {
  id: number;
  parent: number;
  majmin: string;
  root: string;
  mountPoint: string;
  /** per-mount options (rw/ro, nosuid, ...) */
  options: string[];
  /** shared:N, master:N, propagate_from:N, unbindable */
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function parseMountinfo(lines: string[]): MountEntry[] {
  return lines.filter((l) => l.trim()).map((line) => {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    return {
      id: Number(f[0]), parent: Number(f[1]), majmin: f[2]!, root: unescape(f[3]!), mountPoint: unescape(f[4]!),
      options: f[5]!.split(','), optional: f.slice(6, sep), fstype: f[sep + 1]!, source: f[sep + 2]!,
      superOptions: (f[sep + 3] ?? '').split(','),
    };
  });
}

/** The topmost mount at `point` (the one a lookup sees). */
function at(mounts: MountEntry[], point: string): MountEntry | undefined {
  return mounts.filter((m) => m.mountPoint === point).pop();
}

function hostMountinfo(): MountEntry[] {
  return parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n'));
}

function hostTemp(prefix: string): string {
  const dir = tempDir(prefix);
  return dir;
}

/**
 * Mounts a tmpfs on the host at `dir/sub` (holding sub/x = "in-submount").
 * Unmounted at teardown, then `after` (e.g. the unmount of a mount below it).
 */
function hostSubmount(t: Test, dir: string, after?: () => void): string {
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'ociish-test-sub', sub]);
  t.teardown(() => {
    execFileSync('umount', [sub]);
    after?.();
  });
  fs.writeFileSync(path.join(sub, 'x'), 'in-submount\n');
  return sub;
}

const EROFS = /Read-only file system/;

// ---------------------------------------------------------------------------
// The default config's mounts

t.test('default mounts: type, flags and options in /proc/self/mountinfo', { skip: rootSkip }, async (t) => {
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@modes"; stat -c "%n %a" /dev /dev/shm /dev/pts/ptmx',
    'echo "@@links"; for f in /sys/fs/cgroup/*; do [ -L "$f" ] && echo "${f##*/} $(readlink "$f")"; done; true',
    'echo "@@cgwrite"; touch /sys/fs/cgroup/ociish-x 2>&1; true',
    'echo "@@cgroup"; cat /proc/self/cgroup',
  ].join('\n');
  const r = await runScript(script);
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  const m = (p: string) => at(mounts, p);

  const proc = m('/proc');
  t.same([proc?.fstype, proc?.source, proc?.options.join(',')], ['proc', 'proc', 'rw,relatime'], '/proc: proc, rw');

  const dev = m('/dev');
  t.same([dev?.fstype, dev?.options.join(',')], ['tmpfs', 'rw,nosuid'], '/dev: tmpfs, nosuid, strictatime (no relatime)');
  t.ok(dev?.superOptions.includes('mode=755'), '/dev: mode=755');
  t.ok(dev?.superOptions.includes('size=65536k'), '/dev: size=65536k');

  const pts = m('/dev/pts');
  t.same([pts?.fstype, pts?.options.join(','), pts?.parent], ['devpts', 'rw,nosuid,noexec,relatime', dev?.id], '/dev/pts: devpts, nosuid, noexec, on /dev');
  for (const o of ['gid=5', 'mode=620', 'ptmxmode=666']) t.ok(pts?.superOptions.includes(o), `/dev/pts: ${o}`);
  const hostPts = hostMountinfo().filter((h) => h.fstype === 'devpts').map((h) => h.majmin);
  t.notOk(hostPts.includes(pts?.majmin ?? ''), `/dev/pts is a new devpts instance (${pts?.majmin} not among the host's ${hostPts.join(' ')})`);

  const shm = m('/dev/shm');
  t.same([shm?.fstype, shm?.source, shm?.options.join(',')], ['tmpfs', 'shm', 'rw,nosuid,nodev,noexec,relatime'], '/dev/shm: tmpfs "shm", nosuid, nodev, noexec');
  t.ok(shm?.superOptions.includes('size=65536k'), '/dev/shm: size=65536k');

  const mq = m('/dev/mqueue');
  t.same([mq?.fstype, mq?.options.join(',')], ['mqueue', 'rw,nosuid,nodev,noexec,relatime'], '/dev/mqueue: mqueue, nosuid, nodev, noexec');

  const sys = m('/sys');
  t.same([sys?.fstype, sys?.options.join(',')], ['sysfs', 'ro,nosuid,nodev,noexec,relatime'], '/sys: sysfs, read-only');

  const cg = m('/sys/fs/cgroup');
  if (fs.statfsSync('/sys/fs/cgroup').type === 0x63677270) {
    // A pure v2 host (not this project's usual machine): one cgroup2 mount, read-only.
    t.same([cg?.fstype, cg?.options[0], cg?.parent], ['cgroup2', 'ro', sys?.id], '/sys/fs/cgroup: a read-only cgroup2 on /sys (v2 host)');
  } else {
    t.same([cg?.fstype, cg?.options.join(','), cg?.parent], ['tmpfs', 'ro,nosuid,nodev,noexec,relatime', sys?.id], '/sys/fs/cgroup: a read-only tmpfs on /sys');
    t.ok(cg?.superOptions.includes('mode=755'), '/sys/fs/cgroup: mode=755');
    t.match((s['cgwrite'] ?? []).join('\n'), EROFS, 'creating a file in /sys/fs/cgroup fails with EROFS');

    // One read-only bind per host hierarchy, of the container's own cgroup in it
    // (no cgroup namespace in the default config on a hybrid host: the paths are the host's).
    const key = (list: string[]) => list.slice().sort().join(',');
    const own = new Map<string, string>();
    for (const line of s['cgroup'] ?? []) {
      const x = /^\d+:([^:]*):(.*)$/.exec(line);
      if (x) own.set(key(x[1]!.split(',').filter(Boolean)), x[2]!);
    }
    const hostCg = hostMountinfo().filter((h) => (h.fstype === 'cgroup' || h.fstype === 'cgroup2') && path.dirname(h.mountPoint) === '/sys/fs/cgroup');
    const innerCg = mounts.filter((x) => x.parent === cg?.id);
    t.same(innerCg.map((x) => x.mountPoint).sort(), hostCg.map((h) => h.mountPoint).sort(), 'exactly one mount per host hierarchy (v1 controllers and unified)');
    for (const h of hostCg) {
      const inner = m(h.mountPoint);
      const controllers = h.fstype === 'cgroup2' ? '' : key(h.superOptions.filter((o) => o !== 'rw' && o !== 'ro' && (o.startsWith('name=') || !o.includes('='))));
      t.same(
        [inner?.fstype, inner?.options[0], inner?.options.includes('nosuid') && inner?.options.includes('nodev') && inner?.options.includes('noexec'), inner?.superOptions.join(','), inner?.root],
        [h.fstype, 'ro', true, h.superOptions.join(','), own.get(controllers)],
        `${h.mountPoint}: read-only (nosuid,nodev,noexec) ${h.fstype} bind of the container's cgroup ${own.get(controllers)}`,
      );
    }
    const hostLinks = fs.readdirSync('/sys/fs/cgroup').filter((n) => fs.lstatSync(path.join('/sys/fs/cgroup', n)).isSymbolicLink())
      .map((n) => `${n} ${fs.readlinkSync(path.join('/sys/fs/cgroup', n))}`).sort();
    t.same((s['links'] ?? []).sort(), hostLinks, `the host's cgroup symlinks and only those (${hostLinks.length ? hostLinks.join(', ') : 'the host has none'})`);
  }

  const modes = Object.fromEntries((s['modes'] ?? []).map((l) => l.split(' ') as [string, string]));
  t.same([modes['/dev'], modes['/dev/shm'], modes['/dev/pts/ptmx']], ['755', '1777', '666'], 'modes: /dev 755, /dev/shm 1777, /dev/pts/ptmx 666 (ptmxmode)');
});

// ---------------------------------------------------------------------------
// root.readonly

t.test('root.readonly: true makes / read-only, false leaves it writable', { skip: rootSkip }, async (t) => {
  const script = 'echo "@@root"; grep -m1 " / " /proc/self/mountinfo; echo "@@touch"; touch /ociish-root-write 2>&1 && echo written; true';
  const ro = await runScript(script);
  if (ranOk(t, ro)) {
    const s = sections(ro.stdout);
    t.equal(parseMountinfo(s['root'] ?? [])[0]?.options[0], 'ro', 'readonly: / is mounted ro');
    t.match((s['touch'] ?? []).join('\n'), EROFS, 'readonly: a write to / fails with "Read-only file system"');
    t.notOk(fs.existsSync(path.join((await exampleBundle()).rootfs, 'ociish-root-write')), 'readonly: nothing written to the rootfs');
  }

  const rootfs = await privateRootfs('mntroot');
  const rw = await runScript(script, (c) => {
    c.root = { path: rootfs, readonly: false };
  });
  if (ranOk(t, rw)) {
    const s = sections(rw.stdout);
    t.equal(parseMountinfo(s['root'] ?? [])[0]?.options[0], 'rw', 'not readonly: / is mounted rw');
    t.same(s['touch'], ['written'], 'not readonly: a write to / succeeds');
    t.ok(fs.existsSync(path.join(rootfs, 'ociish-root-write')), 'not readonly: the file is in the rootfs on the host');
  }
});

// ---------------------------------------------------------------------------
// bind mounts

t.test('bind mounts of a host directory and a host file, read-only', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  const dir = hostTemp('mntbind');
  fs.writeFileSync(path.join(dir, 'f'), 'from-host-dir\n');
  const file = path.join(hostTemp('mntfile'), 'file');
  fs.writeFileSync(file, 'from-host-file\n');
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@read"; cat /mnt/dir/f /etc/ociish-file',
    'echo "@@dirwrite"; touch /mnt/dir/new 2>&1',
    'echo "@@filewrite"; (echo changed > /etc/ociish-file) 2>&1',
    'echo "@@filetype"; stat -c %F /etc/ociish-file',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: '/mnt/dir', type: 'bind', source: dir, options: ['bind', 'ro'] });
    c.mounts.push({ destination: '/etc/ociish-file', type: 'bind', source: file, options: ['bind', 'ro'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  const d = at(mounts, '/mnt/dir');
  const f = at(mounts, '/etc/ociish-file');
  t.same([d?.root, d?.options[0]], [dir, 'ro'], '/mnt/dir: a read-only bind of the host dir');
  t.same([f?.root, f?.options[0]], [file, 'ro'], '/etc/ociish-file: a read-only bind of the host file');
  t.same(s['read'], ['from-host-dir', 'from-host-file'], 'both read the host content');
  t.match((s['dirwrite'] ?? []).join('\n'), EROFS, 'creating a file in the ro dir bind fails with EROFS');
  t.match((s['filewrite'] ?? []).join('\n'), EROFS, 'writing the ro file bind fails with EROFS');
  t.same(s['filetype'], ['regular file'], 'the file bind is a regular file (its mount point was made a file)');
  t.equal(fs.readFileSync(file, 'utf8'), 'from-host-file\n', 'the host file is unchanged');
  t.same(fs.readdirSync(dir), ['f'], 'the host dir is unchanged');
});

t.test('bind mount with nosuid,nodev,noexec: flags in mountinfo and behaviour', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  const dir = hostTemp('mntflags');
  fs.writeFileSync(path.join(dir, 'script'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
  execFileSync('mknod', ['-m', '666', path.join(dir, 'null'), 'c', '1', '3']);
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@plainexec"; /mnt/plain/script 2>&1',
    'echo "@@noexec"; /mnt/flags/script 2>&1',
    'echo "@@plaindev"; (echo x > /mnt/plain/null) 2>&1 && echo dev-ok',
    'echo "@@nodev"; (echo x > /mnt/flags/null) 2>&1 && echo dev-ok',
    'true',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: '/mnt/plain', type: 'bind', source: dir, options: ['bind'] });
    c.mounts.push({ destination: '/mnt/flags', type: 'bind', source: dir, options: ['bind', 'nosuid', 'nodev', 'noexec'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  t.same(at(mounts, '/mnt/plain')?.options, ['rw', 'relatime'], 'plain bind: rw,relatime');
  t.same(at(mounts, '/mnt/flags')?.options, ['rw', 'nosuid', 'nodev', 'noexec', 'relatime'], 'flagged bind: rw,nosuid,nodev,noexec,relatime');
  t.same(s['plainexec'], ['ran'], 'a script runs from the plain bind');
  t.match((s['noexec'] ?? []).join('\n'), /Permission denied/, 'the same script does not run from the noexec bind');
  t.same(s['plaindev'], ['dev-ok'], 'a device node opens on the plain bind');
  t.match((s['nodev'] ?? []).join('\n'), /Permission denied/, 'the same node does not open on the nodev bind');
  t.comment('nosuid is checked in mountinfo only: busybox has no setuid program to show it by behaviour');
});

t.test('rbind brings submounts, bind does not; ro vs rro', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  const dir = hostTemp('mntrbind');
  fs.writeFileSync(path.join(dir, 'top'), 'top\n');
  hostSubmount(t, dir);
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@rbind"; cat /mnt/rbind/sub/x',
    'echo "@@bind"; ls -A /mnt/bind/sub',
    'echo "@@ro-top"; touch /mnt/ro/top 2>&1',
    'echo "@@ro-sub"; touch /mnt/ro/sub/from-ro 2>&1 && echo sub-writable',
    'echo "@@rro-top"; touch /mnt/rro/top 2>&1',
    'echo "@@rro-sub"; touch /mnt/rro/sub/from-rro 2>&1 && echo sub-writable',
    'true',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: '/mnt/rbind', type: 'bind', source: dir, options: ['rbind'] });
    c.mounts.push({ destination: '/mnt/bind', type: 'bind', source: dir, options: ['bind'] });
    c.mounts.push({ destination: '/mnt/ro', type: 'bind', source: dir, options: ['rbind', 'ro'] });
    c.mounts.push({ destination: '/mnt/rro', type: 'bind', source: dir, options: ['rbind', 'rro'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  const sub = at(mounts, '/mnt/rbind/sub');
  t.same([sub?.fstype, sub?.source, sub?.parent], ['tmpfs', 'ociish-test-sub', at(mounts, '/mnt/rbind')?.id], 'rbind: the host tmpfs submount is under the bind');
  t.same(s['rbind'], ['in-submount'], 'rbind: the submount content is visible');
  t.equal(at(mounts, '/mnt/bind/sub'), undefined, 'bind: no submount');
  t.same(s['bind'] ?? [], [], 'bind: the submount point is an empty directory');

  t.equal(at(mounts, '/mnt/ro')?.options[0], 'ro', 'rbind,ro: the top mount is ro');
  t.equal(at(mounts, '/mnt/ro/sub')?.options[0], 'rw', 'rbind,ro: the submount stays rw (ro is not recursive)');
  t.match((s['ro-top'] ?? []).join('\n'), EROFS, 'rbind,ro: writing the top fails with EROFS');
  t.same(s['ro-sub'], ['sub-writable'], 'rbind,ro: writing the submount works');

  t.equal(at(mounts, '/mnt/rro')?.options[0], 'ro', 'rro: the top mount is ro');
  t.equal(at(mounts, '/mnt/rro/sub')?.options[0], 'ro', 'rro: the submount is ro too');
  t.match((s['rro-top'] ?? []).join('\n'), EROFS, 'rro: writing the top fails with EROFS');
  t.match((s['rro-sub'] ?? []).join('\n'), EROFS, 'rro: writing the submount fails with EROFS');
  t.notOk(fs.existsSync(path.join(dir, 'sub', 'from-rro')), 'rro: nothing reached the host submount');
});

// ---------------------------------------------------------------------------
// propagation

t.test('bind propagation options: rprivate, private, rslave, rshared, default', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  // A shared host mount with a shared submount: propagation is only visible
  // relative to a peer group.
  const dir = hostTemp('mntprop');
  execFileSync('mount', ['--bind', dir, dir]);
  execFileSync('mount', ['--make-shared', dir]);
  hostSubmount(t, dir, () => execFileSync('umount', [dir]));
  execFileSync('mount', ['--make-shared', path.join(dir, 'sub')]);
  const host = hostMountinfo();
  const group = (e: MountEntry | undefined) => e?.optional.find((o) => o.startsWith('shared:'))?.slice(7);
  const topGroup = group(at(host, dir));
  const subGroup = group(at(host, path.join(dir, 'sub')));
  if (!t.ok(topGroup && subGroup, `host: ${dir} and its submount are shared (${topGroup}, ${subGroup})`)) return;

  const cases = ['default', 'rprivate', 'private', 'rslave', 'rshared'];
  const r = await runScript('cat /proc/self/mountinfo', (c) => {
    c.root.path = rootfs;
    for (const p of cases) c.mounts.push({ destination: `/mnt/${p}`, type: 'bind', source: dir, options: p === 'default' ? ['rbind'] : ['rbind', p] });
  });
  if (!ranOk(t, r)) return;
  const mounts = parseMountinfo(r.stdout.split('\n'));
  const fields = (p: string) => {
    const kinds = (e: MountEntry | undefined) => (e?.optional ?? []).map((o) => o.replace(/:\d+$/, '')).sort().join(' ');
    return { top: kinds(at(mounts, `/mnt/${p}`)), sub: kinds(at(mounts, `/mnt/${p}/sub`)) };
  };
  t.same(fields('rprivate'), { top: '', sub: '' }, 'rprivate: no shared:/master: on the mount or its submount');
  t.same(fields('private'), { top: '', sub: 'master' }, 'private: the mount is private, the submount keeps master: (not recursive)');
  t.same(fields('rslave'), { top: 'master', sub: 'master' }, 'rslave: master:, no shared:, recursively');
  t.same(fields('rshared'), { top: 'master shared', sub: 'master shared' }, 'rshared: shared: recursively (and still a slave of the host peer group)');
  t.same(fields('default'), { top: 'master', sub: 'master' }, 'no option: slave of the host (the rootfs tree is made rslave first)');
  const master = (p: string) => at(mounts, p)?.optional.find((o) => o.startsWith('master:'))?.slice(7);
  t.equal(master('/mnt/rslave'), topGroup, 'rslave: the master is the host peer group');
  t.equal(master('/mnt/rslave/sub'), subGroup, 'rslave: the submount\'s master is the host submount\'s peer group');
});

t.test('linux.rootfsPropagation', { skip: rootSkip }, async (t) => {
  const script = 'cat /proc/self/mountinfo';
  const kinds = (r: RunResult) => {
    const mounts = parseMountinfo(r.stdout.split('\n'));
    return Object.fromEntries(['/', '/proc', '/dev'].map((p) => [p, (at(mounts, p)?.optional ?? ['?']).map((o) => o.replace(/:\d+$/, '')).sort().join(' ')]));
  };
  const expected: Record<string, Record<string, string>> = {
    rshared: { '/': 'shared', '/proc': 'shared', '/dev': 'shared' },
    shared: { '/': 'shared', '/proc': '', '/dev': '' },
    rprivate: { '/': '', '/proc': '', '/dev': '' },
    unset: { '/': '', '/proc': '', '/dev': '' },
  };
  for (const [value, want] of Object.entries(expected)) {
    const r = await runScript(script, (c) => {
      if (value !== 'unset') c.linux.rootfsPropagation = value;
    });
    if (!ranOk(t, r)) continue;
    t.same(kinds(r), want, `rootfsPropagation ${value}: ${JSON.stringify(want)}`);
  }
  t.comment('rslave/slave cannot be told from private here: the host mounts are private (no peer group to be a slave of)');
});

// ---------------------------------------------------------------------------
// filesystem data, mode, destinations

t.test('fs-specific data is passed through: tmpfs size, mode, nr_inodes', { skip: rootSkip }, async (t) => {
  // /tmp, /run and /var exist in the example rootfs: nothing is created in it.
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@df"; df -k /tmp | tail -1 | tr -s " " | cut -d" " -f2',
    'echo "@@modes"; stat -c "%n %a" /tmp /run /var',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
    c.mounts.push({ destination: '/var', type: 'tmpfs', source: 'ociish-var', options: ['nosuid', 'mode=0710', 'nr_inodes=77'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  t.ok(at(mounts, '/tmp')?.superOptions.includes('size=1024k'), `size=1m: mountinfo says size=1024k (${at(mounts, '/tmp')?.superOptions})`);
  t.same(s['df'], ['1024'], 'size=1m: df shows 1024 1k-blocks');
  t.same([at(mounts, '/var')?.source, at(mounts, '/var')?.options.join(',')], ['ociish-var', 'rw,nosuid,relatime'], 'the source string and flags reach mount(2)');
  t.ok(at(mounts, '/var')?.superOptions.includes('mode=710') && at(mounts, '/var')?.superOptions.includes('nr_inodes=77'), `mode=0710,nr_inodes=77 in mountinfo (${at(mounts, '/var')?.superOptions})`);
  t.same(s['modes'], ['/tmp 1777', '/run 1777', '/var 710'], 'modes: default 1777, mode=1777, mode=0710');
});

// ---------------------------------------------------------------------------
// tmpcopyup

/** Puts the image content tmpcopyup must carry over into `rootfs/dir`. */
function seedCopyUp(rootfs: string, dir: string): string {
  const d = path.join(rootfs, dir);
  fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(d, 'f'), 'from-image\n');
  fs.chmodSync(path.join(d, 'f'), 0o640);
  fs.chownSync(path.join(d, 'f'), 1000, 1000);
  fs.utimesSync(path.join(d, 'f'), 1_000_000_000, 1_000_000_000);
  fs.writeFileSync(path.join(d, 'sub', 'g'), 'deep\n');
  fs.chmodSync(path.join(d, 'sub'), 0o750);
  fs.chownSync(path.join(d, 'sub'), 1001, 1002);
  fs.symlinkSync('sub/g', path.join(d, 'link'));
  fs.lchownSync(path.join(d, 'link'), 1003, 1003);
  return d;
}

/** Read by the owner: the default capabilities lack CAP_DAC_OVERRIDE. */
const COPYUP_USER = { uid: 1000, gid: 1000, additionalGids: [1002] };

const COPYUP_SCRIPT = (dir: string) => [
  'echo "@@mountinfo"; cat /proc/self/mountinfo',
  `echo "@@stat"; stat -c "%n %a %u:%g %F" ${dir}/f ${dir}/sub ${dir}/sub/g ${dir}/link`,
  `echo "@@link"; readlink ${dir}/link; cat ${dir}/link`,
  `echo "@@read"; cat ${dir}/f ${dir}/sub/g`,
  `echo "@@mtime"; stat -c %Y ${dir}/f`,
  `echo "@@root"; stat -c %a ${dir}`,
  `echo "@@write"; (echo new > ${dir}/new && echo changed > ${dir}/f && cat ${dir}/new ${dir}/f) 2>&1`,
].join('\n');

t.test('tmpcopyup: the tmpfs starts with the image content, modes, owners, symlinks, mtimes', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntcopyup');
  const seeded = seedCopyUp(rootfs, 'tmp');
  const r = await runScript(COPYUP_SCRIPT('/tmp'), (c) => {
    c.root = { path: rootfs, readonly: false };
    c.process.user = COPYUP_USER;
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'tmpcopyup', 'mode=1777'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const tmp = at(parseMountinfo(s['mountinfo'] ?? []), '/tmp');
  t.equal(tmp?.fstype, 'tmpfs', '/tmp is a tmpfs');
  t.notOk(tmp?.superOptions.some((o) => o.includes('tmpcopyup')), `tmpcopyup is not mount data (${tmp?.superOptions})`);
  t.same(s['stat'], [
    '/tmp/f 640 1000:1000 regular file',
    '/tmp/sub 750 1001:1002 directory',
    '/tmp/sub/g 644 0:0 regular file',
    '/tmp/link 777 1003:1003 symbolic link',
  ], 'modes, owners and types carried over');
  t.same(s['link'], ['sub/g', 'deep'], 'the symlink keeps its target');
  t.same(s['read'], ['from-image', 'deep'], 'contents carried over');
  t.same(s['mtime'], ['1000000000'], 'mtime carried over');
  t.same(s['root'], ['1777'], 'the tmpfs root keeps its mode= option');
  t.same(s['write'], ['new', 'changed'], 'the copy is writable');
  t.equal(fs.readFileSync(path.join(seeded, 'f'), 'utf8'), 'from-image\n', 'the rootfs file is unchanged');
  t.notOk(fs.existsSync(path.join(seeded, 'new')), 'nothing written into the rootfs');
  t.equal(fs.statSync(path.join(seeded, 'f')).mode & 0o7777, 0o640);
});

t.test('tmpcopyup under root.readonly (podman --read-only), and with ro', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntcopyup');
  seedCopyUp(rootfs, 'tmp');
  seedCopyUp(rootfs, 'opt/ro');
  const script = [
    COPYUP_SCRIPT('/tmp'),
    'echo "@@rootwrite"; touch /ociish-x 2>&1',
    'echo "@@ro"; cat /opt/ro/f /opt/ro/sub/g; stat -c "%a %u:%g" /opt/ro/f; touch /opt/ro/x 2>&1; true',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root = { path: rootfs, readonly: true };
    c.process.user = COPYUP_USER;
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    c.mounts.push({ destination: '/opt/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  t.equal(at(mounts, '/tmp')?.fstype, 'tmpfs');
  t.same(s['read'], ['from-image', 'deep'], '/tmp: contents carried over');
  t.same(s['write'], ['new', 'changed'], '/tmp: writable under a read-only root');
  t.match(s['rootwrite']?.join('\n'), EROFS, '/ stays read-only');
  t.equal(at(mounts, '/opt/ro')?.options[0], 'ro', 'ro tmpcopyup: read-only after the copy');
  t.same(s['ro']?.slice(0, 3), ['from-image', 'deep', '640 1000:1000'], 'ro tmpcopyup: contents carried over');
  t.match(s['ro']?.slice(3).join('\n'), EROFS, 'ro tmpcopyup: a write fails with EROFS');
});

t.test('tmpcopyup on a bind mount is refused with its pointer', { skip: rootSkip }, async (t) => {
  const dir = hostTemp('mntcopyupbind');
  let index = -1;
  const r = await runScript('true', (c) => {
    index = c.mounts.length;
    c.mounts.push({ destination: '/mnt', type: 'bind', source: dir, options: ['rbind', 'tmpcopyup'] });
  });
  t.not(r.status, 0, 'run fails');
  t.match(r.stderr, `/mounts/${index}/options/1: "tmpcopyup" applies to a tmpfs mount only, not a bind mount`, 'names the option\'s pointer and why');
});

t.test('a relative mount destination is relative to the container root', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  const r = await runScript('cut -d" " -f5,9 /proc/self/mountinfo | grep ociish-rel', (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: 'ociish-rel/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  if (!ranOk(t, r)) return;
  t.same(r.stdout.split('\n').filter(Boolean), ['/ociish-rel/sub tmpfs'], 'mounted at /ociish-rel/sub');
  t.ok(fs.statSync(path.join(rootfs, 'ociish-rel', 'sub')).isDirectory(), 'the mount point was made inside the rootfs');
  t.notOk(fs.existsSync(path.resolve('ociish-rel')), 'nothing made relative to the runtime\'s cwd');
});

t.test('a destination through a symlink pointing outside lands inside the rootfs', { skip: rootSkip }, async (t) => {
  const rootfs = await privateRootfs('mntroot');
  const name = `ociish-escape-${process.pid}`;
  fs.symlinkSync('/etc', path.join(rootfs, 'evil'));
  fs.symlinkSync('../../../../../../../../etc', path.join(rootfs, 'evil2'));
  fs.writeFileSync(path.join(rootfs, 'etc', 'masked-through-link'), 'secret\n');
  const hostEtc = fs.readdirSync('/etc').sort();
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@masked"; cat /etc/masked-through-link; echo end',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: `/evil/${name}-a`, type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.mounts.push({ destination: `/evil2/${name}-b`, type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] });
    c.mounts.push({ destination: '/evil/group', type: 'bind', source: path.join(rootfs, 'etc', 'passwd'), options: ['bind', 'ro'] });
    c.linux.maskedPaths.push('/evil/masked-through-link');
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  t.ok(at(mounts, `/etc/${name}-a`)?.superOptions.includes('size=1024k'), 'evil -> /etc: the tmpfs is at the container\'s /etc');
  t.ok(at(mounts, `/etc/${name}-b`)?.superOptions.includes('size=2048k'), 'evil2 -> ../../../etc: the tmpfs is at the container\'s /etc');
  t.equal(at(mounts, '/etc/group')?.root, path.join(rootfs, 'etc', 'passwd'), 'a file bind through the link is on the container\'s /etc/group');
  t.same(s['masked'], ['end'], 'a masked path through the link masks the rootfs file');
  t.ok(fs.statSync(path.join(rootfs, 'etc', `${name}-a`)).isDirectory() && fs.statSync(path.join(rootfs, 'etc', `${name}-b`)).isDirectory(), 'the mount points were made in the rootfs /etc');
  t.same(fs.readdirSync('/etc').sort(), hostEtc, 'the host /etc is unchanged');
  t.equal(fs.readFileSync(path.join(rootfs, 'etc', 'masked-through-link'), 'utf8'), 'secret\n', 'the masked file itself is unchanged');
});

t.test('a destination through a symlink to a host path missing from the rootfs is created inside the rootfs', { skip: rootSkip }, async (t) => {
  // runc (filepath-securejoin) resolves the link inside the root and creates
  // the missing directories of its target there.
  const rootfs = await privateRootfs('mntroot');
  const hostTarget = hostTemp('mnttarget'); // exists on the host, not in the rootfs
  const name = `ociish-escape-${process.pid}-c`;
  fs.symlinkSync(hostTarget, path.join(rootfs, 'evil3'));
  const r = await runScript('echo "@@mountinfo"; cat /proc/self/mountinfo; echo "@@ls"; ls -A /evil3/', (c) => {
    c.root.path = rootfs;
    c.mounts.push({ destination: `/evil3/${name}`, type: 'tmpfs', source: 'tmpfs', options: ['size=3m'] });
  });
  t.same(fs.readdirSync(hostTarget), [], 'the host directory the link names is untouched');
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  t.ok(at(mounts, path.join(hostTarget, name))?.superOptions.includes('size=3072k'), 'the tmpfs is at the link target inside the container');
  t.same(s['ls'], [name], 'the container sees its mount point through the link');
  t.ok(fs.statSync(path.join(rootfs, hostTarget, name)).isDirectory(), 'the target directories were made inside the rootfs');
});

// ---------------------------------------------------------------------------
// masked and read-only paths

t.test('maskedPaths: files read empty, directories are empty read-only tmpfs', { skip: rootSkip }, async (t) => {
  const { config } = await exampleBundle();
  const defaults: string[] = config.linux && (config.linux as Config).maskedPaths;
  const files = defaults.filter((p) => fs.existsSync(p) && !fs.statSync(p).isDirectory());
  const dirs = defaults.filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory());
  const absent = defaults.filter((p) => !fs.existsSync(p));
  t.comment(`host has masked files ${files.join(' ') || '-'}, dirs ${dirs.join(' ') || '-'}; absent: ${absent.join(' ') || '-'}`);
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    ...[...files, '/etc/group'].map((f) => `echo "@@file:${f}"; wc -c < ${f}; stat -c "%F %t %T" ${f}`),
    ...dirs.map((d) => `echo "@@dir:${d}"; ls -A ${d}; touch ${d}/ociish-x 2>&1`),
    'echo "@@nosuch"; ls /ociish-no-such-path 2>&1',
    'true',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.linux.maskedPaths.push('/etc/group', '/ociish-no-such-path');
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  for (const f of [...files, '/etc/group']) {
    t.same(s[`file:${f}`], ['0', 'character special file 1 3'], `${f}: reads empty; it is /dev/null (1:3)`);
  }
  for (const d of dirs) {
    const e = at(mounts, d);
    t.same([e?.fstype, e?.options[0]], ['tmpfs', 'ro'], `${d}: a read-only tmpfs`);
    const out = s[`dir:${d}`] ?? [];
    t.equal(out.length, 1, `${d}: empty listing`);
    t.match(out.join('\n'), EROFS, `${d}: creating a file fails with EROFS`);
  }
  t.match((s['nosuch'] ?? []).join('\n'), /No such file or directory/, 'a masked path that does not exist is not created');
  for (const p of absent) t.equal(at(mounts, p), undefined, `${p} (absent on this host): nothing mounted`);
});

t.test('readonlyPaths: /proc/sys and friends are read-only, recursively', { skip: rootSkip }, async (t) => {
  const { config } = await exampleBundle();
  const present: string[] = ((config.linux as Config).readonlyPaths as string[]).filter((p) => fs.existsSync(p));
  const script = [
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    // kernel.hostname is per uts namespace: harmless even if the mount were writable
    'echo "@@procsys"; (cat /proc/sys/kernel/hostname > /proc/sys/kernel/hostname) 2>&1',
    'echo "@@tmp"; touch /tmp/x 2>&1; touch /tmp/sub/x 2>&1',
    'true',
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.mounts.push({ destination: '/tmp/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.linux.readonlyPaths.push('/tmp');
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  const mounts = parseMountinfo(s['mountinfo'] ?? []);
  for (const p of present) t.equal(at(mounts, p)?.options[0], 'ro', `${p}: read-only mount`);
  t.match((s['procsys'] ?? []).join('\n'), EROFS, 'a write to /proc/sys fails with EROFS');
  t.equal(at(mounts, '/tmp')?.options[0], 'ro', '/tmp: read-only');
  t.equal(at(mounts, '/tmp/sub')?.options[0], 'ro', '/tmp/sub (a submount): read-only too');
  const tmp = s['tmp'] ?? [];
  t.equal(tmp.length, 2, 'two failed writes');
  t.ok(tmp.every((l) => EROFS.test(l)), 'writes to /tmp and /tmp/sub fail with EROFS');
});

// ---------------------------------------------------------------------------
// order

t.test('mounts are applied in order: a later mount over an earlier one wins', { skip: rootSkip }, async (t) => {
  const dir = hostTemp('mntorder');
  fs.writeFileSync(path.join(dir, 'from-bind'), '');
  // /run and /var exist in the example rootfs.
  const r = await runScript('echo "@@run"; ls -A /run; echo "@@var"; ls -A /var; echo "@@fs"; stat -f -c "%T" /run /var', (c) => {
    c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    c.mounts.push({ destination: '/run', type: 'bind', source: dir, options: ['bind'] });
    c.mounts.push({ destination: '/var', type: 'bind', source: dir, options: ['bind'] });
    c.mounts.push({ destination: '/var', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['run'], ['from-bind'], 'tmpfs then bind: the bind is seen');
  t.same(s['var'] ?? [], [], 'bind then tmpfs: the empty tmpfs is seen');
  t.same(s['fs'], ['ext2/ext3', 'tmpfs'], 'filesystem types: the host fs (bind) on /run, tmpfs on /var');
});

// ---------------------------------------------------------------------------

t.test('rootfsPropagation shared under a shared "/": the rootfs bind does not reach the caller\'s mounts', { skip: rootSkip }, async (t) => {
  const bundle = await makeBundle((c) => {
    c.process.args = ['true'];
    c.linux.rootfsPropagation = 'shared';
  });
  const { rootfs } = await exampleBundle();
  // A throwaway mount namespace whose "/" is rshared stands in for a host
  // with shared mounts; the machine's own namespace is not touched.
  const script = `mount --make-rshared / && env -u NODE_OPTIONS "$0" "$1" --root "$2" run --bundle "$3" "$4" && grep -c -F -- "$5" /proc/self/mountinfo || true`;
  const out = execFileSync('unshare', ['-m', '--propagation', 'unchanged', 'sh', '-c', script, process.execPath, ociishBin, stateRoot, bundle, uniqueId('shared'), rootfs], { encoding: 'utf8' });
  t.equal(out.trim(), '0', 'no mount of the rootfs left in the caller\'s namespace');
});

t.test('nothing left behind', { skip: rootSkip }, async (t) => {
  t.same(leftoverState(), [], 'no state directory left under --root');
  t.same(hostMountsMentioning(testPaths()), [], 'no host mount mentions a bundle, rootfs or temp dir of this file');
});
