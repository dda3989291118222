// Failure paths of `ociish run`: each bad bundle gives one line on stderr
// that names the operation, the path and the config.json pointer, exits
// non-zero, and leaves nothing behind: no state dir under --root, no process
// (the cloned child carries ociish's command line, so the bundle path, until
// it execs), no mount naming the bundle or the rootfs in the host's table.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  exampleBundle, makeBundle, ociish, rootSkip, stateRoot, tempDir, uniqueId,
  type Config, type RunResult, processesMentioning,
} from '../helpers/container';
import { defaultCgroupDirs } from '../helpers/cgroups';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

function mountsMentioning(...needles: string[]): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => needles.some((n) => l.includes(n)));
}

interface Failed {
  r: RunResult;
  bundle: string;
  id: string;
}

/** Runs `ociish run` on a bundle from the default config changed by `edit` (args: a marker that must never print). */
async function fail(edit: (c: Config, rootfs: string) => void, name = 'fail'): Promise<Failed> {
  const id = uniqueId(name);
  const bundle = await makeBundle((c, rootfs) => {
    c.process.args = ['sh', '-c', 'echo SHOULD-NOT-RUN', id];
    edit(c, rootfs);
  });
  return { r: ociish(['run', '--bundle', bundle, id]), bundle, id };
}

/** Exit 1, nothing on stdout, exactly `line` on stderr (a string: exactly; a RegExp: one line matching it). */
function failsWith(t: Test, r: RunResult, line: string | RegExp): void {
  t.equal(r.status, 1, 'exits 1');
  t.equal(r.signal, null);
  t.equal(r.stdout, '', 'nothing on stdout; the container process never ran');
  if (typeof line === 'string') {
    t.equal(r.stderr, `ociish: ${line}\n`, 'the error on stderr');
  } else {
    t.match(r.stderr, /^ociish: [^\n]*\n$/, 'one line on stderr');
    t.match(r.stderr, line);
  }
}

/** Nothing is left of the container: state, processes, mounts. */
async function nothingLeft(t: Test, f: Failed): Promise<void> {
  const { rootfs } = await exampleBundle();
  t.notOk(fs.existsSync(path.join(stateRoot, f.id)), 'no state dir under --root');
  t.same(processesMentioning(f.bundle, f.id), [], 'no process left naming the bundle or the id');
  t.same(mountsMentioning(f.bundle, rootfs), [], 'no mount of the bundle or rootfs in the host\'s mount table');
  t.same(defaultCgroupDirs(f.id), [], 'no cgroup directory');
}

// ---------------------------------------------------------------------------
// root

t.test('missing rootfs: /root/path', { skip: rootSkip }, async (t) => {
  const missing = `/nonexistent-rootfs-${process.pid}`;
  const f = await fail((c) => (c.root.path = missing));
  failsWith(t, f.r, `config.json /root/path: ${missing}: no such directory`);
  await nothingLeft(t, f);

  const relative = await fail((c) => (c.root.path = 'rootfs'));
  failsWith(t, relative.r, `config.json /root/path: ${path.join(relative.bundle, 'rootfs')}: no such directory`);
  await nothingLeft(t, relative);

  const file = await fail((c) => (c.root.path = '/etc/passwd'));
  failsWith(t, file.r, 'config.json /root/path: /etc/passwd: not a directory');
  await nothingLeft(t, file);
});

// ---------------------------------------------------------------------------
// mounts

t.test('bad mount source: /mounts/N', { skip: rootSkip }, async (t) => {
  const source = `/nonexistent-src-${process.pid}`;
  let index = -1;
  const f = await fail((c) => {
    index = c.mounts.push({ destination: '/tmp', type: 'bind', source, options: ['rbind', 'ro'] }) - 1;
  });
  failsWith(t, f.r, `mount bind ${source} on /tmp: ENOENT: no such file or directory (config.json /mounts/${index})`);
  await nothingLeft(t, f);
});

t.test('bad mount source: no mount point is left created in the rootfs', { skip: rootSkip }, async (t) => {
  // runc stats a bind source before it creates the destination; DESIGN.md:
  // "Failure anywhere rolls back everything done so far".
  const { rootfs } = await exampleBundle();
  const dest = `/ociish-missing-src-${process.pid}`;
  const f = await fail((c) => {
    c.mounts.push({ destination: dest, type: 'bind', source: `/nonexistent-src-${process.pid}`, options: ['bind'] });
  });
  t.equal(f.r.status, 1);
  const made = fs.existsSync(path.join(rootfs, dest));
  t.notOk(made, `${dest} was not created in the rootfs`);
  if (made) fs.rmSync(path.join(rootfs, dest), { recursive: true, force: true }); // keep the shared rootfs clean
});

