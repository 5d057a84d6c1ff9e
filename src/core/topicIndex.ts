import { tailHash } from './tailHash.js';

/** Code units at the end of a topic the index hashes. */
const TAIL = 8;
/** A probe run this long (the table is at most a quarter full) means topics share their end: the index uses a `Map`. */
const LONG_RUN = 8;

/**
 * Exact topics → value, looked up for every update. A `Map` would hash the whole topic, a fresh slice
 * of the event's data, on every lookup (see {@link tailHash}); this index hashes its length and end,
 * then compares one candidate. Topics that share their end (`…/1/messages`, `…/2/messages`) would
 * crowd one probe run: for such a set it looks them up in the `Map` it keeps anyway. The table is
 * rebuilt at the first lookup after a change (subscriptions change seldom, updates arrive often).
 */
export class TopicIndex<V> {
  readonly #map = new Map<string, V>();
  #keys: string[] = [];
  #values: V[] = [];
  #hashes = new Int32Array(0);
  /** Entry + 1 at each probe position; 0 is an empty position. */
  #table = new Int32Array(1);
  #mask = 0;
  /** The table matches the map. */
  #built = true;
  /** The table is in use (the topics differ in their ends). */
  #fast = true;

  /** The value of `topic`, read in the `Map` (what changing the index reads: no rebuild). */
  peek(topic: string): V | undefined {
    return this.#map.get(topic);
  }

  /** The value of `topic`, through the table (rebuilt first after a change). */
  get(topic: string): V | undefined {
    if (!this.#built) this.#build();
    if (!this.#fast) return this.#map.get(topic);
    const hash = tailHash(topic, TAIL);
    const table = this.#table;
    const mask = this.#mask;
    for (let at = hash & mask, entry = table[at] ?? 0; entry !== 0; at = (at + 1) & mask, entry = table[at] ?? 0) {
      if (this.#hashes[entry - 1] === hash && this.#keys[entry - 1] === topic) return this.#values[entry - 1];
    }
    return undefined;
  }

  has(topic: string): boolean {
    return this.get(topic) !== undefined;
  }

  set(topic: string, value: V): void {
    this.#map.set(topic, value);
    this.#built = false;
  }

  delete(topic: string): void {
    if (this.#map.delete(topic)) this.#built = false;
  }

  #build(): void {
    this.#built = true;
    this.#keys = [...this.#map.keys()];
    this.#values = [...this.#map.values()];
    const count = this.#keys.length;
    let size = 8;
    while (size < count * 4) size *= 2;
    const table = new Int32Array(size);
    const hashes = new Int32Array(count);
    const mask = size - 1;
    let fast = true;
    for (let i = 0; i < count && fast; i++) {
      const hash = tailHash(this.#keys[i] ?? '', TAIL);
      hashes[i] = hash;
      let at = hash & mask;
      for (let run = 0; table[at] !== 0; run++) {
        if (run === LONG_RUN) fast = false;
        at = (at + 1) & mask;
      }
      table[at] = i + 1;
    }
    this.#table = table;
    this.#hashes = hashes;
    this.#mask = mask;
    this.#fast = fast;
  }
}
