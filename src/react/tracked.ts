/**
 * Which fields of a hook result a component read. A store asks {@link Tracker.changed} before
 * making a new result, so a component re-renders only when something it read changed (after
 * TanStack Query's tracked results). The result's getters call {@link Tracker.read}; reading a
 * field during any render tracks it from then on.
 */
export class Tracker<S extends object> {
  readonly #read = new Set<keyof S>();

  /** Records that the component read `key`. */
  read(key: keyof S): void {
    this.#read.add(key);
  }

  /** Whether a field read so far differs between `a` and `b`. */
  changed(a: S, b: S): boolean {
    for (const key of this.#read) if (!Object.is(a[key], b[key])) return true;
    return false;
  }
}
