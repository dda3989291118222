// The programmatic API's entry point: a state root, and the containers this
// process creates, runs and loads under it. No runtime binary is spawned:
// each container's init is cloned from this process by the native addon.
// The CLI is a layer over this class too (lib/cli/commands): what each verb
// does lives once, in lib/runtime/<verb>.ts.
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { native } from '../native';
import { LoadedContainer } from '../runtime/container';
import { deleteContainer } from '../runtime/delete';
import { DEFAULT_ROOT, StateDir, type State } from '../runtime/state';
import type { Spec } from '../spec';
import { Container, type RuntimeContext } from './container';
import { exitResult, killedByOom, signalNumber, type ExitResult } from './exit';
import { ContainerPool, type PoolOptions } from './pool';
import type { StdioOption } from './stdio';

export interface RuntimeOptions {
  /** Where container state lives (as the CLI's --root); default /run/ociish, so that `ociish list` sees these containers. */
  root?: string;
  /** Keep compiled seccomp programs in this directory across processes; default: in memory only. */
  seccompCacheDir?: string;
  /** Warnings (unknown capabilities, a cleanup that failed...); default: none are shown. */
  onWarning?: (message: string) => void;
}

/** A bundle directory holding config.json, or a config object (validated here) with the bundle its relative paths start from. */
export type ContainerSource = { bundle: string } | { spec: Spec | object; bundle: string };

export interface CreateOptions {
  /** The container's stdin, stdout, stderr: 'inherit' (default), 'ignore', 'pipe' (streams on the Container) or fds. */
  stdio?: StdioOption;
  /** false: no cgroup of its own (faster; no linux.resources or cgroupsPath then): its processes stay in this process's cgroups. */
  cgroup?: boolean;
  /** Keep this process's session keyring instead of a new one named after the container. */
  noNewKeyring?: boolean;
  /** With process.terminal: takes the pty master (closed once this returns: dup it to keep it). */
  onConsole?: (fd: number, ptsIndex: number) => void;
  /** With process.terminal: where the pty master goes (SCM_RIGHTS), as runc's --console-socket. */
  consoleSocket?: string;
  /** Pass this many fds after stdio (3, 4, ...) on to the container's process. */
  preservedFds?: number;
  /** Aborting while the container is being created removes what was made and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The init waits on a fifo in the state dir, in memory of its own, and
   * outlives this process: any process (`ociish start`) may start it, and
   * its exit status is not this process's to read (as `ociish create`).
   */
  detached?: boolean;
  /** detached: write the init's pid here (atomically) before create resolves. */
  pidFile?: string;
  /** detached: send a pidfd of the init to this unix socket, as runc's --pidfd-socket. */
  pidfdSocket?: string;
}

/** The running process of run(), for what a caller does while it runs (forward signals, write a pid file). */
export interface RunningProcess {
  readonly pid: number;
  kill(signal?: NodeJS.Signals | number): void;
}

export interface RunOptions extends Omit<CreateOptions, 'detached' | 'pidFile' | 'pidfdSocket'> {
  /** With stdin 'pipe': written to the process's stdin, which is then closed. */
  input?: string | Buffer;
  /** Aborting kills the running container (SIGKILL), removes it and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Keep the stopped container (state and cgroup) for a later delete, as runc's run --keep. */
  keep?: boolean;
  /** Called once the process runs. */
  onStart?: (process: RunningProcess) => void;
}

/** How run()'s process ended, and what it wrote to stdout and stderr where they were 'pipe' ('' otherwise). */
export interface RunResult extends ExitResult {
  stdout: string;
  stderr: string;
}

export class Runtime implements AsyncDisposable {
  readonly root: string;
  readonly #context: RuntimeContext;
  /** The containers this Runtime created and has not deleted yet. */
  readonly #owned = new Map<string, Container>();

