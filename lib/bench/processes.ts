// Running the commands a bench times, and watching processes that are not
// our children (a container's init once `X create` has exited).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { native } from '../native';

/**
 * Variables removed from every process the bench spawns: NODE_EXTRA_CA_CERTS
 * makes each Node start read a certificate bundle, NODE_OPTIONS may preload
 * modules (tap's hooks do); either would be timed as the CLI's own cost.
 */
export const REMOVED_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

export function benchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of REMOVED_ENV) delete env[name];
  return env;
}

/** Which of REMOVED_ENV were set for the bench itself. */
export function removedEnvThatWasSet(): string[] {
  return REMOVED_ENV.filter((name) => process.env[name] !== undefined);
}

export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

const env = benchEnv();

/**
 * Runs argv to its exit; resolves with the milliseconds from spawn to exit,
 * rejects on a non-zero exit. The exit, not the end of its output, is what
 * counts: a created container's init keeps the runtime's stderr open.
 */
export function runTimed(argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) return resolve(ms);
      // What it wrote last may still be in the pipe: give it a moment.
      const fail = () => reject(new CommandFailed(`${argv.join(' ')}: exited with ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`));
      const late = setTimeout(fail, 200);
      child.stderr.once('close', () => {
        clearTimeout(late);
        fail();
      });
    });
  });
}

/** A pid from a --pid-file. */
export function readPidFile(file: string): number {
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`${file}: no pid in it`);
  return pid;
}

/**
 * A handle on a process that is not our child: its pidfd becomes readable
 * when it exits. Opened right after `create`, before the pid could be reused.
 */
export class ForeignProcess {
  private fd: number | null;

  constructor(readonly pid: number) {
    try {
      this.fd = native.pidfdOpen(pid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      this.fd = null; // gone already
    }
  }

  /** Resolves once the process has exited (its exit status is its parent's business). */
  async exited(): Promise<void> {
    if (this.fd === null) return;
    await native.waitReadable(this.fd);
    this.close();
  }

  close(): void {
    if (this.fd !== null) native.closeFd(this.fd);
    this.fd = null;
  }
}

/** VmRSS of a process, in kB. */
export function vmRssKb(pid: number | 'self'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`/proc/${pid}/status: no VmRSS`);
  return Number(m[1]);
}
