import { Connection, type ConnectionContext, type ConnectionHandlers } from './connection.js';
import { decodeEnvelope } from './envelope.js';
import { SseError, SseProtocolError } from './errors.js';
import type { StreamView } from './driverState.js';
import { matcherSetKey, type CompiledMatcher } from './matcher.js';
import type { ForeignEvent } from './protocols/types.js';
import { RecentIds } from './recentIds.js';
import { Router, type Carrier } from './router.js';
import { SwitchBudget, covers, wantedBy, type Wanted } from './switchBudget.js';
import type { SharedState } from './tabs/types.js';
import type { DriverEvent, RawEvent, SubscribeOptions, TopicMatcher } from './types.js';

/** What a slot needs from its driver. */
export interface SlotContext {
  readonly connection: ConnectionContext;
  readonly topicOf: ((event: RawEvent) => string | undefined) | undefined;
  /** Reports a background error (timeline `error` and `onError`). */
  reportError(error: SseError): void;
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
}

/** Where a routed event came from: a stream of the slot, or the leader tab's stream. */
type Source = Carrier & { readonly name: string };

/** Identity of a slot's stream options. */
export interface SlotOptions {
  readonly key: string;
  /** Dedicated to one matcher set (raw without `topicOf`, or `since`), rather than the shared stream. */
  readonly dedicated: boolean;
  /** Dedicated to raw subscriptions only: no envelope to decode. */
  readonly rawOnly: boolean;
  /** Cursor of the first stream. */
  readonly since: string | undefined;
}

/** A stream of the slot and what it was opened to carry. */
interface Leg {
  readonly connection: Connection;
  readonly key: string;
  /**
   * Keys of what the stream carries (matchers, and event types for the native EventSource). Replaced
   * when the same request turns out to carry a new set (a server whose request does not depend on the
   * matchers).
   */
  keys: ReadonlySet<string>;
}

/** The predecessor of a switch, read until its successor caught up with it. */
interface Draining {
  readonly connection: Connection;
  /** Dedup key of the last update it delivered. */
  last: string | undefined;
  readonly timer: unknown;
}

/** Key of the shared slot. */
export const MAIN = 'main';

/**
 * The slot a subscription belongs to: the shared one, or a dedicated one per matcher set for raw
 * subscriptions without `topicOf` (their topic cannot be known on a shared stream) and for `since`.
 */
export function slotOptionsFor(list: readonly TopicMatcher[], options: SubscribeOptions, hasTopicOf: boolean): SlotOptions {
  const raw = options.raw === true;
  const dedicated = (raw && !hasTopicOf) || options.since !== undefined;
  if (!dedicated) return { key: MAIN, dedicated, rawOnly: false, since: undefined };
  const key = `${options.since === undefined ? '' : `since:${options.since}|`}${raw ? 'raw|' : ''}${matcherSetKey(list)}`;
  return { key, dedicated, rawOnly: raw, since: options.since };
}

const DEDUP_WINDOW = 4096;
/** Source of relayed events before the leader described its stream. */
const FOLLOWED: Source = { name: MAIN, matchers: [], source: '' };
/** How long stale matchers (of removed subscriptions) may stay on the wire before a clean-up switch. */
export const CLEANUP_MS = 30_000;
/** Longest time an old stream keeps draining after its successor opened. */
const DRAIN_MS = 1000;

/**
 * One logical stream (the shared one, or one dedicated matcher set) as a state machine:
 *
 * - **live**: the stream that carries the slot's matchers (the first one is live at once);
 * - **next**: after a matcher change, the successor opens beside the live stream (make before break);
 *   once it is open it becomes live and the old one goes to…
 * - **draining**: read until the new stream delivered what the old one last did (or `DRAIN_MS`),
 *   then closed.
 *
 * The slot owns its de-duplication memory, kept across the streams that replace each other, and
 * routes what its streams deliver through its {@link Router}.
 */
