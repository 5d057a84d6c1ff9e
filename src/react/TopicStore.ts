import type { SseDriver } from '../core/SseDriver.js';
import { SseParseError, type SseError } from '../core/errors.js';
import { reportLater } from '../core/reportLater.js';
import type { ConnectionStatus, DriverState, Matchers, SseUpdate, TopicMatcher } from '../core/types.js';
import { INITIAL_DRIVER_STATE } from '../core/initialState.js';
import type { TopicParser } from './types.js';

/** The state {@link TopicStore} exposes (`useTopic` adds `clear`). */
export interface TopicSnapshot<T> {
  readonly events: readonly SseUpdate<T>[];
  readonly last: SseUpdate<T> | undefined;
  readonly status: ConnectionStatus;
  readonly error: SseError | undefined;
  readonly dropped: number;
}

/** What fixes a subscription: changing any of it makes a new store. */
export interface TopicConfig {
  readonly matchers: Matchers;
  readonly type: string | undefined;
  readonly raw: boolean;
  readonly since: string | undefined;
  readonly enabled: boolean;
}

/** What may change between renders without resubscribing; read at each update. */
export interface TopicLive<T> {
  buffer: number;
  parse: TopicParser<T>;
  ignoreSelf: boolean;
  onEvent: ((update: SseUpdate<T>) => void) | undefined;
}

/** Snapshot before anything happened; also the server snapshot, so hydration matches. */
export const INITIAL_TOPIC_SNAPSHOT: TopicSnapshot<never> = Object.freeze({
  events: Object.freeze([]) as readonly never[],
  last: undefined,
  status: INITIAL_DRIVER_STATE.status,
  error: INITIAL_DRIVER_STATE.error,
  dropped: 0,
});

/**
 * One `useTopic` subscription as a tiny external store: subscribes to the driver on its first
 * listener and unsubscribes on its last, keeps a bounded buffer of updates (counting what fell
 * off), and notifies once per task however many updates arrived, so React renders a burst once.
 * The snapshot changes only when this subscription's data, or the driver's status or error, change.
 */
export class TopicStore<T> {
  /** The driver subscribed to. */
  readonly driver: SseDriver;
  /** Value key of the config, compared to decide whether a render needs a new store. */
  readonly key: string;
  readonly #config: TopicConfig;
  readonly #live: { readonly current: TopicLive<T> };
  readonly #listeners = new Set<() => void>();
  #snapshot: TopicSnapshot<T> = INITIAL_TOPIC_SNAPSHOT;
  #pending: SseUpdate<T>[] = [];
  #pendingDropped = 0;
  #ownError: SseError | undefined;
  #ownErrorChanged = false;
  #driverState: DriverState | undefined;
  #flushHandle: unknown;
  #stop: (() => void) | undefined;

  /**
   * @param key - value key of `config` (see {@link topicKey}).
   * @param live - read at every update, so new callbacks never resubscribe.
   */
  constructor(driver: SseDriver, key: string, config: TopicConfig, live: { readonly current: TopicLive<T> }) {
    this.driver = driver;
    this.key = key;
    this.#config = config;
    this.#live = live;
  }

