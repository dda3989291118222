// lib/cgroups against a fake cgroup file system in a temp dir (no root
// needed): which file every linux.resources field becomes, with which value,
// in which order, on pure v2, hybrid and legacy v1 hosts; what create(),
// remove() and the paths do; and the values the schema refuses.
//
// The fake (test/helpers/fake-cgroupfs.ts) appends each write to its file, so
// a file's new lines are every value written to it, in order; the global log
// gives the order across files.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cgroup } from '../../lib/cgroups';
import { containerCgroupDirs } from '../../lib/cgroups/paths';
import { blkioWeightToIoWeight, sharesToWeight } from '../../lib/cgroups/entries-v2';
import type { DeviceRule } from '../../lib/cgroups/device-program';
import { deviceRules } from '../../lib/cgroups/device-rules';
import { ConfigError, StepError } from '../../lib/errors';
import { parseConfig, type Resources } from '../../lib/spec';
import { configError } from '../helpers/errors';
import { fakeHost, label, type FakeCgroupFs, type FakeHostOptions, type HostKind } from '../helpers/fake-cgroupfs';

const MB = 1024 * 1024;
const KINDS: HostKind[] = ['unified', 'hybrid', 'legacy'];

// ---------------------------------------------------------------------------
// Helpers

function host(t: Test, kind: HostKind, options?: FakeHostOptions): FakeCgroupFs {
  const h = fakeHost(kind, options);
  t.teardown(() => fs.rmSync(h.root, { recursive: true, force: true }));
  return h;
}

function cgroupOn(h: FakeCgroupFs, cgPath: string | undefined = '/ociish-t/c1', id = 'c1'): Cgroup {
  return new Cgroup(h.layout, containerCgroupDirs(h.layout, cgPath, id), h);
}

/** A created cgroup, with the log of create()'s writes forgotten. */
function created(h: FakeCgroupFs, cgPath?: string): Cgroup {
  const cg = cgroupOn(h, cgPath);
  cg.create();
  h.snapshot();
  return cg;
}

function dirOf(cg: Cgroup, which: string): string {
  const d = cg.dirs.find((x) => label(x.hierarchy) === which);
  if (!d) throw new Error(`no ${which} hierarchy`);
  return d.dir;
}

/** "label file" -> the values written to it since the snapshot, read back from the files of the cgroup. */
function leafWrites(h: FakeCgroupFs, cg: Cgroup): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of cg.dirs) {
    for (const file of h.files(d.dir).sort()) {
      const values = h.written(path.join(d.dir, file));
      if (values.length) out[`${label(d.hierarchy)} ${file}`] = values;
    }
  }
  return out;
}

/** The writes into the cgroup's own directories, in order: "label file=value". */
function orderedWrites(h: FakeCgroupFs, cg: Cgroup): string[] {
  const byDir = new Map(cg.dirs.map((d) => [d.dir, label(d.hierarchy)]));
  return h.log.filter((w) => byDir.has(path.dirname(w.file))).map((w) => `${byDir.get(path.dirname(w.file))} ${path.basename(w.file)}=${w.value}`);
}

function stepError(fn: () => unknown): StepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StepError) return e;
    throw e;
  }
  throw new Error('expected a StepError, but nothing was thrown');
}

async function stepErrorAsync(p: Promise<unknown>): Promise<StepError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StepError) return e;
    throw e;
  }
  throw new Error('expected a StepError, but nothing was thrown');
}

type Expect =
  | { writes: Record<string, string[]> }
  | { config: [pointer: string, reason: string | RegExp] }
  | { step: [pointer: string | undefined, code: string] };

type Outcome = { writes: Record<string, string[]> } | { config: [string, string] } | { step: [string | undefined, string] } | { error: string };

/** What fn() did to the cgroup's files, or the error it threw. */
function outcome(h: FakeCgroupFs, cg: Cgroup, fn: () => void): Outcome {
  try {
    fn();
    return { writes: leafWrites(h, cg) };
  } catch (e) {
    if (e instanceof ConfigError) return { config: [e.pointer, e.reason] };
    if (e instanceof StepError) return { step: [e.pointer, e.code] };
    return { error: String(e) };
  }
}

interface Row {
  name: string;
  resources: Resources;
  expect: Record<HostKind, Expect>;
  options?: Partial<Record<HostKind, FakeHostOptions>>;
}

function runRows(t: Test, rows: Row[]): void {
  for (const row of rows) {
    for (const kind of KINDS) {
      t.test(`${row.name} (${kind})`, async (t) => {
        const h = host(t, kind, row.options?.[kind]);
        const cg = created(h);
        const want = row.expect[kind];
        const got = outcome(h, cg, () => cg.apply(row.resources));
        if ('config' in want && want.config[1] instanceof RegExp) {
          t.match(got, want, 'refused: pointer and reason');
        } else {
          const msg = 'writes' in want ? 'the files read back the values, and no other file was written' : 'refused: pointer and reason or code';
          t.strictSame(got, want, msg);
        }
        if ('config' in want) {
          t.same(h.log, [], 'refused before anything is written');
          t.equal(configError(() => cg.check(row.resources)).pointer, want.config[0], 'check() refuses it the same way');
        }
      });
    }
  }
}

const same = (w: Record<string, string[]>): Expect => ({ writes: w });
const refused = (pointer: string, reason: string | RegExp): Expect => ({ config: [pointer, reason] });
const v2Refusal = (what: string) => new RegExp(`^cannot be honoured: cgroup v2 has no ${what}.* \\(host cgroup mode: unified\\)$`);
const R = '/linux/resources';

// ---------------------------------------------------------------------------
// linux.resources, field by field

