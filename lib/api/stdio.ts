// A container's (or exec'd process's) stdin, stdout and stderr as the API
// takes them: this process's own ('inherit'), /dev/null ('ignore'), a new
// pipe with a Node stream on our end ('pipe'), or an fd the caller opened.
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { native } from '../native';

export type StdioItem = 'inherit' | 'ignore' | 'pipe' | number;
/** One choice for all three, or one each for stdin, stdout and stderr. */
export type StdioOption = StdioItem | readonly [StdioItem, StdioItem, StdioItem];

export class Stdio {
  /** The fds the child makes its 0, 1 and 2 (-1: inherited as is). */
  readonly childFds: [number, number, number] = [-1, -1, -1];
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  /** Our copies of what only the child keeps (pipe ends, /dev/null): closed once it has its own. */
  private readonly childOnly: number[] = [];
  /** One /dev/null (read-write) for every stream that ignores. */
  private devNull = -1;

  constructor(option: StdioOption = 'inherit') {
    const items = typeof option === 'object' ? option : [option, option, option];
    try {
      items.forEach((item, i) => this.add(i, item));
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private add(i: number, item: StdioItem): void {
    const which = ['stdin', 'stdout', 'stderr'][i];
    if (item === 'inherit') return;
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 0) throw new TypeError(`stdio: ${which} must be 'inherit', 'ignore', 'pipe' or an open fd, not ${item}`);
      // A closed fd would fail deep in the child: say so here.
      fs.fstatSync(item);
      this.childFds[i] = item;
      return;
    }
    if (item === 'ignore') {
      if (this.devNull < 0) {
        this.devNull = fs.openSync('/dev/null', 'r+');
        this.childOnly.push(this.devNull);
      }
      this.childFds[i] = this.devNull;
      return;
    }
    if (item !== 'pipe') throw new TypeError(`stdio: ${which} must be 'inherit', 'ignore', 'pipe' or an open fd, not ${JSON.stringify(item)}`);
    const [r, w] = native.pipe();
    const [ours, theirs] = i === 0 ? [w, r] : [r, w];
    this.childOnly.push(theirs);
    this.childFds[i] = theirs;
    // net.Socket drives a pipe fd through libuv (non-blocking, no thread-pool reads).
    const stream = new net.Socket({ fd: ours, readable: i !== 0, writable: i === 0 });
    if (i === 0) this.stdin = stream;
    else if (i === 1) this.stdout = stream;
    else this.stderr = stream;
  }

  /** The child has its copies (it dup'd them at its start): ours go. */
  childStarted(): void {
    for (const fd of this.childOnly.splice(0)) native.closeFd(fd);
  }

  /** Nothing was started: close every end. */
  destroy(): void {
    this.childStarted();
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.destroy();
  }
}
