import { decodeEnvelope, envelopeTopics } from '../envelope.js';
import { SseError, SseProtocolError } from '../errors.js';
import type { CompiledMatcher } from '../matcher.js';
import type { ConnectionStatus, RawEvent } from '../types.js';
import type { PresenceSupport } from './presence.js';
import type { AdapterRequest, ForeignEvent, JoinedSubscription, ProtocolAdapter, ProtocolCapabilities, PublishInput, SubscribeInput } from './types.js';

/** Options of {@link channels}. */
export interface ChannelsOptions {
  /** Path of the subscribe endpoint, relative to the server URL (default `/subscribe/`). */
  readonly subscribePath?: string | undefined;
  /** Path of the publish endpoint, relative to the server URL (default `/publish`). */
  readonly publishPath?: string | undefined;
}

/**
 * The topic of the channel server's `online-presence` events (the ids of every connected client).
 * Subscribing to it never adds a channel to the request.
 */
export const CHANNEL_PRESENCE_TOPIC = 'urn:sse-kit:online-presence';

const CAPABILITIES: ProtocolCapabilities = { ids: false, history: false, heartbeats: false, publish: true, subscriptionEvents: false, topics: true };
const NAME = 'channels';
const EXPECTED = 'JSON {"channelName", "type", "payload"} in every event';

/**
 * The adapter for channel pub/sub servers (`server: channels`): the matchers are the channel list
 * of `GET /subscribe/?channels=a,b&clientId=…`; an event's topic is its `channelName`, its type the
 * `type` field, its data the `payload` string; each channel's `lastEvent` is delivered once as the
 * channel's current value (again when it changed, or when the channel comes back on the wire after it
 * left: an sse-kit update then reaches the subscriptions new to it even when the driver delivered it
 * before), and a subscription joining a stream that already carries its channel gets that value alone
 * (a presence watch joining it, the last `online-presence`); publishing posts the JSON batch
 * `{events: [{channelName, type, payload}]}` to `/publish`, several queued publishes in one request.
 * The server keeps no ids and no history: a matcher change switches break-before-make, and every
 * reconnect reports a possible loss.
 */
export function channels(options: ChannelsOptions = {}): ProtocolAdapter {
  return new ChannelsAdapter(options);
}

class ChannelsAdapter implements ProtocolAdapter {
  readonly name = NAME;
  readonly variant = undefined;
  readonly capabilities = CAPABILITIES;
  readonly settings: ChannelsOptions;
  readonly presence = channelPresence;
  readonly #subscribePath: string;
  readonly #publishPath: string;

  constructor(options: ChannelsOptions) {
    this.settings = options;
    this.#subscribePath = options.subscribePath ?? '/subscribe/';
    this.#publishPath = options.publishPath ?? '/publish';
  }