t.test('memory', async (t) => {
  const v1 = (w: Record<string, string>) => same(Object.fromEntries(Object.entries(w).map(([k, v]) => [`memory memory.${k}`, [v]])));
  runRows(t, [
    {
      name: 'limit, reservation, swap',
      resources: { memory: { limit: 64 * MB, reservation: 32 * MB, swap: 128 * MB } },
      expect: {
        // v2: memory.swap.max is the swap alone.
        unified: same({ 'v2 memory.low': ['33554432'], 'v2 memory.max': ['67108864'], 'v2 memory.swap.max': ['67108864'] }),
        hybrid: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '134217728', soft_limit_in_bytes: '33554432' }),
        legacy: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '134217728', soft_limit_in_bytes: '33554432' }),
      },
    },
    {
      name: 'swap equal to the limit: no swap',
      resources: { memory: { limit: 64 * MB, swap: 64 * MB } },
      expect: {
        unified: same({ 'v2 memory.max': ['67108864'], 'v2 memory.swap.max': ['0'] }),
        hybrid: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '67108864' }),
        legacy: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '67108864' }),
      },
    },
    {
      name: '-1: no limit',
      resources: { memory: { limit: -1, reservation: -1, swap: -1 } },
      expect: {
        unified: same({ 'v2 memory.low': ['max'], 'v2 memory.max': ['max'], 'v2 memory.swap.max': ['max'] }),
        hybrid: v1({ limit_in_bytes: '-1', 'memsw.limit_in_bytes': '-1', soft_limit_in_bytes: '-1' }),
        legacy: v1({ limit_in_bytes: '-1', 'memsw.limit_in_bytes': '-1', soft_limit_in_bytes: '-1' }),
      },
    },
    {
      name: 'a limit and unlimited swap',
      resources: { memory: { limit: 64 * MB, swap: -1 } },
      expect: {
        unified: same({ 'v2 memory.max': ['67108864'], 'v2 memory.swap.max': ['max'] }),
        hybrid: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '-1' }),
        legacy: v1({ limit_in_bytes: '67108864', 'memsw.limit_in_bytes': '-1' }),
      },
    },
    {
      name: 'swap without a limit (v2 needs the limit to compute swap alone)',
      resources: { memory: { swap: 128 * MB } },
      expect: {
        unified: refused(`${R}/memory/swap`, 'cannot be honoured: swap limit without a memory limit (memory.swap.max counts swap alone; set memory.limit too) (host cgroup mode: unified)'),
        hybrid: v1({ 'memsw.limit_in_bytes': '134217728' }),
        legacy: v1({ 'memsw.limit_in_bytes': '134217728' }),
      },
    },
    {
      name: 'kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy',
      resources: { memory: { kernel: 64 * MB, kernelTCP: 16 * MB, swappiness: 10, disableOOMKiller: true, useHierarchy: true } },
      expect: {
        unified: refused(`${R}/memory/kernel`, 'cannot be honoured: cgroup v2 has no kernel memory limit (memory.kmem.limit_in_bytes is v1 only) (host cgroup mode: unified)'),
        hybrid: v1({ 'kmem.limit_in_bytes': '67108864', 'kmem.tcp.limit_in_bytes': '16777216', swappiness: '10', oom_control: '1', use_hierarchy: '1' }),
        legacy: v1({ 'kmem.limit_in_bytes': '67108864', 'kmem.tcp.limit_in_bytes': '16777216', swappiness: '10', oom_control: '1', use_hierarchy: '1' }),
      },
    },
    {
      name: 'disableOOMKiller false and useHierarchy true: what v2 always does',
      resources: { memory: { disableOOMKiller: false, useHierarchy: true } },
      expect: {
        unified: same({}),
        hybrid: v1({ oom_control: '0', use_hierarchy: '1' }),
        legacy: v1({ oom_control: '0', use_hierarchy: '1' }),
      },
    },
  ]);

  t.test('v1-only fields are each refused on v2, by pointer and host mode', async (t) => {
    const cases: [Resources, string, string][] = [
      [{ memory: { kernel: 1 } }, 'kernel', 'kernel memory limit'],
      [{ memory: { kernelTCP: 1 } }, 'kernelTCP', 'kernel TCP memory limit'],
      [{ memory: { swappiness: 0 } }, 'swappiness', 'per-cgroup swappiness'],
      [{ memory: { disableOOMKiller: true } }, 'disableOOMKiller', 'switch to disable the OOM killer'],
      [{ memory: { useHierarchy: false } }, 'useHierarchy', 'non-hierarchical accounting'],
      // With a field v2 can honour in the same request: nothing is written before the refusal.
      [{ pids: { limit: 5 }, memory: { limit: MB, swappiness: 60 } }, 'swappiness', 'per-cgroup swappiness'],
    ];
    for (const [resources, field, what] of cases) {
      const h = host(t, 'unified');
      const cg = created(h);
      const err = configError(() => cg.apply(resources));
      t.equal(err.pointer, `${R}/memory/${field}`, field);
      t.match(err.reason, v2Refusal(what), `${field}: reason`);
      t.same(h.log, [], `${field}: nothing written`);
    }
  });

  t.test('v2 without swap accounting (no memory.swap.max): unlimited swap is no write, a limit is an error', async (t) => {
    const h = host(t, 'unified');
    const cg = created(h);
    fs.rmSync(path.join(dirOf(cg, 'v2'), 'memory.swap.max'));
    t.strictSame(outcome(h, cg, () => cg.apply({ memory: { limit: 64 * MB, swap: -1 } })), { writes: { 'v2 memory.max': ['67108864'] } });
    t.strictSame(outcome(h, cg, () => cg.apply({ memory: { limit: 64 * MB, swap: 128 * MB } })), { step: [`${R}/memory/swap`, 'ENOENT'] });
  });

  for (const kind of ['hybrid', 'legacy'] as const) {
    t.test(`v1 (${kind}): memsw and limit_in_bytes in the order the kernel accepts`, async (t) => {
      const h = host(t, kind);
      const cg = created(h);
      const limitFile = path.join(dirOf(cg, 'memory'), 'memory.limit_in_bytes');
      const memswFile = path.join(dirOf(cg, 'memory'), 'memory.memsw.limit_in_bytes');

      // A fresh cgroup's memsw is unlimited: the limit goes first, under it.
      cg.apply({ memory: { limit: 64 * MB, swap: 64 * MB } });
      t.same(orderedWrites(h, cg), ['memory memory.limit_in_bytes=67108864', 'memory memory.memsw.limit_in_bytes=67108864'], 'fresh: limit, then memsw');

      // Raising above the current memsw: memsw first.
      h.preset(limitFile, '67108864\n');
      h.preset(memswFile, '67108864\n');
      h.snapshot();
      cg.update({ memory: { limit: 128 * MB, swap: 128 * MB } });
      t.same(orderedWrites(h, cg), ['memory memory.memsw.limit_in_bytes=134217728', 'memory memory.limit_in_bytes=134217728'], 'raise: memsw, then limit');

      // Lowering: the limit first, so that memsw never goes below it.
      h.preset(limitFile, '134217728\n');
      h.preset(memswFile, '134217728\n');
      h.snapshot();
      cg.update({ memory: { limit: 32 * MB, swap: 32 * MB } });
      t.same(orderedWrites(h, cg), ['memory memory.limit_in_bytes=33554432', 'memory memory.memsw.limit_in_bytes=33554432'], 'lower: limit, then memsw');

      // Unlimited swap is always accepted first, even with a lower limit.
      h.snapshot();
      cg.update({ memory: { limit: 16 * MB, swap: -1 } });
      t.same(orderedWrites(h, cg), ['memory memory.memsw.limit_in_bytes=-1', 'memory memory.limit_in_bytes=16777216'], 'swap -1: memsw, then limit');

      // An unlimited limit above a limited memsw: memsw first (to -1 as well).
      h.preset(memswFile, '33554432\n');
      h.snapshot();
      cg.update({ memory: { limit: -1, swap: -1 } });
      t.same(orderedWrites(h, cg), ['memory memory.memsw.limit_in_bytes=-1', 'memory memory.limit_in_bytes=-1'], 'both -1: memsw, then limit');
    });
  }

  for (const [kind, usageFile, limitFile] of [
    ['unified', 'memory.current', 'memory.max'],
    ['legacy', 'memory.usage_in_bytes', 'memory.limit_in_bytes'],
  ] as const) {
    t.test(`checkBeforeUpdate (${kind}): an update below the usage is refused`, async (t) => {
      const h = host(t, kind);
      const cg = created(h);
      const dir = dirOf(cg, kind === 'unified' ? 'v2' : 'memory');
      h.preset(path.join(dir, usageFile), `${100 * MB}\n`);
      h.snapshot();
      const err = stepError(() => cg.update({ memory: { limit: 50 * MB, checkBeforeUpdate: true } }));
      t.equal(err.code, 'EBUSY');
      t.equal(err.pointer, `${R}/memory/limit`);
      t.match(err.message, `the container uses ${100 * MB} bytes, more than the new limit ${50 * MB}`);
      t.same(h.log, [], 'nothing written');

      // Without the check the kernel decides (and reclaims): the write is made.
      cg.update({ memory: { limit: 50 * MB } });
      t.same(h.written(path.join(dir, limitFile)), [String(50 * MB)], 'unchecked update written');
      // Above the usage: accepted.
      h.snapshot();
      cg.update({ memory: { limit: 200 * MB, checkBeforeUpdate: true } });
      t.same(h.written(path.join(dir, limitFile)), [String(200 * MB)], 'checked update above the usage written');
    });
  }
});

