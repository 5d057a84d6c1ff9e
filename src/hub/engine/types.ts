import type { JSONWebKeySet } from 'jose';
import type { HubTransport } from './transport/types.js';

/**
 * How a topic matcher is interpreted. `Exact` and `URLPattern` are the Mercure matcher types;
 * `URITemplate` is the RFC 6570 template matching of the legacy 0.x wire format (`topic=`).
 * The value `*` matches every topic whatever the type.
 */
export type MatchType = 'Exact' | 'URLPattern' | 'URITemplate';

/** A topic matcher as a subscriber or a token states it. */
export interface MatcherSpec {
  /** The matcher type. */
  readonly type: MatchType;
  /** The matcher expression (a topic, a URL pattern or a URI template). */
  readonly match: string;
}

/** An update as the hub stores and dispatches it. */
export interface HubUpdate {
  /**
   * The SSE `id`: the publisher's id, or a hub-generated `urn:uuid:…` (also when the publisher's id
   * was already used by another retained update); `urn:sse-kit:after:<log position>:…` for a
   * subscription event (type `mercure`), which the hub resumes from without storing it.
   */
  readonly id: string;
  /** The canonical topic first, then the alternate topics. */
  readonly topics: readonly string[];
  /** The update content, opaque text (written as one `data:` line per line). */
  readonly data: string;
  /** The SSE `event` type, when the publisher set one. */
  readonly type: string | undefined;
  /** The SSE `retry` value in milliseconds, when the publisher set one. */
  readonly retry: number | undefined;
  /** Whether only authorized subscribers may receive it. */
  readonly private: boolean;
  /** When the hub accepted it (ms since epoch, from the injected clock). */
  readonly publishedAt: number;
}

/** An update published from the server side with {@link HubEngine.publish}. */
export interface PublishInput {
  /** The canonical topic, or the canonical topic followed by alternates. */
  readonly topic: string | readonly string[];
  /** The content; defaults to the empty string. */
  readonly data?: string | undefined;
  /**
   * The SSE id; generated when omitted. Resending an update with the same id and content (a
   * retry) does not dispatch it twice; a different update reusing a retained id is dispatched
   * under a fresh hub-generated id.
   */
  readonly id?: string | undefined;
  /** The SSE event type. `mercure` is reserved for subscription events. */
  readonly type?: string | undefined;
  /** The SSE reconnection time in milliseconds. */
  readonly retry?: number | string | undefined;
  /** Deliver only to subscribers whose token grants `subscribe` on one of the topics. */
  readonly private?: boolean | undefined;
}

/** JWS algorithms the hub can verify. */
export type HubKeyAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/**
 * A token verification key.
 *
 * - a string: an HMAC secret (HS256), or a PEM public key (`-----BEGIN PUBLIC KEY-----`, RS256 or ES256 detected);
 * - `{ secret, alg? }`: an HMAC secret;
 * - `{ publicKey, alg }`: a PEM (SPKI) public key;
 * - `{ jwks }`: a JSON Web Key Set held in memory;
 * - `{ jwksUrl }`: a JSON Web Key Set fetched (and cached) from a URL.
 */
export type HubKey =
  | string
  | { readonly secret: string | Uint8Array; readonly alg?: 'HS256' | 'HS384' | 'HS512' | undefined }
  | { readonly publicKey: string; readonly alg: Exclude<HubKeyAlgorithm, 'HS256' | 'HS384' | 'HS512'> }
  | { readonly jwks: JSONWebKeySet; readonly algorithms?: readonly HubKeyAlgorithm[] | undefined }
  | { readonly jwksUrl: string; readonly algorithms?: readonly HubKeyAlgorithm[] | undefined };

