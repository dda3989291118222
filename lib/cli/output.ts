// Writing to the user without touching process.stdout/stderr: Node's stream
// objects may switch a pipe or tty to non-blocking mode, and that file is
// shared with the container.
import * as fs from 'node:fs';

export function writeOut(text: string): void {
  fs.writeSync(1, text);
}

export function writeErr(text: string): void {
  fs.writeSync(2, text);
}

export type LogFormat = 'text' | 'json';

/** Where errors and warnings go: stderr, and the --log file in its format. */
export class Logger {
  constructor(readonly file: string | undefined, readonly format: LogFormat) {}

  private toFile(level: string, msg: string): void {
    if (!this.file) return;
    const time = new Date().toISOString();
    const line = this.format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    fs.appendFileSync(this.file, line + '\n');
  }

  error(msg: string): void {
    this.toFile('error', msg);
    writeErr(`ociish: ${msg}\n`);
  }

  /** In json format the log file holds only the final error: podman parses the whole file as one object. */
  warn(msg: string): void {
    if (this.format === 'text') this.toFile('warning', msg);
    writeErr(`ociish: warning: ${msg}\n`);
  }
}
