import { Connection, type ConnectionContext } from './connection.js';
import { decodeEnvelope, encodeEnvelope, envelopeTopics } from './envelope.js';
import { SseError, SseNetworkError, SseUnroutableError, errorFromResponse, isAuthError } from './errors.js';
import { compileMatcher, matcherSetKey, toMatcherList, type CompiledMatcher } from './matcher.js';
import { resolvePlatform } from './platform.js';
import { buildPublishBody } from './protocol.js';
import { RecentIds } from './recentIds.js';
import { INITIAL_DRIVER_STATE } from './initialState.js';
import { reportLater } from './reportLater.js';
import type {
  DriverEvent,
  DriverState,
  HeadersOption,
  JsonValue,
  Matchers,
  Platform,
  Protocol,
  PublishOptions,
  RawEvent,
  SseDriverOptions,
  SseListener,
  SseUpdate,
  SubscribeOptions,
  SubscriptionInfo,
} from './types.js';

interface Subscription {
  readonly compiled: readonly CompiledMatcher[];
  readonly onActive: (() => void) | undefined;
  /** The stream open (connection and its open count) the subscription was last announced live on. */
  liveOn: Connection | undefined;
  liveOpens: number;
  readonly listener: SseListener;
  readonly type: string | undefined;
  readonly raw: boolean;
  readonly onError: ((error: SseError) => void) | undefined;
  readonly group: Group;
}

/** A logical stream: the shared `main` one, or a dedicated one for one matcher set. */
interface Group {
  readonly key: string;
  readonly dedicated: boolean;
  /** Dedicated to raw subscriptions only. */
  readonly rawOnly: boolean;
  readonly since: string | undefined;
  readonly subs: Set<Subscription>;
  /** Dedup memory, kept across the connections that replace each other. */
  readonly seen: RecentIds;
  connection: Connection | undefined;
  connectionKey: string | undefined;
  /** Make-before-break successor, promoted once it opens. */
  pending: Connection | undefined;
  pendingKey: string | undefined;
  /** The predecessor, kept open after the switch until the successor caught up with it. */
  draining: Connection | undefined;
  /** Dedup key of the last update the draining stream delivered. */
  drainLast: string | undefined;
  /** Dedup key of the last update delivered on this group. */
  lastKey: string | undefined;
  drainTimer: unknown;
  /** A matcher set the hub refused (400) while the previous stream stayed healthy; not retried. */
  rejectedKey: string | undefined;
}

