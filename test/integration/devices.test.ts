// /dev in real containers run through `ociish run`: the default devices and
// links the runtime always creates, linux.devices, and the binds of host
// nodes used in a user namespace; checked from inside with stat, readlink,
// and by reading and writing the devices.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  leftoverState, rootSkip, tempDir, ranOk, sections, hostMountsMentioning, runScript, testPaths, privateRootfs,
} from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const DEFAULT_DEVICES: [string, number, number][] = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
];
const DEFAULT_LINKS: [string, string][] = [
  ['/dev/ptmx', 'pts/ptmx'], ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'], ['/dev/stderr', '/proc/self/fd/2'],
];
const hex = (n: number) => n.toString(16);

/** stat lines for the default devices, and their links. */
const STAT_SCRIPT = [
  `echo "@@stat"; stat -c "%n %F %A %t %T %u %g" ${DEFAULT_DEVICES.map(([p]) => p).join(' ')}`,
  `echo "@@links"; for l in ${DEFAULT_LINKS.map(([p]) => p).join(' ')}; do echo "$l $(readlink $l)"; done`,
];

/** Reading and writing the default devices. */
const USE_SCRIPT = [
  'echo "@@zero"; head -c 4 /dev/zero | od -An -tx1',
  'echo "@@null-read"; wc -c < /dev/null',
  'echo "@@null-write"; echo x > /dev/null && echo null-ok',
  'echo "@@full"; (echo x > /dev/full) 2>&1',
  'echo "@@urandom"; head -c 16 /dev/urandom | wc -c',
  'echo "@@random"; head -c 8 /dev/random | wc -c',
  // fd 1 of `ociish run` here is a socket (libuv's stdio pipe), which open(2) of /proc/self/fd/1 refuses: use a file
  'echo "@@stdout"; (echo via-dev-stdout > /dev/stdout) > /dev/shm/out && cat /dev/shm/out',
  'echo "@@fd"; ls /dev/fd/ | grep -c .',
];

function checkDefaults(t: Test, s: Record<string, string[]>, owner: string): void {
  t.same(s['stat'], DEFAULT_DEVICES.map(([p, ma, mi]) => `${p} character special file crw-rw-rw- ${hex(ma)} ${hex(mi)} ${owner}`),
    `null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0: char devices, crw-rw-rw-, owned by ${owner}`);
  t.same(s['links'], DEFAULT_LINKS.map(([p, target]) => `${p} ${target}`), 'ptmx -> pts/ptmx, fd -> /proc/self/fd, stdin/stdout/stderr -> /proc/self/fd/0..2');
}

function checkUse(t: Test, s: Record<string, string[]>): void {
  t.same(s['zero']?.map((l) => l.trim()), ['00 00 00 00'], '/dev/zero reads zeros');
  t.same(s['null-read'], ['0'], '/dev/null reads empty');
  t.same(s['null-write'], ['null-ok'], '/dev/null takes writes');
  t.match((s['full'] ?? []).join('\n'), /No space left on device/, 'a write to /dev/full fails with ENOSPC');
  t.same(s['urandom'], ['16'], '/dev/urandom gives bytes');
  t.same(s['random'], ['8'], '/dev/random gives bytes');
  t.same(s['stdout'], ['via-dev-stdout'], '/dev/stdout is the process stdout');
  t.ok(Number(s['fd']?.[0]) >= 3, '/dev/fd lists the open fds');
}

// ---------------------------------------------------------------------------

t.test('default devices and links: numbers, modes, owners', { skip: rootSkip }, async (t) => {
  const r = await runScript([...STAT_SCRIPT, 'echo "@@ptmx"; stat -L -c "%F %t %T" /dev/ptmx'].join('\n'));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  checkDefaults(t, s, '0 0');
  t.same(s['ptmx'], ['character special file 5 2'], '/dev/ptmx leads to the devpts instance\'s ptmx (5:2)');
});

t.test('default devices work', { skip: rootSkip }, async (t) => {
  const r = await runScript([...USE_SCRIPT, 'echo "@@tty"; (: < /dev/tty) 2>&1; true'].join('\n'));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  checkUse(t, s);
  // No controlling terminal (process.terminal is false): the tty device exists but has nothing behind it.
  t.match((s['tty'] ?? []).join('\n'), /No such device or address/, '/dev/tty opens the tty driver: ENXIO without a controlling terminal');
});