t.test('a mount option the kernel refuses: /mounts/N', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => c.mounts[1].options.push('nosuchoption=1'));
  failsWith(t, f.r, 'mount tmpfs tmpfs on /dev: EINVAL: invalid argument (config.json /mounts/1)');
  await nothingLeft(t, f);
});

// ---------------------------------------------------------------------------
// the entrypoint

const PATH_NOT_FOUND = /exec: "nosuchcmd": executable file not found in \$PATH \(config\.json \/process\/args\)\n$/;
const ABS_NOT_FOUND = /exec: "\/no\/such\/cmd": no such file or directory \(config\.json \/process\/args\)\n$/;
const NOT_EXECUTABLE = /exec: "\/etc\/passwd": permission denied \(config\.json \/process\/args\)\n$/;

t.test('entrypoint not in PATH: executable file not found in $PATH', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => (c.process.args = ['nosuchcmd', 'arg']));
  failsWith(t, f.r, PATH_NOT_FOUND);
  await nothingLeft(t, f);
  const noPath = await fail((c) => {
    c.process.args = ['sh', '-c', 'echo SHOULD-NOT-RUN'];
    c.process.env = ['TERM=xterm'];
  });
  failsWith(t, noPath.r, /exec: "sh": executable file not found in \$PATH \(config\.json \/process\/args\)\n$/);
  t.pass('an env without PATH searches nothing (runc does the same)');
});

t.test('absolute entrypoint missing: no such file or directory', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => (c.process.args = ['/no/such/cmd']));
  failsWith(t, f.r, ABS_NOT_FOUND);
  await nothingLeft(t, f);
});

t.test('non-executable entrypoint: permission denied', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => (c.process.args = ['/etc/passwd']));
  failsWith(t, f.r, NOT_EXECUTABLE);
  await nothingLeft(t, f);
  const dir = await fail((c) => (c.process.args = ['/etc']));
  failsWith(t, dir.r, /exec: "\/etc": permission denied \(config\.json \/process\/args\)\n$/);
  const noexec = tempDir('noexec');
  fs.chmodSync(noexec, 0o755);
  fs.writeFileSync(path.join(noexec, 'tool'), '#!/bin/sh\necho SHOULD-NOT-RUN\n', { mode: 0o755 });
  const mountNoexec = await fail((c) => {
    c.mounts.push({ destination: '/tmp', type: 'bind', source: noexec, options: ['bind', 'noexec'] });
    c.process.args = ['/tmp/tool'];
  });
  failsWith(t, mountNoexec.r, /exec: "\/tmp\/tool": permission denied \(config\.json \/process\/args\)\n$/);
  await nothingLeft(t, mountNoexec);
});

t.test('entrypoint errors say "exec:" once, in runc\'s words', { skip: rootSkip }, async (t) => {
  const cases: [string[], string][] = [
    [['nosuchcmd'], 'exec: "nosuchcmd": executable file not found in $PATH (config.json /process/args)'],
    [['/no/such/cmd'], 'exec: "/no/such/cmd": no such file or directory (config.json /process/args)'],
    [['/etc/passwd'], 'exec: "/etc/passwd": permission denied (config.json /process/args)'],
  ];
  for (const [args, line] of cases) {
    const f = await fail((c) => (c.process.args = args));
    t.equal(f.r.stderr, `ociish: ${line}\n`, args[0]!);
  }
});

// ---------------------------------------------------------------------------
// user namespace maps

const userNs = (c: Config) => c.linux.namespaces.push({ type: 'user' });

t.test('bad uid map (hostID out of range): names uid_map and /linux/uidMappings', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => {
    userNs(c);
    c.linux.uidMappings = [{ containerID: 0, hostID: 4294967290, size: 100 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
  });
  failsWith(t, f.r, /uid_map.*EINVAL.*\(config\.json \/linux\/uidMappings\)\n$/);
  await nothingLeft(t, f);
});