export class StreamSlot {
  readonly options: SlotOptions;
  /** The slot's subscriptions. */
  readonly router: Router;
  readonly #ctx: SlotContext;
  readonly #seen = new RecentIds(DEDUP_WINDOW);
  readonly #budget: SwitchBudget;
  readonly #timers: { switch: unknown; cleanup: unknown } = { switch: undefined, cleanup: undefined };
  #live: Leg | undefined;
  #next: Leg | undefined;
  #draining: Draining | undefined;
  /** Dedup key of the last update delivered. */
  #lastKey: string | undefined;
  /** A matcher set the hub refused (400) while the live stream stayed healthy; not retried. */
  #rejectedKey: string | undefined;
  /** An event of the wrong shape was reported. */
  #shapeReported = false;
  /** Cross-tab sharing (shared slot only). */
  readonly #sharing: SlotSharing | undefined;
  /** SSE id of the last fresh event, whichever stream brought it: where a new first stream resumes. */
  #cursor: string | undefined;
  /** Bumped at every open of the live stream that is not a seamless switch. */
  #epoch = 0;
  /** (follower) The leader's stream, and the source its events are routed from. */
  #followed: { readonly state: SharedState; readonly source: Source } | undefined;

  constructor(options: SlotOptions, ctx: SlotContext) {
    this.options = options;
    this.#ctx = ctx;
    this.#budget = new SwitchBudget(ctx.connection.platform.now);
    this.router = new Router({ dedicated: options.dedicated, topicOf: ctx.topicOf, reportError: ctx.reportError });
    this.#sharing = options.key === MAIN ? ctx.sharing : undefined;
  }

  /** The live stream, if any. */
  get live(): Connection | undefined {
    return this.#live?.connection;
  }

