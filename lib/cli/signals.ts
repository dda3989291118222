// Signal arguments as runc takes them: a number, or a name with or without "SIG", in any case.
import * as os from 'node:os';
import { UsageError } from './args';

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const n = os.constants.signals[(upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals];
    if (n !== undefined) return n;
  }
  throw new UsageError(`unknown signal "${text}"`);
}