t.test('bad uid map (overlapping ranges): names uid_map and /linux/uidMappings', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => {
    userNs(c);
    c.linux.uidMappings = [
      { containerID: 0, hostID: 100000, size: 100 },
      { containerID: 50, hostID: 200000, size: 100 },
    ];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  failsWith(t, f.r, /uid_map.*EINVAL.*\(config\.json \/linux\/uidMappings\)\n$/);
  await nothingLeft(t, f);
});

t.test('bad gid map: names gid_map and /linux/gidMappings', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => {
    userNs(c);
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [
      { containerID: 0, hostID: 100000, size: 100 },
      { containerID: 10, hostID: 300000, size: 100 },
    ];
  });
  failsWith(t, f.r, /gid_map.*EINVAL.*\(config\.json \/linux\/gidMappings\)\n$/);
  await nothingLeft(t, f);
});

// ---------------------------------------------------------------------------
// config.json itself

async function rawBundle(text: string): Promise<Failed> {
  const id = uniqueId('raw');
  const bundle = tempDir('bundle');
  fs.writeFileSync(path.join(bundle, 'config.json'), text);
  return { r: ociish(['run', '--bundle', bundle, id]), bundle, id };
}

t.test('config.json that is not JSON', { skip: rootSkip }, async (t) => {
  const f = await rawBundle('{ "ociVersion": "1.0.2", not json');
  failsWith(t, f.r, /^ociish: config\.json \/: invalid JSON: .+\n$/);
  await nothingLeft(t, f);
  const empty = await rawBundle('');
  failsWith(t, empty.r, /^ociish: config\.json \/: invalid JSON: .+\n$/);
  const notObject = await rawBundle('[1, 2]');
  failsWith(t, notObject.r, /^ociish: config\.json \/: .+\n$/);
});

t.test('a bad field: one line with its JSON pointer', { skip: rootSkip }, async (t) => {
  const cases: [(c: Config) => void, string][] = [
    [(c) => (c.process.user.uid = 'x'), 'config.json /process/user/uid: must be an integer between 0 and 4294967294'],
    [(c) => (c.process.user.additionalGids = [5, -1]), 'config.json /process/user/additionalGids/1: must be an integer between 0 and 4294967294'],
    [(c) => (c.process.args = []), 'config.json /process/args: must have at least one entry'],
    [(c) => (c.process.cwd = 'tmp'), 'config.json /process/cwd: must be an absolute path'],
    [(c) => c.linux.namespaces.push({ type: 'bogus' }), 'config.json /linux/namespaces/5/type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"'],
    [(c) => c.linux.namespaces.push({ type: 'pid' }), 'config.json /linux/namespaces/5/type: duplicate namespace type "pid" (first at /linux/namespaces/0)'],
    [(c) => (c.ociVersion = '2.0.0'), 'config.json /ociVersion: unsupported major version 2 (ociish implements runtime-spec 1.x)'],
    [(c) => (c.process.rlimits[0].type = 'RLIMIT_BOGUS'), 'config.json /process/rlimits/0/type: unknown rlimit "RLIMIT_BOGUS"'],
  ];
  for (const [edit, line] of cases) {
    const f = await fail(edit);
    failsWith(t, f.r, line);
    await nothingLeft(t, f);
  }
});

t.test('cgroups: what the host cannot honour is refused, a failed write removes the cgroup', { skip: rootSkip }, async (t) => {
  const cases: [(c: Config) => void, string | RegExp][] = [
    // No host of ours has net_cls: not mounted on our hybrid machines, v1 only on v2 hosts.
    [(c) => (c.linux.resources = { network: { classID: 7 } }), /^ociish: config\.json \/linux\/resources\/network\/classID: cannot be honoured: the host has no net_cls controller \(host cgroup mode: (hybrid|unified|legacy)\)\n$/],
    [(c) => (c.linux.cgroupsPath = '/ociish-test/../escape'), 'config.json /linux/cgroupsPath: must not contain ".." components'],
    [(c) => (c.linux.resources = { memory: { limit: 1 << 30, swap: 1 << 20 } }), 'config.json /linux/resources/memory/swap: must be >= limit (1073741824): it counts memory plus swap'],
    // The kernel refuses cpus the machine does not have, after the cgroup was made.
    [(c) => (c.linux.resources = { cpu: { cpus: '4000' } }), /^ociish: write \/sys\/fs\/cgroup\/\S*\/cpuset\.cpus: (ERANGE|EINVAL): [^(]+ \(config\.json \/linux\/resources\/cpu\/cpus\)\n$/],
  ];
  for (const [edit, line] of cases) {
    const f = await fail(edit);
    failsWith(t, f.r, line);
    await nothingLeft(t, f);
  }
});

t.test('unsupported fields are refused with their pointers', { skip: rootSkip }, async (t) => {
  const cases: [(c: Config) => void, string][] = [
    [(c) => (c.linux.intelRdt = { closID: 'x' }), 'config.json /linux/intelRdt: not supported yet: Intel RDT (linux.intelRdt)'],
    [(c) => (c.process.apparmorProfile = 'docker-default'), 'config.json /process/apparmorProfile: not supported yet: AppArmor profiles (process.apparmorProfile)'],
  ];
  for (const [edit, line] of cases) {
    const f = await fail(edit);
    failsWith(t, f.r, line);
    await nothingLeft(t, f);
  }
});

t.test('a config without a mount namespace is refused', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
  });
  failsWith(t, f.r, 'config.json /linux/namespaces: a new mount namespace is required (ociish always sets up the root filesystem)');
  await nothingLeft(t, f);
});

