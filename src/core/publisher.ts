import { encodeEnvelope } from './envelope.js';
import { SseError, SseNetworkError, SseProtocolError, errorFromResponse } from './errors.js';
import { PublishBatch } from './protocols/publishBatch.js';
import type { AdapterRequest, ProtocolAdapter, PublishInput } from './protocols/types.js';
import { cancel } from './transports/fetch.js';
import type { FetchLike, JsonValue, Platform, PublishOptions } from './types.js';

/** What a {@link Publisher} needs from its driver. */
export interface PublisherContext {
  readonly hubUrl: string;
  readonly clientId: string;
  readonly fetch: FetchLike;
  readonly platform: Platform;
  readonly adapter: ProtocolAdapter;
  /** `RequestInit` merged into publish requests. */
  readonly init: RequestInit | undefined;
  /** Deadline of one publish in ms (0: none). */
  readonly timeout: number;
  /** Headers for the next publish (the `headers` option re-read, plus publisher headers). */
  resolveHeaders(): Promise<Headers>;
  /** Whether the driver was destroyed. */
  destroyed(): boolean;
}

/** Publishing over HTTP: validation, the sse-kit envelope, idempotent ids, a deadline, `whenIdle`. */
export class Publisher {
  readonly #ctx: PublisherContext;
  readonly #inflight = new Set<AbortController>();
  readonly #idleWaiters = new Set<() => void>();

  /** Groups publishes for servers that take several in one request. */
  readonly #batch: PublishBatch | undefined;

  constructor(ctx: PublisherContext) {
    this.#ctx = ctx;
    const batchRequest = ctx.adapter.publishBatchRequest?.bind(ctx.adapter);
    this.#batch = batchRequest && new PublishBatch((updates, signal) => this.#post(updates, signal, () => batchRequest(ctx.hubUrl, updates)));
  }

