import type { ServerResponse } from 'node:http';
import { listen, readBody } from './listen.js';

/** One event of a `/publish` batch. */
export interface ChannelEvent {
  readonly channelName: string;
  readonly type: string;
  readonly payload: string;
}

/**
 * A server of seed 002's shape (a channel pub/sub server), written from its description:
 *
 * - `GET /subscribe/?channels=a,b[&clientId=x]` (400 without `channels`; the client id is a counter
 *   when absent): headers at once, then a `registered` event, one `lastEvent` per channel (the last
 *   value, `"{}"` when none), and an `online-presence` event with the ids of every connected client,
 *   sent to every stream whenever a client comes or goes. Event data is JSON
 *   `{channelName?, type, payload}` with `payload` a string. No ids, no history, no heartbeats.
 * - `POST /publish` with JSON `{events: [{channelName, type, payload}]}` fires every event on its
 *   channel (400 for a reserved type or a missing field, 413 past 100 KB). A channel nobody
 *   subscribed to yet stores the payload as its last value and delivers nothing.
 * - CORS open to every origin (preflights answered).
 */
export interface ChannelServer {
  /** The origin, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every accepted `/publish` request body, in order. */
  readonly publishes: readonly { readonly events: readonly ChannelEvent[] }[];
  /** Every `/subscribe` request URL, in order. */
  readonly subscribes: readonly URL[];
  /** Ids of the connected clients. */
  readonly online: readonly string[];
  /** Fires events from the server side. */
  fire(events: readonly ChannelEvent[]): void;
  /** Breaks every client stream (the process stays up). */
  dropClients(): void;
  /** Stops, breaking every stream and forgetting every channel (in-memory state); {@link ChannelServer.start} brings it back. */
  stop(): Promise<void>;
  /** Starts again on the same port. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

const RESERVED = ['registered', 'lastEvent', 'online-presence'];
const CORS = { 'Access-Control-Allow-Origin': '*' };

interface Channel {
  lastEvent: string;
  readonly clients: Map<string, Set<ServerResponse>>;
}

function frame(res: ServerResponse, channelName: string | undefined, type: string, payload: string): void {
  res.write(`event: ${type}\n`);
  res.write(`data: ${JSON.stringify({ channelName, type, payload })}\n\n`);
}

/** Starts a seed-002-shaped server on a free port of 127.0.0.1. */
export async function startChannelServer(): Promise<ChannelServer> {
  let channels = new Map<string, Channel>();
  let connected = new Map<string, Set<ServerResponse>>();
  const publishes: { events: ChannelEvent[] }[] = [];
  const subscribes: URL[] = [];
  let counter = 0;

  const broadcastPresence = () => {
    const ids = JSON.stringify([...connected.keys()]);
    for (const sockets of connected.values()) for (const res of sockets) frame(res, undefined, 'online-presence', ids);
  };

  const fire = (events: readonly ChannelEvent[]) => {
    for (const { channelName, type, payload } of events) {
      const channel = channels.get(channelName);
      if (!channel) {
        channels.set(channelName, { lastEvent: payload, clients: new Map() });
        continue;
      }
      channel.lastEvent = JSON.stringify({ type, payload });
      for (const sockets of channel.clients.values()) for (const res of sockets) frame(res, channelName, type, String(payload));
    }
  };

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/$/, '');
    if (req.method === 'OPTIONS') {
      return void res
        .writeHead(204, {
          ...CORS,
          'Access-Control-Allow-Methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '',
          Vary: 'Access-Control-Request-Headers',
        })
        .end();
    }
    if (req.method === 'GET' && path === '/subscribe') {
      subscribes.push(url);
      const list = url.searchParams.get('channels');
      if (!list) return void res.writeHead(400, CORS).end('Bad Request');
      const clientId = url.searchParams.get('clientId') || String(++counter);
      req.socket.setNoDelay(true);
      res.writeHead(200, { ...CORS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.write('\n');
      frame(res, undefined, 'registered', JSON.stringify({ clientId }));
      const names = list.split(',');
      for (const name of names) {
        let channel = channels.get(name);
        if (!channel) {
          channel = { lastEvent: '{}', clients: new Map() };
          channels.set(name, channel);
        }
        const sockets = channel.clients.get(clientId) ?? new Set();
        sockets.add(res);
        channel.clients.set(clientId, sockets);
        frame(res, name, 'lastEvent', channel.lastEvent);
      }
      const mine = connected.get(clientId) ?? new Set();
      mine.add(res);
      connected.set(clientId, mine);
      broadcastPresence();
      const registry = connected;
      const owned = channels;
      req.on('close', () => {
        for (const name of names) {
          const sockets = owned.get(name)?.clients.get(clientId);
          sockets?.delete(res);
          if (sockets?.size === 0) owned.get(name)?.clients.delete(clientId);
        }
        const sockets = registry.get(clientId);
        if (!sockets?.delete(res)) return;
        if (sockets.size === 0) {
          registry.delete(clientId);
          if (registry === connected) broadcastPresence();
        }
      });
      return;
    }
    if (req.method === 'POST' && path === '/publish') {
      const text = await readBody(req, res);
      if (text === undefined) return;
      let events: unknown;
      try {
        events = (JSON.parse(text || '{}') as { events?: unknown }).events ?? [];
      } catch {
        return void res.writeHead(400, CORS).end('Bad Request');
      }
      if (!Array.isArray(events)) return void res.writeHead(400, CORS).end('Bad Request');
      for (const event of events as Partial<ChannelEvent>[]) {
        if (RESERVED.includes(String(event.type))) return void res.writeHead(400, CORS).end(`Event type "${String(event.type)}" is reserved, can't fire!`);
        if (!event.channelName || !event.type || !event.payload) {
          return void res.writeHead(400, CORS).end("Bad Request: 'channelName', 'eventType', and 'payload' are three required json fields in body.");
        }
      }
      publishes.push({ events: events as ChannelEvent[] });
      fire(events as ChannelEvent[]);
      return void res.writeHead(200, CORS).end();
    }
    res.writeHead(404, { ...CORS, 'Content-Type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html><pre>Cannot ${req.method ?? 'GET'} ${url.pathname}</pre>`);
  });

  return {
    url: server.origin,
    publishes,
    subscribes,
    get online() {
      return [...connected.keys()];
    },
    fire,
    dropClients: () => {
      const all = [...connected.values()].flatMap((s) => [...s]);
      for (const res of all) res.destroy();
    },
    stop: async () => {
      // A restart loses the in-memory state.
      channels = new Map();
      connected = new Map();
      await server.stop();
    },
    start: () => server.start(),
    close: () => server.stop(),
  };
}