  constructor(opts: RuntimeOptions = {}) {
    this.root = path.resolve(opts.root ?? DEFAULT_ROOT);
    this.#context = {
      root: this.root,
      seccompCacheDir: opts.seccompCacheDir,
      onWarning: opts.onWarning,
      forget: (id) => this.#owned.delete(id),
    };
  }

  /**
   * Creates a container and leaves its process set up and waiting just
   * before execve (namespaces, mounts, cgroup, pivot_root, user, seccomp: all
   * done), until start(). Unless detached, it waits in this process's
   * memory: start or delete it before this process exits.
   */
  async create(id: string, source: ContainerSource, opts: CreateOptions = {}): Promise<Container> {
    opts.signal?.throwIfAborted();
    const { spec, bundle } = await resolveSource(source);
    if (opts.detached) return this.#createDetached(id, spec, bundle, opts);
    // Loaded on first use: the planner, cgroups and node:net are not every command's.
    const [{ launch }, { Stdio }] = await Promise.all([import('../runtime/launch'), import('./stdio')]);
    const stdio = new Stdio(opts.stdio);
    let launched;
    try {
      launched = await launch({ ...this.#launchOptions(id, spec, bundle, opts), barrier: 'socket', stdio: stdio.childFds });
    } catch (e) {
      stdio.destroy();
      throw e;
    }
    stdio.childStarted();
    launched.state.unlock();
    const container = new Container(id, this.#context, launched, stdio);
    this.#owned.set(id, container);
    if (opts.signal?.aborted) {
      await container.delete({ force: true });
      throw opts.signal.reason;
    }
    return container;
  }

  async #createDetached(id: string, spec: Spec, bundle: string, opts: CreateOptions): Promise<Container> {
    if (opts.stdio !== undefined && opts.stdio !== 'inherit') throw new TypeError('a detached container inherits this process\'s stdio (no stdio option)');
    if (opts.cgroup === false) throw new TypeError('a detached container has a cgroup of its own (no cgroup: false)');
    const { createContainer } = await import('../runtime/create');
    const { pid } = await createContainer({
      ...this.#launchOptions(id, spec, bundle, opts),
      pidFile: opts.pidFile,
      pidfdSocket: opts.pidfdSocket,
    });
    const container = new Container(id, this.#context, null, null, pid);
    if (opts.signal?.aborted) {
      await container.delete({ force: true });
      throw opts.signal.reason;
    }
    return container;
  }

  /**
   * Creates, starts and waits for a container, then deletes it: the result
   * is how its process ended, with its output where stdout or stderr is 'pipe'.
   */
  async run(id: string, source: ContainerSource, opts: RunOptions = {}): Promise<RunResult> {
    const { spec, bundle } = await resolveSource(source);
    const [{ runContainer }, { Stdio }] = await Promise.all([import('../runtime/run'), import('./stdio')]);
    const stdio = new Stdio(opts.stdio);
    const output = Promise.all([collect(stdio.stdout), collect(stdio.stderr)]);
    let oomKilled = false;
    try {
      const status = await runContainer({
        ...this.#launchOptions(id, spec, bundle, opts),
        stdio: stdio.childFds,
        signal: opts.signal,
        keep: opts.keep,
        onStart: (proc) => {
          stdio.childStarted();
          stdio.stdin?.on('error', () => {}).end(opts.input ?? '');
          opts.onStart?.({ pid: proc.pid, kill: (signal = 'SIGTERM') => native.pidfdSendSignal(proc.pidfd, signalNumber(signal)) });
        },
        onExit: (status, cgroup) => (oomKilled = killedByOom(status, () => cgroup.oomKills())),
      });
      const [stdout, stderr] = await output;
      return { ...exitResult(status, oomKilled), stdout, stderr };
    } catch (e) {
      stdio.destroy();
      throw e;
    }
  }

  #launchOptions(id: string, spec: Spec, bundle: string, opts: CreateOptions) {
    return {
      root: this.root,
      id,
      bundle,
      spec,
      cgroup: opts.cgroup,
      noNewKeyring: opts.noNewKeyring,
      onConsole: opts.onConsole,
      consoleSocket: opts.consoleSocket,
      preservedFds: opts.preservedFds,
      seccompCacheDir: this.#context.seccompCacheDir,
      onWarning: this.#context.onWarning,
    };
  }

  /** A container by id: the one this Runtime created, or one from the state root (e.g. made by `ociish create`). */
  async load(id: string): Promise<Container> {
    const own = this.#owned.get(id);
    if (own) return own;
    const c = LoadedContainer.load(this.root, id);
    try {
      return new Container(id, this.#context, null, null, c.stored.pid);
    } finally {
      c.release();
    }
  }

  /**
   * Deletes a container by id, as `ociish delete`: with `force` a running
   * one is killed first, and an unknown id (or a directory a killed create
   * left without state) is not an error.
   */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const own = this.#owned.get(id);
    if (own) return own.delete(opts);
    await deleteContainer(this.root, id, { force: opts.force, onWarning: this.#context.onWarning });
  }

  /** The state of every container under the root, as `ociish list` shows them. */
  async list(): Promise<State[]> {
    const out: State[] = [];
    for (const id of StateDir.ids(this.root)) {
      let c: LoadedContainer;
      try {
        c = LoadedContainer.load(this.root, id);
      } catch {
        continue; // deleted meanwhile
      }
      try {
        out.push(c.state());
      } finally {
        c.release();
      }
    }
    return out;
  }

  /** Keeps `size` containers created from one source waiting, refilled in the background as they are taken. */
  pool(source: ContainerSource, opts: PoolOptions = {}): ContainerPool {
    return new ContainerPool(this, source, opts);
  }

  /** Deletes (forced) every container this Runtime created and still has. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([...this.#owned.values()].map((c) => c.delete({ force: true }).catch(() => {})));
  }
}

async function resolveSource(source: ContainerSource): Promise<{ spec: Spec; bundle: string }> {
  if (!source || typeof source !== 'object' || typeof source.bundle !== 'string') {
    throw new TypeError('a container source is { bundle } or { spec, bundle }');
  }
  const { loadBundleConfig, parseConfig } = await import('../spec');
  const bundle = path.resolve(source.bundle);
  if ('spec' in source) {
    if (!source.spec || typeof source.spec !== 'object') throw new ConfigError('', 'spec must be a config.json object');
    return { spec: parseConfig(source.spec), bundle };
  }
  return { spec: loadBundleConfig(bundle), bundle };
}

/** A stream's whole content as text ('' without a stream). */
function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}
