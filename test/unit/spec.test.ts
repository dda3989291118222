// lib/spec: config.json validation. Every failing case asserts the exact
// JSON pointer and reason, so a check that moves or changes wording fails here.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../lib/errors';
import { NOT_SUPPORTED_YET, RLIM_INFINITY, loadBundleConfig, parseConfig, parseProcess } from '../../lib/spec';
import { configError } from '../helpers/errors';

// Raw JSON as a test edits it.
type Raw = any;

// Compiled to dist/test/unit; the fixtures stay in the source tree.
const FIXTURES = resolve(__dirname, '../../../test/unit/fixtures/spec');
const fixture = (name: string): Raw => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function rejects(tt: tap.Test, fn: () => unknown, pointer: string, reason: string): void {
  const err = configError(fn);
  tt.equal(err.pointer, pointer, 'pointer');
  tt.equal(err.reason, reason, 'reason');
}

/** A small valid config that every bad-input case mutates. */
function base(): Raw {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] },
    ],
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/bin'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }],
    },
    hostname: 'box',
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }],
      devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }],
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
}

const userNs = (c: Raw) => c.linux.namespaces.push({ type: 'user' });
const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];

t.test('the base config is valid', async (tt) => {
  tt.doesNotThrow(() => parseConfig(base()));
});

