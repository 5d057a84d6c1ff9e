import type { Platform } from '../core/types.js';

/** A store whose pending changes {@link notifyScheduler} folds in and announces. */
export interface Flushable {
  /** Folds pending changes into the snapshot and tells the store's listeners, if anything changed. */
  flush(): void;
}

/** The timer and clock seams of a driver's platform. */
type Clock = Pick<Platform, 'setTimeout' | 'clearTimeout' | 'now'>;

/** The shortest time between two batches during a burst: one display frame (60 Hz). */
export const FRAME_MS = 16;

/** Batches after a quiet frame that run in the next task before pacing starts (a quick reply is not held back). */
const EAGER_BATCHES = 2;

/** When a clock last saw a batch run, and how many batches ran since its last quiet frame. */
interface Pace {
  at: number;
  streak: number;
}

/** An armed timer, and whether it waits for the frame to end (pacing) rather than for the next task. */
interface Armed {
  readonly handle: unknown;
  readonly paced: boolean;
}

/**
 * One batch for every hook store: a store with pending changes calls {@link NotifyScheduler.schedule},
 * and every such store flushes in the same task, so React commits once for all of them — however
 * many stores, drivers and network chunks the updates came through.
 *
 * After a quiet frame (no batch for {@link FRAME_MS}), the first two batches run in the next task (a
 * zero-delay timer); from then on batches are one frame apart until a frame passes without changes,
 * so a burst spread over many network chunks (many tasks) commits once per frame, not once per chunk.
 *
 * Each driver's platform seam arms its own timer and reads its own clock (so fake timers and injected
 * clocks apply); the first timer to fire flushes every waiting store and cancels the others, so a
 * timer that never fires (its fake clock was uninstalled) cannot hold back the stores of other drivers.
 */
export class NotifyScheduler {
  readonly #dirty = new Set<Flushable>();
  readonly #timers = new Map<Clock, Armed>();
  readonly #pace = new WeakMap<Clock, Pace>();

  /** Flushes `store` in the next batch (once, however often it is scheduled before that). */
  schedule(store: Flushable, clock: Clock): void {
    this.#dirty.add(store);
    if (this.#timers.has(clock)) return;
    const wait = this.#waitFor(clock);
    this.#timers.set(clock, { handle: clock.setTimeout(this.#run, wait), paced: wait > 0 });
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

  /** How long the next batch waits on `clock`: 0 after a quiet frame or within the eager start, else until the frame ends. */
  #waitFor(clock: Clock): number {
    const pace = this.#pace.get(clock);
    if (pace === undefined || pace.streak < EAGER_BATCHES) return 0;
    const since = nowOf(clock) - pace.at;
    // A clock that went back (a fake clock reinstalled) counts as quiet.
    return since < 0 || since >= FRAME_MS ? 0 : FRAME_MS - since;
  }

  readonly #run = (): void => {
    for (const [clock, armed] of this.#timers) {
      const now = nowOf(clock);
      const pace = this.#pace.get(clock);
      // A paced batch continues its burst, however late its timer fired.
      const continues = pace !== undefined && (armed.paced || (now >= pace.at && now - pace.at < FRAME_MS));
      if (continues) {
        pace.at = now;
        pace.streak++;
      } else {
        this.#pace.set(clock, { at: now, streak: 1 });
      }
    }
    this.#clearTimers();
    const stores = [...this.#dirty];
    this.#dirty.clear();
    // Stores never throw from flush (listener errors are isolated by their emitters).
    for (const store of stores) store.flush();
  };

  #clearTimers(): void {
    for (const [clock, armed] of this.#timers) clock.clearTimeout(armed.handle);
    this.#timers.clear();
  }
}

function nowOf(clock: Clock): number {
  return clock.now ? clock.now() : Date.now();
}

/** The scheduler every hook store of this module instance shares. */
export const notifyScheduler = new NotifyScheduler();
