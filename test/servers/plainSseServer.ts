import type { ServerResponse } from 'node:http';
import { listen, readBody } from './listen.js';

/** One event the plain server writes. */
export interface PlainEvent {
  readonly event?: string;
  readonly data: string;
}

/**
 * A server of seed 003's shape (a plain SSE endpoint), written from its description: `GET <path>`
 * answers `Connection: keep-alive`, `Content-Type: text/event-stream`, `Cache-Control: no-cache` and
 * simple CORS (`Access-Control-Allow-Origin: *`, `Access-Control-Allow-Credentials: true`), writes
 * `id: <random>` + `data: hello from steam`, then whatever {@link PlainSseServer.send} is given, each
 * with a fresh random id (ids that cannot resume anything). It answers no preflight (`OPTIONS` is a
 * 404) and keeps no history.
 *
 * Not in the seed, for the `publishUrl` option: with `publishPath` set, `POST <publishPath>` takes
 * JSON `{topic, type, id, data}` and sends `data` (a string as is, else serialised) as an event of that type.
 */
export interface PlainSseServer {
  /** The stream URL, `http://127.0.0.1:<port><path>`. */
  readonly url: string;
  /** The origin. */
  readonly origin: string;
  /** Open streams. */
  readonly clients: number;
  /** Every request seen, as `METHOD path` with the request headers. */
  readonly requests: readonly { readonly line: string; readonly headers: Readonly<Record<string, string | string[] | undefined>> }[];
  /** Every JSON body posted to the publish path. */
  readonly published: readonly unknown[];
  /** Writes one event (with a random id) to every open stream. */
  send(event: PlainEvent): void;
  /** Breaks every stream. */
  dropClients(): void;
  /** Stops, breaking every stream; {@link PlainSseServer.start} brings it back. */
  stop(): Promise<void>;
  /** Starts again on the same port. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

/** Options of {@link startPlainSseServer}. */
export interface PlainSseServerOptions {
  /** Path of the stream (default `/sse`). */
  readonly path?: string;
  /** Path of the optional JSON publish endpoint (off by default, as in the seed). */
  readonly publishPath?: string;
}

function write(res: ServerResponse, event: PlainEvent): void {
  let out = `id: ${Math.random()}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  for (const line of event.data.split('\n')) out += `data: ${line}\n`;
  res.write(`${out}\n`);
}

/** Starts a seed-003-shaped server on a free port of 127.0.0.1. */
export async function startPlainSseServer(options: PlainSseServerOptions = {}): Promise<PlainSseServer> {
  const path = options.path ?? '/sse';
  const streams = new Set<ServerResponse>();
  const requests: { line: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const published: unknown[] = [];
  const send = (event: PlainEvent) => {
    for (const res of streams) write(res, event);
  };
  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ line: `${req.method ?? 'GET'} ${url.pathname}`, headers: { ...req.headers } });
    if (req.method === 'GET' && url.pathname === path) {
      res.writeHead(200, {
        Connection: 'keep-alive',
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Credentials': 'true',
      });
      write(res, { data: 'hello from steam' });
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (req.method === 'POST' && options.publishPath !== undefined && url.pathname === options.publishPath) {
      const text = await readBody(req, res);
      if (text === undefined) return;
      let body: { type?: unknown; data?: unknown };
      try {
        body = JSON.parse(text) as { type?: unknown; data?: unknown };
      } catch {
        return void res.writeHead(400, { 'Access-Control-Allow-Origin': '*' }).end('Bad Request');
      }
      published.push(body);
      const event: PlainEvent = { data: typeof body.data === 'string' ? body.data : JSON.stringify(body.data) };
      send(typeof body.type === 'string' ? { ...event, event: body.type } : event);
      return void res.writeHead(204, { 'Access-Control-Allow-Origin': '*' }).end();
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found');
  });
  return {
    url: `${server.origin}${path}`,
    origin: server.origin,
    get clients() {
      return streams.size;
    },
    requests,
    published,
    send,
    dropClients: () => {
      for (const res of streams) res.destroy();
      streams.clear();
    },
    stop: async () => {
      streams.clear();
      await server.stop();
    },
    start: () => server.start(),
    close: async () => {
      streams.clear();
      await server.stop();
    },
  };
}
