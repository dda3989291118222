export { buildPlan, type BuildOptions } from './build';
export { canPremadeNetns, joinPremadeNetns, type CgroupJoin } from './namespaces';
export { encodePlan } from './encode';
export { hostFacts, type HostFacts } from './host';
export { parseMountOptions, type MountOptions } from './mount-options';
export { describeStep, type IdMaps, type Plan, type Step, type StepKind } from './steps';
export { buildExecPlan, planJoinContainer, type ExecPlanOptions } from './exec';
