// The signals `run` and attached `exec` pass on to the process they wait
// for, as runc does. Handlers go in before the process exists, so that no
// signal can end ociish (and orphan it) in between; what arrives before it
// runs is delivered once it does.
import * as os from 'node:os';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export class SignalForwarder {
  private send: ((signal: number) => void) | null = null;
  private readonly early: number[] = [];
  private readonly handlers: (readonly [NodeJS.Signals, () => void])[];

  /** `onWinch`, when given, takes SIGWINCH instead of the process (a terminal proxy resizes the pty). */
  constructor(onWinch?: () => boolean) {
    this.handlers = FORWARDED.map((name) => [name, () => (name === 'SIGWINCH' && onWinch?.() ? undefined : this.forward(os.constants.signals[name]))] as const);
    for (const [name, handler] of this.handlers) process.on(name, handler);
  }

  /** The process runs: signals go to it (through `send`) from now on, the early ones first. */
  attach(send: (signal: number) => void): void {
    this.send = send;
    for (const signal of this.early.splice(0)) this.forward(signal);
  }

  dispose(): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
  }

  private forward(signal: number): void {
    if (!this.send) return void this.early.push(signal);
    try {
      this.send(signal);
    } catch {
      // the process is already gone
    }
  }
}
