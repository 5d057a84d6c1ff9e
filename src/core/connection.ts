import { eventSourceAttempt, fetchAttempt, type AttemptContext, type AttemptSink } from './attempt.js';
import { Backoff, type BackoffPolicy } from './backoff.js';
import { SseError, SseGapError, SseNetworkError } from './errors.js';
import type { CompiledMatcher } from './matcher.js';
import type { ResolvedPlatform } from './platform.js';
import type { ConnectionStatus, DriverEvent, RawEvent } from './types.js';

/** How long a request to a late-headers server must stand unrefused to count as open. */
const LATE_OPEN_MS = 1000;

/** What a connection needs from its driver. */
export interface ConnectionContext extends AttemptContext {
  readonly platform: ResolvedPlatform;
  readonly retry: BackoffPolicy;
  /** A subscribe request without response headers, or an open stream of a server that sends heartbeats without a byte, for this long is restarted (`0`: never). */
  readonly heartbeatTimeout: number;
  /**
   * What the driver's streams learned about the server: `beats` turns `true` once a heartbeat was
   * heard (the server is watched from then on), `false` once it was found to send none.
   */
  readonly server: { beats?: boolean };
  readonly transport: 'fetch' | 'eventsource';
  /** Timeline events. */
  timeline(event: DriverEvent): void;
}

/** Consecutive attempts failing like a CORS refusal after which a stream stops retrying. */
export const CORS_ATTEMPTS = 5;

/**
 * How a stream's first open follows the slot's previous stream: `fresh` (there was none),
 * `seamless` (a live predecessor stays open until this one opened: nothing can be missed), or
 * `resume` (it replaces a stream that was cut: a reopen, checked for gaps).
 */
export type Continuity = 'fresh' | 'seamless' | 'resume';

/** What a connection tells its owner (the stream slot). */
export interface ConnectionHandlers {
  /** Routes an event; returns whether it was news (an update or presence event not seen before), which proves the stream healthy. */
  event(event: RawEvent, connection: Connection): boolean;
  change(connection: Connection): void;
  /** Called at every healthy open, before its first event, with the cursor the stream resumed from. */
  open(connection: Connection, cursor: string | undefined): void;
  error(error: SseError, connection: Connection): void;
}

/**
 * One SSE stream for a fixed set of matchers, over time: status, reconnects with backoff (each try
 * is an attempt), resume from its last event id, the heartbeat watchdog and the gap check. Matcher
 * changes replace whole connections (see the stream slot).
 */
export class Connection {
  /** Name used in timeline events (`main`, or `dedicated:` and its slot key: `since:<id>|`, `raw|`, the matchers). */
  readonly name: string;
  /** The matchers this stream carries. */
  readonly matchers: readonly CompiledMatcher[];
  /** The matcher sources joined by a space (the topic of raw updates whose topic is unknown). */
  readonly source: string;
  /** The protocol adapter's memory of this stream (see `ProtocolAdapter.readEvent`). */
  readonly seen = new Map<string, string>();
  #status: ConnectionStatus = 'idle';
  #lastEventId: string | undefined;
  #retries = 0;
  #opens = 0;
  #error: SseError | undefined;

  readonly #ctx: ConnectionContext;
  readonly #handlers: ConnectionHandlers;
  readonly #backoff: Backoff;
  #cursorInQuery: boolean;
  /** How the next open follows what came before (see {@link Continuity}). */
  #continuity: Continuity;
  /** Part of a matcher switch (a successor not promoted yet, or a draining predecessor). */
  #switching: boolean;
  #generation = 0;
  #stop: (() => void) | undefined;
  #retryTimer: unknown;
  #watchdog: unknown;
  #everOpened = false;
  /** The attempt that already counted as open (a late-headers server is open before its response). */
  #openGeneration = -1;
  /** The error of the last restart of an open stream for silence: a server that accepts the reconnect at once may send no heartbeats. */
  #silence: SseError | undefined;
  readonly #onOnline = () => {
    const corsStop = this.#status === 'error' && this.#error?.code === 'cors';
    if ((this.#status === 'reconnecting' && this.#retryTimer !== undefined) || corsStop) this.#restart();
  };

  /**
   * @param cursor - event id (or `earliest`) to resume from.
   * @param cursorInQuery - send the cursor as a query parameter on the first request.
   * @param continuity - how its first open follows the slot's previous stream (a break-before-make
   *   switch is a `resume`: on a server without history its first open reports a possible loss).
   */
  constructor(
    ctx: ConnectionContext,
    handlers: ConnectionHandlers,
    name: string,
    matchers: readonly CompiledMatcher[],
    cursor: string | undefined,
    cursorInQuery: boolean,
    continuity: Continuity = 'fresh',
  ) {
    this.#ctx = ctx;
    this.#handlers = handlers;
    this.#backoff = new Backoff(ctx.retry, ctx.platform);
    this.name = name;
    this.matchers = matchers;
    this.source = matchers.map((m) => m.source).join(' ');
    this.#lastEventId = cursor;
    this.#cursorInQuery = cursorInQuery;
    this.#continuity = continuity;
    this.#switching = continuity === 'seamless';
  }

  /** Marks whether this stream's events belong to a matcher switch (timeline `switching`). */
  set switching(value: boolean) {
    this.#switching = value;
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
    this.#attempt();
  }

  /** Reconnects at once, forgetting the backoff and any stop caused by an auth error. */
  reconnect(): void {
    if (this.#status === 'closed') return;
    this.#retries = 0;
    this.#backoff.reset();
    this.#restart();
  }

  /** Closes the stream for good and removes every timer and listener. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#teardown();
    this.#ctx.platform.events?.removeEventListener('online', this.#onOnline);
    this.#setStatus('closed');
    this.#ctx.timeline({ type: 'closed', connection: this.name });
  }

  #restart(): void {
    this.#teardown();
    this.#attempt();
  }

  /** Invalidates the running attempt: stops the transport, clears timers. */
  #teardown(): void {
    this.#generation++;
    this.#stop?.();
    this.#stop = undefined;
    this.#backoff.stop();
    this.#clearTimers();
  }

  #clearTimers(): void {
    this.#ctx.platform.clearTimeout(this.#retryTimer);
    this.#ctx.platform.clearTimeout(this.#watchdog);
    this.#retryTimer = undefined;
    this.#watchdog = undefined;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#handlers.change(this);
  }