  /** What the driver state is computed from: the live stream, or (follower) the leader's. */
  get view(): StreamView | undefined {
    const mode = this.#sharing?.mode() ?? 'own';
    if (mode === 'own' || this.router.size === 0) return this.#live?.connection;
    const shared = mode === 'follow' ? this.#followed?.state : undefined;
    return { status: shared?.status ?? 'connecting', retries: shared?.retries ?? 0, error: undefined, lastEventId: this.#cursor };
  }

  /** The shared stream as the followers see it (leader). */
  describe(): { readonly status: StreamView['status']; readonly retries: number; readonly keys: readonly string[]; readonly epoch: number } {
    const live = this.#live;
    return { status: live?.connection.status ?? 'idle', retries: live?.connection.retries ?? 0, keys: live ? [...live.keys] : [], epoch: this.#epoch };
  }

  /** This tab's matcher set and the SSE id of the last update it got, to resume from after a reload. */
  cursor(): { readonly matcherSet: string; readonly id: string } | undefined {
    return this.#cursor === undefined ? undefined : { matcherSet: wantedBy(this.router.subscriptions(), false).key, id: this.#cursor };
  }

  /** The matchers this tab's own subscriptions need. */
  ownMatchers(): readonly CompiledMatcher[] {
    return wantedBy(this.router.subscriptions(), false).matchers;
  }

  /** (follower) The leader's stream changed: subscriptions it carries become active. */
  follow(state: SharedState): void {
    const same = this.#followed?.state.stream === state.stream;
    // A new object per leader stream: subscriptions become active once per stream.
    const source: Source = same && this.#followed ? this.#followed.source : { name: MAIN, matchers: [], source: '' };
    // Another stream (a new leader) may resume from an older cursor than this tab's: what it
    // replays is recognised as already delivered.
    if (!same) this.#seen.startReplay(undefined);
    this.#followed = { state, source };
    if (state.status === 'open') this.#announce(source, 0, new Set(state.keys));
  }

  /** (follower) Routes an event of the leader's stream, de-duplicated like the slot's own. */
  inject(event: RawEvent): void {
    if (this.#sharing?.mode() !== 'follow') return;
    this.#route(this.#followed?.source ?? FOLLOWED, event);
    if (event.id !== '') this.#ctx.advanced(this);
  }

  /**
   * Makes the streams carry the subscriptions' matchers, cheaply for the hub: a removal never opens a
   * stream (the stale matcher stays on the wire, its updates find no subscription, and a lazy
   * clean-up drops it after {@link CLEANUP_MS}); an addition opens at most one stream, when the
   * switch budget allows.
   */
  sync(): void {
    const mode = this.#sharing?.mode() ?? 'own';
    const wanted = this.#wanted();
    if (mode !== 'own' || wanted.keys.size === 0) {
      // Nothing to carry here: no subscriptions, or the leader tab's stream carries them.
      this.close();
      if (mode === 'follow' && this.#followed) this.follow(this.#followed.state);
      return;
    }
    this.#followed = undefined;
    if (wanted.key === this.#rejectedKey) return;
    const live = this.#live;
    const sameRequest = live !== undefined && live.key === wanted.key;
    if (live && (sameRequest || covers(live.keys, wanted.keys))) {
      if (sameRequest) live.keys = wanted.keys;
      this.#discardNext();
      this.#activate();
      // Without ids a clean-up switch could lose updates: stale matchers then wait for the next needed switch.
      if (wanted.keys.size < live.keys.size && this.#ctx.connection.adapter.capabilities.ids) this.#later('cleanup', CLEANUP_MS);
      return;
    }
    if (this.#next && covers(this.#next.keys, wanted.keys)) return;
    this.#switchTo(wanted);
  }

  /** Opens a stream for `wanted`: the first one, or a successor (make before break) within the budget. */
  #switchTo(wanted: Wanted): void {
    const previous = this.#live?.connection;
    const wait = previous ? this.#budget.wait() : 0;
    if (wait > 0) {
      this.#later('switch', wait);
      return;
    }
    this.#clearTimer('cleanup');
    this.#discardNext();
    this.#budget.spend();
    // Without ids two streams cannot be de-duplicated: switch break-before-make (the new stream reports the possible loss).
    const breakFirst = previous !== undefined && !this.#ctx.connection.adapter.capabilities.ids;
    if (breakFirst) {
      this.#finishDrain();
      this.#live = undefined;
      previous.close();
    }
    const connection = new Connection(
      this.#ctx.connection,
      this.#handlers,
      this.options.dedicated ? `dedicated:${wanted.key}` : MAIN,
      wanted.matchers,
      previous ? previous.lastEventId : (this.options.since ?? this.#cursor ?? this.#savedCursor()),
      previous === undefined,
      // Only a live predecessor covers the switch; after a drop a gap must still be reported.
      previous === undefined ? 'fresh' : previous.status === 'open' && !breakFirst ? 'seamless' : previous.opens > 0 ? 'resume' : 'fresh',
    );
    const leg = { connection, key: wanted.key, keys: wanted.keys };
    if (previous === undefined || breakFirst) this.#live = leg;
    else this.#next = leg;
    connection.start();
  }

  /** Runs a deferred switch, or the lazy clean-up of stale matchers, once. */
  #later(which: 'switch' | 'cleanup', ms: number): void {
    const timers = this.#timers;
    if (timers[which] !== undefined) return;
    timers[which] = this.#ctx.connection.platform.setTimeout(() => {
      timers[which] = undefined;
      if (which === 'switch') {
        this.sync();
        return;
      }
      const wanted = this.#wanted();
      // Still stale (nothing re-added what was removed) and not switching anyway: drop the stale matchers.
      if (this.#live && this.#live.key !== wanted.key && !this.#next && this.router.size > 0) this.#switchTo(wanted);
    }, ms);
  }

  #clearTimer(which: 'switch' | 'cleanup'): void {
    if (this.#timers[which] !== undefined) this.#ctx.connection.platform.clearTimeout(this.#timers[which]);
    this.#timers[which] = undefined;
  }

  /** Closes every stream of the slot. */
  close(): void {
    this.#clearTimer('switch');
    this.#clearTimer('cleanup');
    this.#discardNext();
    this.#finishDrain();
    const live = this.#live?.connection;
    this.#live = undefined;
    live?.close();
  }

  /**
   * What the slot's stream must carry, keyed by the request the adapter builds for it (a server whose
   * request does not depend on the matchers keeps one key whatever they are).
   */
  #wanted(): Wanted {
    const adapter = this.#ctx.connection.adapter;
    const eventSource = this.#ctx.connection.transport === 'eventsource';
    const wanted = withExtra(wantedBy(this.router.subscriptions(), eventSource), this.#sharing?.mode() === 'own' ? this.#sharing.extra() : []);
    if (!adapter.streamKey && !(eventSource && adapter.eventTypes)) return wanted;
    let key = adapter.streamKey ? adapter.streamKey(wanted.matchers) : wanted.key;
    if (eventSource) key = `${key}\ntypes:${[...(adapter.eventTypes?.(wanted.matchers) ?? []), ...[...wanted.keys].filter((k) => k.startsWith('type:'))].sort().join(',')}`;
    return { ...wanted, key };
  }

  #savedCursor(): string | undefined {
    return this.options.key === MAIN ? this.#ctx.savedCursor(wantedBy(this.router.subscriptions(), false).key) : undefined;
  }

  /** Tells the subscriptions that the open live stream carries their matchers (once per open). */
  #activate(): void {
    const connection = this.#live?.connection;
    const keys = this.#live?.keys;
    if (connection?.status !== 'open' || keys === undefined) return;
    this.#announce(connection, connection.opens, keys);
  }

  /** Emits `active` once per (stream, open) to the subscriptions whose matchers `keys` all carry. */
  #announce(stream: object, opens: number, keys: ReadonlySet<string>): void {
    for (const sub of [...this.router.subscriptions()]) {
      if (!sub.listeners.hasListenersFor('active') || (sub.liveOn === stream && sub.liveOpens === opens)) continue;
      if (!sub.compiled.every((m) => keys.has(m.key))) continue;
      sub.liveOn = stream;
      sub.liveOpens = opens;
      sub.listeners.emit('active', undefined);
    }
  }

  #discardNext(): void {
    const next = this.#next;
    this.#next = undefined;
    next?.connection.close();
  }

  /** next → live once it opened (or failed for good); the old live stream drains when both are open. */
  #promote(connection: Connection): void {
    const next = this.#next;
    if (next?.connection !== connection || (connection.status !== 'open' && connection.status !== 'error')) return;
    const old = this.#live?.connection;
    const error = connection.error;
    if (connection.status === 'error' && error?.code === 'bad-request' && old?.status === 'open') {
      // The hub refused the new matcher set: keep the healthy stream and tell the subscriptions that
      // asked for the refused matchers, instead of breaking everyone's connection.
      const live = new Set(old.matchers.map((m) => m.key));
      this.#rejectedKey = next.key;
      this.#discardNext();
      for (const sub of this.router.subscriptions()) if (sub.compiled.some((m) => !live.has(m.key))) sub.listeners.emit('error', error);
      return;
    }
    this.#rejectedKey = undefined;
    this.#live = next;
    this.#next = undefined;
    connection.switching = false;
    if (old?.status !== 'open') this.#epoch++; // not a seamless switch: followers hear of a new stream
    if (!old) return;
    if (old.status === 'open' && connection.status === 'open') {
      // A seamless switch: subscriptions live on the old stream stay live on the new one.
      const keys = next.keys;
      for (const sub of this.router.subscriptions()) {
        if (sub.liveOn !== old || !sub.compiled.every((m) => keys.has(m.key))) continue;
        sub.liveOn = connection;
        sub.liveOpens = connection.opens;
      }
    }
    this.#finishDrain();
    if (connection.status !== 'open' || old.status !== 'open') {
      old.close();
      return;
    }
    old.switching = true;
    this.#seen.beginOverlap();
    this.#draining = { connection: old, last: this.#lastKey, timer: this.#ctx.connection.platform.setTimeout(() => this.#finishDrain(), DRAIN_MS) };
  }

