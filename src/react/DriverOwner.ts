import { SseDriver } from '../core/SseDriver.js';
import { Emitter } from '../core/emitter.js';
import type { ProtocolAdapter } from '../core/protocols/types.js';
import { resolveCursorStorage, type CursorStorage } from '../core/tabs/cursorStore.js';
import type { SseError } from '../core/errors.js';
import type { HeadersOption, SseDriverOptions } from '../core/types.js';

/** How long a driver made for a provider that has not mounted yet lives unclaimed. */
export const UNCLAIMED_MS = 1000;

/**
 * How long publishes queued with `usePublish({ queue: true })` wait for a provider whose driver was
 * destroyed as it was hidden (by `<Activity>`) to be shown again; an unmounted provider cannot be
 * told from a hidden one until then, so they are rejected with `closed` after it.
 */
export const HIDDEN_QUEUE_MS = 10 * 60_000;

/**
 * Drivers destroyed because their provider unmounted, which may still be replaced (the provider was
 * only hidden): told once it is (or once {@link HIDDEN_QUEUE_MS} passed, and it no longer will be).
 */
const parked = new WeakMap<SseDriver, Emitter>();

/**
 * Calls `listener` once `driver`, destroyed as its provider unmounted, was replaced ({@link liveDriver}
 * finds the replacement) or no longer can be; returns what stops it, or `undefined` when no
 * replacement may come (a driver destroyed otherwise, or not destroyed).
 */
export function whenReplaced(driver: SseDriver, listener: () => void): (() => void) | undefined {
  return parked.get(driver)?.subscribe(listener);
}

/** Each driver an owner replaced, mapped to its replacement. */
const replacements = new WeakMap<SseDriver, SseDriver>();

/** How many client ids of the drivers it replaced a replacement remembers. */
const FORMER_IDS = 8;

/** The client ids of the drivers each replacement took over from, newest first. */
const formerIds = new WeakMap<SseDriver, readonly string[]>();

/**
 * The driver in use in place of `driver`: the one that replaced it after its provider destroyed it
 * while hidden (following every replacement since), else `driver` itself.
 */
export function liveDriver(driver: SseDriver): SseDriver {
  let live = driver;
  for (let next = replacements.get(live); next !== undefined; next = replacements.get(live)) live = next;
  return live;
}

/**
 * Whether `sender` is the client of `driver`: its own client id, or that of a driver it replaced
 * (its stream resumes theirs, so their updates may reach it late).
 */
export function sentBy(driver: SseDriver, sender: string | undefined): boolean {
  return sender !== undefined && (sender === driver.clientId || formerIds.get(driver)?.includes(sender) === true);
}

/**
 * Holds the driver an {@link SseProvider} creates from options, for the provider's lifetime (it is
 * created in `useState`, read with `useSyncExternalStore`, and given the latest options from an
 * effect). Making a driver opens nothing: connections start only when a hook subscribes, in an
 * effect. The driver is destroyed a microtask after the last mount released it, so StrictMode's
 * unmount/remount keeps it; one destroyed meanwhile (the provider was hidden by `<Activity>`, say)
 * is replaced as the provider mounts again (from a layout effect, before the effects below it run),
 * and the subscribers are told; the new driver resumes the shared stream where the old one stopped
 * (through the `resume` storage, or through memory where the options leave `resume` without storage,
 * as when `fetch` is given), and the publishes queued on the destroyed one move to it ({@link whenReplaced}).
 * A driver whose provider never mounts (StrictMode's second, discarded
 * `useState` initializer; a concurrent render thrown away) is destroyed after {@link UNCLAIMED_MS}, so
 * it does not linger in the tab group or hold a stream for other tabs.
 */
export class DriverOwner {
  #options: SseDriverOptions;
  #driver: SseDriver;
  #mounts = 0;
  readonly #emitter = new Emitter();
  readonly #warned = new Set<string>();
  /** The timer destroying a driver no provider mounted with, until the first mount. */
  #unclaimed: unknown;
  /** The `onError` function rendered last: what the drivers' `onError` calls. */
  #onError: ((error: SseError) => void) | undefined;
  /**
   * What a `headers` function last gave a driver's request (see `headerList`); `null` when that read
   * threw or rejected (the connection stopped on it: any headers given now differ), `undefined` before any.
   */
  #sent: string | null | undefined;
  /**
   * The shared stream's cursors, carried from a destroyed driver to its replacement when `resume`
   * is left unset and has no storage of its own; `undefined` when the drivers use their own.
   */
  readonly #carried: CursorStorage | undefined;

