import { tailHash } from './tailHash.js';

/** Code units at the end of a key the hash reads at first. */
const TAIL = 8;
/** Reads every code unit. */
const WHOLE = 0x3fffffff;
/** A probe run this long (at most a quarter full, random hashes make it vanishingly rare) means keys share their end. */
const LONG_RUN = 24;

/**
 * De-duplication memory for one logical stream (the main one, or one dedicated matcher set).
 *
 * Every delivery key is recorded in a fixed ring. Keys are checked only where a duplicate can occur:
 * - **replay**: a stream opened with a cursor re-sends what was recorded after that cursor. The
 *   window holds those keys and closes once the newest of them came back, or after a ring's worth
 *   of events (a key whose topic left the matcher set never comes back);
 * - **overlap**: while an old stream drains beside its successor, both deliver the same updates,
 *   so every key recorded meanwhile joins the window;
 * - **sse-kit messages** (`always`): a publisher's retry that a hub dispatched twice carries the same
 *   message id at any time, so these keys are checked on every message. They are indexed by an
 *   open-addressing hash table over the ring's slots (linear probing, at most a quarter full, hashes
 *   kept beside the ring): a check and a record cost O(1) and allocate nothing. The hash reads only
 *   the end of a key (where message ids differ: the random end of a uuid, a counter) until a long
 *   probe run shows keys that share their end; from then on it reads whole keys.
 */
export class RecentIds {
  readonly #ring: (string | undefined)[];
  /** Hash of the `always` key in each ring slot (meaningful where `#indexed` is set). */
  readonly #hashes: Int32Array;
  /** Whether the ring slot holds an `always` key, i.e. is in the index. */
  readonly #indexed: Uint8Array;
  /** Ring slot + 1 of each indexed key at its probe position; 0 is an empty position. */
  readonly #index: Int32Array;
  readonly #mask: number;
  /** How many code units at the end of a key the hash reads (every one once keys shared their end). */
  #hashed = TAIL;
  #next = 0;
  #window: Set<string> | undefined;
  /** The newest key in the replay window: once it came back, the replay is over. */
  #windowEnd: string | undefined;
  #budget = 0;
  #overlap = false;

  /** @param limit - how many keys to remember. */
  constructor(limit: number) {
    this.#ring = new Array<string | undefined>(limit).fill(undefined);
    this.#hashes = new Int32Array(limit);
    this.#indexed = new Uint8Array(limit);
    let size = 8;
    while (size < limit * 4) size *= 2;
    this.#index = new Int32Array(size);
    this.#mask = size - 1;
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
    let hash = 0;
    if (always) {
      hash = tailHash(key, this.#hashed);
      if (this.#has(key, hash)) return false;
    }
    const slot = this.#next;
    if (this.#indexed[slot] === 1) this.#unindex(slot);
    this.#ring[slot] = key;
    if (always) {
      this.#hashes[slot] = hash;
      this.#indexed[slot] = 1;
      if (this.#insert(slot, hash) > LONG_RUN && this.#hashed !== WHOLE) this.#widen();
    } else {
      this.#indexed[slot] = 0;
    }
    this.#next = slot + 1 === this.#ring.length ? 0 : slot + 1;
    if (this.#overlap && window !== undefined) {
      window.add(key);
      this.#windowEnd = key;
    }
    return true;
  }

  /** Puts ring slot `slot` in the index at its hash; returns how many taken positions it passed. */
  #insert(slot: number, hash: number): number {
    const index = this.#index;
    const mask = this.#mask;
    let at = hash & mask;
    let run = 0;
    for (; index[at] !== 0; run++) at = (at + 1) & mask;
    index[at] = slot + 1;
    return run;
  }

  /** Keys share their end (a long probe run): the hash reads whole keys from now on, and the index is rebuilt. */
  #widen(): void {
    this.#hashed = WHOLE;
    this.#index.fill(0);
    for (let slot = 0; slot < this.#ring.length; slot++) {
      if (this.#indexed[slot] !== 1) continue;
      const hash = tailHash(this.#ring[slot] ?? '', WHOLE);
      this.#hashes[slot] = hash;
      this.#insert(slot, hash);
    }
  }

  #has(key: string, hash: number): boolean {
    const index = this.#index;
    const mask = this.#mask;
    for (let at = hash & mask, entry = index[at] ?? 0; entry !== 0; at = (at + 1) & mask, entry = index[at] ?? 0) {
      if (this.#hashes[entry - 1] === hash && this.#ring[entry - 1] === key) return true;
    }
    return false;
  }

  /** Removes the ring slot's key from the index, shifting back the entries probed past it. */
  #unindex(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let hole = (this.#hashes[slot] ?? 0) & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask, entry = index[at] ?? 0; entry !== 0; at = (at + 1) & mask, entry = index[at] ?? 0) {
      const home = (this.#hashes[entry - 1] ?? 0) & mask;
      // An entry stays when its home lies cyclically in (hole, at]; otherwise it moves into the hole.
      const stays = hole <= at ? hole < home && home <= at : hole < home || home <= at;
      if (stays) continue;
      index[hole] = entry;
      hole = at;
    }
    index[hole] = 0;
  }
}
