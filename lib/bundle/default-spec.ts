// The config.json that `ociish spec` writes: runc's example spec
// (libcontainer/specconv/example.go, current runc) with two differences:
//  - process.terminal is false, so the bundle runs as is without a console socket;
//  - hostname "ociish".
// Like current runc (1.2+) it lists no ambient capabilities: without matching
// inheritable ones the kernel refuses to raise them (runc 1.1 listed them and
// silently ignored the error). It masks /sys/devices/virtual/tpm, as current runc does.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DefaultSpecOptions {
  /** What `runc spec --rootless` produces: a user namespace mapping the current user to root, no network namespace. */
  rootless?: boolean;
  /** process.args; default ["sh"]. */
  args?: string[];
  /** Default "ociish". */
  hostname?: string;
  /** Add a cgroup namespace; default: when /sys/fs/cgroup is cgroup2 (runc does the same). */
  cgroupNamespace?: boolean;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** True if /sys/fs/cgroup is a pure cgroup v2 hierarchy (measured by statfs, not guessed). */
export function isCgroup2Unified(): boolean {
  try {
    return fs.statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export function defaultSpec(opts: DefaultSpecOptions = {}): object {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  const spec = {
    ociVersion: '1.3.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...(opts.args ?? ['sh'])],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: opts.hostname ?? 'ociish',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        // gid=5 (tty) names a host group; rootless drops it since only one gid is mapped.
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(opts.rootless ? [] : ['gid=5'])],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      // Without a network namespace of its own a rootless container may not mount a new sysfs: bind the host's.
      opts.rootless
        ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      ...(opts.rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }],
          }
        : {}),
      // Every device denied but the defaults the runtime adds, as runc's example
      // (which leaves resources out for rootless containers).
      ...(opts.rootless ? {} : { resources: { devices: [{ allow: false, access: 'rwm' }] } }),
      namespaces: namespaces(opts),
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
        '/sys/devices/virtual/tpm',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  return spec;
}

function namespaces(opts: DefaultSpecOptions): { type: string }[] {
  // Same order as runc: rootless removes network and appends user.
  const types = ['pid', 'network', 'ipc', 'uts', 'mount'];
  if (opts.cgroupNamespace ?? isCgroup2Unified()) types.push('cgroup');
  const list = opts.rootless ? [...types.filter((t) => t !== 'network'), 'user'] : types;
  return list.map((type) => ({ type }));
}

/**
 * Writes `bundleDir/config.json` (2-space JSON) and returns its path. Refuses,
 * like runc, if the file already exists; the check and the create are one step (O_EXCL).
 */
export function writeDefaultSpec(bundleDir: string, opts: DefaultSpecOptions = {}): string {
  const file = path.join(bundleDir, 'config.json');
  try {
    fs.writeFileSync(file, JSON.stringify(defaultSpec(opts), null, 2) + '\n', { flag: 'wx', mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} already exists; remove it first`);
    throw e;
  }
  return file;
}
