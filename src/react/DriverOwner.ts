import { SseDriver } from '../core/SseDriver.js';
import type { HeadersOption, SseDriverOptions } from '../core/types.js';

/**
 * Holds the driver an {@link SseProvider} created from options. The driver is made on first use
 * (making one opens nothing: connections start only when a hook subscribes, in an effect) and
 * destroyed a microtask after the last mount released it, so StrictMode's unmount/remount keeps it.
 * A driver destroyed while the provider was hidden is replaced when it mounts again.
 */
export class DriverOwner {
  #options: SseDriverOptions;
  #driver: SseDriver | undefined;
  #mounts = 0;
  readonly #listeners = new Set<() => void>();

  /** @param options - the provider's driver options, read once. */
  constructor(options: SseDriverOptions) {
    this.#options = options;
  }

  /** The driver, created on first call. */
  readonly get = (): SseDriver => {
    this.#driver ??= new SseDriver(this.#options);
    return this.#driver;
  };

  /** Listens for the driver being replaced. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  /** A provider mounted: keeps the driver alive (replacing one destroyed meanwhile). */
  retain(): void {
    this.#mounts++;
    if (this.#driver?.destroyed) {
      this.#driver = new SseDriver(this.#options);
      for (const listener of [...this.#listeners]) listener();
    }
  }

  /** A provider unmounted: destroys the driver unless it is mounted again within the same task. */
  release(): void {
    this.#mounts--;
    queueMicrotask(() => {
      if (this.#mounts === 0) this.#driver?.destroy();
    });
  }

  /** Passes new credentials to the driver (and to any driver made later). */
  setHeaders(headers: HeadersOption | undefined): void {
    const { headers: _previous, ...rest } = this.#options;
    this.#options = headers === undefined ? rest : { ...rest, headers };
    this.#driver?.setHeaders(headers);
  }
}
