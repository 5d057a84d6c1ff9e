/**
 * The in-memory network both clients read in the React benchmark: every subscription request
 * (from SseDriver's fetch transport, or from the `eventsource` package behind useEventSource)
 * gets a streaming `text/event-stream` Response, and {@link Wire.send} writes the same bytes to
 * every live stream in 16 KiB chunks, one chunk per macrotask, as bytes arrive from a socket.
 */
export class Wire {
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #encoder = new TextEncoder();

  /** Live streams. */
  get connections(): number {
    return this.#streams.size;
  }

  /** A fetch serving subscriptions (the URL is ignored: every stream gets every byte). */
  readonly fetch = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#streams.add(c);
      },
      cancel: () => {
        this.#streams.delete(controller);
      },
    });
    init?.signal?.addEventListener('abort', () => {
      this.#streams.delete(controller);
      try {
        controller.error(new DOMException('aborted', 'AbortError'));
      } catch {
        // already closed
      }
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };

  /** Writes `text` to every live stream, 16 KiB per macrotask. */
  async send(text: string, chunkSize = 16 * 1024): Promise<void> {
    const bytes = this.#encoder.encode(text);
    for (let i = 0; i < bytes.length; i += chunkSize) {
      const chunk = bytes.subarray(i, i + chunkSize);
      for (const stream of this.#streams) stream.enqueue(chunk.slice());
      await macrotask();
    }
  }
}

/** Yields to the event loop once. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The id of bench update `n`. */
export function updateId(n: number): string {
  return `urn:uuid:00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The sse-kit envelope of bench update `n` (what the driver routes by), with message id `id`. */
export function envelopeData(n: number, topic: string, id = updateId(n)): string {
  return JSON.stringify({ 'sse-kit': 1, id, topic, sender: 'bench', payload: { n, text: `message number ${n}` } });
}

/** An sse-kit update on the wire: the SSE id and the envelope. */
export function envelopeFrame(n: number, topic: string): string {
  return `id: ${updateId(n)}\ndata: ${envelopeData(n, topic)}\n\n`;
}
