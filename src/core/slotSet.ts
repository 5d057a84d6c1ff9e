import type { StreamView } from './driverState.js';
import type { CompiledMatcher } from './matcher.js';
import { StreamSlot } from './streamSlot.js';
import { MAIN, slotOptionsFor, type SlotContext, type SlotOptions } from './slotOptions.js';
import type { SubscriptionInfo } from './types.js';

/** What a slot set needs besides its slots' context. */
export interface SlotSetOptions {
  /** How long subscription changes are gathered before one sync (the `coalesceMs` option). */
  readonly coalesceMs: number;
  /** Cross-tab sharing is on: the shared slot stays even without subscriptions of this tab. */
  readonly keepMain: boolean;
  /** After each sync, with the matchers this tab's own subscriptions need on the shared stream. */
  synced(ownMatchers: readonly CompiledMatcher[]): void;
}

/**
 * A driver's streams: the shared slot ({@link MAIN}) and one per dedicated matcher set. A matcher
 * change is {@link SlotSet.schedule}d; changes within `coalesceMs` make one {@link SlotSet.sync},
 * where each slot makes its streams carry its subscriptions (`StreamSlot.sync`) and slots left
 * without any close.
 */
export class SlotSet {
  readonly #slots = new Map<string, StreamSlot>();
  readonly #context: SlotContext;
  readonly #options: SlotSetOptions;
  #timer: unknown;
  #closed = false;
  /** Numbers the slots of later subscriptions with an already replayed `since`. */
  #replays = 0;

  constructor(context: SlotContext, options: SlotSetOptions) {
    this.#context = context;
    this.#options = options;
  }

  /**
   * The slot for `options`, created when missing. A replay (`since`) reaches the subscriptions its
   * slot holds when the stream opens: a later subscription with the same `since` gets a slot (and a
   * stream) of its own, which replays for it.
   */
  slotFor(options: SlotOptions): StreamSlot {
    let slot = this.#slots.get(options.key);
    if (slot !== undefined && options.since !== undefined && slot.opened) {
      options = { ...options, key: `${options.key}#${++this.#replays}` };
      slot = undefined;
    }
    if (!slot) {
      slot = new StreamSlot(options, this.#context);
      this.#slots.set(options.key, slot);
    }
    return slot;
  }

  /** The shared slot, created when missing. */
  main(): StreamSlot {
    return this.slotFor(slotOptionsFor([], {}, false));
  }

  /** The shared slot, if there is one. */
  get existingMain(): StreamSlot | undefined {
    return this.#slots.get(MAIN);
  }

  /** Every slot. */
  values(): IterableIterator<StreamSlot> {
    return this.#slots.values();
  }

  /** Syncs soon: every change within `coalesceMs` makes one switch. */
  schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const platform = this.#context.connection.platform;
    this.#timer = platform.setTimeout(() => {
      this.#timer = undefined;
      this.sync();
    }, this.#options.coalesceMs);
  }

  /** Makes the streams match the subscriptions; closes the slots left without any. */
  sync(): void {
    if (this.#closed) return;
    const keepMain = this.#options.keepMain;
    // With sharing on, the shared slot stays: a leader carries the other tabs' matchers, a follower keeps its cursor.
    if (keepMain) this.main();
    for (const [key, slot] of [...this.#slots]) {
      // A listener told of a stream's start may have destroyed the driver.
      if (this.#closed) return;
      if (slot.router.size > 0 || (key === MAIN && keepMain)) {
        slot.sync();
        continue;
      }
      slot.close();
      this.#slots.delete(key);
    }
    this.#options.synced(this.existingMain?.ownMatchers() ?? []);
  }

  /** How many subscriptions the slots hold. */
  count(): number {
    let count = 0;
    for (const slot of this.#slots.values()) count += slot.router.size;
    return count;
  }

  /** The live subscriptions, for inspectors. */
  subscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const slot of this.#slots.values()) {
      for (const sub of slot.router.subscriptions()) {
        out.push({ matchers: sub.compiled.map((m) => m.source), raw: sub.raw, type: sub.type, connection: slot.options.dedicated ? 'dedicated' : 'main' });
      }
    }
    return out;
  }

  /** Event types the subscriptions ask for (the native `EventSource` only delivers those). */
  eventTypes(): string[] {
    const types = new Set<string>();
    for (const slot of this.#slots.values()) for (const sub of slot.router.subscriptions()) if (sub.type) types.add(sub.type);
    return [...types];
  }

  /** What the driver state is computed from: one view per slot with a stream. */
  views(): StreamView[] {
    const views: StreamView[] = [];
    for (const slot of this.#slots.values()) {
      const view = slot.view;
      if (view) views.push(view);
    }
    return views;
  }

  /** Closes every slot and cancels a pending sync; the set stays closed. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#context.connection.platform.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const slot of this.#slots.values()) slot.close();
    this.#slots.clear();
  }
}
