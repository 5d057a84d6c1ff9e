import { connectionContext } from './connectionContext.js';
import { setDriverLink } from './driverLink.js';
import { driverState } from './driverState.js';
import { DriverEvents } from './driverEvents.js';
import { resolveHeaders } from './credentials.js';
import { SseError, SseGapError, isAuthError } from './errors.js';
import { INITIAL_DRIVER_STATE } from './initialState.js';
import { compileMatcher, toMatcherList } from './matcher.js';
import { resolvePlatform, type ResolvedPlatform } from './platform.js';
import { resolveAdapter } from './protocols/resolve.js';
import type { ProtocolAdapter } from './protocols/types.js';
import { Publisher } from './publisher.js';
import { createSubscription, joinedSubscription } from './router.js';
import { MAIN, slotOptionsFor } from './slotOptions.js';
import { SlotSet } from './slotSet.js';
import type { StreamSlot } from './streamSlot.js';
import { resolveTabs, tabIdentity } from './tabs/resolveTabs.js';
import { TabLink } from './tabs/TabLink.js';
import { CursorStore, resolveCursorStorage } from './tabs/cursorStore.js';
import type { TabsInfo } from './tabs/types.js';
import type {
  DriverState,
  HeadersOption,
  Matchers,
  Platform,
  PublishOptions,
  SseDriverEvents,
  SseDriverOptions,
  SseListener,
  SubscribeOptions,
  SubscriptionInfo,
} from './types.js';

/**
 * The sse-kit client: one SSE stream to a Mercure-compatible hub multiplexing every subscription,
 * plus publishing over HTTP POST. Reconnects resume from the last event id and never deliver an
 * update twice; faults surface as typed {@link SseError}s on the state and `onError`.
 *
 * ```ts
 * const driver = new SseDriver({ url: 'http://localhost:8080/.well-known/mercure' });
 * const off = driver.subscribe('https://example.com/books/1', (update) => console.log(update.data));
 * await driver.publish('https://example.com/books/1', { title: 'Dune' });
 * ```
 */
export class SseDriver {
  /** The hub URL. */
  readonly url: string;
  /** Identifies this client as the sender of its publishes (`sender` of updates). */
  readonly clientId: string;

  readonly #options: SseDriverOptions;
  readonly #platform: ResolvedPlatform;
  readonly #adapter: ProtocolAdapter;
  readonly #publisher: Publisher;
  #headers: HeadersOption | undefined;
  /** Cross-tab sharing of the shared stream, when on. */
  readonly #tabs: TabLink | undefined;
  /** Where the shared stream's cursor survives a reload (the `resume` option), when on. */
  readonly #cursors: CursorStore | undefined;
  /** Saves the cursor one last time and stops saving it when the page hides. */
  readonly #stopSavingCursor: (() => void) | undefined;
  readonly #slots: SlotSet;
  readonly #events: DriverEvents;
  #state: DriverState = INITIAL_DRIVER_STATE;
  #destroyed = false;
  #stateRefreshQueued = false;

