import type { SseDriver } from '../core/SseDriver.js';
import { Emitter } from '../core/emitter.js';
import type { ConnectionStatus } from '../core/types.js';
import type { SseError } from '../core/errors.js';

/** The connection fields of a `useTopic` result. */
export interface TopicConnection {
  readonly status: ConnectionStatus;
  readonly connectionError: SseError | undefined;
}

/**
 * A driver's `status` and `error`, shared by every `useTopic` store of that driver: one state
 * listener per driver instead of one per store, and the stores hear only a change of those two
 * fields — not every state change (`lastEventId` moves with every event).
 */
export class DriverConnection {
  readonly #driver: SseDriver;
  #value: TopicConnection;
  #off: (() => void) | undefined;
  readonly #emitter = new Emitter({
    onFirst: () => {
      this.#off = this.#driver.on('state', this.#onState);
      this.#refresh();
    },
    onLast: () => {
      this.#off?.();
      this.#off = undefined;
    },
  });

  constructor(driver: SseDriver) {
    this.#driver = driver;
    const state = driver.getSnapshot();
    this.#value = { status: state.status, connectionError: state.error };
  }

  /** Calls `listener` when `status` or `error` changed; returns its unsubscribe function. */
  subscribe(listener: () => void): () => void {
    return this.#emitter.subscribe(listener);
  }

  /** The current fields: the same object until one of them changed. */
  getSnapshot(): TopicConnection {
    if (this.#off === undefined) this.#refresh();
    return this.#value;
  }

  readonly #onState = (): void => {
    if (this.#refresh()) this.#emitter.notify();
  };

  #refresh(): boolean {
    const { status, error } = this.#driver.getSnapshot();
    if (status === this.#value.status && error === this.#value.connectionError) return false;
    this.#value = { status, connectionError: error };
    return true;
  }
}

const connections = new WeakMap<SseDriver, DriverConnection>();

/** The {@link DriverConnection} of `driver` (one per driver). */
export function driverConnection(driver: SseDriver): DriverConnection {
  let connection = connections.get(driver);
  if (connection === undefined) {
    connection = new DriverConnection(driver);
    connections.set(driver, connection);
  }
  return connection;
}
