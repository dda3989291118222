// A container's resource usage for `events --stats`, in runc's shape, from
// whichever version of each controller the host has. Missing controllers
// leave their part out.
import * as path from 'node:path';
import type { ContainerCgroupDir } from './paths';
import type { CgroupIO } from './io';

export interface CgroupStats {
  cpu?: {
    usage: { total: number; percpu?: number[]; kernel: number; user: number };
    throttling: { periods: number; throttled_periods: number; throttled_time: number };
  };
  memory?: {
    cache: number;
    usage: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    raw: Record<string, number>;
  };
  pids?: { current: number; limit: number };
  blkio?: { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] };
  hugetlb?: Record<string, { usage: number; max: number; failcnt: number }>;
}

export interface MemoryEntry {
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** Reads "key value" lines (cpu.stat, memory.stat, memory.events). */
export function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** "max" (no limit) reads as 0, as runc reports it. */
function num(text: string | undefined): number {
  const t = (text ?? '').trim();
  return t === '' || t === 'max' ? 0 : Number(t);
}

/** cpuacct.stat counts USER_HZ ticks (100 per second on Linux). */
const NS_PER_TICK = 1e9 / 100;

export type DirOf = (controller: string) => ContainerCgroupDir | undefined;

export function readStats(dirOf: DirOf, fsio: CgroupIO): CgroupStats {
  const read = (d: ContainerCgroupDir, file: string) => fsio.read(path.join(d.dir, file));
  const v2 = (d: ContainerCgroupDir) => d.hierarchy.version === 2;
  const stats: CgroupStats = {};

  const cpu = dirOf('cpu');
  const cpuacct = dirOf('cpuacct');
  if (cpu && v2(cpu)) {
    const s = keyValues(read(cpu, 'cpu.stat'));
    stats.cpu = {
      usage: { total: (s.usage_usec ?? 0) * 1000, kernel: (s.system_usec ?? 0) * 1000, user: (s.user_usec ?? 0) * 1000 },
      throttling: { periods: s.nr_periods ?? 0, throttled_periods: s.nr_throttled ?? 0, throttled_time: (s.throttled_usec ?? 0) * 1000 },
    };
  } else if (cpu || cpuacct) {
    const s = cpu ? keyValues(read(cpu, 'cpu.stat')) : {};
    const acct = cpuacct ? keyValues(read(cpuacct, 'cpuacct.stat')) : {};
    stats.cpu = {
      usage: {
        total: cpuacct ? num(read(cpuacct, 'cpuacct.usage')) : 0,
        percpu: cpuacct ? (read(cpuacct, 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number) : [],
        kernel: (acct.system ?? 0) * NS_PER_TICK,
        user: (acct.user ?? 0) * NS_PER_TICK,
      },
      throttling: { periods: s.nr_periods ?? 0, throttled_periods: s.nr_throttled ?? 0, throttled_time: s.throttled_time ?? 0 },
    };
  }

  const mem = dirOf('memory');
  if (mem && v2(mem)) {
    const raw = keyValues(read(mem, 'memory.stat'));
    const events = keyValues(read(mem, 'memory.events'));
    const entry = (prefix: string): MemoryEntry => ({
      usage: num(read(mem, `${prefix}.current`)),
      limit: num(read(mem, `${prefix}.max`)),
      max: num(read(mem, `${prefix}.peak`)),
      failcnt: prefix === 'memory' ? (events.max ?? 0) : 0,
    });
    stats.memory = { cache: raw.file ?? 0, usage: entry('memory'), swap: entry('memory.swap'), raw };
  } else if (mem) {
    const raw = keyValues(read(mem, 'memory.stat'));
    const entry = (prefix: string): MemoryEntry => ({
      usage: num(read(mem, `${prefix}.usage_in_bytes`)),
      limit: num(read(mem, `${prefix}.limit_in_bytes`)),
      max: num(read(mem, `${prefix}.max_usage_in_bytes`)),
      failcnt: num(read(mem, `${prefix}.failcnt`)),
    });
    stats.memory = { cache: raw.cache ?? 0, usage: entry('memory'), swap: entry('memory.memsw'), kernel: entry('memory.kmem'), raw };
  }

  const pids = dirOf('pids');
  if (pids) stats.pids = { current: num(read(pids, 'pids.current')), limit: num(read(pids, 'pids.max')) };

  const io = dirOf('io') ?? dirOf('blkio');
  if (io && v2(io)) {
    const bytes: BlkioEntry[] = [];
    const ios: BlkioEntry[] = [];
    for (const line of (read(io, 'io.stat') ?? '').split('\n')) {
      const [dev, ...pairs] = line.trim().split(/\s+/);
      if (!dev) continue;
      const [major, minor] = dev.split(':').map(Number) as [number, number];
      const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
      bytes.push({ major, minor, op: 'Read', value: kv.rbytes ?? 0 }, { major, minor, op: 'Write', value: kv.wbytes ?? 0 });
      ios.push({ major, minor, op: 'Read', value: kv.rios ?? 0 }, { major, minor, op: 'Write', value: kv.wios ?? 0 });
    }
    stats.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
  } else if (io) {
    const entries = (file: string): BlkioEntry[] =>
      (read(io, file) ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length === 3 && f[0]!.includes(':'))
        .map(([dev, op, value]) => {
          const [major, minor] = dev!.split(':').map(Number) as [number, number];
          return { major, minor, op: op!, value: Number(value) };
        });
    stats.blkio = {
      ioServiceBytesRecursive: entries('blkio.throttle.io_service_bytes_recursive'),
      ioServicedRecursive: entries('blkio.throttle.io_serviced_recursive'),
    };
  }

  const huge = dirOf('hugetlb');
  if (huge) {
    stats.hugetlb = {};
    for (const file of fsio.files(huge.dir)) {
      const m = /^hugetlb\.([^.]+)\.(current|usage_in_bytes)$/.exec(file);
      if (!m) continue;
      const size = m[1]!;
      stats.hugetlb[size] = v2(huge)
        ? { usage: num(read(huge, file)), max: 0, failcnt: keyValues(read(huge, `hugetlb.${size}.events`)).max ?? 0 }
        : { usage: num(read(huge, file)), max: num(read(huge, `hugetlb.${size}.max_usage_in_bytes`)), failcnt: num(read(huge, `hugetlb.${size}.failcnt`)) };
    }
  }
  return stats;
}