t.test('memory, v2: an update of swap alone counts from the current memory.max', async (t) => {
  const h = host(t, 'unified');
  const cg = created(h);
  const dir = dirOf(cg, 'v2');
  h.preset(path.join(dir, 'memory.max'), `${64 * MB}\n`);
  cg.update({ memory: { swap: 96 * MB } });
  t.same(h.written(path.join(dir, 'memory.swap.max')), [String(32 * MB)], 'swap (memory+swap) minus the current limit');
  h.preset(path.join(dir, 'memory.max'), 'max\n');
  t.equal(configError(() => cg.update({ memory: { swap: 96 * MB } })).pointer, '/linux/resources/memory/swap', 'no current limit: refused');
});

t.test('cpu', async (t) => {
  runRows(t, [
    {
      name: 'shares, quota, period, burst, idle, cpus, mems',
      resources: { cpu: { shares: 512, quota: 50000, period: 250000, burst: 1000, idle: 1, cpus: '1', mems: '0' } },
      expect: {
        unified: same({
          'v2 cpu.idle': ['1'],
          'v2 cpu.max': ['50000 250000'],
          'v2 cpu.max.burst': ['1000'],
          'v2 cpu.weight': ['59'],
          'v2 cpuset.cpus': ['1'],
          'v2 cpuset.mems': ['0'],
        }),
        hybrid: same({
          'cpu,cpuacct cpu.cfs_burst_us': ['1000'],
          'cpu,cpuacct cpu.cfs_period_us': ['250000'],
          'cpu,cpuacct cpu.cfs_quota_us': ['50000'],
          'cpu,cpuacct cpu.idle': ['1'],
          'cpu,cpuacct cpu.shares': ['512'],
          'cpuset cpuset.cpus': ['1'],
          'cpuset cpuset.mems': ['0'],
        }),
        legacy: same({
          'cpu cpu.cfs_burst_us': ['1000'],
          'cpu cpu.cfs_period_us': ['250000'],
          'cpu cpu.cfs_quota_us': ['50000'],
          'cpu cpu.idle': ['1'],
          'cpu cpu.shares': ['512'],
          'cpuset cpuset.cpus': ['1'],
          'cpuset cpuset.mems': ['0'],
        }),
      },
    },
    {
      name: 'quota -1: no limit',
      resources: { cpu: { quota: -1 } },
      expect: {
        unified: same({ 'v2 cpu.max': ['max 100000'] }),
        hybrid: same({ 'cpu,cpuacct cpu.cfs_quota_us': ['-1'] }),
        legacy: same({ 'cpu cpu.cfs_quota_us': ['-1'] }),
      },
    },
    {
      name: 'realtime period and runtime',
      resources: { cpu: { realtimePeriod: 1000000, realtimeRuntime: 950000 } },
      expect: {
        unified: refused(`${R}/cpu/realtimeRuntime`, v2Refusal('realtime cpu budget')),
        hybrid: same({ 'cpu,cpuacct cpu.rt_period_us': ['1000000'], 'cpu,cpuacct cpu.rt_runtime_us': ['950000'] }),
        legacy: same({ 'cpu cpu.rt_period_us': ['1000000'], 'cpu cpu.rt_runtime_us': ['950000'] }),
      },
    },
    {
      name: 'realtime period alone',
      resources: { cpu: { realtimePeriod: 1000000 } },
      expect: {
        unified: refused(`${R}/cpu/realtimePeriod`, v2Refusal('realtime cpu period')),
        hybrid: same({ 'cpu,cpuacct cpu.rt_period_us': ['1000000'] }),
        legacy: same({ 'cpu cpu.rt_period_us': ['1000000'] }),
      },
    },
  ]);

  t.test('shares to v2 cpu.weight', async (t) => {
    // The curve runc and crun use: 10^((l^2 + 125 l)/612 - 7/34), l = log2(shares), rounded up.
    const curve = (s: number) => {
      const l = Math.log2(s);
      return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
    };
    const cases: [number, number][] = [
      [1, 1], // below the v1 minimum: v2's minimum
      [2, 1],
      [3, curve(3)],
      [100, 17],
      [512, 59],
      [1024, 100], // the defaults match
      [2048, 174],
      [4096, 303],
      [262144, 10000],
      [1000000, 10000], // above the v1 maximum: v2's maximum
    ];
    for (const [shares, weight] of cases) {
      if (shares >= 2 && shares <= 262144) t.equal(curve(shares), weight, `the curve gives ${weight} for ${shares}`);
      t.equal(sharesToWeight(shares), weight, `sharesToWeight(${shares})`);
      const h = host(t, 'unified');
      const cg = created(h);
      cg.apply({ cpu: { shares } });
      t.same(h.written(path.join(dirOf(cg, 'v2'), 'cpu.weight')), [String(weight)], `shares ${shares} -> cpu.weight ${weight}`);
    }
  });

  t.test('v1: cfs_period_us before cfs_quota_us', async (t) => {
    for (const kind of ['hybrid', 'legacy'] as const) {
      const h = host(t, kind);
      const cg = created(h);
      cg.apply({ cpu: { quota: 20000, period: 50000 } });
      const c = kind === 'hybrid' ? 'cpu,cpuacct' : 'cpu';
      t.same(orderedWrites(h, cg), [`${c} cpu.cfs_period_us=50000`, `${c} cpu.cfs_quota_us=20000`], kind);
    }
  });

  t.test('v2 cpu.max: an update of one half keeps the other', async (t) => {
    const h = host(t, 'unified');
    const cg = created(h);
    const file = path.join(dirOf(cg, 'v2'), 'cpu.max');
    h.preset(file, '50000 100000\n');
    cg.update({ cpu: { period: 200000 } });
    t.same(h.written(file), ['50000 200000'], 'period only: the current quota stays');

    h.preset(file, '50000 200000\n');
    cg.update({ cpu: { quota: 25000 } });
    t.same(h.written(file), ['25000 200000'], 'quota only: the current period stays');

    h.preset(file, 'max 200000\n');
    cg.update({ cpu: { quota: 10000, period: 20000 } });
    t.same(h.written(file), ['10000 20000'], 'both');

    h.preset(file, '10000 20000\n');
    cg.update({ cpu: { quota: -1 } });
    t.same(h.written(file), ['max 20000'], 'quota -1 keeps the period');
  });
});

t.test('pids', async (t) => {
  const rows: [number, string][] = [
    [100, '100'],
    [-1, 'max'],
    [0, '0'],
  ];
  runRows(
    t,
    rows.map(([limit, value]) => ({
      name: `limit ${limit}`,
      resources: { pids: { limit } },
      expect: { unified: same({ 'v2 pids.max': [value] }), hybrid: same({ 'pids pids.max': [value] }), legacy: same({ 'pids pids.max': [value] }) },
    })),
  );
});

