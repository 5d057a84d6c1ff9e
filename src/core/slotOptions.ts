// What a stream slot is given: its options (which slot a subscription belongs to) and what it needs from its driver.
import type { ConnectionContext } from './connection.js';
import type { SseError, SseGapError } from './errors.js';
import { matcherSetKey, type CompiledMatcher } from './matcher.js';
import type { StreamSlot } from './streamSlot.js';
import type { DriverEvent, RawEvent, SubscribeOptions, TopicMatcher } from './types.js';

/** What a slot needs from its driver. */
export interface SlotContext {
  readonly connection: ConnectionContext;
  readonly topicOf: ((event: RawEvent) => string | undefined) | undefined;
  /** Reports a background error (timeline `error` and `onError`); `refused`: the matchers the hub refused, for a refused switch. */
  reportError(error: SseError, refused?: readonly string[]): void;
  /** Whether anyone listens to the timeline (update events are built only then). */
  watched(): boolean;
  timeline(event: DriverEvent): void;
  /** Something the driver state is computed from changed. */
  changed(): void;
  /** An event with an id arrived on the live stream (the state's `lastEventId` moves). */
  advanced(slot: StreamSlot): void;
  /** Cross-tab sharing of the shared slot, when on. */
  readonly sharing: SlotSharing | undefined;
  /** The cursor saved for a matcher set by an earlier page (the `resume` option), for the shared slot's first stream. */
  savedCursor(matcherSet: string): string | undefined;
}

/** How the shared slot takes part in cross-tab sharing (see `tabs/TabLink`). */
export interface SlotSharing {
  /** `own`: open the stream (alone, or leader); `follow`: read the leader's; `wait`: the role is not known yet. */
  mode(): 'own' | 'follow' | 'wait';
  /** Matchers other tabs need on the stream. */
  extra(): readonly CompiledMatcher[];
  /** A fresh event of this tab's stream, for the followers. */
  relay(event: RawEvent): void;
  /** A gap this tab's stream reported, for the followers. */
  gap(error: SseGapError): void;
}

/** Identity of a slot's stream options. */
export interface SlotOptions {
  readonly key: string;
  /** Dedicated to one matcher set (raw whose topics cannot be known, or `since`), rather than the shared stream. */
  readonly dedicated: boolean;
  /** Dedicated to raw subscriptions only: no envelope to decode. */
  readonly rawOnly: boolean;
  /** Cursor of the first stream. */
  readonly since: string | undefined;
}

/** Key of the shared slot. */
export const MAIN = 'main';

/**
 * The slot a subscription belongs to: the shared one, or a dedicated one per matcher set for raw
 * subscriptions whose updates' topic cannot be known on a shared stream (`topicsKnown` false: no
 * `topicOf`, a wire that does not tell topics, and not a presence watch, which needs only events that
 * route by their own JSON) and for `since`.
 */
export function slotOptionsFor(list: readonly TopicMatcher[], options: SubscribeOptions, topicsKnown: boolean): SlotOptions {
  const raw = options.raw === true;
  const dedicated = (raw && !topicsKnown) || options.since !== undefined;
  if (!dedicated) return { key: MAIN, dedicated, rawOnly: false, since: undefined };
  const key = `${options.since === undefined ? '' : `since:${options.since}|`}${raw ? 'raw|' : ''}${matcherSetKey(list)}`;
  return { key, dedicated, rawOnly: raw, since: options.since };
}

