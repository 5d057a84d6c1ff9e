import { createHash, randomUUID } from 'node:crypto';
import type { HubLogger, HubUpdate, SubscriptionDocument } from '../types.js';
import { comparePositions } from './types.js';
import type { AppendResult, HistoryEntry, HubTransport, TransportListener } from './types.js';

/** Options of {@link RedisTransport.connect}. */
export interface RedisTransportOptions {
  /** The Redis server: `redis://[user:password@]host:port/db` (or `rediss://` for TLS). */
  readonly url: string;
  /** Updates kept for resumption (the history window); `0` disables history. Default 1000. */
  readonly history?: number | undefined;
  /** Prefix of every key and channel, so several hubs can share a database. Default `sse-kit:hub`. */
  readonly prefix?: string | undefined;
  /** Where connection losses and recoveries are logged; omitted or `false` is silent. */
  readonly log?: HubLogger | false | undefined;
  /** How long the first connection may take before {@link RedisTransport.connect} fails (ms). Default 5000. */
  readonly connectTimeout?: number | undefined;
  /** How long one command may take before it fails, e.g. a publish answered 503 (ms). Default 5000. */
  readonly commandTimeout?: number | undefined;
  /**
   * How often this process refreshes its presence (ms). A process silent for four periods is
   * taken for dead: its subscriptions are withdrawn with `active: false` events. Default 5000.
   */
  readonly presenceInterval?: number | undefined;
}

/** The store behind a transport cannot be reached when the hub starts. */
export class HubTransportError extends Error {
  /** Machine-readable code. */
  readonly code = 'transport_unavailable' as const;
  /** The store's URL, without credentials. */
  readonly url: string;

  constructor(url: string, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options);
    this.name = 'HubTransportError';
    this.url = url;
  }
}

/**
 * The part of a node-redis client this transport uses (the `redis` package is loaded lazily,
 * so neither browsers nor the memory transport ever load it).
 */
interface RedisConnection {
  connect(): Promise<unknown>;
  sendCommand(args: readonly string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'end', listener: () => void): unknown;
  close(): Promise<void>;
  destroy(): void;
}

/** A raw stream entry: `[id, [field, value, …]]`, fields written by {@link APPEND}. */
type RawEntry = [string, string[]];

/**
 * The stream keeps at least this many entries, whatever the history window: a process that
 * reads a little late must still find what it has not dispatched yet (with no history at all
 * too). Readers that fall further behind notice it from the entry numbers.
 */
const MIN_RETAINED = 10_000;
const READ_COUNT = 1000;
/** Updates appended by one script call at most. */
const APPEND_BATCH = 128;
const BLOCK_MS = 5000;

/** Orders two stream ids (`ms-seq`) inside Lua. */
const LUA_BEFORE = `
local function before(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end`;

/**
 * Appends a batch of updates atomically, in order, so retries stay idempotent across processes
 * (within a batch too). KEYS: log, ids, order, counter. ARGV: retained length, then five per
 * update: id, fresh id, content, publishedAt, the other spellings of the id joined by line feeds
 * (ids hold no control character). Entry fields: `id`, `u` (content), `at`, `n` (entry number,
 * contiguous). The id index is trimmed with the stream. Returns `{appended (0|1), id, …}`, two per update.
 */
const APPEND = `${LUA_BEFORE}
local out = {}
local added = false
for i = 2, #ARGV, 5 do
  local id = ARGV[i]
  local retry = false
  local known = redis.call('HGET', KEYS[2], id)
  local e = known and redis.call('XRANGE', KEYS[1], known, known) or {}
  if #e > 0 then
    if e[1][2][4] == ARGV[i + 2] then retry = true else id = ARGV[i + 1] end
  else
    for other in string.gmatch(ARGV[i + 4], '[^\\n]+') do
      if redis.call('HEXISTS', KEYS[2], other) == 1 then
        id = ARGV[i + 1]
        break
      end
    end
  end
  if retry then
    out[#out + 1] = 0
  else
    local n = redis.call('INCR', KEYS[4])
    local eid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', id, 'u', ARGV[i + 2], 'at', ARGV[i + 3], 'n', n)
    redis.call('HSET', KEYS[2], id, eid)
    redis.call('RPUSH', KEYS[3], id)
    added = true
    out[#out + 1] = 1
  end
  out[#out + 1] = id
end
if not added then return out end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
while true do
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head then break end
  local at = redis.call('HGET', KEYS[2], head)
  if at and not before(at, first) then break end
  redis.call('LPOP', KEYS[3])
  if at then redis.call('HDEL', KEYS[2], head) end
end
return out`;