  /** `useSyncExternalStore` subscribe: the first listener starts the subscription, the last stops it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (!this.#listeners.delete(listener)) return;
      if (this.#listeners.size === 0) this.#end();
    };
  };

  /** The current snapshot (the same object until something changed). */
  readonly getSnapshot = (): TopicSnapshot<T> => {
    if (this.#stop === undefined) this.#syncDriverState(false);
    return this.#snapshot;
  };

  /** The server (and hydration) snapshot: always the initial state. */
  readonly getServerSnapshot = (): TopicSnapshot<T> => INITIAL_TOPIC_SNAPSHOT;

  /** Empties the buffer, resets `last`, `dropped` and the subscription's own error. */
  readonly clear = (): void => {
    this.#pending = [];
    this.#pendingDropped = 0;
    this.#ownError = undefined;
    this.#ownErrorChanged = false;
    const s = this.#snapshot;
    if (s.events.length === 0 && s.last === undefined && s.dropped === 0 && s.error === this.#driverError()) return;
    this.#snapshot = { ...s, events: [], last: undefined, dropped: 0, error: this.#driverError() };
    this.#notify();
  };

  #start(): void {
    if (!this.#config.enabled || this.driver.destroyed) {
      this.#stop = () => undefined;
      return;
    }
    const offState = this.driver.subscribeState(() => {
      if (this.#syncDriverState(true)) this.#schedule();
    });
    const { type, raw, since, matchers } = this.#config;
    const options: { type?: string; raw?: boolean; since?: string; onError: (error: SseError) => void } = {
      onError: (error) => this.#fail(error),
    };
    if (type !== undefined) options.type = type;
    if (raw) options.raw = true;
    if (since !== undefined) options.since = since;
    const offUpdates = this.driver.subscribe(matchers, this.#receive, options);
    this.#stop = () => {
      offUpdates();
      offState();
    };
    this.#syncDriverState(false);
  }

  #end(): void {
    this.#stop?.();
    this.#stop = undefined;
    if (this.#flushHandle !== undefined) {
      this.driver.platform.clearTimeout(this.#flushHandle);
      this.#flushHandle = undefined;
      this.#apply();
    }
  }

  readonly #receive = (update: SseUpdate): void => {
    const live = this.#live.current;
    if (live.ignoreSelf && update.sender !== undefined && update.sender === this.driver.clientId) return;
    let parsed: SseUpdate<T>;
    try {
      parsed = parseUpdate(update, live.parse, this.#config.raw);
    } catch (cause) {
      this.#fail(
        new SseParseError(`An update for "${update.topic}" (id ${update.id || 'none'}) could not be parsed: ${cause instanceof Error ? cause.message : String(cause)}`, {
          cause,
        }),
      );
      return;
    }
    this.#pending.push(parsed);
    // Keep the pending list bounded during long bursts; what is cut here would be dropped at flush.
    const keep = Math.max(live.buffer, 1);
    if (this.#pending.length > 2 * keep) {
      const cut = this.#pending.length - keep;
      this.#pending = this.#pending.slice(cut);
      this.#pendingDropped += cut;
    }
    this.#schedule();
    const onEvent = live.onEvent;
    if (onEvent) {
      try {
        onEvent(parsed);
      } catch (error) {
        reportLater(error);
      }
    }
  };

  #fail(error: SseError): void {
    this.#ownError = error;
    this.#ownErrorChanged = true;
    this.#schedule();
  }

  #driverError(): SseError | undefined {
    return this.#config.enabled ? this.driver.getState().error : undefined;
  }

  /** Copies the driver's status and error into the snapshot; returns whether they changed. */
  #syncDriverState(defer: boolean): boolean {
    const state = this.driver.getState();
    if (state === this.#driverState) return false;
    this.#driverState = state;
    const status: ConnectionStatus = this.#config.enabled ? state.status : 'idle';
    const error = this.#ownError ?? (this.#config.enabled ? state.error : undefined);
    if (status === this.#snapshot.status && error === this.#snapshot.error) return false;
    if (!defer) this.#snapshot = { ...this.#snapshot, status, error };
    return true;
  }

  #schedule(): void {
    if (this.#flushHandle !== undefined) return;
    this.#flushHandle = this.driver.platform.setTimeout(() => {
      this.#flushHandle = undefined;
      if (this.#apply()) this.#notify();
    }, 0);
  }

  /** Folds pending updates and state into a new snapshot; returns whether it changed. */
  #apply(): boolean {
    const prev = this.#snapshot;
    const state = this.driver.getState();
    this.#driverState = state;
    const status: ConnectionStatus = this.#config.enabled ? state.status : 'idle';
    const error = this.#ownError ?? (this.#config.enabled ? state.error : undefined);
    const pending = this.#pending;
    if (pending.length === 0 && status === prev.status && error === prev.error && !this.#ownErrorChanged) return false;
    this.#ownErrorChanged = false;
    let events = prev.events;
    let dropped = prev.dropped + this.#pendingDropped;
    let last = prev.last;
    if (pending.length > 0) {
      const buffer = Math.max(0, this.#live.current.buffer);
      const all = prev.events.concat(pending);
      const cut = Math.max(0, all.length - buffer);
      events = cut === 0 ? all : all.slice(cut);
      dropped += cut;
      last = pending[pending.length - 1];
      this.#pending = [];
      this.#pendingDropped = 0;
    }
    this.#snapshot = { events, last, status, error, dropped };
    return true;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** A value key for a subscription config: inline arrays with the same matchers give the same key. */
export function topicKey(config: TopicConfig): string {
  const list: readonly TopicMatcher[] = Array.isArray(config.matchers) ? config.matchers : [config.matchers as TopicMatcher];
  const matchers = [...new Set(list.map((m) => (typeof m === 'string' ? `t:${m}` : `p:${String(m?.pattern)}`)))].sort();
  return JSON.stringify([matchers, config.type ?? null, config.raw, config.since ?? null, config.enabled]);
}

function parseUpdate<T>(update: SseUpdate, parse: TopicParser<T>, raw: boolean): SseUpdate<T> {
  let data: unknown;
  if (typeof parse === 'function') data = parse(update.data, update);
  else if (parse === 'text') data = typeof update.data === 'string' ? update.data : JSON.stringify(update.data);
  else data = raw && typeof update.data === 'string' ? (JSON.parse(update.data) as unknown) : update.data;
  return data === update.data ? (update as SseUpdate<T>) : { ...update, data: data as T };
}
