// What linux.resources asks of the cgroup files: one entry per write, or a
// refusal where a cgroup version has no way to honour a field. Which version
// applies to a controller is decided later, from the host's layout (on a
// hybrid host some controllers are v1 and others v2).
import { escapeToken, type Resources } from '../spec';

export interface CgroupWrite {
  /** The controller whose hierarchy holds the file ("cgroup" for core files). */
  controller: string;
  /** The config field it comes from, e.g. /linux/resources/memory/limit. */
  pointer: string;
  /** Tried in order: the first file that exists gets its value (e.g. io.bfq.weight, then io.weight). */
  candidates: { file: string; value: string }[];
  /** Skipped when no candidate exists (e.g. hugetlb.2MB.rsvd.max on older kernels). */
  ifExists?: boolean;
  /** From linux.resources.unified: a v2 file, whatever the controller's version elsewhere. */
  unified?: boolean;
}

export interface CgroupRefusal {
  controller: string;
  pointer: string;
  /** Why this version cannot honour the field, e.g. "cgroup v2 has no memory.swappiness". */
  refused: string;
}

export type CgroupEntry = CgroupWrite | CgroupRefusal;

/** Reads a file of the container's cgroup (for updates that depend on the current value); undefined when absent. */
export type CurrentValue = (controller: string, file: string) => string | undefined;

export const RESOURCES_PTR = '/linux/resources';

/** A write of one file. */
export function write(controller: string, pointer: string, file: string, value: string | number): CgroupWrite {
  return { controller, pointer, candidates: [{ file, value: String(value) }] };
}

export function refusal(controller: string, pointer: string, refused: string): CgroupRefusal {
  return { controller, pointer, refused };
}

export function isRefusal(e: CgroupEntry): e is CgroupRefusal {
  return 'refused' in e;
}

/** "8:0": a block device as the blkio/io files name it. */
export function devNumber(d: { major: number; minor: number }): string {
  return `${d.major}:${d.minor}`;
}

/** rdma.max, the same file in v1 and v2: "mlx5_0 hca_handle=2 hca_object=max". */
export function rdmaEntries(r: Resources): CgroupWrite[] {
  return Object.entries(r.rdma ?? {}).map(([device, limits]) =>
    write('rdma', `${RESOURCES_PTR}/rdma/${escapeToken(device)}`, 'rdma.max', `${device} hca_handle=${limits.hcaHandles ?? 'max'} hca_object=${limits.hcaObjects ?? 'max'}`),
  );
}

/** The throttle lists of blockIO with the key each version's file uses. */
export const THROTTLES = [
  { field: 'throttleReadBpsDevice', v1: 'blkio.throttle.read_bps_device', v2: 'rbps' },
  { field: 'throttleWriteBpsDevice', v1: 'blkio.throttle.write_bps_device', v2: 'wbps' },
  { field: 'throttleReadIOPSDevice', v1: 'blkio.throttle.read_iops_device', v2: 'riops' },
  { field: 'throttleWriteIOPSDevice', v1: 'blkio.throttle.write_iops_device', v2: 'wiops' },
] as const;
