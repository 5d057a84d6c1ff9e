import { decodeEnvelope, envelopeTopics, type Envelope } from './envelope.js';
import { SseError, SseParseError, SseUnroutableError } from './errors.js';
import type { CompiledMatcher } from './matcher.js';
import { TopicIndex } from './topicIndex.js';
import type { ForeignEvent, JoinedSubscription } from './protocols/types.js';
import { Emitter, callSafely } from './emitter.js';
import type { RawEvent, SseListener, SseUpdate, SubscribeOptions } from './types.js';

/** The events of one subscription besides its updates: `active` when a stream carrying it opened, and its own errors. */
export interface SubscriptionEvents {
  readonly active: undefined;
  readonly error: SseError;
}

/** One `subscribe()` call. */
export interface Subscription {
  readonly compiled: readonly CompiledMatcher[];
  /** Only updates of this SSE event type. */
  readonly type: string | undefined;
  /** Receives foreign updates (raw `data` strings). */
  readonly raw: boolean;
  /**
   * Needs only events whose topic the wire tells (a presence watch: the hub's subscription events;
   * it ignores its topic's own updates), so an update whose topic cannot be known is no loss to it.
   */
  readonly knownTopicsOnly: boolean;
  /**
   * The update listener (the `subscribe()` listener, behind `parse` when given), called safely
   * (what it throws goes to `listenerError`, delivery goes on). Held directly rather than in
   * {@link Subscription.listeners}: an update reaches it with no lookup.
   */
  readonly listener: SseListener;
  /** Where what `listener` throws is reported. */
  readonly listenerError: (cause: unknown) => void;
  /** The subscription's other listeners (`active`, `error`), behind a safe emit. */
  readonly listeners: Emitter<SubscriptionEvents>;
  /** The stream (and its open count) the subscription was last announced live on. */
  liveOn: object | undefined;
  liveOpens: number;
  /**
   * The hub refused (400) a matcher set that added its matchers alone (a refused set that added those
   * of several subscriptions is split until each is tried alone) while the live stream stayed up: it
   * heard the error, and later switches leave its matchers out until `reconnect()`, new headers,
   * or a stream that carries them anyway.
   */
  refused: boolean;
  /** Message ids of sse-kit updates handed to it alone (a channel's value when it joined): never routed to it again. */
  had?: Set<string>;
  /** In a router: cleared on removal, so a delivery already under way skips it. */
  routed: boolean;
}

/** Where a subscription reports what goes wrong in user code. */
export interface SubscriptionReporter {
  /** A listener threw (delivery goes on). */
  listener(cause: unknown): void;
  /** `parse` refused an update (it was skipped); already told to the subscription's `onError`. */
  parse(error: SseError): void;
}

/** A subscription of `listener` to `compiled`, with the options of `subscribe()`; see {@link Subscription.knownTopicsOnly}. */
export function createSubscription<T>(
  compiled: readonly CompiledMatcher[],
  listener: SseListener<T>,
  options: SubscribeOptions<T>,
  report: SubscriptionReporter,
  knownTopicsOnly = false,
): Subscription {
  const listeners = new Emitter<SubscriptionEvents>({ onListenerError: report.listener });
  const { parse } = options;
  const update: SseListener =
    parse === undefined
      ? (listener as SseListener)
      : (update) => {
          let data: T;
          try {
            data = parse(update.data);
          } catch (cause) {
            const error = new SseParseError(`parse() refused an update of "${update.topic}" (id ${update.id || 'none'}); it was skipped.`, { cause });
            listeners.emit('error', error);
            report.parse(error);
            return;
          }
          listener({ ...update, data });
        };
  if (options.onActive) listeners.on('active', options.onActive);
  if (options.onError) listeners.on('error', options.onError);
  return { compiled, type: options.type, raw: options.raw === true, knownTopicsOnly, listener: update, listenerError: report.listener, listeners, liveOn: undefined, liveOpens: 0, refused: false, routed: false };
}