t.test('linux.devices: char with mode and owner, fifo, block, nested path, overriding a default', { skip: rootSkip }, async (t) => {
  const script = [
    'echo "@@id"; id -u',
    'echo "@@stat"; stat -c "%n %F %a %u %g %t %T" /dev/ociish-char /dev/ociish-fifo /dev/ociish-blk /dev/net/tun /dev/zero',
    'echo "@@netdir"; stat -c "%F %a" /dev/net',
    'echo "@@char"; head -c 2 /dev/ociish-char | od -An -tx1',
    'echo "@@fifo"; (echo through-fifo > /dev/ociish-fifo &) ; cat /dev/ociish-fifo',
  ].join('\n');
  // uid 1000 owns the 0600 node: opening it shows the owner took effect (root here has no CAP_DAC_OVERRIDE).
  const r = await runScript(script, (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.linux.devices = [
      { path: '/dev/ociish-char', type: 'c', major: 1, minor: 5, fileMode: 0o600, uid: 1000, gid: 1000 },
      { path: '/dev/ociish-fifo', type: 'p', fileMode: 0o640, uid: 1000, gid: 1000 },
      { path: '/dev/ociish-blk', type: 'b', major: 7, minor: 250, fileMode: 0o660, uid: 0, gid: 6 },
      { path: '/dev/net/tun', type: 'c', major: 10, minor: 200 },
      { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o640 },
    ];
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['stat'], [
    '/dev/ociish-char character special file 600 1000 1000 1 5',
    '/dev/ociish-fifo fifo 640 1000 1000 0 0',
    '/dev/ociish-blk block special file 660 0 6 7 fa',
    '/dev/net/tun character special file 666 0 0 a c8',
    '/dev/zero character special file 640 0 0 1 5',
  ], 'type, mode, owner and numbers as listed (fileMode default 0666; a listed /dev/zero replaces the default)');
  t.same(s['id'], ['1000'], 'the process runs as uid 1000');
  t.same(s['netdir'], ['directory 755'], '/dev/net was created as a directory');
  t.same(s['char']?.map((l) => l.trim()), ['00 00'], 'the char device (1:5, 0600, owned by 1000) opens for uid 1000 and works');
  t.same(s['fifo'], ['through-fifo'], 'the fifo works');
});

t.test('in a user namespace the default devices are binds of the host nodes and work', { skip: rootSkip }, async (t) => {
  // A rootfs owned by the mapped root, in a directory the mapped root can traverse.
  const rootfs = await privateRootfs('devroot');
  execFileSync('chown', ['-R', '-h', '100000:100000', rootfs]);
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const hasTun = fs.existsSync('/dev/net/tun');
  const script = [
    ...STAT_SCRIPT,
    ...USE_SCRIPT,
    'echo "@@mountinfo"; cat /proc/self/mountinfo',
    'echo "@@id"; id -u',
    ...(hasTun ? ['echo "@@tun"; stat -c "%F %t %T" /dev/net/tun'] : []),
  ].join('\n');
  const r = await runScript(script, (c) => {
    c.root.path = rootfs;
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = map;
    c.linux.gidMappings = map;
    if (hasTun) c.linux.devices = [{ path: '/dev/net/tun', type: 'c', major: 10, minor: 200 }];
  });
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['id'], ['0'], 'root in the user namespace');
  // Host root is not mapped: the bound host nodes show as the overflow ids.
  checkDefaults(t, s, '65534 65534');
  checkUse(t, s);
  const mounts = (s['mountinfo'] ?? []).map((l) => l.split(' '));
  for (const [p] of DEFAULT_DEVICES) {
    const m = mounts.filter((f) => f[4] === p).pop();
    t.equal(m?.[3], `/${path.basename(p)}`, `${p} is a bind of the host node (mountinfo root /${path.basename(p)})`);
  }
  if (hasTun) t.same(s['tun'], ['character special file a c8'], 'a linux.devices entry is a bind of the host node too');
});

// ---------------------------------------------------------------------------

t.test('a bind-mounted /dev is used as it is: linux.devices neither creates nor changes nodes there', { skip: rootSkip }, async (t) => {
  const hostDev = tempDir('devbind');
  execFileSync('mknod', ['-m', '666', path.join(hostDev, 'null'), 'c', '1', '3']);
  const before = fs.statSync(path.join(hostDev, 'null'));
  const r = await runScript('stat -c "%a %u" /dev/null; ls /dev', (c) => {
    c.mounts = c.mounts.filter((m: { destination: string }) => !m.destination.startsWith('/dev'));
    c.mounts.push({ destination: '/dev', type: 'bind', source: hostDev, options: ['rbind'] });
    c.linux.devices = [
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1234, gid: 1234 },
      { path: '/dev/extra', type: 'c', major: 1, minor: 5 },
    ];
  });
  if (!ranOk(t, r)) return;
  t.equal(r.stdout, '666 0\nnull\n', 'the bound /dev as the host has it');
  const after = fs.statSync(path.join(hostDev, 'null'));
  t.same([after.mode, after.uid, after.gid], [before.mode, before.uid, before.gid], 'the host node is unchanged');
  t.same(fs.readdirSync(hostDev), ['null'], 'nothing created on the host');
  t.equal(r.stderr, 'ociish: warning: /linux/devices: not created: /dev is a bind mount, whose nodes are used as they are (as runc)\n');
});

t.test('nothing left behind', { skip: rootSkip }, async (t) => {
  t.same(leftoverState(), [], 'no state directory left under --root');
  t.same(hostMountsMentioning(testPaths()), [], 'no host mount mentions a bundle, rootfs or temp dir of this file');
});
