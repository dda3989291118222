// A cgroup file system in a temp directory, for unit tests of lib/cgroups:
// hierarchies laid out as the kernel mounts them (pure v2, hybrid, legacy v1),
// directories that come with the interface files a new cgroup gets, and a
// CgroupIO whose writes APPEND `value + "\n"` to an existing file, so that a
// test sees every write, in order. A write to a file the cgroup does not have
// fails with ENOENT, as the kernel's open(2) does.
//
// A few files keep the kernel's meaning instead of a log, because the code
// reads them back to decide what to do next: cgroup.subtree_control (reads the
// enabled controllers; "+x" for a controller not in cgroup.controllers is
// ENOENT), freezer.state (reads the state written) and cgroup.freeze (sets
// "frozen N" in cgroup.events). rmdir refuses a cgroup with child cgroups or
// processes (EBUSY), and removes its interface files with it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CgroupIO, CgroupLayout, CgroupMode } from '../../lib/cgroups';
import type { CgroupHierarchy } from '../../lib/cgroups/hierarchies';

/** What the kernel of a fake host offers beyond the basics. */
export interface FakeVariant {
  /** BFQ weights (io.bfq.weight / blkio.bfq.weight*) instead of CFQ's (blkio.weight, leaf weights) or io.weight only. */
  bfq?: boolean;
  /** hugetlb reservation files (5.7+). */
  rsvd?: boolean;
}

export interface FakeHierarchySpec {
  /** Directory name under the root ("" for a v2 hierarchy mounted at the root itself). */
  name: string;
  version: 1 | 2;
  controllers: string[];
  ownPath?: string;
}

const HUGE_SIZES = ['2MB', '1GB'];