/** What an adapter's `joined` hook sees of `sub` (see {@link JoinedSubscription}). */
export function joinedSubscription(sub: Subscription): JoinedSubscription {
  return {
    matchers: sub.compiled,
    get active() {
      return sub.routed;
    },
    deliver(topic, event) {
      const envelope = decodeEnvelope(event.data);
      if (!offer(sub, topic, topic, event, envelope === undefined ? 'foreign' : 'envelope', envelope, undefined)) return false;
      // Neither this nor the router gives it to `sub` again.
      if (envelope !== undefined) (sub.had ??= new Set()).add(envelope.id);
      return true;
    },
  };
}

/**
 * How an update reached the router: an sse-kit `envelope` (any subscription may take it), a
 * `subscription` event of the hub (its JSON, any subscription), or a `foreign` update (raw
 * subscriptions only).
 */
export type UpdateKind = 'envelope' | 'subscription' | 'foreign';

/** How a router routes. */
export interface RouterOptions {
  /** The routing mode: a dedicated stream carries one matcher set, so an update without a topic is for all of it. */
  readonly dedicated: boolean;
  /** The driver's `topicOf` option, for foreign updates whose topic the wire does not tell. */
  readonly topicOf: ((event: RawEvent) => string | undefined) | undefined;
  /** Reports an update that cannot be delivered (`unroutable`). */
  reportError(error: SseError): void;
}

/** The stream an update came from: what it carries. */
export interface Carrier {
  readonly matchers: readonly CompiledMatcher[];
  /** The matcher sources joined by a space: the topic of raw updates on a dedicated stream. */
  readonly source: string;
}

