import { Emitter } from '../../core/emitter.js';
import { withoutUndefined } from '../../core/withoutUndefined.js';
import { Connection } from './Connection.js';
import { assertCorsOptions, corsHeaders } from './cors.js';
import { DEFAULT_IDLE_WRITE_TIMEOUT, DEFAULT_LIMITS, HUB_PATH, MAX_TIMER_DELAY, globalTimers, randomUrnUuid } from './defaults.js';
import { Dispatcher } from './Dispatcher.js';
import { cursorForms, uriForm } from './eventIdForms.js';
import { HubError, badRequest, forbidden, missingToken, tooLarge } from './errors.js';
import { ANONYMOUS_GRANTS, MERCURE_DETAIL_TYPE, OPEN_GRANTS, grantsFromClaims } from './grants.js';
import type { Grants } from './grants.js';
import { MemoryTransport } from './transport/MemoryTransport.js';
import { comparePositions } from './transport/types.js';
import type { HistoryEntry, HubTransport, MaybePromise } from './transport/types.js';
import { WorkMeter } from './linearMatcher.js';
import { HEARTBEAT_FRAME, createFrame, formatEvent } from './sseFrame.js';
import { subscriptionTopic, subscriptionsResponse } from './subscriptionsApi.js';
import { TokenVerifier } from './TokenVerifier.js';
import { compileMatcher, isPatternSpec } from './topicMatcher.js';
import type { TopicMatcher } from './topicMatcher.js';
import type {
  ConnectionInfo,
  DisconnectReason,
  HubCorsOptions,
  HubEngineOptions,
  HubEventMap,
  HubLimits,
  HubLogger,
  HubRequest,
  HubResponse,
  HubResult,
  HubStream,
  HubTimers,
  HubUpdate,
  MatcherSpec,
  PublishInput,
  SseFrame,
  SubscriptionDocument,
} from './types.js';
import { AFTER_PREFIX, assertNotReserved, parseForm, parsePublishFields, parseSubscribeParams } from './validation.js';
import type { PublishFields } from './validation.js';
import { webRequest, webResponse } from './webAdapter.js';

/** Adds `by` to `key`'s count in `counts`, forgetting the key once its count is down to zero. */
function count(counts: Map<string, number>, key: string, by: number): void {
  const total = (counts.get(key) ?? 0) + by;
  if (total <= 0) counts.delete(key);
  else counts.set(key, total);
}

const SILENT: HubLogger = { info() {}, warn() {}, error() {} };
/** Updates read from history per replay turn at most (a turn also stops at the per-client work budget and at {@link REPLAY_TURN_BYTES}). */
const REPLAY_PAGE = 64;
/** Bytes a replay turn writes at most (less with a small `bufferedBytes` limit) before waiting for the reader. */
const REPLAY_TURN_BYTES = 64 * 1024;
/** Patterns compiled between two yields to the event loop. */
const COMPILES_PER_TURN = 4;
/** The platform's macrotask scheduler as loaded (fake timers installed later do not stall it). */
const scheduleMacrotask: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? globalThis.setImmediate.bind(globalThis) : ((setTimeout) => (fn: () => void) => void setTimeout(fn, 0))(globalThis.setTimeout);
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => scheduleMacrotask(resolve));
const FORM = 'application/x-www-form-urlencoded';
/**
 * Subscription events are not kept in the history, so their ids carry the log position of the
 * last update dispatched before them: `urn:sse-kit:after:<position>:<random id>` ({@link AFTER_PREFIX},
 * which published ids may not use). A subscriber whose last event was one resumes from there.
 */
const AFTER_ID = /^urn:sse-kit:after:(\d{1,15}(?:-\d{1,15})?):/;
const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'private, no-cache, no-store, must-revalidate, max-age=0',
  'x-accel-buffering': 'no',
};

/**
 * The platform-neutral Mercure hub: matching, dispatch, history, authorization, validation,
 * subscription events and the subscriptions API. It imports nothing from Node, so the same
 * engine serves {@link https://mercure.rocks | Mercure} clients from the Node server and from
 * the in-memory `MockHub`.
 *
 * Front doors call {@link HubEngine.handle} (WHATWG `Request` → `Response`) or, to avoid
 * stream adapters, {@link HubEngine.process} with their own request and sink types.
 */
export class HubEngine {
  readonly #url: string;
  readonly #origin: string;
  readonly #path: string;
  readonly #limits: HubLimits;
  readonly #legacy: boolean;
  readonly #strict: boolean;
  readonly #insecureSkipVerify: boolean;
  readonly #anonymousSubscribers: boolean;
  readonly #anonymousPublishers: boolean;
  readonly #subscriptions: boolean;
  readonly #heartbeat: number;
  readonly #idleWriteTimeout: number;
  readonly #queryToken: boolean;
  readonly #lifetime: number;
  readonly #retryAfter: number;
  readonly #cookieNames: readonly string[];
  readonly #cors: HubCorsOptions | false;
  readonly #audience: readonly string[];
  readonly #log: HubLogger;
  readonly #timers: HubTimers;
  readonly #now: () => number;
  readonly #randomId: () => string;
  readonly #publishers: TokenVerifier;
  readonly #subscribers: TokenVerifier;
  readonly #transport: HubTransport;
  readonly #dispatcher: Dispatcher;
  readonly #connections = new Set<Connection>();
  readonly #perClient = new Map<string, number>();
  /** Topic matchers held per client, across its connections. */
  readonly #matchersHeld = new Map<string, number>();
  readonly #subscriberIds = new Map<string, number>();
  /** Connections whose subscription events announced them (their end is announced too). */
  readonly #announced = new WeakSet<Connection>();
  /** Grants of the claims objects the verifiers cache, so they are parsed once per token. */
  readonly #grantsByClaims = new WeakMap<object, Grants>();
  readonly #events: Emitter<HubEventMap>;
  #heartbeatTimer: unknown;
  #stallTimer: unknown;
  /** The work budget shared by the subscription events of one connection (set while a synchronous transport announces them). */
  #subscriptionMeter: WorkMeter | undefined;
  #nextConnection = 1;
  #closed = false;
  /** Log position of the last update dispatched by this process (see {@link AFTER_PREFIX}). */
  #lastPosition: string | undefined;

