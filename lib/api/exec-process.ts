// A process exec'd into a container through the API: its pid, its stdio
// streams, its exit, and signals to it (by pidfd: the pid cannot be reused
// while we hold it).
import type { Readable, Writable } from 'node:stream';
import { native } from '../native';
import type { ContainerProcess } from '../runtime/child';
import { exitResult, signalNumber, type ExitResult } from './exit';
import type { Stdio } from './stdio';

export class ExecProcess {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly #exit: Promise<ExitResult> | null;
  #exited = false;

  /** @internal Use Container.exec(). */
  constructor(private readonly proc: ContainerProcess, stdio: Stdio, signal: AbortSignal | undefined, detach: boolean) {
    this.pid = proc.pid;
    this.stdin = stdio.stdin;
    this.stdout = stdio.stdout;
    this.stderr = stdio.stderr;
    if (detach) {
      // Not reaped here: its exit status is for the subreaper that inherits it.
      native.closeFd(proc.pidfd);
      this.#exit = null;
      this.#exited = true;
      return;
    }
    const kill = () => this.kill('SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    this.#exit = proc.exited.then((status) => exitResult(status)).finally(() => {
      this.#exited = true;
      signal?.removeEventListener('abort', kill);
    });
  }

  /** Resolves with the exit code or signal once the process has ended (not for a detached one). */
  wait(): Promise<ExitResult> {
    return this.#exit ?? Promise.reject(new TypeError('a detached exec is not watched: its exit status belongs to the process that reaps it'));
  }

  /** Signals the process (default SIGTERM); a no-op once it has ended (and for a detached one). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    if (this.#exited) return;
    native.pidfdSendSignal(this.proc.pidfd, signalNumber(signal));
  }
}