t.test('blockIO', async (t) => {
  const throttles: Resources = {
    blockIO: {
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: MB }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [
        { major: 8, minor: 0, rate: 200 },
        { major: 253, minor: 1, rate: 300 },
      ],
    },
  };
  runRows(t, [
    {
      name: 'weight and weightDevice',
      resources: { blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 600 }] } },
      expect: {
        // The host variants: unified with BFQ (io.bfq.weight), hybrid v1 with BFQ only, legacy with CFQ.
        unified: same({ 'v2 io.bfq.weight': ['500', '8:0 600'] }),
        hybrid: same({ 'blkio blkio.bfq.weight': ['500'], 'blkio blkio.bfq.weight_device': ['8:0 600'] }),
        legacy: same({ 'blkio blkio.weight': ['500'], 'blkio blkio.weight_device': ['8:0 600'] }),
      },
    },
    {
      name: 'the four throttle lists',
      resources: throttles,
      expect: {
        // v2: one io.max line per device and key; rate 0 lifts the limit.
        unified: same({ 'v2 io.max': ['8:0 rbps=1048576', '8:16 wbps=max', '8:0 riops=100', '8:0 wiops=200', '253:1 wiops=300'] }),
        hybrid: same({
          'blkio blkio.throttle.read_bps_device': ['8:0 1048576'],
          'blkio blkio.throttle.read_iops_device': ['8:0 100'],
          'blkio blkio.throttle.write_bps_device': ['8:16 0'],
          'blkio blkio.throttle.write_iops_device': ['8:0 200', '253:1 300'],
        }),
        legacy: same({
          'blkio blkio.throttle.read_bps_device': ['8:0 1048576'],
          'blkio blkio.throttle.read_iops_device': ['8:0 100'],
          'blkio blkio.throttle.write_bps_device': ['8:16 0'],
          'blkio blkio.throttle.write_iops_device': ['8:0 200', '253:1 300'],
        }),
      },
    },
    {
      name: 'leafWeight (CFQ on v1 only)',
      resources: { blockIO: { leafWeight: 300, weightDevice: [{ major: 8, minor: 0, leafWeight: 200 }] } },
      expect: {
        unified: refused(`${R}/blockIO/leafWeight`, v2Refusal('leaf weight')),
        // BFQ has no leaf weights: the kernel has no file for it.
        hybrid: { step: [`${R}/blockIO/leafWeight`, 'ENOENT'] },
        legacy: same({ 'blkio blkio.leaf_weight': ['300'], 'blkio blkio.leaf_weight_device': ['8:0 200'] }),
      },
      // On v2 the refusal comes first and is right.
    },
  ]);

  t.test('v2 without BFQ: io.weight "default N", scaled from 10..1000 to 1..10000', async (t) => {
    for (const [weight, ioWeight] of [
      [10, 1],
      [100, 910],
      [500, 4950],
      [1000, 10000],
    ] as const) {
      t.equal(blkioWeightToIoWeight(weight), ioWeight, `blkioWeightToIoWeight(${weight})`);
      const h = host(t, 'unified', { bfq: false });
      const cg = created(h);
      const got = outcome(h, cg, () => cg.apply({ blockIO: { weight } }));
      const want = { writes: { 'v2 io.weight': [`default ${ioWeight}`] } };
      t.strictSame(got, want, `weight ${weight}`);
    }
  });
});

t.test('hugepageLimits', async (t) => {
  runRows(t, [
    {
      name: '2MB and 1GB, with rsvd files where the kernel has them',
      resources: {
        hugepageLimits: [
          { pageSize: '2MB', limit: 4 * MB },
          { pageSize: '1GB', limit: 0 },
        ],
      },
      expect: {
        unified: same({ 'v2 hugetlb.1GB.max': ['0'], 'v2 hugetlb.1GB.rsvd.max': ['0'], 'v2 hugetlb.2MB.max': ['4194304'], 'v2 hugetlb.2MB.rsvd.max': ['4194304'] }),
        // hugetlb is on the v2 hierarchy here, of a kernel without rsvd files.
        hybrid: same({ 'v2 hugetlb.1GB.max': ['0'], 'v2 hugetlb.2MB.max': ['4194304'] }),
        legacy: same({
          'hugetlb hugetlb.1GB.limit_in_bytes': ['0'],
          'hugetlb hugetlb.1GB.rsvd.limit_in_bytes': ['0'],
          'hugetlb hugetlb.2MB.limit_in_bytes': ['4194304'],
          'hugetlb hugetlb.2MB.rsvd.limit_in_bytes': ['4194304'],
        }),
      },
    },
    {
      name: 'a page size the kernel does not have',
      resources: { hugepageLimits: [{ pageSize: '64KB', limit: 1 }] },
      expect: {
        unified: { step: [`${R}/hugepageLimits/0`, 'ENOENT'] },
        hybrid: { step: [`${R}/hugepageLimits/0`, 'ENOENT'] },
        legacy: { step: [`${R}/hugepageLimits/0`, 'ENOENT'] },
      },
    },
  ]);
  t.test('v1 without rsvd files', async (t) => {
    const h = host(t, 'legacy', { rsvd: false });
    const cg = created(h);
    cg.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 2 * MB }] });
    t.strictSame(leafWrites(h, cg), { 'hugetlb hugetlb.2MB.limit_in_bytes': ['2097152'] });
  });
});

t.test('network', async (t) => {
  runRows(t, [
    {
      name: 'classID and priorities',
      resources: {
        network: {
          classID: 0x100001,
          priorities: [
            { name: 'eth0', priority: 5 },
            { name: 'lo', priority: 1 },
          ],
        },
      },
      expect: {
        unified: refused(`${R}/network/classID`, 'cannot be honoured: the host has no net_cls controller (host cgroup mode: unified)'),
        // net_cls and net_prio co-mounted.
        hybrid: same({ 'net_cls,net_prio net_cls.classid': ['1048577'], 'net_cls,net_prio net_prio.ifpriomap': ['eth0 5', 'lo 1'] }),
        legacy: same({ 'net_cls net_cls.classid': ['1048577'], 'net_prio net_prio.ifpriomap': ['eth0 5', 'lo 1'] }),
      },
    },
    {
      name: 'priorities alone',
      resources: { network: { priorities: [{ name: 'eth0', priority: 2 }] } },
      expect: {
        unified: refused(`${R}/network/priorities`, 'cannot be honoured: the host has no net_prio controller (host cgroup mode: unified)'),
        hybrid: same({ 'net_cls,net_prio net_prio.ifpriomap': ['eth0 2'] }),
        legacy: same({ 'net_prio net_prio.ifpriomap': ['eth0 2'] }),
      },
    },
  ]);

  t.test('a v1 host without the net_cls hierarchy', async (t) => {
    const h = host(t, 'hybrid', { without: ['net_cls,net_prio'] });
    const cg = created(h);
    const err = configError(() => cg.apply({ network: { classID: 1 } }));
    t.equal(err.pointer, `${R}/network/classID`);
    t.equal(err.reason, 'cannot be honoured: the host has no net_cls controller (host cgroup mode: hybrid)');
    t.equal(cg.dirs.length, h.layout.hierarchies.length);
  });
});

t.test('rdma', async (t) => {
  const resources: Resources = { rdma: { mlx5_0: { hcaHandles: 2 }, mlx4_1: { hcaObjects: 10 }, 'a/b': { hcaHandles: 1, hcaObjects: 1 } } };
  const lines = ['mlx5_0 hca_handle=2 hca_object=max', 'mlx4_1 hca_handle=max hca_object=10', 'a/b hca_handle=1 hca_object=1'];
  runRows(t, [
    {
      name: 'rdma.max per device',
      resources,
      expect: { unified: same({ 'v2 rdma.max': lines }), hybrid: same({ 'v2 rdma.max': lines }), legacy: same({ 'rdma rdma.max': lines }) },
    },
  ]);
  t.test('a host without rdma: refused with the device in the pointer', async (t) => {
    const h = host(t, 'legacy', { without: ['rdma'] });
    const err = configError(() => created(h).apply(resources));
    t.equal(err.pointer, `${R}/rdma/mlx5_0`);
    t.equal(err.reason, 'cannot be honoured: the host has no rdma controller (host cgroup mode: legacy)');
    const odd = configError(() => created(h, '/ociish-t/c2').apply({ rdma: { 'a/b~c': {} } }));
    t.equal(odd.pointer, `${R}/rdma/a~1b~0c`, 'RFC 6901 escapes');
  });
});

