'use client';
import { Emitter } from '../react/index.js';
import type { UiClock } from './types.js';

/** How often (ms) a ticker refreshes: relative times are minute-grained, so a label is at most this late. */
export const TICK_MS = 10_000;

/** `Date.now` and the global timers, looked up at call time (so fake timers apply). */
export const realClock: UiClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The current time of `clock`. */
export const nowOf = (clock: UiClock): number => clock.now?.() ?? Date.now();

/**
 * One coarse timer shared by every time label on one clock: it runs only while a label is mounted
 * (first listener to last) and notifies every {@link TICK_MS}. Each label reads {@link Ticker.now} and
 * re-renders only when its own text changes, so a tick never re-renders the rows.
 */
export class Ticker {
  readonly #clock: UiClock;
  readonly #emitter = new Emitter({ onFirst: () => this.#start(), onLast: () => this.#stop() });
  /** The time of the last tick while running. */
  #now: number | undefined;
  #timer: unknown;

  constructor(clock: UiClock) {
    this.#clock = clock;
  }

  /** Adds a listener called at every tick; returns its unsubscribe function. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** The time of the last tick (the clock's time while nothing listens). */
  readonly now = (): number => this.#now ?? nowOf(this.#clock);

  #start(): void {
    this.#now = nowOf(this.#clock);
    this.#timer = this.#clock.setTimeout(this.#tick, TICK_MS);
  }

  readonly #tick = (): void => {
    this.#now = nowOf(this.#clock);
    this.#timer = this.#clock.setTimeout(this.#tick, TICK_MS);
    this.#emitter.notify();
  };

  #stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#now = undefined;
  }
}

const tickers = new WeakMap<UiClock, Ticker>();

/** The shared ticker of `clock` (one per clock, e.g. per driver platform). */
export function tickerOf(clock: UiClock): Ticker {
  let ticker = tickers.get(clock);
  if (ticker === undefined) {
    ticker = new Ticker(clock);
    tickers.set(clock, ticker);
  }
  return ticker;
}
