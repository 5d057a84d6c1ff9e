import { SseError, SseProtocolError, errorFromResponse } from './errors.js';
import type { CompiledMatcher } from './matcher.js';
import type { AdapterRequest, ProtocolAdapter, ProtocolFallback } from './protocols/types.js';
import { openEventSource } from './transports/eventSource.js';
import { openFetchStream, type StreamSink } from './transports/fetch.js';
import type { EventSourceConstructor, FetchLike } from './types.js';

/** What an attempt needs from the driver (a part of the connection context). */
export interface AttemptContext {
  readonly hubUrl: string;
  readonly fetch: FetchLike;
  readonly adapter: ProtocolAdapter;
  readonly maxEventSize: number;
  readonly EventSource: EventSourceConstructor | undefined;
  readonly withCredentials: boolean;
  /** The driver's client id, for servers that take it in the request. */
  readonly clientId: string;
  /** Headers for the next request (the `headers` option re-read, plus subscriber headers). */
  resolveHeaders(): Promise<Headers>;
  /** Event types to listen for (the native `EventSource` only delivers types it was asked for). */
  eventTypes(): readonly string[];
}

/** What to connect: the stream's matchers and where to resume. */
export interface AttemptSpec {
  readonly matchers: readonly CompiledMatcher[];
  readonly cursor: string | undefined;
  readonly cursorInQuery: boolean;
}

/** How one subscribe attempt ends or goes on; nothing is called once `current()` turned false. */
export interface AttemptSink extends Pick<StreamSink, 'current' | 'event' | 'retry' | 'bytes' | 'comment'> {
  /** The stream is open; `resumedFrom` is the position the server reports, if any. */
  opened(resumedFrom: string | undefined): void;
  /** A fault worth retrying after a backoff. */
  drop(error: SseError): void;
  /** A fault that retrying will not fix (auth, a refused request, not an event stream). */
  halt(error: SseError): void;
  /** The server asked not to reconnect (204). */
  done(): void;
  /** The adapter switched to another request form after a refusal: retry at once. */
  fallback(fallback: ProtocolFallback, status: number): void;
  /** The native `EventSource` reconnects by itself. */
  reconnecting(): void;
}

/**
 * Refusals that retrying the same request would meet again: a malformed or refused request (400; an
 * over-long URL or headers, 414 and 431, are refused matcher sets too: they are split), or credentials (401, 403).
 */
const HALTING = new Set([400, 401, 403, 414, 431]);

/** A request that cannot be built or sent as asked: retrying would not help. */
function unsendable(cause: unknown): SseError {
  if (cause instanceof SseError) return cause;
  return new SseError('misuse', 'The subscribe request could not be built.', { cause, hint: 'Check the hub url and that header values are Latin-1 (encode others).' });
}

/**
 * One subscribe attempt with the `fetch` transport. It never throws: every fault ends in
 * `drop` or `halt`.
 */
export async function fetchAttempt(ctx: AttemptContext, spec: AttemptSpec, signal: AbortSignal, sink: AttemptSink): Promise<void> {
  let headers: Headers;
  try {
    headers = await ctx.resolveHeaders();
  } catch (cause) {
    // A credentials problem: retrying with the same headers option would fail the same way.
    if (sink.current()) sink.halt(unsendable(cause));
    return;
  }
  if (!sink.current()) return;
  const request = buildRequest(ctx, spec, false, sink);
  if (request === undefined) return;
  for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);
  await openFetchStream(
    { fetch: ctx.fetch, request, headers, signal, withCredentials: ctx.withCredentials, maxEventSize: ctx.maxEventSize },
    {
      ...sink,
      end: sink.drop,
      response: async (response) => {
        if (response.status === 204) {
          sink.done();
          return false;
        }
        if (!response.ok) {
          // A 400 says why in its body: the adapter tells a hub that does not speak the request's
          // format from one that refused what it asked for (too many matchers, say).
          const reason = response.status === 400 ? await reasonOf(response) : '';
          if (!sink.current()) return false;
          const fallback = ctx.adapter.fallback(request, response.status, reason);
          if (fallback) sink.fallback(fallback, response.status);
          else if (HALTING.has(response.status)) sink.halt(errorFromResponse(response, 'Subscribing', reason));
          else sink.drop(errorFromResponse(response, 'Subscribing'));
          return false;
        }
        const contentType = response.headers.get('content-type') ?? '';
        if (!contentType.toLowerCase().startsWith('text/event-stream') || response.body === null) {
          sink.halt(
            new SseProtocolError(`The ${ctx.adapter.name} adapter expected text/event-stream; the server answered with content type "${contentType}".`, {
              status: response.status,
              hint: "Check that the url points at the stream endpoint, and that the server option names your server's shape.",
            }),
          );
          return false;
        }
        ctx.adapter.accepted(request);
        sink.opened(ctx.adapter.openCursor(response.headers));
        return sink.current();
      },
    },
  );
}

/**
 * One subscribe attempt with the native `EventSource` transport.
 * @returns a function that closes the stream.
 */
export function eventSourceAttempt(ctx: AttemptContext, spec: AttemptSpec, sink: AttemptSink): () => void {
  const Ctor = ctx.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (Ctor === undefined) {
    sink.halt(new SseError('misuse', 'The eventsource transport needs an EventSource implementation.', { hint: 'Pass the EventSource option or use the fetch transport.' }));
    return () => undefined;
  }
  const request = buildRequest(ctx, { ...spec, cursorInQuery: true }, true, sink);
  if (request === undefined) return () => undefined;
  const types = [...ctx.eventTypes(), ...(ctx.adapter.eventTypes?.(spec.matchers) ?? [])];
  try {
    return openEventSource(Ctor, request.url, ctx.withCredentials, types, {
      ...sink,
      end: sink.drop,
      open: () => {
        ctx.adapter.accepted(request);
        sink.opened(undefined);
      },
    });
  } catch (cause) {
    sink.halt(unsendable(cause));
    return () => undefined;
  }
}

/** The adapter's subscribe request; a typed error it throws ends the attempt (halted: retrying builds the same request). */
function buildRequest(ctx: AttemptContext, spec: AttemptSpec, urlOnly: boolean, sink: AttemptSink): AdapterRequest | undefined {
  try {
    return ctx.adapter.subscribeRequest({ hubUrl: ctx.hubUrl, matchers: spec.matchers, cursor: spec.cursor, cursorInQuery: spec.cursorInQuery, urlOnly, clientId: ctx.clientId });
  } catch (cause) {
    sink.halt(unsendable(cause));
    return undefined;
  }
}

/** The first line of a refusal's body (at most 300 characters), or `''` when it has none. */
async function reasonOf(response: Response): Promise<string> {
  try {
    return (await response.text()).trim().split('\n', 1)[0]?.slice(0, 300) ?? '';
  } catch {
    return '';
  }
}
