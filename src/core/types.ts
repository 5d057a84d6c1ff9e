import type { SseError, SseGapError } from './errors.js';
import type { CursorStorage } from './tabs/cursorStore.js';
import type { TabsOptions } from './tabs/types.js';
import type { ServerOption } from './protocols/types.js';

/** Connection status of a driver (and of each of its connections). The UI reuses it as `data-state`. */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'error';

/** Wire format spoken to the hub. `auto` tries Mercure 1.0 and falls back to legacy on a 400. */
export type ProtocolOption = 'v1' | 'legacy' | 'auto';

/** A wire format actually in use. */
export type Protocol = 'v1' | 'legacy';

/**
 * A topic matcher: an exact topic string (`'*'` matches every topic), or a URL pattern such as
 * `{ pattern: 'https://example.com/books/:id' }` (sent as `match_urlpattern` in v1, as a URI template in legacy).
 */
export type TopicMatcher = string | { readonly pattern: string };

/** One matcher or a list of matchers. */
export type Matchers = TopicMatcher | readonly TopicMatcher[];

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** An update delivered to a subscription listener. */
export interface SseUpdate<T = unknown> {
  /**
   * The topic of the update. For raw updates on a dedicated connection whose topic the hub does not
   * tell, this is the matcher source (patterns as their pattern text, several joined by a space).
   */
  readonly topic: string;
  /** The payload: the enveloped JSON value, or the raw `data` string for raw updates. */
  readonly data: T;
  /** The event id (the SSE `id`, or the envelope's message id when the hub sent none). */
  readonly id: string;
  /** The SSE event type (`message` unless the publisher set one). */
  readonly type: string;
  /** The client id of the sse-kit driver that published it; `undefined` for foreign updates. */
  readonly sender: string | undefined;
}

/** Receives updates of one subscription. */
export type SseListener<T = unknown> = (update: SseUpdate<T>) => void;

/** An event as it came off the wire, before routing. */
export interface RawEvent {
  /** SSE `id` (empty string when absent). */
  readonly id: string;
  /** SSE `event` (`message` when absent). */
  readonly type: string;
  /** SSE `data`, lines joined by `\n`. */
  readonly data: string;
}

/** Options of {@link SseDriver.subscribe}; `T` is the type of `data` the listener receives. */
export interface SubscribeOptions<T = unknown> {
  /**
   * Checks and converts each update's `data` (the envelope payload, or the raw string) before the
   * listener sees it; `subscribe` infers `T` from it. A `parse` that throws skips that update and
   * reports a `parse` error (`onError` of the subscription and of the driver). Without `parse`,
   * `subscribe<T>()` is an unchecked cast of `data` to `T`.
   */
  parse?: ((data: unknown) => T) | undefined;
  /** Only deliver updates of this SSE event type. */
  type?: string | undefined;
  /** Deliver updates from publishers that do not use sse-kit (raw `data` strings). */
  raw?: boolean | undefined;
  /** Replay from this event id, or `'earliest'` for everything the hub keeps. */
  since?: string | undefined;
  /** Receives errors that concern only this subscription (e.g. `unroutable`). */
  onError?: ((error: SseError) => void) | undefined;
  /**
   * Called each time the subscription becomes live at the hub: when a stream carrying its matchers
   * opens (again after every reconnect), or — when the open stream already carries them — as soon
   * as the subscription joined it. Updates published from then on reach it.
   */
  onActive?: (() => void) | undefined;
}

