// `ociish run` of a process.terminal container without --console-socket, as
// runc does it: ociish keeps the pty master, puts the user's terminal in raw
// mode, copies keystrokes in and output out, and gives the pty the user's
// window size (now, and on every SIGWINCH).
import * as fs from 'node:fs';
import { native } from '../native';

export class TerminalProxy {
  private output: fs.ReadStream | undefined;
  private drained: Promise<void> = Promise.resolve();
  private rawMode = false;

  /** `master` is ours to close (a dup of the fd the child sent); it gets our size before the container runs. */
  constructor(private readonly master: number) {
    this.resize();
  }

  start(): void {
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      this.rawMode = true;
    }
    stdin.on('data', (chunk: Buffer) => {
      try {
        fs.writeSync(this.master, chunk);
      } catch {
        // the container is gone
      }
    });
    this.output = fs.createReadStream('', { fd: this.master, autoClose: false, highWaterMark: 16 * 1024 });
    const output = this.output;
    // EIO once the last holder of the pty's other side has closed it.
    this.drained = new Promise((resolve) => {
      output.on('data', (chunk) => process.stdout.write(chunk));
      output.once('error', () => resolve());
      output.once('end', () => resolve());
    });
  }

  /** The user's window size onto the pty; the kernel tells the container (SIGWINCH). */
  resize(): void {
    const out = process.stdout;
    if (!out.isTTY || !out.rows || !out.columns) return;
    try {
      native.setWindowSize(this.master, out.rows, out.columns);
    } catch {
      // the container is gone
    }
  }

  /** Waits for the container's last output, then gives the user's terminal back. */
  async finish(): Promise<void> {
    await this.drained;
    if (this.rawMode) process.stdin.setRawMode(false);
    process.stdin.pause();
    native.closeFd(this.master);
  }
}
