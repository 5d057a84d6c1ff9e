import type { ServerResponse } from 'node:http';
import { SignJWT, jwtVerify } from 'jose';
import { listen, readBody, type Listening } from './listen.js';

/**
 * A server of seed 001's shape (a JWT channel server), written from its description:
 *
 * - client port: `GET /events/` with `Authorization: Bearer <HS256 JWT {userId, channel, exp}>`;
 *   401 without a valid token. The response headers are set but only sent with the first event
 *   (late headers). No ids, no history, no heartbeats.
 * - control port (back end only): `POST /token/` (form `userId, channel, exp` seconds from now)
 *   answers a signed token; `POST /emit/` (form `userId, channel, payload`) writes `payload` and a
 *   newline, as is, to every stream of that channel whose user is `userId` (`*` for all).
 */
export interface TokenStreamServer {
  /** The client endpoint, `http://127.0.0.1:<port>/events/`. */
  readonly url: string;
  /** The control origin, `http://127.0.0.1:<port>`. */
  readonly controlUrl: string;
  /** Every `Authorization` header the client port received, in order. */
  readonly authorizations: readonly (string | undefined)[];
  /** Open client streams. */
  readonly clients: number;
  /** Clock offset in ms applied to issuing and verifying tokens (to expire tokens without waiting). */
  clockSkew: number;
  /** Issues a token through the control port. */
  token(userId: string, channel: string, expSeconds: number): Promise<string>;
  /** Emits through the control port. */
  emit(userId: string, channel: string, payload: string): Promise<void>;
  /** Breaks every client stream (the process stays up). */
  dropClients(): void;
  /** Stops both ports, breaking every stream; {@link TokenStreamServer.start} brings them back. */
  stop(): Promise<void>;
  /** Starts again on the same ports. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

interface Session {
  readonly userId: string;
  readonly channel: string;
  readonly res: ServerResponse;
}

/** Starts a seed-001-shaped server on two free ports of 127.0.0.1. */
export async function startTokenStreamServer(secret = 'MySuperPassword42'): Promise<TokenStreamServer> {
  const key = new TextEncoder().encode(secret);
  const sessions = new Set<Session>();
  const authorizations: (string | undefined)[] = [];
  let clockSkew = 0;
  const now = () => new Date(Date.now() + clockSkew);

  const client: Listening = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/events/')) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
    const auth = req.headers.authorization;
    authorizations.push(auth);
    if (auth === undefined || auth.length <= 6 || auth.slice(0, 6).toLowerCase() !== 'bearer') {
      return void res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(auth.slice(7), key, { algorithms: ['HS256'], currentDate: now() }));
    } catch {
      return void res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
    }
    // Headers are set now but reach the client with the first event only.
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const session: Session = { userId: String(claims['userId'] ?? ''), channel: String(claims['channel'] ?? ''), res };
    sessions.add(session);
    req.on('close', () => sessions.delete(session));
  });

  const control: Listening = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req, res);
    if (body === undefined) return;
    const form = new URLSearchParams(body);
    if (url.pathname === '/token/') {
      const exp = Number.parseInt(form.get('exp') ?? '', 10);
      if (!Number.isFinite(exp)) return void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Incorrect expires\n');
      const token = await new SignJWT({ userId: form.get('userId') ?? '', channel: form.get('channel') ?? '' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setExpirationTime(Math.floor(now().getTime() / 1000) + exp)
        .sign(key);
      return void res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(token);
    }
    if (url.pathname === '/emit/') {
      const userId = form.get('userId') ?? '';
      const channel = form.get('channel') ?? '';
      const payload = form.get('payload') ?? '';
      for (const s of sessions) if (s.channel === channel && (s.userId === userId || userId === '*')) s.res.write(`${payload}\n`);
      return void res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('OK');
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
  });

  const post = async (path: string, form: Record<string, string>): Promise<string> => {
    const response = await fetch(`${control.origin}${path}`, { method: 'POST', body: new URLSearchParams(form) });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${path} answered ${response.status}: ${text}`);
    return text;
  };

  return {
    url: `${client.origin}/events/`,
    controlUrl: control.origin,
    authorizations,
    get clients() {
      return sessions.size;
    },
    get clockSkew() {
      return clockSkew;
    },
    set clockSkew(ms: number) {
      clockSkew = ms;
    },
    token: (userId, channel, expSeconds) => post('/token/', { userId, channel, exp: String(expSeconds) }),
    emit: async (userId, channel, payload) => {
      await post('/emit/', { userId, channel, payload });
    },
    dropClients: () => {
      for (const s of sessions) s.res.destroy();
      sessions.clear();
    },
    stop: async () => {
      sessions.clear();
      await Promise.all([client.stop(), control.stop()]);
    },
    start: async () => {
      await Promise.all([client.start(), control.start()]);
    },
    close: async () => {
      sessions.clear();
      await Promise.all([client.stop(), control.stop()]);
    },
  };
}
