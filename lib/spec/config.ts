// The OCI runtime config (runtime-spec v1.3, Linux) as schemas, the types
// inferred from them, the cross-field rules the spec requires, and the table
// of fields ociish refuses because it does not implement them yet.
//
// Check order (deterministic): 1. shape and per-field rules, walking the
// schemas below in their declared order (which follows config.md and
// config-linux.md); 2. cross-field rules (checkSpec); 3. NOT_SUPPORTED_YET
// in table order. The first failure throws.

import {
  Infer,
  UINT64_MAX,
  absPath,
  anyObject,
  arr,
  at,
  bool,
  cstr,
  fail,
  int,
  int32,
  int64,
  isObject,
  map,
  nonEmptyStr,
  obj,
  oneOf,
  optional,
  record,
  refine,
  str,
  uint16,
  uint32,
  uint64,
} from './schema';
import { resourcesSchema } from './resources';
import { seccompSchema } from './seccomp';

/** RLIM_INFINITY as it arrives from JSON (18446744073709551615 reads as 2^64). */
export const RLIM_INFINITY = UINT64_MAX;

// ---------------------------------------------------------------- helpers

/** Reports the second entry with the same key, pointing at its key field. */
function noDuplicates<T>(list: T[], ptr: string, field: string, key: (x: T) => string, what: string): void {
  const seen = new Map<string, number>();
  list.forEach((x, i) => {
    const k = key(x);
    const first = seen.get(k);
    if (first !== undefined) fail(at(at(ptr, i), field), `duplicate ${what} "${k}" (first at ${at(ptr, first)})`);
    seen.set(k, i);
  });
}

