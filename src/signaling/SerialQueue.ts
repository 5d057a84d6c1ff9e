/**
 * One job at a time, in order: the shape of both signaling queues (outgoing publishes, incoming
 * frames). A job that returns nothing runs synchronously, so a queue that is idle handles a pushed
 * item before `push` returns; a job that returns a promise holds the queue until it settles.
 */

/** Options of a {@link SerialQueue}. */
export interface SerialQueueOptions<T> {
  /** Runs one batch (at least one item). A returned promise holds the queue until it settles. */
  readonly run: (batch: readonly T[]) => Promise<void> | void;
  /** Whether `next` joins the batch that `head` starts (default: never, one item at a time). Only consecutive items batch. */
  readonly joins?: (head: T, next: T) => boolean;
}

interface Entry<T> {
  readonly value: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A serial queue with optional batching of consecutive items. */
export class SerialQueue<T> {
  readonly #options: SerialQueueOptions<T>;
  readonly #entries: Entry<T>[] = [];
  #pumping = false;

  constructor(options: SerialQueueOptions<T>) {
    this.#options = options;
  }

  /** Items waiting (not counting the batch in progress). */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Queues an item.
   * @returns a promise settled once the batch holding the item ran (rejected with what the job threw).
   */
  push(value: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#entries.push({ value, resolve, reject });
      void this.#pump();
    });
  }

  /** Drops the waiting items (their promises resolve); the batch in progress finishes. */
  clear(): void {
    for (const entry of this.#entries.splice(0)) entry.resolve();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#entries.length > 0) {
        const batch = this.#entries.splice(0, this.#batchLength());
        try {
          const work = this.#options.run(batch.map((entry) => entry.value));
          if (work) await work;
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #batchLength(): number {
    const joins = this.#options.joins;
    const head = this.#entries[0]!;
    let count = 1;
    if (joins) while (count < this.#entries.length && joins(head.value, this.#entries[count]!.value)) count++;
    return count;
  }
}