  /** Starts an attempt; a fault nobody foresaw still ends in the error path, never in an unhandled rejection. */
  #attempt(): void {
    const generation = this.#generation + 1;
    this.#connect().catch((cause: unknown) => this.#drop(generation, new SseError('protocol', 'The connect attempt failed unexpectedly.', { cause })));
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#setStatus(this.#everOpened || this.#retries > 0 ? 'reconnecting' : 'connecting');
    this.#ctx.timeline({ type: 'connecting', connection: this.name, resumeFrom: this.#lastEventId, switching: this.#switching });
    // A listener told of the attempt may have closed the stream (a destroy()): start nothing.
    if (generation !== this.#generation) return;
    const spec = { matchers: this.matchers, cursor: this.#lastEventId, cursorInQuery: this.#cursorInQuery };
    const sink = this.#sink(generation, spec.cursor);
    if (this.#ctx.transport === 'eventsource') {
      this.#stop = eventSourceAttempt(this.#ctx, spec, sink);
      return;
    }
    const abort = new AbortController();
    let lateOpen: unknown;
    this.#stop = () => {
      this.#ctx.platform.clearTimeout(lateOpen);
      abort.abort();
    };
    if (this.#ctx.adapter.capabilities.lateHeaders === true) {
      // The server answers with its first event: a request it did not refuse at once is open (that is its connect deadline).
      lateOpen = this.#ctx.platform.setTimeout(() => sink.opened(undefined), LATE_OPEN_MS);
    } else this.#armWatchdog(generation);
    await fetchAttempt(this.#ctx, spec, abort.signal, sink);
    this.#ctx.platform.clearTimeout(lateOpen);
  }

  /** What the transports report for one attempt, checked against the running generation. */
  #sink(generation: number, from: string | undefined): AttemptSink {
    let cursor = from;
    const current = () => generation === this.#generation;
    return {
      current,
      event: (event: RawEvent) => {
        if (event.id !== '') this.#lastEventId = event.id;
        // A server's control events (a greeting, a channel's unchanged last value) and duplicates
        // prove nothing: one that sends them and hangs up keeps backing off.
        if (this.#handlers.event(event, this)) this.#backoff.reset();
      },
      retry: (ms) => this.#backoff.serverRetry(ms),
      bytes: () => this.#armWatchdog(generation),
      comment: () => {
        // A heartbeat: the server sends them (even if its adapter does not promise them, or it was thought silent).
        this.#ctx.server.beats = true;
        this.#armWatchdog(generation);
      },
      opened: (resumedFrom) => {
        if (!current() || this.#openGeneration === generation) return;
        this.#openGeneration = generation;
        this.#opened(cursor, resumedFrom);
        // The connect deadline ends; silence is watched from now on only on servers that send heartbeats
        // (and not over the native EventSource, which has no deadline: it shows no heartbeat, nor byte).
        if (current() && this.#watchdog !== undefined) this.#armWatchdog(generation);
      },
      drop: (error) => this.#drop(generation, error),
      halt: (error) => {
        if (current()) this.#halt(error);
      },
      done: () => this.close(),
      fallback: (fallback, status) => {
        if (!current()) return;
        this.#ctx.timeline({ type: 'fallback', connection: this.name, status, ...fallback });
        this.#attempt();
      },
      reconnecting: () => {
        // The native EventSource reconnects by itself, resuming from the last id it saw: its next open
        // is a new one, checked against that position.
        this.#openGeneration = -1;
        cursor = this.#lastEventId;
        this.#setStatus('reconnecting');
      },
    };
  }

  /**
   * Marks a healthy open, starts the cursor at the position the hub reports, and checks that
   * nothing was lost: a hub that resumed elsewhere than asked, or a stream that reopens with no
   * position at all (cut before it delivered an id), is a `gap`.
   */
  #opened(cursor: string | undefined, resumedFrom: string | undefined): void {
    const continuity = this.#continuity;
    this.#opens++;
    this.#cursorInQuery = false;
    this.#everOpened = true;
    this.#retries = 0;
    if (this.#error && this.#error === this.#silence && this.#ctx.server.beats === undefined) {
      // Restarted for silence and accepted again at once (the last failure), never heard sending a heartbeat: the server is up and sends none.
      this.#ctx.server.beats = false;
      this.#ctx.timeline({ type: 'fallback', connection: this.name, status: 200, from: 'heartbeats', to: 'none' });
    }
    this.#error = undefined;
    this.#continuity = 'resume';
    this.#backoff.opened();
    let gap: SseGapError | undefined;
    if (continuity === 'seamless' || cursor === 'earliest') gap = undefined;
    // A server without history cannot resume: every reopen may have missed updates, and a stream asked to replay from a cursor gets nothing of it.
    else if (!this.#ctx.adapter.capabilities.history) gap = continuity === 'resume' || cursor !== undefined ? new SseGapError(cursor, undefined, 'unknown') : undefined;
    // The hub names the position in a header, where an IRI id travels in its URI form (RFC 3987: non-ASCII
    // percent-encoded as UTF-8): compare in that form (a lone surrogate, no hub's id, stays and differs).
    else if (cursor !== undefined && resumedFrom !== undefined && resumedFrom !== cursor.replace(/[^\0-\x7f\ud800-\udfff]+/gu, encodeURIComponent)) gap = new SseGapError(cursor, resumedFrom, 'known');
    else if (cursor === undefined && continuity === 'resume') gap = new SseGapError(undefined, resumedFrom, 'unknown');
    if (gap) {
      this.#error = gap;
      this.#ctx.timeline({ type: 'gap', connection: this.name, error: gap });
      this.#handlers.error(gap, this);
    }
    if (cursor === undefined && resumedFrom !== undefined && this.#lastEventId === undefined) this.#lastEventId = resumedFrom;
    this.#handlers.open(this, cursor);
    // Read before the status change: the slot promotes a successor as soon as it is open.
    const switching = this.#switching;
    this.#setStatus('open');
    this.#ctx.timeline({ type: 'open', connection: this.name, resumedFrom: cursor, switching });
  }

  /**
   * Arms the attempt's deadline: its response headers within the heartbeat timeout, then (on servers
   * that send heartbeats, or were heard sending comments after a greeting) a byte within it.
   */
  #armWatchdog(generation: number): void {
    this.#ctx.platform.clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    const open = this.#openGeneration === generation;
    // Open: watched on servers that send heartbeats; on one learned to send none although its adapter
    // promised them, with 8 times the patience, so a stream that died unnoticed does not stay dead.
    const beats = this.#ctx.server.beats ?? (this.#ctx.adapter.capabilities.heartbeats || undefined);
    const timeout = this.#ctx.heartbeatTimeout * (open && beats === false ? 8 : 1);
    if (timeout <= 0 || (open && beats === undefined)) return;
    this.#watchdog = this.#ctx.platform.setTimeout(() => {
      this.#watchdog = undefined;
      const error = new SseNetworkError(`No data from the hub for ${timeout} ms.`, { code: 'timeout', hint: 'The stream was restarted.' });
      if (open) this.#silence = error;
      this.#drop(generation, error);
    }, timeout);
  }

  /** A fault that retries: records it, then reconnects after a jittered backoff. */
  #drop(generation: number, error: SseError): void {
    if (generation !== this.#generation) return;
    if (error.code === 'cors' && this.#retries + 1 >= CORS_ATTEMPTS) {
      // Most likely a CORS refusal that retrying will not fix: stop instead of retrying forever.
      this.#halt(error);
      return;
    }
    this.#teardown();
    const current = this.#generation;
    this.#retries++;
    this.#error = error;
    this.#ctx.timeline({ type: 'drop', connection: this.name, error, switching: this.#switching });
    this.#handlers.error(error, this);
    if (current !== this.#generation) return; // a listener restarted (reconnect(), new headers) or closed it
    this.#setStatus('reconnecting');
    if (this.#status === 'closed') return; // the owner closed it on hearing of the drop
    const handle = this.#ctx.platform.setTimeout(() => {
      if (this.#retryTimer !== handle) return;
      this.#retryTimer = undefined;
      this.#attempt();
    }, this.#backoff.next(error));
    this.#retryTimer = handle;
  }

  /** A fault that does not retry by itself (auth, bad request, wrong content type). */
  #halt(error: SseError): void {
    this.#teardown();
    const current = this.#generation;
    this.#error = error;
    this.#ctx.timeline({ type: 'drop', connection: this.name, error, switching: this.#switching });
    this.#handlers.error(error, this);
    if (current !== this.#generation) return; // a listener restarted (reconnect(), new headers) or closed it
    this.#setStatus('error');
  }
}
