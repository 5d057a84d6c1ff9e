import type { ConnectionStatus, SseError, SseUpdate, SubscriptionInfo } from '../index.js';

/** Connection status values, reused as `data-state` by every component. */
export type ConnectionState = ConnectionStatus;

/** An event as {@link TopicFeed} shows it: the update plus the time it arrived (ms since the epoch). */
export interface TopicFeedEvent<T = unknown> extends SseUpdate<T> {
  /** When the update reached this client, in ms since the epoch. */
  readonly receivedAt: number;
}

/**
 * The clock a component tells time with: `now` and one-shot timers (the shape of an `SseDriver`'s
 * `platform`, whose `now` is optional). Components default to `Date.now` and the global timers; pass one to
 * drive time yourself (a story or test clock).
 */
export interface UiClock {
  /** Current time in ms since the epoch (default `Date.now`). */
  now?: (() => number) | undefined;
  /** Runs `callback` once after `ms`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels what {@link UiClock.setTimeout} returned. */
  clearTimeout(handle: unknown): void;
}

/** Payload format of a {@link PublishForm}. */
export type PublishFormMode = 'text' | 'json';

/** Lifecycle of a {@link PublishForm}, exposed as its `data-state`. */
export type PublishFormState = 'idle' | 'invalid' | 'pending' | 'queued' | 'error' | 'sent';

/**
 * A peer as {@link PeerList} shows it: the shape of the items of `usePeerSignaling().peers`.
 */
export interface PeerListPeer {
  /** Peer id. */
  readonly id: string;
  /** Metadata the peer announced (a `name` string is shown when present). */
  readonly metadata?: unknown;
  /** When the peer joined, in ms since the epoch. */
  readonly joinedAt?: number | undefined;
  /** When the peer was last heard from, in ms since the epoch. */
  readonly lastSeen?: number | undefined;
}

/** Presence of a peer row, exposed as its `data-state`. */
export type PeerPresence = 'joining' | 'online' | 'away' | 'leaving' | 'offline';

/**
 * Kinds of connection timeline entries shown by {@link HubInspector}: `connecting` is the first attempt of a
 * connection (or a matcher switch), `retry` every later attempt.
 */
export type TimelineKind = 'connecting' | 'retry' | 'open' | 'resume' | 'drop' | 'gap' | 'closed' | 'error';

/** One entry of the {@link HubInspector} connection timeline. */
export interface TimelineEntry {
  /** Sequence number, unique within one inspector. */
  readonly seq: number;
  /** When it happened, in ms since the epoch. */
  readonly time: number;
  /** What happened. */
  readonly kind: TimelineKind;
  /** Connection name (`main`, or `dedicated:…`); empty for driver-wide errors. */
  readonly connection: string;
  /** A short human-readable detail (resume cursor, error message, …). */
  readonly detail: string;
}

/** An error remembered by {@link HubInspector}. */
export interface InspectorError {
  /** Sequence number, unique within one inspector. */
  readonly seq: number;
  /** When it was reported, in ms since the epoch. */
  readonly time: number;
  /** The error. */
  readonly error: SseError;
}

/** What {@link HubInspector} shows, as one immutable snapshot. */
export interface InspectorSnapshot {
  /** Live subscriptions of the driver. */
  readonly subscriptions: readonly SubscriptionInfo[];
  /** Connection timeline, newest first, bounded. */
  readonly timeline: readonly TimelineEntry[];
  /** Recent errors, newest first, bounded. */
  readonly errors: readonly InspectorError[];
  /** Updates received per second, averaged over the completed seconds of the rate window. */
  readonly rate: number;
  /** Updates received in each completed second of the rate window, oldest first (for a sparkline). */
  readonly rateHistory: readonly number[];
  /** Updates received since the inspector attached. */
  readonly updates: number;
  /** Id of the last update received on the shared connection since the inspector attached. */
  readonly lastEventId: string | undefined;
}
