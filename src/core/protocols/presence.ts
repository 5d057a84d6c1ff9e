import { driverLink } from '../driverLink.js';
import { Emitter } from '../emitter.js';
import { SseError, errorFromResponse } from '../errors.js';
import type { SseDriver } from '../SseDriver.js';
import type { SseUpdate, TopicMatcher } from '../types.js';
import type { AdapterRequest } from './types.js';

/** One client present on a topic. */
export interface PresenceMember {
  /** The server's id of the client (Mercure: the subscriber; channel server: the client id). */
  readonly id: string;
  /** What the server attaches to it (Mercure: the token's `payload` for the subscription), if anything. */
  readonly payload: unknown;
}

/** What {@link PresenceWatch.getSnapshot} returns. A new object whenever something changes. */
export interface PresenceSnapshot {
  /** The clients present, in arrival order. */
  readonly members: readonly PresenceMember[];
  /** Whether the first list (or presence event) arrived. */
  readonly ready: boolean;
  /** Why presence cannot be known (`unsupported` server, failed list request, …), if so. */
  readonly error: SseError | undefined;
}

/**
 * How a server tells presence: what to subscribe to, an optional request for the current members,
 * and how one update changes them.
 */
export interface PresenceSupport {
  /** Matchers that make the client present on `topic` and bring the presence events. */
  matchers(topic: string, hubUrl: string): readonly TopicMatcher[];
  /** The request listing the members now, if the server has one. */
  listRequest?(topic: string, hubUrl: string): AdapterRequest;
  /** Members from the list answer (parsed JSON). */
  readList?(topic: string, body: unknown): PresenceMember[];
  /** Applies one update (its data parsed as JSON) to the members; returns whether it was a presence event for `topic`. */
  apply(topic: string, members: Map<string, PresenceMember>, update: SseUpdate): boolean;
}

/** What a {@link PresenceWatch} needs from its driver. */
export interface PresenceContext {
  readonly hubUrl: string;
  readonly support: PresenceSupport | undefined;
  /** The adapter name, for the `unsupported` error. */
  readonly adapterName: string;
  /** Subscribes raw (on the shared stream when the server's presence events tell their topic); `onActive` runs each time the stream carrying the matchers (re)opens. */
  subscribe(matchers: readonly TopicMatcher[], listener: (update: SseUpdate) => void, onActive: () => void): () => void;
  /** Sends a request with the driver's fetch and headers. */
  request(request: AdapterRequest): Promise<Response>;
}

/**
 * Watches who is present on `topic` (and makes the driver's client present there while watched):
 * Mercure subscription events and the subscriptions API, or the adapter's own presence (a channel
 * server's `online-presence` stream). The watch starts with its first listener and stops with its
 * last; on a server that cannot tell presence its snapshot carries an `unsupported` error.
 *
 * ```ts
 * const watch = watchPresence(driver, 'https://example.com/rooms/1');
 * const off = watch.subscribe(() => console.log(watch.getSnapshot().members));
 * ```
 * @throws {SseError} `misuse` for an empty topic or a `driver` that is no {@link SseDriver}.
 */
export function watchPresence(driver: SseDriver, topic: string): PresenceWatch {
  if (typeof topic !== 'string' || topic === '') throw new SseError('misuse', 'watchPresence() needs a non-empty topic.');
  const link = driverLink(driver);
  if (!link) throw new SseError('misuse', 'watchPresence() needs an SseDriver.');
  const adapter = link.adapter;
  // Presence rides the shared stream when its events tell their topic: hub subscription events name
  // it in their JSON, and every event of a wire that tells topics names it (a channel server). Any
  // other server's presence events keep a stream of their own: on a stream that carries other
  // matchers too, which topic they are about could not be known.
  const shared = adapter.capabilities.subscriptionEvents || adapter.capabilities.topics === true;
  return new PresenceWatcher(topic, {
    hubUrl: driver.url,
    // Servers with Mercure subscription events tell presence the Mercure way unless their adapter says otherwise.
    support: adapter.presence ?? (adapter.capabilities.subscriptionEvents ? mercurePresence : undefined),
    adapterName: adapter.name,
    // A destroyed driver (its provider was hidden, and is about to hand out a new one) watches nothing.
    subscribe: (matchers, listener, onActive) => {
      if (driver.destroyed) return () => {};
      return shared ? link.subscribeShared(matchers, listener, { raw: true, onActive }) : driver.subscribe(matchers, listener, { raw: true, onActive });
    },
    request: link.request,
  });
}

const EMPTY: PresenceSnapshot = Object.freeze({ members: [], ready: false, error: undefined });

/**
 * The clients present on one topic, kept current while anyone listens (the subscription starts with
 * the first listener and stops with the last). Read with `subscribe` / `getSnapshot`.
 */
export interface PresenceWatch {
  /** The topic watched. */
  readonly topic: string;
  /** Calls `listener` whenever the snapshot changes; the first listener starts watching, the last stops it. */
  readonly subscribe: (listener: () => void) => () => void;
  /** The current members. */
  readonly getSnapshot: () => PresenceSnapshot;
}

