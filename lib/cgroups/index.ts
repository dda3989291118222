// lib/cgroups: a container's cgroup on v2, hybrid and v1 hosts.
export { Cgroup } from './cgroup';
export { delegationOwner } from './delegation';
export { deviceRules, DEFAULT_DEVICE_RULES, type DeviceRule } from './device-rules';
export { detectMode, hostCgroupLayout, type CgroupLayout, type CgroupMode } from './hierarchies';
export { DEFAULT_CGROUP_PARENT } from './paths';
export type { CgroupIO } from './io';
export type { CgroupStats } from './stats';
