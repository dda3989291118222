// lib/seccomp: OCI seccomp profiles compiled to classic BPF (no libseccomp),
// cached per profile, and the notify listener's hand-over.
export { cachedSeccompFilter } from './cache';
export { compileSeccomp, filterSettings } from './compile';
export type { SeccompFilter } from './compile';
export { hostFamily } from './arches';
export type { HostFamily } from './arches';
export { deliverListener } from './notify';
export type { ListenerState } from './notify';
export { seccompFeatures, type SeccompFeatures } from './features';
