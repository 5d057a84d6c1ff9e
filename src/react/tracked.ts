/**
 * Which fields of a hook result a component read. A store asks {@link Tracker.changed} before
 * making a new result, so a component re-renders only when something it read changed (after
 * TanStack Query's tracked results). Reading a field during any render tracks it from then on.
 */
export class Tracker<S extends object> {
  readonly #read = new Set<keyof S>();

  /** Whether a field read so far differs between `a` and `b`. */
  changed(a: S, b: S): boolean {
    for (const key of this.#read) if (!Object.is(a[key], b[key])) return true;
    return false;
  }

  /**
   * Adds to `target` an enumerable getter for each of `keys`, returning `source[key]` and tracking
   * the read.
   */
  define<R extends object, K extends keyof S>(target: R, source: S, keys: readonly K[]): R & Pick<S, K> {
    for (const key of keys) {
      Object.defineProperty(target, key, {
        enumerable: true,
        get: () => {
          this.#read.add(key);
          return source[key];
        },
      });
    }
    return target as R & Pick<S, K>;
  }
}
