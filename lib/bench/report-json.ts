// The JSON result file: everything measured, samples included, so another
// tool can recompute or compare.
import * as fs from 'node:fs';
import type { BenchResult } from './result';

export function writeJsonReport(file: string, r: BenchResult): void {
  // Summaries of an empty sample list are NaN, which JSON cannot hold: null instead.
  const text = JSON.stringify(r, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
  fs.writeFileSync(file, text + '\n');
}
