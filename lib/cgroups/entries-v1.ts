// linux.resources on cgroup v1 files (Documentation/admin-guide/cgroup-v1/).
import type { Resources } from '../spec';
import { RESOURCES_PTR as P, THROTTLES, devNumber, rdmaEntries, write, type CgroupEntry, type CurrentValue } from './entries';


/** v1 limits take -1 for "no limit"; a larger value than the kernel's maximum reads back as that maximum. */
function limitValue(v: number): string {
  return v < 0 ? '-1' : String(v);
}

/** memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes: which must be written first. */
function memswFirst(limit: number | undefined, swap: number, current: CurrentValue): boolean {
  if (swap < 0) return true; // raising memsw to unlimited is always allowed
  if (limit === undefined) return false;
  const cur = current('memory', 'memory.memsw.limit_in_bytes');
  // A fresh cgroup's memsw is unlimited: the new limit fits under it.
  if (cur === undefined) return false;
  const newLimit = limit < 0 ? Infinity : limit;
  return newLimit > Number(cur.trim());
}

export function v1Entries(r: Resources, current: CurrentValue): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  const m = r.memory;
  if (m) {
    const limit = m.limit !== undefined ? write('memory', `${P}/memory/limit`, 'memory.limit_in_bytes', limitValue(m.limit)) : undefined;
    const swap = m.swap !== undefined ? write('memory', `${P}/memory/swap`, 'memory.memsw.limit_in_bytes', limitValue(m.swap)) : undefined;
    if (swap && memswFirst(m.limit, m.swap!, current)) out.push(swap);
    if (limit) out.push(limit);
    if (swap && !out.includes(swap)) out.push(swap);
    if (m.reservation !== undefined) out.push(write('memory', `${P}/memory/reservation`, 'memory.soft_limit_in_bytes', limitValue(m.reservation)));
    if (m.kernel !== undefined) out.push(write('memory', `${P}/memory/kernel`, 'memory.kmem.limit_in_bytes', limitValue(m.kernel)));
    if (m.kernelTCP !== undefined) out.push(write('memory', `${P}/memory/kernelTCP`, 'memory.kmem.tcp.limit_in_bytes', limitValue(m.kernelTCP)));
    if (m.swappiness !== undefined) out.push(write('memory', `${P}/memory/swappiness`, 'memory.swappiness', m.swappiness));
    if (m.disableOOMKiller !== undefined) out.push(write('memory', `${P}/memory/disableOOMKiller`, 'memory.oom_control', m.disableOOMKiller ? 1 : 0));
    if (m.useHierarchy !== undefined) out.push(write('memory', `${P}/memory/useHierarchy`, 'memory.use_hierarchy', m.useHierarchy ? 1 : 0));
  }

  const c = r.cpu;
  if (c) {
    if (c.shares) out.push(write('cpu', `${P}/cpu/shares`, 'cpu.shares', c.shares));
    // The period first: a quota is checked against the period in place.
    if (c.period) out.push(write('cpu', `${P}/cpu/period`, 'cpu.cfs_period_us', c.period));
    if (c.quota !== undefined) out.push(write('cpu', `${P}/cpu/quota`, 'cpu.cfs_quota_us', limitValue(c.quota)));
    if (c.burst !== undefined) out.push(write('cpu', `${P}/cpu/burst`, 'cpu.cfs_burst_us', c.burst));
    if (c.realtimePeriod) out.push(write('cpu', `${P}/cpu/realtimePeriod`, 'cpu.rt_period_us', c.realtimePeriod));
    if (c.realtimeRuntime !== undefined) out.push(write('cpu', `${P}/cpu/realtimeRuntime`, 'cpu.rt_runtime_us', limitValue(c.realtimeRuntime)));
    if (c.idle !== undefined) out.push(write('cpu', `${P}/cpu/idle`, 'cpu.idle', c.idle));
    if (c.cpus !== undefined) out.push(write('cpuset', `${P}/cpu/cpus`, 'cpuset.cpus', c.cpus));
    if (c.mems !== undefined) out.push(write('cpuset', `${P}/cpu/mems`, 'cpuset.mems', c.mems));
  }

  if (r.pids?.limit !== undefined) out.push(write('pids', `${P}/pids/limit`, 'pids.max', r.pids.limit < 0 ? 'max' : r.pids.limit));

  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined) {
      out.push({
        controller: 'blkio',
        pointer: `${P}/blockIO/weight`,
        candidates: [
          { file: 'blkio.weight', value: String(b.weight) },
          { file: 'blkio.bfq.weight', value: String(b.weight) },
        ],
      });
    }
    if (b.leafWeight !== undefined) out.push(write('blkio', `${P}/blockIO/leafWeight`, 'blkio.leaf_weight', b.leafWeight));
    (b.weightDevice ?? []).forEach((d, i) => {
      const pointer = `${P}/blockIO/weightDevice/${i}`;
      if (d.weight !== undefined) {
        const value = `${devNumber(d)} ${d.weight}`;
        out.push({
          controller: 'blkio',
          pointer: `${pointer}/weight`,
          candidates: [
            { file: 'blkio.weight_device', value },
            { file: 'blkio.bfq.weight_device', value },
          ],
        });
      }
      if (d.leafWeight !== undefined) out.push(write('blkio', `${pointer}/leafWeight`, 'blkio.leaf_weight_device', `${devNumber(d)} ${d.leafWeight}`));
    });
    for (const t of THROTTLES) {
      (b[t.field] ?? []).forEach((d, i) => out.push(write('blkio', `${P}/blockIO/${t.field}/${i}`, t.v1, `${devNumber(d)} ${d.rate}`)));
    }
  }

  (r.hugepageLimits ?? []).forEach((h, i) => {
    const pointer = `${P}/hugepageLimits/${i}`;
    out.push(write('hugetlb', pointer, `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit));
    out.push({ ...write('hugetlb', pointer, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, h.limit), ifExists: true });
  });

  const n = r.network;
  if (n?.classID !== undefined) out.push(write('net_cls', `${P}/network/classID`, 'net_cls.classid', n.classID));
  (n?.priorities ?? []).forEach((p, i) => out.push(write('net_prio', `${P}/network/priorities/${i}`, 'net_prio.ifpriomap', `${p.name} ${p.priority}`)));

  out.push(...rdmaEntries(r));

  // unified: cgroup v2 files; placement puts them on the host's v2 hierarchy, if any.
  return out;
}
