import type { SseDriver } from '../core/SseDriver.js';
import { driverLink } from '../core/driverLink.js';
import { Emitter } from '../core/emitter.js';
import { SseError, SseNetworkError } from '../core/errors.js';
import { withoutUndefined } from '../core/withoutUndefined.js';
import type { PublishOptions } from '../core/types.js';
import { liveDriver, whenReplaced } from './DriverOwner.js';
import type { PublishCallOptions, PublishStatus, UsePublishOptions } from './types.js';

/** The state {@link PublishStore} exposes (`usePublish` adds the functions). */
export interface PublishSnapshot {
  readonly status: PublishStatus;
  readonly error: SseError | undefined;
  readonly lastId: string | undefined;
}

/** What may change between renders without a new store. */
export interface PublishLive {
  topic: string | readonly string[];
  defaults: UsePublishOptions;
}

interface Queued {
  readonly topic: string | readonly string[];
  readonly data: unknown;
  readonly options: PublishOptions;
  readonly resolve: (id: string) => void;
  readonly reject: (error: SseError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  /** Place in the order the publishes were made: one sent at once and put back goes before those made after it. */
  readonly seq: number;
}

const DEFAULT_QUEUE_LIMIT = 100;

/** Initial state; also the server snapshot. */
export const INITIAL_PUBLISH_SNAPSHOT: PublishSnapshot = Object.freeze({ status: 'idle', error: undefined, lastId: undefined });

/**
 * The publishes of one `usePublish`, for the component's lifetime (created in `useState`, read with
 * `useSyncExternalStore`, pointed at the provider's driver from an effect): their status as a tiny
 * external store, and the optional offline queue. The queue listens to the driver only while it
 * holds something, sends in order once the connection is open, and gives each publish its id (from
 * the driver's `platform.uuid` seam) when it is made, so re-sending after a failed attempt cannot
 * deliver it twice: a receiving driver drops every delivery whose id is among the last few thousand
 * it saw. A queue whose driver a hidden provider destroyed waits for the provider's next driver.
 */
export class PublishStore {
  #driver: SseDriver;
  readonly #live: { readonly current: PublishLive };
  readonly #emitter = new Emitter();
  #snapshot: PublishSnapshot = INITIAL_PUBLISH_SNAPSHOT;
  #outcome: 'idle' | 'success' | 'error' = 'idle';
  #inflight = 0;
  #queue: Queued[] = [];
  #seq = 0;
  #flushing = false;
  /** The queued publish being sent: its answer settles it, also when the driver is destroyed meanwhile. */
  #sending: Queued | undefined;
  #offState: (() => void) | undefined;
  /** Stops waiting for the replacement of a driver destroyed as its provider was hidden. */
  #offReplaced: (() => void) | undefined;

  /** @param live - topic and defaults, read at each publish. */
  constructor(driver: SseDriver, live: { readonly current: PublishLive }) {
    this.#driver = driver;
    this.#live = live;
  }