t.test('unified', async (t) => {
  const onV1 = (key: string, controller: string, mode: string) =>
    refused(`${R}/unified/${key}`, `is a cgroup v2 file, but the ${controller} controller is on a cgroup v1 hierarchy here (host cgroup mode: ${mode})`);
  runRows(t, [
    {
      name: 'a core cgroup.* file',
      resources: { unified: { 'cgroup.max.depth': '3' } },
      expect: {
        unified: same({ 'v2 cgroup.max.depth': ['3'] }),
        hybrid: same({ 'v2 cgroup.max.depth': ['3'] }),
        legacy: refused(`${R}/unified/cgroup.max.depth`, 'cannot be honoured: the host has no cgroup v2 hierarchy (host cgroup mode: legacy)'),
      },
    },
    {
      name: 'memory.high',
      resources: { unified: { 'memory.high': '50M' } },
      expect: { unified: same({ 'v2 memory.high': ['50M'] }), hybrid: onV1('memory.high', 'memory', 'hybrid'), legacy: onV1('memory.high', 'memory', 'legacy') },
    },
    {
      name: 'a controller on the v2 hierarchy of a hybrid host',
      resources: { unified: { 'hugetlb.2MB.max': '2097152', 'rdma.max': 'mlx5_0 hca_handle=1' } },
      expect: {
        unified: same({ 'v2 hugetlb.2MB.max': ['2097152'], 'v2 rdma.max': ['mlx5_0 hca_handle=1'] }),
        hybrid: same({ 'v2 hugetlb.2MB.max': ['2097152'], 'v2 rdma.max': ['mlx5_0 hca_handle=1'] }),
        legacy: onV1('hugetlb.2MB.max', 'hugetlb', 'legacy'),
      },
    },
    {
      name: 'after the fields: unified wins',
      resources: { memory: { limit: 64 * MB }, unified: { 'memory.max': '32M' } },
      expect: {
        unified: same({ 'v2 memory.max': ['67108864', '32M'] }),
        hybrid: onV1('memory.max', 'memory', 'hybrid'),
        legacy: onV1('memory.max', 'memory', 'legacy'),
      },
    },
    {
      name: 'a file the controller does not have',
      resources: { unified: { 'pids.nonexistent': '1' } },
      expect: {
        unified: { step: [`${R}/unified/pids.nonexistent`, 'ENOENT'] },
        hybrid: onV1('pids.nonexistent', 'pids', 'hybrid'),
        legacy: onV1('pids.nonexistent', 'pids', 'legacy'),
      },
    },
    {
      name: 'a controller the host does not have',
      resources: { unified: { 'foo.max': '1' } },
      expect: {
        unified: refused(`${R}/unified/foo.max`, 'cannot be honoured: the host has no foo controller (host cgroup mode: unified)'),
        hybrid: refused(`${R}/unified/foo.max`, 'cannot be honoured: the host has no foo controller (host cgroup mode: hybrid)'),
        legacy: refused(`${R}/unified/foo.max`, 'cannot be honoured: the host has no foo controller (host cgroup mode: legacy)'),
      },
    },
  ]);
});

t.test('devices', async (t) => {
  const rules: DeviceRule[] = [
    { allow: false, type: 'a', major: null, minor: null, access: 'rwm' },
    { allow: true, type: 'a', major: 10, minor: 229, access: 'rw' },
    { allow: true, type: 'c', major: 1, minor: null, access: 'r' },
    { allow: true, type: 'b', major: null, minor: null, access: 'm' },
    { allow: false, type: 'c', major: 1, minor: null, access: 'r' },
  ];
  for (const kind of ['hybrid', 'legacy'] as const) {
    t.test(`v1 (${kind}): deny all, then each rule in order`, async (t) => {
      const h = host(t, kind);
      const cg = created(h);
      cg.apply({}, rules);
      t.same(orderedWrites(h, cg), [
        'devices devices.deny=a',
        // type a with numbers: v1 would read "a" as every device, so both types are spelled out.
        'devices devices.allow=c 10:229 rw',
        'devices devices.allow=b 10:229 rw',
        'devices devices.allow=c 1:* r',
        'devices devices.allow=b *:* m',
        // the very numbers of an earlier allow: v1 takes that exception away
        'devices devices.deny=c 1:* r',
      ]);
      t.same(h.written(path.join(dirOf(cg, 'devices'), 'devices.deny')), ['a', 'c 1:* r'], 'devices.deny read back');
    });
  }

  t.test('v1: a deny that narrows an earlier wider allow is refused (v1 would leave the device allowed)', async (t) => {
    const h = host(t, 'legacy');
    const cg = created(h);
    const narrowing = [rules[0]!, { ...rules[2]!, access: 'rw' }, { allow: false, type: 'c' as const, major: 1, minor: 3, access: 'w', pointer: `${R}/devices/2` }];
    const err = configError(() => cg.apply({}, narrowing));
    t.equal(err.pointer, `${R}/devices/2`);
    t.equal(err.reason, 'cannot be honoured on a cgroup v1 devices controller: it narrows the earlier rule "c 1:* rw", which v1 cannot split (host cgroup mode: legacy)');
    t.same(h.log, [], 'nothing written');

    // No access in common: nothing to narrow (b 8:0 w was never allowed).
    const disjoint = [rules[0]!, rules[3]!, { allow: false, type: 'b' as const, major: 8, minor: 0, access: 'w', pointer: `${R}/devices/2` }];
    const got = outcome(h, cg, () => cg.apply({}, disjoint));
    const want = { writes: { 'devices devices.allow': ['b *:* m'], 'devices devices.deny': ['a', 'b 8:0 w'] } };
    t.strictSame(got, want, 'accepted and written');
  });

  t.test('v1: the effective rules of a config (deny all, config rules, linux.devices, defaults)', async (t) => {
    const spec = parseConfig({
      ociVersion: '1.2.0',
      root: { path: 'rootfs' },
      linux: {
        devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }],
        resources: { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 4, access: 'rw' }] },
      },
    });
    const h = host(t, 'legacy');
    const cg = created(h);
    cg.apply(spec.linux!.resources!, deviceRules(spec));
    const writes = orderedWrites(h, cg);
    t.same(writes.slice(0, 4), ['devices devices.deny=a', 'devices devices.allow=c 4:* rw', 'devices devices.allow=c 10:229 rwm', 'devices devices.allow=c *:* m']);
    t.equal(writes.at(-1), 'devices devices.allow=c 136:* rwm', 'the default rules last (pts)');
  });

  t.test('pure v2: no devices file is written (the rules become an eBPF program)', async (t) => {
    const h = host(t, 'unified');
    const cg = created(h);
    cg.apply({ pids: { limit: 3 } });
    t.strictSame(leafWrites(h, cg), { 'v2 pids.max': ['3'] }, 'without rules: the fields only');
    t.notOk(h.files(dirOf(cg, 'v2')).some((f) => f.startsWith('devices.')), 'v2 has no devices files');
    // With rules apply() goes for the eBPF program, which needs a real cgroup: a plain dir is refused.
    const err = stepError(() => cg.apply({}, rules));
    t.equal(err.operation, 'attach the device filter to');
    t.equal(err.pointer, `${R}/devices`);
    t.notOk(h.log.some((w) => path.basename(w.file).startsWith('devices.')), 'no devices.* write');
  });

  t.test('a legacy host without the devices hierarchy', async (t) => {
    const h = host(t, 'legacy', { without: ['devices'] });
    const cg = created(h);
    const err = stepError(() => cg.apply({ devices: [{ allow: true }] }, rules));
    t.equal(err.code, 'ENOTSUP');
    t.equal(err.pointer, `${R}/devices`);
    t.match(err.message, 'the host has no devices controller and no cgroup v2 hierarchy (host cgroup mode: legacy)');
    // The default rules (no linux.resources.devices) are not an explicit ask: nothing to refuse.
    t.doesNotThrow(() => cg.apply({}, rules));
  });
});