  /**
   * @param options - see {@link HubEngineOptions}; all optional.
   * @throws Error on an inconsistent configuration (e.g. CORS credentials with `*`, a limit that is
   * `NaN` or negative).
   */
  constructor(options: HubEngineOptions = {}) {
    const url = new URL(options.url ?? `http://localhost${HUB_PATH}`);
    this.#url = url.href;
    this.#origin = url.origin;
    this.#path = url.pathname.replace(/\/+$/, '') || HUB_PATH;
    this.#limits = { ...DEFAULT_LIMITS, ...withoutUndefined(options.limits ?? {}) };
    for (const [name, value] of Object.entries(this.#limits)) {
      // NaN would switch a limit off silently (every comparison with it is false); a negative one refuses everything.
      if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new Error(`limits.${name} must be a non-negative number (Infinity for none); got ${String(value)}.`);
    }
    this.#legacy = options.legacy ?? true;
    this.#strict = options.strict ?? false;
    this.#insecureSkipVerify = options.insecureSkipVerify ?? false;
    this.#anonymousSubscribers = options.anonymousSubscribers ?? true;
    const publisherKey = options.publisherKey ?? null;
    const subscriberKey = options.subscriberKey === undefined ? publisherKey : options.subscriberKey;
    this.#anonymousPublishers = options.anonymousPublishers ?? publisherKey === null;
    this.#subscriptions = options.subscriptions ?? false;
    this.#heartbeat = options.heartbeat ?? 15_000;
    if (this.#heartbeat > MAX_TIMER_DELAY) {
      // A longer interval would not be honoured: timers fire every millisecond instead.
      throw new Error(`heartbeat must be at most ${MAX_TIMER_DELAY} ms (about 24.8 days), or 0 to disable it; got ${this.#heartbeat}.`);
    }
    this.#idleWriteTimeout = options.idleWriteTimeout ?? DEFAULT_IDLE_WRITE_TIMEOUT;
    this.#queryToken = options.queryToken ?? false;
    this.#lifetime = options.connectionLifetime ?? 0;
    this.#retryAfter = options.retryAfter ?? 5;
    this.#cookieNames = options.cookieNames ?? ['mercureAuthorization', 'mercureAccessToken'];
    this.#cors = options.cors ?? false;
    if (this.#cors !== false) assertCorsOptions(this.#cors);
    this.#audience = options.audience === undefined ? [] : typeof options.audience === 'string' ? [options.audience] : options.audience;
    this.#log = options.log === false || options.log === undefined ? SILENT : options.log;
    const log = this.#log;
    this.#events = new Emitter<HubEventMap>({ onListenerError: (error) => log.error(`a hub event listener threw: ${String(error)}`) });
    this.#timers = options.timers ?? globalTimers;
    this.#now = options.now ?? (() => Date.now());
    this.#randomId = options.randomId ?? randomUrnUuid;
    if (this.#insecureSkipVerify && (publisherKey !== null || subscriberKey !== null)) {
      throw new Error('insecureSkipVerify cannot be combined with a publisher or subscriber key.');
    }
    const verifierOptions = {
      issuer: options.issuer,
      audience: options.audience,
      strict: this.#strict,
      // v1-only hubs follow the spec's token profile: `exp` is required.
      requireExp: this.#strict || !this.#legacy,
      decodeWithoutKey: this.#insecureSkipVerify,
      now: this.#now,
    };
    this.#publishers = new TokenVerifier(publisherKey, verifierOptions);
    this.#subscribers = new TokenVerifier(subscriberKey, verifierOptions);
    this.#dispatcher = new Dispatcher(this.#limits);
    this.#transport = options.transport ?? new MemoryTransport(options.history ?? 1000);
    this.#transport.attach({
      update: (entry) => this.#dispatch(entry),
      subscription: (document) => this.#dispatchSubscription(document),
      lost: (reason) => {
        this.#log.error(`live updates may have been missed (${reason}): dropping every connection so clients resume from history`);
        this.dropConnections();
      },
    });
  }

  /** The hub URL (`…/.well-known/mercure`). */
  get url(): string {
    return this.#url;
  }

  /** The resolved limits. */
  get limits(): HubLimits {
    return this.#limits;
  }

