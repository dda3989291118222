// How a container's (or exec'd process's) end is reported by the API: as
// Node's child_process does, an exit code or a signal name.
import * as os from 'node:os';
import type { ExitStatus } from '../native';

export interface ExitResult {
  /** The exit status, or null when a signal ended the process (or the status is unknowable). */
  exitCode: number | null;
  /** The signal that ended the process, or null. */
  signal: NodeJS.Signals | null;
  /** The kernel's OOM killer killed a process of the container (its cgroup's oom_kill count rose). */
  oomKilled: boolean;
}

const NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export function signalName(n: number): NodeJS.Signals | null {
  return NAMES.get(n) ?? null;
}

export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = os.constants.signals[signal];
  if (n === undefined) throw new TypeError(`unknown signal ${JSON.stringify(signal)}`);
  return n;
}

/** The exit code a shell would report: the status, or 128 + the signal (the CLI's own exit code for run and exec). */
export function shellExitCode(result: ExitResult): number {
  return result.exitCode ?? 128 + (result.signal ? os.constants.signals[result.signal] : 0);
}

/** The OOM killer ends a process with SIGKILL: only then is the cgroup's count worth reading. */
export function killedByOom(status: ExitStatus, oomKills: () => number): boolean {
  return 'signal' in status && status.signal === 9 && oomKills() > 0;
}

export function exitResult(status: ExitStatus, oomKilled = false): ExitResult {
  if ('exitCode' in status) return { exitCode: status.exitCode, signal: null, oomKilled };
  return { exitCode: null, signal: signalName(status.signal), oomKilled };
}
