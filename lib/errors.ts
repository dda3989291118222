// The error types every layer uses. Each renders as one line for a human and
// keeps its parts as fields for a program.

/** An invalid or unsupported value in config.json, located by a JSON pointer. */
export class ConfigError extends Error {
  readonly pointer: string;
  readonly reason: string;
  constructor(pointer: string, reason: string) {
    super(`config.json ${pointer || '/'}: ${reason}`);
    this.name = 'ConfigError';
    this.pointer = pointer;
    this.reason = reason;
  }
}

/** The shape of the system errors thrown by the native addon (as Node's own). */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as SystemError).code === 'string' && typeof (e as SystemError).errno === 'number';
}

/** A setup step of the container failed; names the step, its path and where it came from in config.json. */
export class StepError extends Error {
  readonly operation: string;
  readonly path: string | undefined;
  readonly pointer: string | undefined;
  readonly code: string;
  readonly errno: number;
  constructor(operation: string, path: string | undefined, pointer: string | undefined, code: string, errno: number, detail: string, cause?: unknown) {
    const where = path === undefined ? '' : ` ${path}`;
    const origin = pointer === undefined ? '' : ` (config.json ${pointer})`;
    super(`${operation}${where}: ${detail}${origin}`, cause === undefined ? undefined : { cause });
    this.name = 'StepError';
    this.operation = operation;
    this.path = path;
    this.pointer = pointer;
    this.code = code;
    this.errno = errno;
  }
}

/** A command that does not fit the container's state (or a missing/duplicate id). */
export class ContainerStateError extends Error {
  readonly id: string;
  constructor(id: string, message: string) {
    super(`container ${id}: ${message}`);
    this.name = 'ContainerStateError';
    this.id = id;
  }
}
