import { SignJWT, jwtVerify } from 'jose';
import { MockEventStream, readRequest, textResponse } from './eventStream.js';

/** Options of {@link MockTokenStreamServer}. */
export interface MockTokenStreamServerOptions {
  /** The client endpoint (default `https://tokens.mock/events/`). */
  readonly url?: string | undefined;
  /** HS256 secret of the tokens (default a development secret). */
  readonly secret?: string | undefined;
  /** Clock in ms since epoch for token expiry (default `Date.now`, looked up at call time). */
  readonly now?: (() => number) | undefined;
}

interface Session {
  readonly userId: string;
  readonly channel: string;
  readonly stream: MockEventStream;
}

/**
 * An in-memory JWT channel stream (the shape `server: tokenStream` speaks) behind a
 * `fetch`-compatible function, for stories and tests. `GET <url>` with
 * `Authorization: Bearer <HS256 JWT {userId, channel, exp}>` streams what the back end emits to that
 * user and channel (401 without a valid, unexpired token). Headers come with the first event; no
 * ids, no history, no heartbeats; clients cannot publish. The back end's control port is
 * {@link MockTokenStreamServer.issueToken} and {@link MockTokenStreamServer.emit}.
 *
 * ```ts
 * const server = new MockTokenStreamServer();
 * const token = await server.issueToken('alex', 'chat', 3600);
 * const driver = new SseDriver({ url: server.url, server: tokenStream, fetch: server.fetch, headers: { Authorization: `Bearer ${token}` } });
 * ```
 */
export class MockTokenStreamServer {
  /** The client endpoint. */
  readonly url: string;
  readonly #key: Uint8Array;
  readonly #now: () => number;
  readonly #sessions = new Set<Session>();

  /** @param options - `url`, `secret`, `now`. */
  constructor(options: MockTokenStreamServerOptions = {}) {
    this.url = new URL(options.url ?? 'https://tokens.mock/events/').href;
    // A copy in this realm's Uint8Array: jose refuses the one jsdom's TextEncoder makes.
    this.#key = Uint8Array.from(new TextEncoder().encode(options.secret ?? 'MySuperPassword42'));
    this.#now = options.now ?? (() => Date.now());
  }

  /** A `fetch`-compatible function serving the client endpoint. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = readRequest(input, init, this.url);
    if (request.signal?.aborted) throw request.signal.reason ?? new DOMException('Aborted', 'AbortError');
    if (request.method !== 'GET' || !request.url.pathname.startsWith(new URL(this.url).pathname)) return textResponse(404, '404 page not found\n');
    const auth = request.headers.get('authorization') ?? '';
    if (auth.length <= 6 || auth.slice(0, 6).toLowerCase() !== 'bearer') return textResponse(401, 'Unauthorized\n');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(auth.slice(7), this.#key, { algorithms: ['HS256'], currentDate: new Date(this.#now()) }));
    } catch {
      return textResponse(401, 'Unauthorized\n');
    }
    const session: Session = {
      userId: String(claims['userId'] ?? ''),
      channel: String(claims['channel'] ?? ''),
      stream: new MockEventStream(request.signal, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, () => this.#sessions.delete(session), true),
    };
    if (session.stream.open) this.#sessions.add(session);
    return session.stream.response;
  };

  /** Number of open streams (answered or still waiting for their first event). */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Issues a token for `userId` on `channel`, valid for `expSeconds` (the control port's `POST /token/`). */
  issueToken(userId: string, channel: string, expSeconds: number): Promise<string> {
    return new SignJWT({ userId, channel })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(this.#now() / 1000) + expSeconds)
      .sign(this.#key);
  }

  /**
   * Writes `payload` and a newline, as is, to every stream of `channel` whose user is `userId`
   * (`*` for all): the control port's `POST /emit/`. The payload is SSE text, e.g.
   * `"event: message\ndata: hello\n"`.
   * @returns how many streams it was written to.
   */
  emit(userId: string, channel: string, payload: string): number {
    let count = 0;
    for (const s of this.#sessions) {
      if (s.channel !== channel || (s.userId !== userId && userId !== '*')) continue;
      s.stream.write(`${payload}\n`);
      count++;
    }
    return count;
  }

  /** Cuts every stream as a network failure would: clients reconnect. */
  dropConnections(): void {
    for (const s of [...this.#sessions]) s.stream.fail();
  }
}
