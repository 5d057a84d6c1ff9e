import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { SseNetworkError, SseProtocolError, type SseError } from '../errors.js';
import type { AdapterRequest } from '../protocols/types.js';
import type { FetchLike, RawEvent } from '../types.js';
import { Utf8ChunkDecoder } from '../utf8.js';

/** Where a stream transport reports to. Nothing is called once `current()` turned false. */
export interface StreamSink {
  /** Whether the attempt this sink belongs to is still the running one. */
  current(): boolean;
  /** The response arrived; return (or resolve) `false` to stop (the body is cancelled). */
  response(response: Response): boolean | Promise<boolean>;
  /** Bytes arrived (comments included). */
  bytes(): void;
  /** A comment line arrived after the server's first text (a heartbeat; a comment in the first text is a greeting). */
  comment?(): void;
  /** A complete event. */
  event(event: RawEvent): void;
  /** The server's `retry:` field. */
  retry(ms: number): void;
  /** The stream broke or ended (with the error to report). */
  end(error: SseError): void;
}

/** Inputs of {@link openFetchStream}. */
export interface FetchStreamInput {
  readonly fetch: FetchLike;
  readonly request: AdapterRequest;
  /** The request headers (user headers merged with the adapter's). */
  readonly headers: Headers;
  readonly signal: AbortSignal;
  /** Send cookies cross-origin. */
  readonly withCredentials: boolean;
  /** Largest event accepted, in bytes. */
  readonly maxEventSize: number;
}

/**
 * The default transport: `fetch` + `ReadableStream` + `eventsource-parser`. It can send any header,
 * use any method, and read the response headers.
 */
export async function openFetchStream(input: FetchStreamInput, sink: StreamSink): Promise<void> {
  let response: Response;
  try {
    const init: RequestInit = {
      method: input.request.method,
      headers: input.headers,
      signal: input.signal,
      cache: 'no-store',
      credentials: input.withCredentials ? 'include' : 'same-origin',
    };
    if (input.request.body !== undefined) init.body = input.request.body;
    response = await input.fetch(input.request.url, init);
  } catch (cause) {
    const error = await fetchFailure(input.fetch, cause, input.request.url, input.signal);
    if (sink.current()) sink.end(error);
    return;
  }
  if (!sink.current() || !(await sink.response(response)) || response.body === null) {
    cancel(response.body);
    return;
  }
  await read(response.body, input.maxEventSize, sink);
}

async function read(body: ReadableStream<Uint8Array>, maxEventSize: number, sink: StreamSink): Promise<void> {
  const reader = body.getReader();
  const decoder = new Utf8ChunkDecoder();
  /** How many texts were decoded: a byte order mark starting the first is not content, a comment in it greets (no heartbeat). */
  let texts = 0;
  let failure: SseError | undefined;
  const parser = createParser({
    maxBufferSize: maxEventSize,
    onEvent: (message: EventSourceMessage) => {
      if (sink.current()) sink.event({ id: message.id ?? '', type: message.event ?? 'message', data: message.data });
    },
    onRetry: (ms: number) => sink.retry(ms),
    onComment: () => {
      if (texts > 1) sink.comment?.();
    },
    onError: (error: ParseError) => {
      if (error.type === 'max-buffer-size-exceeded') {
        failure = new SseProtocolError(`An event exceeded the limit of ${maxEventSize} characters.`, { cause: error, hint: 'Raise maxEventSize or publish smaller updates.' });
      }
      // Unknown fields and invalid `retry` values are ignored, as the SSE standard says.
    },
  });
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (cause) {
      if (sink.current()) sink.end(new SseNetworkError('The stream broke.', { cause }));
      return;
    }
    if (!sink.current()) {
      cancel(reader);
      return;
    }
    if (chunk.done) {
      sink.end(new SseNetworkError('The hub closed the stream.'));
      return;
    }
    sink.bytes();
    const text = decoder.decode(chunk.value);
    if (text !== '') texts++;
    // The parser only knows the BOM as undecoded bytes: the decoded U+FEFF would hide the first field.
    parser.feed(texts === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    if (!sink.current()) {
      cancel(reader);
      return;
    }
    if (failure !== undefined) {
      cancel(reader);
      sink.end(failure);
      return;
    }
  }
}

/**
 * The error for a subscribe `fetch` that threw. In a browser a cross-origin request refused by CORS
 * throws the same `TypeError` as a network failure; a `no-cors` probe tells them apart (it reaches
 * a server that is up, whatever its CORS headers), and a refusal is reported as `cors` with a hint.
 */
async function fetchFailure(fetch: FetchLike, cause: unknown, url: string, signal: AbortSignal): Promise<SseNetworkError> {
  const network = new SseNetworkError('Could not reach the hub.', { cause });
  const page = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  if (signal.aborted || !(cause instanceof TypeError) || typeof page !== 'string' || page === 'null' || new URL(url, page).origin === page) return network;
  // The probe ends with the connection (closed or destroyed meanwhile).
  const probe = new AbortController();
  const stop = () => probe.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await fetch(url, { mode: 'no-cors', credentials: 'omit', cache: 'no-store', signal: probe.signal });
  } catch {
    return network;
  } finally {
    signal.removeEventListener('abort', stop);
    probe.abort();
  }
  return new SseNetworkError('The browser refused the cross-origin response of the hub (CORS).', {
    code: 'cors',
    cause,
    hint: `The server must answer ${page} with Access-Control-Allow-Origin (and allow the request headers sent, such as Authorization or Last-Event-ID).`,
  });
}

/** Cancels a body or reader, ignoring the rejection of an already broken stream. */
export function cancel(stream: { cancel(): Promise<void> } | null | undefined): void {
  void stream?.cancel().catch(() => undefined);
}
