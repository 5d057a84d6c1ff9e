/**
 * De-duplication memory for one logical stream (the main one, or one dedicated matcher set).
 *
 * Every delivery key is recorded in a fixed ring. Checking a key costs a hash lookup, which on a
 * busy stream costs more than parsing the event, so keys are checked only where a duplicate can
 * occur:
 * - **replay**: a stream opened with a cursor re-sends what was recorded after that cursor. The
 *   window holds those keys and closes once the newest of them came back, or after a ring's worth
 *   of events (a key whose topic left the matcher set never comes back);
 * - **overlap**: while an old stream drains beside its successor, both deliver the same updates,
 *   so every key recorded meanwhile joins the window;
 * - **sse-kit messages** (`always`): a publisher's retry that a hub dispatched twice carries the same
 *   message id at any time. Such events are JSON-decoded anyway, so their check is cheap in
 *   comparison, and it is always on.
 */
export class RecentIds {
  readonly #ring: (string | undefined)[];
  /** Whether the ring slot holds an `always` key (so eviction knows to forget it). */
  readonly #alwaysSlot: boolean[];
  readonly #always = new Set<string>();
  #next = 0;
  #window: Set<string> | undefined;
  /** The newest key in the replay window: once it came back, the replay is over. */
  #windowEnd: string | undefined;
  #budget = 0;
  #overlap = false;

  /** @param limit - how many keys to remember. */
  constructor(limit: number) {
    this.#ring = new Array<string | undefined>(limit);
    this.#alwaysSlot = new Array<boolean>(limit).fill(false);
  }

  /**
   * Opens a replay window with the keys recorded after `cursor` (every remembered key when `cursor`
   * is not among them).
   */
  startReplay(cursor: string | undefined): void {
    const size = this.#ring.length;
    const window = this.#overlap && this.#window ? this.#window : new Set<string>();
    let newest: string | undefined;
    for (let back = 1; back <= size; back++) {
      const key = this.#ring[(this.#next - back + size) % size];
      if (key === undefined || key === cursor) break;
      newest ??= key;
      window.add(key);
    }
    this.#window = window.size > 0 || this.#overlap ? window : undefined;
    this.#windowEnd = newest ?? this.#windowEnd;
    this.#budget = size;
  }

  /** Two streams deliver at once from now on: every key recorded joins the window. */
  beginOverlap(): void {
    this.#overlap = true;
    this.#window ??= new Set();
    this.#budget = this.#ring.length;
  }

  /** Only one stream delivers again; the window stays until its newest key came back. */
  endOverlap(): void {
    this.#overlap = false;
    if (this.#window?.size === 0) this.#window = undefined;
  }

  /**
   * Records `key`; returns `false` when it is a duplicate.
   * @param always - check it even outside a window (sse-kit message ids).
   */
  add(key: string, always: boolean): boolean {
    const window = this.#window;
    if (window !== undefined) {
      if (window.has(key)) {
        if (key === this.#windowEnd && !this.#overlap) this.#window = undefined;
        return false;
      }
      if (!this.#overlap && --this.#budget <= 0) this.#window = undefined;
    }
    if (always && this.#always.has(key)) return false;
    const slot = this.#next;
    const evicted = this.#ring[slot];
    if (evicted !== undefined && this.#alwaysSlot[slot]) this.#always.delete(evicted);
    this.#ring[slot] = key;
    this.#alwaysSlot[slot] = always;
    if (always) this.#always.add(key);
    this.#next = (slot + 1) % this.#ring.length;
    if (this.#overlap && window !== undefined) {
      window.add(key);
      this.#windowEnd = key;
    }
    return true;
  }
}
