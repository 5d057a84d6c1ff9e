import type { Grants } from './grants.js';
import type { WorkMeter } from './linearMatcher.js';
import type { TopicMatcher } from './topicMatcher.js';
import type { ConnectionInfo, DisconnectReason, HubConnectionHandle, HubSink, HubUpdate, SseFrame } from './types.js';

/** Called once when a connection ends, whoever ended it. */
export type ConnectionEndListener = (connection: Connection, reason: DisconnectReason) => void;

/**
 * One live subscription connection: its matchers, its rights, and the sink its frames go to.
 * Frames written before the front door attaches a sink are queued, so nothing dispatched
 * between registration and the first byte is lost.
 *
 * While its history is being replayed, live frames wait in a queue (bounded like the sink's
 * buffer) and follow the replay in order.
 */
export class Connection implements HubConnectionHandle {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** Every matcher. */
  readonly matchers: readonly TopicMatcher[];
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
  #queuedBytes = 0;
  #live: SseFrame[] | null = null;
  #liveBytes = 0;
  #attached: (() => void) | undefined;
  #lastBuffered = 0;
  #stalledSince: number | undefined;
  #ended = false;

  constructor(info: ConnectionInfo, matchers: readonly TopicMatcher[], grants: Grants, maxBuffered: number, onEnd: ConnectionEndListener) {
    this.info = info;
    this.matchers = matchers;
    this.grants = grants;
    this.#maxBuffered = maxBuffered;
    this.#onEnd = onEnd;
  }

  /** Whether the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Whether this connection may receive `update`: one matcher matches one of its topics, and a
   * private update is readable with the connection's grants. Pattern work is charged to `meter`.
   */
  accepts(update: HubUpdate, meter?: WorkMeter): boolean {
    if (update.private && !this.grants.canRead(update.topics)) return false;
    for (const matcher of this.matchers) {
      if (matcher.wildcard) return true;
      for (const topic of update.topics) {
        if (matcher.test(topic, meter)) return true;
        if (meter?.exhausted === true) return false;
      }
    }
    return false;
  }

  /** Holds live frames until {@link Connection.goLive}: a history replay comes first. */
  startReplay(): void {
    this.#live ??= [];
  }

  /** Ends the replay: queued live frames are written, then frames flow directly. */
  goLive(): void {
    const live = this.#live;
    if (live === null) return;
    this.#live = null;
    this.#liveBytes = 0;
    for (const frame of live) this.write(frame);
  }

  /** Delivers a live frame (held behind a replay in progress). Drops a subscriber that stopped reading. */
  deliver(frame: SseFrame): void {
    if (this.#ended) return;
    const live = this.#live;
    if (live === null) {
      this.write(frame);
      return;
    }
    live.push(frame);
    this.#liveBytes += frame.bytes.byteLength;
    if (this.#liveBytes + this.#buffered() > this.#maxBuffered) this.end('slow', 'dropped');
  }

  /** Writes a frame now (or queues it until a sink is attached). Drops a subscriber that stopped reading. */
  write(frame: SseFrame): void {
    if (this.#ended) return;
    const sink = this.#sink;
    if (sink === null) {
      this.#queue.push(frame);
      this.#queuedBytes += frame.bytes.byteLength;
      if (this.#queuedBytes > this.#maxBuffered) this.end('slow', 'dropped');
      return;
    }
    sink.write(frame);
    if (sink.bufferedBytes !== undefined && sink.bufferedBytes() > this.#maxBuffered) this.end('slow', 'dropped');
  }

  /**
   * Resolves once the sink can take more (see {@link HubSink.whenDrained}), once a sink is
   * attached, or at once when the sink cannot tell. Never rejects; resolves when the connection ends.
   */
  async whenDrained(): Promise<void> {
    if (this.#ended) return;
    if (this.#sink === null) await new Promise<void>((resolve) => (this.#attached = resolve));
    if (this.#ended) return;
    await this.#sink?.whenDrained?.();
  }

  /**
   * Watches for a stalled socket: a connection with unsent bytes whose backlog neither shrank
   * nor emptied since the previous check is stalled; stalled for `timeout` ms, it is dropped.
   */
  checkStalled(now: number, timeout: number): void {
    if (this.#ended) return;
    const buffered = this.#buffered();
    if (buffered === 0 || buffered < this.#lastBuffered) this.#stalledSince = undefined;
    else if (this.#stalledSince === undefined) this.#stalledSince = now;
    else if (now - this.#stalledSince >= timeout) this.end('stalled', 'dropped');
    this.#lastBuffered = buffered;
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
    this.#queuedBytes = 0;
    for (const frame of queued) this.write(frame);
    this.#attached?.();
    this.#attached = undefined;
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
    this.#live = null;
    const sink = this.#sink;
    if (sink !== null && reason !== 'client') sink.end(mode);
    this.#attached?.();
    this.#attached = undefined;
    this.#onEnd(this, reason);
  }

  #buffered(): number {
    return this.#sink === null ? this.#queuedBytes : (this.#sink.bufferedBytes?.() ?? 0);
  }
}
