// Loads the addon: a prebuild from prebuilds/ or the local build/ (node-gyp-build).
import * as path from 'node:path';
import type { NativeBinding } from './binding';

export type * from './binding';

/** The package root: dist/lib/native -> ../../.. */
const packageRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * node-gyp-build's choice, with its first and usual answer (a local build in
 * build/Release, when neither OCIISH_PREBUILD nor PREBUILDS_ONLY redirects it)
 * taken directly: resolving and running node-gyp-build costs every CLI start
 * about 2 ms.
 */
function loadAddon(): unknown {
  if (!process.env['OCIISH_PREBUILD'] && !process.env['PREBUILDS_ONLY']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(path.join(packageRoot, 'build', 'Release', 'ociish.node'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node-gyp-build') as (dir: string) => unknown)(packageRoot);
}

export const native = loadAddon() as NativeBinding;
export const constants = native.constants;