  /**
   * @param options - the provider's driver options; only a changed `headers` is applied later.
   * @throws {SseError} `misuse` for options the driver refuses (no `url`, say).
   */
  constructor(options: SseDriverOptions) {
    this.#options = options;
    this.#onError = options.onError;
    if (options.resume === undefined && resolveCursorStorage(undefined, options.fetch !== undefined) === undefined) {
      const cursors = new Map<string, string>();
      this.#carried = { getItem: (key) => cursors.get(key) ?? null, setItem: (key, value) => void cursors.set(key, value) };
    }
    const driver = this.#create();
    this.#driver = driver;
    // On a server (no window) a provider never mounts and its driver opens nothing: no timer to keep the process alive.
    if (typeof window === 'undefined') return;
    this.#unclaimed = driver.platform.setTimeout(() => {
      this.#unclaimed = undefined;
      if (this.#mounts === 0 && this.#driver === driver) driver.destroy();
    }, UNCLAIMED_MS);
  }

  /** Listens for the driver being replaced. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** The driver in use (never creates one). */
  readonly getSnapshot = (): SseDriver => this.#driver;

  /** A provider mounted: keeps the driver alive, and replaces one destroyed meanwhile. */
  retain(): void {
    this.#mounts++;
    if (this.#unclaimed !== undefined) this.#driver.platform.clearTimeout(this.#unclaimed);
    this.#unclaimed = undefined;
    this.revive();
  }

  /**
   * Replaces a driver destroyed meanwhile (the provider was hidden) and tells the subscribers; what
   * still holds the destroyed one finds its replacement through {@link liveDriver}.
   */
  revive(): void {
    if (!this.#driver.destroyed) return;
    const destroyed = this.#driver;
    const driver = this.#create();
    replacements.set(destroyed, driver);
    formerIds.set(driver, [destroyed.clientId, ...(formerIds.get(destroyed) ?? [])].slice(0, FORMER_IDS));
    this.#driver = driver;
    this.#unpark(destroyed);
    this.#emitter.notify();
  }

  /**
   * Destroys a driver whose provider unmounted. What waits for its replacement is told when one
   * comes, or {@link HIDDEN_QUEUE_MS} after it began waiting (a timer runs only while something waits).
   */
  #park(driver: SseDriver): void {
    let timer: unknown;
    const waiting = new Emitter({
      onFirst: () => {
        timer = driver.platform.setTimeout(() => this.#unpark(driver), HIDDEN_QUEUE_MS);
        // In Node (tests, server rendering), a provider unmounted for good must not hold the process 10 minutes.
        (timer as { unref?: () => void } | undefined)?.unref?.();
      },
      onLast: () => driver.platform.clearTimeout(timer),
    });
    parked.set(driver, waiting);
    driver.destroy();
  }

  #unpark(driver: SseDriver): void {
    const waiting = parked.get(driver);
    parked.delete(driver);
    waiting?.notify();
  }

  #create(): SseDriver {
    const options: SseDriverOptions = { ...this.#options };
    if (options.onError) options.onError = this.#reportError;
    if (typeof options.headers === 'function') options.headers = this.#readHeaders;
    if (this.#carried) options.resume = this.#carried;
    return new SseDriver(options);
  }

  readonly #reportError = (error: SseError): void => this.#onError?.(error);

  /** What the drivers' `headers` function calls: the function rendered last (what it gave is kept, see `setOptions`). */
  readonly #readHeaders = (): HeadersInit | Promise<HeadersInit> => {
    const headers = this.#options.headers;
    let value: HeadersInit | Promise<HeadersInit>;
    try {
      value = typeof headers === 'function' ? headers() : (headers ?? {});
    } catch (error) {
      this.#sent = null;
      throw error;
    }
    if (!(value instanceof Promise)) this.#sent = headerList(value);
    else
      void value.then(
        (resolved) => (this.#sent = headerList(resolved)),
        () => (this.#sent = null),
      );
    return value;
  };

  /**
   * A new `headers` function was rendered: when what it gives differs from what the drivers last
   * sent (a renewed token), the driver is told (it retries a connection stopped by 401/403); the same
   * credentials from a new (inline) function ask nothing of the hub.
   */
  #compareHeaders(read: () => HeadersInit | Promise<HeadersInit>): void {
    const changed = (value: HeadersInit) => {
      if (this.#options.headers === read && this.#sent !== undefined && headerList(value) !== this.#sent) this.#driver.setHeaders(this.#readHeaders);
    };
    try {
      const value = read();
      if (value instanceof Promise) value.then(changed, () => undefined);
      else changed(value);
    } catch {
      // The driver reports a throwing function at its next request.
    }
  }

  /**
   * A provider unmounted: destroys the driver unless it is mounted again within the same task —
   * after its in-flight publishes settled (a peer's goodbye, say), unless it was mounted again meanwhile.
   */
  release(): void {
    this.#mounts--;
    queueMicrotask(() => {
      const driver = this.#driver;
      if (this.#mounts !== 0) return;
      void driver.whenIdle().then(() => {
        if (this.#mounts === 0 && this.#driver === driver) this.#park(driver);
      });
    });
  }

  /**
   * The provider rendered with `options`: a changed `headers` object (by value) goes to the driver
   * (and to any driver made later), which retries a connection stopped by 401/403; a `headers`
   * function is called, the one rendered last, at each request, and a new one is told to the driver
   * only when it gives other headers than the last request sent (as is a change between a function,
   * an object and none). `onError` is called from
   * now on when the provider mounted with one. Any other option is read once: in development, a change is
   * reported once per option with `console.warn`, naming the fix.
   */
  setOptions(options: SseDriverOptions): void {
    const { headers, ...rest } = options;
    // One given or taken away later is a changed option (read once), which the warning below reports.
    if (options.onError) this.#onError = options.onError;
    const { headers: previous, ...kept } = this.#options;
    if (!sameHeaders(previous, headers)) {
      this.#options = headers === undefined ? kept : { ...kept, headers };
      // A function rendered again (an inline one is new at every render) is compared by what it gives.
      if (typeof previous === 'function' && typeof headers === 'function') this.#compareHeaders(headers);
      else this.#driver.setHeaders(typeof headers === 'function' ? this.#readHeaders : headers);
    }
    // Spelled out here rather than behind a function: a bundler replaces `process.env.NODE_ENV`
    // (in development too: a browser has no `process`), and a production build drops the call with
    // all the code only it uses. Where nothing replaces it and there is no `process` (an unbundled
    // browser module), reading it throws and warnings are off; a warning never breaks the provider.
    try {
      if (process.env.NODE_ENV !== 'production') warnChangedOptions(this.#options, rest, this.#warned);
    } catch {
      // no warnings
    }
  }
}

/**
 * Warns once per option (remembered in `warned`) that changed from `initial` to `next`, naming the
 * fix (a `key`). Development only.
 */
function warnChangedOptions(initial: SseDriverOptions, next: Omit<SseDriverOptions, 'headers'>, warned: Set<string>): void {
  const { headers: _headers, ...first } = initial;
  for (const name of new Set([...Object.keys(first), ...Object.keys(next)])) {
    const key = name as keyof typeof next;
    if (warned.has(name) || sameOption(first[key], next[key])) continue;
    warned.add(name);
    console.warn(
      `<SseProvider>: the "${name}" option changed after the provider mounted; options are read once, so the change is ignored. ` +
        `To connect with the new options, give the provider a key that changes with them, e.g. <SseProvider key={url} url={url}>.`,
    );
  }
}

/** Whether two `headers` options carry the same credentials (functions compare by identity). */
function sameHeaders(a: HeadersOption | undefined, b: HeadersOption | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a === 'function' || typeof b === 'function') return false;
  return headerList(a) === headerList(b);
}

/** Headers as one comparable text (names lower-cased and sorted by `Headers`). */
function headerList(headers: HeadersInit): string {
  return [...new Headers(headers).entries()].map(([k, v]) => `${k}:${v}`).join('\n');
}

/**
 * Whether an option kept its value: plain objects and arrays compare field by field, `URL`s by
 * their text, server adapters of one kind by their `settings` (`server={channels({ … })}` makes a
 * new one at every render), and functions are not compared (an inline callback is new at every render).
 */
function sameOption(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function' && typeof b === 'function') return true;
  if (a instanceof URL || b instanceof URL) return String(a) === String(b);
  if (isAdapter(a) && isAdapter(b)) {
    return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && a.name === b.name && a.settings !== undefined && sameOption(a.settings, b.settings);
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameOption((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  return true;
}

function isAdapter(value: unknown): value is ProtocolAdapter {
  return typeof value === 'object' && value !== null && 'readEvent' in value && 'name' in value;
}

function isPlain(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}
