import type { SseDriver } from '../core/SseDriver.js';
import { Emitter } from '../core/emitter.js';
import { INITIAL_DRIVER_STATE } from '../core/initialState.js';
import type { DriverState } from '../core/types.js';
import { Tracker } from './tracked.js';
import type { ConnectionState, UseConnectionStatusResult } from './types.js';

interface Selection {
  readonly state: ConnectionState;
  readonly selector: (state: ConnectionState) => unknown;
  readonly value: unknown;
}

/**
 * The store behind one `useConnectionStatus` call, for the component's lifetime (created in
 * `useState`, read with `useSyncExternalStore`, pointed at the provider's driver from an effect).
 * Its results change only when what the component reads changes: the fields read from the default
 * result (tracked), or the value a selector picks (compared with `isEqual`).
 */
export class ConnectionObserver {
  #driver: SseDriver;
  #off: (() => void) | undefined;
  readonly #emitter = new Emitter({
    onFirst: () => {
      this.#off = this.#driver.on('state', this.#onState);
    },
    onLast: () => {
      this.#off?.();
      this.#off = undefined;
    },
  });
  readonly #tracker = new Tracker<DriverState>();
  /**
   * The state the current result shows. A change of fields no render read yet is written here in
   * place (no new result, no render), so a field read for the first time is current.
   */
  #shown: { state: DriverState } | undefined;
  #result: UseConnectionStatusResult | undefined;
  #serverResult: UseConnectionStatusResult | undefined;
  #state: ConnectionState | undefined;
  #stateSource: DriverState | undefined;
  #serverState: ConnectionState | undefined;
  #selection: Selection | undefined;
  #serverSelection: Selection | undefined;

  /** @param driver - the driver whose state is read until {@link ConnectionObserver.setDriver} moves it. */
  constructor(driver: SseDriver) {
    this.#driver = driver;
  }

  /** `useSyncExternalStore` subscribe: listens to the current driver's state while anyone listens. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** Reconnects the current driver (see `SseDriver.reconnect`). Stable. */
  readonly reconnect = (): void => {
    this.#driver.reconnect();
  };

  /** Follows `driver` from now on (a provider's replaced driver). */
  setDriver(driver: SseDriver): void {
    if (driver === this.#driver) return;
    this.#driver = driver;
    if (this.#off !== undefined) {
      this.#off();
      this.#off = driver.on('state', this.#onState);
    }
    this.#emitter.notify();
  }

  /** The default result for `driver`'s state: a new object only when a field the component read changed. */
  result(driver: SseDriver): UseConnectionStatusResult {
    const state = driver.getSnapshot();
    if (this.#result === undefined || this.#shown === undefined || this.#tracker.changed(this.#shown.state, state)) {
      this.#shown = { state };
      this.#result = this.#makeResult(this.#shown);
    } else {
      this.#shown.state = state;
    }
    return this.#result;
  }

  /** The default result on the server and while hydrating: the state of a driver that never connected. */
  serverResult(): UseConnectionStatusResult {
    return (this.#serverResult ??= this.#makeResult({ state: INITIAL_DRIVER_STATE }));
  }

  /** What `selector` picks from `driver`'s state; the previous value while `isEqual` holds. */
  select<S>(driver: SseDriver, selector: (state: ConnectionState) => S, isEqual: (a: S, b: S) => boolean): S {
    const state = this.#stateOf(driver.getSnapshot());
    this.#selection = pick(this.#selection, state, selector, isEqual);
    return this.#selection.value as S;
  }

  /** What `selector` picks from the state of a driver that never connected (server, hydration). */
  selectServer<S>(selector: (state: ConnectionState) => S, isEqual: (a: S, b: S) => boolean): S {
    this.#serverState ??= { ...INITIAL_DRIVER_STATE, reconnect: this.reconnect };
    this.#serverSelection = pick(this.#serverSelection, this.#serverState, selector, isEqual);
    return this.#serverSelection.value as S;
  }

  readonly #onState = (): void => {
    // React reads the snapshot again and renders only if it changed.
    this.#emitter.notify();
  };

  #stateOf(state: DriverState): ConnectionState {
    if (this.#state === undefined || this.#stateSource !== state) {
      this.#stateSource = state;
      this.#state = { ...state, reconnect: this.reconnect };
    }
    return this.#state;
  }

  #makeResult(shown: { readonly state: DriverState }): UseConnectionStatusResult {
    const tracker = this.#tracker;
    return {
      get status() {
        tracker.read('status');
        return shown.state.status;
      },
      get lastEventId() {
        tracker.read('lastEventId');
        return shown.state.lastEventId;
      },
      get retries() {
        tracker.read('retries');
        return shown.state.retries;
      },
      get error() {
        tracker.read('error');
        return shown.state.error;
      },
      reconnect: this.reconnect,
    };
  }
}

function pick<S>(last: Selection | undefined, state: ConnectionState, selector: (state: ConnectionState) => S, isEqual: (a: S, b: S) => boolean): Selection {
  if (last !== undefined && last.state === state && last.selector === selector) return last;
  const value = selector(state);
  return { state, selector, value: last !== undefined && isEqual(last.value as S, value) ? last.value : value };
}

/**
 * Equality of selections: `Object.is`, or for two plain objects or arrays, `Object.is` of each
 * own field (so a selector may return a fresh `{ status, error }` object).
 */
export function shallowEqual<S>(a: S, b: S): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
