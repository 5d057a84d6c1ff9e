/** A bounded set of recently seen ids (insertion-ordered, oldest evicted first). */
export class RecentIds {
  readonly #limit: number;
  readonly #ids = new Set<string>();

  /** @param limit - how many ids to remember. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records `id`; returns `false` when it was already seen. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#limit) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
