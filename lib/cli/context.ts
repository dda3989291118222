import type { Logger } from './output';

/** What every command gets from the global flags. */
export interface CommandContext {
  root: string;
  log: Logger;
  out: (text: string) => void;
}