/** Options of {@link SseDriver.publish}. */
export interface PublishOptions {
  /** SSE event type. */
  type?: string | undefined;
  /** Message id; generated (`urn:uuid:…`) when absent. Reusing an id makes a retry idempotent. */
  id?: string | undefined;
  /** Mark the update private: only subscribers whose token grants the topic receive it. */
  private?: boolean | undefined;
  /** SSE `retry` (reconnection time, ms) to send along. */
  retry?: number | undefined;
  /** Send `data` as is (a string) instead of wrapping it in the sse-kit envelope. */
  raw?: boolean | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/** Backoff policy for reconnects: exponential with full jitter, capped. */
export interface RetryPolicy {
  /** First delay in ms (default 500; a server `retry:` replaces it). */
  initialDelay?: number | undefined;
  /** Cap in ms (default 30 000). */
  maxDelay?: number | undefined;
  /** Growth factor (default 2). */
  factor?: number | undefined;
}

/** `EventSourceInit`-style subscriber options. */
export interface SubscriberOptions {
  /** Send cookies cross-origin (`credentials: 'include'`). */
  withCredentials?: boolean | undefined;
  /** Extra headers for subscribe requests (fetch transport only). */
  headers?: HeadersInit | undefined;
}

/** Static headers, or a function re-read at every (re)connect and publish (token refresh). */
export type HeadersOption = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** A `fetch`-compatible function. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Minimal `EventSource` constructor shape used by the `eventsource` transport. */
export interface EventSourceLike extends EventTarget {
  readonly readyState: number;
  close(): void;
}

/** Constructor of an {@link EventSourceLike}. */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/** Injectable platform seams (timers, clock, randomness, window events). */
export interface Platform {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Random number in [0, 1). */
  random(): number;
  /** A fresh unique id (RFC 4122 v4). */
  uuid(): string;
  /** Where `online` / `offline` events are listened for; `undefined` outside browsers. */
  events: EventTarget | undefined;
  /** The clock, in ms (default `Date.now`, looked up at call time so fake timers apply). */
  now?: () => number;
}

/** Options of {@link SseDriver}. */
export interface SseDriverOptions {
  /** The hub URL (e.g. `https://example.com/.well-known/mercure`), or the server's URL for other server shapes. */
  url: string | URL;
  /**
   * The server's wire format: `'mercure'` (built in, the default), or an adapter imported from
   * `sse-kit` (or its factory): `sse` (a plain SSE endpoint), `channels` (a channel pub/sub
   * server), `tokenStream` (a JWT channel stream), or one of your own.
   */
  server?: ServerOption | undefined;
  /** `RequestInit` merged into publish requests (headers, credentials, …). */
  publisher?: RequestInit | undefined;
  /** Subscriber options (`withCredentials`, `headers`). */
  subscriber?: SubscriberOptions | undefined;
  /** Headers sent with every request; a function is re-read at every (re)connect. */
  headers?: HeadersOption | undefined;
  /** Wire format (default `auto`). */
  protocol?: ProtocolOption | undefined;
  /** `fetch` implementation (default: global `fetch`). */
  fetch?: FetchLike | undefined;
  /** Stream transport: `fetch` (default) or the native `EventSource` (cookie auth only). */
  transport?: 'fetch' | 'eventsource' | undefined;
  /** `EventSource` constructor for the `eventsource` transport (default: the global one). */
  EventSource?: EventSourceConstructor | undefined;
  /**
   * Tells the topic of an update that was not published through sse-kit, so that raw
   * subscriptions can share the main connection. Return `undefined` when unknown. What it throws is
   * reported as a `listener` error and skips that update; the stream goes on.
   */
  topicOf?: ((event: RawEvent) => string | undefined) | undefined;
  /** Reconnect backoff. */
  retry?: RetryPolicy | undefined;
  /**
   * In ms (default 45 000; 0 disables): a subscribe request without response headers for this long
   * is aborted and retried (a `timeout` error; not on a late-headers server, open once its request
   * stands a second unrefused); an open stream (`fetch` transport) of a server that sends heartbeats
   * reconnects when no byte (comments included) arrived for this long. A server found to send none
   * (restarted for silence, then accepting the reconnect at once, no heartbeat ever heard) is
   * restarted only after 8 times this silence (timeline `fallback` from `heartbeats` to `none`).
   */
  heartbeatTimeout?: number | undefined;
  /** Window in ms during which subscription changes are coalesced into one reconnect (default 10). */
  coalesceMs?: number | undefined;
  /** Past this URL length v1 subscribes with the `QUERY` method and a form body (default 4 000). */
  maxUrlLength?: number | undefined;
  /** Largest event accepted, in characters of the decoded stream (UTF-16 code units: bytes for ASCII; default 8 Mi); larger is a `protocol` error. */
  maxEventSize?: number | undefined;
  /** Deadline of a publish in ms (default 10 000; 0 disables): past it the publish rejects with `timeout`. */
  publishTimeout?: number | undefined;
  /** Id identifying this client as the sender of its publishes (default: a random uuid). */
  clientId?: string | undefined;
  /** Receives every background error (also reflected in the driver state). */
  onError?: ((error: SseError) => void) | undefined;
  /**
   * Platform seams, for tests and other runtimes: each one given replaces the real one; one left out
   * or `undefined` keeps it, except `events`, where `undefined` means no window events.
   */
  platform?: { [K in keyof Platform]?: Platform[K] | undefined } | undefined;
  /**
   * Cross-tab sharing: the tabs of one origin using this hub URL with the same credentials share one
   * stream held by a leader tab (Web Locks), which relays its events to the others
   * (`BroadcastChannel`). On by default in browsers that have both, unless `fetch` or the
   * `eventsource` transport is given; `false` turns it off, `true` or options turn it on.
   */
  tabs?: boolean | TabsOptions | undefined;
  /**
   * Keeps the last event id of the shared stream per matcher set in session storage (written on
   * `pagehide`, when the page is hidden and on `destroy()`), so that a reload resumes from it. On by
   * default where `sessionStorage` exists, unless `fetch` is given; `false` turns it off; a
   * `Storage`-like object replaces session storage. Left unset where it has no storage, an
   * `SseProvider` still carries the cursor in memory from a driver it destroyed (`<Activity>` hid
   * the provider) to the one it makes when shown again.
   */
  resume?: boolean | CursorStorage | undefined;
}

/** Snapshot of a driver's connection state. A new object whenever something changes. */
export interface DriverState {
  /** Aggregated status of the driver's connections. */
  readonly status: ConnectionStatus;
  /**
   * Where the main connection stands, and resumes from: the id of the last event received, or before
   * any the position the hub reported when the stream opened (a Mercure hub says `earliest` while its
   * history is empty).
   */
  readonly lastEventId: string | undefined;
  /** Consecutive failed attempts since the last healthy open. */
  readonly retries: number;
  /** The last error, cleared by a healthy open. */
  readonly error: SseError | undefined;
  /** The wire format in use, once known (for Mercure hubs `v1` or `legacy`). */
  readonly protocol: string | undefined;
}

/** A live subscription as reported by {@link SseDriver.getSubscriptions}. */
export interface SubscriptionInfo {
  /** Matcher sources. */
  readonly matchers: readonly string[];
  /** Whether it receives raw updates. */
  readonly raw: boolean;
  /** Event type filter, if any. */
  readonly type: string | undefined;
  /** Which connection carries it: `main`, or `dedicated` for raw subscriptions without `topicOf`. */
  readonly connection: 'main' | 'dedicated';
}

/**
 * Timeline events of a driver, for inspectors and logs. `switching` marks events of a successor
 * stream opened beside a live one for a matcher change (make before break): not a loss of
 * connectivity. `refused` (on `error`) lists the matchers the hub refused (400) on their own, in a
 * matcher change or the first stream: they stay off the stream until `reconnect()` or new headers.
 * `fallback` tells a request form given up after a refusal, or (`from: 'heartbeats'`, `to: 'none'`)
 * that the server was found to send no heartbeats: its quiet streams are no longer restarted.
 */
export type DriverEvent =
  | { readonly type: 'connecting'; readonly connection: string; readonly resumeFrom: string | undefined; readonly switching: boolean }
  | { readonly type: 'open'; readonly connection: string; readonly resumedFrom: string | undefined; readonly switching: boolean }
  | { readonly type: 'drop'; readonly connection: string; readonly error: SseError; readonly switching: boolean }
  | { readonly type: 'gap'; readonly connection: string; readonly error: SseGapError }
  | { readonly type: 'fallback'; readonly connection: string; readonly status: number; readonly from: string; readonly to: string }
  | { readonly type: 'error'; readonly error: SseError; readonly refused?: readonly string[] }
  | { readonly type: 'update'; readonly connection: string; readonly id: string; readonly eventType: string }
  | { readonly type: 'subscriptions'; readonly count: number }
  | { readonly type: 'closed'; readonly connection: string };

/** What {@link SseDriver.on} listens to, by type: the payload each listener gets. */
export interface SseDriverEvents {
  /** The driver state changed (the new snapshot, as `getSnapshot()` returns it). */
  readonly state: DriverState;
  /** A timeline event. */
  readonly event: DriverEvent;
  /** A background error (as the `onError` option gets it). */
  readonly error: SseError;
}