const DEDUP_WINDOW = 4096;
/** Longest time an old stream keeps draining after its successor opened. */
const DRAIN_MS = 1000;
const MAIN = 'main';


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
  readonly #platform: Platform;
  readonly #context: ConnectionContext;
  #headers: HeadersOption | undefined;
  #protocol: Protocol | undefined;
  readonly #groups = new Map<string, Group>();
  readonly #connectionGroups = new Map<Connection, Group>();
  #syncTimer: unknown;
  #state: DriverState = INITIAL_DRIVER_STATE;
  readonly #stateListeners = new Set<() => void>();
  readonly #eventListeners = new Set<(event: DriverEvent) => void>();
  readonly #inflight = new Set<AbortController>();
  readonly #idleWaiters = new Set<() => void>();
  readonly #unroutableReported = new Set<string>();
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
    this.#protocol = options.protocol === 'v1' || options.protocol === 'legacy' ? options.protocol : undefined;
    const fetchImpl = options.fetch;
    const retry = options.retry ?? {};
    this.#context = {
      hubUrl: this.url,
      fetch: fetchImpl ?? ((input, init) => globalThis.fetch(input, init)),
      platform: this.#platform,
      retry: { initialDelay: retry.initialDelay ?? 500, maxDelay: retry.maxDelay ?? 30_000, factor: retry.factor ?? 2 },
      heartbeatTimeout: options.heartbeatTimeout ?? 45_000,
      maxUrlLength: options.maxUrlLength ?? 4000,
      maxEventSize: options.maxEventSize ?? 8 * 1024 * 1024,
      transport: options.transport ?? 'fetch',
      EventSource: options.EventSource,
      withCredentials: options.subscriber?.withCredentials ?? false,
      protocolOption: options.protocol ?? 'auto',
      protocol: () => this.#protocol,
      setProtocol: (protocol) => {
        this.#protocol = protocol;
      },
      resolveHeaders: () => this.#resolveHeaders(this.#options.subscriber?.headers),
    };
  }

  // ---------------------------------------------------------------- subscribe

  /**
   * Subscribes `listener` to the updates whose topic one of `matchers` selects.
   * All subscriptions share one connection (changes within a few ms are coalesced into one switch,
   * made before the old stream breaks). Raw subscriptions without `topicOf`, and subscriptions with
   * `since`, get a connection per matcher set, shared by every subscription of that set.
   * @returns a function that unsubscribes (idempotent).
   * @throws {SseError} `misuse` for an empty or invalid matcher, `closed` after {@link SseDriver.destroy}.
   */
  subscribe<T = unknown>(matchers: Matchers, listener: SseListener<T>, options: SubscribeOptions = {}): () => void {
    if (this.#destroyed) throw new SseError('closed', 'subscribe() was called on a destroyed SseDriver.', { hint: 'Create a new driver.' });
    if (typeof listener !== 'function') throw new SseError('misuse', 'subscribe() needs a listener function.');
    const list = toMatcherList(matchers);
    const compiled = list.map((m) => compileMatcher(m, this.url));
    const raw = options.raw === true;
    const dedicated = (raw && this.#options.topicOf === undefined) || options.since !== undefined;
    const key = dedicated ? `${options.since === undefined ? '' : `since:${options.since}|`}${raw ? 'raw|' : ''}${matcherSetKey(list)}` : MAIN;
    let group = this.#groups.get(key);
    if (!group) {
      group = {
        key,
        dedicated,
        rawOnly: dedicated && raw,
        since: options.since,
        subs: new Set(),
        seen: new RecentIds(DEDUP_WINDOW),
        connection: undefined,
        connectionKey: undefined,
        pending: undefined,
        pendingKey: undefined,
        draining: undefined,
        drainLast: undefined,
        lastKey: undefined,
        drainTimer: undefined,
        rejectedKey: undefined,
      };
      this.#groups.set(key, group);
    }
    const sub: Subscription = {
      compiled,
      onActive: options.onActive,
      liveOn: undefined,
      liveOpens: 0,
      listener: listener as SseListener,
      type: options.type,
      raw,
      onError: options.onError,
      group,
    };
    group.subs.add(sub);
    this.#scheduleSync();
    this.#emit({ type: 'subscriptions', count: this.#subscriptionCount() });
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      sub.group.subs.delete(sub);
      if (this.#destroyed) return;
      this.#scheduleSync();
      this.#emit({ type: 'subscriptions', count: this.#subscriptionCount() });
    };
  }

  /** The live subscriptions, for inspectors. */
  getSubscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const group of this.#groups.values()) {
      for (const sub of group.subs) {
        out.push({ matchers: sub.compiled.map((m) => m.source), raw: sub.raw, type: sub.type, connection: group.dedicated ? 'dedicated' : 'main' });
      }
    }
    return out;
  }

  #subscriptionCount(): number {
    let count = 0;
    for (const group of this.#groups.values()) count += group.subs.size;
    return count;
  }

  #scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    this.#syncTimer = this.#platform.setTimeout(() => {
      this.#syncTimer = undefined;
      this.#sync();
    }, this.#options.coalesceMs ?? 10);
  }

  /** Makes the connections match the subscriptions: one switch per coalesced change. */
  #sync(): void {
    if (this.#destroyed) return;
    for (const group of [...this.#groups.values()]) {
      if (group.subs.size === 0) {
        this.#closeGroup(group);
        this.#groups.delete(group.key);
        continue;
      }
      const matchers = uniqueMatchers(group.subs);
      const key = this.#connectionKey(group, matchers);
      if (key === group.rejectedKey) continue;
      if (group.connection && group.connectionKey === key) {
        this.#discardPending(group);
        this.#activate(group);
        continue;
      }
      if (group.pending && group.pendingKey === key) continue;
      this.#discardPending(group);
      const previous = group.connection;
      const cursor = previous ? previous.lastEventId : group.since;
      const connection = new Connection(
        this.#context,
        this.#connectionHandlers,
        group.dedicated ? `dedicated:${key}` : MAIN,
        matchers,
        cursor,
        previous === undefined,
        // Only a live predecessor covers the switch; after a drop a gap must still be reported.
        previous?.status === 'open',
      );
      this.#connectionGroups.set(connection, group);
      if (previous === undefined) {
        group.connection = connection;
        group.connectionKey = key;
      } else {
        group.pending = connection;
        group.pendingKey = key;
      }
      connection.start();
    }
    this.#updateState();
  }

  /**
   * Identity of the stream a group needs: its matcher set and, for the native EventSource (which
   * only delivers the event types it listens for), the event types.
   */
  #connectionKey(group: Group, matchers: readonly CompiledMatcher[]): string {
    const key = matchers.map((m) => m.key).sort().join('\n');
    if (this.#context.transport !== 'eventsource') return key;
    const types = new Set<string>();
    for (const sub of group.subs) if (sub.type !== undefined) types.add(sub.type);
    return `${key}\ntypes:${[...types].sort().join(',')}`;
  }

  /** Tells the subscriptions of a group that the open stream carries their matchers (once per open). */
  #activate(group: Group): void {
    const connection = group.connection;
    if (connection?.status !== 'open') return;
    let carried: Set<string> | undefined;
    for (const sub of [...group.subs]) {
      if (!sub.onActive || (sub.liveOn === connection && sub.liveOpens === connection.opens)) continue;
      carried ??= new Set(connection.matchers.map((m) => m.key));
      if (!sub.compiled.every((m) => carried?.has(m.key))) continue;
      sub.liveOn = connection;
      sub.liveOpens = connection.opens;
      try {
        sub.onActive();
      } catch (error) {
        reportLater(error);
      }
    }
  }

  #discardPending(group: Group): void {
    if (!group.pending) return;
    const pending = group.pending;
    group.pending = undefined;
    group.pendingKey = undefined;
    pending.close();
    this.#connectionGroups.delete(pending);
  }

  #closeGroup(group: Group): void {
    this.#discardPending(group);
    this.#finishDrain(group);
    if (group.connection) {
      const connection = group.connection;
      group.connection = undefined;
      group.connectionKey = undefined;
      connection.close();
      this.#connectionGroups.delete(connection);
    }
  }

  /**
   * Promotes a pending connection once it opened (or failed for good): make before break. The old
   * stream keeps draining until the new one delivered what the old one last did (updates the hub
   * wrote to the old stream before it knew the new one are read, not lost), or for DRAIN_MS.
   */
  #promote(group: Group, connection: Connection): void {
    if (group.pending !== connection || (connection.status !== 'open' && connection.status !== 'error')) return;
    const old = group.connection;
    const error = connection.error;
    if (connection.status === 'error' && error?.code === 'bad-request' && old?.status === 'open') {
      // The hub refused the new matcher set: keep the healthy stream and tell the subscriptions that
      // asked for the refused matchers, instead of breaking everyone's connection.
      const live = new Set(old.matchers.map((m) => m.key));
      group.rejectedKey = group.pendingKey;
      this.#discardPending(group);
      for (const sub of group.subs) if (sub.compiled.some((m) => !live.has(m.key))) sub.onError?.(error);
      return;
    }
    group.rejectedKey = undefined;
    group.connection = connection;
    group.connectionKey = group.pendingKey;
    group.pending = undefined;
    group.pendingKey = undefined;
    connection.promoted();
    if (!old) return;
    if (old.status === 'open' && connection.status === 'open') {
      // A seamless switch: subscriptions live on the old stream stay live on the new one.
      const carried = new Set(connection.matchers.map((m) => m.key));
      for (const sub of group.subs) {
        if (sub.liveOn !== old || !sub.compiled.every((m) => carried.has(m.key))) continue;
        sub.liveOn = connection;
        sub.liveOpens = connection.opens;
      }
    }
    this.#finishDrain(group);
    if (connection.status !== 'open' || old.status !== 'open') {
      old.close();
      this.#connectionGroups.delete(old);
      return;
    }
    group.draining = old;
    old.retiring();
    group.drainLast = group.lastKey;
    group.seen.beginOverlap();
    group.drainTimer = this.#platform.setTimeout(() => this.#finishDrain(group), DRAIN_MS);
  }

  #finishDrain(group: Group): void {
    const old = group.draining;
    if (!old) return;
    group.draining = undefined;
    group.drainLast = undefined;
    this.#platform.clearTimeout(group.drainTimer);
    group.drainTimer = undefined;
    group.seen.endOverlap();
    old.close();
    this.#connectionGroups.delete(old);
  }

  readonly #connectionHandlers = {
    onEvent: (event: RawEvent, connection: Connection) => {
      const group = this.#connectionGroups.get(connection);
      if (!group) return;
      this.#route(group, connection, event);
      // lastEventId moves with every event: refresh the state once per microtask, not per event.
      if (!this.#stateRefreshQueued && event.id !== '' && group.key === MAIN) {
        this.#stateRefreshQueued = true;
        queueMicrotask(() => {
          this.#stateRefreshQueued = false;
          this.#updateState();
        });
      }
    },
    onChange: (connection: Connection) => {
      const group = this.#connectionGroups.get(connection);
      if (group) {
        this.#promote(group, connection);
        if (connection === group.connection) this.#activate(group);
        else if (connection === group.draining && connection.status !== 'open') this.#finishDrain(group);
      }
      this.#updateState();
    },
    onOpen: (connection: Connection, cursor: string | undefined) => this.#connectionGroups.get(connection)?.seen.startReplay(cursor),
    onTimeline: (event: DriverEvent) => this.#emit(event),
    onError: (error: SseError, connection: Connection) => {
      // A draining predecessor that breaks has nothing left to give: it is just closed.
      if (this.#connectionGroups.get(connection)?.draining !== connection) this.#reportError(error);
    },
    eventTypes: () => {
      const types = new Set<string>();
      for (const group of this.#groups.values()) for (const sub of group.subs) if (sub.type) types.add(sub.type);
      return [...types];
    },
  };

  // ---------------------------------------------------------------- routing

  #route(group: Group, connection: Connection, event: RawEvent): void {
    // A dedicated raw group takes the wire data as is: no envelope to decode.
    const envelope = event.type === 'mercure' || group.rawOnly ? undefined : decodeEnvelope(event.data);
    // sse-kit messages are keyed by their message id (stable across a publisher's retries), others by the SSE id.
    const dedupKey = envelope ? envelope.id : event.id !== '' ? event.id : undefined;
    if (dedupKey !== undefined) {
      const fresh = group.seen.add(dedupKey, envelope !== undefined);
      if (group.draining) this.#trackDrain(group, connection, dedupKey, fresh);
      if (!fresh) return;
      group.lastKey = dedupKey;
    }
    if (this.#eventListeners.size > 0) this.#emit({ type: 'update', connection: connection.name, id: event.id || (envelope?.id ?? ''), eventType: event.type });

    if (envelope) {
      const topics = envelopeTopics(envelope);
      let delivered = false;
      for (const sub of group.subs) {
        if (sub.type !== undefined && sub.type !== event.type) continue;
        const topic = topics.find((t) => sub.compiled.some((m) => m.test(t)));
        if (topic === undefined) continue;
        delivered = true;
        deliver(sub, { topic, data: sub.raw ? event.data : envelope.payload, id: event.id || envelope.id, type: event.type, sender: envelope.sender });
      }
      if (!delivered && group.dedicated && !topics.some((t) => connection.matchers.some((m) => m.test(t)))) {
        this.#unroutable(group, envelope.topic, 'An sse-kit update arrived for a topic none of the matchers select.');
      }
      return;
    }

    let topic: string | undefined;
    if (event.type === 'mercure') topic = subscriptionEventTopic(event.data);
    else if (this.#options.topicOf) topic = this.#options.topicOf(event);
    if (topic === undefined && group.dedicated) {
      // A dedicated connection carries one matcher set: every subscription on it asked for exactly this.
      const source = connection.source;
      for (const sub of group.subs) {
        if (sub.type !== undefined && sub.type !== event.type) continue;
        if (!sub.raw) {
          this.#unroutable(group, source, 'An update that was not published through sse-kit reached a subscription that expects sse-kit updates.', sub);
          continue;
        }
        deliver(sub, { topic: source, data: event.data, id: event.id, type: event.type, sender: undefined });
      }
      return;
    }
    if (topic === undefined) {
      this.#unroutable(group, connection.source, 'An update that was not published through sse-kit arrived on the shared connection and its topic cannot be known.');
      return;
    }
    let delivered = false;
    for (const sub of group.subs) {
      if (sub.type !== undefined && sub.type !== event.type) continue;
      if (!sub.compiled.some((m) => m.test(topic))) continue;
      if (!sub.raw && event.type !== 'mercure') continue;
      delivered = true;
      deliver(sub, { topic, data: sub.raw ? event.data : parseJson(event.data), id: event.id, type: event.type, sender: undefined });
    }
    if (!delivered) this.#unroutable(group, topic, `An update for "${topic}" was not published through sse-kit and no raw subscription selects it.`);
  }

  /** Ends a drain once the two streams are in step: each has delivered what the other last did. */
  #trackDrain(group: Group, connection: Connection, key: string, fresh: boolean): void {
    if (connection === group.draining) {
      if (fresh) group.drainLast = key;
      else this.#finishDrain(group); // the old stream repeats what the new one already gave
    } else if (connection === group.connection && key === group.drainLast) {
      this.#finishDrain(group);
    }
  }

  /** Reports an undeliverable update once per topic. */
  #unroutable(group: Group, topic: string, message: string, only?: Subscription): void {
    const key = `${group.key}\n${topic}`;
    if (this.#unroutableReported.has(key)) return;
    if (this.#unroutableReported.size > 1000) this.#unroutableReported.clear();
    this.#unroutableReported.add(key);
    const error = new SseUnroutableError(topic, message, {
      hint: 'Subscribe with { raw: true } to receive updates from other publishers, or give the driver a topicOf option.',
    });
    for (const sub of only ? [only] : group.subs) sub.onError?.(error);
    this.#reportError(error);
  }

  // ---------------------------------------------------------------- publish

  /**
   * Publishes `data` to `topic` (or to several topics, canonical first). `data` is any JSON value,
   * wrapped in the sse-kit envelope; with `raw: true` it must be a string and is sent as is.
   * @returns the id the hub assigned (the client-generated id when the hub answers with none).
   * @throws {SseError} (as a rejection) `bad-request`, `unauthorized`, `forbidden`, `too-large`,
   *   `rate-limited` (with `retryAfter`), `network`, `aborted`, `closed` or `misuse`.
   */
  async publish(topic: string | readonly string[], data: unknown, options: PublishOptions = {}): Promise<string> {
    if (this.#destroyed) throw new SseError('closed', 'publish() was called on a destroyed SseDriver.');
    const topics = typeof topic === 'string' ? [topic] : [...topic];
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new SseError('misuse', 'publish() needs at least one non-empty topic.');
    }
    if (options.signal?.aborted) throw new SseError('aborted', 'The publish was aborted before it was sent.');
    const id = options.id ?? `urn:uuid:${this.#platform.uuid()}`;
    let body: string;
    if (options.raw) {
      if (typeof data !== 'string') throw new SseError('misuse', 'publish(…, { raw: true }) needs string data.', { hint: 'Serialise the value yourself or drop raw.' });
      body = data;
    } else {
      if (data === undefined) throw new SseError('misuse', 'publish() needs data; undefined is not JSON.', { hint: 'Publish null instead.' });
      try {
        body = encodeEnvelope(id, topics, this.clientId, data as JsonValue);
      } catch (cause) {
        throw new SseError('misuse', 'publish() data is not serialisable as JSON.', { cause });
      }
    }
    const form = buildPublishBody({ topics, data: body, id, type: options.type, private: options.private === true, retry: options.retry });

    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort);
    this.#inflight.add(controller);
    try {
      const headers = await this.#resolveHeaders(this.#options.publisher?.headers);
      headers.set('Content-Type', 'application/x-www-form-urlencoded');
      const response = await this.#context.fetch(this.url, {
        ...this.#options.publisher,
        method: 'POST',
        headers,
        body: form.toString(),
        signal: controller.signal,
      });
      if (!response.ok) {
        void response.body?.cancel().catch(() => undefined);
        throw errorFromResponse(response, 'Publishing');
      }
      const text = (await response.text()).trim();
      return text === '' ? id : text;
    } catch (cause) {
      if (cause instanceof SseError) throw cause;
      if (this.#destroyed) throw new SseError('closed', 'The driver was destroyed before the publish completed.', { cause });
      if (options.signal?.aborted) throw new SseError('aborted', 'The publish was aborted.', { cause });
      throw new SseNetworkError('Publishing failed: the hub could not be reached.', { cause, hint: `Retry with the same id (${id}) to stay idempotent.` });
    } finally {
      this.#inflight.delete(controller);
      options.signal?.removeEventListener('abort', onAbort);
      if (this.#inflight.size === 0) for (const resolve of [...this.#idleWaiters]) resolve();
    }
  }

  /**
   * Resolves once no publish is in flight (at once when none is), or after `timeoutMs`. Await it
   * before {@link SseDriver.destroy} to let a last message (a goodbye) reach the hub.
   */
  whenIdle(timeoutMs = 2000): Promise<void> {
    if (this.#inflight.size === 0 || this.#destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#platform.clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve();
      };
      const timer = this.#platform.setTimeout(done, timeoutMs);
      this.#idleWaiters.add(done);
    });
  }

  async #resolveHeaders(extra: HeadersInit | undefined): Promise<Headers> {
    const option = this.#headers;
    const base = typeof option === 'function' ? await option() : option;
    const headers = new Headers(base);
    if (extra) new Headers(extra).forEach((value, name) => headers.set(name, value));
    return headers;
  }

  // ---------------------------------------------------------------- state

  /** The current state snapshot (a new object only when something changed). */
  getState(): DriverState {
    return this.#state;
  }

  /**
   * Calls `listener` whenever {@link SseDriver.getState} changes.
   * @returns a function that unsubscribes.
   */
  subscribeState(listener: () => void): () => void {
    this.#stateListeners.add(listener);
    return () => {
      this.#stateListeners.delete(listener);
    };
  }

  /**
   * Calls `listener` with every timeline event (connecting, open, drop, gap, update, …).
   * @returns a function that unsubscribes.
   */
  on(listener: (event: DriverEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => {
      this.#eventListeners.delete(listener);
    };
  }

  /** Reconnects every connection now, resetting the backoff and lifting an auth stop. */
  reconnect(): void {
    for (const group of this.#groups.values()) group.connection?.reconnect();
  }

  /** Replaces the `headers` option (new credentials) and reconnects connections stopped by 401/403. */
  setHeaders(headers: HeadersOption | undefined): void {
    this.#headers = headers;
    for (const group of this.#groups.values()) {
      if (group.connection && isAuthError(group.connection.error) && group.connection.status === 'error') group.connection.reconnect();
    }
  }

  /** Closes every connection, rejects in-flight publishes with `closed`, removes every timer and listener. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#syncTimer !== undefined) this.#platform.clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    for (const group of this.#groups.values()) {
      this.#closeGroup(group);
      group.subs.clear();
    }
    this.#groups.clear();
    for (const controller of this.#inflight) controller.abort();
    for (const resolve of [...this.#idleWaiters]) resolve();
    this.#updateState();
    this.#stateListeners.clear();
    this.#eventListeners.clear();
  }

  /** The platform seams in use (timers, randomness, ids), for layers that schedule work beside the driver. */
  get platform(): Platform {
    return this.#platform;
  }

  /** Whether {@link SseDriver.destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  #updateState(): void {
    const connections: Connection[] = [];
    for (const group of this.#groups.values()) if (group.connection) connections.push(group.connection);
    const main = this.#groups.get(MAIN)?.connection;
    const statuses = new Set(connections.map((c) => c.status));
    const status = this.#destroyed
      ? 'closed'
      : statuses.has('error')
        ? 'error'
        : statuses.has('reconnecting')
          ? 'reconnecting'
          : statuses.has('connecting')
            ? 'connecting'
            : statuses.has('open')
              ? 'open'
              : statuses.has('closed')
                ? 'closed'
                : 'idle';
    const errored = connections.find((c) => c.error !== undefined);
    const next: DriverState = {
      status,
      lastEventId: main?.lastEventId ?? this.#state.lastEventId,
      retries: connections.reduce((max, c) => Math.max(max, c.retries), 0),
      error: (main?.error ?? errored?.error) ?? (status === 'open' || status === 'idle' ? undefined : this.#state.error),
      protocol: this.#protocol,
    };
    const prev = this.#state;
    if (prev.status === next.status && prev.lastEventId === next.lastEventId && prev.retries === next.retries && prev.error === next.error && prev.protocol === next.protocol) return;
    this.#state = Object.freeze(next);
    for (const listener of [...this.#stateListeners]) listener();
  }

  #reportError(error: SseError): void {
    this.#emit({ type: 'error', error });
    this.#options.onError?.(error);
  }

  #emit(event: DriverEvent): void {
    for (const listener of [...this.#eventListeners]) listener(event);
  }
}

function uniqueMatchers(subs: Iterable<Subscription>): CompiledMatcher[] {
  const byKey = new Map<string, CompiledMatcher>();
  for (const sub of subs) for (const m of sub.compiled) byKey.set(m.key, m);
  return [...byKey.values()];
}

/** Calls a listener; a throwing listener is reported asynchronously and never breaks the stream. */
function deliver(sub: Subscription, update: SseUpdate): void {
  try {
    sub.listener(update);
  } catch (error) {
    reportLater(error);
  }
}

/** Subscription events (type `mercure`) route by their own JSON: the `id` is their topic. */
function subscriptionEventTopic(data: string): string | undefined {
  const value = parseJson(data);
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, topic } = value as { id?: unknown; topic?: unknown };
  return typeof id === 'string' ? id : typeof topic === 'string' ? topic : undefined;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
