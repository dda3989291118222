// linux.resources (config-linux.md "Control groups"): the schemas and types.
// Which cgroup files each field becomes is lib/cgroups' business; here only
// the values' own rules are checked (ranges, formats), so that a bad value
// is a ConfigError with its pointer before anything is created.

import { Infer, arr, at, bool, cstr, fail, int, int64, obj, oneOf, optional, record, refine, str, uint16, uint32, uint64 } from './schema';

/** A limit in bytes or a count: >= 0, or -1 for "no limit" (the spec's convention). */
const limit = int({ min: -1 });

/** "0-3,5": the cpuset list format of cpuset.cpus / cpuset.mems. */
const cpuList = refine(str, (v, ptr) => {
  if (!/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/.test(v)) fail(ptr, 'must be a cpu/node list such as "0-3,5"');
});

export const deviceRuleSchema = obj({
  allow: bool,
  type: optional(oneOf('a', 'b', 'c')),
  major: optional(int({ min: 0 })), // absent or null: every major
  minor: optional(int({ min: 0 })),
  access: optional(
    refine(str, (v, ptr) => {
      if (!/^[rwm]+$/.test(v)) fail(ptr, 'must be made of the letters r, w and m');
    }),
  ),
});

const memoryShape = obj({
  limit: optional(limit),
  reservation: optional(limit),
  swap: optional(limit),
  kernel: optional(limit),
  kernelTCP: optional(limit),
  swappiness: optional(int({ min: 0, max: 100 })),
  disableOOMKiller: optional(bool),
  useHierarchy: optional(bool),
  checkBeforeUpdate: optional(bool),
});

// swap counts memory plus swap, so it cannot be below the memory limit.
const memorySchema = refine(memoryShape, (m, ptr) => {
  if (m.swap !== undefined && m.limit !== undefined && m.swap >= 0 && m.limit >= 0 && m.swap < m.limit) {
    fail(at(ptr, 'swap'), `must be >= limit (${m.limit}): it counts memory plus swap`);
  }
});

const cpuSchema = obj({
  shares: optional(uint64),
  quota: optional(limit),
  burst: optional(uint64),
  period: optional(uint64),
  realtimeRuntime: optional(limit),
  realtimePeriod: optional(uint64),
  cpus: optional(cpuList),
  mems: optional(cpuList),
  idle: optional(int({ min: 0, max: 1 })),
});

const deviceNumber = { major: int({ min: 0 }), minor: int({ min: 0 }) };

const weightDeviceSchema = obj({ ...deviceNumber, weight: optional(uint16), leafWeight: optional(uint16) });

const throttleDeviceSchema = obj({ ...deviceNumber, rate: uint64 });

const blockIOSchema = obj({
  weight: optional(uint16),
  leafWeight: optional(uint16),
  weightDevice: optional(arr(weightDeviceSchema)),
  throttleReadBpsDevice: optional(arr(throttleDeviceSchema)),
  throttleWriteBpsDevice: optional(arr(throttleDeviceSchema)),
  throttleReadIOPSDevice: optional(arr(throttleDeviceSchema)),
  throttleWriteIOPSDevice: optional(arr(throttleDeviceSchema)),
});

/** "2MB", "1GB", "64KB": the size in hugetlb.<size>.* file names. */
const pageSize = refine(str, (v, ptr) => {
  if (!/^[1-9]\d*[KMG]B$/.test(v)) fail(ptr, 'must be a page size such as "2MB" or "1GB"');
});

const hugepageLimitSchema = obj({ pageSize, limit: uint64 });

const networkSchema = obj({
  classID: optional(uint32),
  priorities: optional(arr(obj({ name: cstr, priority: uint32 }))),
});

const rdmaSchema = obj({ hcaHandles: optional(uint32), hcaObjects: optional(uint32) });

/** A cgroup v2 interface file: "controller.name", a plain file name in the cgroup directory. */
const unifiedKeys = refine(record(cstr), (m, ptr) => {
  for (const key of Object.keys(m)) {
    if (!/^[a-z_]+\.[A-Za-z0-9_.]+$/.test(key)) fail(at(ptr, key), 'must be a cgroup file name such as "memory.high"');
    if (key === 'cgroup.procs' || key === 'cgroup.threads' || key === 'cgroup.subtree_control') {
      fail(at(ptr, key), 'is managed by the runtime and cannot be set here');
    }
  }
});

export const resourcesSchema = obj({
  devices: optional(arr(deviceRuleSchema)),
  memory: optional(memorySchema),
  cpu: optional(cpuSchema),
  blockIO: optional(blockIOSchema),
  hugepageLimits: optional(arr(hugepageLimitSchema)),
  network: optional(networkSchema),
  pids: optional(obj({ limit: optional(int64) })),
  rdma: optional(record(rdmaSchema)),
  unified: optional(unifiedKeys),
});

export type Resources = Infer<typeof resourcesSchema>;
export type DeviceRuleConfig = Infer<typeof deviceRuleSchema>;
export type MemoryResources = Infer<typeof memorySchema>;
export type CpuResources = Infer<typeof cpuSchema>;
export type BlockIOResources = Infer<typeof blockIOSchema>;