// ---------------------------------------------------------------------------
// late failures, after the namespaces and mounts exist

/** The runtime's hard RLIMIT_NOFILE, if it cannot raise it (no CAP_SYS_RESOURCE); else a skip reason. */
function nofileHard(): { hard: number; skip: false } | { hard: 0; skip: string } {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1];
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  if ((BigInt(`0x${capEff}`) & (1n << 24n)) !== 0n) return { hard: 0, skip: 'the runtime has CAP_SYS_RESOURCE and may raise RLIMIT_NOFILE' };
  if (hard === undefined || hard === 'unlimited') return { hard: 0, skip: 'no hard RLIMIT_NOFILE to exceed' };
  return { hard: Number(hard), skip: false };
}
const nofile = nofileHard();

t.test('an rlimit above the runtime\'s hard limit: setrlimit, /process/rlimits/N', { skip: rootSkip || nofile.skip }, async (t) => {
  const hard = nofile.hard;
  const f = await fail((c) => {
    c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(hard) + 1 }];
  });
  failsWith(t, f.r, 'setrlimit RLIMIT_NOFILE: EPERM: operation not permitted (config.json /process/rlimits/1)');
  await nothingLeft(t, f);
});

t.test('a cwd that cannot be created: mkdir, /process/cwd', { skip: rootSkip }, async (t) => {
  const f = await fail((c) => (c.process.cwd = '/etc/passwd/dir'));
  failsWith(t, f.r, 'mkdir /etc/passwd/dir: ENOTDIR: not a directory (config.json /process/cwd)');
  await nothingLeft(t, f);
});

t.test('a sysctl whose /proc is not procfs: refused before opening (a FIFO there would block)', { skip: rootSkip }, async (t) => {
  const fakeProc = tempDir('fakeproc');
  fs.mkdirSync(path.join(fakeProc, 'sys/net/ipv4'), { recursive: true });
  execFileSync('mkfifo', [path.join(fakeProc, 'sys/net/ipv4/ip_forward')]);
  const f = await fail((c) => {
    c.mounts = c.mounts.map((m: { destination: string }) => (m.destination === '/proc' ? { destination: '/proc', type: 'bind', source: fakeProc, options: ['rbind'] } : m));
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  });
  failsWith(t, f.r, 'write /proc/sys/net/ipv4/ip_forward: EXDEV: cross-device link not permitted (config.json /linux/sysctl/net.ipv4.ip_forward)');
  await nothingLeft(t, f);
});

t.test('many failures in a row leave nothing behind either', { skip: rootSkip }, async (t) => {
  const { rootfs } = await exampleBundle();
  const runs: Failed[] = [];
  for (let i = 0; i < 10; i++) runs.push(await fail((c) => (c.process.args = [`/no/such/cmd-${i}`]), 'many'));
  t.same(runs.map((f) => f.r.status), Array(10).fill(1));
  t.same(runs.filter((f) => fs.existsSync(path.join(stateRoot, f.id))).map((f) => f.id), [], 'no state dirs');
  t.same(processesMentioning(...runs.map((f) => f.bundle)), [], 'no processes');
  t.same(mountsMentioning(rootfs, ...runs.map((f) => f.bundle)), [], 'no mounts');
});