  subscribeRequest(input: SubscribeInput): AdapterRequest {
    const list = channelList(input.matchers);
    const url = new URL(this.#subscribePath, input.hubUrl);
    url.searchParams.set('channels', list.join(','));
    if (input.clientId !== undefined) url.searchParams.set('clientId', input.clientId);
    // Only a safelisted header: a cross-origin request stays simple (no preflight).
    return { url: url.toString(), method: 'GET', headers: { Accept: 'text/event-stream' }, body: undefined };
  }

  eventTypes(): readonly string[] {
    // The native EventSource delivers only the names it listens for (plus each subscription's `type`).
    return ['lastEvent', 'online-presence'];
  }

  streamKey(matchers: readonly CompiledMatcher[]): string {
    return channelList(matchers).sort().join(',');
  }

  fallback(): undefined {
    return undefined;
  }

  accepted(): void {}

  openCursor(): undefined {
    return undefined;
  }

  /**
   * `seen` holds, per channel, `type \n payload` of the last event the stream carried (a `lastEvent`
   * equal to it is not news), and under {@link CHANNEL_PRESENCE_TOPIC} the last `online-presence`.
   */
  readEvent(event: RawEvent, seen?: Map<string, string>): ForeignEvent {
    // Values handed to subscriptions that joined come before any later event.
    if (handovers.length > 0) handOver();
    const message = parseMessage(event);
    if (message.type === 'registered') return SKIP;
    if (message.type === 'online-presence') {
      // Kept like a channel's value: a presence watch joining the stream gets the members from it.
      seen?.set(CHANNEL_PRESENCE_TOPIC, `online-presence\n${message.payload}`);
      return { kind: 'subscription', topic: CHANNEL_PRESENCE_TOPIC, id: '', unsolicited: true, event: { id: '', type: 'online-presence', data: message.payload } };
    }
    const channel = message.channelName;
    if (channel === undefined) throw wrongShape(`a "${message.type}" event without a channelName`);
    if (message.type === 'lastEvent') {
      const last = lastValue(message.payload);
      if (last === undefined) return SKIP;
      const value = `${last.type}\n${last.payload}`;
      const known = seen?.get(channel);
      if (known === value) return SKIP;
      seen?.set(channel, value);
      const event: RawEvent = { id: '', type: last.type, data: last.payload };
      // A channel new on this stream (back on the wire after it left): its value is for subscriptions
      // that have not had it, even when the driver saw its sse-kit message before.
      const envelope = seen && known === undefined ? decodeEnvelope(event.data) : undefined;
      // (A subscription handed it when it joined is left out: see handTo.)
      if (envelope === undefined || seen?.has(`\n${envelope.id}`) !== false) return { kind: 'update', topic: channel, id: '', event };
      // Once per stream (another channel new on it repeats it); and only to the topics new on it:
      // subscriptions to a channel the stream kept had the value already. Routed by those topics,
      // while raw subscriptions get the data as the server sent it.
      seen.set(`\n${envelope.id}`, '');
      const topics = envelopeTopics(envelope).filter((t) => t === channel || !seen.has(t));
      if (topics.length === 0) return SKIP;
      return { kind: 'update', topic: channel, id: '', again: true, envelope: { ...envelope, topic: topics[0] ?? channel, topics }, event };
    }
    seen?.set(channel, `${message.type}\n${message.payload}`);
    return { kind: 'update', topic: channel, id: '', event: { id: '', type: message.type, data: message.payload } };
  }

  /**
   * A subscription joined a stream that already carries some of its channels: no `lastEvent` comes
   * for them, so it alone gets the value the stream last carried on each (once, after the current
   * task, or before the next event read, whichever comes first).
   */
  joined(sub: JoinedSubscription, stream: { readonly seen: Map<string, string>; readonly status: ConnectionStatus } | undefined): void {
    if (stream === undefined) return;
    const values: Array<[string, string]> = [];
    for (const m of sub.matchers) {
      const value = stream.seen.get(m.source);
      if (value !== undefined) values.push([m.source, value]);
    }
    if (values.length === 0) return;
    // Not for a subscription that left meanwhile, nor after the driver closed its streams.
    if (handovers.push(() => sub.active && stream.status !== 'closed' && handTo(sub, values)) === 1) queueMicrotask(handOver);
  }

  publishRequest(hubUrl: string, update: PublishInput): AdapterRequest {
    return this.publishBatchRequest(hubUrl, [update]);
  }

  publishBatchRequest(hubUrl: string, updates: readonly PublishInput[]): AdapterRequest {
    const events = updates.flatMap((update) => {
      if (update.data === '') throw new SseError('misuse', 'A channel server refuses an empty payload.', { hint: 'Publish a non-empty string.' });
      const type = update.type ?? 'message';
      // The server refuses to fire its own event types (and a reader would take them for control events).
      if (RESERVED_TYPES.includes(type)) throw new SseError('misuse', `A channel server refuses to fire events of type "${type}".`, { hint: `Use another type than ${RESERVED_TYPES.join(', ')}.` });
      return update.topics.map((channelName) => ({ channelName, type, payload: update.data }));
    });
    return {
      url: new URL(this.#publishPath, hubUrl).toString(),
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    };
  }

  publishedId(_body: string, update: PublishInput): string {
    return update.id;
  }
}

/** Values waiting to be handed to subscriptions that joined a stream carrying their channel (see `joined`). */
let handovers: Array<() => void> = [];

function handOver(): void {
  const due = handovers;
  handovers = [];
  for (const handover of due) handover();
}

/**
 * Delivers the remembered values (`[channel, type \n payload]`) to `sub` alone, as the stream's
 * `lastEvent` would have (an sse-kit update once, when several channels carry the same one).
 */
function handTo(sub: JoinedSubscription, values: ReadonlyArray<readonly [string, string]>): void {
  for (const [channel, value] of values) {
    const at = value.indexOf('\n');
    sub.deliver(channel, { id: '', type: value.slice(0, at), data: value.slice(at + 1) });
  }
}

/** The event types of the server itself. */
const RESERVED_TYPES = ['registered', 'lastEvent', 'online-presence'];

const SKIP: ForeignEvent = { kind: 'skip', topic: undefined, id: '' };

function wrongShape(got: string): SseProtocolError {
  return new SseProtocolError(`The channels adapter expected ${EXPECTED}, got ${got}.`, {
    hint: "Check that the url points at a channel server, or pick the adapter of your server's shape (server option).",
  });
}

function parseMessage(event: RawEvent): { channelName: string | undefined; type: string; payload: string } {
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch {
    throw wrongShape(`${JSON.stringify(event.data.slice(0, 60))}`);
  }
  if (typeof value !== 'object' || value === null) throw wrongShape(JSON.stringify(value));
  const { channelName, type, payload } = value as { channelName?: unknown; type?: unknown; payload?: unknown };
  if (typeof type !== 'string' || (channelName !== undefined && typeof channelName !== 'string')) throw wrongShape(event.data.slice(0, 60));
  return { channelName, type, payload: typeof payload === 'string' ? payload : JSON.stringify(payload ?? null) };
}

/**
 * A `lastEvent` payload: `{}` when the channel has none, `{"type", "payload"}` once something was
 * fired on it, or the bare payload (what the server keeps for a channel first used by a publish).
 */
function lastValue(payload: string): { type: string; payload: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { type: 'message', payload };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as { type?: unknown; payload?: unknown };
    if (Object.keys(record).length === 0) return undefined;
    if (typeof record.type === 'string' && typeof record.payload === 'string') return { type: record.type, payload: record.payload };
  }
  return { type: 'message', payload };
}

/** The channel names of a matcher set (the presence topic is not a channel). */
function channelList(matchers: readonly CompiledMatcher[]): string[] {
  const list: string[] = [];
  for (const m of matchers) {
    if (m.source === CHANNEL_PRESENCE_TOPIC) continue;
    if (m.kind !== 'exact' || m.source === '*' || m.source.includes(',')) {
      throw new SseError('misuse', `The channels adapter cannot subscribe to "${m.source}": a channel server takes channel names.`, {
        hint: 'Subscribe to exact channel names (no patterns, no "*", no commas).',
      });
    }
    list.push(m.source);
  }
  return list;
}

/**
 * Presence on channel servers: the `online-presence` events (every client connected to the server;
 * it tells no per-channel presence). Subscribing to the channel makes this client present.
 */
const channelPresence: PresenceSupport = {
  matchers: (topic) => [topic, CHANNEL_PRESENCE_TOPIC],
  apply: (_topic, members, update) => {
    if (update.topic !== CHANNEL_PRESENCE_TOPIC || !Array.isArray(update.data)) return false;
    const ids = (update.data as unknown[]).map(String);
    for (const id of [...members.keys()]) if (!ids.includes(id)) members.delete(id);
    for (const id of ids) if (!members.has(id)) members.set(id, { id, payload: undefined });
    return true;
  },
};