  /** @param options - see {@link SseDriverOptions}; only `url` is required. */
  constructor(options: SseDriverOptions) {
    if (options === null || typeof options !== 'object' || !options.url) {
      throw new SseError('misuse', 'new SseDriver() needs a url.', { hint: "Pass { url: 'https://example.com/.well-known/mercure' }." });
    }
    this.#options = options;
    this.url = new URL(options.url).toString();
    this.#platform = resolvePlatform(options.platform);
    this.clientId = options.clientId ?? this.#platform.uuid();
    this.#headers = options.headers;
    this.#events = new DriverEvents(options.onError);
    this.#adapter = resolveAdapter(options.server, { protocol: options.protocol ?? 'auto', maxUrlLength: options.maxUrlLength ?? 4000 });
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const connection = connectionContext(options, {
      hubUrl: this.url,
      fetch: fetchImpl,
      platform: this.#platform,
      adapter: this.#adapter,
      clientId: this.clientId,
      resolveHeaders: () => resolveHeaders(this.#headers, this.#options.subscriber?.headers),
      eventTypes: () => this.#slots.eventTypes(),
      timeline: this.#events.timeline,
    });
    const tabs = options.transport === 'eventsource' ? undefined : resolveTabs(options.tabs, options.fetch !== undefined);
    // The tab's id in its group is its own: several tabs may be given one clientId (a sender id per user).
    this.#tabs = tabs && new TabLink(tabs, this.#platform.uuid(), {
      hubUrl: this.url,
      identity: async () => tabIdentity(this.#adapter.name, options, await resolveHeaders(this.#headers, options.subscriber?.headers)),
      changed: () => {
        if (this.#destroyed) return;
        // Out of the group (the page hides or freezes, new credentials): the shared stream closes now,
        // as a frozen page runs no timer. Otherwise the change is coalesced with the others.
        if (this.#tabs?.mode() === 'wait') this.#slots.sync();
        else this.#slots.schedule();
        this.#events.state(this.#state);
      },
      event: (event) => this.#slots.main().inject(event),
      gap: (error) => this.#slots.main().relayedGap(error),
      state: (state, error) => {
        // Subscriptions refused on the leader's stream leave this tab's matchers.
        if (this.#slots.main().follow(state, error)) this.#slots.schedule();
        this.#updateState();
      },
    });
    const storage = resolveCursorStorage(options.resume, options.fetch !== undefined);
    this.#cursors = storage && new CursorStore(storage, this.url);
    this.#stopSavingCursor = this.#cursors?.saveOnHide(this.#platform.events, () => this.#slots.existingMain?.cursor());
    this.#slots = new SlotSet(
      {
        connection,
        sharing: this.#tabs,
        savedCursor: (matcherSet) => this.#cursors?.read(matcherSet),
        topicOf: options.topicOf,
        reportError: (error, refused) => {
          // Credentials that cannot be read (a `headers` function that throws): this tab cannot lead its group.
          if (error.code === 'credentials') this.#tabs?.verify();
          this.#events.error(error, refused);
        },
        watched: this.#events.watched,
        timeline: this.#events.timeline,
        changed: () => this.#updateState(),
        advanced: (slot) => this.#advanced(slot),
      },
      {
        coalesceMs: options.coalesceMs ?? 10,
        keepMain: this.#tabs !== undefined,
        synced: (ownMatchers) => {
          this.#tabs?.setMatchers(ownMatchers);
          this.#updateState();
        },
      },
    );
    // What `watchPresence` needs besides the public API.
    setDriverLink(this, {
      adapter: this.#adapter,
      request: async (request) => {
        const headers = await resolveHeaders(this.#headers, options.subscriber?.headers);
        for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);
        return fetchImpl(request.url, { method: request.method, headers, credentials: options.subscriber?.withCredentials ? 'include' : 'same-origin' });
      },
      subscribeShared: (matchers, listener, subscribeOptions) => this.#subscribe(matchers, listener, subscribeOptions, true),
      gap: (requested) => new SseGapError(requested, undefined, 'unknown'),
      checkPublish: (topic, data, publishOptions) => this.#publisher.check(topic, data, publishOptions),
      mainStatus: () => this.#slots.existingMain?.view?.status,
    });
    this.#publisher = new Publisher({
      hubUrl: this.url,
      clientId: this.clientId,
      fetch: fetchImpl,
      platform: this.#platform,
      adapter: this.#adapter,
      init: options.publisher,
      timeout: options.publishTimeout ?? 10_000,
      resolveHeaders: () => resolveHeaders(this.#headers, this.#options.publisher?.headers),
      destroyed: () => this.#destroyed,
    });
  }

  // ---------------------------------------------------------------- subscribe

  /**
   * Subscribes `listener` to the updates whose topic one of `matchers` selects. `T` is inferred
   * from `options.parse`, which checks each update's data; without `parse`, `subscribe<T>()` casts
   * the data to `T` unchecked.
   * All subscriptions share one connection (changes within a few ms are coalesced into one switch,
   * made before the old stream breaks). Raw subscriptions without `topicOf`, and subscriptions with
   * `since`, get a connection per matcher set, shared by every subscription of that set (with
   * `since`: by those made before it opened; a later one gets its own, which replays for it).
   * @returns a function that unsubscribes (idempotent).
   * @throws {SseError} `misuse` for an empty or invalid matcher, `closed` after {@link SseDriver.destroy}.
   */
  subscribe<T = unknown>(matchers: Matchers, listener: SseListener<T>, options: SubscribeOptions<T> = {}): () => void {
    return this.#subscribe(matchers, listener, options, false);
  }

  /**
   * {@link SseDriver.subscribe}; `knownTopicsOnly`: the subscription needs only events whose topic
   * the wire tells (presence), so it rides the shared stream even when raw.
   */
  #subscribe<T>(matchers: Matchers, listener: SseListener<T>, options: SubscribeOptions<T>, knownTopicsOnly: boolean): () => void {
    if (this.#destroyed) throw new SseError('closed', 'subscribe() was called on a destroyed SseDriver.', { hint: 'Create a new driver.' });
    if (typeof listener !== 'function') throw new SseError('misuse', 'subscribe() needs a listener function.');
    const list = toMatcherList(matchers);
    const compiled = list.map((m) => compileMatcher(m, this.url));
    // An adapter refuses matchers its server cannot carry (a channel server takes names only) at once.
    this.#adapter.streamKey?.(compiled);
    const report = { listener: (cause: unknown) => this.#events.listenerError(cause, true), parse: this.#events.error };
    const sub = createSubscription(compiled, listener, options, report, knownTopicsOnly);
    const owner = this.#slots.slotFor(slotOptionsFor(list, options, knownTopicsOnly || this.#options.topicOf !== undefined || this.#adapter.capabilities.topics === true));
    owner.router.add(sub);
    // What the stream carried before the subscription joined (a channel's value) may be handed to it.
    this.#adapter.joined?.(joinedSubscription(sub), owner.live);
    this.#changedSubscriptions();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      owner.router.delete(sub);
      if (this.#destroyed) return;
      this.#changedSubscriptions();
    };
  }

  /** The live subscriptions, for inspectors. */
  getSubscriptions(): SubscriptionInfo[] {
    return this.#slots.subscriptions();
  }

  #changedSubscriptions(): void {
    this.#slots.schedule();
    this.#events.timeline({ type: 'subscriptions', count: this.#slots.count() });
  }

  /**
   * This tab's part in cross-tab sharing: `leader` (holds the stream every tab of the browser
   * shares), `follower` (reads it through the leader), or `pending`; and how many tabs share it.
   * Without sharing: `{ role: 'leader', tabs: 1 }`, like a group of one.
   */
  getTabs(): TabsInfo {
    return this.#tabs?.info() ?? { role: 'leader', tabs: 1 };
  }

  // ---------------------------------------------------------------- publish

  /**
   * Publishes `data` to `topic` (or to several topics, canonical first). `data` is any JSON value,
   * wrapped in the sse-kit envelope; with `raw: true` it must be a string and is sent as is.
   * @returns the id the hub assigned (the client-generated id when the hub answers with none).
   * @throws {SseError} (as a rejection) `bad-request`, `unauthorized`, `forbidden`, `credentials`,
   *   `too-large`, `rate-limited` (with `retryAfter`), `network`, `protocol` (an HTML page answered),
   *   `timeout` (no answer within `publishTimeout`), `aborted`, `closed` or `misuse`.
   */
  publish(topic: string | readonly string[], data: unknown, options: PublishOptions = {}): Promise<string> {
    return this.#publisher.publish(topic, data, options);
  }

  /**
   * Resolves once no publish is in flight (at once when none is), or after `timeoutMs`. Await it
   * before {@link SseDriver.destroy} to let a last message (a goodbye) reach the hub.
   */
  whenIdle(timeoutMs = 2000): Promise<void> {
    return this.#publisher.whenIdle(timeoutMs);
  }

  // ---------------------------------------------------------------- state

  /** The current state snapshot (a new object only when something changed): `getSnapshot` of `useSyncExternalStore`. */
  getSnapshot(): DriverState {
    return this.#state;
  }

  /**
   * Listens to the driver: `'state'` whenever {@link SseDriver.getSnapshot} changes (with the new
   * snapshot), `'event'` with every timeline event (connecting, open, drop, gap, update, …),
   * `'error'` with every background error (like the `onError` option).
   * @returns a function that unsubscribes (idempotent).
   */
  on<K extends keyof SseDriverEvents>(type: K, listener: (payload: SseDriverEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Reconnects every connection now, resetting the backoff and lifting an auth stop; matchers the hub
   * refused are asked for again. A follower tab whose shared stream is not open takes the lead and opens it.
   */
  reconnect(): void {
    if (this.#tabs?.mode() === 'follow' && this.#slots.existingMain?.view?.status !== 'open') this.#tabs.lead();
    for (const slot of this.#slots.values()) slot.reconnect();
    this.#slots.schedule();
  }

  /**
   * Replaces the `headers` option (new credentials) and reconnects connections stopped by 401/403,
   * a throwing `headers` function or 400; matchers the hub refused are asked for again.
   */
  setHeaders(headers: HeadersOption | undefined): void {
    this.#headers = headers;
    this.#tabs?.rejoin();
    for (const slot of this.#slots.values()) {
      const live = slot.live;
      // Also while the stop is being reported (new headers given from `onError`).
      if (live && (isAuthError(live.error) || live.error?.code === 'bad-request')) live.reconnect();
      slot.readmit();
    }
    // Readmitted matchers are asked for again.
    this.#slots.schedule();
  }

  /** Closes every connection, rejects in-flight publishes with `closed`, removes every timer and listener. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#tabs?.destroy();
    this.#stopSavingCursor?.();
    this.#slots.close();
    this.#publisher.destroy();
    this.#updateState();
    this.#events.clear();
  }

  /** The platform seams in use (timers, randomness, ids), for layers that schedule work beside the driver. */
  get platform(): Platform {
    return this.#platform;
  }

  /** Whether {@link SseDriver.destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** `lastEventId` moves with every event of the main stream: refresh the state once per microtask, not per event. */
  #advanced(slot: StreamSlot): void {
    if (this.#stateRefreshQueued || slot.options.key !== MAIN) return;
    this.#stateRefreshQueued = true;
    queueMicrotask(() => {
      this.#stateRefreshQueued = false;
      this.#updateState();
    });
  }

  #updateState(): void {
    const main = this.#slots.existingMain;
    if (main && this.#tabs?.mode() === 'own') this.#tabs.publish(main.describe());
    const next = driverState({ streams: this.#slots.views(), main: main?.view, destroyed: this.#destroyed, protocol: this.#adapter.variant }, this.#state);
    if (next === this.#state) return;
    this.#state = next;
    this.#events.state(next);
  }
}