// ---------------------------------------------------------------------------
// create()

t.test('create()', async (t) => {
  t.test('parents as needed, in every hierarchy', async (t) => {
    for (const kind of KINDS) {
      const h = host(t, kind);
      const cg = cgroupOn(h, '/ociish-t/a/c1');
      cg.create();
      t.equal(cg.dirs.length, h.layout.hierarchies.length, `${kind}: one directory per hierarchy`);
      for (const d of cg.dirs) {
        t.ok(fs.statSync(d.dir).isDirectory(), `${kind}: ${d.dir.slice(h.root.length)}`);
        t.ok(h.exists(path.join(d.dir, 'cgroup.procs')), `${kind}: ${d.dir.slice(h.root.length)} is a cgroup`);
      }
    }
  });

  t.test('v2: +controllers in each ancestor\'s subtree_control, not the leaf\'s', async (t) => {
    const h = host(t, 'unified');
    const cg = cgroupOn(h, '/ociish-t/a/c1');
    cg.create();
    const all = '+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc';
    const subtree = h.log.filter((w) => path.basename(w.file) === 'cgroup.subtree_control').map((w) => [path.dirname(w.file).slice(h.root.length) || '/', w.value]);
    t.same(subtree, [
      ['/', all],
      ['/ociish-t', all],
      ['/ociish-t/a', all],
    ]);
    const leaf = dirOf(cg, 'v2');
    t.equal(h.read(path.join(leaf, 'cgroup.controllers')), 'cpuset cpu io memory hugetlb pids rdma misc\n', 'the leaf has every controller');
    t.equal(h.read(path.join(leaf, 'cgroup.subtree_control')), '', 'and enables none for children');
    t.ok(h.exists(path.join(leaf, 'memory.max')) && h.exists(path.join(leaf, 'io.max')), 'the controllers\' files are there');

    // A sibling: the ancestors have them already.
    h.snapshot();
    cgroupOn(h, '/ociish-t/a/c2').create();
    t.same(h.log.filter((w) => path.basename(w.file) === 'cgroup.subtree_control'), [], 'nothing to enable for a sibling');
  });

  t.test('hybrid: the v2 hierarchy gets its own controllers enabled', async (t) => {
    const h = host(t, 'hybrid');
    const cg = cgroupOn(h, '/ociish-t/c1');
    cg.create();
    const subtree = h.log.filter((w) => path.basename(w.file) === 'cgroup.subtree_control').map((w) => [path.dirname(w.file).slice(h.root.length), w.value]);
    t.same(subtree, [
      ['/unified', '+hugetlb +rdma'],
      ['/unified/ociish-t', '+hugetlb +rdma'],
    ]);
    t.ok(h.exists(path.join(dirOf(cg, 'v2'), 'hugetlb.2MB.max')));
  });

  t.test('v2: a controller the kernel refuses to enable is left out, the others enabled', async (t) => {
    const h = host(t, 'unified');
    h.refusals.push((file, value) => (path.basename(file) === 'cgroup.subtree_control' && value.split(' ').includes('+cpu') ? 'EINVAL' : undefined));
    const cg = cgroupOn(h);
    cg.create();
    t.equal(h.read(path.join(dirOf(cg, 'v2'), 'cgroup.controllers')), 'cpuset io memory hugetlb pids rdma misc\n');
    const err = stepError(() => cg.apply({ cpu: { shares: 100 } }));
    t.equal(err.code, 'ENOENT');
    t.equal(err.pointer, `${R}/cpu/shares`);
    t.match(err.message, 'the host\'s cgroup v2 cpu controller has no cpu.weight');
    cg.apply({ pids: { limit: 1 } });
    t.same(h.written(path.join(dirOf(cg, 'v2'), 'pids.max')), ['1'], 'the others work');
  });

  for (const kind of ['hybrid', 'legacy'] as const) {
    t.test(`v1 cpuset (${kind}): a new cpuset gets its parent's cpus and mems`, async (t) => {
      const h = host(t, kind);
      const cg = cgroupOn(h, '/ociish-t/c1');
      cg.create();
      const cpuset = h.log.filter((w) => path.basename(w.file).startsWith('cpuset.')).map((w) => `${w.file.slice(h.root.length)}=${w.value}`);
      t.same(cpuset, ['/cpuset/ociish-t/cpuset.cpus=0-1', '/cpuset/ociish-t/cpuset.mems=0', '/cpuset/ociish-t/c1/cpuset.cpus=0-1', '/cpuset/ociish-t/c1/cpuset.mems=0']);

      // An existing parent with a narrower set passes that on.
      h.preset(path.join(h.root, 'cpuset/ociish-t/cpuset.cpus'), '1\n');
      h.snapshot();
      cgroupOn(h, '/ociish-t/c2').create();
      t.same(
        h.log.map((w) => `${w.file.slice(h.root.length)}=${w.value}`).filter((w) => w.includes('cpuset.')),
        ['/cpuset/ociish-t/c2/cpuset.cpus=1', '/cpuset/ociish-t/c2/cpuset.mems=0'],
        'only the new cgroup is written',
      );
    });
  }

  t.test('pure v2: no cpuset copy (a new v2 cpuset uses its parent\'s by itself)', async (t) => {
    const h = host(t, 'unified');
    cgroupOn(h).create();
    const cpuset = h.log.filter((w) => path.basename(w.file).startsWith('cpuset.')).map((w) => `${w.file.slice(h.root.length)}=${w.value}`);
    t.same(cpuset, [], 'no cpuset.* write');

    // A relative path below the runtime's cgroup, whose parent offers every controller but cpuset (as a delegation may).
    const d = host(t, 'unified', { ownPaths: { '': '/user.slice' } });
    d.write(path.join(d.root, 'cgroup.subtree_control'), '+cpu +io +memory +pids');
    d.mkdir(path.join(d.root, 'user.slice'));
    const cg = cgroupOn(d, 'ctr');
    t.equal(dirOf(cg, 'v2'), path.join(d.root, 'user.slice/ctr'));
    let error = '';
    try {
      cg.create();
    } catch (e) {
      error = (e as Error).message;
    }
    t.equal(error, '', 'create() does not need cpuset on v2');
  });

  t.test('a cgroup with processes is refused, and what create() made is removed', async (t) => {
    for (const kind of KINDS) {
      const h = host(t, kind);
      // The busy cgroup exists in the last hierarchy only (as after a leak); the others are made then removed.
      const last = h.layout.hierarchies.at(-1)!;
      const busyParent = path.join(last.mountPoint, 'ociish-t');
      h.mkdir(busyParent);
      h.mkdir(path.join(busyParent, 'c1'));
      h.preset(path.join(busyParent, 'c1', 'cgroup.procs'), '4242\n4243\n');
      h.snapshot();
      const cg = cgroupOn(h);
      const err = stepError(() => cg.create());
      t.equal(err.code, 'EBUSY', kind);
      t.equal(err.path, path.join(busyParent, 'c1'), `${kind}: names the directory`);
      t.equal(err.pointer, '/linux/cgroupsPath');
      t.match(err.message, 'the cgroup already has processes (2)');
      for (const h2 of h.layout.hierarchies.slice(0, -1)) {
        t.notOk(fs.existsSync(path.join(h2.mountPoint, 'ociish-t')), `${kind}: ${label(h2)}: the directories create() made are gone`);
      }
      t.ok(fs.existsSync(path.join(busyParent, 'c1')), `${kind}: the busy cgroup (not create()'s) stays`);
    }
  });

  t.test('a frozen cgroup is refused', async (t) => {
    // v2 (also on hybrid hosts): cgroup.events says frozen 1; legacy: freezer.state FROZEN.
    for (const kind of KINDS) {
      const h = host(t, kind);
      const cg = cgroupOn(h);
      cg.create();
      if (kind === 'legacy') h.preset(path.join(dirOf(cg, 'freezer'), 'freezer.state'), 'FROZEN\n');
      else h.preset(path.join(dirOf(cg, 'v2'), 'cgroup.events'), 'populated 0\nfrozen 1\n');
      const err = stepError(() => cgroupOn(h).create());
      t.equal(err.code, 'EBUSY', kind);
      t.match(err.message, 'the cgroup is frozen', kind);
      t.ok(fs.existsSync(dirOf(cg, kind === 'legacy' ? 'freezer' : 'v2')), `${kind}: an existing cgroup is left alone`);
    }
  });

  t.test('a failure removes what create() made, children first, and nothing else', async (t) => {
    const h = host(t, 'legacy');
    h.mkdir(path.join(h.root, 'cpu', 'ociish-t')); // an existing parent in one hierarchy
    h.snapshot();
    h.refusals.push((file) => (file.endsWith('/ociish-t/a/c1/cpuset.mems') ? 'EACCES' : undefined));
    const cg = cgroupOn(h, '/ociish-t/a/c1');
    const err = stepError(() => cg.create());
    t.equal(err.code, 'EACCES');
    t.equal(err.operation, 'write');
    t.equal(err.path, path.join(h.root, 'cpuset/ociish-t/a/c1/cpuset.mems'));
    t.equal(err.pointer, '/linux/cgroupsPath');
    const rel = (d: string) => d.slice(h.root.length);
    t.same(h.removed.map(rel), ['/cpuset/ociish-t/a/c1', '/cpuset/ociish-t/a', '/cpuset/ociish-t', '/cpuacct/ociish-t/a/c1', '/cpuacct/ociish-t/a', '/cpuacct/ociish-t', '/cpu/ociish-t/a/c1', '/cpu/ociish-t/a']);
    t.ok(fs.existsSync(path.join(h.root, 'cpu', 'ociish-t')), 'the existing parent stays');
    for (const name of ['cpuacct', 'cpuset', 'memory']) t.notOk(fs.existsSync(path.join(h.root, name, 'ociish-t')), `${name}: nothing left`);
  });
});