/** A {@link PresenceWatch} over what its driver gives it. */
class PresenceWatcher implements PresenceWatch {
  readonly topic: string;
  readonly #ctx: PresenceContext;
  readonly #emitter: Emitter;
  #snapshot: PresenceSnapshot = EMPTY;
  #members = new Map<string, PresenceMember>();
  #stop: (() => void) | undefined;
  #generation = 0;

  constructor(topic: string, ctx: PresenceContext) {
    this.topic = topic;
    this.#ctx = ctx;
    this.#emitter = new Emitter({ onFirst: () => this.#start(), onLast: () => this.#end() });
  }

  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  readonly getSnapshot = (): PresenceSnapshot => this.#snapshot;

  #start(): void {
    const support = this.#ctx.support;
    const generation = ++this.#generation;
    if (support === undefined) {
      this.#set(
        false,
        new SseError('unsupported', `The ${this.#ctx.adapterName} server does not tell presence.`, {
          hint: 'Presence works with Mercure hubs (subscription events) and channel servers (online-presence).',
        }),
      );
      return;
    }
    // Presence events that arrive while the list is being read are applied on top of it.
    let early: SseUpdate[] | undefined;
    const onUpdate = (raw: SseUpdate) => {
      // Presence events are JSON the server wrote. The subscription is raw: the topic's own updates
      // reach it as their wire data, so an sse-kit payload shaped like a presence event is never taken for one.
      const update = { ...raw, data: parseJson(raw.data) };
      if (early) early.push(update);
      else if (support.apply(this.topic, this.#members, update)) this.#set(true, undefined);
    };
    // Read the list each time the stream (re)opens: what happened while it was down is then known.
    const onActive = () => {
      if (support.listRequest === undefined || support.readList === undefined || generation !== this.#generation) return;
      const readList = support.readList;
      const buffered: SseUpdate[] = [];
      early = buffered;
      const settle = (list: PresenceMember[] | undefined, error: SseError | undefined) => {
        if (generation !== this.#generation || early !== buffered) return;
        early = undefined;
        if (list) this.#members = new Map(list.map((m) => [m.id, m]));
        for (const update of buffered) support.apply(this.topic, this.#members, update);
        this.#set(list !== undefined || this.#members.size > 0, error);
      };
      this.#ctx
        .request(support.listRequest(this.topic, this.#ctx.hubUrl))
        .then(async (response) => {
          if (!response.ok) throw errorFromResponse(response, 'Listing the subscriptions');
          return readList(this.topic, await response.json());
        })
        .then(
          (list) => settle(list, undefined),
          (cause: unknown) =>
            settle(undefined, cause instanceof SseError ? cause : new SseError('protocol', 'The subscriptions list could not be read.', { cause, hint: 'Enable the subscriptions API on the hub.' })),
        );
    };
    this.#stop = this.#ctx.subscribe(support.matchers(this.topic, this.#ctx.hubUrl), onUpdate, onActive);
  }

  #end(): void {
    this.#generation++;
    this.#stop?.();
    this.#stop = undefined;
    this.#members = new Map();
    this.#snapshot = EMPTY;
  }

  #set(ready: boolean, error: SseError | undefined): void {
    this.#snapshot = Object.freeze({ members: Object.freeze([...this.#members.values()]), ready, error });
    this.#emitter.notify();
  }
}

/** A Mercure subscription document, as subscription events and the subscriptions API carry it. */
interface SubscriptionDocument {
  readonly type?: unknown;
  readonly topic?: unknown;
  readonly match?: unknown;
  readonly subscriber?: unknown;
  readonly active?: unknown;
  readonly payload?: unknown;
}

function documentTopic(doc: SubscriptionDocument): unknown {
  return doc.match ?? doc.topic;
}

/**
 * Presence on Mercure hubs: subscription events (every subscription of the hub's subscriptions
 * topics, filtered by topic here) and the subscriptions API for the members already there. Both
 * wire formats: documents name the topic as `match` (1.0) or `topic` (legacy).
 */
const mercurePresence: PresenceSupport = {
  matchers: (topic, hubUrl) => [topic, { pattern: `${new URL(hubUrl).pathname}/subscriptions/*` }],
  listRequest: (_topic, hubUrl) => ({ url: `${hubUrl.replace(/\/$/, '')}/subscriptions`, method: 'GET', headers: { Accept: 'application/ld+json' }, body: undefined }),
  readList: (topic, body) => {
    const list = (body as { subscriptions?: unknown } | null)?.subscriptions;
    if (!Array.isArray(list)) return [];
    return (list as SubscriptionDocument[]).filter((d) => documentTopic(d) === topic && d.active !== false && typeof d.subscriber === 'string').map(member);
  },
  apply: (topic, members, update) => {
    const doc = update.data as SubscriptionDocument | null;
    if (typeof doc !== 'object' || doc === null || doc.type !== 'Subscription' || documentTopic(doc) !== topic || typeof doc.subscriber !== 'string') return false;
    if (doc.active === false) members.delete(doc.subscriber);
    else members.set(doc.subscriber, member(doc));
    return true;
  },
};

function member(doc: SubscriptionDocument): PresenceMember {
  return { id: String(doc.subscriber), payload: doc.payload };
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
