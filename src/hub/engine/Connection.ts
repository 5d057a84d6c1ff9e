import type { Grants } from './grants.js';
import type { WorkMeter } from './linearMatcher.js';
import type { TopicMatcher } from './topicMatcher.js';
import { comparePositions } from './transport/types.js';
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
  /**
   * Live frames held while the history is replayed, with their log positions (`null`: not part
   * of the log, a subscription event), bounded like the sink's buffer.
   */
  #held: { readonly position: string | null; readonly frame: SseFrame }[] | null = null;
  #heldBytes = 0;
  #attached: (() => void) | undefined;
  #lastBuffered = 0;
  #stalledSince: number | undefined;
  #ended = false;
  /** Live frames at or before this log position were already replayed. */
  #replayedThrough: string | null = null;

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

  /** Holds live frames until {@link Connection.release}: a history replay comes first. */
  hold(): void {
    this.#held ??= [];
  }

  /** The log position of the first live update held behind the replay: the replay need not go past it. */
  get heldFrom(): string | undefined {
    if (this.#held === null) return undefined;
    for (const entry of this.#held) if (entry.position !== null) return entry.position;
    return undefined;
  }

  /** Live delivery of the frame of the update at log `position` (held during a replay, skipped if replayed). */
  offer(position: string, frame: SseFrame): void {
    if (this.#ended) return;
    if (this.#held !== null) {
      this.#hold(position, frame);
      return;
    }
    if (this.#replayedThrough !== null) {
      if (comparePositions(position, this.#replayedThrough) <= 0) return;
      this.#replayedThrough = null;
    }
    this.write(frame);
  }

  /** Delivers a live frame that is not part of the log (held behind a replay in progress). Drops a subscriber that stopped reading. */
  deliver(frame: SseFrame): void {
    if (this.#ended) return;
    if (this.#held !== null) this.#hold(null, frame);
    else this.write(frame);
  }

  /**
   * Ends the replay, which went through `position` (`null`: it replayed nothing): writes the
   * held frames that follow it, in order, and skips live frames up to it that arrive later.
   */
  release(position: string | null): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#heldBytes = 0;
    this.#replayedThrough = position;
    for (const entry of held) {
      if (entry.position === null) this.write(entry.frame);
      else this.offer(entry.position, entry.frame);
    }
  }

  #hold(position: string | null, frame: SseFrame): void {
    this.#held?.push({ position, frame });
    this.#heldBytes += frame.bytes.byteLength;
    if (this.#heldBytes + this.#buffered() > this.#maxBuffered) this.end('slow', 'dropped');
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
    this.#held = null;
    this.#heldBytes = 0;
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
