import { Emitter } from '../core/emitter.js';
import { SseError } from '../core/errors.js';
import { MAX_TIMER_DELAY } from '../hub/engine/defaults.js';
import { HubEngine, HubError, globalTimers, webRequest } from '../hub/engine/index.js';
import type { HubConnectionHandle, HubSink, HubTimers, HubUpdate, PublishInput, SseFrame } from '../hub/engine/types.js';
import type { FailNextOptions, MockHubEventMap, MockHubOptions, MockLatency, MockRequestRecord, MockSubscription } from './types.js';

const DEFAULT_URL = 'https://mock.hub/.well-known/mercure';
const MAX_RECORDED_REQUESTS = 200;
/** Node's default bound on a request's line and headers (`--max-http-header-size`): past it the Node hub answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;

/** About the bytes of a request's line and headers on the wire (as HTTP/1.1, without the `Host` a client adds). */
function headBytes(request: Request): number {
  const url = new URL(request.url);
  // `GET /path?query HTTP/1.1\r\n`, then `name: value\r\n` per header.
  let bytes = request.method.length + url.pathname.length + url.search.length + 12;
  request.headers.forEach((value, name) => (bytes += name.length + value.length + 4));
  return bytes;
}

interface Failure {
  readonly status: number;
  remaining: number;
  readonly options: FailNextOptions;
}

/**
 * `latency` when timers can hold it: a number of ms from 0 to 2^31-1, or a `[min, max]` range of them.
 * @throws SseError `misuse` otherwise (a timer would fire at once for Infinity or 3e9, and NaN is no delay).
 */
function checkLatency(latency: MockLatency): MockLatency {
  const holds = (ms: unknown): boolean => typeof ms === 'number' && ms >= 0 && ms <= MAX_TIMER_DELAY;
  const ok = Array.isArray(latency) ? latency.length === 2 && holds(latency[0]) && holds(latency[1]) && latency[0] <= latency[1] : holds(latency);
  if (!ok) {
    const given = Array.isArray(latency) ? `[${latency.join(', ')}]` : String(latency);
    throw new SseError('misuse', `MockHub latency must be a number of ms from 0 to ${MAX_TIMER_DELAY}, or a [min, max] range of them with min <= max; got ${given}.`);
  }
  return latency;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * Queuing strategy of subscription bodies: nothing is buffered ahead of the reader, so
 * `desiredSize` is minus the bytes the reader has not taken yet.
 */
const BODY_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 0, size: (chunk) => chunk.byteLength };

/** A frame waiting for its latency: due at `due` on the hub's clock. */
interface Delayed {
  readonly frame: SseFrame;
  readonly due: number;
}

/**
 * One streamed subscription of the mock: applies latency (keeping order), holds frames while
 * the hub is paused, and turns aborts and cuts into stream errors as `fetch` would. Reports
 * the bytes its reader has not taken (queued, delayed or held), so the engine drops a
 * subscriber that stops reading as the Node hub does.
 */
class MockStream implements HubSink {
  readonly #hub: MockHub;
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;
  readonly #held: SseFrame[] = [];
  #heldBytes = 0;
  /** Frames waiting for their latency, in write order. */
  readonly #delayed: Delayed[] = [];
  #delayedBytes = 0;
  #lastDue = 0;
  #open = true;
  readonly #pending = new Set<unknown>();
  readonly #drainWaiters: (() => void)[] = [];
  detach: () => void = () => {};

  constructor(hub: MockHub, controller: ReadableStreamDefaultController<Uint8Array>) {
    this.#hub = hub;
    this.#controller = controller;
  }