/**
 * The entry id of an update inside the window, or of the newest one that left it (numbered
 * `newest - window`: everything after it is inside). KEYS: log, ids, counter. ARGV: id, window.
 */
const LOCATE = `
if ARGV[2] == '0' then return false end
local eid = redis.call('HGET', KEYS[2], ARGV[1])
if not eid then return false end
local e = redis.call('XRANGE', KEYS[1], eid, eid)
if #e == 0 then return false end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(e[1][2][8]) < last - tonumber(ARGV[2]) then return false end
return eid`;

/**
 * Entries up to a position, newest first, inside the window and down to the newest one that left
 * it (see {@link LOCATE}). KEYS: log, counter. ARGV: position, limit, window.
 */
const READ_BEFORE = `
if ARGV[3] == '0' then return {} end
local floor = tonumber(redis.call('GET', KEYS[2]) or '0') - tonumber(ARGV[3])
local out = {}
for _, e in ipairs(redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', ARGV[2])) do
  if tonumber(e[2][8]) < floor then break end
  out[#out + 1] = e
end
return out`;

/** The first page of the window, oldest first. KEYS: log. ARGV: window, limit. */
const READ_WINDOW = `
local w = tonumber(ARGV[1])
if w == 0 then return {} end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', w)
if #newest == 0 then return {} end
return redis.call('XRANGE', KEYS[1], newest[#newest][1], '+', 'COUNT', ARGV[2])`;

/** Whether a process other than `self` in the set `processes` holds subscription `id` (presence hashes `prefix .. process`). */
const LUA_HELD_ELSEWHERE = `
local function heldElsewhere(processes, prefix, self, id)
  for _, process in ipairs(redis.call('ZRANGE', processes, 0, -1)) do
    if process ~= self and redis.call('HEXISTS', prefix .. process, id) == 1 then return true end
  end
  return false
end`;

/**
 * Withdraws, atomically, the subscriptions of every other process that stopped refreshing its
 * presence: removes it from the live set, publishes the `active: false` event stored with each of
 * its subscriptions (see {@link storedPresence}) and deletes its presence. A process that is alive
 * after all finds itself missing from the live set afterwards and announces its subscriptions again.
 * KEYS: processes. ARGV: cutoff score, presence key prefix, channel, this process.
 */
const REAP = `${LUA_HELD_ELSEWHERE}
for _, process in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  if process ~= ARGV[4] then
    redis.call('ZREM', KEYS[1], process)
    local key = ARGV[2] .. process
    local fields = redis.call('HGETALL', key)
    redis.call('DEL', key)
    for i = 1, #fields, 2 do
      local inactive = string.match(fields[i + 1], '^[^\\n]*\\n[^\\n]*\\n(.*)$')
      if inactive and not heldElsewhere(KEYS[1], ARGV[2], process, fields[i]) then redis.call('PUBLISH', ARGV[3], inactive) end
    end
  end
end
return 0`;

/**
 * Withdraws one subscription of this process, announcing its end unless another process holds the
 * same subscription (the same token `sub` and matcher on two processes). Sent with EVAL, so it
 * keeps its place among the commands around it. KEYS: processes. ARGV: presence key prefix, this
 * process, subscription id, the `active: false` event, channel.
 */
const WITHDRAW = `${LUA_HELD_ELSEWHERE}
redis.call('HDEL', ARGV[1] .. ARGV[2], ARGV[3])
if heldElsewhere(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('PUBLISH', ARGV[5], ARGV[4])
return 1`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const SCRIPTS = { APPEND, LOCATE, READ_BEFORE, READ_WINDOW, REAP } as const;
const SHAS = Object.fromEntries(Object.entries(SCRIPTS).map(([name, source]) => [name, sha1(source)])) as Record<keyof typeof SCRIPTS, string>;

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}

function content(update: HubUpdate): string {
  return JSON.stringify([update.topics, update.data, update.type ?? null, update.retry ?? null, update.private ? 1 : 0]);
}

function decode([position, fields]: RawEntry): HistoryEntry {
  const [topics, data, type, retry, isPrivate] = JSON.parse(fields[3] ?? '[]') as [string[], string, string | null, number | null, number];
  return {
    position,
    update: { id: fields[1] ?? '', topics, data, type: type ?? undefined, retry: retry ?? undefined, private: isPrivate === 1, publishedAt: Number(fields[5]) },
  };
}