t.test('bad inputs give the pointer of the first bad value and a reason', async (tt) => {
  const NS_REASON = 'must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"';
  const cases: [string, (c: Raw) => unknown, string, string][] = [
    ['no ociVersion', (c) => delete c.ociVersion, '/ociVersion', 'is required'],
    ['ociVersion a number', (c) => (c.ociVersion = 1), '/ociVersion', 'must be a string'],
    ['ociVersion not SemVer', (c) => (c.ociVersion = '1.0'), '/ociVersion', 'must be a SemVer version such as "1.0.2"'],
    ['ociVersion leading zero', (c) => (c.ociVersion = '1.01.0'), '/ociVersion', 'must be a SemVer version such as "1.0.2"'],
    ['ociVersion major 2', (c) => (c.ociVersion = '2.0.0'), '/ociVersion', 'unsupported major version 2 (ociish implements runtime-spec 1.x)'],
    ['no root', (c) => delete c.root, '/root', 'is required'],
    ['empty root.path', (c) => (c.root.path = ''), '/root/path', 'must not be empty'],
    ['root.readonly a string', (c) => (c.root.readonly = 'yes'), '/root/readonly', 'must be true or false'],
    ['mounts an object', (c) => (c.mounts = {}), '/mounts', 'must be an array'],
    ['empty mount destination', (c) => (c.mounts[2].destination = ''), '/mounts/2/destination', 'must not be empty'],
    ['no mount destination', (c) => delete c.mounts[1].destination, '/mounts/1/destination', 'is required'],
    ['mount type a number', (c) => (c.mounts[0].type = 3), '/mounts/0/type', 'must be a string'],
    ['mount source with NUL', (c) => (c.mounts[2].source = '/a\0b'), '/mounts/2/source', 'must not contain a NUL byte'],
    ['mount option a number', (c) => (c.mounts[1].options[1] = 755), '/mounts/1/options/1', 'must be a string'],
    ['empty args', (c) => (c.process.args = []), '/process/args', 'must have at least one entry'],
    ['relative cwd', (c) => (c.process.cwd = 'tmp'), '/process/cwd', 'must be an absolute path'],
    ['no cwd', (c) => delete c.process.cwd, '/process/cwd', 'is required'],
    ['no user', (c) => delete c.process.user, '/process/user', 'is required'],
    ['negative uid', (c) => (c.process.user.uid = -1), '/process/user/uid', 'must be an integer between 0 and 4294967294'],
    ['uid (uid_t)-1', (c) => (c.process.user.uid = 4294967295), '/process/user/uid', 'must be an integer between 0 and 4294967294'],
    ['fractional gid', (c) => (c.process.user.gid = 1.5), '/process/user/gid', 'must be an integer between 0 and 4294967294'],
    ['bad additional gid', (c) => (c.process.user.additionalGids = [1, '2']), '/process/user/additionalGids/1', 'must be an integer between 0 and 4294967294'],
    ['umask too big', (c) => (c.process.user.umask = 0o1000), '/process/user/umask', 'must be an integer between 0 and 511'],
    ['env entry null', (c) => (c.process.env = [null]), '/process/env/0', 'must be a string'],
    ['negative rlimit hard', (c) => (c.process.rlimits[0].hard = -1), '/process/rlimits/0/hard', 'must be an integer >= 0'],
    ['rlimit soft too large to be exact', (c) => (c.process.rlimits[0].soft = 2 ** 60), '/process/rlimits/0/soft', 'is too large to be exact (the limit is 2^53-1, or 18446744073709551615)'],
    ['rlimit type not RLIMIT_*', (c) => (c.process.rlimits[0].type = 'NOFILE'), '/process/rlimits/0/type', 'must be an RLIMIT_* name such as "RLIMIT_NOFILE"'],
    ['rlimit soft > hard', (c) => (c.process.rlimits[0].soft = 11), '/process/rlimits/0/soft', 'must be <= hard (10)'],
    [
      'duplicate rlimit',
      (c) => c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }),
      '/process/rlimits/2/type',
      'duplicate rlimit type "RLIMIT_NOFILE" (first at /process/rlimits/0)',
    ],
    ['oomScoreAdj too big', (c) => (c.process.oomScoreAdj = 1001), '/process/oomScoreAdj', 'must be an integer between -1000 and 1000'],
    ['oomScoreAdj too small', (c) => (c.process.oomScoreAdj = -1001), '/process/oomScoreAdj', 'must be an integer between -1000 and 1000'],
    ['capabilities a list (pre-1.0 form)', (c) => (c.process.capabilities = ['CAP_KILL']), '/process/capabilities', 'must be an object'],
    ['noNewPrivileges a string', (c) => (c.process.noNewPrivileges = 'true'), '/process/noNewPrivileges', 'must be true or false'],
    ['unknown namespace type', (c) => (c.linux.namespaces[0].type = 'net'), '/linux/namespaces/0/type', NS_REASON],
    [
      'duplicate namespace',
      (c) => c.linux.namespaces.push({ type: 'ipc' }, { type: 'mount', path: '/proc/1/ns/mnt' }),
      '/linux/namespaces/4/type',
      'duplicate namespace type "mount" (first at /linux/namespaces/1)',
    ],
    ['relative namespace path', (c) => (c.linux.namespaces[1].path = 'proc/1/ns/mnt'), '/linux/namespaces/1/path', 'must be an absolute path'],
    ['device type x', (c) => (c.linux.devices[0].type = 'x'), '/linux/devices/0/type', 'must be one of "c", "b", "u", "p"'],
    ['relative device path', (c) => (c.linux.devices[0].path = 'dev/fuse'), '/linux/devices/0/path', 'must be an absolute path'],
    ['char device without major', (c) => delete c.linux.devices[0].major, '/linux/devices/0/major', 'is required for device type "c"'],
    ['block device without minor', (c) => (c.linux.devices = [{ type: 'b', path: '/dev/sda', major: 8 }]), '/linux/devices/0/minor', 'is required for device type "b"'],
    ['device major too large', (c) => (c.linux.devices[0].major = 2 ** 60), '/linux/devices/0/major', 'is too large to be exact (the limit is 2^53-1)'],
    ['device fileMode negative', (c) => (c.linux.devices[0].fileMode = -1), '/linux/devices/0/fileMode', 'must be an integer between 0 and 4294967295'],
    ['uidMappings without a user namespace', (c) => (c.linux.uidMappings = mapping), '/linux/uidMappings', 'needs a user namespace in /linux/namespaces'],
    [
      'new user namespace without mappings',
      (c) => userNs(c),
      '/linux/uidMappings',
      'is required with a new user namespace (/linux/namespaces/3)',
    ],
    [
      'new user namespace without gidMappings',
      (c) => (userNs(c), (c.linux.uidMappings = mapping)),
      '/linux/gidMappings',
      'is required with a new user namespace (/linux/namespaces/3)',
    ],
    ['mapping size 0', (c) => (userNs(c), (c.linux.uidMappings = [{ containerID: 0, hostID: 1, size: 0 }])), '/linux/uidMappings/0/size', 'must be an integer between 1 and 4294967295'],
    ['mapping hostID negative', (c) => (userNs(c), (c.linux.gidMappings = [{ containerID: 0, hostID: -1, size: 1 }])), '/linux/gidMappings/0/hostID', 'must be an integer between 0 and 4294967295'],
    ['mapping without containerID', (c) => (userNs(c), (c.linux.uidMappings = [{ hostID: 1, size: 1 }])), '/linux/uidMappings/0/containerID', 'is required'],
    [
      'bad rootfsPropagation',
      (c) => (c.linux.rootfsPropagation = 'recursive'),
      '/linux/rootfsPropagation',
      'must be one of "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"',
    ],
    ['sysctl value a number', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }), '/linux/sysctl/net.ipv4.ip_forward', 'must be a string'],
    ['sysctl a list', (c) => (c.linux.sysctl = ['a=b']), '/linux/sysctl', 'must be an object'],
    ['relative masked path', (c) => c.linux.maskedPaths.push('proc/keys'), '/linux/maskedPaths/1', 'must be an absolute path'],
    ['relative readonly path', (c) => (c.linux.readonlyPaths = ['/proc/bus', '/proc/fs', 'sys']), '/linux/readonlyPaths/2', 'must be an absolute path'],
    ['hostname without uts', (c) => c.linux.namespaces.pop(), '/hostname', 'needs a uts namespace in /linux/namespaces'],
    ['domainname without uts', (c) => (delete c.hostname, (c.domainname = 'example.org'), c.linux.namespaces.pop()), '/domainname', 'needs a uts namespace in /linux/namespaces'],
    ['hostname with no linux section', (c) => delete c.linux, '/hostname', 'needs a uts namespace in /linux/namespaces'],
    ['linux a string', (c) => (c.linux = 'yes'), '/linux', 'must be an object'],
    ['annotation value a number', (c) => (c.annotations = { 'com.example.n': 1 }), '/annotations/com.example.n', 'must be a string'],
    // RFC 6901: "~" is escaped as "~0" and "/" as "~1" in a pointer token.
    ['annotation key with / and ~', (c) => (c.annotations = { 'a/b~c': true }), '/annotations/a~1b~0c', 'must be a string'],
    ['empty annotation key', (c) => (c.annotations = { '': 'x' }), '/annotations/', 'annotation keys must not be empty'],
    ['relative hook path', (c) => (c.hooks = { prestart: [{ path: 'bin/hook' }] }), '/hooks/prestart/0/path', 'must be an absolute path'],
    ['hook timeout 0', (c) => (c.hooks = { poststop: [{ path: '/bin/hook', timeout: 0 }] }), '/hooks/poststop/0/timeout', 'must be an integer >= 1'],
    ['ioPriority out of range', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), '/process/ioPriority/priority', 'must be an integer between 0 and 7'],
    ['consoleSize too wide', (c) => (c.process.consoleSize = { height: 1, width: 70000 }), '/process/consoleSize/width', 'must be an integer between 0 and 65535'],
    // The first bad value in schema order wins, whatever the order of keys in the file.
    ['two bad values', (c) => ((c.linux.maskedPaths = ['x']), (c.process.cwd = 'y')), '/process/cwd', 'must be an absolute path'],
  ];
  for (const [name, mutate, pointer, reason] of cases) {
    tt.test(name, async (ct) => {
      const config = base();
      mutate(config);
      rejects(ct, () => parseConfig(config), pointer, reason);
    });
  }
  tt.test('not an object', async (ct) => rejects(ct, () => parseConfig([]), '', 'must be an object'));
});

