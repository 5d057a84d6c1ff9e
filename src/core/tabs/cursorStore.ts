/** The subset of `Storage` the cursor store uses (injectable for tests). */
export interface CursorStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The last event id of the shared stream per hub and matcher set, kept in session storage so that a
 * reload of the page resumes where it left off instead of starting blind. Written when the page is
 * hidden or unloaded (`pagehide`, `visibilitychange`), read when the first stream of a matcher set opens.
 */
export class CursorStore {
  readonly #storage: CursorStorage;
  readonly #prefix: string;

  constructor(storage: CursorStorage, hubUrl: string) {
    this.#storage = storage;
    this.#prefix = `sse-kit:cursor:${hubUrl}\n`;
  }

  /** The id saved for this matcher set, if any. */
  read(matcherSet: string): string | undefined {
    try {
      return this.#storage.getItem(this.#prefix + matcherSet) ?? undefined;
    } catch {
      return undefined; // storage denied (privacy settings): start as without it
    }
  }

  /**
   * Saves the cursor `read` gives whenever the page is hidden or unloaded (`pagehide`,
   * `visibilitychange` on `events`).
   * @returns a function that saves it once more and stops.
   */
  saveOnHide(events: EventTarget | undefined, read: () => { readonly matcherSet: string; readonly id: string } | undefined): () => void {
    const save = (): void => {
      const cursor = read();
      if (cursor) this.write(cursor.matcherSet, cursor.id);
    };
    events?.addEventListener('pagehide', save);
    events?.addEventListener('visibilitychange', save);
    return () => {
      save();
      events?.removeEventListener('pagehide', save);
      events?.removeEventListener('visibilitychange', save);
    };
  }

  /** Saves `id` for this matcher set. */
  write(matcherSet: string, id: string): void {
    try {
      this.#storage.setItem(this.#prefix + matcherSet, id);
    } catch {
      // Quota or storage denied: a reload starts without a cursor, as it would without the store.
    }
  }
}

/** The storage of the `resume` option: the given one, `sessionStorage` by default in browsers, none when off. */
export function resolveCursorStorage(option: boolean | CursorStorage | undefined, ownFetch: boolean): CursorStorage | undefined {
  if (option === false) return undefined;
  if (typeof option === 'object') return option;
  if (option === undefined && ownFetch) return undefined;
  try {
    return (globalThis as { sessionStorage?: CursorStorage }).sessionStorage;
  } catch {
    return undefined;
  }
}
