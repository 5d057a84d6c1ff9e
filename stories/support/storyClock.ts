/**
 * Where story time starts: Saturday 28 November 2026, 09:41 in the viewer's time zone. A fixed start
 * makes every run (and every screenshot) show the same clock times.
 */
export const STORY_EPOCH = new Date(2026, 10, 28, 9, 41).getTime();

interface Timer {
  readonly id: number;
  due: number;
  readonly callback: () => void;
  /** Repeat period for intervals. */
  readonly every: number | undefined;
}

/**
 * The clock of one story, shared by its mocked hub, its drivers and the components that show time. Story
 * time starts at {@link STORY_EPOCH} and follows real time, so a story plays by itself; a play function
 * can {@link StoryClock.hold} it, after which it moves only by {@link StoryClock.advance}, firing the
 * timers that fall due in order — so what a play function checks never depends on the machine's speed.
 * Held time stands still but the app does not: what is due now (a `setTimeout(…, 0)`, such as the React
 * binding's notifications) still runs; only what lies in the future waits.
 */
export class StoryClock {
  /** Story time at `#realAt` (running) or the frozen time (held). */
  #base: number;
  #realAt = performance.now();
  #held = false;
  #nextId = 0;
  readonly #timers = new Map<number, Timer>();
  #real: ReturnType<typeof globalThis.setTimeout> | undefined;

  /** @param start - story time at creation (default {@link STORY_EPOCH}). */
  constructor(start = STORY_EPOCH) {
    this.#base = start;
  }

  /** Story time in ms since the epoch. */
  readonly now = (): number => (this.#held ? this.#base : this.#base + (performance.now() - this.#realAt));

  /** Runs `callback` once, `ms` of story time from now. */
  readonly setTimeout = (callback: () => void, ms: number): unknown => this.#add(callback, ms, undefined);

  /** Runs `callback` every `ms` of story time. */
  readonly setInterval = (callback: () => void, ms: number): unknown => this.#add(callback, ms, Math.max(1, ms));

  /** Cancels a timeout or interval. */
  readonly clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Cancels an interval (same as {@link StoryClock.clearTimeout}). */
  readonly clearInterval = (handle: unknown): void => this.clearTimeout(handle);

  /** Whether time stands still until {@link StoryClock.advance}. */
  get held(): boolean {
    return this.#held;
  }

  /** Stops story time: from now on it moves only by {@link StoryClock.advance}. */
  hold(): void {
    if (this.#held) return;
    this.#base = this.now();
    this.#held = true;
    this.#schedule();
  }

  /**
   * Moves held story time forward by `ms`, running every timer that falls due on the way, in order, each
   * with the clock set to its due time.
   * @throws Error when the clock is not held (real time is moving it).
   */
  advance(ms: number): void {
    if (!this.#held) throw new Error('StoryClock.advance() needs a held clock: call hold() first.');
    const target = this.#base + Math.max(0, ms);
    for (let timer = this.#earliest(); timer && timer.due <= target; timer = this.#earliest()) {
      this.#base = timer.due;
      this.#run(timer);
    }
    this.#base = target;
  }

  /** Lets story time follow real time again, from where it stands. */
  release(): void {
    if (!this.#held) return;
    this.#realAt = performance.now();
    this.#held = false;
    this.#schedule();
  }

  #add(callback: () => void, ms: number, every: number | undefined): number {
    const id = ++this.#nextId;
    this.#timers.set(id, { id, due: this.now() + Math.max(0, ms), callback, every });
    this.#schedule();
    return id;
  }

  #earliest(): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.#timers.values()) if (!first || timer.due < first.due) first = timer;
    return first;
  }

  #run(timer: Timer): void {
    if (timer.every === undefined) this.#timers.delete(timer.id);
    else timer.due += timer.every;
    try {
      timer.callback();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** One real timeout for the earliest story timer (held: only for timers already due). */
  #schedule(): void {
    globalThis.clearTimeout(this.#real);
    this.#real = undefined;
    const first = this.#earliest();
    if (!first || (this.#held && first.due > this.#base)) return;
    this.#real = globalThis.setTimeout(() => {
      this.#real = undefined;
      const now = this.now();
      for (let timer = this.#earliest(); timer && timer.due <= now; timer = this.#earliest()) this.#run(timer);
      this.#schedule();
    }, Math.max(0, first.due - this.now()));
  }
}
