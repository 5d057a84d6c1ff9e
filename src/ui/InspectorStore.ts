'use client';
import { Emitter } from '../react/index.js';
import type { DriverEvent, SubscriptionInfo } from '../index.js';
import type { InspectorError, InspectorSnapshot, TimelineEntry, TimelineKind } from './types.js';

/** What {@link InspectorStore} needs of a driver. */
export interface InspectableDriver {
  /** Listens to timeline events; returns a function that stops listening. */
  on(type: 'event', listener: (event: DriverEvent) => void): () => void;
  /** The live subscriptions. */
  getSubscriptions(): readonly SubscriptionInfo[];
}

/** Seams of {@link InspectorStore}, for tests. */
export interface InspectorStoreOptions {
  /** Timeline entries kept (default 100). */
  timelineSize?: number | undefined;
  /** Errors kept (default 10). */
  errorsSize?: number | undefined;
  /** Width of the event-rate window in seconds (default 10). */
  rateWindow?: number | undefined;
  /** Clock (default `Date.now`). */
  now?: (() => number) | undefined;
  /** Interval timer (default the global one). */
  setInterval?: ((callback: () => void, ms: number) => unknown) | undefined;
  /** Clears what `setInterval` returned. */
  clearInterval?: ((handle: unknown) => void) | undefined;
}

/**
 * Records a driver's timeline, subscriptions, errors and event rate into immutable snapshots, for
 * `useSyncExternalStore`. Listens to the driver only while it has listeners of its own.
 */
export class InspectorStore {
  readonly #driver: InspectableDriver;
  readonly #timelineSize: number;
  readonly #errorsSize: number;
  readonly #window: number;
  readonly #now: () => number;
  readonly #setInterval: (callback: () => void, ms: number) => unknown;
  readonly #clearInterval: (handle: unknown) => void;
  /** The first listener starts recording, the last one stops it. */
  readonly #listeners = new Emitter({ onFirst: () => this.#start(), onLast: () => this.#stop() });
  /** Updates per second, one bucket per second of the window. */
  readonly #buckets: number[];
  #bucketSecond = 0;
  #startSecond = 0;
  #seq = 0;
  #updates = 0;
  #lastEventId: string | undefined;
  #lastDrop: unknown;
  /** Per connection: connection attempts since it last opened. */
  readonly #attempts = new Map<string, number>();
  /** Connections that opened at least once since the inspector attached. */
  readonly #opened = new Set<string>();
  #snapshot: InspectorSnapshot;
  #off: (() => void) | undefined;
  #timer: unknown;

  /**
   * @param driver - the driver to watch (an `SseDriver`, e.g. from `useSseDriver()`).
   * @param options - sizes of the bounded lists, rate window, and clock and timer seams.
   */
  constructor(driver: InspectableDriver, options: InspectorStoreOptions = {}) {
    this.#driver = driver;
    this.#timelineSize = options.timelineSize ?? 100;
    this.#errorsSize = options.errorsSize ?? 10;
    this.#window = options.rateWindow ?? 10;
    this.#now = options.now ?? Date.now;
    this.#setInterval = options.setInterval ?? ((callback, ms) => globalThis.setInterval(callback, ms));
    this.#clearInterval = options.clearInterval ?? ((handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>));
    this.#buckets = new Array<number>(this.#window).fill(0);
    this.#snapshot = {
      subscriptions: driver.getSubscriptions(),
      timeline: [],
      errors: [],
      rate: 0,
      rateHistory: new Array<number>(this.#window - 1).fill(0),
      updates: 0,
      lastEventId: undefined,
    };
  }

  /** The current snapshot (a new object only when something changed). */
  readonly getSnapshot = (): InspectorSnapshot => this.#snapshot;

