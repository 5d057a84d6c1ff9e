import type { Envelope } from '../envelope.js';
import type { CompiledMatcher } from '../matcher.js';
import type { ConnectionStatus, RawEvent } from '../types.js';
import type { PresenceSupport } from './presence.js';

/**
 * What a server can and cannot do. The driver decides by these, never by the server's name:
 * without `ids` a matcher change cannot de-duplicate by id, without `history` a reconnect may lose
 * updates (reported as a `gap`), without `heartbeats` silence is not a fault, without `publish`
 * `publish()` refuses at once.
 */
export interface ProtocolCapabilities {
  /** Events carry ids a stream can resume from. */
  readonly ids: boolean;
  /** The server replays what a client missed from a cursor (`Last-Event-ID`). */
  readonly history: boolean;
  /** The server writes something (a comment) on quiet streams, so long silence means a dead stream. */
  readonly heartbeats: boolean;
  /** Clients can publish through the server. */
  readonly publish: boolean;
  /** The server emits events about subscriptions (presence). */
  readonly subscriptionEvents: boolean;
  /**
   * The wire tells the topic of every event (so raw subscriptions share the main stream without a
   * `topicOf` option). Default `false`.
   */
  readonly topics?: boolean | undefined;
  /**
   * The server sends its response headers with its first event: a request that stands unrefused
   * for a moment counts as open. Default `false`.
   */
  readonly lateHeaders?: boolean | undefined;
}

/** Inputs of one subscribe attempt. */
export interface SubscribeInput {
  /** The server URL the driver was given. */
  readonly hubUrl: string;
  /** The matchers the stream must carry. */
  readonly matchers: readonly CompiledMatcher[];
  /** Position to resume from (an event id, or `earliest`). */
  readonly cursor: string | undefined;
  /** Send the cursor in the URL (first request of a `since` subscription, or an id no header can carry). */
  readonly cursorInQuery: boolean;
  /** The request is made by the native `EventSource`: a `GET` whose URL says everything. */
  readonly urlOnly: boolean;
  /** The driver's client id (servers that track clients take it in the request). */
  readonly clientId: string;
}

/** One HTTP request, as an adapter builds it. */
export interface AdapterRequest {
  /** Full request URL. */
  readonly url: string;
  /** HTTP method (`GET`, `POST`, or Mercure's `QUERY`). */
  readonly method: string;
  /** Headers the protocol needs; user headers are merged in by the driver. */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body, if any. */
  readonly body: string | undefined;
}

/** A switch to another request form after the server refused one (timeline `fallback`). */
export interface ProtocolFallback {
  /** The form given up, e.g. `v1 QUERY`. */
  readonly from: string;
  /** The form tried next, e.g. `v1 GET`. */
  readonly to: string;
}

/** What the wire says about an event, read before it is routed. */
export interface ForeignEvent {
  /**
   * `update`: an update (an sse-kit envelope or a foreign one); `subscription`: an event about a
   * subscription or presence, whose data is JSON the server wrote (delivered parsed); `skip`: a
   * control event of the server, delivered to nobody.
   */
  readonly kind: 'update' | 'subscription' | 'skip';
  /** The topic, when the wire tells it (else the driver's `topicOf` option is asked). */
  readonly topic: string | undefined;
  /** The event's id (empty when it has none). */
  readonly id: string;
  /** The event as subscriptions see it, when the wire wraps it (its `data`, `type`); else the wire event. */
  readonly event?: RawEvent | undefined;
  /**
   * The server sends it whether or not a subscription asked (a plain endpoint's events, presence):
   * when no subscription selects its topic it is dropped quietly instead of reported `unroutable`.
   */
  readonly unsolicited?: boolean | undefined;
  /**
   * A value the server gives again to subscriptions new to it (a channel's value when the channel
   * comes back on the wire): delivered even when its sse-kit message id was seen before. The
   * adapter flags it once per value and stream, and names in its {@link ForeignEvent.envelope} only the topics whose
   * subscriptions have not had it from this stream.
   */
  readonly again?: boolean | undefined;
  /** The sse-kit envelope of `event`, as the adapter read it (routed by its topics), when it differs from the one `event.data` holds. */
  readonly envelope?: Envelope | undefined;
}

/**
 * A subscription that joined a stream, as {@link ProtocolAdapter.joined} sees it: its matchers,
 * whether it is still subscribed, and a way to hand it alone what the stream carried before it joined.
 */
export interface JoinedSubscription {
  /** The subscription's matchers. */
  readonly matchers: readonly CompiledMatcher[];
  /** Whether it is still subscribed (`false` once unsubscribed: nothing reaches it any more). */
  readonly active: boolean;
  /**
   * Delivers `event` on `topic` to this subscription alone, as the stream would have: only when its
   * matchers select `topic`, only of its event `type`, a foreign update only to a raw subscription,
   * and an sse-kit update once (by its message id: never again, handed here or routed later).
   * Nothing once unsubscribed.
   * @returns whether the subscription took it.
   */
  deliver(topic: string, event: RawEvent): boolean;
}

