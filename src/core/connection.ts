import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import {
  SseError,
  SseGapError,
  SseNetworkError,
  SseProtocolError,
  SseRateLimitError,
  errorFromResponse,
} from './errors.js';
import type { CompiledMatcher } from './matcher.js';
import { buildSubscribeRequest } from './protocol.js';
import type {
  ConnectionStatus,
  DriverEvent,
  EventSourceConstructor,
  EventSourceLike,
  FetchLike,
  Platform,
  Protocol,
  ProtocolOption,
  RawEvent,
} from './types.js';
import { Utf8ChunkDecoder } from './utf8.js';

/** What a connection needs from its driver. */
export interface ConnectionContext {
  readonly hubUrl: string;
  readonly fetch: FetchLike;
  readonly platform: Platform;
  readonly retry: { readonly initialDelay: number; readonly maxDelay: number; readonly factor: number };
  readonly heartbeatTimeout: number;
  readonly maxUrlLength: number;
  readonly maxEventSize: number;
  readonly transport: 'fetch' | 'eventsource';
  readonly EventSource: EventSourceConstructor | undefined;
  readonly withCredentials: boolean;
  readonly protocolOption: ProtocolOption;
  /** The wire format in use, `undefined` while `auto` has not decided yet. */
  protocol(): Protocol | undefined;
  setProtocol(protocol: Protocol): void;
  /** Headers for the next request (the `headers` option re-read, plus subscriber headers). */
  resolveHeaders(): Promise<Headers>;
}

/** Callbacks of a connection. */
export interface ConnectionHandlers {
  onEvent(event: RawEvent, connection: Connection): void;
  onChange(connection: Connection): void;
  /** Called at every healthy open, before its first event, with the cursor the stream resumed from. */
  onOpen(connection: Connection, cursor: string | undefined): void;
  onTimeline(event: DriverEvent): void;
  onError(error: SseError, connection: Connection): void;
  /** Event types to listen for (native `EventSource` only delivers types it was asked for). */
  eventTypes(): readonly string[];
}

const EVENT_STREAM = 'text/event-stream';

/**
 * One SSE stream to the hub for a fixed set of matchers: connects, parses with
 * `eventsource-parser`, resumes from its last event id, backs off with full jitter and watches
 * heartbeats. Matcher changes are made by the driver by replacing whole connections.
 */
export class Connection {
  /** Name used in timeline events (`main`, or `dedicated:<matchers>`). */
  readonly name: string;
  /** The matchers this stream carries. */
  readonly matchers: readonly CompiledMatcher[];
  /** The matcher sources joined by a space (the topic of raw updates whose topic is unknown). */
  readonly source: string;
  #status: ConnectionStatus = 'idle';
  #lastEventId: string | undefined;
  #retries = 0;
  #opens = 0;
  /** Backoff exponent: reset only once a stream delivered bytes, so a hub that accepts and hangs up at once still backs off. */
  #attempt = 0;
  #error: SseError | undefined;

  readonly #ctx: ConnectionContext;
  readonly #handlers: ConnectionHandlers;
  #cursorInQuery: boolean;
  /** Opened beside a live predecessor: its first open cannot have missed anything. */
  #seamless: boolean;
  /** Still the successor of a live stream (not promoted yet). */
  #switching: boolean;
  #generation = 0;
  #abort: AbortController | undefined;
  #retryTimer: unknown;
  #watchdog: unknown;
  #serverRetry: number | undefined;
  #everOpened = false;
  #eventSource: EventSourceLike | undefined;
  readonly #onOnline = () => {
    if (this.#status === 'reconnecting' && this.#retryTimer !== undefined) this.#restart();
  };

