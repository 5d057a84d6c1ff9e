import type { Platform } from '../core/types.js';

/** A store whose pending changes {@link notifyScheduler} folds in and announces. */
export interface Flushable {
  /** Folds pending changes into the snapshot and tells the store's listeners, if anything changed. */
  flush(): void;
}

/** The timer seams of a driver's platform. */
type Timers = Pick<Platform, 'setTimeout' | 'clearTimeout'>;

/**
 * One batch for every hook store: a store with pending changes calls {@link NotifyScheduler.schedule},
 * and one timer later every such store flushes in the same task, so React commits once for all of
 * them — however many stores, drivers and network chunks the updates came through.
 *
 * Each driver's platform seam arms its own `setTimeout(…, 0)` (so fake timers and injected clocks
 * apply); the first one to fire flushes every waiting store and cancels the others, so a timer that
 * never fires (its fake clock was uninstalled) cannot hold back the stores of other drivers.
 */
export class NotifyScheduler {
  readonly #dirty = new Set<Flushable>();
  readonly #timers = new Map<Timers, unknown>();

  /** Flushes `store` in the next batch (once, however often it is scheduled before that). */
  schedule(store: Flushable, timers: Timers): void {
    this.#dirty.add(store);
    if (!this.#timers.has(timers)) this.#timers.set(timers, timers.setTimeout(this.#run, 0));
  }

  /**
   * Takes `store` out of the coming batch (it stopped, or flushed on its own); cancels the timers
   * when no store is left in it. Returns whether the store was waiting.
   */
  cancel(store: Flushable): boolean {
    if (!this.#dirty.delete(store)) return false;
    if (this.#dirty.size === 0) this.#clearTimers();
    return true;
  }

  readonly #run = (): void => {
    this.#clearTimers();
    const stores = [...this.#dirty];
    this.#dirty.clear();
    // Stores never throw from flush (listener errors are isolated by their emitters).
    for (const store of stores) store.flush();
  };

  #clearTimers(): void {
    for (const [timers, handle] of this.#timers) timers.clearTimeout(handle);
    this.#timers.clear();
  }
}

/** The scheduler every hook store of this module instance shares. */
export const notifyScheduler = new NotifyScheduler();
