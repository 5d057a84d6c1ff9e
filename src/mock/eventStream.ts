const encoder = new TextEncoder();

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** The parts of a `fetch` call the mock servers read. */
export interface MockRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly signal: AbortSignal | undefined;
  /** The body as text (empty when none). */
  text(): Promise<string>;
}

/** Normalises the arguments of a `fetch` call (a `Request`, a URL or a string, plus `init`). */
export function readRequest(input: RequestInfo | URL, init: RequestInit | undefined, base: string): MockRequest {
  const isRequest = typeof Request !== 'undefined' && input instanceof Request;
  const url = new URL(isRequest ? input.url : String(input), base);
  const headers = new Headers(isRequest ? input.headers : undefined);
  if (init?.headers) new Headers(init.headers).forEach((value, name) => headers.set(name, value));
  const signal = init?.signal ?? (isRequest ? input.signal : undefined) ?? undefined;
  const body = init?.body ?? (isRequest ? input.body : null);
  return {
    method: (init?.method ?? (isRequest ? input.method : 'GET')).toUpperCase(),
    url,
    headers,
    signal,
    text: async () => (body === null || body === undefined ? '' : await new Response(body).text()),
  };
}

/**
 * One streamed response of an in-memory server. `write` enqueues SSE text; `end` closes the body
 * cleanly, `fail` errors it as a cut connection does; aborting the request's signal ends it.
 * With `lateHeaders`, {@link MockEventStream.response} resolves only at the first write, as with
 * a server that sends its headers together with its first event.
 */
export class MockEventStream {
  /** Resolves with the response (at once, or at the first write with `lateHeaders`). */
  readonly response: Promise<Response>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;
  #answer: (() => void) | undefined;
  readonly #onEnd: () => void;

  /**
   * @param signal - the request's signal; aborting it ends the stream.
   * @param headers - response headers.
   * @param onEnd - called once when the stream ends, however it ends.
   * @param lateHeaders - answer only at the first write.
   */
  constructor(signal: AbortSignal | undefined, headers: Record<string, string>, onEnd: () => void, lateHeaders = false) {
    this.#onEnd = onEnd;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#finish();
      },
    });
    const response = () => new Response(body, { status: 200, headers });
    this.response = lateHeaders
      ? new Promise<Response>((resolve, reject) => {
          this.#answer = () => resolve(response());
          signal?.addEventListener('abort', () => reject(abortError(signal)), { once: true });
        })
      : Promise.resolve(response());
    if (signal?.aborted) this.fail(abortError(signal));
    else signal?.addEventListener('abort', () => this.fail(abortError(signal)), { once: true });
  }

  /** Whether the stream still delivers. */
  get open(): boolean {
    return this.#open;
  }

  /** Enqueues SSE text. */
  write(text: string): void {
    if (!this.#open) return;
    this.#controller.enqueue(encoder.encode(text));
    const answer = this.#answer;
    this.#answer = undefined;
    answer?.();
  }

  /** Ends the body cleanly (the server closed the stream). */
  end(): void {
    if (!this.#finish()) return;
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the reader.
    }
  }

  /** Errors the body, as a cut connection does (default: a network `TypeError`). */
  fail(error: unknown = new TypeError('network error: the mock server dropped the connection')): void {
    if (!this.#finish()) return;
    try {
      this.#controller.error(error);
    } catch {
      // Already cancelled by the reader.
    }
  }

  #finish(): boolean {
    if (!this.#open) return false;
    this.#open = false;
    this.#onEnd();
    return true;
  }
}

/** Formats one SSE event (`event`, `id` and multi-line `data`). */
export function sseFrame(fields: { readonly event?: string | undefined; readonly id?: string | undefined; readonly data: string }): string {
  let out = '';
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  for (const line of fields.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A plain-text response. */
export function textResponse(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : text, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}
