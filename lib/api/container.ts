// A container as the API hands it out: one the Runtime created in this
// process (its init is our child, waiting on its sync socket until start()),
// or one loaded from the state root (made by the CLI or another process).
// Each method is the verb of lib/runtime that the CLI runs too; what only an
// owner can do (start from the socket, read the exit status) is here.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { CgroupStats } from '../cgroups';
import { ContainerStateError } from '../errors';
import { native } from '../native';
import type { Process, Resources } from '../spec';
import type { ContainerProcess } from '../runtime/child';
import { LoadedContainer } from '../runtime/container';
import { deleteContainer } from '../runtime/delete';
import { killContainer } from '../runtime/kill';
import type { Launched } from '../runtime/launch';
import { pauseContainer, resumeContainer } from '../runtime/pause';
import { startContainer, startLaunched } from '../runtime/start';
import type { State } from '../runtime/state';
import { updateContainer } from '../runtime/update';
import { exitResult, killedByOom, signalName, signalNumber, type ExitResult } from './exit';
import { ExecProcess } from './exec-process';
import type { Stdio, StdioOption } from './stdio';

/** What a Container needs of the Runtime that made or loaded it. */
export interface RuntimeContext {
  readonly root: string;
  readonly seccompCacheDir: string | undefined;
  readonly onWarning: ((message: string) => void) | undefined;
  /** The container was deleted: the runtime forgets it. */
  forget(id: string): void;
}

/** A process to exec: its args, and any config.json `process` fields that differ from the container's own process. */
export type ExecProcessSpec = Partial<Process>;

export interface ExecOptions {
  stdio?: StdioOption;
  /** Aborting kills the process (SIGKILL). */
  signal?: AbortSignal;
  /** false: `process` is complete as given (as `runc exec --process`); default: its missing fields come from the container's process. */
  inherit?: boolean;
  /** Write the process's pid here (atomically) once it runs. */
  pidFile?: string;
  /** With terminal: true, where the pty master goes (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string;
  /** Send a pidfd of the process to this unix socket, as runc's --pidfd-socket. */
  pidfdSocket?: string;
  /** Pass this many fds after stdio (3, 4, ...) on to the process. */
  preservedFds?: number;
  /**
   * Leave the process to whoever reaps this process's orphans (a subreaper
   * such as conmon, once this process exits), as `runc exec -d`: it is not
   * watched or reaped here, so its exit status stays theirs; wait() refuses.
   */
  detach?: boolean;
}

/** Resolves with what `wait` and `exit` report; rejects with the reason of an aborted signal. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface ContainerEvents {
  /** The container's process ended (owned containers; loaded ones once wait() was called). */
  exit: [result: ExitResult];
  /** The kernel's OOM killer killed a process of the container (reported at its exit). */
  oom: [];
  /** The process could not exec when started (the same error start() rejects with). */
  error: [error: Error];
}

