import type { SseError } from './errors.js';

/** A resolved reconnect policy (see `RetryPolicy`). */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
}

/** Bounds of the server's `retry:` hint: below this it would turn a reconnect loop into a flood. */
export const MIN_SERVER_RETRY_MS = 500;
/** Above this a `retry:` hint is clamped (a typo must not park a client for hours). */
export const MAX_SERVER_RETRY_MS = 60_000;
/** A stream open this long without failing is healthy, even when it delivered no update. */
export const HEALTHY_MS = 5000;

/** Timers the backoff needs. */
export interface BackoffTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

/**
 * Reconnect delays of one stream: exponential with full jitter (a random delay between 0 and the
 * ceiling), capped at `maxDelay`. Server hints are clamped: `retry:` to
 * [{@link MIN_SERVER_RETRY_MS}, {@link MAX_SERVER_RETRY_MS}] (it replaces the initial delay), a
 * `Retry-After` (parsed and clamped with the error) is a floor. The exponent resets only once a
 * stream proved healthy — it delivered an update, or stayed open {@link HEALTHY_MS} — so a server
 * that accepts and hangs up at once (or after a comment) still gets longer and longer pauses.
 */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #timers: BackoffTimers;
  /** Failed attempts since the stream was last healthy. */
  #attempt = 0;
  #serverRetry: number | undefined;
  #healthyTimer: unknown;

  constructor(policy: BackoffPolicy, timers: BackoffTimers) {
    this.#policy = policy;
    this.#timers = timers;
  }

  /** The server's `retry:` field. */
  serverRetry(ms: number): void {
    this.#serverRetry = Math.min(MAX_SERVER_RETRY_MS, Math.max(MIN_SERVER_RETRY_MS, ms));
  }

  /** The stream opened: it becomes healthy if it stays open {@link HEALTHY_MS}. */
  opened(): void {
    this.#cancel();
    this.#healthyTimer = this.#timers.setTimeout(() => this.reset(), HEALTHY_MS);
  }

  /** The stream proved healthy (an update arrived, or a user asked to reconnect now). */
  reset(): void {
    this.#cancel();
    this.#attempt = 0;
  }

  /** Records a failed attempt and returns how long to wait before the next one, in ms. */
  next(error: SseError): number {
    this.#cancel();
    this.#attempt++;
    const { initialDelay, maxDelay, factor } = this.#policy;
    const base = this.#serverRetry ?? initialDelay;
    const ceiling = Math.min(maxDelay, base * factor ** (this.#attempt - 1));
    const delay = this.#timers.random() * ceiling;
    return error.retryAfter !== undefined ? Math.max(delay, error.retryAfter) : delay;
  }

  /** Stops the healthy timer (the stream closed). */
  stop(): void {
    this.#cancel();
  }

  #cancel(): void {
    if (this.#healthyTimer !== undefined) this.#timers.clearTimeout(this.#healthyTimer);
    this.#healthyTimer = undefined;
  }
}