  #finishDrain(): void {
    const draining = this.#draining;
    if (!draining) return;
    this.#draining = undefined;
    this.#ctx.connection.platform.clearTimeout(draining.timer);
    this.#seen.endOverlap();
    draining.connection.close();
  }

  /** Ends a drain once the two streams are in step: each has delivered what the other last did. */
  #trackDrain(draining: Draining, connection: Source, key: string, fresh: boolean): void {
    if (connection === draining.connection) {
      if (fresh) draining.last = key;
      else this.#finishDrain(); // the old stream repeats what the new one already gave
    } else if (connection === this.#live?.connection && key === draining.last) {
      this.#finishDrain();
    }
  }

  #owns(connection: Connection): boolean {
    return connection === this.#live?.connection || connection === this.#next?.connection || connection === this.#draining?.connection;
  }

  readonly #handlers: ConnectionHandlers = {
    event: (event, connection) => {
      if (!this.#owns(connection)) return;
      if (this.#route(connection, event)) this.#sharing?.relay(event);
      if (event.id !== '') this.#ctx.advanced(this);
    },
    change: (connection) => {
      if (this.#owns(connection)) {
        this.#promote(connection);
        if (connection === this.#live?.connection) this.#activate();
        else if (connection === this.#draining?.connection && connection.status !== 'open') this.#finishDrain();
      }
      this.#ctx.changed();
    },
    open: (connection, cursor) => {
      if (!this.#owns(connection)) return;
      this.#seen.startReplay(cursor);
      if (connection === this.#live?.connection) this.#epoch++;
    },
    error: (error, connection) => {
      // A draining predecessor that breaks has nothing left to give: it is just closed.
      if (this.#owns(connection) && connection !== this.#draining?.connection) this.#ctx.reportError(error);
    },
  };

  /** Routes one event; returns whether it was fresh (not a duplicate, nor skipped). */
  #route(connection: Source, wire: RawEvent): boolean {
    let foreign: ForeignEvent;
    try {
      foreign = this.#ctx.connection.adapter.readEvent(wire);
    } catch (error) {
      this.#wrongShape(error);
      return false;
    }
    if (foreign.kind === 'skip') return false;
    // The adapter may unwrap the event (a channel server's payload, type); routing sees what subscribers see.
    const event = foreign.event ?? wire;
    // A dedicated raw slot takes the wire data as is: no envelope to decode.
    const envelope = this.options.rawOnly || foreign.kind === 'subscription' ? undefined : decodeEnvelope(event.data);
    // sse-kit messages are keyed by their message id (stable across a publisher's retries), others by their id.
    const dedupKey = envelope ? envelope.id : foreign.id !== '' ? foreign.id : undefined;
    if (dedupKey !== undefined) {
      const fresh = this.#seen.add(dedupKey, envelope !== undefined);
      if (this.#draining) this.#trackDrain(this.#draining, connection, dedupKey, fresh);
      if (!fresh) return false;
      this.#lastKey = dedupKey;
    }
    if (wire.id !== '') this.#cursor = wire.id;
    if (this.#ctx.watched()) this.#ctx.timeline({ type: 'update', connection: connection.name, id: event.id || (envelope?.id ?? ''), eventType: event.type });
    if (envelope) this.router.deliverEnvelope(event, envelope, connection);
    else this.router.deliverForeign(event, foreign, connection);
    return true;
  }

  /** An event the adapter cannot read: reported (once per slot, the stream goes on), not delivered. */
  #wrongShape(error: unknown): void {
    if (this.#shapeReported) return;
    this.#shapeReported = true;
    const name = this.#ctx.connection.adapter.name;
    this.#ctx.reportError(error instanceof SseError ? error : new SseProtocolError(`The ${name} adapter could not read an event.`, { cause: error }));
  }
}

/** `wanted` plus the matchers other tabs need on the stream. */
function withExtra(wanted: Wanted, extra: readonly CompiledMatcher[]): Wanted {
  if (extra.length === 0) return wanted;
  const byKey = new Map(wanted.matchers.map((m) => [m.key, m]));
  const keys = new Set(wanted.keys);
  for (const m of extra) {
    byKey.set(m.key, m);
    keys.add(m.key);
  }
  return { matchers: [...byKey.values()], keys, key: [...keys].sort().join('\n') };
}
