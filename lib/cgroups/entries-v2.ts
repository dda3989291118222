// linux.resources on cgroup v2 files (Documentation/admin-guide/cgroup-v2.rst).
import { escapeToken, type Resources } from '../spec';
import { RESOURCES_PTR as P, THROTTLES, devNumber, rdmaEntries, refusal, write, type CgroupEntry, type CgroupWrite, type CurrentValue } from './entries';


/** -1 (the spec's "no limit") is "max" in v2 files. */
function max(v: number): string {
  return v < 0 ? 'max' : String(v);
}

/**
 * cpu.shares (2..262144, default 1024) to cpu.weight (1..10000, default
 * 100): the curve runc and crun use, which keeps the default at the default.
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/** blkio.weight (10..1000) to io.weight (1..10000), as runc converts. */
export function blkioWeightToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * The spec's swap is memory+swap; memory.swap.max is swap alone, so it needs
 * the memory limit: the one given, or (an update of swap alone) the current one.
 * A string to write, or why it cannot be.
 */
function swapMax(limit: number | undefined, swap: number, current: CurrentValue): string | { refused: string } {
  if (swap < 0) return 'max';
  const cur = current('memory', 'memory.max')?.trim();
  const base = limit ?? (cur && cur !== 'max' ? Number(cur) : -1);
  if (base < 0) return { refused: 'swap limit without a memory limit (memory.swap.max counts swap alone; set memory.limit too)' };
  if (swap < base) return { refused: `swap limit below the memory limit (${base}): swap counts memory plus swap` };
  return String(swap - base);
}

export function v2Entries(r: Resources, current: CurrentValue): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  const no = (controller: string, pointer: string, what: string) => out.push(refusal(controller, `${P}/${pointer}`, `cgroup v2 has no ${what}`));

  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) out.push(write('memory', `${P}/memory/limit`, 'memory.max', max(m.limit)));
    if (m.reservation !== undefined) out.push(write('memory', `${P}/memory/reservation`, 'memory.low', max(m.reservation)));
    if (m.swap !== undefined) {
      const value = swapMax(m.limit, m.swap, current);
      if (typeof value !== 'string') out.push(refusal('memory', `${P}/memory/swap`, value.refused));
      // Without swap accounting there is no memory.swap.max, and no limit on swap is what "max" asks.
      else out.push({ ...write('memory', `${P}/memory/swap`, 'memory.swap.max', value), ifExists: value === 'max' });
    }
    if (m.kernel !== undefined) no('memory', 'memory/kernel', 'kernel memory limit (memory.kmem.limit_in_bytes is v1 only)');
    if (m.kernelTCP !== undefined) no('memory', 'memory/kernelTCP', 'kernel TCP memory limit (memory.kmem.tcp.limit_in_bytes is v1 only)');
    if (m.swappiness !== undefined) no('memory', 'memory/swappiness', 'per-cgroup swappiness (memory.swappiness is v1 only)');
    if (m.disableOOMKiller) no('memory', 'memory/disableOOMKiller', 'switch to disable the OOM killer (memory.oom_control is v1 only)');
    if (m.useHierarchy === false) no('memory', 'memory/useHierarchy', 'non-hierarchical accounting (v2 is always hierarchical)');
  }

  const c = r.cpu;
  if (c) {
    if (c.shares) out.push(write('cpu', `${P}/cpu/shares`, 'cpu.weight', sharesToWeight(c.shares)));
    if (c.quota !== undefined || c.period !== undefined) {
      // cpu.max is "QUOTA PERIOD": a change of one keeps the other.
      const [curQuota = 'max', curPeriod = '100000'] = (current('cpu', 'cpu.max') ?? '').trim().split(/\s+/).filter(Boolean);
      const quota = c.quota !== undefined ? max(c.quota) : curQuota;
      const period = c.period || curPeriod;
      out.push(write('cpu', `${P}/cpu/${c.quota !== undefined ? 'quota' : 'period'}`, 'cpu.max', `${quota} ${period}`));
    }
    if (c.burst !== undefined) out.push(write('cpu', `${P}/cpu/burst`, 'cpu.max.burst', c.burst));
    if (c.idle !== undefined) out.push(write('cpu', `${P}/cpu/idle`, 'cpu.idle', c.idle));
    if (c.realtimeRuntime !== undefined) no('cpu', 'cpu/realtimeRuntime', 'realtime cpu budget (cpu.rt_runtime_us is v1 only)');
    if (c.realtimePeriod !== undefined) no('cpu', 'cpu/realtimePeriod', 'realtime cpu period (cpu.rt_period_us is v1 only)');
    if (c.cpus !== undefined) out.push(write('cpuset', `${P}/cpu/cpus`, 'cpuset.cpus', c.cpus));
    if (c.mems !== undefined) out.push(write('cpuset', `${P}/cpu/mems`, 'cpuset.mems', c.mems));
  }

  if (r.pids?.limit !== undefined) out.push(write('pids', `${P}/pids/limit`, 'pids.max', max(r.pids.limit)));

  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined) {
      // BFQ takes the v1 range as is; the io controller's own weight is scaled.
      out.push({
        controller: 'io',
        pointer: `${P}/blockIO/weight`,
        candidates: [
          { file: 'io.bfq.weight', value: String(b.weight) },
          { file: 'io.weight', value: `default ${blkioWeightToIoWeight(b.weight)}` },
        ],
      });
    }
    if (b.leafWeight !== undefined) no('io', 'blockIO/leafWeight', 'leaf weight (blkio.leaf_weight is v1 only)');
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight !== undefined) out.push(write('io', `${P}/blockIO/weightDevice/${i}/weight`, 'io.bfq.weight', `${devNumber(d)} ${d.weight}`));
      if (d.leafWeight !== undefined) no('io', `blockIO/weightDevice/${i}/leafWeight`, 'leaf weight (blkio.leaf_weight_device is v1 only)');
    });
    for (const t of THROTTLES) {
      (b[t.field] ?? []).forEach((d, i) => {
        // 0 lifts the limit, as in v1.
        out.push(write('io', `${P}/blockIO/${t.field}/${i}`, 'io.max', `${devNumber(d)} ${t.v2}=${d.rate === 0 ? 'max' : d.rate}`));
      });
    }
  }

  (r.hugepageLimits ?? []).forEach((h, i) => {
    const pointer = `${P}/hugepageLimits/${i}`;
    out.push(write('hugetlb', pointer, `hugetlb.${h.pageSize}.max`, h.limit));
    // Reservations count too where the kernel tracks them (5.7+).
    out.push({ ...write('hugetlb', pointer, `hugetlb.${h.pageSize}.rsvd.max`, h.limit), ifExists: true });
  });

  if (r.network?.classID !== undefined) no('net_cls', 'network/classID', 'network class id (net_cls is v1 only)');
  if (r.network?.priorities?.length) no('net_prio', 'network/priorities', 'network priorities (net_prio is v1 only)');

  out.push(...rdmaEntries(r));
  return [...out, ...unifiedEntries(r)];
}

/** linux.resources.unified: v2 files written as given, by their controller's hierarchy. */
export function unifiedEntries(r: Resources): CgroupWrite[] {
  return Object.entries(r.unified ?? {}).map(([key, value]) => ({
    ...write(key.slice(0, key.indexOf('.')), `${P}/unified/${escapeToken(key)}`, key, value),
    unified: true,
  }));
}
