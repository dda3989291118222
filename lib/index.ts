// The public API. The `Runtime` class with pre-created containers comes with
// the programmatic-API issue; today a container runs to completion in-process.
export { ConfigError, ContainerStateError, StepError } from './errors';
export type { SystemError } from './errors';
export { defaultSpec, writeDefaultSpec } from './bundle/default-spec';
export { buildExampleBundle } from './bundle/example';
export { loadBundleConfig, parseConfig, type Spec } from './spec';
export { buildPlan, type Plan, type Step } from './plan';
export { runContainer, exitCode, type RunOptions } from './runtime/run';
export type { ExitStatus } from './native';
