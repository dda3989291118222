// A system error (from the addon or node:fs) as a StepError that names the
// operation, the path, the errno and the config.json field behind it.
import { StepError, isSystemError } from './errors';
import { native } from './native';

export function stepErrorOf(operation: string, e: unknown, pointer?: string): Error {
  if (!isSystemError(e)) return e instanceof Error ? e : new Error(String(e));
  const errno = Math.abs(e.errno);
  return new StepError(operation, e.path, pointer, e.code, errno, `${e.code}: ${native.errnoText(errno).message}`, e);
}