/**
 * How a subscription of this process is stored in its presence hash: its order, the document, and
 * the `active: false` event announcing its end, one per line (JSON text holds no raw line break),
 * so whichever process withdraws it publishes that event without parsing anything.
 */
function storedPresence(seq: number, document: SubscriptionDocument): string {
  return `${seq}\n${JSON.stringify(document)}\n${JSON.stringify({ ...document, active: false })}`;
}

/** Reads a value written by {@link storedPresence}. */
function readPresence(value: string): { readonly s: number; readonly d: SubscriptionDocument; readonly inactive: string } {
  const [s = '0', d = '{}', inactive = '{}'] = value.split('\n');
  return { s: Number(s), d: JSON.parse(d) as SubscriptionDocument, inactive };
}

/** An append waiting to be sent: the script arguments of its update, and its caller. */
interface PendingAppend {
  readonly args: readonly [string, string, string, string, string];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** `setImmediate` as loaded, so fake timers in a test process cannot stall appends. */
const realSetImmediate = globalThis.setImmediate;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Several hub processes on Redis Streams. Publishing appends to one stream (`XADD … MAXLEN ~`)
 * through a Lua script that keeps an index from update id to entry id (trimmed with the
 * stream), so a retried id is recognised by every process. Each process reads new entries with
 * a blocking `XREAD` on its own connection and hands them to its engine; when Redis comes back
 * after a loss it reads on from the last entry it saw. Subscription events go over pub/sub
 * (never into the history); presence lives in one hash per process, refreshed while it runs.
 *
 * Create it with {@link RedisTransport.connect}; `createHub({ transport: 'redis://…' })` does.
 */
export class RedisTransport implements HubTransport {
  readonly name = 'redis';
  readonly synchronous = false;
  readonly #url: string;
  readonly #window: number;
  readonly #retained: number;
  readonly #commandTimeout: number;
  readonly #presenceInterval: number;
  readonly #log: HubLogger | undefined;
  readonly #keys: { readonly log: string; readonly ids: string; readonly order: string; readonly counter: string; readonly processes: string; readonly channel: string; readonly presence: (process: string) => string };
  readonly #process = randomUUID();
  readonly #command: RedisConnection;
  readonly #reader: RedisConnection;
  readonly #events: RedisConnection;
  /** This process's live subscriptions: document id → stored JSON. */
  readonly #presence = new Map<string, string>();
  /**
   * Subscriptions of this process that ended while Redis could not be reached: id → their
   * `active: false` event, announced at the next presence refresh that reaches Redis.
   */
  readonly #unannounced = new Map<string, string>();
  #presenceSeq = 0;
  #presenceTimer: ReturnType<typeof setInterval> | undefined;
  #listener: TransportListener | undefined;
  #lastRead = '0-0';
  #lastNumber = 0;
  #closed = false;
  /** The presence refresh under way, if any (one at a time; {@link RedisTransport.close} waits for it). */
  #refreshing: Promise<void> | undefined;
  #reading: Promise<void> | undefined;
  /** Appends waiting for the end of this turn of the event loop (see {@link RedisTransport.append}). */
  #appends: PendingAppend[] = [];

  private constructor(options: RedisTransportOptions, clients: readonly [RedisConnection, RedisConnection, RedisConnection]) {
    this.#url = withoutCredentials(options.url);
    this.#window = Math.max(0, Math.floor(options.history ?? 1000));
    // One beyond the window: the newest update that left it stays a resume point.
    this.#retained = Math.max(this.#window + 1, MIN_RETAINED);
    this.#commandTimeout = options.commandTimeout ?? 5000;
    this.#presenceInterval = options.presenceInterval ?? 5000;
    this.#log = options.log === false ? undefined : options.log;
    const prefix = options.prefix ?? 'sse-kit:hub';
    this.#keys = {
      log: `${prefix}:log`,
      ids: `${prefix}:ids`,
      order: `${prefix}:order`,
      counter: `${prefix}:n`,
      processes: `${prefix}:processes`,
      channel: `${prefix}:subscriptions`,
      presence: (process) => `${prefix}:presence:${process}`,
    };
    [this.#command, this.#reader, this.#events] = clients;
  }

