import type { ConnectionInfo, HubEngineOptions, HubEventMap, HubTimers } from '../hub/engine/types.js';

/** Delivery and response delay: fixed milliseconds, or a `[min, max]` range drawn per delivery. */
export type MockLatency = number | readonly [number, number];

/** Options of {@link MockHub}: the engine options, plus the mock's own. */
export interface MockHubOptions extends Omit<HubEngineOptions, 'url' | 'timers'> {
  /** The hub URL clients use. Default `https://mock.hub/.well-known/mercure`. */
  readonly url?: string | undefined;
  /**
   * Delay of every response and every delivery. Default 0 (synchronous delivery). Ms from 0 to 2^31-1
   * (what timers hold), or a `[min, max]` range of them; anything else throws `SseError` `misuse`.
   */
  readonly latency?: MockLatency | undefined;
  /** Timers for latency, heartbeats and expirations (default: the globals, so `vi.useFakeTimers()` applies). */
  readonly timers?: HubTimers | undefined;
  /**
   * Clock in ms since epoch, the one `timers` advance (default `Date.now`, looked up at call
   * time, so `vi.useFakeTimers()` applies). Inject it together with custom `timers`.
   */
  readonly now?: (() => number) | undefined;
  /** Random source in [0, 1) for latency ranges (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /**
   * Refuses matchers, as a hub with limits on them would: a subscription request (`GET` or `QUERY`)
   * with a matcher (`match`, `match_urlpattern` or `topic` value, as sent) this returns `true` for is
   * answered 400, the reason naming the matcher. It is called per matcher at every request, with the
   * request (its headers tell the credentials). Default: every matcher the engine accepts is served.
   */
  readonly refuseMatcher?: ((matcher: string, request: Request) => boolean) | undefined;
}

/** Options of {@link MockHub.failNext}. */
export interface FailNextOptions {
  /** How many requests fail. Default 1. */
  readonly count?: number | undefined;
  /** Only requests with this method fail (e.g. `POST` for publishes, `GET` for subscriptions). */
  readonly method?: string | undefined;
  /** Response body. Default a short reason. */
  readonly body?: string | undefined;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** `Retry-After` in seconds (handy with 429 and 503). */
  readonly retryAfter?: number | undefined;
}

/** A request the mock served, as {@link MockHub.requests} records it. */
export interface MockRequestRecord {
  /** HTTP method. */
  readonly method: string;
  /** Full URL. */
  readonly url: string;
  /** Status answered (200 for subscriptions). */
  readonly status: number;
}

/** Events of {@link MockHub.on}: the engine's, plus every served request. */
export interface MockHubEventMap extends HubEventMap {
  /** A request was answered. */
  request: MockRequestRecord;
}

/** A live subscription connection as {@link MockHub.subscriptions} shows it. */
export type MockSubscription = ConnectionInfo;
