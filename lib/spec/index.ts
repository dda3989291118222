// lib/spec: config.json types and validation, from one source.

export { loadBundleConfig, loadProcessFile, parseConfig, parseProcess } from './load';
export {
  NAMESPACE_TYPES,
  NOT_SUPPORTED_YET,
  RLIM_INFINITY,
  checkSpec,
  processSchema,
  refuseUnsupported,
  refuseUnsupportedProcess,
  specSchema,
} from './config';
export type {
  Capabilities,
  Device,
  Hook,
  Hooks,
  IdMapping,
  Linux,
  Mount,
  Namespace,
  NamespaceType,
  Process,
  Refusal,
  Rlimit,
  Root,
  Spec,
  User,
} from './config';
export { resourcesSchema } from './resources';
export type { BlockIOResources, CpuResources, DeviceRuleConfig, MemoryResources, Resources } from './resources';
export { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS, seccompSchema } from './seccomp';
export type { LinuxSeccomp, SeccompAction, SeccompArch, SeccompArg, SeccompFlag, SeccompOperator, SeccompRule } from './seccomp';
export { escapeToken } from './schema';
export type { Infer, Schema } from './schema';
