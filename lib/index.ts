// The public API: `import { Runtime } from 'ociish'` (lib/api), the error
// classes every method throws, and the pieces below it for tools that want
// them (the validator, the planner, the example bundle).
export * from './api';
export { ConfigError, ContainerStateError, StepError } from './errors';
export type { SystemError } from './errors';
export type { State, Status } from './runtime/state';
export type { CgroupStats } from './cgroups';
export { defaultSpec, writeDefaultSpec } from './bundle/default-spec';
export { buildExampleBundle } from './bundle/example';
export { loadBundleConfig, parseConfig, parseProcess, type Process, type Resources, type Spec } from './spec';
export { buildPlan, type Plan, type Step } from './plan';
