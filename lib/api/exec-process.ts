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
  readonly #exit: Promise<ExitResult>;
  #exited = false;

  /** @internal Use Container.exec(). */
  constructor(private readonly proc: ContainerProcess, stdio: Stdio, signal: AbortSignal | undefined) {
    this.pid = proc.pid;
    this.stdin = stdio.stdin;
    this.stdout = stdio.stdout;
    this.stderr = stdio.stderr;
    const kill = () => this.kill('SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    this.#exit = proc.exited.then((status) => exitResult(status)).finally(() => {
      this.#exited = true;
      signal?.removeEventListener('abort', kill);
    });
  }

  /** Resolves with the exit code or signal once the process has ended. */
  wait(): Promise<ExitResult> {
    return this.#exit;
  }

  /** Signals the process (default SIGTERM); a no-op once it has ended. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    if (this.#exited) return;
    native.pidfdSendSignal(this.proc.pidfd, signalNumber(signal));
  }
}
