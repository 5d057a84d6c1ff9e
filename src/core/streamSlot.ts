import { Connection, type ConnectionHandlers } from './connection.js';
import { Drain } from './drain.js';
import { SseGapError, SseNetworkError, matchersRefused, type SseError } from './errors.js';
import type { StreamView } from './driverState.js';
import type { CompiledMatcher } from './matcher.js';
import { announce, carryLive, readmit, refuse } from './liveness.js';
import { Router, type Subscription } from './router.js';
import { SlotIntake, type Source } from './slotIntake.js';
import { MAIN, type SlotContext, type SlotOptions, type SlotSharing } from './slotOptions.js';
import { SwitchBudget, covers, wantedBy, wantedOnStream, type Wanted } from './switchBudget.js';
import type { SharedState } from './tabs/types.js';
import type { RawEvent } from './types.js';

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
  /** `keys` as an array, made once per set (the leader describes its stream after every chunk). */
  list?: readonly string[] | undefined;
  /** Keys of the open stream a break-before-make switch closed for it: what the hub accepted just before. */
  readonly replaced?: ReadonlySet<string> | undefined;
}

/** No keys (the leader describes its stream after every chunk: no array is made for it). */
const NONE: readonly string[] = [];
/** Source of relayed events before the leader described its stream. */
const FOLLOWED: Source = { name: MAIN, matchers: [], source: '' };
/** How long stale matchers (of removed subscriptions) may stay on the wire before a clean-up switch. */
export const CLEANUP_MS = 30_000;

/**
 * One logical stream (the shared one, or one dedicated matcher set) as a state machine:
 *
 * - **live**: the stream that carries the slot's matchers (the first one is live at once);
 * - **next**: after a matcher change, the successor opens beside the live stream (make before break);
 *   once it is open it becomes live and the old one goes to…
 * - **draining**: read until the new stream delivered what the old one last did (a {@link Drain}),
 *   then closed.
 *
 * What its streams deliver goes through the slot's {@link SlotIntake}, which owns the
 * de-duplication memory kept across the streams that replace each other, to its {@link Router}.
 */
export class StreamSlot {
  readonly options: SlotOptions;
  /** The slot's subscriptions. */
  readonly router: Router;
  readonly #ctx: SlotContext;
  readonly #intake: SlotIntake;
  readonly #budget: SwitchBudget;
  readonly #timers: { switch: unknown; cleanup: unknown } = { switch: undefined, cleanup: undefined };
  #live: Leg | undefined;
  #next: Leg | undefined;
  #draining: Drain | undefined;
  /** This tab's own matcher set when a stream last opened: where {@link StreamSlot.cursor} belongs once no subscription is left. */
  #openedFor: string | undefined;
  /**
   * (leader) Keys of matchers other tabs asked for that the hub refused (400) while the live stream
   * stayed up: kept off the stream while they ask for them (this tab's own subscriptions are marked
   * refused instead).
   */
  readonly #refused = new Set<string>();
  /**
   * Parts of a refused switch's additions held back while it is split (own subscriptions, other tabs'
   * matcher keys), a stack: the last is tried next.
   */
  readonly #held: Array<Array<Subscription | string>> = [];
  /** Cross-tab sharing (shared slot only). */
  readonly #sharing: SlotSharing | undefined;
  /** Bumped at every open of the live stream that is not a seamless switch. */
  #epoch = 0;
  /** (follower) The leader's stream, its error, and the source its events are routed from. */
  #followed: { readonly state: SharedState; readonly error: SseError | undefined; readonly source: Source } | undefined;
  /** (follower) The adapter's memory of the leader's stream (see `Connection.seen`), rebuilt from its relayed events: this tab's stream starts from it. */
  readonly #relayed = new Map<string, string>();
  /** Out of the group (the page hid or froze, new credentials) after an update: the leader's stream, once followed again, does not replay what it brought meanwhile. */
  #away = false;
  /** (follower) The last gap of the leader's stream this tab was told of ({@link StreamSlot.relayedGap}): the only one its state shows. */
  #heardGap: SseGapError | undefined;

