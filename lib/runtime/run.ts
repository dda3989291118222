// run: create and start a container in the foreground, wait for it, and
// remove everything it had. The caller's stdio goes to the container as is.
import * as path from 'node:path';
import { native, type ExitStatus } from '../native';
import { buildPlan } from '../plan';
import type { Spec } from '../spec';
import { spawnContainer, type ContainerProcess } from './child';
import { DEFAULT_ROOT, OCI_VERSION, StateDir } from './state';

export interface RunOptions {
  id: string;
  bundle: string;
  spec: Spec;
  root?: string;
  preservedFds?: number;
  /** Called with each warning the plan has (unknown capabilities, ...). */
  onWarning?: (message: string) => void;
  /** Called once the container process runs (e.g. to forward signals to it). */
  onStart?: (container: ContainerProcess) => void;
}

/** The exit code a shell would report: the status, or 128 + the signal. */
export function exitCode(status: ExitStatus): number {
  return 'exitCode' in status ? status.exitCode : 128 + status.signal;
}

export async function runContainer(opts: RunOptions): Promise<ExitStatus> {
  const bundle = path.resolve(opts.bundle);
  const plan = buildPlan(opts.spec, { bundle, preservedFds: opts.preservedFds ?? 0 });
  for (const w of plan.warnings) opts.onWarning?.(w);
  const state = StateDir.claim(opts.root ?? DEFAULT_ROOT, opts.id);
  try {
    const container = await spawnContainer(plan);
    try {
      state.write({
        ociVersion: OCI_VERSION,
        id: opts.id,
        status: 'running',
        pid: container.pid,
        bundle,
        annotations: opts.spec.annotations ?? {},
        rootfs: path.resolve(bundle, opts.spec.root?.path ?? ''),
        created: new Date().toISOString(),
        owner: '',
      });
      opts.onStart?.(container);
    } catch (e) {
      // Nobody would watch the container: end it before reporting.
      native.pidfdSendSignal(container.pidfd, 9);
      await container.exited;
      throw e;
    }
    return await container.exited;
  } finally {
    removeQuietly(state, opts.onWarning);
  }
}

/** A failed removal is a warning: it must not hide the run's own result or error. */
function removeQuietly(state: StateDir, onWarning?: (message: string) => void): void {
  try {
    state.remove();
  } catch (e) {
    onWarning?.(`could not remove ${state.dir}: ${(e as Error).message}`);
  }
}