  /** Calls `listener` on every change; the first listener starts recording, the last one stops it. */
  readonly subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener);

  #start(): void {
    this.#bucketSecond = Math.floor(this.#now() / 1000);
    this.#startSecond = this.#bucketSecond;
    this.#buckets.fill(0);
    this.#off = this.#driver.on('event', (event) => this.#record(event));
    this.#timer = this.#setInterval(() => this.#tick(), 1000);
    this.#set({ subscriptions: this.#driver.getSubscriptions() });
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    if (this.#timer !== undefined) this.#clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #record(event: DriverEvent): void {
    switch (event.type) {
      case 'update':
        this.#advance();
        this.#buckets[this.#bucketSecond % this.#window] = (this.#buckets[this.#bucketSecond % this.#window] ?? 0) + 1;
        // Counted silently: the rate, count and last id are published once a second by the tick.
        this.#updates++;
        if (event.connection === 'main' && event.id !== '') this.#lastEventId = event.id;
        return;
      case 'subscriptions':
        this.#set({ subscriptions: this.#driver.getSubscriptions() });
        return;
      case 'connecting': {
        const resume = event.resumeFrom ? `resuming from ${event.resumeFrom}` : '';
        if (event.switching) {
          this.#push('connecting', event.connection, ['matcher switch', resume].filter(Boolean).join(', '));
          return;
        }
        const attempts = (this.#attempts.get(event.connection) ?? 0) + 1;
        this.#attempts.set(event.connection, attempts);
        const first = attempts === 1 && !this.#opened.has(event.connection);
        if (first) this.#push('connecting', event.connection, resume || 'first connection');
        else this.#push('retry', event.connection, [`retry ${this.#opened.has(event.connection) ? attempts : attempts - 1}`, resume].filter(Boolean).join(', '));
        return;
      }
      case 'open':
        if (!event.switching) {
          this.#opened.add(event.connection);
          this.#attempts.set(event.connection, 0);
        }
        this.#push(
          event.resumedFrom ? 'resume' : 'open',
          event.connection,
          event.resumedFrom ? `resumed from ${event.resumedFrom}` : 'stream open',
        );
        return;
      case 'drop':
        this.#lastDrop = event.error;
        this.#push('drop', event.connection, event.error.message);
        return;
      case 'gap':
        this.#push('gap', event.connection, event.error.message);
        return;
      case 'closed':
        this.#push('closed', event.connection, 'stream closed');
        return;
      case 'error': {
        const entry: InspectorError = { seq: ++this.#seq, time: this.#now(), error: event.error };
        const errors = [entry, ...this.#snapshot.errors].slice(0, this.#errorsSize);
        // A drop reports its error too: the timeline already shows it.
        if (event.error === this.#lastDrop) {
          this.#set({ errors });
          return;
        }
        this.#push('error', '', `${event.error.code}: ${event.error.message}`, {
          errors,
        });
        return;
      }
      default:
        return;
    }
  }

  #push(kind: TimelineKind, connection: string, detail: string, extra: Partial<InspectorSnapshot> = {}): void {
    const entry: TimelineEntry = { seq: ++this.#seq, time: this.#now(), kind, connection, detail };
    this.#set({ ...extra, timeline: [entry, ...this.#snapshot.timeline].slice(0, this.#timelineSize) });
  }

  /** Moves the rate window to the current second, zeroing the seconds that passed. */
  #advance(): void {
    const second = Math.floor(this.#now() / 1000);
    const steps = Math.min(this.#window, second - this.#bucketSecond);
    for (let i = 1; i <= steps; i++) this.#buckets[(this.#bucketSecond + i) % this.#window] = 0;
    if (second > this.#bucketSecond) this.#bucketSecond = second;
  }

  #tick(): void {
    this.#advance();
    // Averaged over the completed seconds of the window (fewer right after attaching).
    const seconds = Math.min(this.#window - 1, this.#bucketSecond - this.#startSecond);
    const current = this.#buckets[this.#bucketSecond % this.#window] ?? 0;
    const sum = this.#buckets.reduce((a, b) => a + b, 0) - current;
    const rate = seconds > 0 ? Math.round((sum / seconds) * 10) / 10 : 0;
    const { rate: shownRate, updates, lastEventId, rateHistory: shownHistory } = this.#snapshot;
    // Completed seconds of the window, oldest first (the current second is still counting).
    const rateHistory = Array.from({ length: this.#window - 1 }, (_, i) => {
      const second = this.#bucketSecond - (this.#window - 1) + i;
      return second < this.#startSecond ? 0 : (this.#buckets[((second % this.#window) + this.#window) % this.#window] ?? 0);
    });
    const historyChanged = rateHistory.some((n, i) => n !== shownHistory[i]);
    if (rate !== shownRate || historyChanged || this.#updates !== updates || this.#lastEventId !== lastEventId) {
      this.#set({ rate, rateHistory, updates: this.#updates, lastEventId: this.#lastEventId });
    }
  }

  #set(patch: Partial<InspectorSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    this.#listeners.notify();
  }
}