  /** See `SseDriver.publish`. */
  async publish(topic: string | readonly string[], data: unknown, options: PublishOptions): Promise<string> {
    if (this.#ctx.destroyed()) throw new SseError('closed', 'publish() was called on a destroyed SseDriver.');
    const update = this.#prepare(topic, data, options);
    const controller = new AbortController();
    // Every way a publish ends early (its signal, the deadline, destroy()) aborts the controller, and
    // the publish rejects at once with the reason, even while a headers function is still running.
    const stopped = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort);
    this.#inflight.add(controller);
    const { timeout, platform } = this.#ctx;
    const timer =
      timeout > 0
        ? platform.setTimeout(() => {
            controller.abort(new SseNetworkError(`Publishing got no answer within ${timeout} ms.`, { code: 'timeout', hint: `Retry with the same id (${update.id}) to stay idempotent.` }));
          }, timeout)
        : undefined;
    try {
      return await Promise.race([this.#send(update, controller.signal), stopped]);
    } catch (cause) {
      if (cause instanceof SseError) throw cause;
      if (this.#ctx.destroyed()) throw new SseError('closed', 'The driver was destroyed before the publish completed.', { cause });
      if (options.signal?.aborted) throw new SseError('aborted', 'The publish was aborted.', { cause });
      throw new SseNetworkError('Publishing failed: the hub could not be reached.', { cause, hint: `Retry with the same id (${update.id}) to stay idempotent.` });
    } finally {
      if (timer !== undefined) platform.clearTimeout(timer);
      this.#inflight.delete(controller);
      options.signal?.removeEventListener('abort', onAbort);
      if (this.#inflight.size === 0) for (const resolve of [...this.#idleWaiters]) resolve();
    }
  }

  /** Sends `update` the way the adapter says: its own publish function, a shared batch, or one request. */
  #send(update: PublishInput, signal: AbortSignal): Promise<string> {
    const adapter = this.#ctx.adapter;
    if (adapter.publish) return adapter.publish(update, signal);
    if (this.#batch) {
      // Built alone first: an update the adapter refuses (misuse) fails by itself, not with the batch it would join.
      adapter.publishRequest(this.#ctx.hubUrl, update);
      // Joins the batch synchronously: publishes made in the same task share one request.
      return this.#batch.add(update, signal);
    }
    return this.#post([update], signal, () => adapter.publishRequest(this.#ctx.hubUrl, update)).then((ids) => ids[0] ?? update.id);
  }

  /** Sends one publish request for `updates`; resolves with their ids. */
  async #post(updates: readonly PublishInput[], signal: AbortSignal, build: () => AdapterRequest): Promise<string[]> {
    const headers = await this.#ctx.resolveHeaders();
    signal.throwIfAborted();
    const request = build();
    for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);
    const response = await this.#ctx.fetch(request.url, { ...this.#ctx.init, method: request.method, headers, body: request.body ?? null, signal });
    if (!response.ok) {
      cancel(response.body);
      throw errorFromResponse(response, 'Publishing');
    }
    if (response.headers.get('content-type')?.toLowerCase().startsWith('text/html') === true) {
      // A page (an app's fallback route, a proxy's login form) answered, not a hub: nothing was published.
      cancel(response.body);
      throw new SseProtocolError('Publishing got an HTML page, not a hub answer.', { status: response.status, hint: 'Check the hub url.' });
    }
    const body = await response.text();
    return updates.map((update) => this.#ctx.adapter.publishedId(body, update));
  }

  /**
   * The typed error {@link Publisher.publish} would reject a publish call with before sending it
   * (`misuse`, `unsupported`, `aborted`), whatever the connection's state and whether or not the
   * driver was destroyed, if any: a publish held for later (a queue) is refused when it is made.
   */
  check(topic: string | readonly string[], data: unknown, options: PublishOptions): SseError | undefined {
    try {
      const update = this.#prepare(topic, data, options);
      const adapter = this.#ctx.adapter;
      // The request an adapter refuses to build (misuse) is refused before it is sent.
      if (!adapter.publish) adapter.publishRequest(this.#ctx.hubUrl, update);
    } catch (error) {
      // Anything else (an adapter's own fault) is left to the publish.
      if (error instanceof SseError) return error;
    }
    return undefined;
  }

  /** Validates a publish call (misuse throws at once) and builds the update to send. */
  #prepare(topic: string | readonly string[], data: unknown, options: PublishOptions): PublishInput {
    const adapter = this.#ctx.adapter;
    if (!adapter.capabilities.publish) throw new SseError('unsupported', `The ${adapter.name} server does not take publishes from clients.`, adapter.publishHint === undefined ? {} : { hint: adapter.publishHint });
    const topics = typeof topic === 'string' ? [topic] : [...topic];
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new SseError('misuse', 'publish() needs at least one non-empty topic.');
    }
    if (options.signal?.aborted) throw new SseError('aborted', 'The publish was aborted before it was sent.');
    // Subscribers de-duplicate by this id: an empty one would make every later update with it a duplicate.
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
      throw new SseError('misuse', 'publish() needs a non-empty id.');
    }
    const id = options.id ?? `urn:uuid:${this.#ctx.platform.uuid()}`;
    let body: string;
    if (options.raw) {
      if (typeof data !== 'string') throw new SseError('misuse', 'publish(…, { raw: true }) needs string data.', { hint: 'Serialise the value yourself or drop raw.' });
      body = data;
    } else {
      if (data === undefined) throw new SseError('misuse', 'publish() needs data; undefined is not JSON.', { hint: 'Publish null instead.' });
      try {
        body = encodeEnvelope(id, topics, this.#ctx.clientId, data as JsonValue);
      } catch (cause) {
        throw new SseError('misuse', 'publish() data is not serialisable as JSON.', { cause });
      }
    }
    return { topics, data: body, id, type: options.type, private: options.private === true, retry: options.retry };
  }

  /** Resolves once no publish is in flight (at once when none is), or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.#inflight.size === 0 || this.#ctx.destroyed()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#ctx.platform.clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve();
      };
      const timer = this.#ctx.platform.setTimeout(done, timeoutMs);
      this.#idleWaiters.add(done);
    });
  }

  /** Aborts every publish in flight (they reject with `closed`) and releases `whenIdle` waiters. */
  destroy(): void {
    for (const controller of this.#inflight) controller.abort();
    for (const resolve of [...this.#idleWaiters]) resolve();
  }
}
