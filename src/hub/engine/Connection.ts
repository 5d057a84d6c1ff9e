import type { Grants } from './grants.js';
import type { TopicMatcher } from './topicMatcher.js';
import { comparePositions } from './transport/types.js';
import type { ConnectionInfo, DisconnectReason, HubConnectionHandle, HubSink, SseFrame } from './types.js';

/** Called once when a connection ends, whoever ended it. */
export type ConnectionEndListener = (connection: Connection, reason: DisconnectReason) => void;

/**
 * One live subscription connection: its matchers, its rights, and the sink its frames go to.
 * Frames written before the front door attaches a sink are queued, so nothing dispatched
 * between registration and the first byte is lost.
 */
export class Connection implements HubConnectionHandle {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** Every matcher. */
  readonly matchers: readonly TopicMatcher[];
  /** Matchers that are not exact topics (patterns, templates, wildcard). */
  readonly patternMatchers: readonly TopicMatcher[];
  /** What the subscriber's token allows. */
  readonly grants: Grants;
  /** Dispatch pass that last visited this connection (de-duplication). */
  stamp = 0;
  /** Timer ending the connection at token expiry or maximum lifetime. */
  expiryTimer: unknown;

  readonly #onEnd: ConnectionEndListener;
  readonly #maxBuffered: number;
  #sink: HubSink | null = null;
  #queue: SseFrame[] = [];
  #ended = false;
  /** Live frames held, with their log positions, while the history is replayed. */
  #held: { readonly position: string; readonly frame: SseFrame }[] | null = null;
  /** Live frames at or before this log position were already replayed. */
  #replayedThrough: string | null = null;

  constructor(info: ConnectionInfo, matchers: readonly TopicMatcher[], grants: Grants, maxBuffered: number, onEnd: ConnectionEndListener) {
    this.info = info;
    this.matchers = matchers;
    this.patternMatchers = matchers.filter((m) => m.exact === null);
    this.grants = grants;
    this.#maxBuffered = maxBuffered;
    this.#onEnd = onEnd;
  }

  /** Whether the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether one of the pattern matchers matches one of `topics`. */
  matchesPattern(topics: readonly string[]): boolean {
    for (const matcher of this.patternMatchers) {
      if (matcher.wildcard) return true;
      for (const topic of topics) if (matcher.test(topic)) return true;
    }
    return false;
  }

  /** Writes a frame (or queues it until a sink is attached). Drops a subscriber that stopped reading. */
  deliver(frame: SseFrame): void {
    if (this.#ended) return;
    const sink = this.#sink;
    if (sink === null) {
      this.#queue.push(frame);
      return;
    }
    sink.write(frame);
    if (sink.bufferedBytes !== undefined && sink.bufferedBytes() > this.#maxBuffered) this.end('slow', 'dropped');
  }

  /** Holds live frames until {@link Connection.release}: the history is being replayed. */
  hold(): void {
    this.#held = [];
  }

  /** Live delivery of the frame of the update at log `position` (held during a replay, skipped if replayed). */
  offer(position: string, frame: SseFrame): void {
    if (this.#held !== null) {
      this.#held.push({ position, frame });
      return;
    }
    if (this.#replayedThrough !== null) {
      if (comparePositions(position, this.#replayedThrough) <= 0) return;
      this.#replayedThrough = null;
    }
    this.deliver(frame);
  }

  /**
   * The replay went through `position` (`null`: it replayed nothing): sends the held frames
   * that follow it, and skips live frames up to it that arrive later.
   */
  release(position: string | null): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#replayedThrough = position;
    for (const entry of held) this.offer(entry.position, entry.frame);
  }

  attach(sink: HubSink): void {
    if (this.#sink !== null) throw new Error('A sink is already attached to this connection.');
    if (this.#ended) {
      sink.end('closed');
      return;
    }
    this.#sink = sink;
    const queued = this.#queue;
    this.#queue = [];
    for (const frame of queued) this.deliver(frame);
  }

  close(): void {
    this.end('client', 'closed');
  }

  /**
   * Ends the connection (once) and tells the engine.
   * @param reason - why, for events and logs.
   * @param mode - `closed` ends the stream cleanly; `dropped` cuts it like a network failure.
   */
  end(reason: DisconnectReason, mode: 'closed' | 'dropped'): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue = [];
    this.#held = null;
    const sink = this.#sink;
    if (sink !== null && reason !== 'client') sink.end(mode);
    this.#onEnd(this, reason);
  }
}