  /** Live connections. */
  get connections(): readonly ConnectionInfo[] {
    return [...this.#connections].map((c) => c.info);
  }

  /** The transport carrying updates, history and presence. */
  get transport(): HubTransport {
    return this.#transport;
  }

  /** Retained updates, oldest first (with the memory transport; empty with others, whose history lives elsewhere). */
  get history(): readonly HubUpdate[] {
    return this.#transport instanceof MemoryTransport ? this.#transport.toArray() : [];
  }

  /**
   * Resolves once the publisher and subscriber keys are loaded. Keys load in the background (a
   * request waits for them), so awaiting this only serves to report a bad key at start-up rather
   * than by refusing every token.
   * @throws Error naming the key that cannot be used (an unreadable PEM, a private key, a
   * malformed JWKS, an empty secret).
   */
  async ready(): Promise<void> {
    for (const [role, verifier] of [['publisher', this.#publishers], ['subscriber', this.#subscribers]] as const) {
      try {
        await verifier.ready();
      } catch (error) {
        throw new Error(`The ${role} key cannot be used: ${error instanceof Error ? error.message : String(error)}.`);
      }
    }
  }

  /** Whether {@link HubEngine.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Listens to hub events.
   * @returns a function removing the listener.
   */
  on<K extends keyof HubEventMap>(event: K, listener: (event: HubEventMap[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Serves a WHATWG `Request`: subscriptions as streaming responses, publishes, the
   * subscriptions API, CORS preflights. Paths outside the hub get 404.
   * @param context - `clientAddress` keys the per-client connection limit.
   */
  async handle(request: Request, context: { readonly clientAddress?: string | undefined } = {}): Promise<Response> {
    const result = await this.process(webRequest(request, context.clientAddress));
    if (result === null) return new Response('Not found.\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    return webResponse(result);
  }

  /**
   * Serves a request in the engine's own terms.
   * @returns the response or stream to send, or `null` when the path is not the hub's.
   */
  async process(request: HubRequest): Promise<HubResult | null> {
    const url = new URL(request.url);
    const path = url.pathname;
    const subscriptionsPath = `${this.#path}/subscriptions`;
    let result: HubResult;
    try {
      if (path === this.#path) {
        result = await this.#hubEndpoint(request, url);
      } else if (this.#subscriptions && (path === subscriptionsPath || path.startsWith(`${subscriptionsPath}/`))) {
        result = await this.#subscriptionsEndpoint(request, url);
      } else if (path === `/.well-known/oauth-protected-resource${this.#path}`) {
        result = this.#metadata();
      } else {
        return null;
      }
    } catch (error) {
      result = this.#reject(request, path, error);
    }
    const cors = corsHeaders(this.#cors, request.header('origin'), false, null);
    return Object.keys(cors).length === 0 ? result : { ...result, headers: { ...result.headers, ...cors } };
  }

  /**
   * Publishes an update from the server side (no token involved). The same validation as for
   * HTTP publishes applies.
   * @returns the update id. A retry of a retained update (same id and content) is acknowledged
   * without dispatching twice; a different update reusing a retained id is dispatched with a
   * fresh hub id, which is returned.
   * @throws HubError 400/403/413 on an invalid update.
   * @throws Error with an asynchronous transport (Redis): use {@link HubEngine.publishAsync}.
   */
  publish(input: PublishInput): string {
    if (!this.#transport.synchronous) {
      throw new Error(`HubEngine.publish() answers at once and needs a synchronous transport; with the ${this.#transport.name} transport use publishAsync().`);
    }
    return this.#accept(this.#publishFields(input)) as string;
  }

  /**
   * Publishes an update from the server side with any transport; see {@link HubEngine.publish}.
   * @throws HubError 400/403/413 on an invalid update, 503 when the transport cannot store it.
   */
  async publishAsync(input: PublishInput): Promise<string> {
    return this.#accept(this.#publishFields(input));
  }

  #publishFields(input: PublishInput): PublishFields {
    const form = new URLSearchParams();
    for (const topic of typeof input.topic === 'string' ? [input.topic] : input.topic) form.append('topic', topic);
    if (input.data !== undefined) form.set('data', input.data);
    if (input.id !== undefined) form.set('id', input.id);
    if (input.type !== undefined) form.set('type', input.type);
    if (input.retry !== undefined) form.set('retry', String(input.retry));
    if (input.private === true) form.set('private', 'on');
    const fields = parsePublishFields(form, this.#limits);
    assertNotReserved(fields.topics, this.#url);
    return fields;
  }

  /** Cuts every live connection as a network failure would; clients reconnect and resume. */
  dropConnections(): void {
    for (const connection of [...this.#connections]) connection.end('dropped', 'dropped');
  }

  /** Ends every live connection cleanly and refuses new requests with 503. */
  close(): void {
    this.#closed = true;
    for (const connection of [...this.#connections]) connection.end('shutdown', 'closed');
    this.#stopTimers();
  }

  /** Forgets the history (live connections stay); asynchronous with an asynchronous transport. */
  clearHistory(): void | Promise<void> {
    return this.#transport.clear();
  }

  // ---------------------------------------------------------------- endpoints

  async #hubEndpoint(request: HubRequest, url: URL): Promise<HubResult> {
    switch (request.method) {
      case 'GET':
      case 'QUERY':
        return this.#subscribe(request, url);
      case 'POST':
        return this.#publishRequest(request, url);
      case 'OPTIONS':
        return {
          kind: 'response',
          status: 204,
          headers: { allow: 'GET, POST, QUERY, OPTIONS', ...corsHeaders(this.#cors, request.header('origin'), true, request.header('access-control-request-headers')) },
          body: '',
        };
      default:
        throw new HubError(405, 'method_not_allowed', `Method ${request.method} is not allowed here.`, { allow: 'GET, POST, QUERY, OPTIONS' });
    }
  }

  async #subscribe(request: HubRequest, url: URL): Promise<HubStream> {
    this.#assertOpen();
    let params = parseForm(url.search.slice(1));
    if (request.method === 'QUERY') {
      const body = await request.body(this.#limits.bodyBytes);
      if (body === null) throw tooLarge(`The request body exceeds ${this.#limits.bodyBytes} bytes.`);
      if (body !== '') {
        if (!isForm(request.header('content-type'))) throw badRequest(`A QUERY subscription body must be ${FORM}.`);
        params = new URLSearchParams([...params, ...parseForm(body)]);
      }
    }
    const parsed = parseSubscribeParams(params, { legacy: this.#legacy, limits: this.#limits });
    const header = request.header('last-event-id');
    const fromHeader = header !== null && header !== '';
    const cursor = fromHeader ? header : parsed.lastEventId;
    // No id is longer than a field in any of its forms (the URI form, the longest, is checked at
    // publish): a longer cursor names nothing, and would be kept and logged for the connection's life.
    if (cursor !== undefined && cursor.length > this.#limits.fieldLength) {
      throw badRequest(`The last event id is longer than any event id may be (${this.#limits.fieldLength} characters).`);
    }
    const token = this.#tokenOf(request, params);
    let grants: Grants = ANONYMOUS_GRANTS;
    if (token !== undefined) grants = await this.#grants(this.#subscribers, token);
    else if (!this.#anonymousSubscribers) throw missingToken('This hub requires a token to subscribe.');
    const client = grants.sub ?? request.clientAddress ?? 'unknown';
    // Limits first: nothing is compiled for a request that will be refused.
    this.#assertCapacity(client, parsed.matchers);
    const matchers = await this.#compileAll(parsed.matchers);
    const resume = await this.#resumePoint(grants, cursor ?? (await this.#head()), fromHeader);
    // Everything below is synchronous: the connection is registered, holding live updates
    // while its history is replayed, before any other update can be dispatched.
    this.#assertOpen();
    this.#assertCapacity(client, parsed.matchers);
    const info: ConnectionInfo = {
      id: String(this.#nextConnection++),
      subscriber: this.#subscriberId(grants),
      matchers: parsed.matchers,
      anonymous: !grants.authenticated,
      client,
      lastEventId: cursor,
      openedAt: this.#now(),
    };
    const connection = new Connection(info, matchers, grants, this.#limits.bufferedBytes, (c, reason) => this.#ended(c, reason));
    const headers: Record<string, string> = { ...EVENT_STREAM_HEADERS, link: this.#link() };
    // Every stream tells where it starts (as the reference hub does), so a client cut before its
    // first update still has a cursor to resume from. An IRI id cannot travel in a header: its URI form does.
    headers['mercure-last-event-id'] = headers['last-event-id'] = uriForm(resume.resumedFrom);
    connection.hold();
    count(this.#perClient, client, 1);
    count(this.#matchersHeld, client, info.matchers.length);
    this.#connections.add(connection);
    this.#dispatcher.add(connection);
    this.#scheduleExpiry(connection);
    if (this.#connections.size === 1) this.#startTimers();
    this.#log.info(`connect #${info.id} subscriber=${logged(info.subscriber)} client=${logged(client)} ${describeMatchers(info.matchers)}${cursor === undefined ? '' : ` last-event-id=${JSON.stringify(cursor)}`}`);
    this.#emit('connect', info);
    // Live updates wait behind the replay, which reads the history up to them.
    void this.#replay(connection, resume.after);
    // A connection already dropped (its first replay turn overflowed its buffer) is never announced.
    if (this.#subscriptions && !connection.ended) this.#subscriptionEvents(connection, true);
    return { kind: 'stream', status: 200, headers, connection };
  }

  async #publishRequest(request: HubRequest, url: URL): Promise<HubResponse> {
    this.#assertOpen();
    const contentType = request.header('content-type');
    if (contentType !== null && !isForm(contentType)) throw badRequest(`Publish requests must be ${FORM}.`);
    const body = await request.body(this.#limits.bodyBytes);
    if (body === null) throw tooLarge(`The request body exceeds ${this.#limits.bodyBytes} bytes.`);
    const token = this.#tokenOf(request, url.searchParams);
    let grants: Grants;
    if (token !== undefined) grants = await this.#grants(this.#publishers, token);
    else if (this.#anonymousPublishers) grants = OPEN_GRANTS;
    else throw missingToken('Publishing requires a token.');
    const fields = parsePublishFields(parseForm(body), this.#limits);
    assertNotReserved(fields.topics, this.#url);
    if (!grants.canPublish(fields.topics)) throw forbidden(`The token does not allow publishing to ${fields.topics.map((t) => `"${t}"`).join(', ')}.`);
    this.#assertOpen();
    const accepted = this.#accept(fields);
    const id = typeof accepted === 'string' ? accepted : await accepted;
    return { kind: 'response', status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', link: this.#link() }, body: id };
  }

  async #subscriptionsEndpoint(request: HubRequest, url: URL): Promise<HubResponse> {
    if (request.method === 'OPTIONS') {
      return { kind: 'response', status: 204, headers: { allow: 'GET, OPTIONS', ...corsHeaders(this.#cors, request.header('origin'), true, request.header('access-control-request-headers')) }, body: '' };
    }
    if (request.method !== 'GET') throw new HubError(405, 'method_not_allowed', `Method ${request.method} is not allowed here.`, { allow: 'GET, OPTIONS' });
    const path = url.pathname;
    const token = this.#tokenOf(request, url.searchParams);
    if (token !== undefined) {
      const grants = await this.#grants(this.#subscribers, token);
      if (!grants.canRead([path])) throw forbidden(`The token does not allow reading ${path}.`);
    } else if (!this.#insecureSkipVerify) {
      throw missingToken('The subscriptions API requires a token.');
    }
    let documents: readonly SubscriptionDocument[];
    let lastId: string | undefined;
    try {
      [documents, lastId] = await Promise.all([this.#transport.subscriptions(), this.#transport.lastId()]);
    } catch (error) {
      throw this.#unavailable('read the subscriptions', error);
    }
    const body = subscriptionsResponse(path, this.#path, documents, lastId ?? 'earliest');
    return { kind: 'response', status: 200, headers: { 'content-type': 'application/ld+json', link: this.#link(), 'cache-control': 'must-revalidate' }, body };
  }

  #metadata(): HubResponse {
    const body = JSON.stringify({
      resource: this.#audience[0] ?? this.#url,
      bearer_methods_supported: this.#queryToken ? ['header', 'query'] : ['header'],
      authorization_details_types_supported: [MERCURE_DETAIL_TYPE],
      mercure_cookie: true,
      mercure_version: 8,
    });
    return { kind: 'response', status: 200, headers: { 'content-type': 'application/json' }, body };
  }

  // ---------------------------------------------------------------- dispatch (through the transport)

  /**
   * Stores and dispatches a validated update. A retry of a retained update (same id, topics,
   * data, type, retry and privacy) is acknowledged with its id and not dispatched again; any
   * other update reusing a retained id gets a fresh hub id (the spec lets hubs ignore the
   * publisher's id), so it is neither lost nor confused with the other one. An id that is another
   * spelling of a retained id (its IRI or URI form, see {@link cursorForms}) counts as reused: one
   * cursor names one update. The transport decides, in the step that appends, so this holds across
   * processes.
   */
  #accept(fields: PublishFields): MaybePromise<string> {
    const update: HubUpdate = {
      id: fields.id ?? this.#randomId(),
      topics: fields.topics,
      data: fields.data,
      type: fields.type,
      retry: fields.retry,
      private: fields.private,
      publishedAt: this.#now(),
    };
    const done = (result: { readonly id: string; readonly appended: boolean }): string => {
      if (!result.appended) this.#log.debug?.(`publish ${result.id}: a retry of a retained update, not dispatched again`);
      else if (result.id !== update.id) this.#log.debug?.(`publish ${update.id}: id (or another spelling of it) already used by another update, stored as ${result.id}`);
      else this.#log.debug?.(`publish ${update.id} topic=${update.topics[0] ?? ''}${update.private ? ' private' : ''}`);
      return result.id;
    };
    const spellings = fields.id === undefined ? [] : cursorForms(fields.id).slice(1);
    const result = this.#transport.append(update, this.#randomId(), spellings);
    if (!(result instanceof Promise)) return done(result);
    return result.then(done, (error: unknown) => {
      throw this.#unavailable('store the update', error);
    });
  }

  /** Delivers an update of the log (from any process) to the matching local connections. */
  #dispatch(entry: HistoryEntry): void {
    this.#lastPosition = entry.position;
    this.#fanOut(entry.update, (connection, frame) => connection.offer(entry.position, frame));
  }

  /** Delivers a subscription event (from any process) to the local connections allowed to see it; never stored. */
  #dispatchSubscription(document: SubscriptionDocument): void {
    const position = this.#lastPosition;
    const update: HubUpdate = {
      id: position === undefined ? this.#randomId() : `${AFTER_PREFIX}${position}:${this.#randomId()}`,
      topics: [document.id],
      data: JSON.stringify({ '@context': 'https://mercure.rocks/', ...document }),
      type: 'mercure',
      retry: undefined,
      private: true,
      publishedAt: this.#now(),
    };
    this.#fanOut(update, (connection, frame) => connection.deliver(frame), this.#subscriptionMeter);
  }

  /**
   * Dispatches an update to the matching local connections.
   * @param meter - a shared work budget (see {@link Dispatcher.forEachRecipient}).
   */
  #fanOut(update: HubUpdate, send: (connection: Connection, frame: SseFrame) => void, meter?: WorkMeter): void {
    const frame = createFrame(formatEvent(update));
    const report = this.#dispatcher.forEachRecipient(update, (connection) => send(connection, frame), meter);
    if (report.skipped > 0) {
      this.#log.warn(`dispatch ${update.id}: work budget spent (${report.units} units), ${report.skipped} pattern(s) counted as not matching`);
    }
    this.#emit('dispatch', report);
    this.#emit('publish', update);
  }

  /**
   * The id of the newest update, where a subscriber without a cursor starts (`earliest` when the
   * history is empty: everything it will hold is newer than the subscriber).
   */
  async #head(): Promise<string> {
    try {
      return (await this.#transport.lastId()) ?? 'earliest';
    } catch (error) {
      throw this.#unavailable('read the history', error);
    }
  }

  /**
   * Where a subscriber resumes from `cursor`.
   * @returns the position to replay after (`null`: from the oldest retained update) and the
   * `Last-Event-ID` response value: the nearest event at or before the cursor the subscriber
   * may see, or `earliest` (also for an unknown cursor: evicted, or from before a restart).
   * @throws HubError 503 when the transport cannot answer.
   */
  async #resumePoint(grants: Grants, cursor: string, fromHeader: boolean): Promise<{ readonly after: string | null; readonly resumedFrom: string }> {
    if (cursor === 'earliest') return { after: null, resumedFrom: 'earliest' };
    try {
      const position = await this.#locate(cursor, fromHeader);
      if (position === undefined) return this.#resumeAfterSubscriptionEvent(cursor);
      const visible = (entry: HistoryEntry): boolean => !entry.update.private || grants.canRead(entry.update.topics);
      // The cursor is usually an update the subscriber saw: look at it alone before scanning back.
      const [own] = await this.#transport.readBefore(position, 1);
      if (own !== undefined && visible(own)) return { after: position, resumedFrom: own.update.id };
      const nearest = (await this.#transport.readBefore(position, this.#limits.historyScan)).find(visible);
      return { after: position, resumedFrom: nearest?.update.id ?? 'earliest' };
    } catch (error) {
      throw this.#unavailable('read the history', error);
    }
  }

  /** The position of the update a cursor names, as sent or in another form (see {@link cursorForms}). */
  async #locate(cursor: string, fromHeader: boolean): Promise<string | undefined> {
    for (const id of cursorForms(cursor, fromHeader)) {
      const position = await this.#transport.locate(id);
      if (position !== undefined) return position;
    }
    return undefined;
  }

  /**
   * Where a subscriber resumes from the id of a subscription event (see {@link AFTER_PREFIX}):
   * after the update it followed, while that update is retained (a position beyond the log counts
   * as its end); `earliest` for any other unknown cursor.
   */
  async #resumeAfterSubscriptionEvent(cursor: string): Promise<{ readonly after: string | null; readonly resumedFrom: string }> {
    const position = AFTER_ID.exec(cursor)?.[1];
    const [before] = position === undefined ? [] : await this.#transport.readBefore(position, 1);
    return before === undefined ? { after: null, resumedFrom: 'earliest' } : { after: before.position, resumedFrom: cursor };
  }

  /**
   * Replays the history after `after` progressively, in pages read from the transport: each
   * page is written once the connection has drained the previous one, each turn bounded in
   * updates, bytes and matching work; filtered by matchers and authorization. The replay ends
   * at the end of the log, or where the first live update held meanwhile starts; then the held
   * live updates not replayed follow. A reader that falls so far behind that the history it
   * still needs is evicted is dropped (it resumes and learns of the gap); a reader that stops
   * reading is dropped by the idle write timeout; a transport failure cuts the connection so
   * the client resumes later. With a synchronous transport (memory) the first turn runs at
   * once, before the stream is returned.
   */
  async #replay(connection: Connection, after: string | null): Promise<void> {
    const turnBytes = Math.max(1, Math.min(REPLAY_TURN_BYTES, Math.floor(this.#limits.bufferedBytes / 4)));
    let cursor = after;
    // Entries asked for per turn: about what the previous turn used, so a turn cut short by its
    // budget does not have the rest of its page sent again by a remote store (Redis) the next turn.
    let pageSize = REPLAY_PAGE;
    try {
      for (let turn = 0; ; turn++) {
        if (turn > 0) await connection.whenDrained();
        if (connection.ended) return;
        const read = this.#transport.readAfter(cursor, pageSize);
        const page = read instanceof Promise ? await read : read;
        if (connection.ended) return;
        const kept = cursor === null ? true : this.#keepsAfter(cursor);
        if (!(kept instanceof Promise ? await kept : kept)) {
          this.#log.warn(`replay #${connection.info.id}: the history after ${JSON.stringify(cursor)} was evicted before the subscriber read it`);
          connection.end('slow', 'dropped');
          return;
        }
        const meter = new WorkMeter(this.#limits.dispatchUnitsPerClient);
        const heldFrom = connection.heldFrom;
        // The end of the log: a short page read to its end.
        let done = page.length < pageSize;
        let bytes = 0;
        let used = 0;
        for (const [index, { position, update }] of page.entries()) {
          // From here on, the live updates held behind the replay cover the rest.
          if (heldFrom !== undefined && comparePositions(position, heldFrom) >= 0) {
            done = true;
            break;
          }
          const accepted = connection.accepts(update, meter);
          // A turn's budget spent mid-update: that update is evaluated again next turn, unless it
          // alone exceeds a turn (then it counts as not matching, as evaluation limits require).
          if (meter.exhausted && index > 0) {
            done = false;
            break;
          }
          cursor = position;
          used++;
          if (accepted && !meter.exhausted) {
            const frame = createFrame(formatEvent(update));
            bytes += frame.bytes.byteLength;
            connection.write(frame);
          }
          if (connection.ended) return;
          if ((meter.exhausted || bytes >= turnBytes) && index < page.length - 1) {
            done = false;
            break;
          }
        }
        if (done) break;
        pageSize = meter.exhausted || bytes >= turnBytes ? Math.max(1, used) : Math.min(REPLAY_PAGE, pageSize * 2);
      }
    } catch (error) {
      this.#log.error(`replay for #${connection.info.id} failed, dropping it: ${String(error)}`);
      connection.end('dropped', 'dropped');
      return;
    }
    connection.release(cursor);
  }

  /** Whether the transport can still replay everything after `position` (see {@link HubTransport.keepsAfter}). */
  #keepsAfter(position: string): MaybePromise<boolean> {
    if (this.#transport.keepsAfter) return this.#transport.keepsAfter(position);
    const check = (entries: readonly HistoryEntry[]): boolean => entries[0]?.position === position;
    const read = this.#transport.readBefore(position, 1);
    return read instanceof Promise ? read.then(check) : check(read);
  }

  #ended(connection: Connection, reason: DisconnectReason): void {
    if (!this.#connections.delete(connection)) return;
    this.#dispatcher.remove(connection);
    if (connection.expiryTimer !== undefined) this.#timers.clearTimeout(connection.expiryTimer);
    const { info } = connection;
    count(this.#perClient, info.client, -1);
    count(this.#matchersHeld, info.client, -info.matchers.length);
    count(this.#subscriberIds, info.subscriber, -1);
    if (this.#connections.size === 0) this.#stopTimers();
    this.#log.info(`disconnect #${info.id} subscriber=${logged(info.subscriber)} reason=${reason} after ${Math.max(0, Math.round((this.#now() - info.openedAt) / 1000))}s`);
    this.#emit('disconnect', { ...info, reason });
    if (this.#subscriptions && !this.#closed && this.#announced.delete(connection)) this.#subscriptionEvents(connection, false);
  }

  #subscriptionDocument(connection: Connection, spec: MatcherSpec, active: boolean): SubscriptionDocument {
    const id = subscriptionTopic(this.#path, spec, connection.info.subscriber);
    const payload = connection.grants.payloadFor(spec);
    return {
      id,
      type: 'Subscription' as const,
      matchType: spec.type,
      match: spec.match,
      subscriber: connection.info.subscriber,
      active,
      ...(payload === undefined ? {} : { payload }),
    };
  }

  /**
   * Announces the subscription events of a connection (one per matcher) through the transport,
   * which fans them out to every process. They are not kept in the update history, so
   * connection churn cannot evict real updates; with a synchronous transport the events of one
   * connection share one dispatch work budget.
   */
  #subscriptionEvents(connection: Connection, active: boolean): void {
    if (active) this.#announced.add(connection);
    this.#subscriptionMeter = new WorkMeter(this.#limits.dispatchUnits);
    try {
      for (const spec of connection.info.matchers) {
        // Ended meanwhile (dropped by one of its own events): its withdrawal was announced already.
        if (active && connection.ended) break;
        const announced = this.#transport.announce(this.#subscriptionDocument(connection, spec, active));
        if (announced instanceof Promise) announced.catch((error: unknown) => this.#log.warn(`subscription event not delivered: ${String(error)}`));
      }
    } finally {
      this.#subscriptionMeter = undefined;
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Compiles the matchers of a subscription, yielding to the event loop between small batches:
   * a request with hundreds of new patterns does not hold up the requests behind it.
   * @throws HubError 400 on an invalid matcher.
   */
  async #compileAll(specs: readonly MatcherSpec[]): Promise<TopicMatcher[]> {
    const matchers: TopicMatcher[] = [];
    let sinceYield = 0;
    for (const spec of specs) {
      if (isPatternSpec(spec) && ++sinceYield > COMPILES_PER_TURN) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      try {
        matchers.push(compileMatcher(spec, this.#url));
      } catch (error) {
        throw badRequest(`Invalid topic matcher "${spec.match}": ${(error as Error).message}`);
      }
    }
    return matchers;
  }

  /** @throws HubError 429 with `Retry-After` beyond the connection caps, the matchers per client or the pattern budgets. */
  #assertCapacity(client: string, specs: readonly MatcherSpec[]): void {
    const retryAfter = { 'retry-after': String(this.#retryAfter) };
    if (this.#connections.size >= this.#limits.connections) {
      throw new HubError(429, 'too_many_connections', `The hub holds as many connections as it accepts (${this.#limits.connections}); try again later.`, retryAfter);
    }
    if ((this.#perClient.get(client) ?? 0) >= this.#limits.connectionsPerClient) {
      throw new HubError(429, 'too_many_connections', `Too many connections for this client (at most ${this.#limits.connectionsPerClient}).`, retryAfter);
    }
    const held = this.#matchersHeld.get(client) ?? 0;
    if (held + specs.length > this.#limits.matchersPerClient) {
      throw new HubError(429, 'over_budget', `Too many topic matchers for this client (at most ${this.#limits.matchersPerClient} across its connections; ${held} held).`, retryAfter);
    }
    this.#dispatcher.admit(client, specs, this.#retryAfter);
  }

  /**
   * The token by precedence: `Authorization: Bearer`, then `access_token` (only with
   * `queryToken`; otherwise its presence is refused with 400), then the cookie.
   * A present `Authorization` header wins: when it is not a well-formed Bearer credential the
   * request is refused rather than authenticated another way.
   * A cookie token on a `POST` is only accepted from the hub's own origin or an allowed CORS
   * origin (`Origin`, else `Referer`), so another site cannot publish with a visitor's cookie.
   * @throws HubError 401 `invalid_request` on a malformed header, 403 on a cross-site cookie POST.
   */
  #tokenOf(request: HubRequest, params: URLSearchParams): string | undefined {
    const authorization = request.header('authorization');
    if (authorization !== null) {
      const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
      if (match?.[1] === undefined) throw new HubError(401, 'invalid_request', 'The Authorization header is not a valid Bearer credential.');
      return match[1];
    }
    const query = params.get('access_token');
    if (query !== null && query !== '') {
      if (!this.#queryToken) {
        throw badRequest('The access_token query parameter is not accepted by this hub: send the token in the Authorization header or the cookie.');
      }
      return query;
    }
    const cookie = request.header('cookie');
    if (cookie !== null) {
      const jar = parseCookies(cookie);
      for (const name of this.#cookieNames) {
        const value = jar.get(name);
        if (value === undefined || value === '') continue;
        if (request.method === 'POST') this.#assertSameSite(request);
        return value;
      }
    }
    return undefined;
  }

  /** Refuses a cookie-authenticated state change coming from another site. */
  #assertSameSite(request: HubRequest): void {
    let origin = request.header('origin');
    if (origin === null) {
      const referer = request.header('referer');
      if (referer !== null) {
        try {
          origin = new URL(referer).origin;
        } catch {
          origin = null;
        }
      }
    }
    if (origin !== null && origin !== 'null') {
      if (origin === this.#origin) return;
      const cors = this.#cors;
      if (cors !== false && cors.origins !== '*' && cors.origins.includes(origin)) return;
    }
    throw forbidden(`A cookie-authenticated request must come from the hub's origin or an allowed CORS origin (got ${origin ?? 'no Origin or Referer'}).`);
  }

  async #grants(verifier: TokenVerifier, token: string): Promise<Grants> {
    const claims = await verifier.verify(token);
    const known = this.#grantsByClaims.get(claims);
    if (known !== undefined) return known;
    const grants = grantsFromClaims(claims, {
      legacy: this.#legacy,
      base: this.#url,
      maxGrants: this.#limits.tokenGrants,
      maxMatcherLength: this.#limits.matcherLength,
    });
    this.#grantsByClaims.set(claims, grants);
    return grants;
  }

  #subscriberId(grants: Grants): string {
    let id = grants.sub ?? this.#randomId();
    const holders = this.#subscriberIds.get(id) ?? 0;
    // The same `sub` on several live connections: keep each subscription unique.
    if (holders > 0) id = `${id}#${this.#nextConnection - 1}`;
    count(this.#subscriberIds, id, 1);
    return id;
  }

  #scheduleExpiry(connection: Connection): void {
    const now = this.#now();
    let deadline = Number.POSITIVE_INFINITY;
    if (connection.grants.exp !== undefined) deadline = connection.grants.exp * 1000;
    if (this.#lifetime > 0) deadline = Math.min(deadline, now + this.#lifetime);
    if (!Number.isFinite(deadline)) return;
    // Timers overflow above 2^31-1 ms (about 24.8 days) and would fire at once: far deadlines
    // are reached in steps.
    const arm = (): void => {
      const left = deadline - this.#now();
      if (left > MAX_TIMER_DELAY) {
        connection.expiryTimer = this.#timers.setTimeout(arm, MAX_TIMER_DELAY);
        return;
      }
      connection.expiryTimer = this.#timers.setTimeout(() => connection.end('expired', 'closed'), Math.max(0, left));
    };
    arm();
  }

  /** Starts the heartbeat and the stalled-socket watch (while someone is connected). */
  #startTimers(): void {
    if (this.#heartbeat > 0 && this.#heartbeatTimer === undefined) {
      this.#heartbeatTimer = this.#timers.setInterval(() => {
        for (const connection of [...this.#connections]) connection.deliver(HEARTBEAT_FRAME);
      }, this.#heartbeat);
    }
    const timeout = this.#idleWriteTimeout;
    if (timeout > 0 && this.#stallTimer === undefined) {
      // A connection is dropped between `timeout` and 1.25 × `timeout` after its socket stalls (a
      // little later for timeouts of months: a longer interval would fire every millisecond).
      this.#stallTimer = this.#timers.setInterval(() => {
        const now = this.#now();
        for (const connection of [...this.#connections]) connection.checkStalled(now, timeout);
      }, Math.min(MAX_TIMER_DELAY, Math.max(1, Math.floor(timeout / 4))));
    }
  }

  #stopTimers(): void {
    if (this.#heartbeatTimer !== undefined) this.#timers.clearInterval(this.#heartbeatTimer);
    if (this.#stallTimer !== undefined) this.#timers.clearInterval(this.#stallTimer);
    this.#heartbeatTimer = undefined;
    this.#stallTimer = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HubError(503, 'unavailable', 'The hub is shutting down.', { 'retry-after': String(this.#retryAfter) });
  }

  /** 503 for a transport that cannot be reached (the cause goes to the log). */
  #unavailable(action: string, cause: unknown): HubError {
    if (cause instanceof HubError) return cause;
    this.#log.error(`cannot ${action} through the ${this.#transport.name} transport: ${cause instanceof Error ? cause.message : String(cause)}`);
    return new HubError(503, 'unavailable', `The hub cannot ${action} right now; retry later.`, { 'retry-after': String(this.#retryAfter) });
  }

  #link(): string {
    return `<${this.#url}>; rel="mercure"`;
  }

  #reject(request: HubRequest, path: string, error: unknown): HubResponse {
    let hubError: HubError;
    if (error instanceof HubError) {
      hubError = error;
    } else {
      this.#log.error(`internal error on ${request.method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      hubError = new HubError(500, 'unavailable', 'Internal hub error.');
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...hubError.headers };
    const metadata = `${this.#origin}/.well-known/oauth-protected-resource${this.#path}`;
    if (hubError.code === 'missing_token') headers['www-authenticate'] = `Bearer resource_metadata="${metadata}"`;
    else if (hubError.code === 'invalid_token' || hubError.code === 'insufficient_scope' || hubError.code === 'invalid_request') {
      headers['www-authenticate'] = `Bearer error="${hubError.code}"`;
    }
    const reason = `${hubError.message}${hubError.detail === undefined ? '' : ` (${hubError.detail})`}`;
    if (hubError.status < 500) {
      this.#log.warn(`rejected ${request.method} ${path} ${hubError.status}: ${reason} client=${request.clientAddress ?? 'unknown'}`);
    }
    this.#emit('reject', { status: hubError.status, reason, method: request.method, path });
    return { kind: 'response', status: hubError.status, headers, body: `${hubError.message}\n` };
  }

  #emit<K extends keyof HubEventMap>(event: K, payload: HubEventMap[K]): void {
    this.#events.emit(event, payload);
  }
}

function isForm(contentType: string | null): boolean {
  return contentType !== null && contentType.split(';')[0]?.trim().toLowerCase() === FORM;
}

/** The cookies of a `Cookie` header by name (the first of a name wins), values unquoted as RFC 6265 allows them to be quoted. */
function parseCookies(header: string): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!jar.has(name)) jar.set(name, value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return jar;
}

/**
 * A value a client chose (a token's `sub`) as it goes into a log line: as is when it is
 * printable ASCII with no space or quote, else quoted as JSON, so it can neither break the line nor
 * pose as the next field.
 */
function logged(value: string): string {
  return /^[!#-~]*$/.test(value) ? value : JSON.stringify(value);
}

function describeMatchers(matchers: readonly MatcherSpec[]): string {
  const shown = matchers.slice(0, 3).map((m) => `${m.type}:${m.match}`).join(' ');
  return `matchers=${matchers.length} [${shown}${matchers.length > 3 ? ' …' : ''}]`;
}
