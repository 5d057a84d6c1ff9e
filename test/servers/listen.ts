import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A `node:http` server listening on 127.0.0.1 that can be stopped and started again on the same port. */
export interface Listening {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Stops accepting requests and destroys every open socket (clients see their streams break). */
  stop(): Promise<void>;
  /** Listens again on the same port after {@link Listening.stop}. */
  start(): Promise<void>;
}

/**
 * Starts `handler` on 127.0.0.1 with a free port (or `port` when given).
 * @returns the origin and stop/start controls.
 */
export async function listen(handler: RequestListener, port = 0): Promise<Listening> {
  let server: Server = createServer(handler);
  const bind = (s: Server, p: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => {
        s.off('error', reject);
        resolve((s.address() as AddressInfo).port);
      });
    });
  const bound = await bind(server, port);
  let running = true;
  return {
    origin: `http://127.0.0.1:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!running) return resolve();
        running = false;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    start: async () => {
      if (running) return;
      server = createServer(handler);
      await bind(server, bound);
      running = true;
    },
  };
}

/** Reads a request body as text (bounded: past `limit` bytes the request is answered 413). */
export function readBody(req: IncomingMessage, res: ServerResponse, limit = 100 * 1024): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        res.writeHead(413, { 'Content-Type': 'text/plain' }).end('Payload Too Large');
        req.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}
