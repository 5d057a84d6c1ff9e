import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DEV_PUBLISHER_KEY, HUB_PATH, HubEngine } from '../engine/index.js';
import { DEFAULT_IDLE_WRITE_TIMEOUT, MAX_TIMER_DELAY } from '../engine/defaults.js';
import type { HubTransport } from '../engine/index.js';
import type { HubCorsOptions, HubEngineOptions, HubLogger, HubResult } from '../engine/types.js';
import { consoleLogger } from './consoleLogger.js';
import { NodeSink, flushPendingWrites, nodeRequest } from './nodeAdapter.js';
import { openTransport } from './openTransport.js';
import { statusPage } from './statusPage.js';

/** Options of {@link createHub}: the engine options plus the server's own. */
export interface CreateHubOptions extends Omit<HubEngineOptions, 'url' | 'cors' | 'log' | 'transport'> {
  /**
   * What carries updates, history and presence: `'memory'` (default, one process), a Redis URL
   * `'redis://host:port/db'` (several processes on Redis Streams; `history` sets the window), or
   * a transport object. The hub closes it when it closes.
   */
  readonly transport?: HubTransport | string | undefined;
  /** Port to listen on; `0` picks a free one. Default 8080. */
  readonly port?: number | undefined;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string | undefined;
  /** URL clients use to reach the hub (behind a proxy); default `http://{host}:{port}/.well-known/mercure`. */
  readonly publicUrl?: string | undefined;
  /** CORS policy. Default: any origin, no credentials (development). `false` disables CORS headers. */
  readonly cors?: HubCorsOptions | false | undefined;
  /** Log sink. Default: one line per connection and per rejected request on stdout/stderr. `false` is silent. */
  readonly log?: HubLogger | false | undefined;
  /**
   * How long {@link NodeHub.close} waits for in-flight requests before cutting them (ms). Default
   * 5000; longer than 2^31-1 ms (about 24.8 days) waits that long.
   */
  readonly shutdownGrace?: number | undefined;
}

/** A running Node hub. */
export interface NodeHub {
  /** The hub URL (`http://…/.well-known/mercure`). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The engine (inspection, server-side publishing, events). */
  readonly engine: HubEngine;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /**
   * Stops gracefully: refuses new requests, ends every subscription stream cleanly after
   * flushing what was dispatched, lets in-flight publishes finish, then closes the server.
   */
  close(): Promise<void>;
}

const DEV_KEY_WARNING = [
  '************************************************************************',
  '*  DEVELOPMENT KEY IN USE: the publisher key is the public Mercure     *',
  '*  development key "!ChangeThisMercureHubJWTSecretKey!". Anyone can    *',
  '*  sign tokens for it. Set --publisher-key (SSE_KIT_HUB_PUBLISHER_KEY) *',
  '*  before exposing this hub to anything but your own machine.          *',
  '************************************************************************',
];

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a Mercure hub on `node:http`. Development defaults: the Mercure development publisher
 * key (with a loud warning), anonymous subscribers, legacy wire format accepted beside v1,
 * lenient token profile, CORS open to any origin without credentials.
 * @returns the started hub once it listens.
 * @throws Error when an option or a key is refused (the port and the transport are released).
 */
