import type { FetchLike } from '../../src/core/types.js';

/** One subscribe request seen by {@link StreamHub}, with a handle on its response stream. */
export interface StreamRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
  /** Whether the client aborted it (or the stream was ended). */
  closed: boolean;
  /** Pushes raw bytes (a string is UTF-8 encoded). */
  push(chunk: string | Uint8Array): void;
  /** Ends the stream cleanly. */
  end(): void;
  /** Breaks the stream with an error. */
  fail(error?: Error): void;
}

/** How the fixture answers a subscribe request. */
export type Responder = (request: StreamRequest) => { status?: number; headers?: Record<string, string>; body?: string } | undefined;

/**
 * A small in-memory stream fixture behind a fetch function: every GET/QUERY is a controllable SSE
 * stream, every POST goes to `onPublish`.
 */
export class StreamHub {
  readonly requests: StreamRequest[] = [];
  readonly publishes: { headers: Headers; body: URLSearchParams; init: RequestInit }[] = [];
  respond: Responder = () => undefined;
  /** While set, subscribe responses wait for this promise (to observe a request before its answer). */
  gate: Promise<void> | undefined;
  onPublish: (body: URLSearchParams) => Response | Promise<Response> = (body) => new Response(body.get('id') ?? '', { status: 200 });

  /** Live (not closed) stream requests. */
  get open(): StreamRequest[] {
    return this.requests.filter((r) => !r.closed);
  }

  /** The most recent stream request. */
  get last(): StreamRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error('no subscribe request yet');
    return last;
  }

  readonly fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    if (method === 'POST') {
      const body = new URLSearchParams(String(init.body ?? ''));
      this.publishes.push({ headers, body, init });
      if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
      return await new Promise<Response>((resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        void Promise.resolve(this.onPublish(body)).then(resolve, reject);
      });
    }
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      cancel: () => {
        request.closed = true;
      },
    });
    const request: StreamRequest = {
      url,
      method,
      headers,
      body: init.body === undefined || init.body === null ? undefined : String(init.body),
      signal: init.signal ?? undefined,
      closed: false,
      push(chunk) {
        if (!request.closed) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      },
      end() {
        if (request.closed) return;
        request.closed = true;
        controller.close();
      },
      fail(error = new TypeError('network error')) {
        if (request.closed) return;
        request.closed = true;
        controller.error(error);
      },
    };
    this.requests.push(request);
    init.signal?.addEventListener('abort', () => {
      if (request.closed) return;
      request.closed = true;
      controller.error(new DOMException('aborted', 'AbortError'));
    });
    if (this.gate) await this.gate;
    const answer = this.respond(request);
    if (answer?.status !== undefined && answer.status !== 200) {
      request.closed = true;
      return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers ?? {} });
    }
    return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...answer?.headers } });
  };
}

/** Formats one SSE event. */
export function sse(fields: { id?: string; event?: string; data: string; retry?: number }): string {
  let out = '';
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  if (fields.retry !== undefined) out += `retry: ${fields.retry}\n`;
  for (const line of fields.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Formats an sse-kit envelope update. */
export function envelopeEvent(id: string, topic: string, payload: unknown, extra: { sender?: string; sseId?: string | null; event?: string } = {}): string {
  const data = JSON.stringify({ 'sse-kit': 1, id, topic, sender: extra.sender ?? 'other', payload });
  const fields: { id?: string; event?: string; data: string } = { data };
  if (extra.sseId !== null) fields.id = extra.sseId ?? id;
  if (extra.event !== undefined) fields.event = extra.event;
  return sse(fields);
}

/** Lets pending promise callbacks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((resolve) => queueMicrotask(resolve));
}
