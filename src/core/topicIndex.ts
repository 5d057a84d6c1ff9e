import { tailHash } from './tailHash.js';

/** Code units at the end of a topic the index hashes. */
const TAIL = 8;
/** A probe run this long (the table is at most a quarter full) means topics share their end: the index uses the `Map`. */
const LONG_RUN = 8;

/** A topic, its value and its hash, at its probe position. */
type Slot<V> = readonly [topic: string, value: V, hash: number] | undefined;

/**
 * Exact topics → value, looked up for every update. A `Map` would hash the whole topic, a fresh slice
 * of the event's data, on every lookup (see {@link tailHash}); this index hashes its length and end,
 * then compares one candidate. Topics that share their end (`…/1/messages`, `…/2/messages`) would
 * crowd one probe run: for such a set it looks them up in the `Map` it keeps anyway. After a change
 * lookups read the `Map` until they are as many as the topics, then the table is rebuilt: what a
 * rebuild costs is paid by that many lookups, so subscribing topics one by one while updates flow
 * stays linear (subscriptions change seldom, updates arrive often).
 */
export class TopicIndex<V> {
  readonly #map = new Map<string, V>();
  /** The open-addressing table; `undefined` from a change until it is rebuilt, `null` when the `Map` is used. */
  #table: Slot<V>[] | null | undefined = [undefined];
  /** Lookups since the last change (while `#table` is `undefined`). */
  #sinceChange = 0;

  /** The value of `topic`, read in the `Map` (what changing the index reads: no rebuild). */
  peek(topic: string): V | undefined {
    return this.#map.get(topic);
  }

  /** The value of `topic`, through the table (or the `Map`, for a while after a change). */
  get(topic: string): V | undefined {
    let table = this.#table;
    if (table === undefined) table = ++this.#sinceChange < this.#map.size ? null : this.#build();
    if (table === null) return this.#map.get(topic);
    const hash = tailHash(topic, TAIL);
    const mask = table.length - 1;
    for (let at = hash & mask, slot = table[at]; slot !== undefined; at = (at + 1) & mask, slot = table[at]) {
      if (slot[2] === hash && slot[0] === topic) return slot[1];
    }
    return undefined;
  }

  set(topic: string, value: V): void {
    this.#map.set(topic, value);
    this.#changed();
  }

  delete(topic: string): void {
    if (this.#map.delete(topic)) this.#changed();
  }

  #changed(): void {
    this.#table = undefined;
    this.#sinceChange = 0;
  }

  #build(): Slot<V>[] | null {
    let size = 8;
    while (size < this.#map.size * 4) size *= 2;
    const table = new Array<Slot<V>>(size).fill(undefined);
    for (const [topic, value] of this.#map) {
      const hash = tailHash(topic, TAIL);
      let at = hash & (size - 1);
      for (let run = 0; table[at] !== undefined; run++) {
        if (run === LONG_RUN) return (this.#table = null);
        at = (at + 1) & (size - 1);
      }
      table[at] = [topic, value, hash];
    }
    return (this.#table = table);
  }
}
