import { Emitter } from '../core/emitter.js';
import { MockEventStream, readRequest, sseFrame, textResponse } from './eventStream.js';

/** One event of a channel server's `/publish` batch. */
export interface ChannelServerEvent {
  /** The channel it is fired on. */
  readonly channelName: string;
  /** Its SSE event type. */
  readonly type: string;
  /** Its payload, a string. */
  readonly payload: string;
}

/** Events of {@link MockChannelServer.on}. */
export interface MockChannelServerEvents {
  /** A `/publish` batch (or {@link MockChannelServer.fire}) was accepted. */
  publish: readonly ChannelServerEvent[];
  /** The set of connected client ids changed. */
  presence: readonly string[];
}

const RESERVED = new Set(['registered', 'lastEvent', 'online-presence']);
const CORS = { 'access-control-allow-origin': '*' };
const STREAM_HEADERS = { ...CORS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

interface Client {
  readonly id: string;
  readonly channels: readonly string[];
  readonly stream: MockEventStream;
}

/**
 * An in-memory channel pub/sub server (the shape `server: channels` speaks) behind a
 * `fetch`-compatible function, for stories and tests:
 *
 * - `GET /subscribe/?channels=a,b[&clientId=x]` streams a `registered` event, one `lastEvent` per
 *   channel, an `online-presence` event (the connected client ids) whenever a client comes or goes,
 *   then every event fired on its channels; data is JSON `{channelName?, type, payload}`. No ids,
 *   no history, no heartbeats.
 * - `POST /publish` with `{events: [{channelName, type, payload}]}` fires the batch (400 for a
 *   reserved type or a missing field).
 *
 * ```ts
 * const server = new MockChannelServer();
 * const driver = new SseDriver({ url: server.url, server: channels, fetch: server.fetch });
 * ```
 */
export class MockChannelServer {
  /** The server origin to give clients. */
  readonly url: string;
  readonly #clients = new Set<Client>();
  readonly #last = new Map<string, string>();
  readonly #emitter = new Emitter<MockChannelServerEvents>();
  #counter = 0;

  /** @param options - `url`: the origin clients use (default `https://channels.mock`). */
  constructor(options: { readonly url?: string | undefined } = {}) {
    this.url = new URL(options.url ?? 'https://channels.mock').origin;
  }

  /** A `fetch`-compatible function serving this server. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = readRequest(input, init, this.url);
    if (request.signal?.aborted) throw request.signal.reason ?? new DOMException('Aborted', 'AbortError');
    const path = request.url.pathname.replace(/\/$/, '');
    if (request.method === 'OPTIONS') {
      return textResponse(204, '', { ...CORS, 'access-control-allow-methods': 'GET,POST', 'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? '' });
    }
    if (request.method === 'GET' && path === '/subscribe') return this.#subscribe(request.url, request.signal);
    if (request.method === 'POST' && path === '/publish') return this.#publish(await request.text());
    return new Response(`<!DOCTYPE html><pre>Cannot ${request.method} ${request.url.pathname}</pre>`, { status: 404, headers: { ...CORS, 'content-type': 'text/html; charset=utf-8' } });
  };

  /** Ids of the connected clients, in arrival order. */
  get online(): readonly string[] {
    return [...new Set([...this.#clients].map((c) => c.id))];
  }

  /** Number of open streams. */
  get connections(): number {
    return this.#clients.size;
  }

  /** The last value stored for a channel (as the `lastEvent` payload carries it). */
  lastEvent(channelName: string): string | undefined {
    return this.#last.get(channelName);
  }

  /**
   * Fires events from the server side, as one `/publish` batch would.
   * @throws Error for a reserved type or a missing field.
   */
  fire(events: readonly ChannelServerEvent[]): void {
    const problem = invalid(events);
    if (problem !== undefined) throw new Error(problem);
    this.#fire(events);
  }

  /**
   * Listens to `publish` (an accepted batch) and `presence` (the connected ids changed).
   * @returns a function removing the listener.
   */
  on<K extends keyof MockChannelServerEvents>(type: K, listener: (payload: MockChannelServerEvents[K]) => void): () => void {
    return this.#emitter.on(type, listener);
  }

  /** Cuts every stream as a network failure would: clients reconnect. */
  dropConnections(): void {
    for (const client of [...this.#clients]) client.stream.fail();
  }

  /** Cuts every stream and forgets every channel's last value, as a restart does. */
  restart(): void {
    this.dropConnections();
    this.#last.clear();
  }

  #subscribe(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    const list = url.searchParams.get('channels');
    if (!list) return Promise.resolve(textResponse(400, 'Bad Request', CORS));
    const id = url.searchParams.get('clientId') || String(++this.#counter);
    const channels = list.split(',');
    const client: Client = {
      id,
      channels,
      stream: new MockEventStream(signal, STREAM_HEADERS, () => {
        this.#clients.delete(client);
        if (!this.online.includes(id)) this.#presence();
      }),
    };
    if (!client.stream.open) return client.stream.response;
    client.stream.write('\n');
    client.stream.write(frame(undefined, 'registered', JSON.stringify({ clientId: id })));
    for (const name of channels) {
      if (!this.#last.has(name)) this.#last.set(name, '{}');
      client.stream.write(frame(name, 'lastEvent', this.#last.get(name) ?? '{}'));
    }
    const known = this.online.includes(id);
    this.#clients.add(client);
    if (!known) this.#presence();
    else client.stream.write(frame(undefined, 'online-presence', JSON.stringify(this.online)));
    return client.stream.response;
  }

  async #publish(text: string): Promise<Response> {
    let events: unknown;
    try {
      events = (JSON.parse(text || '{}') as { events?: unknown }).events ?? [];
    } catch {
      return textResponse(400, 'Bad Request', CORS);
    }
    if (!Array.isArray(events)) return textResponse(400, 'Bad Request', CORS);
    const problem = invalid(events as Partial<ChannelServerEvent>[]);
    if (problem !== undefined) return textResponse(400, problem, CORS);
    this.#fire(events as ChannelServerEvent[]);
    return textResponse(200, '', CORS);
  }

  #fire(events: readonly ChannelServerEvent[]): void {
    for (const { channelName, type, payload } of events) {
      if (!this.#last.has(channelName)) {
        // A channel nobody subscribed to yet keeps the bare payload and delivers nothing.
        this.#last.set(channelName, payload);
        continue;
      }
      this.#last.set(channelName, JSON.stringify({ type, payload }));
      for (const client of this.#clients) if (client.channels.includes(channelName)) client.stream.write(frame(channelName, type, payload));
    }
    this.#emitter.emit('publish', events);
  }

  #presence(): void {
    const ids = this.online;
    const data = frame(undefined, 'online-presence', JSON.stringify(ids));
    for (const client of this.#clients) client.stream.write(data);
    this.#emitter.emit('presence', ids);
  }
}

function frame(channelName: string | undefined, type: string, payload: string): string {
  return sseFrame({ event: type, data: JSON.stringify({ channelName, type, payload }) });
}

function invalid(events: readonly Partial<ChannelServerEvent>[]): string | undefined {
  for (const event of events) {
    if (RESERVED.has(String(event.type))) return `Event type "${String(event.type)}" is reserved, can't fire!`;
    if (!event.channelName || !event.type || !event.payload) return "Bad Request: 'channelName', 'eventType', and 'payload' are three required json fields in body.";
  }
  return undefined;
}
