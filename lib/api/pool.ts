// Pre-created containers: a pool keeps `size` containers of one source set
// up and waiting before execve, so that taking one and starting it costs
// only the release and the execve. Taken containers are replaced in the
// background, one at a time (creating is the expensive part: it should not
// crowd out the containers being started).
import { EventEmitter } from 'node:events';
import type { Container } from './container';
import type { ContainerSource, CreateOptions, Runtime } from './runtime';

export interface PoolOptions extends Omit<CreateOptions, 'signal'> {
  /** How many containers to keep waiting (default 4). */
  size?: number;
  /** Ids are `<idPrefix>-<n>`; default `pool-<pid>-<k>` (unique in this process). */
  idPrefix?: string;
}

export interface PoolEvents {
  /** A refill failed; the pool stops refilling until the next take(). */
  error: [error: Error];
}

let pools = 0;

export class ContainerPool extends EventEmitter<PoolEvents> implements AsyncDisposable {
  readonly size: number;
  readonly #idPrefix: string;
  readonly #waiting: Container[] = [];
  /** take() calls waiting for a container. */
  readonly #takers: { resolve: (c: Container) => void; reject: (e: Error) => void }[] = [];
  #next = 0;
  #filling: Promise<void> | null = null;
  #closed = false;
  #lastError: Error | null = null;

  /** @internal Use Runtime.pool(). */
  constructor(
    private readonly runtime: Runtime,
    private readonly source: ContainerSource,
    private readonly opts: PoolOptions,
  ) {
    super();
    this.size = opts.size ?? 4;
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`pool size must be a whole number ≥ 1, not ${opts.size}`);
    this.#idPrefix = opts.idPrefix ?? `pool-${process.pid}-${++pools}`;
    this.#fill();
  }

  /** Containers waiting to be taken. */
  get available(): number {
    return this.#waiting.length;
  }

  /** Resolves once `size` containers wait (rejects with a refill's error). */
  async ready(): Promise<void> {
    while (this.#waiting.length < this.size) {
      if (this.#lastError) throw this.#lastError;
      if (this.#closed) throw new Error('the pool is closed');
      await (this.#filling ?? this.#fill());
    }
  }

  /** A created container, waiting for start(); the pool refills behind it. It is the caller's to delete. */
  take(): Promise<Container> {
    if (this.#closed) return Promise.reject(new Error('the pool is closed'));
    this.#lastError = null;
    const c = this.#waiting.shift();
    const taken = c ? Promise.resolve(c) : new Promise<Container>((resolve, reject) => this.#takers.push({ resolve, reject }));
    this.#fill();
    return taken;
  }

  #fill(): Promise<void> {
    this.#filling ??= this.#refill().finally(() => (this.#filling = null));
    return this.#filling;
  }

  async #refill(): Promise<void> {
    while (!this.#closed && this.#waiting.length - this.#takers.length < this.size) {
      let c: Container;
      try {
        c = await this.runtime.create(`${this.#idPrefix}-${this.#next++}`, this.source, this.opts);
      } catch (e) {
        this.#lastError = e as Error;
        for (const t of this.#takers.splice(0)) t.reject(e as Error);
        if (this.listenerCount('error')) this.emit('error', e as Error);
        return;
      }
      if (this.#closed) {
        await c.delete({ force: true }).catch(() => {});
        return;
      }
      const taker = this.#takers.shift();
      if (taker) taker.resolve(c);
      else this.#waiting.push(c);
    }
  }

  /** Stops refilling and deletes the containers still waiting. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#takers.splice(0)) t.reject(new Error('the pool is closed'));
    await this.#filling;
    await Promise.all(this.#waiting.splice(0).map((c) => c.delete({ force: true }).catch(() => {})));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