t.test('unsupported fields are refused with their pointer, in document order', async (tt) => {
  const cases: [string, (c: Raw) => void, string, string][] = [
    ['username', (c) => (c.process.user.username = 'root'), '/process/user/username', 'process.user.username (a Windows field)'],
    ['commandLine', (c) => (c.process.commandLine = 'sh'), '/process/commandLine', 'process.commandLine (a Windows field)'],
    ['apparmorProfile', (c) => (c.process.apparmorProfile = 'docker-default'), '/process/apparmorProfile', 'AppArmor profiles (process.apparmorProfile)'],
    ['selinuxLabel', (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'), '/process/selinuxLabel', 'SELinux labels (process.selinuxLabel)'],
    ['scheduler', (c) => (c.process.scheduler = { policy: 'SCHED_OTHER' }), '/process/scheduler', 'process.scheduler (sched_setattr)'],
    ['ioPriority', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 4 }), '/process/ioPriority', 'process.ioPriority (ioprio_set)'],
    ['execCPUAffinity', (c) => (c.process.execCPUAffinity = { initial: '0' }), '/process/execCPUAffinity', 'process.execCPUAffinity'],
    ['mount uidMappings', (c) => (c.mounts[1].uidMappings = mapping), '/mounts/1/uidMappings', 'id-mapped mounts (mounts[].uidMappings)'],
    ['mount gidMappings', (c) => (c.mounts[2].gidMappings = mapping), '/mounts/2/gidMappings', 'id-mapped mounts (mounts[].gidMappings)'],
    [
      'mappings with a joined user namespace',
      (c) => (c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }), (c.linux.uidMappings = mapping), (c.linux.gidMappings = mapping)),
      '/linux/uidMappings',
      'uid/gid mappings together with a user namespace path',
    ],
    ['timeOffsets', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }), '/linux/timeOffsets', 'time namespace offsets (linux.timeOffsets)'],
    ['mountLabel', (c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), '/linux/mountLabel', 'SELinux mount labels (linux.mountLabel)'],
    ['intelRdt', (c) => (c.linux.intelRdt = {}), '/linux/intelRdt', 'Intel RDT (linux.intelRdt)'],
    ['personality', (c) => (c.linux.personality = { domain: 'LINUX32' }), '/linux/personality', 'linux.personality'],
    ['netDevices', (c) => (c.linux.netDevices = { eth0: { name: 'eth1' } }), '/linux/netDevices', 'network devices (linux.netDevices)'],
    ['memoryPolicy', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }), '/linux/memoryPolicy', 'NUMA memory policy (linux.memoryPolicy)'],
    // Table order, not file order: /process comes before /linux.
    ['two refusals', (c) => ((c.linux.intelRdt = {}), (c.process.apparmorProfile = 'docker-default')), '/process/apparmorProfile', 'AppArmor profiles (process.apparmorProfile)'],
    // Validity first: an invalid config is reported as invalid even when it also uses an unsupported field.
    ['invalid and refused', (c) => ((c.process.apparmorProfile = 'docker-default'), (c.process.cwd = 'x')), '/process/cwd', ''],
  ];
  for (const [name, mutate, pointer, feature] of cases) {
    tt.test(name, async (ct) => {
      const config = base();
      mutate(config);
      rejects(ct, () => parseConfig(config), pointer, feature === '' ? 'must be an absolute path' : `not supported yet: ${feature}`);
    });
  }

  tt.test('every row of the table is exercised above', async (ct) => {
    const covered = new Set(cases.map(([, , pointer]) => pointer.replace(/^\/mounts\/\d+\//, '/mounts/*/').replace(/^\/hooks\/\w+$/, '/hooks/*')));
    covered.add('/linux/gidMappings'); // same rule as /linux/uidMappings
    for (const row of NOT_SUPPORTED_YET) ct.ok(covered.has(row.pointer), row.pointer);
  });
});

t.test('values that ask for nothing are accepted', async (tt) => {
  const config = base();
  config.process.terminal = false;
  config.process.consoleSize = { height: 25, width: 80 }; // ignored unless terminal (spec)
  config.process.apparmorProfile = '';
  config.process.user.username = '';
  config.hooks = { prestart: [], poststop: [] };
  config.linux.cgroupsPath = '';
  config.linux.netDevices = {};
  config.mounts[0].uidMappings = [];
  const spec = parseConfig(config);
  tt.same(spec.hooks, { prestart: [], poststop: [] });
  tt.equal(spec.process?.terminal, false);

  // A joined user namespace needs no mappings (they are the namespace's own).
  const joined = base();
  joined.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
  tt.doesNotThrow(() => parseConfig(joined));
});

t.test('terminal and consoleSize are accepted', async (tt) => {
  const config = base();
  config.process.terminal = true;
  config.process.consoleSize = { height: 50, width: 132 };
  const spec = parseConfig(config);
  tt.equal(spec.process?.terminal, true);
  tt.same(spec.process?.consoleSize, { height: 50, width: 132 });
  tt.notOk(NOT_SUPPORTED_YET.some((r) => r.pointer.startsWith('/process/terminal') || r.pointer.startsWith('/process/consoleSize')), 'no row refuses them');
});

t.test('the result is typed and exact: unknown properties are left out', async (tt) => {
  const input: Raw = {
    ociVersion: '1.0.2-dev+build.5',
    futureField: { x: 1 },
    root: { path: '/rootfs', extra: true },
    mounts: [{ destination: 'tmp', type: 'tmpfs', source: 'tmpfs', options: null, idmapping: 'x' }],
    process: {
      user: { uid: 1000, gid: 1000, additionalGids: [10], windowsOnly: 1 },
      args: ['/bin/true'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_MEMLOCK', soft: JSON.parse('18446744073709551615'), hard: JSON.parse('18446744073709551615') }],
      oomScoreAdj: -1000,
      selinuxLabel: null,
      somethingNew: 'x',
    },
    hostname: null,
    annotations: { 'org.opencontainers.image.stopSignal': '15' },
    hooks: { futureHook: [{ path: 'not even absolute' }] },
    linux: {
      namespaces: [{ type: 'mount', future: 1 }],
      devices: [{ type: 'p', path: '/dev/fifo' }],
      sysctl: { 'kernel.msgmax': '8192' },
      rootfsPropagation: 'rslave',
      vendorExtension: { a: 1 },
    },
  };
  const before = JSON.stringify(input);
  const spec = parseConfig(input);
  tt.strictSame(spec, {
    ociVersion: '1.0.2-dev+build.5',
    root: { path: '/rootfs' },
    // A relative destination is deprecated and means relative to "/" (spec 1.2).
    mounts: [{ destination: '/tmp', source: 'tmpfs', type: 'tmpfs' }],
    process: {
      user: { uid: 1000, gid: 1000, additionalGids: [10] },
      args: ['/bin/true'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_MEMLOCK', soft: RLIM_INFINITY, hard: RLIM_INFINITY }],
      oomScoreAdj: -1000,
    },
    annotations: { 'org.opencontainers.image.stopSignal': '15' },
    hooks: {},
    linux: {
      namespaces: [{ type: 'mount' }],
      devices: [{ type: 'p', path: '/dev/fifo' }],
      sysctl: { 'kernel.msgmax': '8192' },
      rootfsPropagation: 'rslave',
    },
  });
  tt.equal(JSON.stringify(input), before, 'the input is not modified');
  // Keys look like strings to the parser, even ones that are special to JavaScript.
  const proto = parseConfig({ ...base(), annotations: JSON.parse('{"__proto__": "x", "constructor": "y"}') });
  tt.same(Object.keys(proto.annotations ?? {}), ['__proto__', 'constructor']);
  tt.equal(Object.getPrototypeOf(proto.annotations), Object.prototype);
});

t.test('podman run config: valid except the refused fields, refused in document order', async (tt) => {
  const config = fixture('podman-run-config.json');
  const order: string[] = [];
  for (;;) {
    let err: unknown;
    try {
      const spec = parseConfig(config);
      tt.equal(spec.mounts?.length, 12);
      tt.equal(spec.hostname, '4f00569cfea8');
      tt.same(spec.linux?.namespaces?.[1], { type: 'network', path: '/run/netns/netns-f49bab85-a24f-e5fb-3211-b92fbc624b74' });
      tt.same(spec.process?.rlimits?.[1], { type: 'RLIMIT_NPROC', soft: 32768, hard: 32768 });
      tt.equal(spec.process?.user.umask, 18);
      break;
    } catch (e) {
      err = e;
    }
    if (!(err instanceof ConfigError) || !err.reason.startsWith('not supported yet: ')) throw err;
    order.push(err.pointer);
    // Remove the refused field and try again.
    const parts = err.pointer.split('/').slice(1);
    const last = parts.pop() as string;
    delete parts.reduce((node, key) => node[key], config)[last];
  }
  tt.same(order, []);
});

t.test('podman exec process file', async (tt) => {
  const process = parseProcess(fixture('podman-exec-process.json'));
  tt.same(process.args, ['true']);
  tt.equal(process.cwd, '/tmp');
  tt.same(process.user, { uid: 1000, gid: 1000 });
  tt.equal(process.capabilities?.bounding?.length, 14);

  // Pointers are relative to the process file.
  const apparmor = { ...fixture('podman-exec-process.json'), apparmorProfile: 'docker-default' };
  rejects(tt, () => parseProcess(apparmor), '/apparmorProfile', 'not supported yet: AppArmor profiles (process.apparmorProfile)');
  tt.equal(parseProcess({ ...fixture('podman-exec-process.json'), terminal: true }).terminal, true, 'a terminal is accepted');
  const badCwd = { ...fixture('podman-exec-process.json'), cwd: 'tmp' };
  rejects(tt, () => parseProcess(badCwd), '/cwd', 'must be an absolute path');
});

t.test('runc spec: valid, terminal included', async (tt) => {
  const config = fixture('runc-spec.json');
  tt.equal(parseConfig(config).process?.terminal, true, 'runc spec asks for a terminal');
  config.process.terminal = false;
  const spec = parseConfig(config);
  tt.same(
    spec.linux?.namespaces?.map((n) => n.type),
    ['pid', 'network', 'ipc', 'uts', 'mount'],
  );
  tt.equal(spec.root.readonly, true);
  tt.same(spec.process?.capabilities?.ambient, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);

  // runc spec --rootless: a new user namespace with its mappings.
  const rootless = fixture('runc-spec-rootless.json');
  rootless.process.terminal = false;
  const rspec = parseConfig(rootless);
  tt.same(rspec.linux?.uidMappings, [{ containerID: 0, hostID: 0, size: 1 }]);
});

t.test('loadBundleConfig', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'ociish-spec-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');

  const missing = configError(() => loadBundleConfig(dir));
  tt.equal(missing.pointer, '');
  tt.equal(missing.reason, `cannot read ${path}: ENOENT: no such file or directory`);
  tt.equal(missing.message, `config.json /: cannot read ${path}: ENOENT: no such file or directory`);

  writeFileSync(path, '{"ociVersion": "1.0.2",');
  const bad = configError(() => loadBundleConfig(dir));
  tt.equal(bad.pointer, '');
  tt.match(bad.reason, /^invalid JSON: /);

  const config = base();
  config.process.cwd = 'relative';
  writeFileSync(path, JSON.stringify(config));
  tt.equal(configError(() => loadBundleConfig(dir)).message, 'config.json /process/cwd: must be an absolute path');

  writeFileSync(path, JSON.stringify(base()));
  tt.equal(loadBundleConfig(dir).process?.args?.[0], 'sh');
});
