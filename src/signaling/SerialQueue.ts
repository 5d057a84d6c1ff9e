import type { Platform } from '../core/types.js';

/**
 * One job at a time, in order: the shape of both signaling queues (outgoing publishes, incoming
 * frames). A job that returns nothing runs synchronously, so a queue that is idle handles a pushed
 * item before `push` returns; a job that returns a promise holds the queue until it settles — or,
 * with a `deadline`, until the deadline of its oldest item passes: then the job is abandoned (its
 * signal aborts, its items reject) and the queue goes on, so nothing waits behind a hung job forever.
 */

/** How a batch ended: `done`, `failed` (the job threw or rejected) or `expired` (abandoned at its deadline). */
export type BatchOutcome = 'done' | 'failed' | 'expired';

/** Options of a {@link SerialQueue}. */
export interface SerialQueueOptions<T> {
  /** Runs one batch (at least one item). A returned promise holds the queue until it settles; `signal` aborts when the batch is abandoned. */
  readonly run: (batch: readonly T[], signal: AbortSignal) => Promise<void> | void;
  /** Whether `next` joins the batch that `head` starts (default: never, one item at a time). Only consecutive items batch. */
  readonly joins?: (head: T, next: T) => boolean;
  /** The longest an item may wait, from its push to the end of its batch (default: no bound). */
  readonly deadline?: Deadline;
  /** Called after every batch, with how it ended (`error`: what its items rejected with). */
  readonly onOutcome?: (outcome: BatchOutcome, error: unknown) => void;
}

/** The bound of every item of a {@link SerialQueue}. */
export interface Deadline {
  /** In ms. Past it, a waiting item is dropped and a batch in progress is abandoned. */
  readonly ms: number;
  readonly timers: Pick<Platform, 'setTimeout' | 'clearTimeout'>;
  /** The error an item past its deadline rejects with (`running`: its batch was in progress). */
  readonly expired: (running: boolean) => unknown;
}

interface Entry<T> {
  readonly value: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: unknown;
}

interface Running<T> {
  readonly entries: readonly Entry<T>[];
  readonly controller: AbortController;
  abandon: () => void;
}

/** A serial queue with optional batching of consecutive items and optional deadlines. */
export class SerialQueue<T> {
  readonly #options: SerialQueueOptions<T>;
  readonly #entries: Entry<T>[] = [];
  #running: Running<T> | undefined;
  #pumping = false;

  constructor(options: SerialQueueOptions<T>) {
    this.#options = options;
  }

  /**
   * Queues an item.
   * @returns a promise settled once the batch holding the item ran (rejected with what the job
   *   threw, or the deadline's error).
   */
  push(value: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Entry<T> = { value, resolve, reject, timer: undefined };
      const deadline = this.#options.deadline;
      if (deadline) entry.timer = deadline.timers.setTimeout(() => this.#expire(entry), deadline.ms);
      this.#entries.push(entry);
      void this.#pump();
    });
  }

  /** Drops the waiting items (their promises resolve); the batch in progress finishes. */
  clear(): void {
    for (const entry of this.#entries.splice(0)) this.#settle(entry, undefined, false);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#entries.length > 0) {
        const entries = this.#entries.splice(0, this.#batchLength());
        const controller = new AbortController();
        let outcome: BatchOutcome = 'done';
        let error: unknown;
        try {
          const work = this.#options.run(
            entries.map((entry) => entry.value),
            controller.signal,
          );
          if (work) {
            const running: Running<T> = { entries, controller, abandon: () => undefined };
            const abandoned = new Promise<'expired'>((resolve) => {
              running.abandon = () => resolve('expired');
            });
            this.#running = running;
            // A hung job's later rejection is handled by the race.
            outcome = await Promise.race([work.then(() => 'done' as const), abandoned]);
          }
        } catch (caught) {
          outcome = 'failed';
          error = caught;
        }
        this.#running = undefined;
        if (outcome === 'expired') error = this.#options.deadline?.expired(true);
        for (const entry of entries) this.#settle(entry, error, outcome !== 'done');
        this.#options.onOutcome?.(outcome, error);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #expire(entry: Entry<T>): void {
    entry.timer = undefined;
    const running = this.#running;
    if (running?.entries.includes(entry)) {
      running.controller.abort();
      running.abandon();
      return;
    }
    const index = this.#entries.indexOf(entry);
    if (index < 0) return;
    this.#entries.splice(index, 1);
    this.#settle(entry, this.#options.deadline?.expired(false), true);
  }

  #settle(entry: Entry<T>, error: unknown, failed: boolean): void {
    if (entry.timer !== undefined) this.#options.deadline?.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    if (failed) entry.reject(error);
    else entry.resolve();
  }

  #batchLength(): number {
    const joins = this.#options.joins;
    const head = this.#entries[0]!;
    let count = 1;
    if (joins) while (count < this.#entries.length && joins(head.value, this.#entries[count]!.value)) count++;
    return count;
  }
}