  /** `useSyncExternalStore` subscribe. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /**
   * Publishes through `driver` (or the driver that replaced it) from now on: a provider's replaced
   * driver. Queued publishes stay queued and wait for this driver's connection.
   */
  setDriver(given: SseDriver): void {
    const driver = liveDriver(given);
    if (driver === this.#driver) return;
    this.#stopListening();
    this.#driver = driver;
    if (this.#queue.length === 0) return;
    this.#offState = driver.on('state', this.#onDriverState);
    this.#onDriverState();
  }

  /** The current snapshot. */
  readonly getSnapshot = (): PublishSnapshot => this.#snapshot;

  /** The server snapshot: the initial state. */
  readonly getServerSnapshot = (): PublishSnapshot => INITIAL_PUBLISH_SNAPSHOT;

  /** Publishes and returns the id; rejects with an {@link SseError}. */
  readonly publishAsync = (data: unknown, call: PublishCallOptions = {}): Promise<string> => {
    // An effect of a provider shown again may publish before this store heard of the new driver.
    this.setDriver(this.#driver);
    const { topic, defaults } = this.#live.current;
    const { queue, queueLimit, signal, ...rest } = { ...defaults, ...withoutUndefined(call) };
    const options: PublishOptions = rest;
    if (signal !== undefined) options.signal = signal;
    // A driver destroyed as its provider was hidden may be replaced: its queue waits for the show.
    if (queue === true && (!this.#driver.destroyed || this.#waitForReplacement())) {
      // Its id is fixed now, so that sending it again cannot deliver it twice.
      const fixed: PublishOptions = { ...options, id: options.id ?? `urn:uuid:${this.#driver.platform.uuid()}` };
      const seq = this.#seq++;
      if (isOffline(this.#driver) || this.#driver.destroyed || this.#queue.length > 0) {
        const refused = this.#refusal(topic, data, fixed);
        if (refused) return this.#failEarly(refused);
        const limit = queueLimit ?? DEFAULT_QUEUE_LIMIT;
        if (this.#queue.length >= limit) {
          return this.#failEarly(
            new SseNetworkError(`The driver is offline and the publish queue is full (${limit}).`, { hint: 'Raise queueLimit, or publish less while offline.' }),
          );
        }
        return this.#enqueue(topic, data, fixed, signal, seq);
      }
      // Sent at once; when the connection dropped before its answer, it waits in the queue like those made after it.
      return this.#send(topic, data, fixed, (error) => (this.#waits(error) ? this.#enqueue(topic, data, fixed, signal, seq) : undefined));
    }
    if (this.#driver.getSnapshot().status === 'reconnecting') {
      return this.#failEarly(
        this.#refusal(topic, data, options) ??
          new SseNetworkError('The driver is offline (reconnecting to the hub); the publish was not sent.', {
            hint: 'Retry once the connection is open, or pass { queue: true } to usePublish.',
          }),
      );
    }
    return this.#send(topic, data, options);
  };

  /** Publishes; never throws (the outcome lands in the snapshot). */
  readonly publish = (data: unknown, call?: PublishCallOptions): void => {
    this.publishAsync(data, call).catch(() => undefined);
  };

  /** Back to `idle` with no error and no id. */
  readonly reset = (): void => {
    this.#outcome = 'idle';
    this.#update(undefined, undefined);
  };

  /**
   * The error the driver's publish would reject these arguments with before sending them (bad input,
   * an aborted signal), if any: a publish that is not sent now is refused now, as one sent now is,
   * not later from a flush nobody awaits.
   */
  #refusal(topic: string | readonly string[], data: unknown, options: PublishOptions): SseError | undefined {
    return driverLink(this.#driver)?.checkPublish(topic, data, options);
  }

  /** Sends one publish; `requeue` may put a failed one in the queue, and then gives its promise. */
  async #send(
    topic: string | readonly string[],
    data: unknown,
    options: PublishOptions,
    requeue?: (error: SseError) => Promise<string> | undefined,
  ): Promise<string> {
    this.#inflight++;
    this.#update(this.#snapshot.error, this.#snapshot.lastId);
    let error: SseError;
    try {
      const id = await this.#driver.publish(topic, data, options);
      this.#inflight--;
      this.#outcome = 'success';
      this.#update(undefined, id);
      return id;
    } catch (cause) {
      this.#inflight--;
      error = toSseError(cause);
    }
    const queued = requeue?.(error);
    if (queued === undefined) this.#outcome = 'error';
    this.#update(error, this.#snapshot.lastId);
    if (queued === undefined) throw error;
    return queued;
  }

  /** Whether a publish that failed with `error` waits for the next open: the connection dropped meanwhile. */
  #waits(error: SseError): boolean {
    return error.code === 'network' && isOffline(this.#driver);
  }

  /** Refuses a publish that is not sent: with nothing queued, nothing waits for a show (`#waitForReplacement`). */
  #failEarly(error: SseError): Promise<string> {
    if (this.#queue.length === 0) this.#stopListening();
    this.#outcome = 'error';
    this.#update(error, this.#snapshot.lastId);
    return Promise.reject(error);
  }

  /** Queues a publish (its id fixed) in the order the publishes were made. */
  #enqueue(topic: string | readonly string[], data: unknown, options: PublishOptions, signal: AbortSignal | undefined, seq: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const item: Queued = {
        topic,
        data,
        options,
        seq,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#queue.indexOf(item);
          if (index === -1) return;
          this.#queue.splice(index, 1);
          this.#afterQueueChange();
          reject(new SseError('aborted', 'The queued publish was aborted before it was sent.'));
        },
      };
      signal?.addEventListener('abort', item.onAbort);
      const at = this.#queue.findIndex((other) => other.seq > seq);
      this.#queue.splice(at === -1 ? this.#queue.length : at, 0, item);
      this.#offState ??= this.#driver.on('state', this.#onDriverState);
      this.#update(this.#snapshot.error, this.#snapshot.lastId);
      this.#onDriverState();
    });
  }

  readonly #onDriverState = (): void => {
    const status = this.#driver.getSnapshot().status;
    if (status === 'closed' || this.#driver.destroyed) {
      if (this.#waitForReplacement()) return;
      // The one being sent is left to its answer (a provider destroys its driver once publishes in flight are answered).
      const sending = this.#sending;
      const items = this.#queue.filter((item) => item !== sending);
      this.#queue = this.#queue.filter((item) => item === sending);
      for (const item of items) this.#settle(item, new SseError('closed', 'The driver was destroyed before the queued publish was sent.'));
      this.#afterQueueChange();
      return;
    }
    if (!isOffline(this.#driver)) void this.#flush();
  };

  /**
   * Whether the destroyed driver may still be replaced (its provider was hidden, not unmounted):
   * then the queue waits, and goes to the replacement when it comes (or is rejected when none can).
   */
  #waitForReplacement(): boolean {
    this.#offReplaced ??= whenReplaced(this.#driver, this.#onReplaced);
    return this.#offReplaced !== undefined;
  }

  readonly #onReplaced = (): void => {
    this.#offReplaced?.();
    this.#offReplaced = undefined;
    const driver = this.#driver;
    this.setDriver(driver);
    // Not replaced (the provider was unmounted for good): the queue is rejected with closed.
    if (this.#driver === driver) this.#onDriverState();
  };

  #stopListening(): void {
    this.#offState?.();
    this.#offState = undefined;
    this.#offReplaced?.();
    this.#offReplaced = undefined;
  }

  /** Sends the queue in order while the driver is online; a network failure puts the publish back. */
  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        if (isOffline(this.#driver) || this.#driver.destroyed) return;
        const item = this.#queue[0] as Queued;
        let id: string;
        this.#sending = item;
        try {
          id = await this.#send(item.topic, item.data, item.options);
        } catch (cause) {
          const error = toSseError(cause);
          // Still queued (not aborted); one sent at once and put back may have gone before it.
          if (this.#waits(error) && this.#queue.includes(item)) {
            // The connection dropped meanwhile: keep the publish (same id) for the next open. Not
            // without a stream coming back (idle, stopped on an error): no open would ever send it.
            this.#update(this.#snapshot.error, this.#snapshot.lastId);
            return;
          }
          this.#remove(item);
          this.#settle(item, error);
          continue;
        } finally {
          this.#sending = undefined;
        }
        this.#remove(item);
        item.signal?.removeEventListener('abort', item.onAbort);
        item.resolve(id);
      }
    } finally {
      this.#flushing = false;
      this.#afterQueueChange();
    }
  }

  #remove(item: Queued): void {
    const index = this.#queue.indexOf(item);
    if (index !== -1) this.#queue.splice(index, 1);
  }

  #settle(item: Queued, error: SseError): void {
    item.signal?.removeEventListener('abort', item.onAbort);
    this.#outcome = 'error';
    this.#update(error, this.#snapshot.lastId);
    item.reject(error);
  }

  #afterQueueChange(): void {
    if (this.#queue.length === 0) this.#stopListening();
    this.#update(this.#snapshot.error, this.#snapshot.lastId);
  }

  #update(error: SseError | undefined, lastId: string | undefined): void {
    const status: PublishStatus = this.#inflight > 0 ? 'pending' : this.#queue.length > 0 ? 'queued' : this.#outcome;
    const prev = this.#snapshot;
    if (prev.status === status && prev.error === error && prev.lastId === lastId) return;
    this.#snapshot = { status, error, lastId };
    this.#emitter.notify();
  }
}

/**
 * Whether `driver` is connecting or reconnecting, or about to connect (idle with subscriptions): a
 * state change (open, or a stop) will follow.
 */
function isOffline(driver: SseDriver): boolean {
  const { status } = driver.getSnapshot();
  return status === 'reconnecting' || status === 'connecting' || (status === 'idle' && driver.getSubscriptions().length > 0);
}

function toSseError(cause: unknown): SseError {
  return cause instanceof SseError ? cause : new SseError('network', 'Publishing failed.', { cause });
}
