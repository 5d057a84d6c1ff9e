import { MockEventStream, readRequest, sseFrame, textResponse } from './eventStream.js';

/** One event a {@link MockSseEndpoint} sends. */
export interface MockSseEvent {
  /** SSE event type (absent: `message`). */
  readonly event?: string | undefined;
  /** The data (may span lines). */
  readonly data: string;
}

/** Options of {@link MockSseEndpoint}. */
export interface MockSseEndpointOptions {
  /** The stream URL (default `https://sse.mock/sse`). */
  readonly url?: string | undefined;
  /** The first event of every stream (default `hello from steam`; `null` for none). */
  readonly greeting?: MockSseEvent | null | undefined;
  /**
   * Path of a JSON publish endpoint taking `{topic, type, id, data}` and sending `data` (a string as is, else serialised)
   * as an event of that type (default: none, as most plain endpoints have none).
   */
  readonly publishPath?: string | undefined;
}

/**
 * An in-memory plain SSE endpoint (the shape `server: sse` speaks) behind a `fetch`-compatible
 * function, for stories and tests: `GET <url>` answers an event stream with simple CORS, a greeting,
 * then whatever {@link MockSseEndpoint.send} is given, each with a fresh id that resumes nothing.
 * No history, no heartbeats, no preflight.
 */
export class MockSseEndpoint {
  /** The stream URL. */
  readonly url: string;
  readonly #streams = new Set<MockEventStream>();
  readonly #greeting: MockSseEvent | null;
  readonly #publishPath: string | undefined;
  #counter = 0;

  /** @param options - `url`, `greeting`, `publishPath`. */
  constructor(options: MockSseEndpointOptions = {}) {
    this.url = new URL(options.url ?? 'https://sse.mock/sse').href;
    this.#greeting = options.greeting === undefined ? { data: 'hello from steam' } : options.greeting;
    this.#publishPath = options.publishPath;
  }

  /** A `fetch`-compatible function serving the endpoint. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = readRequest(input, init, this.url);
    if (request.signal?.aborted) throw request.signal.reason ?? new DOMException('Aborted', 'AbortError');
    const cors = { 'access-control-allow-origin': '*' };
    if (request.method === 'GET' && request.url.pathname === new URL(this.url).pathname) {
      const stream: MockEventStream = new MockEventStream(request.signal, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, () => this.#streams.delete(stream));
      if (!stream.open) return stream.response;
      this.#streams.add(stream);
      if (this.#greeting) stream.write(this.#frame(this.#greeting));
      return stream.response;
    }
    if (request.method === 'POST' && this.#publishPath !== undefined && request.url.pathname === this.#publishPath) {
      let body: { type?: unknown; data?: unknown };
      try {
        body = JSON.parse(await request.text()) as { type?: unknown; data?: unknown };
      } catch {
        return textResponse(400, 'Bad Request', cors);
      }
      this.send({ data: typeof body.data === 'string' ? body.data : JSON.stringify(body.data ?? null), ...(typeof body.type === 'string' ? { event: body.type } : {}) });
      return textResponse(204, '', cors);
    }
    return textResponse(404, 'Not Found');
  };

  /** Number of open streams. */
  get connections(): number {
    return this.#streams.size;
  }

  /** Sends one event (with a fresh id) to every open stream. */
  send(event: MockSseEvent): void {
    for (const stream of this.#streams) stream.write(this.#frame(event));
  }

  /** Cuts every stream as a network failure would: clients reconnect. */
  dropConnections(): void {
    for (const stream of [...this.#streams]) stream.fail();
  }

  #frame(event: MockSseEvent): string {
    return sseFrame({ id: `${++this.#counter}-${Math.random().toString(36).slice(2, 8)}`, event: event.event, data: event.data });
  }
}