  write(frame: SseFrame): void {
    if (!this.#open) return;
    if (this.#hub.paused) {
      this.#held.push(frame);
      this.#heldBytes += frame.bytes.byteLength;
      return;
    }
    const delay = this.#hub.sampleLatency();
    const now = this.#hub.now();
    if (delay <= 0 && this.#delayed.length === 0) {
      this.#controller.enqueue(frame.bytes);
      return;
    }
    const due = Math.max(now + delay, this.#lastDue);
    this.#lastDue = due;
    this.#delayedBytes += frame.bytes.byteLength;
    const entry = { frame, due };
    this.#delayed.push(entry);
    // Delivering every earlier frame first keeps the order even if timers fire out of order.
    this.#later(() => this.#deliverThrough(entry), due - now);
  }

  #deliverThrough(entry: Delayed): void {
    const index = this.#delayed.indexOf(entry);
    // A pause holds frames still in flight too: resume delivers them.
    if (index === -1 || this.#hub.paused) return;
    for (const { frame } of this.#delayed.splice(0, index + 1)) {
      this.#delayedBytes -= frame.bytes.byteLength;
      if (this.#open) this.#controller.enqueue(frame.bytes);
    }
    this.pulled();
  }

  /**
   * Resolves once the reader has taken every byte written (none held by a pause, delayed by
   * latency or queued unread), or once the stream ended.
   */
  whenDrained(): Promise<void> {
    if (!this.#open || (!this.#hub.paused && this.bufferedBytes() === 0)) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Releases {@link MockStream.whenDrained} waiters when drained (the reader pulled, a pause ended, latency elapsed). */
  pulled(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.#open && (this.#hub.paused || this.bufferedBytes() > 0)) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  bufferedBytes(): number {
    const desired = this.#open ? this.#controller.desiredSize : null;
    return Math.max(0, -(desired ?? 0)) + this.#delayedBytes + this.#heldBytes;
  }

  /** Delivers the frames whose latency elapsed during a pause, then writes what was held, in order. */
  flushHeld(): void {
    const now = this.#hub.now();
    // Due times never decrease: the frames due by now are the first ones.
    const overdue = this.#delayed.filter((entry) => entry.due <= now).at(-1);
    if (overdue) this.#deliverThrough(overdue);
    const held = this.#held.splice(0);
    this.#heldBytes = 0;
    for (const frame of held) this.write(frame);
    this.pulled();
  }

  end(reason: 'closed' | 'dropped'): void {
    if (!this.#open) return;
    if (reason === 'closed' && this.#pending.size > 0) {
      this.#later(() => this.end('closed'), Math.max(0, this.#lastDue - this.#hub.now()));
      return;
    }
    this.fail(reason === 'dropped' ? new TypeError('network error: the mock hub dropped the connection') : undefined);
  }

  /** Ends the body: errors it with `error`, or closes it cleanly without. */
  fail(error: unknown): void {
    if (!this.#open) return;
    this.#open = false;
    for (const handle of this.#pending) this.#hub.timers.clearTimeout(handle);
    this.#pending.clear();
    this.#held.length = 0;
    this.#heldBytes = 0;
    this.#delayed.length = 0;
    this.#delayedBytes = 0;
    this.detach();
    this.pulled();
    try {
      if (error === undefined) this.#controller.close();
      else this.#controller.error(error);
    } catch {
      // Already closed by the reader.
    }
  }

  /** Stops without touching the controller (the reader cancelled). */
  cancelled(): void {
    this.#open = false;
    for (const handle of this.#pending) this.#hub.timers.clearTimeout(handle);
    this.#pending.clear();
    this.#held.length = 0;
    this.#heldBytes = 0;
    this.#delayed.length = 0;
    this.#delayedBytes = 0;
    this.detach();
    this.pulled();
  }

  #later(fn: () => void, ms: number): void {
    const handle = this.#hub.timers.setTimeout(() => {
      this.#pending.delete(handle);
      fn();
    }, ms);
    this.#pending.add(handle);
  }
}

/**
 * An in-memory Mercure hub behind a `fetch`-compatible function, for stories and tests:
 * `new SseDriver({ url: hub.url, fetch: hub.fetch })` runs the real driver with no network.
 * It is the same engine as the Node hub, so it validates, authorizes, resumes and emits
 * subscription events the same way. Works in browsers, jsdom and Node; deterministic under
 * fake timers (latency, heartbeats and expirations all go through the injected `timers` and
 * `now`, which default to the globals looked up at call time, so `vi.useFakeTimers()` applies).
 *
 * Without keys it is open (`insecureSkipVerify`): anyone publishes, and tokens (when sent) are
 * decoded without verification so their claims still decide who reads private updates. With
 * `publisherKey`/`subscriberKey` it verifies tokens with `jose`, and a role without a key
 * refuses every token. A subscriber that stops reading is dropped once more than
 * `limits.bufferedBytes` wait for it (also while the hub is paused), or once nothing it was sent
 * has been read for `idleWriteTimeout`, as on the Node hub. A resume replays history page by page,
 * each page once the reader has taken the previous one (a pause holds the replay, not the pages).
 */
export class MockHub {
  /** The hub URL to give clients. */
  readonly url: string;
  /** The engine behind the mock (for advanced inspection). */
  readonly engine: HubEngine;
  /** Timers in use (latency, heartbeats). */
  readonly timers: HubTimers;
  /** The clock in use (ms since epoch), the one `timers` advance. */
  readonly now: () => number;
  readonly #streams = new Set<MockStream>();
  readonly #failures: Failure[] = [];
  readonly #requests: MockRequestRecord[] = [];
  readonly #events = new Emitter<{ request: MockRequestRecord; close: undefined }>();
  readonly #random: () => number;
  readonly #refuseMatcher: ((matcher: string, request: Request) => boolean) | undefined;
  #latency: MockLatency;
  #paused = false;

  /** @param options - engine options plus `url`, `latency`, `timers`, `now`, `random`, `refuseMatcher`. */
  constructor(options: MockHubOptions = {}) {
    const { latency, random, url, timers, now, refuseMatcher, ...engineOptions } = options;
    this.#refuseMatcher = refuseMatcher;
    this.url = new URL(url ?? DEFAULT_URL).href;
    this.timers = timers ?? globalTimers;
    this.now = now ?? (() => Date.now());
    this.#latency = checkLatency(latency ?? 0);
    this.#random = random ?? Math.random;
    const keyed = (engineOptions.publisherKey ?? null) !== null || (engineOptions.subscriberKey ?? null) !== null;
    this.engine = new HubEngine({
      ...engineOptions,
      insecureSkipVerify: engineOptions.insecureSkipVerify ?? !keyed,
      url: this.url,
      timers: this.timers,
      now: this.now,
    });
  }

  /**
   * A `fetch`-compatible function serving this hub: subscriptions stream, publishes answer
   * with the id, other paths 404. Aborting `init.signal` ends the subscription. A request whose
   * line and headers pass 16 KB is answered 431, as the Node hub (Node's HTTP parser) does.
   */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? (typeof Request !== 'undefined' && input instanceof Request ? input.signal : undefined) ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    const request = this.#toRequest(input, init);
    await this.#wait(signal);
    // Refused before reaching the hub, as Node's HTTP parser does: a long matcher list goes by QUERY.
    if (headBytes(request) > MAX_HEAD_BYTES) {
      return this.#record(request, new Response(`Request line and headers exceed ${MAX_HEAD_BYTES} bytes; send long matcher lists with QUERY.\n`, { status: 431, statusText: 'Request Header Fields Too Large', headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    }
    const failure = this.#takeFailure(request.method);
    if (failure !== undefined) return this.#record(request, this.#failureResponse(failure));
    const refused = await this.#refusedMatcher(request);
    if (refused !== undefined) {
      return this.#record(request, new Response(`Refused match: ${JSON.stringify(refused)} is not accepted by this hub.\n`, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    }
    const result = await this.engine.process(webRequest(request, 'mock'));
    if (signal?.aborted) {
      // Aborted during the handshake: no live connection may outlive the rejected fetch.
      if (result?.kind === 'stream') result.connection.close();
      throw abortReason(signal);
    }
    if (result === null) {
      return this.#record(request, new Response('Not found.\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    }
    if (result.kind === 'response') {
      const nullBody = result.status === 204 || result.status === 304;
      return this.#record(request, new Response(nullBody ? null : result.body, { status: result.status, headers: result.headers }));
    }
    return this.#record(request, this.#streamResponse(result.connection, result.status, result.headers, signal));
  };

  /** Whether deliveries are held (see {@link MockHub.pause}). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Number of live subscription connections. */
  get connections(): number {
    return this.engine.connections.length;
  }

  /** Live subscription connections with their matchers. */
  get subscriptions(): readonly MockSubscription[] {
    return this.engine.connections;
  }

  /** Retained updates, oldest first (subscription events included). */
  get history(): readonly HubUpdate[] {
    return this.engine.history;
  }

  /** The last requests served, oldest first (at most 200). */
  get requests(): readonly MockRequestRecord[] {
    return [...this.#requests];
  }

  /**
   * Publishes from the server side (no token needed), validated like an HTTP publish.
   * @returns the update id.
   * @throws HubError on an invalid update.
   */
  publish(input: PublishInput): string {
    return this.engine.publish(input);
  }

  /**
   * Changes the latency of later responses and deliveries.
   * @throws SseError `misuse` for a latency timers cannot hold (see {@link MockHubOptions.latency}); the latency stays as it was.
   */
  setLatency(latency: MockLatency): void {
    this.#latency = checkLatency(latency);
  }

  /** Cuts every live subscription as a network failure would: readers reject, clients reconnect. */
  dropConnections(): void {
    this.engine.dropConnections();
  }

  /**
   * Answers the next request(s) with `status` instead of serving them.
   * @param options - `count` (default 1), `method` filter, `body`, `headers`, `retryAfter`.
   */
  failNext(status: number, options: FailNextOptions = {}): void {
    const count = options.count ?? 1;
    if (count > 0) this.#failures.push({ status, remaining: count, options });
  }

  /** Holds every delivery (those still under their latency too) until {@link MockHub.resume}. Requests are still answered. */
  pause(): void {
    this.#paused = true;
  }

  /** Delivers what was held, in order, and resumes normal delivery. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const stream of [...this.#streams]) stream.flushHeld();
  }

  /**
   * Listens to hub events: `connect`, `disconnect`, `publish`, `reject`, `request`.
   * @returns a function removing the listener.
   */
  on<K extends keyof MockHubEventMap>(event: K, listener: (event: MockHubEventMap[K]) => void): () => void {
    if (event === 'request') {
      return this.#events.on('request', listener as (record: MockRequestRecord) => void);
    }
    return this.engine.on(event as Exclude<K, 'request'>, listener as never);
  }

  /**
   * Resolves once at least `count` subscription connections are live.
   * @throws HubError `unavailable` (rejects) once the hub is closed before they are.
   */
  waitForConnections(count = 1): Promise<void> {
    if (this.connections >= count) return Promise.resolve();
    const closed = (): HubError => new HubError(503, 'unavailable', `The mock hub was closed with ${this.connections} of the ${count} connections awaited.`);
    if (this.engine.closed) return Promise.reject(closed());
    return new Promise((resolve, reject) => {
      const offs = [
        this.engine.on('connect', () => {
          if (this.connections < count) return;
          stop();
          resolve();
        }),
        this.#events.on('close', () => {
          stop();
          reject(closed());
        }),
      ];
      const stop = (): void => offs.forEach((off) => off());
    });
  }

  /**
   * Cuts every live subscription as {@link MockHub.dropConnections} does (readers reject, clients
   * reconnect), forgets history, pending failures and recorded requests, and ends a pause.
   */
  reset(): void {
    this.dropConnections();
    this.engine.clearHistory();
    this.#failures.length = 0;
    this.#requests.length = 0;
    this.#paused = false;
  }

  /** Ends every connection cleanly; later requests get 503, and pending {@link MockHub.waitForConnections} reject. */
  close(): void {
    this.engine.close();
    this.#events.emit('close', undefined);
  }

  /** Draws one latency value (ms). */
  sampleLatency(): number {
    const latency = this.#latency;
    if (typeof latency === 'number') return latency;
    const [min, max] = latency;
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  #toRequest(input: RequestInfo | URL, init: RequestInit | undefined): Request {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const url = new URL(isRequest ? input.url : String(input), this.url).href;
    // The signal is handled here: jsdom's AbortSignal is not accepted by Node's Request.
    const { signal: _signal, window: _window, ...rest } = init ?? {};
    void _signal;
    void _window;
    if (isRequest) {
      return new Request(url, {
        method: input.method,
        headers: input.headers,
        body: input.body,
        ...({ duplex: 'half' } as object),
        ...rest,
      });
    }
    return new Request(url, rest);
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    const delay = this.sampleLatency();
    if (delay <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.timers.clearTimeout(handle);
        reject(abortReason(signal as AbortSignal));
      };
      const handle = this.timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The first matcher of a subscription request that the `refuseMatcher` option refuses. */
  async #refusedMatcher(request: Request): Promise<string | undefined> {
    const refuse = this.#refuseMatcher;
    if (refuse === undefined || (request.method !== 'GET' && request.method !== 'QUERY')) return undefined;
    const params = request.method === 'GET' ? new URL(request.url).searchParams : new URLSearchParams(await request.clone().text());
    for (const name of ['match', 'match_urlpattern', 'topic']) {
      for (const matcher of params.getAll(name)) if (refuse(matcher, request)) return matcher;
    }
    return undefined;
  }

  #takeFailure(method: string): Failure | undefined {
    const index = this.#failures.findIndex((f) => f.options.method === undefined || f.options.method.toUpperCase() === method);
    const failure = this.#failures[index];
    if (failure === undefined) return undefined;
    if (--failure.remaining <= 0) this.#failures.splice(index, 1);
    return failure;
  }

  #failureResponse(failure: Failure): Response {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...failure.options.headers };
    if (failure.options.retryAfter !== undefined) headers['retry-after'] = String(failure.options.retryAfter);
    if (failure.status === 401 && headers['www-authenticate'] === undefined) headers['www-authenticate'] = 'Bearer';
    const nullBody = failure.status === 204 || failure.status === 304;
    return new Response(nullBody ? null : (failure.options.body ?? `Simulated failure (${failure.status}).\n`), { status: failure.status, headers });
  }

  #streamResponse(connection: HubConnectionHandle, status: number, headers: Readonly<Record<string, string>>, signal: AbortSignal | undefined): Response {
    let stream: MockStream | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const sink = new MockStream(this, controller);
          stream = sink;
          const onAbort = (): void => {
            sink.fail(abortReason(signal as AbortSignal));
            connection.close();
          };
          if (signal?.aborted) {
            onAbort();
            return;
          }
          this.#streams.add(sink);
          signal?.addEventListener('abort', onAbort, { once: true });
          sink.detach = () => {
            this.#streams.delete(sink);
            signal?.removeEventListener('abort', onAbort);
          };
          connection.attach(sink);
        },
        pull: () => {
          stream?.pulled();
        },
        cancel: () => {
          stream?.cancelled();
          connection.close();
        },
      },
      BODY_STRATEGY,
    );
    return new Response(body, { status, headers });
  }

  #record(request: Request, response: Response): Response {
    const record: MockRequestRecord = { method: request.method, url: request.url, status: response.status };
    this.#requests.push(record);
    if (this.#requests.length > MAX_RECORDED_REQUESTS) this.#requests.shift();
    this.#events.emit('request', record);
    return response;
  }
}