  constructor(options: SlotOptions, ctx: SlotContext) {
    this.options = options;
    this.#ctx = ctx;
    this.#budget = new SwitchBudget(ctx.connection.platform.now);
    this.router = new Router({ dedicated: options.dedicated, topicOf: ctx.topicOf, reportError: ctx.reportError });
    this.#sharing = options.key === MAIN ? ctx.sharing : undefined;
    this.#intake = new SlotIntake({
      adapter: ctx.connection.adapter,
      rawOnly: options.rawOnly,
      router: this.router,
      watched: ctx.watched,
      timeline: ctx.timeline,
      reportError: ctx.reportError,
      keyed: (source, key, fresh) => {
        if (this.#draining?.inStep(source, this.#live?.connection, key, fresh)) this.#finishDrain();
      },
    });
  }

  /** The live stream, if any. */
  get live(): Connection | undefined {
    return this.#live?.connection;
  }

  /** Whether the live stream ever opened (what a `since` replays went to the subscriptions there then). */
  get opened(): boolean {
    return (this.#live?.connection.opens ?? 0) > 0;
  }

  /** What the driver state is computed from: the live stream, or (follower) the leader's. */
  get view(): StreamView | undefined {
    const mode = this.#sharing?.mode() ?? 'own';
    if (mode === 'own' || this.router.size === 0) return this.#live?.connection;
    const followed = mode === 'follow' ? this.#followed : undefined;
    return { status: followed?.state.status ?? 'connecting', retries: followed?.state.retries ?? 0, error: followed?.error, lastEventId: this.#intake.cursor };
  }

  /** The shared stream as the followers see it (leader). */
  describe(): { readonly status: StreamView['status']; readonly retries: number; readonly error: SseError | undefined; readonly keys: readonly string[]; readonly refused: readonly string[]; readonly epoch: number } {
    const live = this.#live;
    return {
      status: live?.connection.status ?? 'idle',
      retries: live?.connection.retries ?? 0,
      error: live?.connection.error,
      keys: live ? (live.list ??= [...live.keys]) : [],
      refused: this.#refused.size === 0 ? NONE : [...this.#refused],
      epoch: this.#epoch,
    };
  }

  /** This tab's matcher set and the SSE id of the last update it got, to resume from after a reload. */
  cursor(): { readonly matcherSet: string; readonly id: string } | undefined {
    const id = this.#intake.cursor;
    if (id === undefined) return undefined;
    // Once every subscription has left (a provider unmounting, then destroy()), the cursor still
    // belongs to the set its stream was opened for.
    const current = wantedBy(this.router.subscriptions(), false).key;
    const matcherSet = current !== '' ? current : this.#openedFor;
    return matcherSet === undefined ? undefined : { matcherSet, id };
  }

  /** The matchers this tab's own subscriptions need. */
  ownMatchers(): readonly CompiledMatcher[] {
    return wantedBy(this.router.subscriptions(), false).matchers;
  }

  /**
   * (follower) The leader's stream changed (`error`: its error, shown as this tab's, but a gap only
   * when this tab was told of it: one that follows after it missed nothing): subscriptions it
   * carries become active, and those asking for matchers the hub refused hear it.
   * @returns whether a subscription was refused (this tab's matchers changed: sync).
   */
  follow(state: SharedState, error: SseError | undefined): boolean {
    const same = this.#followed?.state.stream === state.stream;
    // A new object per leader stream: subscriptions become active once per stream.
    const source: Source = same && this.#followed ? this.#followed.source : { name: MAIN, matchers: [], source: '', seen: this.#relayed };
    // Another stream (a new leader) may resume from an older cursor than this tab's: what it
    // replays is recognised as already delivered.
    if (!same) this.#intake.seen.startReplay(undefined);
    // What the adapter remembers of the leader's stream holds for the topics it carries now (none once it closed).
    for (const topic of this.#relayed.keys()) if (!state.keys.includes(`t:${topic}`)) this.#relayed.delete(topic);
    // The leader's open stream stopped: this tab's timeline tells it as a drop of its own stream would
    // (what waits for one, such as signaling's peer timeouts, must not count the outage against peers).
    const wasOpen = this.#followed?.state.status === 'open';
    this.#followed = { state, error: error instanceof SseGapError && error !== this.#heardGap ? undefined : error, source };
    if (this.#away) {
      this.#away = false;
      this.#gap(new SseGapError(this.#intake.cursor, undefined, 'unknown'));
    }
    // A stream that is not open carries nothing (the leader's first stream may be refused before any opened).
    const keys = new Set(state.status === 'open' ? state.keys : NONE);
    if (state.status === 'open') {
      readmit(this.router.subscriptions(), keys);
      announce(this.router.subscriptions(), source, 0, keys);
    } else if (wasOpen) this.#ctx.timeline({ type: 'drop', connection: MAIN, error: new SseNetworkError("The leader tab's shared stream dropped."), switching: false });
    return this.#refuse(keys, new Set(state.refused), undefined);
  }

  /**
   * Routes an event the leader's stream delivered, de-duplicated like the slot's own: as a follower,
   * and as a tab that took the lead until its own stream opened. The lock manager and the channel are
   * separate services: the old leader's last relayed events may arrive after the lead, and a tab that
   * had no cursor yet opens its stream after them.
   */
  inject(event: RawEvent): void {
    const mode = this.#sharing?.mode();
    if (mode !== 'follow' && (mode !== 'own' || this.opened)) return;
    this.#intake.route(this.#followed?.source ?? FOLLOWED, event);
    if (event.id !== '') this.#ctx.advanced(this);
  }

  /**
   * A gap the leader's stream reported (see {@link StreamSlot.inject} for when this tab reads that
   * stream): this tab's subscriptions on it missed what the leader's did. Told as a gap of this tab's
   * own stream would be.
   */
  relayedGap(error: SseGapError): void {
    const mode = this.#sharing?.mode();
    if (this.router.size === 0 || (mode !== 'follow' && (mode !== 'own' || this.opened))) return;
    this.#heardGap = error;
    this.#gap(error);
  }

  #gap(error: SseGapError): void {
    this.#ctx.timeline({ type: 'gap', connection: MAIN, error });
    this.#ctx.reportError(error);
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
    const live = this.#live;
    const alone = refusedAlone(live?.connection);
    if (mode !== 'own' || (wanted.keys.size === 0 && this.#held.length === 0)) {
      // A stream refused alone stays (its error on display) while what it refused is still asked for.
      if (mode === 'own' && alone && this.router.size + this.#refused.size > 0) return;
      // Nothing to carry here: no subscriptions, or the leader tab's stream carries them.
      this.close();
      if (mode === 'wait') {
        // Out of the group: the stream followed before is no more (the first state of the next one tells).
        this.#away ||= this.#intake.cursor !== undefined;
        this.#followed = undefined;
      }
      if (mode === 'follow' && this.#followed) this.follow(this.#followed.state, this.#followed.error);
      return;
    }
    // Its own stream resumes from the cursor (and reports a gap itself).
    this.#away = false;
    this.#followed = undefined;
    if (alone && wanted.keys.size === 0) {
      // Beside a stream refused alone nothing else is left to try: the part held back last is.
      this.#held.pop();
      this.#later('switch', 0);
      return;
    }
    const sameRequest = live !== undefined && live.key === wanted.key;
    // A stream refused alone carries nothing.
    if (live && !alone && (sameRequest || covers(live.keys, wanted.keys))) {
      if (sameRequest) {
        live.keys = wanted.keys;
        live.list = undefined;
      }
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
    let replaced: ReadonlySet<string> | undefined;
    if (breakFirst) {
      if (previous.status === 'open') replaced = this.#live?.keys;
      this.#finishDrain();
      this.#live = undefined;
      previous.close();
    }
    this.#openedFor = wantedBy(this.router.subscriptions(), false).key || this.#openedFor;
    const connection = new Connection(
      this.#ctx.connection,
      this.#handlers,
      this.options.dedicated ? `dedicated:${this.options.key}` : MAIN,
      wanted.matchers,
      previous ? previous.lastEventId : (this.options.since ?? this.#intake.cursor ?? this.#savedCursor()),
      previous === undefined,
      // Only a live predecessor covers the switch; after a drop a gap must still be reported.
      previous === undefined ? 'fresh' : previous.status === 'open' && !breakFirst ? 'seamless' : previous.opens > 0 ? 'resume' : 'fresh',
    );
    // What the adapter remembers of the stream it replaces holds for the topics both carry; a topic new on the wire starts blank.
    // (A tab taking over from the leader: what the leader's stream carried.)
    for (const [topic, value] of previous?.seen ?? this.#relayed) if (wanted.matchers.some((m) => m.test(topic))) connection.seen.set(topic, value);
    this.#relayed.clear();
    const leg = { connection, key: wanted.key, keys: wanted.keys, replaced };
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

  /**
   * Reconnects the slot's streams now: the live one, and a successor waiting out its backoff. Matchers
   * the hub refused are asked for again ({@link StreamSlot.readmit}): with an open live stream, the
   * switch the next sync makes for them replaces it instead.
   */
  reconnect(): void {
    if (this.readmit() && this.#live?.connection.status === 'open') return;
    this.#live?.connection.reconnect();
  }

  /**
   * Lifts every refusal of matchers (`reconnect()`, new headers: the hub may accept them now); the
   * next sync asks for them again. A successor not open yet asks again at once (its request may carry
   * the old credentials, and the hub would refuse its matchers for them).
   * @returns whether any matcher was refused.
   */
  readmit(): boolean {
    this.#next?.connection.reconnect();
    const any = this.#refused.size > 0;
    this.#refused.clear();
    return readmit(this.router.subscriptions()) || any;
  }

  /** Closes every stream of the slot. */
  close(): void {
    this.#clearTimer('switch');
    this.#clearTimer('cleanup');
    this.#held.length = 0;
    this.#discardNext();
    this.#finishDrain();
    const live = this.#live?.connection;
    this.#live = undefined;
    live?.close();
  }

  /** What the slot's stream must carry (with what other tabs need, when this tab leads). */
  #wanted(): Wanted {
    const connection = this.#ctx.connection;
    const extra = this.#sharing?.mode() === 'own' ? this.#sharing.extra() : [];
    if (this.#refused.size > 0) {
      // What no tab asks for any more is forgotten: asked for again later, it is tried again.
      const asked = new Set(extra.map((m) => m.key));
      for (const key of this.#refused) if (!asked.has(key)) this.#refused.delete(key);
    }
    const off = this.#off();
    return wantedOnStream([...this.router.subscriptions()].filter((sub) => !off.has(sub)), extra.filter((m) => !off.has(m.key)), connection.adapter, connection.transport === 'eventsource');
  }

  /** What stays off the stream: other tabs' refused matcher keys, and the parts held back while a refused switch is split. */
  #off(): Set<Subscription | string> {
    return new Set([...this.#refused, ...this.#held.flat()]);
  }

  #savedCursor(): string | undefined {
    return this.options.key === MAIN ? this.#ctx.savedCursor(wantedBy(this.router.subscriptions(), false).key) : undefined;
  }

  /** Tells the subscriptions that the open live stream carries their matchers (once per open); goes on splitting a refused switch. */
  #activate(): void {
    const connection = this.#live?.connection;
    const keys = this.#live?.keys;
    if (connection?.status !== 'open' || keys === undefined) return;
    announce(this.router.subscriptions(), connection, connection.opens, keys);
    // Splitting a refused switch: once the open live stream carries what was tried, the part held back last is tried.
    if (this.#held.length === 0 || this.#next) return;
    this.#held.pop();
    this.#later('switch', 0);
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
    const live = this.#live;
    const old = live?.connection;
    if (live && refusedBeside(connection, old)) {
      // The hub refused the new matcher set: keep the healthy stream instead of breaking everyone's
      // connection, and find what it refuses (the next switches). Beside a live stream the hub did
      // not accept, the refused one becomes live and is split alone (see the change handler).
      this.#discardNext();
      this.#split(connection, live.keys);
      return;
    }
    this.#live = next;
    this.#next = undefined;
    connection.switching = false;
    if (old?.status !== 'open') this.#epoch++; // not a seamless switch: followers hear of a new stream
    if (connection.status === 'open') {
      readmit(this.router.subscriptions(), next.keys);
      for (const key of next.keys) this.#refused.delete(key);
    }
    if (!old) return;
    if (old.status === 'open' && connection.status === 'open') carryLive(this.router.subscriptions(), old, connection, connection.opens, next.keys);
    this.#finishDrain();
    if (connection.status !== 'open' || old.status !== 'open') {
      old.close();
      return;
    }
    this.#draining = new Drain(old, this.#intake.lastKey, this.#intake.seen, this.#ctx.connection.platform, () => this.#finishDrain());
  }

  /**
   * The hub refused the request of `refused` (400) beside the live stream carrying `keys` (none when
   * it accepted no stream yet); its 400 does not say which matcher. What `refused` added is split into
   * parts by the new matcher keys asked for (subscriptions asking for the same ones are one part;
   * another tab's matcher is one). Of two parts or more, the second half is held back, tried once the
   * first is settled: bisection finds what the hub refuses in about 2·log2(n) switches. A part that
   * was the whole addition is refused: its subscriptions hear it and later switches leave it out
   * (other tabs' matchers stay off the stream while they ask for them; they hear of it through
   * describe()), so it cannot make the hub refuse what others add. Each part is tried alone at most
   * once: a hub refusing everything costs at most 2n - 1 requests for n parts. The next switch (within
   * the budget) tries what is left.
   */
  #split(refused: Connection, keys: ReadonlySet<string>): void {
    // A clean-up would switch to what is wanted now: beside a stream refused alone, maybe nothing.
    this.#clearTimer('cleanup');
    this.#later('switch', 0);
    const parts = new Map<string, Array<Subscription | string>>();
    const off = this.#off();
    const id = (wants: readonly CompiledMatcher[]) => wants.map((m) => m.key).filter((key) => !keys.has(key)).sort().join('\n');
    const part = (unit: Subscription | string, wants: readonly CompiledMatcher[]): void => {
      const of = id(wants);
      if (of && !off.has(unit)) parts.set(of, [...(parts.get(of) ?? []), unit]);
    };
    for (const sub of this.router.subscriptions()) if (!sub.refused) part(sub, sub.compiled);
    for (const m of this.#sharing?.extra() ?? []) part(m.key, [m]);
    const list = [...parts.values()];
    if (list.length > 1) {
      this.#held.push(list.slice(list.length >> 1).flat());
      return;
    }
    // A part that was not all the switch added (a subscription removed meanwhile may have been the cause) is tried again.
    const subs: Subscription[] = [];
    const added = id(refused.matchers);
    for (const unit of parts.get(added) ?? []) {
      if (typeof unit === 'string') this.#refused.add(unit);
      else subs.push(unit);
    }
    this.#refuse(keys, new Set(added.split('\n')), refused.error, subs);
  }

  /** Tells the subscriptions (of `subs`) asking for the `refused` matcher keys (those `keys` do not carry) that the hub refused them. */
  #refuse(keys: ReadonlySet<string>, refused: ReadonlySet<string>, cause: SseError | undefined, subs: Iterable<Subscription> = this.router.subscriptions()): boolean {
    const told = refuse(subs, keys, refused, (matchers) => matchersRefused(matchers, cause));
    if (told) this.#ctx.reportError(told.error, told.matchers);
    return told !== undefined;
  }

  #finishDrain(): void {
    const draining = this.#draining;
    this.#draining = undefined;
    draining?.close();
  }

  #owns(connection: Connection): boolean {
    return connection === this.#live?.connection || connection === this.#next?.connection || connection === this.#draining?.connection;
  }

  readonly #handlers: ConnectionHandlers = {
    event: (event, connection) => {
      if (!this.#owns(connection)) return false;
      const fresh = this.#intake.route(connection, event);
      if (fresh) this.#sharing?.relay(event);
      if (event.id !== '') this.#ctx.advanced(this);
      return fresh;
    },
    change: (connection) => {
      if (this.#owns(connection)) {
        this.#promote(connection);
        const live = this.#live;
        if (connection === live?.connection) {
          // Refused with no stream the hub accepted beside it (the first one, a reconnect, a
          // break-before-make switch): split as a refused switch, beside what the hub accepted just before.
          if (refusedAlone(connection)) this.#split(connection, (connection.opens === 0 && live.replaced) || new Set());
          else this.#activate();
        } else if (connection === this.#draining?.connection && connection.status !== 'open') this.#finishDrain();
      }
      this.#ctx.changed();
    },
    open: (connection, cursor) => {
      if (!this.#owns(connection)) return;
      this.#intake.seen.startReplay(cursor);
      if (connection === this.#live?.connection) this.#epoch++;
    },
    error: (error, connection) => {
      // A draining predecessor that breaks has nothing left to give: it is just closed. A refused
      // request (400) is split: the subscriptions refused on their own are told, naming their matchers.
      if (this.#owns(connection) && connection !== this.#draining?.connection && error.code !== 'bad-request') {
        this.#ctx.reportError(error);
        if (error instanceof SseGapError) this.#sharing?.gap(error);
      }
    },
  };
}

/**
 * Whether `next`, a successor, stopped on a 400 beside a `live` stream the hub accepted (open, or
 * reconnecting after a drop): the hub refused the new matcher set, not the stream.
 */
function refusedBeside(next: Connection, live: Connection | undefined): boolean {
  const accepted = live?.status === 'open' || (live?.status === 'reconnecting' && live.opens > 0);
  return next.error?.code === 'bad-request' && next.status !== 'open' && accepted;
}

/**
 * Whether `live`, the live stream, stopped on a 400 with no stream the hub accepted beside it (a 400
 * the protocol adapter took as no reason to change wire format): it carries nothing, and what it
 * asked for is split.
 */
function refusedAlone(live: Connection | undefined): boolean {
  return live?.status === 'error' && live.error?.code === 'bad-request';
}