/** Implementation-defined maximums (see the Mercure spec, "Resource Limits"). */
export interface HubLimits {
  /** Publish (and `QUERY` subscribe) body size in bytes; larger requests get 413. */
  readonly bodyBytes: number;
  /** Length of a `topic`, `id` or `type` field; longer ones get 413. */
  readonly fieldLength: number;
  /** Topics (canonical + alternates) in one publish; more get 413. */
  readonly topicsPerPublish: number;
  /** Topic matchers in one subscription request; more get 400. */
  readonly matchersPerSubscription: number;
  /**
   * Length of one matcher expression; longer ones get 400 (401 in a token). Matching cost is
   * bounded too: patterns and templates are evaluated in time linear in the topic length,
   * and an evaluation taking more than 64 steps per topic character counts as "no match".
   */
  readonly matcherLength: number;
  /** Live connections per client (token `sub`, else network address); more get 429. */
  readonly connectionsPerClient: number;
  /**
   * Topic matchers one client (token `sub`, else network address) may hold across its live
   * connections; a subscription adding more gets 429. Registering and announcing a matcher takes
   * a few microseconds of the event loop: this bounds what one client's burst of connections costs.
   */
  readonly matchersPerClient: number;
  /** Live connections in total; more get 429 with `Retry-After`. */
  readonly connections: number;
  /**
   * Distinct URL patterns and URI templates one client (token `sub`, else network address) may
   * hold across its connections; a subscription adding more gets 429. Exact topics do not count.
   */
  readonly patternsPerClient: number;
  /** Distinct URL patterns and URI templates in the whole hub; a subscription adding more gets 429. */
  readonly patterns: number;
  /**
   * Work units (pattern matching steps) one dispatch may spend. Patterns left without budget
   * count as not matching for that update (reported by the `dispatch` event and logged).
   */
  readonly dispatchUnits: number;
  /** Work units one dispatch may spend on the patterns of any one client (also bounds each history replay turn). */
  readonly dispatchUnitsPerClient: number;
  /** Unsent bytes a slow subscriber may accumulate before it is disconnected (it resumes from history). */
  readonly bufferedBytes: number;
  /** How far back the hub scans history for the `Last-Event-ID` response header. */
  readonly historyScan: number;
  /** `mercure` authorization details per token, and topics per detail; more make the token invalid. */
  readonly tokenGrants: number;
}

/** CORS policy. Browsers reading the hub from another origin need it. */
export interface HubCorsOptions {
  /** Allowed origins, or `'*'` for any (never combined with credentials). */
  readonly origins: readonly string[] | '*';
  /** Allow cookies (`withCredentials`). Requires an explicit origin list. */
  readonly credentials?: boolean | undefined;
  /** Preflight cache duration in seconds (default 600). */
  readonly maxAge?: number | undefined;
}

/** Where the hub writes its log lines. Every method receives one complete line. */
export interface HubLogger {
  /** Connections opened and closed, startup facts. */
  info(line: string): void;
  /** Rejected requests (with the reason) and risky configuration. */
  warn(line: string): void;
  /** Faults inside the hub. */
  error(line: string): void;
  /** Successful publishes and other chatter; omitted means quiet. */
  debug?(line: string): void;
}

/** Timer functions; injected so fake timers drive heartbeats and expirations. */
export interface HubTimers {
  /** Schedules `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a handle returned by {@link HubTimers.setTimeout}. */
  clearTimeout(handle: unknown): void;
  /** Schedules `fn` every `ms`. */
  setInterval(fn: () => void, ms: number): unknown;
  /** Cancels a handle returned by {@link HubTimers.setInterval}. */
  clearInterval(handle: unknown): void;
}

