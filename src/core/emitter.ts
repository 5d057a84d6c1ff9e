/**
 * The one subscribable every core object is built on (after TanStack Query's `subscribable.ts` and
 * Zustand's `vanilla.ts`):
 *
 * - `subscribe(fn)` adds a change listener and returns its unsubscribe function;
 * - `on(type, fn)` adds a listener for one typed event;
 * - `onFirst` / `onLast` hooks start and stop the underlying work when the first listener arrives
 *   and the last one leaves;
 * - every emit is safe: a listener that throws is reported (through `onListenerError`, then the
 *   platform's `reportError`) and never stops delivery to the listeners after it.
 */

/** Called with what a listener threw. */
export type ListenerErrorHandler = (error: unknown) => void;

/** Options of an {@link Emitter}. */
export interface EmitterOptions {
  /** Called when a listener throws (after which delivery goes on). Default: {@link reportError}. */
  readonly onListenerError?: ListenerErrorHandler;
  /** Called when the first listener (of any kind) is added. */
  readonly onFirst?: () => void;
  /** Called when the last listener (of any kind) is removed. */
  readonly onLast?: () => void;
}

/**
 * Reports an error thrown by user code without breaking the caller: the platform's
 * `reportError` where there is one (browsers, Deno), else a rethrow in a microtask, where the
 * runtime reports it (console, `window.onerror`, the test runner).
 */
export function reportError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') {
    report(error);
    return;
  }
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * Calls `listener` with `payload`; what it throws goes to `onError` (default {@link reportError}),
 * never to the caller. The safe emit of {@link Emitter}, for a hot path that holds one listener.
 */
export function callSafely<P>(listener: (payload: P) => void, payload: P, onError: ListenerErrorHandler = reportError): void {
  try {
    listener(payload);
  } catch (error) {
    try {
      onError(error);
    } catch (inner) {
      reportError(inner);
    }
  }
}

/**
 * A subscribable with typed events. `Events` maps an event type to its payload.
 *
 * @example
 * ```ts
 * const emitter = new Emitter<{ message: string }>();
 * const off = emitter.on('message', (text) => console.log(text));
 * emitter.emit('message', 'hello');
 * off();
 * ```
 */
export class Emitter<Events extends object = Record<never, never>> {
  readonly #listeners = new Set<() => void>();
  readonly #typed = new Map<keyof Events, Set<(payload: never) => void>>();
  readonly #options: EmitterOptions;
  #count = 0;

  constructor(options: EmitterOptions = {}) {
    this.#options = options;
  }

  /** Adds a change listener; returns its unsubscribe function (safe to call twice). */
  subscribe(listener: () => void): () => void {
    return this.#add(this.#listeners, listener);
  }

  /** Adds a listener for events of one type; returns its unsubscribe function. */
  on<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#typed.get(type);
    if (!set) {
      set = new Set();
      this.#typed.set(type, set);
    }
    return this.#add(set as Set<(payload: Events[K]) => void>, listener);
  }

  /** Whether any listener (of any kind) is attached. */
  hasListeners(): boolean {
    return this.#count > 0;
  }

  /** Whether a listener for this event type is attached. */
  hasListenersFor(type: keyof Events): boolean {
    return (this.#typed.get(type)?.size ?? 0) > 0;
  }

  /**
   * Calls every change listener; a throwing listener is reported and the others still run. A listener
   * removed by an earlier one during the call is skipped; one added meanwhile waits for the next.
   */
  notify(): void {
    const set = this.#listeners;
    for (const listener of [...set]) if (set.has(listener)) this.#call(listener, undefined);
  }

  /**
   * Calls every listener of `type` with `payload`; a throwing listener is reported and the others
   * still run. A listener removed by an earlier one during the call is skipped; one added meanwhile
   * waits for the next.
   */
  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.#typed.get(type);
    if (!set || set.size === 0) return;
    if (set.size === 1) {
      // The common case (one listener) without copying the set on every event.
      for (const listener of set) {
        this.#call(listener as (payload: Events[K]) => void, payload);
        break;
      }
      return;
    }
    for (const listener of [...set]) if (set.has(listener)) this.#call(listener as (payload: Events[K]) => void, payload);
  }

  /** Removes every listener (without calling `onLast`). */
  clear(): void {
    this.#listeners.clear();
    this.#typed.clear();
    this.#count = 0;
  }

  #add<F>(set: Set<F>, listener: F): () => void {
    if (set.has(listener)) return () => this.#remove(set, listener);
    set.add(listener);
    this.#count += 1;
    if (this.#count === 1) this.#options.onFirst?.();
    return () => this.#remove(set, listener);
  }

  #remove<F>(set: Set<F>, listener: F): void {
    if (!set.delete(listener)) return;
    this.#count -= 1;
    if (this.#count === 0) this.#options.onLast?.();
  }

  #call<P>(listener: (payload: P) => void, payload: P): void {
    callSafely(listener, payload, this.#options.onListenerError);
  }
}