  /**
   * Connects to Redis (three connections: commands, the blocking reader, subscription events).
   * @throws HubTransportError when Redis cannot be reached within `connectTimeout`.
   */
  static async connect(options: RedisTransportOptions): Promise<RedisTransport> {
    const url = withoutCredentials(options.url);
    const { createClient } = await import('redis');
    const log = options.log === false ? undefined : options.log;
    let connected = false;
    let failure: HubTransportError | undefined;
    const deadline = Date.now() + (options.connectTimeout ?? 5000);
    const make = (role: string): RedisConnection => {
      let reported = false;
      const client = createClient({
        url: options.url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: options.connectTimeout ?? 5000,
          // Before the first connection: retry until the deadline, then fail. After: retry forever.
          reconnectStrategy: (retries, cause) => {
            if (!connected && Date.now() >= deadline) return (failure ??= new HubTransportError(url, `Cannot reach Redis at ${url}: ${cause.message}`, { cause }));
            return Math.min(50 * 2 ** retries, 1000);
          },
        },
      }) as unknown as RedisConnection;
      client.on('error', (error) => {
        if (!connected || reported) return;
        reported = true;
        log?.error(`redis ${role} connection lost (${error.message}); retrying`);
      });
      client.on('ready', () => {
        if (reported) log?.info(`redis ${role} connection restored`);
        reported = false;
      });
      return client;
    };
    const clients = [make('command'), make('reader'), make('events')] as const;
    try {
      await Promise.all(clients.map((client) => client.connect()));
      connected = true;
      const transport = new RedisTransport(options, clients);
      // The first commands can still be refused (e.g. NOAUTH: the server wants a password).
      await transport.#init();
      return transport;
    } catch (error) {
      for (const client of clients) {
        try {
          client.destroy();
        } catch {
          // Already closed by its reconnect strategy.
        }
      }
      throw failure ?? new HubTransportError(url, `Cannot reach Redis at ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async #init(): Promise<void> {
    const [newest, counter] = (await Promise.all([
      this.#command.sendCommand(['XREVRANGE', this.#keys.log, '+', '-', 'COUNT', '1']),
      this.#command.sendCommand(['GET', this.#keys.counter]),
    ])) as [RawEntry[], string | null];
    // The newest entry's own number: an append between the two reads is then read, not taken for a gap.
    this.#lastRead = newest[0]?.[0] ?? '0-0';
    this.#lastNumber = Number(newest[0]?.[1][7] ?? counter ?? 0);
    await this.#events.subscribe(this.#keys.channel, (message) => {
      try {
        this.#listener?.subscription(JSON.parse(message) as SubscriptionDocument);
      } catch (error) {
        this.#log?.error(`unreadable subscription event: ${String(error)}`);
      }
    });
  }

  attach(listener: TransportListener): void {
    if (this.#listener !== undefined) throw new Error('This transport already serves a hub engine.');
    this.#listener = listener;
    this.#reading = this.#read();
    this.#presenceTimer = setInterval(() => void this.#refresh(), this.#presenceInterval);
    this.#presenceTimer.unref();
    void this.#refresh();
  }

  /** Reads new entries, in order, for as long as the transport is open; survives Redis restarts. */
  async #read(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      let reply: [string, RawEntry[]][] | null;
      try {
        reply = (await this.#reader.sendCommand(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS', this.#keys.log, this.#lastRead])) as [string, RawEntry[]][] | null;
        if (failures > 0) this.#log?.info('reading the Redis log again');
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        // Once per run of failures: a lost connection is reported by the client too, a refused read
        // (WRONGTYPE: the log key holds something else) only here.
        if (failures === 0) this.#log?.error(`reading the Redis log failed (${error instanceof Error ? error.message : String(error)}); retrying`);
        await sleep(Math.min(1000, 50 * 2 ** failures++));
        continue;
      }
      for (const raw of reply?.[0]?.[1] ?? []) {
        this.#lastRead = raw[0];
        const number = Number(raw[1][7]);
        if (number !== this.#lastNumber + 1) {
          this.#listener?.lost(number > this.#lastNumber ? `${number - this.#lastNumber - 1} entries were trimmed before this process read them` : 'the Redis log was reset');
        }
        this.#lastNumber = number;
        try {
          this.#listener?.update(decode(raw));
        } catch (error) {
          // One bad entry or a failing dispatch must not stop this process from reading.
          this.#log?.error(`entry ${raw[0]} not dispatched: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }

  /** Runs a command, failing after the command timeout. */
  async #send(args: readonly string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#commandTimeout} ms`)), this.#commandTimeout);
    });
    try {
      return await Promise.race([this.#command.sendCommand(args), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a script by its hash, loading it when Redis does not know it (e.g. after a restart). */
  async #script(name: keyof typeof SCRIPTS, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.#send(['EVALSHA', SHAS[name], String(keys.length), ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#send(['EVAL', SCRIPTS[name], String(keys.length), ...keys, ...args]);
    }
  }

  /**
   * Appends made during one turn of the event loop (the publishes of one I/O phase) go to Redis
   * together, in one script call per {@link APPEND_BATCH}: one round trip instead of one each.
   */
  append(update: HubUpdate, freshId: string, spellings: readonly string[] = []): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      const waiting = this.#appends.push({ args: [update.id, freshId, content(update), String(update.publishedAt), spellings.join('\n')], resolve, reject });
      if (waiting === 1) realSetImmediate(() => this.#sendAppends());
    });
  }

