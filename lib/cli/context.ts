import type { Runtime } from '../api/runtime';
import type { Logger } from './output';

/** What every command gets from the global flags. */
export interface CommandContext {
  root: string;
  log: Logger;
  out: (text: string) => void;
}

/** The API's Runtime for the global flags: every verb of the CLI goes through it. */
export function runtimeOf(ctx: CommandContext): Runtime {
  // Loaded here, not at the top: `ociish --version` and `--help` need none of it.
  const { Runtime } = require('../api/runtime') as typeof import('../api/runtime');
  const { seccompCacheDir } = require('../runtime/state') as typeof import('../runtime/state');
  return new Runtime({ root: ctx.root, seccompCacheDir: seccompCacheDir(ctx.root), onWarning: (w) => ctx.log.warn(w) });
}