/** Options of {@link HubEngine}. Every field is optional; defaults suit development. */
export interface HubEngineOptions {
  /** Public URL of the hub; relative topics and patterns resolve against it. Default `http://localhost/.well-known/mercure`. */
  readonly url?: string | undefined;
  /**
   * Key verifying publishers' tokens. `null`/omitted: no publisher token can be verified, so
   * every presented one is refused (401) and publishing is anonymous only (see
   * {@link HubEngineOptions.anonymousPublishers}).
   */
  readonly publisherKey?: HubKey | null | undefined;
  /**
   * Key verifying subscribers' tokens. Defaults to {@link HubEngineOptions.publisherKey}.
   * `null`: every presented subscriber token is refused (401), subscribers are anonymous only,
   * and the subscriptions API is closed.
   */
  readonly subscriberKey?: HubKey | null | undefined;
  /**
   * Decode tokens without verifying their signature, for the whole hub: anyone can forge any
   * claim. Only for an open in-memory development hub (MockHub without keys uses it); it cannot
   * be combined with a key, and a missing key never implies it. Default `false`.
   */
  readonly insecureSkipVerify?: boolean | undefined;
  /** Accepted `iss` values; checked when set. */
  readonly issuer?: string | readonly string[] | undefined;
  /** The hub's resource identifier(s), required in `aud` when set. */
  readonly audience?: string | readonly string[] | undefined;
  /** Strict token profile: `exp` required and header `typ` must be `at+jwt`. Default `false` (lenient, for development). */
  readonly strict?: boolean | undefined;
  /**
   * Accept the legacy 0.x wire format: `topic=` matchers with URI templates and the `mercure`
   * claim. Default `true`. With `false` (Mercure 1.0 only) tokens must carry `exp`, as the
   * spec requires, even when `strict` is off.
   */
  readonly legacy?: boolean | undefined;
  /** Let subscribers without a token receive public updates. Default `true`. */
  readonly anonymousSubscribers?: boolean | undefined;
  /** Let publishers without a token publish. Default: `true` only when no publisher key is configured. */
  readonly anonymousPublishers?: boolean | undefined;
  /**
   * Cookie names read for a token, in order. Default `['mercureAuthorization', 'mercureAccessToken']`.
   * A publish (`POST`) authenticated by a cookie must come from the hub's origin or an origin
   * listed in {@link HubEngineOptions.cors} (`Origin`, else `Referer`); otherwise it gets 403.
   */
  readonly cookieNames?: readonly string[] | undefined;
  /** History ring size (updates kept for resumption). `0` disables history. Default 1000. Ignored with a {@link HubEngineOptions.transport}, which keeps the history. */
  readonly history?: number | undefined;
  /**
   * What carries publish fan-out, history and subscription presence: default a
   * `MemoryTransport` (one process); a `RedisTransport` shares them between processes. The
   * engine does not close it (`createHub` does).
   */
  readonly transport?: HubTransport | undefined;
  /** Publish subscription events and serve the subscriptions API. Default `false`. */
  readonly subscriptions?: boolean | undefined;
  /**
   * Accept a token in the `access_token` query parameter (RFC 6750 §2.3). Default `false`: URLs
   * end up in logs and browser history, so a hub opts in explicitly; when off, a request carrying
   * one gets 400 `invalid_request`.
   */
  readonly queryToken?: boolean | undefined;
  /**
   * A subscription whose socket stops draining (unsent bytes that neither shrink nor empty) for
   * this long (ms) is dropped, so a peer that vanished behind a non-reading path is not held for
   * ever. With the Node hub, a stream ended cleanly (token expiry, lifetime) whose client has not
   * taken its last bytes this long after is cut as well. `0` disables. Default 30000.
   */
  readonly idleWriteTimeout?: number | undefined;
  /** Heartbeat comment interval in ms; `0` disables. Default 15000. */
  readonly heartbeat?: number | undefined;
  /** Close subscriptions older than this (ms) so clients re-authenticate; `0` disables. Default 0. */
  readonly connectionLifetime?: number | undefined;
  /** `Retry-After` (seconds) sent with 429. Default 5. */
  readonly retryAfter?: number | undefined;
  /** Resource limits; fields left out or `undefined` keep their defaults. */
  readonly limits?: { readonly [K in keyof HubLimits]?: HubLimits[K] | undefined } | undefined;
  /** CORS policy; omitted or `false` sends no CORS headers. */
  readonly cors?: HubCorsOptions | false | undefined;
  /** Log sink; omitted or `false` is silent. */
  readonly log?: HubLogger | false | undefined;
  /** Timer functions (default: the global ones, looked up at call time). */
  readonly timers?: HubTimers | undefined;
  /** Clock in ms since epoch (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /** Generates hub ids (default a `urn:uuid:` v4). */
  readonly randomId?: (() => string) | undefined;
}

/** A request as the engine sees it; each front door adapts its own request type to this. */
export interface HubRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Absolute request URL. */
  readonly url: string;
  /**
   * Reads a header.
   * @param name - lower-case header name.
   */
  header(name: string): string | null;
  /**
   * Reads the body as text.
   * @param limit - maximum size in bytes.
   * @returns the body, or `null` when it exceeds `limit`.
   */
  body(limit: number): Promise<string | null>;
  /** Network address of the client, used for per-client limits. */
  readonly clientAddress?: string | undefined;
}

/**
 * One SSE chunk, shared by every connection it is written to. The text is encoded at most once.
 */
export interface SseFrame {
  /** The event-stream text. */
  readonly text: string;
  /** UTF-8 bytes of {@link SseFrame.text}, computed on first use. */
  readonly bytes: Uint8Array;
}

/** Where a connection's frames go; provided by the front door. */
export interface HubSink {
  /** Writes one frame. */
  write(frame: SseFrame): void;
  /**
   * Ends the stream.
   * @param reason - `closed`: a clean end; `dropped`: a cut, as if the network failed.
   */
  end(reason: 'closed' | 'dropped'): void;
  /** Bytes accepted but not yet sent; used to drop slow subscribers. */
  bufferedBytes?(): number;
  /**
   * Resolves once the sink can take more (what was written has mostly reached the client), or
   * once it ended. History replays write their next page only then. Without it, pages follow
   * one another at once.
   */
  whenDrained?(): Promise<void>;
}