// ---------------------------------------------------------------------------
// Paths

t.test('containerCgroupDirs', async (t) => {
  const h = host(t, 'hybrid', { ownPaths: { memory: '/process_api/x', systemd: '/user.slice/s.scope', unified: '/user.slice/s.scope' } });
  const rel = (cgPath: string | undefined, id = 'web') => containerCgroupDirs(h.layout, cgPath, id).map((d) => [label(d.hierarchy), d.path, d.dir.slice(h.root.length)]);

  t.same(rel('/a/b').slice(0, 3), [
    ['cpu,cpuacct', '/a/b', '/cpu,cpuacct/a/b'],
    ['cpuset', '/a/b', '/cpuset/a/b'],
    ['memory', '/a/b', '/memory/a/b'],
  ], 'absolute: below each hierarchy\'s root, whatever the own cgroup');
  const relative = Object.fromEntries(rel('a/b').map(([l, p]) => [l, p]));
  t.same(relative, {
    'cpu,cpuacct': '/a/b',
    cpuset: '/a/b',
    memory: '/process_api/x/a/b',
    pids: '/a/b',
    blkio: '/a/b',
    devices: '/a/b',
    freezer: '/a/b',
    'net_cls,net_prio': '/a/b',
    systemd: '/user.slice/s.scope/a/b',
    v2: '/user.slice/s.scope/a/b',
  }, 'relative: below the runtime\'s own cgroup in each hierarchy');
  t.same(new Set(rel('').map(([, p]) => p)), new Set(['/ociish/web']), 'empty: /ociish/<id>');
  t.same(new Set(rel(undefined, 'x1').map(([, p]) => p)), new Set(['/ociish/x1']), 'absent: /ociish/<id>');
  t.same(new Set(rel('/a//b/./c/').map(([, p]) => p)), new Set(['/a/b/c']), 'normalised');

  for (const bad of ['/', '//', '/.']) {
    const err = configError(() => containerCgroupDirs(h.layout, bad, 'web'));
    t.equal(err.pointer, '/linux/cgroupsPath', JSON.stringify(bad));
    t.equal(err.reason, 'must name a cgroup below the root of the hierarchy');
  }
  // Relative "." at a hierarchy where the runtime sits at the root is the root too.
  const rootOwn = host(t, 'legacy');
  t.equal(configError(() => containerCgroupDirs(rootOwn.layout, '.', 'web')).pointer, '/linux/cgroupsPath', '"." from the root');

  t.test('forContainer: the cgroupsPath of the config', async (t) => {
    const spec = parseConfig({ ociVersion: '1.2.0', root: { path: 'r' }, linux: { cgroupsPath: '/k8s/pod1/ctr' } });
    const cg = Cgroup.forContainer(spec, 'ctr', h.layout, h);
    t.same(new Set(cg.dirs.map((d) => d.path)), new Set(['/k8s/pod1/ctr']));
    t.equal(cg.v2?.dir, path.join(h.root, 'unified/k8s/pod1/ctr'));
    t.same(cg.v1.map((d) => label(d.hierarchy)), ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'devices', 'freezer', 'net_cls,net_prio', 'systemd']);
    const plan = cg.planJoin();
    t.equal(plan.sync, true, 'v1 hierarchies: the child waits to be put in them');
    t.equal(plan.paths.get(path.join(h.root, 'memory')), '/k8s/pod1/ctr');
  });
});

// ---------------------------------------------------------------------------
// remove(), freezing

t.test('remove()', async (t) => {
  for (const kind of KINDS) {
    t.test(`${kind}: nested child cgroups first, then the cgroup; its parents stay`, async (t) => {
      const h = host(t, kind);
      const cg = created(h);
      // A container that made its own sub-cgroups (e.g. with cgroup namespaces and delegation).
      for (const d of cg.dirs) {
        h.mkdir(path.join(d.dir, 'x'));
        h.mkdir(path.join(d.dir, 'x', 'y'));
        h.mkdir(path.join(d.dir, 'z'));
      }
      await cg.remove();
      for (const d of cg.dirs) {
        t.notOk(fs.existsSync(d.dir), `${label(d.hierarchy)}: gone`);
        t.ok(fs.existsSync(path.dirname(d.dir)), `${label(d.hierarchy)}: parent stays`);
        const mine = h.removed.filter((r) => r === d.dir || r.startsWith(d.dir + '/')).map((r) => r.slice(d.dir.length) || '.');
        // Siblings in directory order; a child before its parent, the cgroup itself last.
        t.same([...mine].sort(), ['.', '/x', '/x/y', '/z'], `${label(d.hierarchy)}: every one removed once`);
        t.ok(mine.indexOf('/x/y') < mine.indexOf('/x') && mine.at(-1) === '.', `${label(d.hierarchy)}: children first (${mine.join(' ')})`);
      }
    });
  }

  t.test('a cgroup that is not there: nothing to do', async (t) => {
    const h = host(t, 'hybrid');
    await t.resolves(cgroupOn(h, '/never/made').remove());
    // Half there (one hierarchy only).
    const cg = created(h);
    fs.rmSync(dirOf(cg, 'memory'), { recursive: true });
    await cg.remove();
    t.notOk(cg.dirs.some((d) => fs.existsSync(d.dir)));
  });

  t.test('an error other than EBUSY rejects at once, naming the directory', async (t) => {
    const h = host(t, 'legacy');
    const cg = created(h);
    const memory = dirOf(cg, 'memory');
    const rmdir = h.rmdir.bind(h);
    h.rmdir = (dir: string) => {
      if (dir === memory) throw Object.assign(new Error('EACCES'), { code: 'EACCES', errno: -13, syscall: 'rmdir', path: dir });
      rmdir(dir);
    };
    const started = Date.now();
    const err = await stepErrorAsync(cg.remove());
    t.ok(Date.now() - started < 1000, 'no waiting');
    t.equal(err.code, 'EACCES');
    t.equal(err.operation, 'remove cgroup');
    t.equal(err.path, memory);
  });
});

