import { SseError } from '../core/errors.js';
import type { SseDriver } from '../core/SseDriver.js';
import type { JsonValue, Platform } from '../core/types.js';
import { SignalingError } from './errors.js';
import { SerialQueue, type BatchOutcome } from './SerialQueue.js';
import type { OutboxStatus } from './types.js';
import { encodeFrame, type FrameSender, type Message } from './wire.js';

interface Outgoing {
  readonly sender: FrameSender;
  readonly topic: string;
  /** A promise while it is being built (keys, encryption). */
  readonly message: Message | Promise<Message>;
}

/** Options of an {@link Outbox}. */
export interface OutboxOptions {
  readonly driver: SseDriver;
  /** Publish as private updates. */
  readonly private: boolean;
  /** The longest a message may wait for its publish to be answered, from `send` (ms). */
  readonly sendTimeout: number;
  readonly timers: Pick<Platform, 'setTimeout' | 'clearTimeout'>;
  /** Makes the id a publish keeps through its retries. */
  readonly uuid: () => string;
  /** The outbox became `stalled` (with the error to report) or `ok` again. */
  readonly onStatus: (status: OutboxStatus, error: SignalingError | undefined) => void;
}

const STALL_HINT =
  'A browser opens at most six HTTP/1.1 connections per origin, and open streams (of other tabs too) can hold them all: serve the hub over HTTP/2, or give it its own origin.';

/** The first wait before a failed publish goes again, doubled at each failure up to {@link RETRY_MAX_MS}. */
const RETRY_MS = 250;
const RETRY_MAX_MS = 2000;

/**
 * Outgoing signaling messages: they leave one publish at a time, in order, consecutive ones of one
 * session to one topic batched into one frame. A publish that fails on the way (the network, a 5xx,
 * a 429) goes again with the same id, so the hub stores it once, and the messages behind it wait:
 * a lost offer or answer would stall a negotiation. Every message has a deadline (`sendTimeout` from
 * `send`): a publish that gets no answer in time is aborted, its messages reject with a
 * {@link SignalingError} `timeout`, the outbox turns `stalled`, and the next messages go out.
 */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #queue: SerialQueue<Outgoing>;
  #status: OutboxStatus = 'ok';
  /** Why the publish in progress last failed on the way (it is being tried again): what its deadline reports. */
  #failure: SseError | undefined;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#queue = new SerialQueue<Outgoing>({
      joins: (head, next) => next.topic === head.topic && next.sender === head.sender,
      run: (batch, signal) => this.#publishBatch(batch, signal),
      deadline: { ms: options.sendTimeout, timers: options.timers, expired: (running) => this.#expired(running) },
      onOutcome: (outcome, error) => this.#onOutcome(outcome, error),
    });
  }

  /**
   * Queues a message of `sender` to `topic`.
   * @returns a promise settled once the hub accepted the publish carrying it.
   */
  send(sender: FrameSender, topic: string, message: Message | Promise<Message>): Promise<void> {
    return this.#queue.push({ sender, topic, message });
  }

  /** Publishes a payload at once, bypassing the queue (the page is going away); gives up after `sendTimeout`. */
  publishNow(topic: string, payload: JsonValue, id: string): Promise<void> {
    const { driver, timers, sendTimeout } = this.#options;
    const controller = new AbortController();
    return new Promise<void>((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        controller.abort();
        reject(this.#timeoutError(true));
      }, sendTimeout);
      driver.publish(topic, payload, { id, private: this.#options.private, signal: controller.signal }).then(
        () => {
          timers.clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          timers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async #publishBatch(batch: readonly Outgoing[], signal: AbortSignal): Promise<void> {
    this.#failure = undefined;
    const head = batch[0]!;
    const messages = await Promise.all(batch.map((item) => item.message));
    const payload = encodeFrame(head.sender, messages);
    const id = `urn:uuid:${this.#options.uuid()}`;
    for (let wait = RETRY_MS; ; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
      try {
        await this.#options.driver.publish(head.topic, payload, { id, private: this.#options.private, signal });
        return;
      } catch (error) {
        if (signal.aborted || !(error instanceof SseError) || !RETRIED.has(error.code)) throw error;
        this.#failure = error;
        // The hub's Retry-After lengthens the backoff, never shortens it (0 would retry in a loop).
        await this.#pause(Math.max(wait, error.retryAfter ?? 0), signal);
      }
    }
  }

  /** Resolves after `ms`, or rejects once `signal` aborts (the deadline: the queue reports it). */
  #pause(ms: number, signal: AbortSignal): Promise<void> {
    const { timers } = this.#options;
    return new Promise((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      }, ms);
      const stop = () => {
        timers.clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  /** A publish that got no answer (here, or the driver's own deadline) stalls the outbox; any other answer clears it. */
  #onOutcome(outcome: BatchOutcome, error: unknown): void {
    const stalled = outcome === 'expired' || isTimeout(error);
    const status: OutboxStatus = stalled ? 'stalled' : 'ok';
    if (status === this.#status) return;
    this.#status = status;
    this.#options.onStatus(status, stalled ? (error instanceof SignalingError ? error : this.#timeoutError(true, error)) : undefined);
  }

  /** What the messages of a batch past its deadline reject with: the failure it was retrying, when there is one. */
  #expired(running: boolean): SignalingError {
    const failure = running ? this.#failure : undefined;
    if (!failure) return this.#timeoutError(running);
    const message = `A signaling publish failed (${failure.message}) and was tried again until its deadline (${this.#options.sendTimeout} ms); it was given up and later messages go on.`;
    return new SignalingError('timeout', message, { cause: failure });
  }

  #timeoutError(running: boolean, cause?: unknown): SignalingError {
    const ms = this.#options.sendTimeout;
    const message = running
      ? `A signaling publish got no answer within ${ms} ms; it was given up and later messages go on.`
      : `A signaling message waited ${ms} ms behind a publish that got no answer; it was given up.`;
    return new SignalingError('timeout', message, { hint: STALL_HINT, cause });
  }
}

/** What a publish that failed on the way answers (it goes again); a `timeout` stalls the outbox instead. */
const RETRIED = new Set<string>(['network', 'server', 'rate-limited']);

/** A `timeout` from signaling or the driver: the hub gave no answer in time. */
export function isTimeout(error: unknown): boolean {
  return error instanceof SseError && error.code === 'timeout';
}