/** One update to publish. */
export interface PublishInput {
  readonly topics: readonly string[];
  /** The data, already serialised (the sse-kit envelope, or a raw string). */
  readonly data: string;
  /** Message id (idempotent retries). */
  readonly id: string;
  readonly type: string | undefined;
  readonly private: boolean;
  readonly retry: number | undefined;
}

/**
 * A server's wire format behind one interface: how to subscribe (and what to try when a form is
 * refused), how an event's topic and id are known, how to publish, and what the server can do.
 * An adapter instance belongs to one driver and may remember what the server answered.
 */
export interface ProtocolAdapter {
  /** Name used in errors and the timeline, e.g. `mercure`. */
  readonly name: string;
  /** The wire variant in use once known (for Mercure `v1` or `legacy`), reported in the driver state. */
  readonly variant: string | undefined;
  /** What the server can do. */
  readonly capabilities: ProtocolCapabilities;
  /**
   * The options the adapter was made with. `<SseProvider>` compares two adapters of the same kind
   * by `name` and `settings`, so an adapter made again at every render (`server={channels({ … })}`)
   * is not taken for a changed option; an adapter without `settings` compares by identity.
   */
  readonly settings?: unknown;
  /**
   * A fresh instance with the same settings, for a driver given an adapter object that another driver
   * already used (a provider's replacement driver, say): what the adapter remembered of the other
   * driver's streams does not carry over. Without it, the drivers share the instance.
   */
  fork?(): ProtocolAdapter;
  /** Builds the next subscribe request. May throw a typed {@link SseError} (it then counts as a failed attempt). */
  subscribeRequest(input: SubscribeInput): AdapterRequest;
  /**
   * The server refused `request` with `status` (and, for a 400, the first line of its body as
   * `reason`): returns the fallback the adapter switched to (the driver retries at once), or
   * `undefined` when there is none (an ordinary error).
   */
  fallback(request: AdapterRequest, status: number, reason: string): ProtocolFallback | undefined;
  /** A stream opened with `request`: the adapter remembers what the server accepts. */
  accepted(request: AdapterRequest): void;
  /** The position the server reports for a stream that just opened (an event id), if any. */
  openCursor(headers: Headers): string | undefined;
  /**
   * Reads an event off the wire, before the envelope is looked for. May throw a typed
   * {@link SseProtocolError} for an event of the wrong shape (reported, the event is skipped).
   * `seen` is the adapter's memory of the stream the event came on (what the server repeats when a
   * stream opens, such as a channel's last value): kept across the stream's reconnects and carried
   * into a stream that replaces it for the topics both carry, so a topic new on the wire starts
   * blank. A follower tab keeps one for the leader's stream (from its relayed events): the stream it
   * opens when it takes over starts from it. `enveloped` tells whether `event.data` is an sse-kit
   * envelope, when the driver looked (it does before asking, except on a stream of raw subscriptions
   * only): an adapter that tells the server's own events apart by their text need not scan an envelope.
   */
  readEvent(event: RawEvent, seen?: Map<string, string>, enveloped?: boolean): ForeignEvent;
  /**
   * A subscription joined a slot whose live stream is `stream` (`undefined`: none yet). What that
   * stream already read of what a server sends only when a stream opens (a channel's last value)
   * does not come again: the adapter may hand it to this subscription alone, from the stream's `seen`
   * memory (see {@link ProtocolAdapter.readEvent}), before any later event reaches it.
   */
  joined?(sub: JoinedSubscription, stream: { readonly seen: Map<string, string>; readonly status: ConnectionStatus } | undefined): void;
  /** Builds a publish request. */
  publishRequest(hubUrl: string, update: PublishInput): AdapterRequest;
  /** The id the server assigned, read from the publish response body (`update.id` when it names none). */
  publishedId(body: string, update: PublishInput): string;
  /**
   * Identity of the request a matcher set needs (default: the matcher set itself). Equal keys
   * share the stream: a server whose request does not depend on the matchers opens no stream on a
   * matcher change.
   */
  streamKey?(matchers: readonly CompiledMatcher[]): string;
  /** Named event types the native `EventSource` must listen for to carry these matchers. */
  eventTypes?(matchers: readonly CompiledMatcher[]): readonly string[];
  /** Builds one request for several publishes (made together, or queued while one was in flight). */
  publishBatchRequest?(hubUrl: string, updates: readonly PublishInput[]): AdapterRequest;
  /** Publishes another way than one HTTP request (a user function); resolves with the id. */
  publish?(update: PublishInput, signal: AbortSignal): Promise<string>;
  /** Why `publish()` is refused, when `capabilities.publish` is `false`. */
  readonly publishHint?: string | undefined;
  /**
   * How the server tells who is present on a topic, if it can (`watchPresence`). Without it, a
   * server with `subscriptionEvents` is asked the Mercure way (subscription events and the
   * subscriptions API).
   */
  readonly presence?: PresenceSupport | undefined;
}

/**
 * The `server` option: `'mercure'` (built in, the default), an adapter object (`channels()`), or a
 * function making one, called once per driver (`channels`, `() => sse({ publishUrl })`): a
 * provider re-rendered with it keeps its options equal, and each driver gets its own adapter.
 */
export type ServerOption = 'mercure' | ProtocolAdapter | (() => ProtocolAdapter);
