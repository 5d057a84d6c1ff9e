/**
 * De-duplication memory for one logical stream. Ids are recorded in a fixed ring (cheap, no
 * hashing); duplicates can only arrive as a replay right after a (re)connect, so membership is
 * checked only inside a replay window, which ends at the first id not seen before.
 */
export class RecentIds {
  readonly #ring: (string | undefined)[];
  #next = 0;
  #window: Set<string> | undefined;

  /** @param limit - how many ids to remember. */
  constructor(limit: number) {
    this.#ring = new Array<string | undefined>(limit);
  }

  /** Opens a replay window: until an unseen id arrives, seen ids are reported as duplicates. */
  startReplay(): void {
    const window = new Set<string>();
    for (const id of this.#ring) if (id !== undefined) window.add(id);
    this.#window = window.size > 0 ? window : undefined;
  }

  /** Records `id`; returns `false` when it is a replayed duplicate. */
  add(id: string): boolean {
    if (this.#window !== undefined) {
      if (this.#window.has(id)) return false;
      this.#window = undefined;
    }
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ring.length;
    return true;
  }
}