export class Container extends EventEmitter<ContainerEvents> implements AsyncDisposable {
  /** Our end of the container's stdio pipes (stdio 'pipe'), else null. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  #exit: Promise<ExitResult> | null = null;
  #started = false;
  /** The signal kill() sent before start: how a waiting init's end is reported. */
  #killedWith: number | null = null;
  #deleted = false;
  /** The verbs of one container run one at a time (our own state-dir lock would block the event loop). */
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Use Runtime.create() or Runtime.load(). */
  constructor(
    readonly id: string,
    private readonly runtime: RuntimeContext,
    private readonly launched: Launched | null,
    stdio: Stdio | null,
    private readonly loadedPid = 0,
  ) {
    super();
    this.stdin = stdio?.stdin ?? null;
    this.stdout = stdio?.stdout ?? null;
    this.stderr = stdio?.stderr ?? null;
    if (launched) {
      this.#exit = this.#watchOwned(launched);
      // Reported as events (and by wait()); not an unhandled rejection.
      this.#exit.then(
        (r) => {
          if (r.oomKilled) this.emit('oom');
          this.emit('exit', r);
        },
        (e: Error) => {
          if (this.listenerCount('error')) this.emit('error', e);
        },
      );
    }
  }

  /** The init's pid (as the host sees it). */
  get pid(): number {
    return this.launched?.pid ?? this.loadedPid;
  }

  /** Created by this process's Runtime: start() releases it from its socket, and wait() knows its exit status. */
  get owned(): boolean {
    return this.launched !== null;
  }

  async #watchOwned(launched: Launched): Promise<ExitResult> {
    let proc: ContainerProcess;
    try {
      proc = await launched.spawned;
    } catch (e) {
      // Killed while it waited at the barrier: that is its end, not an error.
      if (this.#killedWith !== null) return { exitCode: null, signal: signalName(this.#killedWith), oomKilled: false };
      throw e;
    }
    const status = await proc.exited;
    // Read before delete() removes the cgroup.
    return exitResult(status, killedByOom(status, () => launched.cgroup.oomKills()));
  }

  #serial<T>(action: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(action);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Lets the process exec. Resolves once it runs (a failed exec rejects with a StepError). */
  start(): Promise<void> {
    return this.#serial(async () => {
      if (!this.launched) return startContainer(this.runtime.root, this.id, { onWarning: this.runtime.onWarning });
      if (this.#started) throw new ContainerStateError(this.id, 'cannot start an already started container');
      this.#started = true;
      await startLaunched(this.launched, { onWarning: this.runtime.onWarning });
    });
  }

  /**
   * Resolves when the process has ended. For a container this process made,
   * with its exit code or signal; for a loaded one (not our child, so its
   * status is not ours to read) both are null.
   */
  wait(opts: { signal?: AbortSignal } = {}): Promise<ExitResult> {
    this.#exit ??= this.#watchLoaded();
    return abortable(this.#exit, opts.signal);
  }

  async #watchLoaded(): Promise<ExitResult> {
    const c = LoadedContainer.load(this.runtime.root, this.id);
    const pidfd = c.openInit();
    c.release();
    if (pidfd !== null) {
      try {
        await native.waitReadable(pidfd);
      } finally {
        native.closeFd(pidfd);
      }
    }
    const result: ExitResult = { exitCode: null, signal: null, oomKilled: false };
    this.emit('exit', result);
    return result;
  }

  /** Signals the init (default SIGTERM), or with `all` every process in the container's cgroup. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM', opts: { all?: boolean } = {}): Promise<void> {
    const n = signalNumber(signal);
    return this.#serial(async () => {
      if (this.launched && !this.#started) this.#killedWith = n;
      await killContainer(this.runtime.root, this.id, n, opts);
    });
  }

  /** Removes the container: its state and cgroup. A running one only with `force` (it is killed first). */
  delete(opts: { force?: boolean } = {}): Promise<void> {
    return this.#serial(async () => {
      if (this.launched && !this.#started) this.#killedWith ??= 9;
      await deleteContainer(this.runtime.root, this.id, { force: opts.force, onWarning: this.runtime.onWarning });
      this.#deleted = true;
      this.runtime.forget(this.id);
      // Reap our child; its end is reported through wait() and the events.
      await this.#exit?.catch(() => {});
      this.stdin?.destroy();
    });
  }

  /** The state as `ociish state` prints it. */
  state(): Promise<State> {
    return this.#serial(async () => {
      const c = LoadedContainer.load(this.runtime.root, this.id);
      try {
        return c.state();
      } finally {
        c.release();
      }
    });
  }

  /** Resource usage from the container's cgroup (runc's `events --stats` shape). */
  stats(): Promise<CgroupStats> {
    return this.#serial(async () => {
      const c = LoadedContainer.load(this.runtime.root, this.id);
      try {
        c.require(['created', 'running', 'paused'], 'read stats');
        return c.cgroup.stats();
      } finally {
        c.release();
      }
    });
  }

  /** Freezes every process of the container. */
  pause(): Promise<void> {
    return this.#serial(() => pauseContainer(this.runtime.root, this.id));
  }

  resume(): Promise<void> {
    return this.#serial(() => resumeContainer(this.runtime.root, this.id));
  }

  /** New resource limits (linux.resources fields) for the live container. */
  update(resources: Resources): Promise<void> {
    return this.#serial(() => updateContainer(this.runtime.root, this.id, resources));
  }

  /**
   * Runs another process in the container, joined to its namespaces and
   * cgroup: the container's own process (user, env, cwd, capabilities...)
   * with the given fields instead, as `runc exec` does.
   */
  exec(process: ExecProcessSpec, opts: ExecOptions = {}): Promise<ExecProcess> {
    return this.#serial(async () => {
      opts.signal?.throwIfAborted();
      // Loaded when first used: they bring the validator, the planner and node:net (the CLI's start time).
      const [{ parseProcess }, { execInContainer }, { Stdio }] = await Promise.all([import('../spec'), import('../runtime/exec'), import('./stdio')]);
      let spec: Process;
      if (opts.inherit === false) {
        spec = parseProcess(process);
      } else {
        const c = LoadedContainer.load(this.runtime.root, this.id);
        const base = c.stored.config.process;
        c.release();
        spec = parseProcess({ ...base, terminal: false, ...process });
      }
      const stdio = new Stdio(opts.stdio);
      let proc: ContainerProcess | undefined;
      try {
        await execInContainer({
          root: this.runtime.root,
          id: this.id,
          process: spec,
          detach: opts.detach,
          stdio: stdio.childFds,
          pidFile: opts.pidFile,
          consoleSocket: opts.consoleSocket,
          pidfdSocket: opts.pidfdSocket,
          preservedFds: opts.preservedFds,
          seccompCacheDir: this.runtime.seccompCacheDir,
          onWarning: this.runtime.onWarning,
          onStart: (p) => (proc = p),
        });
      } catch (e) {
        stdio.destroy();
        throw e;
      }
      stdio.childStarted();
      return new ExecProcess(proc!, stdio, opts.signal, opts.detach ?? false);
    });
  }

  /** `await using c = await runtime.create(...)`: deleted (forced) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#deleted) await this.delete({ force: true });
  }
}