/** A page of history, as {@link HistoryRing.readAfter} reads it. */
export interface HistoryPage {
  /** Updates following the cursor, oldest first. */
  readonly updates: readonly HubUpdate[];
  /** The cursor is no longer retained: updates after it may have been forgotten. */
  readonly lost: boolean;
}

/** The work one dispatch did, as the `dispatch` event reports it. */
export interface DispatchReport {
  /** The update id. */
  readonly id: string;
  /** Connections the update was written to. */
  readonly recipients: number;
  /** Pattern and template evaluations (each distinct pattern at most once). */
  readonly evaluations: number;
  /** Work units spent on them. */
  readonly units: number;
  /** Patterns left unevaluated (or cut short) for lack of budget, counted as not matching. */
  readonly skipped: number;
}

/** A plain response produced by the engine. */
export interface HubResponse {
  /** Discriminant. */
  readonly kind: 'response';
  /** HTTP status. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body. */
  readonly body: string;
}

/** An accepted subscription: the front door writes the headers, then attaches a sink. */
export interface HubStream {
  /** Discriminant. */
  readonly kind: 'stream';
  /** HTTP status (200). */
  readonly status: number;
  /** Response headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The registered connection; frames published before {@link HubConnectionHandle.attach} are kept. */
  readonly connection: HubConnectionHandle;
}

/** What the engine answers to a request ({@link HubEngine.process} gives `null` for paths that are not the hub's). */
export type HubResult = HubResponse | HubStream;

/** The front door's handle on one live subscription connection. */
export interface HubConnectionHandle {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** Starts writing to `sink` (flushing what was queued). */
  attach(sink: HubSink): void;
  /** The client went away: unregister the connection. */
  close(): void;
}

/** A live subscription connection, as inspection APIs show it. */
export interface ConnectionInfo {
  /** Connection id, unique within this hub. */
  readonly id: string;
  /** The subscriber identifier (token `sub`, else generated). */
  readonly subscriber: string;
  /** The topic matchers of the connection. */
  readonly matchers: readonly MatcherSpec[];
  /** Whether the subscriber presented no token. */
  readonly anonymous: boolean;
  /** Client key used for the per-client connection limit. */
  readonly client: string;
  /** The resumption cursor it sent, if any. */
  readonly lastEventId: string | undefined;
  /** When it connected (ms since epoch). */
  readonly openedAt: number;
}

/**
 * Why a connection ended: `client` went away; `dropped` by {@link HubEngine.dropConnections};
 * `expired` token or lifetime; `slow`: more than `limits.bufferedBytes` waited for it, or the
 * history it was replaying was evicted before it read it; `stalled`: its socket drained nothing
 * for `idleWriteTimeout`; `shutdown` of the hub.
 */
export type DisconnectReason = 'client' | 'dropped' | 'expired' | 'slow' | 'stalled' | 'shutdown';

/** A subscription, as subscription events and the subscriptions API describe it. */
export interface SubscriptionDocument {
  /** JSON-LD context (omitted inside collections). */
  readonly '@context'?: 'https://mercure.rocks/';
  /** The subscription topic (`/.well-known/mercure/subscriptions/{matchType}/{match}/{subscriber}`). */
  readonly id: string;
  /** Always `Subscription`. */
  readonly type: 'Subscription';
  /** The matcher type. */
  readonly matchType: MatchType;
  /** The matcher expression. */
  readonly match: string;
  /** The subscriber identifier. */
  readonly subscriber: string;
  /** Whether the subscription is live. */
  readonly active: boolean;
  /** The payload the subscriber's token attaches to this subscription. */
  readonly payload?: unknown;
}

/** A request the hub refused. */
export interface RejectionInfo {
  /** HTTP status sent. */
  readonly status: number;
  /** Why, in words. */
  readonly reason: string;
  /** Method of the request. */
  readonly method: string;
  /** Path of the request. */
  readonly path: string;
}

/** Events of {@link HubEngine.on}. */
export interface HubEventMap {
  /** A subscriber connected. */
  connect: ConnectionInfo;
  /** A subscriber disconnected. */
  disconnect: ConnectionInfo & { readonly reason: DisconnectReason };
  /** An update was dispatched by this process (published through any process of the transport; subscription events included). */
  publish: HubUpdate;
  /** The work a dispatch did (subscription events included). */
  dispatch: DispatchReport;
  /** A request was refused. */
  reject: RejectionInfo;
}