export async function createHub(options: CreateHubOptions = {}): Promise<NodeHub> {
  const { port = 8080, host = '127.0.0.1', publicUrl, cors, log, shutdownGrace: grace = 5000, transport: transportSpec, ...engineOptions } = options;
  // A longer delay would not be honoured: the timers would fire at once and cut every request.
  const shutdownGrace = Math.min(grace, MAX_TIMER_DELAY);
  // A stream ended cleanly whose client has not taken its last bytes by then is cut (see NodeSink).
  const lingerTimeout = engineOptions.idleWriteTimeout ?? DEFAULT_IDLE_WRITE_TIMEOUT;
  const logger: HubLogger | false = log === undefined ? consoleLogger() : log;
  // Before listening: a store that cannot be reached fails the start (HubTransportError).
  const transport = await openTransport(transportSpec, { history: engineOptions.history, log: logger });
  const publisherKey = engineOptions.publisherKey === undefined ? DEV_PUBLISHER_KEY : engineOptions.publisherKey;
  const devKey = publisherKey === DEV_PUBLISHER_KEY;

  let engine: HubEngine | undefined;
  let origin = '';
  let closing = false;
  // Requests being processed (publishes, subscription handshakes); streams are not counted.
  let pending = 0;
  let onDrained: (() => void) | undefined;
  let page: () => string = () => '';
  // Requests in flight per socket: at shutdown, sockets with none are closed at once
  // (including connections a client opened ahead of time and never used).
  const sockets = new Map<Socket, number>();
  const server = createServer((req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once('close', () => {
      if (sockets.has(socket)) sockets.set(socket, Math.max(0, (sockets.get(socket) ?? 1) - 1));
    });
    if (engine === undefined) {
      res.writeHead(503).end();
      return;
    }
    if (isStatusPage(req)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : page());
      return;
    }
    if (closing) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', connection: 'close' });
      res.end('The hub is shutting down.\n');
      return;
    }
    pending++;
    serve(engine, origin, req, res, lingerTimeout)
      .catch((error: unknown) => {
        if (logger) logger.error(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end();
      })
      .finally(() => {
        pending--;
        if (pending === 0) onDrained?.();
      });
  });
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  // Requests Node cannot parse or did not receive in time never reach the engine: answered and logged here.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const code = error.code ?? 'unknown';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] = code === 'HPE_HEADER_OVERFLOW' ? [431, 'its headers are too large'] : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'it was not received in time'] : [400, 'it is not valid HTTP'];
    if (logger) logger.warn(`rejected a request ${status}: ${reason} (${code}) client=${(socket as Socket).remoteAddress ?? 'unknown'}`);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      void transport?.close();
      reject(error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      // Once listening, a server error (a failed accept, e.g. EMFILE) concerns one connection: the
      // hub keeps serving and its transport stays open.
      server.on('error', (error) => {
        if (logger) logger.error(`server error: ${error.message}`);
      });
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let url: URL;
  try {
    url = hubUrl(publicUrl ?? `http://${urlHost(host)}:${address.port}${HUB_PATH}`);
    origin = `http://${urlHost(host)}:${address.port}`;
    engine = new HubEngine({
      ...engineOptions,
      publisherKey,
      url: url.href,
      cors: cors === undefined ? { origins: '*' } : cors,
      log: logger,
      ...(transport === undefined ? {} : { transport }),
    });
    // A key that cannot be used fails the start, instead of every token later.
    await engine.ready();
  } catch (error) {
    // Options or keys refused by the engine: stop listening and release the transport, or the process stays up.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await transport?.close();
    throw error;
  }
  const hubEngine = engine;
  if (logger) {
    if (devKey) for (const line of DEV_KEY_WARNING) logger.warn(line);
    logger.info(`sse-kit hub listening on ${url.href} (${hubEngine.transport.name} transport)`);
  }
  const facts = {
    legacy: engineOptions.legacy ?? true,
    strict: engineOptions.strict ?? false,
    subscriptions: engineOptions.subscriptions ?? false,
    devKey,
  };
  page = () => statusPage({ url: url.href, connections: hubEngine.connections.length, history: hubEngine.transport.synchronous ? hubEngine.history.length : `in ${hubEngine.transport.name}`, ...facts });

  let closed: Promise<void> | undefined;
  return {
    url: url.href,
    port: address.port,
    engine: hubEngine,
    server,
    close() {
      closed ??= (async () => {
        closing = true;
        // Stop listening; the callback fires once every connection has ended.
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Publishes already received are dispatched to the open streams before those end.
        if (pending > 0) {
          await new Promise<void>((resolve) => {
            onDrained = resolve;
            setTimeout(resolve, shutdownGrace).unref();
          });
        }
        flushPendingWrites();
        hubEngine.close();
        // Each connection is closed as soon as its last response is finished.
        const sweep = (): void => {
          for (const [socket, inFlight] of sockets) if (inFlight === 0 && !socket.writableEnded) socket.end();
        };
        const sweeper = setInterval(sweep, 20);
        const deadline = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
        }, shutdownGrace);
        sweep();
        await serverClosed;
        clearInterval(sweeper);
        clearTimeout(deadline);
        await transport?.close();
        if (logger) logger.info('sse-kit hub stopped');
      })();
      return closed;
    },
  };
}

/** @throws Error naming the option when the public URL is not an absolute URL. */
function hubUrl(text: string): URL {
  if (!URL.canParse(text)) throw new Error(`publicUrl: "${text}" is not an absolute URL (e.g. https://hub.example/.well-known/mercure).`);
  return new URL(text);
}

function isStatusPage(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.url === '/' || req.url?.startsWith('/?') === true);
}

/** @param lingerTimeout - see {@link NodeSink}: a stream ended cleanly is cut if its client has not taken its last bytes by then. */
async function serve(engine: HubEngine, origin: string, req: IncomingMessage, res: ServerResponse, lingerTimeout: number): Promise<void> {
  const result: HubResult | null = await engine.process(nodeRequest(req, origin));
  if (result === null) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found.\n');
    return;
  }
  if (result.kind === 'response') {
    const headers: Record<string, string> = { ...result.headers };
    // A body left unread (too large) or a hub shutting down: do not keep the connection.
    if (result.status === 413 || !req.complete) headers['connection'] = 'close';
    res.writeHead(result.status, headers);
    res.end(result.body);
    return;
  }
  const { connection } = result;
  if (res.destroyed || req.socket.destroyed) {
    connection.close();
    return;
  }
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);
  // No chunked framing: the body is the raw event stream, and the connection closes with it.
  res.removeHeader('transfer-encoding');
  res.writeHead(result.status, { ...result.headers, connection: 'close' });
  res.flushHeaders();
  res.on('close', () => connection.close());
  connection.attach(new NodeSink(res, lingerTimeout));
}
