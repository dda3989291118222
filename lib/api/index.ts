// The programmatic API: `import { Runtime } from 'ociish'`.
export { Runtime, type ContainerSource, type CreateOptions, type RunOptions, type RunResult, type RuntimeOptions } from './runtime';
export { Container, type ContainerEvents, type ExecOptions, type ExecProcessSpec } from './container';
export { ExecProcess } from './exec-process';
export { ContainerPool, type PoolEvents, type PoolOptions } from './pool';
export type { ExitResult } from './exit';
export type { StdioItem, StdioOption } from './stdio';
