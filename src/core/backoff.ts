import { SseRateLimitError, type SseError } from './errors.js';

/** A resolved reconnect policy (see `RetryPolicy`). */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
}

/**
 * Reconnect delays of one stream: exponential with full jitter (a random delay between 0 and the
 * ceiling), capped at `maxDelay`. A server `retry:` hint replaces the initial delay; a 429's
 * `Retry-After` is a floor.
 */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  /** Failed attempts since the stream was last healthy. */
  #attempt = 0;
  #serverRetry: number | undefined;

  constructor(policy: BackoffPolicy, random: () => number) {
    this.#policy = policy;
    this.#random = random;
  }

  /** The server's `retry:` field. */
  serverRetry(ms: number): void {
    this.#serverRetry = ms;
  }

  /** The stream proved healthy: the next failure starts from the initial delay again. */
  reset(): void {
    this.#attempt = 0;
  }

  /** Records a failed attempt and returns how long to wait before the next one, in ms. */
  next(error: SseError): number {
    this.#attempt++;
    const { initialDelay, maxDelay, factor } = this.#policy;
    const base = this.#serverRetry ?? initialDelay;
    const ceiling = Math.min(maxDelay, base * factor ** (this.#attempt - 1));
    const delay = this.#random() * ceiling;
    return error instanceof SseRateLimitError && error.retryAfter !== undefined ? Math.max(delay, error.retryAfter) : delay;
  }
}
