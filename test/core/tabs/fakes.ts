import type { TabChannel, TabLocks } from '../../../src/core/tabs/types.js';

interface Held {
  readonly owner: FakeLocks;
  readonly reject: (reason: unknown) => void;
}

interface Waiting {
  readonly owner: FakeLocks;
  readonly grant: () => void;
  readonly signal: AbortSignal | undefined;
}

/** The Web Locks of one browser profile: every tab's {@link FakeLocks} shares it. */
export class LockBroker {
  readonly #held = new Map<string, Held>();
  readonly #queues = new Map<string, Waiting[]>();
  readonly #answerDelay: number;

  /** @param answerDelay - ms before an `ifAvailable` request learns the lock is taken (a slow lock manager). */
  constructor(answerDelay = 0) {
    this.#answerDelay = answerDelay;
  }

  /**
   * The tab view of the broker (a tab's `navigator.locks`).
   * @param requestDelay - ms before this tab's requests reach the broker: in a browser the lock manager
   * and `BroadcastChannel` are separate services, so a tab's message may arrive before its lock request.
   */
  tab(requestDelay = 0): FakeLocks {
    return new FakeLocks(this, requestDelay);
  }

  /** Whether `name` is held. */
  isHeld(name: string): boolean {
    return this.#held.has(name);
  }

  /** Names held, for assertions. */
  heldNames(): string[] {
    return [...this.#held.keys()];
  }

  /** Requests still waiting for a lock, for assertions. */
  waiting(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  request(owner: FakeLocks, name: string, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new DOMException('aborted', 'AbortError'));
        return;
      }
      const run = () => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          if (this.#held.get(name)?.owner === owner && this.#held.get(name)?.reject === rejectHeld) this.#release(name);
        };
        const rejectHeld = (reason: unknown) => {
          done = true;
          reject(reason);
        };
        this.#held.set(name, { owner, reject: rejectHeld });
        Promise.resolve()
          .then(() => callback({ name }))
          .then(
            (value) => {
              if (!done) resolve(value);
              finish();
            },
            (error: unknown) => {
              if (!done) reject(error);
              finish();
            },
          );
      };
      const held = this.#held.get(name);
      if (options.steal) {
        if (held) {
          this.#held.delete(name);
          held.reject(new DOMException('stolen', 'AbortError'));
        }
        run();
        return;
      }
      if (options.ifAvailable && (held || (this.#queues.get(name)?.length ?? 0) > 0)) {
        new Promise((later) => (this.#answerDelay > 0 ? setTimeout(later, this.#answerDelay) : later(undefined)))
          .then(() => callback(null))
          .then(resolve, reject);
        return;
      }
      if (!held) {
        run();
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      const waiting: Waiting = { owner, grant: run, signal: options.signal };
      queue.push(waiting);
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(waiting);
        if (index < 0) return;
        queue.splice(index, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  }

  /** A crashed tab: every lock it holds is released and its queued requests vanish (no callback runs). */
  crash(owner: FakeLocks): void {
    for (const queue of this.#queues.values()) for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.owner === owner) queue.splice(i, 1);
    for (const [name, held] of [...this.#held]) if (held.owner === owner) this.#release(name);
  }

  #release(name: string): void {
    this.#held.delete(name);
    const queue = this.#queues.get(name);
    const next = queue?.shift();
    next?.grant();
  }
}

/** One tab's `navigator.locks` over a shared {@link LockBroker}. */
export class FakeLocks implements TabLocks {
  readonly #broker: LockBroker;
  readonly #delay: number;
  constructor(broker: LockBroker, delay = 0) {
    this.#broker = broker;
    this.#delay = delay;
  }
  request(name: string, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown> {
    if (this.#delay === 0) return this.#broker.request(this, name, options, callback);
    return new Promise((resolve) => setTimeout(resolve, this.#delay)).then(() => this.#broker.request(this, name, options, callback));
  }
}

/** `BroadcastChannel` between the tabs of one browser: delivery to the other channels of the same name, in order, as a task. */
export class ChannelBus {
  readonly #channels = new Set<FakeChannel>();
  /** Messages posted, for assertions. */
  readonly posted: unknown[] = [];

  open(name: string): FakeChannel {
    const channel = new FakeChannel(this, name);
    this.#channels.add(channel);
    return channel;
  }

  post(from: FakeChannel, message: unknown): void {
    this.posted.push(message);
    const copy = structuredClone(message);
    for (const channel of this.#channels) {
      if (channel !== from && channel.name === from.name) channel.enqueue(copy);
    }
  }

  remove(channel: FakeChannel): void {
    this.#channels.delete(channel);
  }
}

export class FakeChannel implements TabChannel {
  readonly name: string;
  readonly #bus: ChannelBus;
  readonly #listeners = new Set<(event: { readonly data: unknown }) => void>();
  #closed = false;
  constructor(bus: ChannelBus, name: string) {
    this.#bus = bus;
    this.name = name;
  }
  postMessage(message: unknown): void {
    if (this.#closed) throw new DOMException('closed', 'InvalidStateError');
    this.#bus.post(this, message);
  }
  addEventListener(_type: 'message', listener: (event: { readonly data: unknown }) => void): void {
    this.#listeners.add(listener);
  }
  close(): void {
    this.#closed = true;
    this.#bus.remove(this);
  }
  readonly #inbox: unknown[] = [];

  /** Queues a message; messages are delivered in the order they were posted, each as a task. */
  enqueue(data: unknown): void {
    this.#inbox.push(data);
    setTimeout(() => this.#deliverOne(), 0);
  }

  #deliverOne(): void {
    if (this.#inbox.length === 0 || this.#closed) return;
    const data = this.#inbox.shift();
    for (const listener of this.#listeners) listener({ data });
  }
}