t.test('setFrozen / isFrozen: the v1 freezer where there is one (hybrid too, as runc), else the v2 cgroup.freeze', async (t) => {
  for (const [kind, file, on, off] of [
    ['unified', 'v2/cgroup.freeze', '1', '0'],
    ['hybrid', 'freezer/freezer.state', 'FROZEN', 'THAWED'],
    ['legacy', 'freezer/freezer.state', 'FROZEN', 'THAWED'],
  ] as const) {
    const h = host(t, kind);
    const cg = created(h);
    const [which, name] = file.split('/') as [string, string];
    t.equal(cg.isFrozen(), false, `${kind}: thawed at first`);
    await cg.setFrozen(true);
    t.equal(cg.isFrozen(), true, `${kind}: frozen`);
    await cg.setFrozen(false);
    t.equal(cg.isFrozen(), false, `${kind}: thawed`);
    t.same(orderedWrites(h, cg), [`${which} ${name}=${on}`, `${which} ${name}=${off}`], `${kind}: ${file} written`);
  }
});

// ---------------------------------------------------------------------------
// The schema (lib/spec/resources.ts): values refused before any cgroup is touched

t.test('linux.resources schema', async (t) => {
  const config = (resources: unknown) => ({ ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { resources } });
  const cases: [string, unknown, string, string][] = [
    ['cpus with an empty item', { cpu: { cpus: '0-3,,5' } }, `${R}/cpu/cpus`, 'must be a cpu/node list such as "0-3,5"'],
    ['cpus with spaces', { cpu: { cpus: '0, 1' } }, `${R}/cpu/cpus`, 'must be a cpu/node list such as "0-3,5"'],
    ['mems a range without end', { cpu: { mems: '0-' } }, `${R}/cpu/mems`, 'must be a cpu/node list such as "0-3,5"'],
    ['cpus empty', { cpu: { cpus: '' } }, `${R}/cpu/cpus`, 'must be a cpu/node list such as "0-3,5"'],
    ['idle 2', { cpu: { idle: 2 } }, `${R}/cpu/idle`, 'must be an integer between 0 and 1'],
    ['quota below -1', { cpu: { quota: -2 } }, `${R}/cpu/quota`, 'must be an integer >= -1'],
    ['access with x', { devices: [{ allow: true, access: 'rwx' }] }, `${R}/devices/0/access`, 'must be made of the letters r, w and m'],
    ['access empty', { devices: [{ allow: false }, { allow: true, access: '' }] }, `${R}/devices/1/access`, 'must be made of the letters r, w and m'],
    ['device type u', { devices: [{ allow: true, type: 'u' }] }, `${R}/devices/0/type`, 'must be one of "a", "b", "c"'],
    ['device rule without allow', { devices: [{ type: 'c' }] }, `${R}/devices/0/allow`, 'is required'],
    ['swap below the limit', { memory: { limit: 128 * MB, swap: 64 * MB } }, `${R}/memory/swap`, `must be >= limit (${128 * MB}): it counts memory plus swap`],
    ['swappiness 101', { memory: { swappiness: 101 } }, `${R}/memory/swappiness`, 'must be an integer between 0 and 100'],
    ['limit -2', { memory: { limit: -2 } }, `${R}/memory/limit`, 'must be an integer >= -1'],
    ['page size without unit', { hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, `${R}/hugepageLimits/0/pageSize`, 'must be a page size such as "2MB" or "1GB"'],
    ['weight above uint16', { blockIO: { weight: 70000 } }, `${R}/blockIO/weight`, 'must be an integer between 0 and 65535'],
    ['throttle without rate', { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0 }] } }, `${R}/blockIO/throttleReadBpsDevice/0/rate`, 'is required'],
    ['unified key with /', { unified: { 'memory/../../x.max': '1' } }, `${R}/unified/memory~1..~1..~1x.max`, 'must be a cgroup file name such as "memory.high"'],
    ['unified key without a dot', { unified: { memory: '1' } }, `${R}/unified/memory`, 'must be a cgroup file name such as "memory.high"'],
    ['unified cgroup.procs', { unified: { 'cgroup.procs': '1' } }, `${R}/unified/cgroup.procs`, 'is managed by the runtime and cannot be set here'],
    ['unified cgroup.subtree_control', { unified: { 'cgroup.subtree_control': '+cpu' } }, `${R}/unified/cgroup.subtree_control`, 'is managed by the runtime and cannot be set here'],
    ['unified cgroup.threads', { unified: { 'cgroup.threads': '1' } }, `${R}/unified/cgroup.threads`, 'is managed by the runtime and cannot be set here'],
    ['unified value a number', { unified: { 'memory.high': 5 } }, `${R}/unified/memory.high`, 'must be a string'],
    ['rdma handles negative', { rdma: { mlx5_0: { hcaHandles: -1 } } }, `${R}/rdma/mlx5_0/hcaHandles`, 'must be an integer between 0 and 4294967295'],
  ];
  for (const [name, resources, pointer, reason] of cases) {
    const err = configError(() => parseConfig(config(resources)));
    t.equal(err.pointer, pointer, `${name}: pointer`);
    t.equal(err.reason, reason, `${name}: reason`);
  }

  const spec = parseConfig(
    config({
      cpu: { cpus: '0-3,5', mems: '0', quota: -1, idle: 0 },
      memory: { limit: 64 * MB, swap: -1, swappiness: 0 },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'mrw' }],
      unified: { 'memory.high': '50M', 'cgroup.max.depth': '2', 'io.bfq.weight': '10' },
      hugepageLimits: [{ pageSize: '1GB', limit: 0 }],
    }),
  );
  t.same(spec.linux?.resources?.cpu, { cpus: '0-3,5', mems: '0', quota: -1, idle: 0 }, 'valid values are accepted as given');
  t.same(Object.keys(spec.linux?.resources?.unified ?? {}), ['memory.high', 'cgroup.max.depth', 'io.bfq.weight']);
  t.ok(parseConfig(config({ memory: { limit: -1, swap: 64 * MB } })), 'an unlimited limit with a swap limit is not compared');
  t.type(configError(() => parseConfig(config({ memory: { limit: 2, swap: 1 } }))), ConfigError);
});

t.test('pids / killAll / remove of a cgroup a killed create left half made', async (t) => {
  for (const kind of ['unified', 'hybrid', 'legacy'] as const) {
    const h = host(t, kind);
    const cg = created(h);
    // The create died before the directory pids() walks (v2's, else the freezer's) was made.
    const primary = cg.v2?.dir ?? cg.dirs.find((d) => d.hierarchy.controllers.includes('freezer'))!.dir;
    fs.rmSync(primary, { recursive: true });
    t.same(cg.pids(), [], `${kind}: no processes, no error`);
    await cg.killAll();
    await cg.remove();
    t.ok(cg.dirs.every((d) => !fs.existsSync(d.dir)), `${kind}: the other directories are removed`);
  }
});