  /**
   * @param cursor - event id (or `earliest`) to resume from.
   * @param cursorInQuery - send the cursor as a query parameter on the first request.
   * @param seamless - a predecessor stays open until this one opens, so its first open reports no gap.
   */
  constructor(
    ctx: ConnectionContext,
    handlers: ConnectionHandlers,
    name: string,
    matchers: readonly CompiledMatcher[],
    cursor: string | undefined,
    cursorInQuery: boolean,
    seamless = false,
  ) {
    this.#ctx = ctx;
    this.#handlers = handlers;
    this.name = name;
    this.matchers = matchers;
    this.source = matchers.map((m) => m.source).join(' ');
    this.#lastEventId = cursor;
    this.#cursorInQuery = cursorInQuery;
    this.#seamless = seamless;
    this.#switching = seamless;
  }

  /** The driver made this stream the live one: its events no longer belong to a switch. */
  promoted(): void {
    this.#switching = false;
  }

  /** The driver keeps this stream draining beside its successor: its events belong to the switch again. */
  retiring(): void {
    this.#switching = true;
  }

  /** Current status. */
  get status(): ConnectionStatus {
    return this.#status;
  }
  /** Last event id received (or the cursor it was created with). */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }
  /** How many times this stream opened (it goes up at every reconnect). */
  get opens(): number {
    return this.#opens;
  }
  /** Consecutive failed attempts since the last healthy open. */
  get retries(): number {
    return this.#retries;
  }
  /** Last error, cleared by a healthy open. */
  get error(): SseError | undefined {
    return this.#error;
  }

  /** Opens the stream. */
  start(): void {
    this.#ctx.platform.events?.addEventListener('online', this.#onOnline);
    void this.#connect();
  }

  /** Reconnects at once, forgetting the backoff and any stop caused by an auth error. */
  reconnect(): void {
    if (this.#status === 'closed') return;
    this.#retries = 0;
    this.#attempt = 0;
    this.#restart();
  }

  /** Closes the stream for good and removes every timer and listener. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#teardown();
    this.#ctx.platform.events?.removeEventListener('online', this.#onOnline);
    this.#setStatus('closed');
    this.#handlers.onTimeline({ type: 'closed', connection: this.name });
  }

  #restart(): void {
    this.#teardown();
    void this.#connect();
  }

  /** Invalidates the running attempt: aborts the request, closes an EventSource, clears timers. */
  #teardown(): void {
    this.#generation++;
    this.#abort?.abort();
    this.#abort = undefined;
    this.#eventSource?.close();
    this.#eventSource = undefined;
    this.#clearTimer('retry');
    this.#clearTimer('watchdog');
  }

  #clearTimer(which: 'retry' | 'watchdog'): void {
    const handle = which === 'retry' ? this.#retryTimer : this.#watchdog;
    if (handle !== undefined) this.#ctx.platform.clearTimeout(handle);
    if (which === 'retry') this.#retryTimer = undefined;
    else this.#watchdog = undefined;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#handlers.onChange(this);
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#setStatus(this.#everOpened || this.#retries > 0 ? 'reconnecting' : 'connecting');
    this.#handlers.onTimeline({ type: 'connecting', connection: this.name, resumeFrom: this.#lastEventId, switching: this.#switching });
    if (this.#ctx.transport === 'eventsource') {
      this.#connectEventSource(generation);
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    this.#armWatchdog(generation);

    let headers: Headers;
    try {
      headers = await this.#ctx.resolveHeaders();
    } catch (cause) {
      if (generation === this.#generation) this.#drop(generation, new SseError('unauthorized', 'The headers function threw.', { cause }));
      return;
    }
    if (generation !== this.#generation) return;

    const protocol = this.#ctx.protocol() ?? 'v1';
    const cursor = this.#lastEventId;
    const request = buildSubscribeRequest({
      protocol,
      hubUrl: this.#ctx.hubUrl,
      matchers: this.matchers,
      cursor,
      cursorInQuery: this.#cursorInQuery,
      maxUrlLength: this.#ctx.maxUrlLength,
    });
    for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);

    let response: Response;
    try {
      const init: RequestInit = {
        method: request.method,
        headers,
        signal: abort.signal,
        cache: 'no-store',
        credentials: this.#ctx.withCredentials ? 'include' : 'same-origin',
      };
      if (request.body !== undefined) init.body = request.body;
      response = await this.#ctx.fetch(request.url, init);
    } catch (cause) {
      if (generation === this.#generation) this.#drop(generation, new SseNetworkError('Could not reach the hub.', { cause }));
      return;
    }
    if (generation !== this.#generation) {
      void response.body?.cancel().catch(() => undefined);
      return;
    }

    if (response.status === 204) {
      // The hub asks the client not to reconnect.
      void response.body?.cancel().catch(() => undefined);
      this.close();
      return;
    }
    if (!response.ok) {
      void response.body?.cancel().catch(() => undefined);
      if (response.status === 400 && this.#ctx.protocolOption === 'auto' && protocol === 'v1' && this.#ctx.protocol() !== 'v1') {
        // `auto`: a hub that rejects the v1 parameters may speak the legacy format.
        this.#ctx.setProtocol('legacy');
        void this.#connect();
        return;
      }
      const error = errorFromResponse(response, 'Subscribing');
      if (response.status === 400 || response.status === 401 || response.status === 403) this.#halt(error);
      else this.#drop(generation, error);
      return;
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.toLowerCase().startsWith(EVENT_STREAM) || response.body === null) {
      void response.body?.cancel().catch(() => undefined);
      this.#halt(
        new SseProtocolError(`The hub answered with content type "${contentType}" instead of ${EVENT_STREAM}.`, {
          status: response.status,
          hint: 'Check that the url points at the hub endpoint.',
        }),
      );
      return;
    }
    if (this.#ctx.protocol() === undefined) this.#ctx.setProtocol(protocol);

    this.#opened(cursor, response.headers.get('mercure-last-event-id') ?? response.headers.get('last-event-id'));
    await this.#read(generation, response.body);
  }

  /** Marks a healthy open and checks whether the hub could resume from the cursor. */
  #opened(cursor: string | undefined, resumedFrom: string | null): void {
    this.#opens++;
    this.#cursorInQuery = false;
    this.#everOpened = true;
    this.#retries = 0;
    this.#error = undefined;
    const seamless = this.#seamless;
    this.#seamless = false;
    if (!seamless && cursor !== undefined && cursor !== 'earliest' && resumedFrom !== null && resumedFrom !== cursor) {
      const gap = new SseGapError(cursor, resumedFrom);
      this.#error = gap;
      this.#handlers.onTimeline({ type: 'gap', connection: this.name, error: gap });
      this.#handlers.onError(gap, this);
    }
    this.#handlers.onOpen(this, cursor);
    // Read before the status change: the driver promotes a successor as soon as it is open.
    const switching = this.#switching;
    this.#setStatus('open');
    this.#handlers.onTimeline({ type: 'open', connection: this.name, resumedFrom: cursor, switching });
  }

  async #read(generation: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new Utf8ChunkDecoder();
    let failure: SseError | undefined;
    const parser = createParser({
      maxBufferSize: this.#ctx.maxEventSize,
      onEvent: (message: EventSourceMessage) => {
        if (generation !== this.#generation) return;
        if (message.id !== undefined) this.#lastEventId = message.id;
        this.#handlers.onEvent({ id: message.id ?? '', type: message.event ?? 'message', data: message.data }, this);
      },
      onRetry: (ms: number) => {
        this.#serverRetry = ms;
      },
      onError: (error: ParseError) => {
        if (error.type === 'max-buffer-size-exceeded') {
          failure = new SseProtocolError(`An event exceeded the ${this.#ctx.maxEventSize}-byte limit.`, {
            cause: error,
            hint: 'Raise maxEventSize or publish smaller updates.',
          });
        }
        // Unknown fields and invalid `retry` values are ignored, as the SSE standard says.
      },
    });
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        if (generation === this.#generation) this.#drop(generation, new SseNetworkError('The stream broke.', { cause }));
        return;
      }
      if (generation !== this.#generation) {
        void reader.cancel().catch(() => undefined);
        return;
      }
      if (chunk.done) {
        this.#drop(generation, new SseNetworkError('The hub closed the stream.'));
        return;
      }
      this.#armWatchdog(generation);
      this.#attempt = 0;
      parser.feed(decoder.decode(chunk.value));
      if (generation !== this.#generation) {
        void reader.cancel().catch(() => undefined);
        return;
      }
      if (failure !== undefined) {
        void reader.cancel().catch(() => undefined);
        this.#drop(generation, failure);
        return;
      }
    }
  }

  #connectEventSource(generation: number): void {
    const Ctor = this.#ctx.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    if (Ctor === undefined) {
      this.#halt(new SseError('misuse', 'The eventsource transport needs an EventSource implementation.', { hint: 'Pass the EventSource option or use the fetch transport.' }));
      return;
    }
    const request = buildSubscribeRequest({
      protocol: this.#ctx.protocol() ?? 'v1',
      hubUrl: this.#ctx.hubUrl,
      matchers: this.matchers,
      cursor: this.#lastEventId,
      cursorInQuery: true,
      maxUrlLength: Number.POSITIVE_INFINITY,
    });
    const source = new Ctor(request.url, { withCredentials: this.#ctx.withCredentials });
    this.#eventSource = source;
    const cursor = this.#lastEventId;
    source.addEventListener('open', () => {
      if (generation === this.#generation) this.#opened(cursor, null);
    });
    const onMessage = (event: Event) => {
      if (generation !== this.#generation) return;
      const message = event as MessageEvent<string>;
      if (message.lastEventId !== '') this.#lastEventId = message.lastEventId;
      this.#handlers.onEvent({ id: message.lastEventId, type: message.type, data: message.data }, this);
    };
    for (const type of new Set(['message', 'mercure', ...this.#handlers.eventTypes()])) source.addEventListener(type, onMessage);
    source.addEventListener('error', () => {
      if (generation !== this.#generation) return;
      // CLOSED (2): the browser gave up (HTTP error or wrong content type); retry with our own backoff.
      if (source.readyState === 2) this.#drop(generation, new SseNetworkError('The EventSource connection failed.'));
      else this.#setStatus('reconnecting');
    });
  }

  #armWatchdog(generation: number): void {
    this.#clearTimer('watchdog');
    const timeout = this.#ctx.heartbeatTimeout;
    if (timeout <= 0) return;
    this.#watchdog = this.#ctx.platform.setTimeout(() => {
      this.#watchdog = undefined;
      if (generation !== this.#generation) return;
      this.#drop(generation, new SseNetworkError(`No data from the hub for ${timeout} ms.`, { code: 'timeout', hint: 'The stream was restarted.' }));
    }, timeout);
  }

  /** A fault that retries: records it, then reconnects after a jittered backoff. */
  #drop(generation: number, error: SseError): void {
    if (generation !== this.#generation) return;
    this.#teardown();
    this.#retries++;
    this.#attempt++;
    this.#error = error;
    this.#handlers.onTimeline({ type: 'drop', connection: this.name, error, switching: this.#switching });
    this.#handlers.onError(error, this);
    this.#setStatus('reconnecting');
    if (this.#status === 'closed') return; // the driver closed it on hearing of the drop
    const handle = this.#ctx.platform.setTimeout(() => {
      if (this.#retryTimer !== handle) return;
      this.#retryTimer = undefined;
      void this.#connect();
    }, this.#delay(error));
    this.#retryTimer = handle;
  }

  /** A fault that does not retry by itself (auth, bad request, wrong content type). */
  #halt(error: SseError): void {
    this.#teardown();
    this.#error = error;
    this.#handlers.onTimeline({ type: 'drop', connection: this.name, error, switching: this.#switching });
    this.#handlers.onError(error, this);
    this.#setStatus('error');
  }

  #delay(error: SseError): number {
    const { initialDelay, maxDelay, factor } = this.#ctx.retry;
    const base = this.#serverRetry ?? initialDelay;
    const ceiling = Math.min(maxDelay, base * factor ** Math.max(0, this.#attempt - 1));
    const delay = this.#ctx.platform.random() * ceiling;
    return error instanceof SseRateLimitError && error.retryAfter !== undefined ? Math.max(delay, error.retryAfter) : delay;
  }
}