  #sendAppends(): void {
    const waiting = this.#appends;
    this.#appends = [];
    const k = this.#keys;
    for (let start = 0; start < waiting.length; start += APPEND_BATCH) {
      const batch = waiting.slice(start, start + APPEND_BATCH);
      // Sent in order on one connection, so Redis runs them in that order; the one exception is a batch
      // resent after NOSCRIPT (Redis restarted and lost the script), which runs after the batches behind it.
      this.#script('APPEND', [k.log, k.ids, k.order, k.counter], [String(this.#retained), ...batch.flatMap((pending) => pending.args)]).then(
        (reply) => {
          const results = reply as (number | string)[];
          batch.forEach((pending, i) => pending.resolve({ appended: results[2 * i] === 1, id: String(results[2 * i + 1]) }));
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      );
    }
  }

  async locate(id: string): Promise<string | undefined> {
    const k = this.#keys;
    const found = (await this.#script('LOCATE', [k.log, k.ids, k.counter], [id, String(this.#window)])) as string | null;
    return found ?? undefined;
  }

  async readAfter(position: string | null, limit: number): Promise<HistoryEntry[]> {
    const raw =
      position === null
        ? ((await this.#script('READ_WINDOW', [this.#keys.log], [String(this.#window), String(limit)])) as RawEntry[])
        : ((await this.#send(['XRANGE', this.#keys.log, `(${position}`, '+', 'COUNT', String(limit)])) as RawEntry[]);
    return raw.map(decode);
  }

  async readBefore(position: string, limit: number): Promise<HistoryEntry[]> {
    const k = this.#keys;
    return ((await this.#script('READ_BEFORE', [k.log, k.counter], [position, String(limit), String(this.#window)])) as RawEntry[]).map(decode);
  }

  /** Whether the stream still holds the entry at `position`, so nothing after it was trimmed (the window does not matter here). */
  async keepsAfter(position: string): Promise<boolean> {
    const [first] = (await this.#send(['XRANGE', this.#keys.log, '-', '+', 'COUNT', '1'])) as RawEntry[];
    return first !== undefined && comparePositions(first[0], position) <= 0;
  }

  async lastId(): Promise<string | undefined> {
    if (this.#window === 0) return undefined;
    const newest = (await this.#send(['XREVRANGE', this.#keys.log, '+', '-', 'COUNT', '1'])) as RawEntry[];
    return newest[0]?.[1][1];
  }

  async announce(document: SubscriptionDocument): Promise<void> {
    const key = this.#keys.presence(this.#process);
    // Every command is sent at once, so announcements reach Redis (and the other processes) in
    // call order: awaiting each one would let a later withdrawal overtake the arrival it ends.
    const sent: Promise<unknown>[] = [];
    let rejoined: Promise<unknown> | undefined;
    if (document.active) {
      const stored = storedPresence(this.#presenceSeq++, document);
      this.#unannounced.delete(document.id);
      this.#presence.set(document.id, stored);
      sent.push(this.#send(['HSET', key, document.id, stored]), (rejoined = this.#send(['ZADD', this.#keys.processes, String(Date.now()), this.#process])));
      sent.push(this.#send(['PUBLISH', this.#keys.channel, JSON.stringify(document)]));
    } else {
      this.#presence.delete(document.id);
      const inactive = JSON.stringify(document);
      sent.push(
        this.#withdraw(document.id, inactive).catch((error: unknown) => {
          // Not announced: every process would keep the subscription for live. The next refresh tells them.
          if (!this.#presence.has(document.id)) this.#unannounced.set(document.id, inactive);
          throw error;
        }),
      );
    }
    await Promise.all(sent);
    if ((await rejoined) === 1) await this.#announceAgain();
  }

  /** Removes a subscription from this process's presence and publishes `inactive` unless another process holds it too. */
  #withdraw(id: string, inactive: string): Promise<unknown> {
    return this.#send(['EVAL', WITHDRAW, '1', this.#keys.processes, this.#keys.presence(''), this.#process, id, inactive, this.#keys.channel]);
  }

  /**
   * Writes and announces again every subscription of this process. Called when it finds itself
   * missing from the live set: another process took it for dead (it could not refresh, e.g. while
   * Redis was away) and told every process its subscriptions ended, or Redis lost its data.
   */
  async #announceAgain(): Promise<void> {
    if (this.#presence.size === 0) return;
    const sent = [this.#send(['HSET', this.#keys.presence(this.#process), ...[...this.#presence].flat()])];
    for (const stored of this.#presence.values()) sent.push(this.#send(['PUBLISH', this.#keys.channel, JSON.stringify(readPresence(stored).d)]));
    await Promise.all(sent);
  }

  /** Starts a presence refresh unless one is under way or the transport is closed. */
  #refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#refreshing ??= this.#refreshPresence().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /**
   * Rewrites this process's presence (it survives a Redis restart without persistence), and
   * withdraws the subscriptions of processes that stopped refreshing theirs (killed), telling
   * every process they are gone.
   */
  async #refreshPresence(): Promise<void> {
    const key = this.#keys.presence(this.#process);
    try {
      const rejoined = (await this.#send(['ZADD', this.#keys.processes, String(Date.now()), this.#process])) === 1;
      // Fields this process no longer holds (a withdrawal that failed while Redis was away) go.
      const stored = (await this.#send(['HKEYS', key])) as string[];
      const gone = stored.filter((id) => !this.#presence.has(id));
      if (gone.length > 0) await this.#send(['HDEL', key, ...gone]);
      for (const [id, inactive] of [...this.#unannounced]) {
        await this.#withdraw(id, inactive);
        if (this.#unannounced.get(id) === inactive) this.#unannounced.delete(id);
      }
      if (rejoined) await this.#announceAgain();
      else if (this.#presence.size > 0) await this.#send(['HSET', key, ...[...this.#presence].flat()]);
      await this.#script('REAP', [this.#keys.processes], [String(Date.now() - 4 * this.#presenceInterval), this.#keys.presence(''), this.#keys.channel, this.#process]);
    } catch (error) {
      this.#log?.warn(`presence refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async subscriptions(): Promise<SubscriptionDocument[]> {
    const live = (await this.#send(['ZRANGEBYSCORE', this.#keys.processes, String(Date.now() - 4 * this.#presenceInterval), '+inf'])) as string[];
    if (!live.includes(this.#process) && this.#presence.size > 0) live.push(this.#process);
    const documents: { readonly process: number; readonly s: number; readonly d: SubscriptionDocument }[] = [];
    const stored = (await Promise.all(live.map((process) => this.#send(['HVALS', this.#keys.presence(process)])))) as string[][];
    stored.forEach((values, process) => {
      for (const value of values) {
        const { s, d } = readPresence(value);
        documents.push({ process, s, d });
      }
    });
    // The same subscription held by several processes (one token `sub` on each) is listed once.
    const seen = new Set<string>();
    return documents
      .sort((a, b) => a.process - b.process || a.s - b.s)
      .filter((entry) => {
        if (seen.has(entry.d.id)) return false;
        seen.add(entry.d.id);
        return true;
      })
      .map((entry) => entry.d);
  }

  async clear(): Promise<void> {
    await this.#send(['DEL', this.#keys.log, this.#keys.ids, this.#keys.order]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#presenceTimer);
    // A refresh finishing after the withdrawal would write this process's presence back.
    await this.#refreshing;
    try {
      await Promise.all([...this.#unannounced].map(([id, inactive]) => this.#withdraw(id, inactive)));
      this.#unannounced.clear();
      if (this.#presence.size > 0) {
        await Promise.all([...this.#presence].map(([id, stored]) => this.#withdraw(id, readPresence(stored).inactive)));
        await this.#send(['DEL', this.#keys.presence(this.#process)]);
      }
      await this.#send(['ZREM', this.#keys.processes, this.#process]);
    } catch (error) {
      this.#log?.warn(`could not withdraw this process's subscriptions from ${this.#url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#presence.clear();
    // The reader is blocked in XREAD: cut it rather than wait for the block to end.
    this.#reader.destroy();
    await this.#reading;
    await Promise.allSettled([this.#command.close(), this.#events.close()]);
  }
}
