import type { SseDriver } from '../core/SseDriver.js';
import { Emitter, reportError } from '../core/emitter.js';
import { DRAIN_MS } from '../core/drain.js';
import { SseParseError, type SseError } from '../core/errors.js';
import { driverLink } from '../core/driverLink.js';
import { compileMatcher, toMatcherList } from '../core/matcher.js';
import { withoutUndefined } from '../core/withoutUndefined.js';
import { MAIN } from '../core/slotOptions.js';
import type { Matchers, SseUpdate, SubscribeOptions, TopicMatcher } from '../core/types.js';
import { sentBy } from './DriverOwner.js';
import { driverConnection, type TopicConnection } from './driverConnection.js';
import { notifyScheduler, type Flushable } from './notifyScheduler.js';
import { Tracker } from './tracked.js';
import type { TopicParser, UseTopicResult } from './types.js';

/** What fixes a subscription: changing any of it resubscribes. */
export interface TopicConfig {
  readonly matchers: Matchers;
  readonly type: string | undefined;
  readonly raw: boolean;
  readonly since: string | undefined;
  readonly enabled: boolean;
}

/** What may change between renders without resubscribing; read at each update. */
export interface TopicLive<T> {
  /**
   * Value key of the subscription these values were rendered for: from the commit that changes it to
   * the effect that moves the subscription, the previous one may still deliver, and its updates are not theirs.
   */
  key: string;
  buffer: number;
  parse: TopicParser<T>;
  ignoreSelf: boolean;
  onEvent: ((update: SseUpdate<T>) => void) | undefined;
}

/** The subscription a {@link TopicObserver} serves: a driver and a config (with its value key). */
export interface TopicTarget {
  readonly driver: SseDriver;
  /** Value key of `config` (see {@link topicKey}). */
  readonly key: string;
  readonly config: TopicConfig;
}

/** The subscription's own fields of a `useTopic` result. */
interface TopicData<T> {
  readonly events: readonly SseUpdate<T>[];
  readonly last: SseUpdate<T> | undefined;
  readonly dropped: number;
  readonly error: SseError | undefined;
}

const IDLE: TopicConnection = Object.freeze({ status: 'idle', connectionError: undefined });
const EMPTY: TopicData<never> = Object.freeze({ events: Object.freeze([]) as readonly never[], last: undefined, dropped: 0, error: undefined });
const noop = (): void => undefined;
/** How long a catch-up waits for its replay stream to open once the shared stream carries the subscription. */
export const REPLAY_OPEN_MS = 10_000;
/** How many ids of replayed updates a `useTopic` remembers. */
const REPLAYED_MAX = 4096;

/**
 * The store behind one `useTopic` call, for the component's lifetime (created in `useState`, read
 * with `useSyncExternalStore`, pointed at a new subscription by {@link TopicObserver.setTarget} from
 * an effect). It subscribes to the driver on its first listener and unsubscribes on its last, keeps
 * a bounded buffer of updates (counting what fell off), and lets the shared {@link notifyScheduler}
 * announce its changes, so a burst renders once per batch across every `useTopic` (at most once
 * per frame while it lasts). Connection changes (heard through the driver's shared
 * {@link driverConnection}) make a new result only when the component read `status` or
 * `connectionError`, and at once (not with the batch), so a commit shows the status `useConnectionStatus` shows.
 */
export class TopicObserver<T> implements Flushable {
  #target: TopicTarget;
  readonly #live: { readonly current: TopicLive<T> };
  readonly #emitter = new Emitter({ onFirst: () => this.#start(), onLast: () => this.#stop() });
  readonly #tracker = new Tracker<TopicConnection>();
  #data: TopicData<T> = EMPTY;
  /**
   * The connection fields the current result shows. A change of fields no render read yet is
   * written here in place (no new result, no render), so a field read for the first time is current.
   */
  #shown: { connection: TopicConnection };
  #result: UseTopicResult<T>;
  #serverResult: UseTopicResult<T> | undefined;
  #preview: { readonly driver: SseDriver; readonly key: string; readonly result: UseTopicResult<T> } | undefined;
  #pending: SseUpdate<T>[] = [];
  #pendingDropped = 0;
  #ownError: SseError | undefined;
  #errorChanged = false;
  /** Ends the driver subscription; set while started. */
  #off: (() => void) | undefined;
  /** Id of the last update the subscription received: where it catches up from when it starts again. */
  #position: string | undefined;
  /**
   * Ids of the updates replays delivered (the newest {@link REPLAYED_MAX}): the shared stream did not
   * see them, and may bring them later, when it resumes from an older cursor; they are not shown twice.
   */
  readonly #replayed = new Set<string>();

