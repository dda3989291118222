import { ConfigError } from '../../lib/errors';

/** The ConfigError `fn` throws; anything else (or nothing) fails the test. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}
