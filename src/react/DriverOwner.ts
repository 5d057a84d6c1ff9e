import { SseDriver } from '../core/SseDriver.js';
import type { HeadersOption, SseDriverOptions } from '../core/types.js';

/**
 * Holds the driver an {@link SseProvider} created from options. The driver is made on first use
 * (making one opens nothing: connections start only when a hook subscribes, in an effect) and
 * destroyed a microtask after the last mount released it, so StrictMode's unmount/remount keeps it.
 * A driver destroyed meanwhile (the provider was hidden by `<Activity>`, say) is never handed out
 * again: the next read replaces it and tells the subscribers.
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

  /** A live driver: created on first call, and again whenever the previous one was destroyed. */
  readonly get = (): SseDriver => {
    const driver = this.#driver;
    if (driver !== undefined && !driver.destroyed) return driver;
    const fresh = new SseDriver(this.#options);
    this.#driver = fresh;
    if (driver !== undefined) {
      // Called from render (`getSnapshot`): listeners hear of the replacement once rendering is over.
      queueMicrotask(() => {
        if (this.#driver !== fresh) return;
        for (const listener of [...this.#listeners]) listener();
      });
    }
    return fresh;
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
    if (this.#driver !== undefined) this.get();
  }

  /**
   * A provider unmounted: destroys the driver unless it is mounted again within the same task —
   * after its in-flight publishes settled (a peer's goodbye, say), unless it was mounted again meanwhile.
   */
  release(): void {
    this.#mounts--;
    queueMicrotask(() => {
      const driver = this.#driver;
      if (this.#mounts !== 0 || driver === undefined) return;
      void driver.whenIdle().then(() => {
        if (this.#mounts === 0 && this.#driver === driver) driver.destroy();
      });
    });
  }

  /** Passes new credentials to the driver (and to any driver made later). */
  setHeaders(headers: HeadersOption | undefined): void {
    const { headers: _previous, ...rest } = this.#options;
    this.#options = headers === undefined ? rest : { ...rest, headers };
    this.#driver?.setHeaders(headers);
  }
}