  /**
   * @param live - read at every update, so new callbacks never resubscribe.
   * @throws {SseError} `misuse` for an empty or invalid matcher of an enabled subscription.
   */
  constructor(target: TopicTarget, live: { readonly current: TopicLive<T> }) {
    validate(target);
    this.#target = target;
    this.#live = live;
    this.#shown = { connection: connectionOf(target) };
    this.#result = this.#makeResult(EMPTY, this.#shown);
  }

  /** `useSyncExternalStore` subscribe: the first listener starts the subscription, the last stops it. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** The current result (the same object until something the component reads changed). */
  readonly getSnapshot = (): UseTopicResult<T> => {
    if (this.#off === undefined) this.#refreshConnection();
    return this.#result;
  };

  /** The server (and hydration) result: the initial state, `idle`. */
  readonly getServerSnapshot = (): UseTopicResult<T> => (this.#serverResult ??= this.#makeResult(EMPTY, { connection: IDLE }));

  /** Whether the observer serves this subscription already. */
  isFor(driver: SseDriver, key: string): boolean {
    return this.#target.driver === driver && this.#target.key === key;
  }

  /**
   * The result to render for a subscription the observer does not serve yet (its effect has not run):
   * no events (the events so far when it continues the one served on a replacing driver), the
   * connection as it is. The same object for the same subscription.
   * @throws {SseError} `misuse` for an empty or invalid matcher of an enabled subscription.
   */
  preview(target: TopicTarget): UseTopicResult<T> {
    const cached = this.#preview;
    if (cached !== undefined && cached.driver === target.driver && cached.key === target.key) return cached.result;
    validate(target);
    const result = this.#makeResult(this.#continues(target) ? this.#data : EMPTY, { connection: connectionOf(target) });
    this.#preview = { driver: target.driver, key: target.key, result };
    return result;
  }

  /**
   * Serves `target` from now on: a changed subscription resubscribes once and starts a fresh buffer,
   * unless it is the one served on the driver that replaced a destroyed one (the buffer then goes on).
   */
  setTarget(target: TopicTarget): void {
    if (this.isFor(target.driver, target.key)) return;
    const continues = this.#continues(target);
    const started = this.#off !== undefined;
    if (started) this.#stop();
    this.#target = target;
    this.#preview = undefined;
    // Another subscription, or a new driver that resumes the old one's stream by itself.
    this.#position = undefined;
    this.#replayed.clear();
    this.#reset(continues);
    if (started) this.#start();
    this.#emitter.notify();
  }

  /**
   * Whether `target` is the same subscription on the driver that replaced the destroyed one served
   * (an `SseProvider` shown again after `<Activity>` hid it): the new driver resumes the stream where
   * the old one stopped, so the events so far stay. Not with `since`, which replays from its id.
   */
  #continues(target: TopicTarget): boolean {
    const served = this.#target;
    return target.key === served.key && target.driver !== served.driver && served.driver.destroyed && target.config.since === undefined;
  }

  /** Empties the buffer, resets `last`, `dropped` and the subscription's own error. */
  readonly clear = (): void => {
    if (this.#isEmpty()) return;
    this.#reset();
    this.#emitter.notify();
  };

  /** Whether nothing arrived since the last reset (no update, drop or own error, pending or shown). */
  #isEmpty(): boolean {
    const data = this.#data;
    const empty = data.events.length === 0 && data.last === undefined && data.dropped === 0 && data.error === undefined;
    return empty && this.#pending.length === 0 && !this.#errorChanged;
  }

  /** Folds what arrived since the last batch into a new result and tells the listeners (scheduler). */
  flush(): void {
    if (this.#fold()) this.#emitter.notify();
  }

  /** Starts a new result with the current connection; `keep`: the events so far stay. */
  #reset(keep = false): void {
    if (!keep) {
      notifyScheduler.cancel(this);
      this.#pending = [];
      this.#pendingDropped = 0;
      this.#ownError = undefined;
      this.#errorChanged = false;
      this.#data = EMPTY;
    }
    this.#shown = { connection: connectionOf(this.#target) };
    this.#result = this.#makeResult(this.#data, this.#shown);
  }

  #start(): void {
    const { driver, config } = this.#target;
    // A `since` subscription started again (its component was hidden by `<Activity>`, say) replays
    // from `since` once more: its buffer starts afresh instead of taking the replay a second time.
    if (config.since !== undefined && !this.#isEmpty()) this.#reset();
    if (!config.enabled || driver.destroyed) {
      this.#off = noop;
      return;
    }
    const options: SubscribeOptions = withoutUndefined({ onError: (error: SseError) => this.#fail(error), type: config.type, raw: config.raw, since: config.since });
    const from = config.since === undefined ? this.#position : undefined;
    // Subscribed first: a subscription the driver refuses leaves no state listener behind.
    const offUpdates = from === undefined ? driver.subscribe(config.matchers, this.#receive, options) : this.#catchUp(from, options);
    const offState = driverConnection(driver).subscribe(this.#onState);
    this.#off = () => {
      offUpdates();
      offState();
    };
    this.#refreshConnection();
  }

  /**
   * Subscribes again after a stop (`<Activity>` hid the component) without losing what was published
   * meanwhile: a replay from `from` (the hub's history) delivers alone until it is in step with the
   * shared stream — one of them delivers an update the other one did — or, on a quiet topic, until it
   * delivered nothing for {@link DRAIN_MS} while both streams carried the subscription (like a drain,
   * this trusts a hub to send its history at once). Then the replay stream is left; what the shared
   * stream delivered meanwhile follows, without what the replay gave. A gap of the replay (the hub no
   * longer holds `from` or the id a reopen resumes from, or keeps no history) is the subscription's own
   * error, and so is a replay stream that did not open, or reopen after a drop, within
   * {@link REPLAY_OPEN_MS}: the catch-up then gives up.
   */
  #catchUp(from: string, options: SubscribeOptions): () => void {
    const { driver, config } = this.#target;
    const { platform } = driver;
    const replayed = this.#replayed;
    /** What the shared stream delivered while the replay had not, by id (an update without one by itself), in order. */
    const held = new Map<unknown, SseUpdate>();
    /** Bit 1: the replay stream carries the subscription; bit 2: the shared stream does. */
    let live = 0;
    let timer: unknown;
    let replaying = true;
    const leave = (): void => {
      replaying = false;
      platform.clearTimeout(timer);
      offStream();
      offReplay();
    };
    /** Leaves the replay; `at`: the update the two streams were in step at (none: the time ran out). */
    const done = (at?: string): void => {
      if (!replaying) return;
      leave();
      // What the replay did not give follows. Without an id, that is what the shared stream held after
      // the update the two were in step at (or everything, when the replay stream was not up).
      let after = !(live & 1);
      // Given up (every SseDriver has a link); in step, the shared stream goes on from an update the replay had.
      if (after && at === undefined) this.#fail(driverLink(driver)!.gap(from));
      for (const [key, update] of held) {
        after ||= key === at;
        if (update.id ? !replayed.has(update.id) : after) this.#receive(update);
      }
    };
    const settle = (bit = 0): void => {
      live |= bit;
      platform.clearTimeout(timer);
      if (live & 2) timer = platform.setTimeout(done, live & 1 ? DRAIN_MS : REPLAY_OPEN_MS);
    };
    /** Timeline name of the replay stream, told by its first attempt. */
    let stream: string | undefined;
    const offStream = driver.on('event', (event) => {
      const { connection, resumeFrom } = event as { connection?: string; resumeFrom?: string };
      // Its first attempt resumes from `from` (only `connecting` events tell `resumeFrom`).
      if (resumeFrom === from && connection !== MAIN) stream ??= connection;
      if (connection !== stream) return;
      // Its gaps (the first open's, or a reopen's after a drop) are the subscription's.
      if (event.type === 'gap') this.#fail(event.error);
      else if (event.type === 'drop' && live & 1) {
        // Cut: its history is not known to be whole until it opens again (or the catch-up gives up).
        live ^= 1;
        settle();
      }
    });
    const offReplay = driver.subscribe(
      config.matchers,
      (update) => {
        if (!replaying) return;
        // In step: what the shared stream held follows in its order (with what the replay skipped, after a gap).
        if (held.has(update.id)) return done(update.id);
        if (replayed.add(update.id).size > REPLAYED_MAX) replayed.delete(replayed.values().next().value as string);
        this.#receive(update);
        settle();
      },
      { ...options, since: from, onActive: () => settle(1) },
    );
    const offLive = driver.subscribe(
      config.matchers,
      (update) => {
        if (update.id && replayed.has(update.id)) done(update.id);
        else if (replaying) held.set(update.id || update, update);
        else this.#receive(update);
      },
      { ...options, onActive: () => settle(2) },
    );
    return () => {
      leave();
      offLive();
    };
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    // What was waiting for the batch is kept (a remount shows it), without a notification.
    if (notifyScheduler.cancel(this)) this.#fold();
  }

  #schedule(): void {
    notifyScheduler.schedule(this, this.#target.driver.platform);
  }

  // At once, not with the batch: in one commit, every reader of the driver's state shows the same status.
  readonly #onState = (): void => {
    if (this.#refreshConnection()) this.#emitter.notify();
  };

  readonly #receive = (update: SseUpdate): void => {
    const live = this.#live.current;
    // The subscription is being replaced (its buffer is about to start afresh): not for these callbacks.
    if (live.key !== this.#target.key) return;
    if (update.id !== '') this.#position = update.id;
    if (live.ignoreSelf && sentBy(this.#target.driver, update.sender)) return;
    let parsed: SseUpdate<T>;
    try {
      parsed = parseUpdate(update, live.parse, this.#target.config.raw);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.#fail(new SseParseError(`An update for "${update.topic}" (id ${update.id || 'none'}) could not be parsed: ${reason}`, { cause }));
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
        reportError(error);
      }
    }
  };

  #fail(error: SseError): void {
    this.#ownError = error;
    this.#errorChanged = true;
    this.#schedule();
  }

  /** Copies a connection change into the result: a new result when the component read a changed field (returns whether). */
  #refreshConnection(): boolean {
    const next = connectionOf(this.#target);
    if (!this.#tracker.changed(this.#shown.connection, next)) {
      this.#shown.connection = next;
      return false;
    }
    this.#shown = { connection: next };
    this.#result = this.#makeResult(this.#data, this.#shown);
    return true;
  }

  /** Folds pending updates, the own error and the connection into a new result; returns whether it changed. */
  #fold(): boolean {
    const connection = connectionOf(this.#target);
    const pending = this.#pending;
    if (pending.length === 0 && !this.#errorChanged && !this.#tracker.changed(this.#shown.connection, connection)) return false;
    const prev = this.#data;
    let { events, last, dropped } = prev;
    dropped += this.#pendingDropped;
    if (pending.length > 0) {
      const size = this.#live.current.buffer;
      const cut = Math.max(0, events.length + pending.length - size);
      events = events.concat(pending).slice(cut);
      dropped += cut;
      last = pending[pending.length - 1];
      // The window copied what it keeps: the pending list is reused for the next batch.
      pending.length = 0;
      this.#pendingDropped = 0;
    }
    this.#errorChanged = false;
    this.#data = { events, last, dropped, error: this.#ownError };
    this.#shown = { connection };
    this.#result = this.#makeResult(this.#data, this.#shown);
    return true;
  }

  #makeResult(data: TopicData<T>, shown: { readonly connection: TopicConnection }): UseTopicResult<T> {
    const tracker = this.#tracker;
    return {
      events: data.events,
      last: data.last,
      dropped: data.dropped,
      error: data.error,
      clear: this.clear,
      get status() {
        tracker.read('status');
        return shown.connection.status;
      },
      get connectionError() {
        tracker.read('connectionError');
        return shown.connection.connectionError;
      },
    };
  }
}

/** A value key for a subscription config: inline arrays with the same matchers give the same key. */
export function topicKey(config: TopicConfig): string {
  const { matchers: given } = config;
  const matchers =
    typeof given === 'string'
      ? [`t:${given}`]
      : [...new Set((Array.isArray(given) ? given : [given]).map((m: TopicMatcher) => (typeof m === 'string' ? `t:${m}` : `p:${String(m?.pattern)}`)))].sort();
  return JSON.stringify([matchers, config.type ?? null, config.raw, config.since ?? null, config.enabled]);
}

function connectionOf({ driver, config }: TopicTarget): TopicConnection {
  return config.enabled ? driverConnection(driver).getSnapshot() : IDLE;
}

/** Misuse throws during render, with the driver's own message (the server adapter's refusal included). */
function validate({ driver, config }: TopicTarget): void {
  if (!config.enabled) return;
  const compiled = toMatcherList(config.matchers).map((matcher) => compileMatcher(matcher, driver.url));
  driverLink(driver)?.adapter.streamKey?.(compiled);
}

function parseUpdate<T>(update: SseUpdate, parse: TopicParser<T>, raw: boolean): SseUpdate<T> {
  let data: unknown;
  if (typeof parse === 'function') data = parse(update.data, update);
  else if (parse === 'text') data = typeof update.data === 'string' ? update.data : JSON.stringify(update.data);
  else data = raw && typeof update.data === 'string' ? (JSON.parse(update.data) as unknown) : update.data;
  return data === update.data ? (update as SseUpdate<T>) : { ...update, data: data as T };
}