/** Interface files (with the kernel's initial content) of a v1 controller in a non-root cgroup. */
function v1Files(controller: string, v: FakeVariant): Record<string, string> {
  const unlimited = '9223372036854771712\n';
  switch (controller) {
    case 'cpu':
      return {
        'cpu.shares': '1024\n',
        'cpu.cfs_period_us': '100000\n',
        'cpu.cfs_quota_us': '-1\n',
        'cpu.cfs_burst_us': '0\n',
        'cpu.idle': '0\n',
        'cpu.rt_period_us': '1000000\n',
        'cpu.rt_runtime_us': '0\n',
        'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
      };
    case 'cpuacct':
      return { 'cpuacct.usage': '0\n', 'cpuacct.stat': 'user 0\nsystem 0\n', 'cpuacct.usage_percpu': '0 0\n' };
    case 'cpuset':
      // A new v1 cpuset has no cpus and no mems.
      return { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.effective_cpus': '\n', 'cpuset.effective_mems': '\n', 'cpuset.cpu_exclusive': '0\n' };
    case 'memory':
      return {
        'memory.limit_in_bytes': unlimited,
        'memory.memsw.limit_in_bytes': unlimited,
        'memory.soft_limit_in_bytes': unlimited,
        'memory.kmem.limit_in_bytes': unlimited,
        'memory.kmem.tcp.limit_in_bytes': unlimited,
        'memory.swappiness': '60\n',
        'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
        'memory.use_hierarchy': '1\n',
        'memory.usage_in_bytes': '0\n',
        'memory.memsw.usage_in_bytes': '0\n',
        'memory.max_usage_in_bytes': '0\n',
        'memory.failcnt': '0\n',
        'memory.stat': 'cache 0\nrss 0\n',
      };
    case 'pids':
      return { 'pids.max': 'max\n', 'pids.current': '0\n' };
    case 'blkio': {
      const weights: Record<string, string> = v.bfq
        ? { 'blkio.bfq.weight': '100\n', 'blkio.bfq.weight_device': '' }
        : { 'blkio.weight': '500\n', 'blkio.weight_device': '', 'blkio.leaf_weight': '500\n', 'blkio.leaf_weight_device': '' };
      return {
        ...weights,
        'blkio.throttle.read_bps_device': '',
        'blkio.throttle.write_bps_device': '',
        'blkio.throttle.read_iops_device': '',
        'blkio.throttle.write_iops_device': '',
        'blkio.throttle.io_service_bytes_recursive': 'Total 0\n',
        'blkio.throttle.io_serviced_recursive': 'Total 0\n',
      };
    }
    case 'devices':
      return { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' };
    case 'freezer':
      return { 'freezer.state': 'THAWED\n', 'freezer.self_freezing': '0\n', 'freezer.parent_freezing': '0\n' };
    case 'net_cls':
      return { 'net_cls.classid': '0\n' };
    case 'net_prio':
      return { 'net_prio.ifpriomap': 'lo 0\neth0 0\n', 'net_prio.prioidx': '1\n' };
    case 'hugetlb': {
      const out: Record<string, string> = {};
      for (const s of HUGE_SIZES) {
        out[`hugetlb.${s}.limit_in_bytes`] = unlimited;
        out[`hugetlb.${s}.usage_in_bytes`] = '0\n';
        if (v.rsvd) out[`hugetlb.${s}.rsvd.limit_in_bytes`] = unlimited;
      }
      return out;
    }
    case 'rdma':
      return { 'rdma.max': '', 'rdma.current': '' };
    default:
      return {}; // name=systemd and friends: only the core files
  }
}

/** Interface files of a v2 controller in a non-root cgroup. */
function v2Files(controller: string, v: FakeVariant): Record<string, string> {
  switch (controller) {
    case 'cpu':
      return { 'cpu.weight': '100\n', 'cpu.weight.nice': '0\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n' };
    case 'cpuset':
      return { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-1\n', 'cpuset.mems.effective': '0\n', 'cpuset.cpus.partition': 'member\n' };
    case 'io':
      return { 'io.max': '', 'io.weight': 'default 100\n', 'io.stat': '', ...(v.bfq ? { 'io.bfq.weight': 'default 100\n' } : {}) };
    case 'memory':
      return {
        'memory.max': 'max\n',
        'memory.high': 'max\n',
        'memory.low': '0\n',
        'memory.min': '0\n',
        'memory.swap.max': 'max\n',
        'memory.current': '0\n',
        'memory.swap.current': '0\n',
        'memory.peak': '0\n',
        'memory.stat': 'anon 0\nfile 0\n',
        'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
      };
    case 'hugetlb': {
      const out: Record<string, string> = {};
      for (const s of HUGE_SIZES) {
        out[`hugetlb.${s}.max`] = 'max\n';
        out[`hugetlb.${s}.current`] = '0\n';
        out[`hugetlb.${s}.events`] = 'max 0\n';
        if (v.rsvd) out[`hugetlb.${s}.rsvd.max`] = 'max\n';
      }
      return out;
    }
    case 'pids':
      return { 'pids.max': 'max\n', 'pids.current': '0\n' };
    case 'rdma':
      return { 'rdma.max': '', 'rdma.current': '' };
    case 'misc':
      return { 'misc.max': '', 'misc.current': '' };
    default:
      return {};
  }
}

const V1_CORE = { 'cgroup.procs': '', tasks: '', 'cgroup.clone_children': '0\n', notify_on_release: '0\n' };
const V2_ROOT_CORE = { 'cgroup.procs': '', 'cgroup.threads': '', 'cgroup.subtree_control': '', 'cgroup.max.depth': 'max\n', 'cgroup.stat': '', 'cpu.stat': '' };
const V2_CORE = {
  ...V2_ROOT_CORE,
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.freeze': '0\n',
  'cgroup.kill': '',
  'cgroup.type': 'domain\n',
  'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
};

const ERRNO: Record<string, number> = { ENOENT: 2, EACCES: 13, EEXIST: 17, EBUSY: 16, EINVAL: 22, ENOSPC: 28 };

/** An error shaped as the addon's and node:fs's system errors. */
export function sysError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  const errno = ERRNO[code] ?? 1;
  return Object.assign(new Error(`${code}: fake ${syscall} '${file}'`), { code, errno: -errno, syscall, path: file });
}

export interface Write {
  file: string;
  value: string;
}

/** A refusal rule: the error code for this write, or undefined to let it through. */
export type Refusal = (file: string, value: string) => string | undefined;

export class FakeCgroupFs implements CgroupIO {
  readonly layout: CgroupLayout;
  /** Every successful write, in order. */
  readonly log: Write[] = [];
  /** Every successful rmdir, in order. */
  readonly removed: string[] = [];
  /** Checked before each write. */
  readonly refusals: Refusal[] = [];
  /** Each file's content when the cgroup was made (or at the last snapshot()): what was written since is the rest. */
  private readonly initial = new Map<string, string>();

  constructor(
    readonly root: string,
    mode: CgroupMode,
    specs: FakeHierarchySpec[],
    readonly variant: FakeVariant,
    /** The controllers the v2 root offers (its cgroup.controllers), in the kernel's order. */
    v2Controllers: string[] = [],
  ) {
    const hierarchies: CgroupHierarchy[] = specs.map((s) => ({
      mountPoint: path.join(root, s.name),
      version: s.version,
      controllers: s.version === 2 ? v2Controllers : s.controllers,
      ownPath: s.ownPath ?? '/',
    }));
    this.layout = { mode, root, hierarchies, links: [] };
    for (const h of hierarchies) {
      fs.mkdirSync(h.mountPoint, { recursive: true });
      if (h.version === 2) {
        this.populate(h.mountPoint, { ...V2_ROOT_CORE, 'cgroup.controllers': `${v2Controllers.join(' ')}\n` });
      } else {
        const files: Record<string, string> = { ...V1_CORE };
        for (const c of h.controllers) Object.assign(files, v1Files(c, variant));
        if (h.controllers.includes('cpuset')) Object.assign(files, { 'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n' });
        delete files['freezer.state']; // the root cgroup cannot be frozen
        this.populate(h.mountPoint, files);
      }
    }
  }

  private populate(dir: string, files: Record<string, string>): void {
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), content);
      this.initial.set(path.join(dir, name), content);
    }
  }

  /** The hierarchy holding `p`. */
  hierarchyOf(p: string): CgroupHierarchy {
    const h = this.layout.hierarchies
      .filter((x) => p === x.mountPoint || p.startsWith(x.mountPoint + '/'))
      .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    if (!h) throw new Error(`${p} is in no fake hierarchy`);
    return h;
  }

  /** The controllers a v2 directory offers (its cgroup.controllers). */
  private v2Available(dir: string): string[] {
    return (this.read(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
  }

  write(file: string, value: string): void {
    for (const refuse of this.refusals) {
      const code = refuse(file, value);
      if (code) throw sysError(code, 'write', file);
    }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) throw sysError('ENOENT', 'open', file);
    const name = path.basename(file);
    const dir = path.dirname(file);
    if (name === 'cgroup.subtree_control') {
      const available = this.v2Available(dir);
      const enabled = new Set(this.read(file)!.split(/\s+/).filter(Boolean));
      for (const token of value.split(/\s+/).filter(Boolean)) {
        const c = token.slice(1);
        if (!/^[+-]/.test(token) || !available.includes(c)) throw sysError(token.startsWith('+') ? 'ENOENT' : 'EINVAL', 'write', file);
        if (token.startsWith('+')) enabled.add(c);
        else enabled.delete(c);
      }
      fs.writeFileSync(file, `${available.filter((c) => enabled.has(c)).join(' ')}\n`);
    } else if (name === 'freezer.state') {
      if (value !== 'FROZEN' && value !== 'THAWED') throw sysError('EINVAL', 'write', file);
      fs.writeFileSync(file, `${value}\n`);
    } else if (name === 'cgroup.freeze') {
      fs.appendFileSync(file, `${value}\n`);
      const events = path.join(dir, 'cgroup.events');
      fs.writeFileSync(events, fs.readFileSync(events, 'utf8').replace(/^frozen \d$/m, `frozen ${value.trim() === '1' ? 1 : 0}`));
    } else {
      fs.appendFileSync(file, `${value}\n`);
    }
    this.log.push({ file, value });
  }

  read(file: string): string | undefined {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  exists(file: string): boolean {
    return fs.existsSync(file);
  }

  mkdir(dir: string): boolean {
    if (fs.existsSync(dir)) return false;
    const parent = path.dirname(dir);
    if (!fs.existsSync(parent)) throw sysError('ENOENT', 'mkdir', dir);
    const h = this.hierarchyOf(dir);
    fs.mkdirSync(dir);
    const files: Record<string, string> = {};
    if (h.version === 2) {
      // A new v2 cgroup has the controllers its parent enabled for its children.
      const enabled = (this.read(path.join(parent, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean);
      Object.assign(files, V2_CORE, { 'cgroup.controllers': `${enabled.join(' ')}\n` });
      for (const c of enabled) Object.assign(files, v2Files(c, this.variant));
    } else {
      Object.assign(files, V1_CORE);
      for (const c of h.controllers) Object.assign(files, v1Files(c, this.variant));
    }
    this.populate(dir, files);
    return true;
  }

  rmdir(dir: string): void {
    if (!fs.existsSync(dir)) throw sysError('ENOENT', 'rmdir', dir);
    if (this.children(dir).length > 0) throw sysError('EBUSY', 'rmdir', dir);
    if ((this.read(path.join(dir, 'cgroup.procs')) ?? '').trim() !== '') throw sysError('EBUSY', 'rmdir', dir);
    fs.rmSync(dir, { recursive: true });
    this.removed.push(dir);
  }

  chown(_file: string, _uid: number, _gid: number): void {
    // ownership is not part of these tests
  }

  children(dir: string): string[] {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  }

  files(dir: string): string[] {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);
  }

  /** Sets a file's content as if the kernel had it so (a current value an update reads). */
  preset(file: string, content: string): void {
    if (!fs.existsSync(file)) throw new Error(`preset: ${file} does not exist`);
    fs.writeFileSync(file, content);
    this.initial.set(file, content);
  }

  /** Forgets the writes so far: the log is emptied and every file's content becomes its initial one. */
  snapshot(): void {
    this.log.length = 0;
    this.removed.length = 0;
    for (const file of this.initial.keys()) {
      const content = this.read(file);
      if (content === undefined) this.initial.delete(file);
      else this.initial.set(file, content);
    }
  }

  /** The values written to a file since it was made or since snapshot(), read back from the file. */
  written(file: string): string[] {
    const content = this.read(file);
    if (content === undefined) return [];
    const before = this.initial.get(file) ?? '';
    if (!content.startsWith(before)) throw new Error(`${file} lost its initial content`);
    return content.slice(before.length).split('\n').slice(0, -1);
  }
}

/** The fake hosts of the tests: a label per hierarchy ("v2" or the v1 directory name). */
export function label(h: CgroupHierarchy): string {
  return h.version === 2 ? 'v2' : path.basename(h.mountPoint);
}

/** tmpfs when there is one (thousands of small files: ext4 under load takes seconds), else the temp dir. */
function scratch(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

const ALL_V2 = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

export type HostKind = 'unified' | 'hybrid' | 'legacy';

export interface FakeHostOptions extends FakeVariant {
  /** Hierarchies to leave out (by name, e.g. "devices" or "net_cls,net_prio"). */
  without?: string[];
  /** ownPath per hierarchy name ("" for the v2 root of a unified host). */
  ownPaths?: Record<string, string>;
}

/**
 * unified: one cgroup2 hierarchy with every controller, BFQ and rsvd files by default.
 * hybrid: v1 cpu,cpuacct (co-mounted), cpuset, memory, pids, blkio (BFQ only, as
 * kernels without CFQ), devices, freezer, net_cls,net_prio (co-mounted), name=systemd;
 * cgroup2 at unified with hugetlb and rdma (no rsvd files).
 * legacy: every v1 controller on its own hierarchy (blkio with CFQ files, hugetlb with
 * rsvd files), no cgroup2.
 */
export function fakeHost(kind: HostKind, options: FakeHostOptions = {}): FakeCgroupFs {
  const root = fs.mkdtempSync(path.join(scratch(), `ociish-cgfs-${kind}-`));
  const v1 = (controllers: string[], name = controllers.join(',')): FakeHierarchySpec => ({ name, version: 1, controllers });
  let specs: FakeHierarchySpec[];
  let variant: FakeVariant;
  let v2: string[] = [];
  if (kind === 'unified') {
    specs = [{ name: '', version: 2, controllers: [] }];
    variant = { bfq: options.bfq ?? true, rsvd: options.rsvd ?? true };
    v2 = ALL_V2;
  } else if (kind === 'hybrid') {
    specs = [
      v1(['cpu', 'cpuacct']),
      v1(['cpuset']),
      v1(['memory']),
      v1(['pids']),
      v1(['blkio']),
      v1(['devices']),
      v1(['freezer']),
      v1(['net_cls', 'net_prio']),
      v1(['name=systemd'], 'systemd'),
      { name: 'unified', version: 2, controllers: [] },
    ];
    variant = { bfq: options.bfq ?? true, rsvd: options.rsvd ?? false };
    v2 = ['hugetlb', 'rdma'];
  } else {
    specs = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'devices', 'freezer', 'net_cls', 'net_prio', 'hugetlb', 'rdma'].map((c) => v1([c]));
    specs.push(v1(['name=systemd'], 'systemd'));
    variant = { bfq: options.bfq ?? false, rsvd: options.rsvd ?? true };
  }
  specs = specs.filter((s) => !(options.without ?? []).includes(s.name));
  for (const s of specs) {
    const own = options.ownPaths?.[s.name];
    if (own !== undefined) s.ownPath = own;
  }
  return new FakeCgroupFs(root, kind, specs, variant, v2);
}
