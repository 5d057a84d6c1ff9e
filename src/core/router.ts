import { envelopeTopics, type Envelope } from './envelope.js';
import { SseParseError, SseUnroutableError, type SseError } from './errors.js';
import type { CompiledMatcher } from './matcher.js';
import type { ForeignEvent } from './protocols/types.js';
import { Emitter } from './emitter.js';
import type { RawEvent, SseListener, SseUpdate, SubscribeOptions } from './types.js';

/** The events of one subscription: its updates, `active` when a stream carrying it opened, and its own errors. */
export interface SubscriptionEvents {
  readonly update: SseUpdate;
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
  /** The subscription's listeners (`update`, `active`, `error`), behind a safe emit. */
  readonly listeners: Emitter<SubscriptionEvents>;
  /** The stream (and its open count) the subscription was last announced live on. */
  liveOn: object | undefined;
  liveOpens: number;
}

/** Where a subscription reports what goes wrong in user code. */
export interface SubscriptionReporter {
  /** A listener threw (delivery goes on). */
  listener(cause: unknown): void;
  /** `parse` refused an update (it was skipped); already told to the subscription's `onError`. */
  parse(error: SseError): void;
}

/** A subscription of `listener` to `compiled`, with the options of `subscribe()`. */
export function createSubscription<T>(compiled: readonly CompiledMatcher[], listener: SseListener<T>, options: SubscribeOptions<T>, report: SubscriptionReporter): Subscription {
  const listeners = new Emitter<SubscriptionEvents>({ onListenerError: report.listener });
  const { parse } = options;
  listeners.on(
    'update',
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
        },
  );
  if (options.onActive) listeners.on('active', options.onActive);
  if (options.onError) listeners.on('error', options.onError);
  return { compiled, type: options.type, raw: options.raw === true, listeners, liveOn: undefined, liveOpens: 0 };
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
  readonly #all = new Set<Subscription>();
  /** Subscriptions with only exact matchers, by topic. */
  readonly #exact = new Map<string, Set<Subscription>>();
  /** Subscriptions with a pattern or `*`: tested one by one. */
  readonly #scan = new Set<Subscription>();

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /** Number of subscriptions. */
  get size(): number {
    return this.#all.size;
  }

  /** The subscriptions, in the order they were added. */
  subscriptions(): IterableIterator<Subscription> {
    return this.#all.values();
  }

  add(sub: Subscription): void {
    this.#all.add(sub);
    if (!isIndexable(sub)) {
      this.#scan.add(sub);
      return;
    }
    for (const m of sub.compiled) {
      let set = this.#exact.get(m.source);
      if (!set) this.#exact.set(m.source, (set = new Set()));
      set.add(sub);
    }
  }

  delete(sub: Subscription): void {
    if (!this.#all.delete(sub)) return;
    if (this.#scan.delete(sub)) return;
    for (const m of sub.compiled) {
      const set = this.#exact.get(m.source);
      set?.delete(sub);
      if (set?.size === 0) this.#exact.delete(m.source);
    }
  }

  /**
   * Calls `deliver` for every subscription that accepts the update, with the first of `topics` it
   * selects. `topics` undefined is the routing mode of a dedicated stream whose updates carry no
   * topic: every subscription asked for exactly this stream.
   * @returns whether any subscription accepted it.
   */
  route(topics: readonly string[] | undefined, eventType: string, kind: UpdateKind, deliver: (sub: Subscription, topic: string | undefined) => void): boolean {
    let delivered = false;
    if (topics === undefined) {
      for (const sub of this.#all) {
        if (accepts(sub, undefined, eventType, kind)) {
          delivered = true;
          deliver(sub, undefined);
        }
      }
      return delivered;
    }
    const done = topics.length > 1 ? new Set<Subscription>() : undefined;
    for (const topic of topics) {
      const exact = this.#exact.get(topic);
      if (exact) {
        for (const sub of exact) {
          if (done?.has(sub) || !accepts(sub, undefined, eventType, kind)) continue;
          done?.add(sub);
          delivered = true;
          deliver(sub, topic);
        }
      }
      for (const sub of this.#scan) {
        if (done?.has(sub) || !accepts(sub, topic, eventType, kind)) continue;
        done?.add(sub);
        delivered = true;
        deliver(sub, topic);
      }
    }
    return delivered;
  }

  /** Delivers an sse-kit update (its envelope tells its topics). */
  deliverEnvelope(event: RawEvent, envelope: Envelope, carrier: Carrier): void {
    const topics = envelopeTopics(envelope);
    const id = event.id || envelope.id;
    const delivered = this.route(topics, event.type, 'envelope', (sub, topic) =>
      deliver(sub, { topic: topic ?? envelope.topic, data: sub.raw ? event.data : envelope.payload, id, type: event.type, sender: envelope.sender }),
    );
    if (!delivered && this.#options.dedicated && !topics.some((t) => carrier.matchers.some((m) => m.test(t)))) {
      this.#report(envelope.topic, 'An sse-kit update arrived for a topic none of the matchers select.');
    }
  }

  /** Delivers an update that was not published through sse-kit. */
  deliverForeign(event: RawEvent, foreign: ForeignEvent, carrier: Carrier): void {
    const subscription = foreign.kind === 'subscription';
    // The user's `topicOf` wins over what the adapter reads off the wire.
    const topic = subscription ? foreign.topic : (this.#options.topicOf?.(event) ?? foreign.topic);
    if (topic === undefined && this.#options.dedicated) {
      const source = carrier.source;
      for (const sub of this.#all) {
        if (!sub.raw && (sub.type === undefined || sub.type === event.type)) {
          this.#report(source, 'An update that was not published through sse-kit reached a subscription that expects sse-kit updates.', sub);
        }
      }
      this.route(undefined, event.type, 'foreign', (sub) => deliver(sub, { topic: source, data: event.data, id: event.id, type: event.type, sender: undefined }));
      return;
    }
    if (topic === undefined) {
      this.#report(carrier.source, 'An update that was not published through sse-kit arrived on the shared connection and its topic cannot be known.');
      return;
    }
    const delivered = this.route([topic], event.type, subscription ? 'subscription' : 'foreign', (sub) =>
      deliver(sub, { topic, data: sub.raw ? event.data : parseJson(event.data), id: event.id, type: event.type, sender: undefined }),
    );
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
    if (this.#exact.has(topic)) return true;
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
    for (const sub of only ? [only] : this.#all) sub.listeners.emit('error', error);
    this.#options.reportError(error);
  }
}

function deliver(sub: Subscription, update: SseUpdate): void {
  sub.listeners.emit('update', update);
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

function isIndexable(sub: Subscription): boolean {
  return sub.compiled.every((m) => m.kind === 'exact' && m.source !== '*');
}
