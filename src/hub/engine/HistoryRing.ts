import type { HistoryPage, HubUpdate } from './types.js';

/** The most updates a history ring can keep (the longest array JavaScript allows). */
export const MAX_HISTORY = 2 ** 32 - 1;

/**
 * The last `capacity` updates, oldest first, with lookup by id. Memory stays bounded: the
 * oldest update is forgotten when a new one arrives at capacity.
 */
export class HistoryRing {
  readonly #capacity: number;
  readonly #slots: (HubUpdate | undefined)[];
  /** Sequence number of every retained id. */
  readonly #seqById = new Map<string, number>();
  /** Sequence number the next update gets; the slot is `seq % capacity`. */
  #next = 0;
  /** The newest update forgotten to make room (sequence number `firstSeq - 1`). */
  #forgotten: HubUpdate | undefined;

  /**
   * @param capacity - how many updates to keep; 0 keeps none.
   * @throws RangeError when `capacity` is above {@link MAX_HISTORY} (or not a number).
   */
  constructor(capacity: number) {
    if (!(capacity <= MAX_HISTORY)) throw new RangeError(`history must be at most ${MAX_HISTORY} updates; got ${capacity}.`);
    this.#capacity = Math.max(0, Math.floor(capacity));
    this.#slots = new Array<HubUpdate | undefined>(this.#capacity);
  }

  /** How many updates the ring can hold. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many updates it holds. */
  get size(): number {
    return Math.min(this.#next, this.#capacity);
  }

  /** The id of the newest update, if any. */
  get lastId(): string | undefined {
    return this.#capacity === 0 || this.#next === 0 ? undefined : this.#slots[(this.#next - 1) % this.#capacity]?.id;
  }

  /** Stores an update, forgetting the oldest one at capacity. */
  push(update: HubUpdate): void {
    if (this.#capacity === 0) return;
    const slot = this.#next % this.#capacity;
    const evicted = this.#slots[slot];
    if (evicted) {
      if (this.#seqById.get(evicted.id) === this.#next - this.#capacity) this.#seqById.delete(evicted.id);
      this.#forgotten = evicted;
    }
    this.#slots[slot] = update;
    this.#seqById.set(update.id, this.#next);
    this.#next++;
  }

  /** Whether an update with this id is retained. */
  has(id: string): boolean {
    return this.#seqById.has(id);
  }

  /** The retained update with this id, if any. */
  get(id: string): HubUpdate | undefined {
    const seq = this.#seqById.get(id);
    return seq === undefined ? undefined : this.#slots[seq % this.#capacity];
  }

  /**
   * Position of an id for {@link HistoryRing.after} and {@link HistoryRing.before}.
   * @returns the sequence number, or `undefined` when the id is not retained.
   */
  seqOf(id: string): number | undefined {
    return this.#seqById.get(id);
  }

  /** Sequence number of the oldest retained update. */
  get firstSeq(): number {
    return Math.max(0, this.#next - this.#capacity);
  }

  /**
   * The newest update forgotten to make room: its sequence number is {@link HistoryRing.firstSeq}
   * − 1, so every update after it is retained and a resume from it loses nothing.
   */
  get lastForgotten(): HubUpdate | undefined {
    return this.#forgotten;
  }

  /** Retained updates with a sequence number greater than `seq`, oldest first. */
  *after(seq: number): Generator<HubUpdate> {
    for (let s = Math.max(seq + 1, this.firstSeq); s < this.#next; s++) {
      const update = this.#slots[s % this.#capacity];
      if (update) yield update;
    }
  }

  /**
   * A page of history for a progressive replay: at most `limit` retained updates following the
   * update `after` (from the oldest retained one when `after` is `undefined`), oldest first.
   * `lost` is set when `after` is no longer retained: what followed it may have been forgotten.
   */
  readAfter(after: string | undefined, limit: number): HistoryPage {
    let from = this.firstSeq;
    if (after !== undefined) {
      const seq = this.#seqById.get(after);
      if (seq === undefined) return { updates: [], lost: true };
      from = seq + 1;
    }
    const updates: HubUpdate[] = [];
    for (let s = from; s < this.#next && updates.length < limit; s++) {
      const update = this.#slots[s % this.#capacity];
      if (update) updates.push(update);
    }
    return { updates, lost: false };
  }

  /** Retained updates with a sequence number up to `seq` included, newest first, at most `limit`. */
  *backwardFrom(seq: number, limit: number): Generator<HubUpdate> {
    const stop = Math.max(this.firstSeq, seq - limit + 1);
    for (let s = Math.min(seq, this.#next - 1); s >= stop; s--) {
      const update = this.#slots[s % this.#capacity];
      if (update) yield update;
    }
  }

  /** Every retained update, oldest first. */
  toArray(): HubUpdate[] {
    return [...this.after(-1)];
  }

  /** Forgets everything. */
  clear(): void {
    this.#slots.fill(undefined);
    this.#seqById.clear();
    this.#next = 0;
    this.#forgotten = undefined;
  }
}