/**
 * The subscriptions of one stream and the one accept check that routes an update to them:
 * matcher × event type × raw × routing mode. Exact topics are indexed, so routing an update costs
 * the same with 1 or 1,000 exact subscriptions; subscriptions with a pattern (or `*`) are tested.
 * Routing never guesses: an update whose topic cannot be known is reported `unroutable`, once per topic.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #unroutable = new Set<string>();
  /** Every subscription, in the order they were added. */
  readonly #members = new Set<Subscription>();
  /**
   * `#members` as a list, made at the first read after a change (subscribing 1,000 topics copies
   * nothing 1,000 times). This list and `#scan` are replaced, never changed in place, like the lists
   * of `#exact`: a subscription made by a listener does not receive the update being delivered (and
   * one removed meanwhile is skipped by its `routed` flag).
   */
  #list: readonly Subscription[] | undefined = [];
  /**
   * Subscriptions with only exact matchers, by topic: the subscription itself when it is the only
   * one (the common case, and one memory read less per update), else a list. Lists are replaced,
   * never changed in place, so a delivery iterates the list it started with.
   */
  readonly #exact = new TopicIndex<Subscription | readonly Subscription[]>();
  /** Subscriptions with a pattern or `*`: tested one by one. */
  #scan: readonly Subscription[] = [];
  /**
   * What each update to several topics under way (more than one when a listener publishes
   * synchronously) delivered to: a subscription added meanwhile joins them, so the index lookups of
   * their later topics skip it.
   */
  readonly #underWay: Set<Subscription>[] = [];
  /** How many subscriptions are not {@link Subscription.knownTopicsOnly}. */
  #topicTakers = 0;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /** Number of subscriptions. */
  get size(): number {
    return this.#members.size;
  }

  get #all(): readonly Subscription[] {
    return (this.#list ??= [...this.#members]);
  }

  /** The subscriptions, in the order they were added. */
  subscriptions(): IterableIterator<Subscription> {
    return this.#all.values();
  }

  add(sub: Subscription): void {
    if (this.#members.has(sub)) return;
    this.#members.add(sub);
    this.#list = undefined;
    sub.routed = true;
    for (const done of this.#underWay) done.add(sub);
    if (!sub.knownTopicsOnly) this.#topicTakers++;
    if (!isIndexable(sub)) {
      this.#scan = [...this.#scan, sub];
      return;
    }
    for (const m of sub.compiled) {
      const held = this.#exact.peek(m.source);
      if (held === undefined) this.#exact.set(m.source, sub);
      else if (held !== sub && !(Array.isArray(held) && held.includes(sub))) this.#exact.set(m.source, [...listOf(held), sub]);
    }
  }

  delete(sub: Subscription): void {
    if (!this.#members.delete(sub)) return;
    this.#list = undefined;
    sub.routed = false;
    if (!sub.knownTopicsOnly) this.#topicTakers--;
    if (!isIndexable(sub)) {
      this.#scan = this.#scan.filter((s) => s !== sub);
      return;
    }
    for (const m of sub.compiled) {
      const held = this.#exact.peek(m.source);
      if (held === undefined) continue;
      const list = listOf(held).filter((s) => s !== sub);
      if (list.length === 0) this.#exact.delete(m.source);
      else this.#exact.set(m.source, list.length === 1 ? (list[0] as Subscription) : list);
    }
  }

  /**
   * Delivers an update to every subscription that accepts it, with the first of `topics` it selects
   * (a single topic may be passed as is). `topics` undefined is the routing mode of a dedicated
   * stream whose updates carry no topic: every subscription asked for exactly this stream, and the
   * update's topic is `fallbackTopic`. No closure or array is made per update.
   * @returns whether any subscription accepted it.
   */
  #route(topics: string | readonly string[] | undefined, event: RawEvent, kind: UpdateKind, envelope: Envelope | undefined, fallbackTopic: string): boolean {
    let delivered = false;
    if (topics === undefined) {
      for (const sub of this.#all) {
        if (!sub.routed || !accepts(sub, undefined, event.type, kind)) continue;
        delivered = true;
        deliver(sub, fallbackTopic, event, envelope);
      }
      return delivered;
    }
    if (typeof topics === 'string') return this.#routeTopic(topics, event, kind, envelope, undefined);
    // (Nothing in the loop throws: listeners are called safely.)
    const done = new Set<Subscription>();
    this.#underWay.push(done);
    for (const topic of topics) if (this.#routeTopic(topic, event, kind, envelope, done)) delivered = true;
    this.#underWay.pop();
    return delivered;
  }

  /**
   * Routes to the subscriptions selecting `topic`: an index lookup, then the pattern subscriptions
   * (as the update found them: one that a listener adds meanwhile does not get it).
   */
  #routeTopic(topic: string, event: RawEvent, kind: UpdateKind, envelope: Envelope | undefined, done: Set<Subscription> | undefined): boolean {
    const scan = this.#scan;
    let delivered = false;
    const exact = this.#exact.get(topic);
    if (exact !== undefined && !Array.isArray(exact)) {
      delivered = offer(exact as Subscription, undefined, topic, event, kind, envelope, done);
    } else if (exact !== undefined) {
      const list = exact as readonly Subscription[];
      for (let i = 0; i < list.length; i++) if (offer(list[i] as Subscription, undefined, topic, event, kind, envelope, done)) delivered = true;
    }
    if (scan.length === 0) return delivered;
    for (const sub of scan) if (offer(sub, topic, topic, event, kind, envelope, done)) delivered = true;
    return delivered;
  }

  /** Delivers an sse-kit update (its envelope tells its topics). */
  deliverEnvelope(event: RawEvent, envelope: Envelope, carrier: Carrier): void {
    const topics = envelope.topics;
    const delivered = this.#route(topics === undefined || topics.length === 0 ? envelope.topic : topics, event, 'envelope', envelope, envelope.topic);
    if (!delivered && this.#options.dedicated && !envelopeTopics(envelope).some((t) => carrier.matchers.some((m) => m.test(t)))) {
      this.#report(envelope.topic, 'An sse-kit update arrived for a topic none of the matchers select.');
    }
  }

  /** Delivers an update that was not published through sse-kit. */
  deliverForeign(event: RawEvent, foreign: ForeignEvent, carrier: Carrier): void {
    const subscription = foreign.kind === 'subscription';
    // The user's `topicOf` wins over what the adapter reads off the wire.
    let topic = foreign.topic;
    if (!subscription && this.#options.topicOf) {
      try {
        topic = this.#options.topicOf(event) ?? foreign.topic;
      } catch (cause) {
        // User code: what it throws costs this update (reported), never the stream.
        this.#options.reportError(
          new SseError('listener', 'topicOf threw; the update was skipped.', { cause, hint: 'Return undefined from topicOf for an update whose topic it cannot tell.' }),
        );
        return;
      }
    }
    if (topic === undefined && this.#options.dedicated) {
      const source = carrier.source;
      for (const sub of this.#all) {
        if (!sub.raw && (sub.type === undefined || sub.type === event.type)) {
          this.#report(source, 'An update that was not published through sse-kit reached a subscription that expects sse-kit updates.', sub);
        }
      }
      this.#route(undefined, event, 'foreign', undefined, source);
      return;
    }
    if (topic === undefined) {
      // Not a loss when every subscription needs only events whose topic the wire tells (presence).
      if (this.#topicTakers > 0) this.#report(carrier.source, 'An update that was not published through sse-kit arrived on the shared connection and its topic cannot be known.');
      return;
    }
    const delivered = this.#route(topic, event, subscription ? 'subscription' : 'foreign', undefined, topic);
    if (delivered) return;
    // A topic only a stale matcher (of a removed subscription) selects is dropped quietly, and so is
    // what a server sends unasked (a plain endpoint's every event, presence) when nobody selects it.
    const selected = this.#selects(topic);
    const stale = !selected && carrier.matchers.some((m) => m.test(topic));
    if (stale || (foreign.unsolicited === true && !selected)) return;
    this.#report(topic, `An update for "${topic}" was not published through sse-kit and no raw subscription selects it.`);
  }

  /** Whether any subscription's matchers select `topic` (whatever its type and raw options). */
  #selects(topic: string): boolean {
    if (this.#exact.get(topic) !== undefined) return true;
    for (const sub of this.#scan) if (sub.compiled.some((m) => m.test(topic))) return true;
    return false;
  }

  /** Reports an undeliverable update once per topic. */
  #report(topic: string, message: string, only?: Subscription): void {
    if (this.#unroutable.has(topic)) return;
    if (this.#unroutable.size > 1000) this.#unroutable.clear();
    this.#unroutable.add(topic);
    const error = new SseUnroutableError(topic, message, {
      hint: 'Subscribe with { raw: true } to receive updates from other publishers, or give the driver a topicOf option.',
    });
    for (const sub of only ? [only] : this.#all) if (sub.routed) sub.listeners.emit('error', error);
    this.#options.reportError(error);
  }
}

/**
 * Delivers to `sub` if it accepts the update (`test`: the topic its matchers must select, undefined
 * when an index hit already tells) and `done` does not hold it yet (an update to several topics
 * reaches a subscription once). Removed subscriptions (`routed` cleared) are skipped.
 */
function offer(sub: Subscription, test: string | undefined, topic: string, event: RawEvent, kind: UpdateKind, envelope: Envelope | undefined, done: Set<Subscription> | undefined): boolean {
  if (!sub.routed || done?.has(sub) === true || sub.had?.has(envelope?.id ?? '') === true || !accepts(sub, test, event.type, kind)) return false;
  done?.add(sub);
  deliver(sub, topic, event, envelope);
  return true;
}

/**
 * Emits the update to `sub`: an envelope's payload (its wire data for raw subscriptions), or the
 * data of a foreign update (parsed JSON for subscriptions that are not raw).
 */
export function deliver(sub: Subscription, topic: string, event: RawEvent, envelope: Envelope | undefined): void {
  const update: SseUpdate =
    envelope === undefined
      ? { topic, data: sub.raw ? event.data : parseJson(event.data), id: event.id, type: event.type, sender: undefined }
      : { topic, data: sub.raw ? event.data : envelope.payload, id: event.id || envelope.id, type: event.type, sender: envelope.sender };
  callSafely(sub.listener, update, sub.listenerError);
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/**
 * THE accept check. `topic` undefined means the topic is already known to match (an index hit, or a
 * dedicated stream).
 */
export function accepts(sub: Subscription, topic: string | undefined, eventType: string, kind: UpdateKind): boolean {
  if (sub.type !== undefined && sub.type !== eventType) return false;
  if (kind === 'foreign' && !sub.raw) return false;
  return topic === undefined || sub.compiled.some((m) => m.test(topic));
}

/** The subscriptions an index entry holds. */
function listOf(held: Subscription | readonly Subscription[]): readonly Subscription[] {
  return Array.isArray(held) ? (held as readonly Subscription[]) : [held as Subscription];
}

function isIndexable(sub: Subscription): boolean {
  return sub.compiled.every((m) => m.kind === 'exact' && m.source !== '*');
}
