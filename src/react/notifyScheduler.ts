import type { Platform } from '../core/types.js';

/** A store whose pending changes {@link notifyScheduler} folds in and announces. */
export interface Flushable {
  /** Folds pending changes into the snapshot and tells the store's listeners, if anything changed. */
  flush(): void;
}

/**
 * One batch for every hook store: a store with pending changes calls {@link NotifyScheduler.schedule},
 * and one timer later every such store flushes in the same task, so React commits once for all of
 * them — however many stores, drivers and network chunks the updates came through.
 *
 * The timer is the `setTimeout(…, 0)` of the platform seam of the store that opened the batch (with
 * the default seams, the global one, so fake timers apply).
 */
export class NotifyScheduler {
  readonly #dirty = new Set<Flushable>();
  #timer: { readonly handle: unknown; readonly platform: Pick<Platform, 'clearTimeout'> } | undefined;

  /** Flushes `store` in the next batch (once, however often it is scheduled before that). */
  schedule(store: Flushable, platform: Pick<Platform, 'setTimeout' | 'clearTimeout'>): void {
    this.#dirty.add(store);
    if (this.#timer !== undefined) return;
    this.#timer = { handle: platform.setTimeout(this.#run, 0), platform };
  }

  /**
   * Takes `store` out of the coming batch (it stopped, or flushed on its own); cancels the timer
   * when no store is left in it. Returns whether the store was waiting.
   */
  cancel(store: Flushable): boolean {
    if (!this.#dirty.delete(store)) return false;
    if (this.#dirty.size === 0 && this.#timer !== undefined) {
      this.#timer.platform.clearTimeout(this.#timer.handle);
      this.#timer = undefined;
    }
    return true;
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    const stores = [...this.#dirty];
    this.#dirty.clear();
    // Stores never throw from flush (listener errors are isolated by their emitters).
    for (const store of stores) store.flush();
  };
}

/** The scheduler every hook store of this module instance shares. */
export const notifyScheduler = new NotifyScheduler();