// SemVer 2.0.0: MAJOR.MINOR.PATCH, optional -prerelease and +build.
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(`^(${NUM})\\.${NUM}\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);

const ociVersion = refine(str, (v, ptr) => {
  const m = SEMVER.exec(v);
  if (!m) fail(ptr, 'must be a SemVer version such as "1.0.2"');
  if (m[1] !== '1') fail(ptr, `unsupported major version ${m[1]} (ociish implements runtime-spec 1.x)`);
});

// ---------------------------------------------------------------- top level

export const rootSchema = obj({
  path: nonEmptyStr, // absolute, or relative to the bundle
  readonly: optional(bool),
});

/** One id-mapping range (user namespace or id-mapped mount). */
export const idMappingSchema = obj({
  containerID: uint32,
  hostID: uint32,
  size: int({ min: 1, max: 0xffffffff }),
});

// Spec 1.2+: a relative destination is deprecated and means relative to "/".
// Normalizing here means nothing downstream ever sees a relative one.
const mountDestination = map(nonEmptyStr, (v) => (v.startsWith('/') ? v : `/${v}`));

export const mountSchema = obj({
  destination: mountDestination,
  source: optional(cstr), // a device, a path (relative = to the bundle) or a dummy
  type: optional(cstr),
  options: optional(arr(cstr)), // option strings are checked by the mount planner
  uidMappings: optional(arr(idMappingSchema)),
  gidMappings: optional(arr(idMappingSchema)),
});

// ---------------------------------------------------------------- process

// (uid_t)-1 means "leave unchanged" to setresuid/setresgid, so it must never
// reach them from a config: it would keep the runtime's own (root) id.
const id = int({ min: 0, max: 0xfffffffe });

export const userSchema = obj({
  uid: id,
  gid: id,
  umask: optional(int({ min: 0, max: 0o777 })),
  additionalGids: optional(arr(id)),
  username: optional(str), // Windows only
});

const RLIMIT_TYPE = /^RLIMIT_[A-Z_]+$/;

export const rlimitSchema = refine(
  obj({
    type: refine(str, (v, ptr) => {
      if (!RLIMIT_TYPE.test(v)) fail(ptr, 'must be an RLIMIT_* name such as "RLIMIT_NOFILE"');
    }),
    soft: uint64,
    hard: uint64,
  }),
  (r, ptr) => {
    if (r.soft > r.hard) fail(at(ptr, 'soft'), `must be <= hard (${r.hard})`);
  },
);

const rlimits = refine(arr(rlimitSchema), (list, ptr) => noDuplicates(list, ptr, 'type', (r) => r.type, 'rlimit type'));

const capSet = optional(arr(str)); // unknown names are a warning, not an error (spec)

export const capabilitiesSchema = obj({
  bounding: capSet,
  effective: capSet,
  inheritable: capSet,
  permitted: capSet,
  ambient: capSet,
});

export const processSchema = obj({
  terminal: optional(bool),
  consoleSize: optional(obj({ height: uint16, width: uint16 })), // struct winsize fields are unsigned short
  user: userSchema,
  args: optional(arr(cstr, { minItems: 1 })),
  commandLine: optional(str), // Windows only
  env: optional(arr(cstr)),
  cwd: absPath,
  capabilities: optional(capabilitiesSchema),
  rlimits: optional(rlimits),
  noNewPrivileges: optional(bool),
  apparmorProfile: optional(str),
  selinuxLabel: optional(str),
  oomScoreAdj: optional(int({ min: -1000, max: 1000 })),
  scheduler: optional(
    obj({
      policy: oneOf('SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'),
      nice: optional(int32),
      priority: optional(int32),
      flags: optional(
        arr(
          oneOf(
            'SCHED_FLAG_RESET_ON_FORK',
            'SCHED_FLAG_RECLAIM',
            'SCHED_FLAG_DL_OVERRUN',
            'SCHED_FLAG_KEEP_POLICY',
            'SCHED_FLAG_KEEP_PARAMS',
            'SCHED_FLAG_UTIL_CLAMP_MIN',
            'SCHED_FLAG_UTIL_CLAMP_MAX',
          ),
        ),
      ),
      runtime: optional(uint64),
      deadline: optional(uint64),
      period: optional(uint64),
    }),
  ),
  ioPriority: optional(
    obj({
      class: oneOf('IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'),
      priority: int({ min: 0, max: 7 }),
    }),
  ),
  execCPUAffinity: optional(obj({ initial: optional(str), final: optional(str) })),
});

// ---------------------------------------------------------------- hooks

export const hookSchema = obj({
  path: absPath,
  args: optional(arr(cstr)),
  env: optional(arr(cstr)),
  timeout: optional(int({ min: 1 })),
});

const hookList = optional(arr(hookSchema));

/** Listed in the order the lifecycle runs them. */
export const hooksSchema = obj({
  prestart: hookList, // deprecated
  createRuntime: hookList,
  createContainer: hookList,
  startContainer: hookList,
  poststart: hookList,
  poststop: hookList,
});

// ---------------------------------------------------------------- linux

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;

export const namespaceSchema = obj({
  type: oneOf(...NAMESPACE_TYPES),
  path: optional(absPath), // join this namespace instead of creating one
});

const namespaces = refine(arr(namespaceSchema), (list, ptr) => noDuplicates(list, ptr, 'type', (n) => n.type, 'namespace type'));

export const deviceSchema = refine(
  obj({
    type: oneOf('c', 'b', 'u', 'p'),
    path: absPath,
    major: optional(int({ min: 0 })),
    minor: optional(int({ min: 0 })),
    fileMode: optional(uint32),
    uid: optional(uint32),
    gid: optional(uint32),
  }),
  (d, ptr) => {
    if (d.type === 'p') return; // a fifo has no device number
    if (d.major === undefined) fail(at(ptr, 'major'), `is required for device type "${d.type}"`);
    if (d.minor === undefined) fail(at(ptr, 'minor'), `is required for device type "${d.type}"`);
  },
);

// A cgroup below the hierarchies' roots (absolute) or below the runtime's own
// cgroup (relative): ".." could climb out of either.
const cgroupsPath = refine(cstr, (v, ptr) => {
  if (v.split('/').includes('..')) fail(ptr, 'must not contain ".." components');
});

const annotations = refine(record(str), (m, ptr) => {
  if (Object.prototype.hasOwnProperty.call(m, '')) fail(at(ptr, ''), 'annotation keys must not be empty');
});

export const linuxSchema = obj({
  namespaces: optional(namespaces),
  uidMappings: optional(arr(idMappingSchema)),
  gidMappings: optional(arr(idMappingSchema)),
  timeOffsets: optional(record(obj({ secs: optional(int64), nanosecs: optional(uint32) }))),
  devices: optional(arr(deviceSchema)),
  cgroupsPath: optional(cgroupsPath),
  resources: optional(resourcesSchema),
  rootfsPropagation: optional(oneOf('shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable')),
  seccomp: optional(seccompSchema),
  sysctl: optional(record(cstr)),
  maskedPaths: optional(arr(absPath)),
  readonlyPaths: optional(arr(absPath)),
  mountLabel: optional(str),
  intelRdt: optional(anyObject), // refused below
  personality: optional(obj({ domain: oneOf('LINUX', 'LINUX32'), flags: optional(arr(str)) })),
  netDevices: optional(record(obj({ name: optional(str) }))),
  memoryPolicy: optional(obj({ mode: str, nodes: optional(str), flags: optional(arr(str)) })),
});

export const specSchema = obj({
  ociVersion,
  root: rootSchema,
  mounts: optional(arr(mountSchema)),
  process: optional(processSchema), // required only by `start` (and exec)
  hostname: optional(str),
  domainname: optional(str),
  annotations: optional(annotations),
  hooks: optional(hooksSchema),
  linux: optional(linuxSchema),
});

// ---------------------------------------------------------------- types

export type Spec = Infer<typeof specSchema>;
export type Root = Infer<typeof rootSchema>;
export type Mount = Infer<typeof mountSchema>;
export type IdMapping = Infer<typeof idMappingSchema>;
export type Process = Infer<typeof processSchema>;
export type User = Infer<typeof userSchema>;
export type Capabilities = Infer<typeof capabilitiesSchema>;
export type Rlimit = Infer<typeof rlimitSchema>;
export type Hook = Infer<typeof hookSchema>;
export type Hooks = Infer<typeof hooksSchema>;
export type Linux = Infer<typeof linuxSchema>;
export type Namespace = Infer<typeof namespaceSchema>;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];
export type Device = Infer<typeof deviceSchema>;

// ---------------------------------------------------------------- cross-field rules

/** Rules that involve more than one field. Runs after the shape checks. */
export function checkSpec(spec: Spec): void {
  const linux = spec.linux ?? {};
  const nsList = linux.namespaces ?? [];
  const hasNs = (type: NamespaceType) => nsList.some((n) => n.type === type);

  // runc's rule: setting the host's own names would leak out of the container.
  // A joined uts namespace (with path) counts, as in runc: pods share one.
  if (spec.hostname && !hasNs('uts')) fail('/hostname', 'needs a uts namespace in /linux/namespaces');
  if (spec.domainname && !hasNs('uts')) fail('/domainname', 'needs a uts namespace in /linux/namespaces');

  // Mappings exist only for a user namespace, and a new one needs both.
  const userIndex = nsList.findIndex((n) => n.type === 'user');
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const mappings = linux[key] ?? [];
    if (userIndex < 0 && mappings.length > 0) fail(`/linux/${key}`, 'needs a user namespace in /linux/namespaces');
    if (userIndex >= 0 && nsList[userIndex].path === undefined && mappings.length === 0) {
      fail(`/linux/${key}`, `is required with a new user namespace (/linux/namespaces/${userIndex})`);
    }
  }
}

// ---------------------------------------------------------------- not supported yet

/** A field ociish refuses until it implements it. */
export interface Refusal {
  /** JSON pointer; a `*` segment matches every array index or object key. */
  readonly pointer: string;
  /** Names the feature in the error: "not supported yet: <feature>". */
  readonly feature: string;
  /** Refuse only when this holds. Default: the value is set (see isSet). */
  readonly when?: (value: unknown, parent: Record<string, unknown>) => boolean;
}

/**
 * Every field that ociish would otherwise have to ignore. The spec forbids
 * silently ignoring a value, so these are refused. An issue that implements
 * a feature deletes its row. Rows are in document (schema) order; the first
 * match wins, and a `*` row reports its first matching element.
 */
export const NOT_SUPPORTED_YET: readonly Refusal[] = [
  { pointer: '/mounts/*/uidMappings', feature: 'id-mapped mounts (mounts[].uidMappings)' },
  { pointer: '/mounts/*/gidMappings', feature: 'id-mapped mounts (mounts[].gidMappings)' },
  { pointer: '/process/user/username', feature: 'process.user.username (a Windows field)' },
  { pointer: '/process/commandLine', feature: 'process.commandLine (a Windows field)' },
  { pointer: '/process/apparmorProfile', feature: 'AppArmor profiles (process.apparmorProfile)' },
  { pointer: '/process/selinuxLabel', feature: 'SELinux labels (process.selinuxLabel)' },
  { pointer: '/process/scheduler', feature: 'process.scheduler (sched_setattr)' },
  { pointer: '/process/ioPriority', feature: 'process.ioPriority (ioprio_set)' },
  { pointer: '/process/execCPUAffinity', feature: 'process.execCPUAffinity' },
  // Joining a user namespace by path while also giving mappings would need a
  // check that they match the namespace's own (runc does that).
  { pointer: '/linux/uidMappings', feature: 'uid/gid mappings together with a user namespace path', when: (v, linux) => isSet(v) && joinsUserNs(linux) },
  { pointer: '/linux/gidMappings', feature: 'uid/gid mappings together with a user namespace path', when: (v, linux) => isSet(v) && joinsUserNs(linux) },
  { pointer: '/linux/timeOffsets', feature: 'time namespace offsets (linux.timeOffsets)' },
  { pointer: '/linux/mountLabel', feature: 'SELinux mount labels (linux.mountLabel)' },
  { pointer: '/linux/intelRdt', feature: 'Intel RDT (linux.intelRdt)', when: present },
  { pointer: '/linux/personality', feature: 'linux.personality' },
  { pointer: '/linux/netDevices', feature: 'network devices (linux.netDevices)' },
  { pointer: '/linux/memoryPolicy', feature: 'NUMA memory policy (linux.memoryPolicy)' },
];

function joinsUserNs(linux: Record<string, unknown>): boolean {
  const list = linux.namespaces;
  return Array.isArray(list) && list.some((n) => isObject(n) && n.type === 'user' && n.path !== undefined);
}

/** Set = asks for something: true, a non-empty string, array or object. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

// For objects whose mere presence asks for something: `intelRdt: {}` means a
// resctrl group named after the container.
function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** The pointer of the first value matching `segments` below `node` that the row refuses. */
function findRefused(node: unknown, segments: readonly string[], ptr: string, row: Refusal): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const parent = node as Record<string, unknown>;
  const [segment, ...rest] = segments;
  for (const key of segment === '*' ? Object.keys(parent) : [segment]) {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) continue;
    const child = parent[key];
    const childPtr = at(ptr, key);
    if (rest.length > 0) {
      const hit = findRefused(child, rest, childPtr, row);
      if (hit !== undefined) return hit;
    } else if ((row.when ?? isSet)(child, parent)) {
      return childPtr;
    }
  }
  return undefined;
}

function refuse(value: unknown, rows: readonly { row: Refusal; segments: readonly string[] }[]): void {
  for (const { row, segments } of rows) {
    const hit = findRefused(value, segments, '', row);
    if (hit !== undefined) fail(hit, `not supported yet: ${row.feature}`);
  }
}

function segmentsOf(pointer: string): string[] {
  return pointer.split('/').slice(1);
}

/** Throws ConfigError for the first field of a validated config that ociish does not implement yet. */
export function refuseUnsupported(spec: Spec): void {
  refuse(
    spec,
    NOT_SUPPORTED_YET.map((row) => ({ row, segments: segmentsOf(row.pointer) })),
  );
}

/** The same for a bare process (exec --process): the /process rows, relative to the process. */
export function refuseUnsupportedProcess(process: Process): void {
  refuse(
    process,
    NOT_SUPPORTED_YET.filter((row) => row.pointer.startsWith('/process/')).map((row) => ({ row, segments: segmentsOf(row.pointer).slice(1) })),
  );
}
