// Loads the addon: a prebuild from prebuilds/ or the local build/ (node-gyp-build).
import * as path from 'node:path';
import type { NativeBinding } from './binding';

export type * from './binding';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: dist/lib/native -> ../../.. */
const packageRoot = path.resolve(__dirname, '..', '..', '..');

export const native = load(packageRoot) as NativeBinding;
export const constants = native.constants;
