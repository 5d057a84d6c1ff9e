import type { HubUpdate, SubscriptionDocument } from '../types.js';

/** A value, or a promise of it: the memory transport answers at once, Redis asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** One update of the shared log, with its place in it. */
export interface HistoryEntry {
  /**
   * Where the update sits in the log: `"<a>-<b>"` or `"<a>"` with decimal parts, increasing in
   * log order (a Redis stream entry id, a sequence number in memory). Compare with
   * {@link comparePositions}.
   */
  readonly position: string;
  /** The update. */
  readonly update: HubUpdate;
}

/** What {@link HubTransport.append} did. */
export interface AppendResult {
  /** The id the update is known under (its own, or the fresh one when its id was taken). */
  readonly id: string;
  /** `false` when the update was a retry of a retained one (same id and content): nothing was appended. */
  readonly appended: boolean;
}

/** Where a transport reports what every hub process must hear. */
export interface TransportListener {
  /** An update appended by any process, in log order, once per process. */
  update(entry: HistoryEntry): void;
  /** A subscription event from any process (never part of the history). */
  subscription(document: SubscriptionDocument): void;
  /**
   * Updates may have been missed for live delivery (the reader fell behind the retained log,
   * or the log was reset): the engine drops its connections so clients resume from history.
   */
  lost(reason: string): void;
}

/**
 * What carries updates across hub processes: publish fan-out, the history (read in pages from
 * a cursor) and subscription presence. The engine keeps matching, authorization and formatting.
 *
 * Positions are opaque to the engine except for their order ({@link comparePositions}).
 */
export interface HubTransport {
  /** `memory`, `redis`, … (logs and the status page). */
  readonly name: string;
  /** Whether every call answers at once (no promises): {@link HubEngine.publish} needs it. */
  readonly synchronous: boolean;
  /** Starts reporting to `listener` (called once by the engine). */
  attach(listener: TransportListener): void;
  /**
   * Appends an update, unless it retries a retained one (same id and same content: answered
   * `{ id, appended: false }`). An update whose id is taken by another one, or whose id is new but
   * one of `spellings` (other spellings of its id: its IRI or URI form) names a retained update, is
   * appended under `freshId`, so one cursor names one update (none given: only the id itself is checked). The check and the append are one
   * step (across processes too). Fan-out to every process (this one included) goes through
   * {@link TransportListener.update}.
   * @throws when the store is unreachable (the engine answers 503).
   */
  append(update: HubUpdate, freshId: string, spellings?: readonly string[]): MaybePromise<AppendResult>;
  /**
   * The position of a retained update, or of the newest update that left the history window:
   * everything after that one is retained, so a resume from it loses nothing.
   * @returns `undefined` when the id is unknown or older (what followed it may be gone).
   */
  locate(id: string): MaybePromise<string | undefined>;
  /**
   * Reads the history after `position` (excluded), oldest first.
   * @param position - a position from {@link HubTransport.locate} or an entry; `null` reads
   * from the oldest retained update.
   * @param limit - at most this many entries; fewer means the end of the log was reached.
   */
  readAfter(position: string | null, limit: number): MaybePromise<readonly HistoryEntry[]>;
  /**
   * Reads the history up to `position` (included), newest first, at most `limit` entries; the
   * newest update that left the window comes last when the read reaches it (see {@link HubTransport.locate}).
   */
  readBefore(position: string, limit: number): MaybePromise<readonly HistoryEntry[]>;
  /**
   * Whether every update after `position` can still be read with {@link HubTransport.readAfter}:
   * a replay that got there has lost nothing, even if `position` itself left the history window.
   * Optional: without it, the engine asks {@link HubTransport.readBefore} whether `position` is
   * still retained (stricter: a cursor that just left the window ends the replay).
   */
  keepsAfter?(position: string): MaybePromise<boolean>;
  /** The id of the newest retained update, if any. */
  lastId(): MaybePromise<string | undefined>;
  /**
   * Records a subscription of this process as live (`active: true`) or gone (`active: false`)
   * and fans the event out to every process through {@link TransportListener.subscription}.
   */
  announce(document: SubscriptionDocument): MaybePromise<void>;
  /** Every live subscription of every process. */
  subscriptions(): MaybePromise<readonly SubscriptionDocument[]>;
  /** Forgets the history. */
  clear(): MaybePromise<void>;
  /** Stops reading and releases connections; this process's subscriptions are withdrawn. */
  close(): MaybePromise<void>;
}

function parts(position: string): [number, number] {
  const dash = position.indexOf('-');
  return dash === -1 ? [Number(position), 0] : [Number(position.slice(0, dash)), Number(position.slice(dash + 1))];
}

/** Orders two log positions: negative when `a` comes first, 0 when equal, positive otherwise. */
export function comparePositions(a: string, b: string): number {
  const [a1, a2] = parts(a);
  const [b1, b2] = parts(b);
  return a1 - b1 || a2 - b2;
}

/** Whether `candidate` retries `known`: same id assumed, same topics, data, type, retry and privacy. */
export function isSameContent(known: HubUpdate, candidate: HubUpdate): boolean {
  return (
    known.data === candidate.data &&
    known.type === candidate.type &&
    known.retry === candidate.retry &&
    known.private === candidate.private &&
    known.topics.length === candidate.topics.length &&
    known.topics.every((topic, i) => topic === candidate.topics[i])
  );
}
