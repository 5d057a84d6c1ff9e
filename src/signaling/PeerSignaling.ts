import { encodeEnvelope } from '../core/envelope.js';
import { buildPublishBody } from '../core/protocol.js';
import { reportLater } from '../core/reportLater.js';
import type { SseDriver } from '../core/SseDriver.js';
import type { DriverEvent, JsonValue, Platform, SseUpdate } from '../core/types.js';
import { createSessionKeys, deriveSharedKey, getSubtle, open, seal, type Sealed, type SessionKeys } from './e2e.js';
import { SignalingError } from './errors.js';
import { signalingTopics, type SignalingTopics } from './topics.js';
import type {
  LeaveReason,
  Peer,
  PeerSignalingOptions,
  SendOptions,
  Signal,
  SignalingEventMap,
  SignalingPlatform,
  SignalingSnapshot,
  SignalingStatus,
} from './types.js';

/** Default channel of {@link PeerSignaling.send} and {@link PeerSignaling.broadcast}. */
export const DEFAULT_CHANNEL = 'signal';

const BACKLOG_LIMIT = 256;
const RETIRED_LIMIT = 1024;

type MessageKind = 'hello' | 'welcome' | 'beat' | 'bye' | 'signal';
const KINDS: ReadonlySet<string> = new Set<MessageKind>(['hello', 'welcome', 'beat', 'bye', 'signal']);

/** One message on the wire. Several of them, for one topic, travel in one {@link Frame}. */
interface Message {
  /** Per-sender, per-session sequence number: strictly increasing in publish order. */
  readonly seq: number;
  readonly t: MessageKind;
  /** Addressee's session (direct messages), so a later session of the addressee ignores it. */
  readonly tsid?: string;
  /** Metadata (presence messages). */
  readonly meta?: JsonValue;
  /** ECDH public key (presence messages). */
  readonly key?: string;
  /** Channel (signals). */
  readonly ch?: string;
  /** Plaintext value (signals). */
  readonly data?: JsonValue;
  /** Ciphertext (encrypted direct signals). */
  readonly enc?: Sealed;
}

/** The payload published to the hub. */
interface Frame {
  readonly sig: 1;
  readonly from: string;
  /** Sender's session id. */
  readonly sid: string;
  /** Sender's session start (ms, its clock): orders two sessions of one peer. */
  readonly at: number;
  readonly msgs: readonly Message[];
}

interface Session {
  readonly sid: string;
  readonly at: number;
  seq: number;
  readonly keys: Promise<SessionKeys> | undefined;
  announced: boolean;
  /** The room and inbox subscription is live at the hub (from its activation until the stream drops). */
  live: boolean;
  graceFrom: number;
  lastRoomSend: number;
  unsubscribe: () => void;
  offDrops: () => void;
  beatTimer: unknown;
  sweepTimer: unknown;
}

interface Remote {
  peer: Peer;
  readonly sid: string;
  readonly at: number;
  lastSeq: number;
  lastHeard: number;
  key: string | undefined;
  shared: Promise<CryptoKey> | undefined;
  readonly backlog: Map<string, Signal[]>;
}

interface Outgoing {
  readonly session: Session;
  readonly topic: string;
  readonly message: Message | Promise<Message>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Listeners = { [K in keyof SignalingEventMap]: Set<(event: SignalingEventMap[K]) => void> };

/**
 * Peer presence and signaling in one room over a Mercure hub, riding the driver's shared connection.
 *
 * Topics (see {@link signalingTopics}): the room topic `{base}/rooms/{room}` carries announcements,
 * heartbeats, `bye` and broadcasts; each peer's inbox `{base}/rooms/{room}/peers/{peerId}` carries
 * answers to announcements and direct signals.
 *
 * - {@link PeerSignaling.join} announces once (and once more after each reconnect); every member
 *   answers straight to the newcomer's inbox, so it learns the room at once.
 * - {@link PeerSignaling.leave} and `pagehide` send `bye`; peers silent past `timeout` are dropped.
 * - Every message carries a per-join session id and a sequence number: signals of an earlier session,
 *   replays and out-of-order deliveries are dropped; a newer session of a peer replaces the older one.
 * - Direct signals are end-to-end encrypted (ECDH P-256 + AES-GCM) where WebCrypto exists.
 *
 * ```ts
 * const signaling = new PeerSignaling(driver, 'lobby', { metadata: { name: 'Ada' } });
 * signaling.on('signal', ({ from, data }) => console.log(from, data));
 * signaling.join();
 * await signaling.send(peerId, { hello: 'there' });
 * ```
 */
export class PeerSignaling {
  /** This client's peer id. */
  readonly selfId: string;
  /** The room name. */
  readonly room: string;
  /** The topics of the room. */
  readonly topics: SignalingTopics;

  readonly #driver: SseDriver;
  readonly #platform: SignalingPlatform;
  readonly #heartbeat: number;
  readonly #timeout: number;
  readonly #encrypt: boolean | 'required';
  readonly #subtle: SubtleCrypto | undefined;
  readonly #private: boolean;
  readonly #onError: ((error: Error) => void) | undefined;
  #metadata: JsonValue;

  #session: Session | undefined;
  readonly #remotes = new Map<string, Remote>();
  readonly #retired = new Set<string>();
  readonly #consumers = new Map<string, Set<(signal: Signal) => void>>();
  readonly #outbox: Outgoing[] = [];
  #flushing = false;
  readonly #inbound: { topic: string; frame: Frame }[] = [];
  #draining = false;
  #resumeOnShow = false;
  #watchingShow = false;

  #snapshot: SignalingSnapshot;
  readonly #snapshotListeners = new Set<() => void>();
  readonly #listeners: Listeners = { join: new Set(), leave: new Set(), update: new Set(), signal: new Set(), status: new Set() };

  /**
   * @param driver - the driver whose connection and publish endpoint signaling uses.
   * @param room - room name (any string; percent-encoded into the topics).
   * @param options - see {@link PeerSignalingOptions}.
   * @throws {SignalingError} `misuse` for an empty room, `timeout <= heartbeat`, or encryption asked for where WebCrypto is missing.
   */
  constructor(driver: SseDriver, room: string, options: PeerSignalingOptions = {}) {
    if (typeof room !== 'string' || room === '') throw new SignalingError('misuse', 'PeerSignaling needs a non-empty room name.');
    this.#driver = driver;
    this.room = room;
    // The driver's seams, with this instance's overrides on top (an explicit `events: undefined` included).
    this.#platform = { ...pickPlatform(driver.platform), ...definedSeams(options.platform), now: options.platform?.now ?? (() => Date.now()) };
    this.selfId = options.peerId ?? this.#platform.uuid();
    this.topics = signalingTopics(room, options.topicBase);
    this.#heartbeat = options.heartbeat ?? 10_000;
    this.#timeout = options.timeout ?? 3 * this.#heartbeat;
    if (!(this.#heartbeat > 0) || !(this.#timeout > this.#heartbeat)) {
      throw new SignalingError('misuse', `PeerSignaling needs 0 < heartbeat < timeout (got ${this.#heartbeat} and ${this.#timeout}).`, {
        hint: 'A timeout of three heartbeats tolerates two lost beats.',
      });
    }
    this.#subtle = getSubtle();
    this.#encrypt = options.encrypt ?? this.#subtle !== undefined;
    if (this.#encrypt !== false && this.#subtle === undefined) {
      throw new SignalingError('misuse', 'End-to-end encryption needs WebCrypto (crypto.subtle), which this context lacks.', {
        hint: 'Serve the page over https (or localhost), or pass encrypt: false.',
      });
    }
    this.#private = options.private === true;
    this.#onError = options.onError;
    this.#metadata = options.metadata ?? null;
    this.#snapshot = Object.freeze({ status: 'idle', selfId: this.selfId, peers: Object.freeze([]) });
  }

  // ---------------------------------------------------------------- reading

  /** Lifecycle status. */
  get status(): SignalingStatus {
    return this.#snapshot.status;
  }

  /** The other members of the room, in order of appearance. */
  get peers(): readonly Peer[] {
    return this.#snapshot.peers;
  }

  /** The platform seams in use (the driver's, with the `platform` option on top), for work scheduled beside signaling. */
  get platform(): SignalingPlatform {
    return this.#platform;
  }

  /** The current session id (`undefined` unless joined). */
  get sessionId(): string | undefined {
    return this.#session?.sid;
  }

  /** One peer by id. */
  getPeer(peerId: string): Peer | undefined {
    return this.#remotes.get(peerId)?.peer;
  }

  /** The current snapshot (a new object only when something changed), for `useSyncExternalStore`. */
  getSnapshot = (): SignalingSnapshot => this.#snapshot;

  /**
   * Calls `listener` whenever {@link PeerSignaling.getSnapshot} changes.
   * @returns a function that unsubscribes.
   */
  subscribe = (listener: () => void): (() => void) => {
    this.#snapshotListeners.add(listener);
    return () => {
      this.#snapshotListeners.delete(listener);
    };
  };

  /**
   * Listens to one event type (`join`, `leave`, `update`, `signal`, `status`).
   * @returns a function that unsubscribes.
   */
  on<K extends keyof SignalingEventMap>(type: K, listener: (event: SignalingEventMap[K]) => void): () => void {
    const set = this.#listeners[type] as Set<(event: SignalingEventMap[K]) => void>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Receives the direct signals of one peer on one channel, starting with those that arrived on that
   * channel while nobody consumed it (kept per peer, at most 256, until the peer leaves). The default
   * channel is never kept. This is how a WebRTC connection created late still sees the offer sent early.
   * @returns a function that stops consuming.
   */
  consume(peerId: string, channel: string, handler: (signal: Signal) => void): () => void {
    const key = `${peerId}\n${channel}`;
    let set = this.#consumers.get(key);
    if (!set) {
      set = new Set();
      this.#consumers.set(key, set);
    }
    set.add(handler);
    const remote = this.#remotes.get(peerId);
    const kept = remote?.backlog.get(channel);
    if (remote && kept) {
      remote.backlog.delete(channel);
      for (const signal of kept) safeCall(handler, signal);
    }
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.#consumers.get(key) === set) this.#consumers.delete(key);
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Joins the room: subscribes to the room topic and this peer's inbox (on the driver's shared
   * connection) and announces as soon as the hub delivers them to this client — at once when the
   * open stream already carries them. Idempotent while joined; after
   * {@link PeerSignaling.leave} it starts a new session.
   * @throws {SignalingError} `closed` when the driver was destroyed; nothing is left half joined.
   */
  join(): void {
    if (this.#session) return;
    if (this.#driver.destroyed) {
      throw new SignalingError('closed', `join() was called on a destroyed SseDriver (room "${this.room}").`, {
        hint: 'Create the PeerSignaling on a live driver.',
      });
    }
    const now = this.#platform.now();
    const session: Session = {
      sid: this.#platform.uuid(),
      at: now,
      seq: 0,
      keys: this.#encrypt !== false && this.#subtle ? createSessionKeys(this.#subtle) : undefined,
      announced: false,
      live: false,
      graceFrom: now,
      lastRoomSend: 0,
      unsubscribe: () => undefined,
      offDrops: () => undefined,
      beatTimer: undefined,
      sweepTimer: undefined,
    };
    try {
      session.offDrops = this.#driver.on((event) => this.#onDriverEvent(session, event));
      session.unsubscribe = this.#driver.subscribe([this.topics.room, this.topics.inbox(this.selfId)], (update: SseUpdate) => this.#receive(update), {
        onActive: () => this.#onActive(session),
      });
    } catch (error) {
      session.offDrops();
      session.unsubscribe();
      throw error;
    }
    session.keys?.catch((error: unknown) => this.#report(error));
    this.#session = session;
    this.#resumeOnShow = false;
    this.#platform.events?.addEventListener('pagehide', this.#onPageHide);
    if (!this.#watchingShow) {
      this.#watchingShow = true;
      this.#platform.events?.addEventListener('pageshow', this.#onPageShow);
    }
    this.#scheduleBeat(session);
    this.#setStatus('joining');
  }

  /**
   * Leaves the room: sends `bye` (when this session was announced), unsubscribes and forgets every
   * peer (each gets a `leave` event with reason `left`).
   * @returns a promise settled once the `bye` is published (never rejects; failures go to `onError`).
   */
  leave(): Promise<void> {
    this.#resumeOnShow = false;
    this.#unwatchShow();
    return this.#leave(false);
  }

  /** Replaces this peer's metadata and tells the room at once (when joined). */
  setMetadata(metadata: JsonValue): void {
    this.#metadata = metadata;
    const session = this.#session;
    if (session?.announced) this.#sendPresence(session, 'beat');
  }

  /** Leaves the room and removes every listener. */
  destroy(): void {
    void this.leave();
    this.#snapshotListeners.clear();
    for (const set of Object.values(this.#listeners)) set.clear();
    this.#consumers.clear();
  }

  readonly #onPageHide = () => {
    if (!this.#session) return;
    void this.#leave(true);
    this.#resumeOnShow = true;
  };

  readonly #onPageShow = (event: Event) => {
    if (!this.#resumeOnShow || !(event as PageTransitionEvent).persisted) return;
    try {
      this.join();
    } catch (error) {
      this.#report(error);
    }
  };

  /** Stops listening for `pageshow` (kept between a `pagehide` and the page's return, to rejoin). */
  #unwatchShow(): void {
    if (!this.#watchingShow) return;
    this.#watchingShow = false;
    this.#platform.events?.removeEventListener('pageshow', this.#onPageShow);
  }

  #leave(beacon: boolean): Promise<void> {
    const session = this.#session;
    if (!session) return Promise.resolve();
    this.#session = undefined;
    session.unsubscribe();
    session.offDrops();
    if (session.beatTimer !== undefined) this.#platform.clearTimeout(session.beatTimer);
    if (session.sweepTimer !== undefined) this.#platform.clearTimeout(session.sweepTimer);
    this.#platform.events?.removeEventListener('pagehide', this.#onPageHide);
    let done = Promise.resolve();
    if (session.announced) {
      const message: Message = { seq: ++session.seq, t: 'bye' };
      done = beacon ? this.#publishNow(session, this.topics.room, message) : this.#enqueue(session, this.topics.room, message);
      done = done.catch((error: unknown) => this.#report(error));
    }
    this.#inbound.length = 0;
    const gone = [...this.#remotes.values()];
    this.#remotes.clear();
    this.#setStatus('left', false);
    this.#publishSnapshot();
    for (const remote of gone) this.#emit('leave', { peer: remote.peer, reason: 'left' });
    return done;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends a direct signal to one peer (through its inbox; end-to-end encrypted when both ends can).
   * Signals to one peer arrive in the order they were sent.
   * @returns a promise settled once the hub accepted it.
   * @throws {SignalingError} (as a rejection) `closed` when not joined, `not-found` for a peer not in the room,
   *   `misuse` for a value that is not JSON; publish errors of the driver otherwise.
   */
  send(peerId: string, data: JsonValue, options: SendOptions = {}): Promise<void> {
    const session = this.#session;
    if (!session) return Promise.reject(new SignalingError('closed', 'send() was called before join() or after leave().'));
    const remote = this.#remotes.get(peerId);
    if (!remote) {
      return Promise.reject(new SignalingError('not-found', `No peer "${peerId}" in room "${this.room}".`, { hint: 'Send to ids from peers or a join event.' }));
    }
    if (data === undefined) return Promise.reject(new SignalingError('misuse', 'send() needs a JSON value; undefined is not JSON.'));
    const seq = ++session.seq;
    const channel = options.channel ?? DEFAULT_CHANNEL;
    const base = { seq, t: 'signal' as const, tsid: remote.sid, ...(channel === DEFAULT_CHANNEL ? {} : { ch: channel }) };
    let message: Message | Promise<Message>;
    if (session.keys && remote.key !== undefined) {
      const aad = aadOf(this.selfId, session.sid, peerId, remote.sid, seq, channel);
      message = this.#sharedKey(session, remote).then(async (key) => ({ ...base, enc: await seal(this.#subtle!, key, JSON.stringify(data), aad) }));
    } else if (this.#encrypt === 'required') {
      return Promise.reject(new SignalingError('misuse', `Peer "${peerId}" announced no encryption key and encryption is required.`));
    } else {
      message = { ...base, data };
    }
    return this.#enqueue(session, this.topics.inbox(peerId), message);
  }

  /**
   * Sends a signal to every member of the room through the room topic (not encrypted end to end).
   * @returns a promise settled once the hub accepted it.
   * @throws {SignalingError} (as a rejection) `closed` when not joined.
   */
  broadcast(data: JsonValue, options: SendOptions = {}): Promise<void> {
    const session = this.#session;
    if (!session) return Promise.reject(new SignalingError('closed', 'broadcast() was called before join() or after leave().'));
    if (data === undefined) return Promise.reject(new SignalingError('misuse', 'broadcast() needs a JSON value; undefined is not JSON.'));
    const channel = options.channel ?? DEFAULT_CHANNEL;
    session.lastRoomSend = this.#platform.now();
    return this.#enqueue(session, this.topics.room, { seq: ++session.seq, t: 'signal', data, ...(channel === DEFAULT_CHANNEL ? {} : { ch: channel }) });
  }

  #sendPresence(session: Session, kind: 'hello' | 'beat'): Promise<void> {
    session.lastRoomSend = this.#platform.now();
    return this.#enqueue(session, this.topics.room, this.#presence(session, kind, undefined));
  }

  #presence(session: Session, kind: 'hello' | 'welcome' | 'beat', tsid: string | undefined): Message | Promise<Message> {
    const seq = ++session.seq;
    const meta = this.#metadata;
    const build = (key: string | undefined): Message => ({ seq, t: kind, meta, ...(tsid === undefined ? {} : { tsid }), ...(key === undefined ? {} : { key }) });
    return session.keys ? session.keys.then((keys) => build(keys.publicKey)) : build(undefined);
  }

  #announce(session: Session): void {
    session.announced = true;
    this.#sendPresence(session, 'hello').then(
      () => {
        if (this.#session === session && session.live) this.#setStatus('joined');
      },
      (error: unknown) => {
        if (this.#session === session) session.announced = false;
        this.#report(error);
      },
    );
  }

  /** Queues a message; messages leave one publish at a time, in order, consecutive ones to one topic batched. */
  #enqueue(session: Session, topic: string, message: Message | Promise<Message>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#outbox.push({ session, topic, message, resolve, reject });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#outbox.length > 0) {
        const head = this.#outbox[0]!;
        let count = 1;
        while (count < this.#outbox.length && this.#outbox[count]!.topic === head.topic && this.#outbox[count]!.session === head.session) count++;
        const batch = this.#outbox.splice(0, count);
        let messages: Message[];
        try {
          messages = await Promise.all(batch.map((item) => item.message));
        } catch (error) {
          for (const item of batch) item.reject(error);
          continue;
        }
        const frame = frameOf(this.selfId, head.session, messages);
        try {
          await this.#driver.publish(head.topic, frame, { private: this.#private });
          for (const item of batch) item.resolve();
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Publishes at once, bypassing the queue, and also as a beacon when the page is going away. */
  #publishNow(session: Session, topic: string, message: Message): Promise<void> {
    const frame = frameOf(this.selfId, session, [message]);
    const id = `urn:uuid:${this.#platform.uuid()}`;
    const nav = (globalThis as { navigator?: { sendBeacon?: (url: string, body: URLSearchParams) => boolean } }).navigator;
    if (typeof nav?.sendBeacon === 'function') {
      // The beacon survives the page; the regular publish carries the credentials. Same id: receivers keep one.
      const body = buildPublishBody({
        topics: [topic],
        data: encodeEnvelope(id, [topic], this.#driver.clientId, frame),
        id,
        type: undefined,
        private: this.#private,
        retry: undefined,
      });
      try {
        nav.sendBeacon(this.#driver.url, body);
      } catch {
        // A refused beacon leaves the regular publish.
      }
    }
    return this.#driver.publish(topic, frame, { id, private: this.#private }).then(() => undefined);
  }

  // ---------------------------------------------------------------- timers

  #scheduleBeat(session: Session): void {
    session.beatTimer = this.#platform.setTimeout(() => {
      if (this.#session !== session) return;
      if (!session.announced) {
        // The hello of this activation failed to publish: try again.
        if (session.live) this.#announce(session);
      } else if (session.live && this.#platform.now() - session.lastRoomSend >= this.#heartbeat / 2) {
        this.#sendPresence(session, 'beat').catch((error: unknown) => this.#report(error));
      }
      this.#scheduleBeat(session);
    }, this.#heartbeat);
  }

  #scheduleSweep(session: Session): void {
    if (session.sweepTimer !== undefined) this.#platform.clearTimeout(session.sweepTimer);
    session.sweepTimer = undefined;
    if (this.#remotes.size === 0 || !session.live) return;
    let next = Infinity;
    for (const remote of this.#remotes.values()) next = Math.min(next, Math.max(remote.lastHeard, session.graceFrom) + this.#timeout);
    session.sweepTimer = this.#platform.setTimeout(() => {
      session.sweepTimer = undefined;
      if (this.#session !== session || !session.live) return;
      const now = this.#platform.now();
      for (const remote of [...this.#remotes.values()]) {
        if (Math.max(remote.lastHeard, session.graceFrom) + this.#timeout <= now) this.#removeRemote(remote, 'timeout');
      }
      this.#scheduleSweep(session);
    }, Math.max(0, next - this.#platform.now()));
  }

  /**
   * The room and inbox subscription became live at the hub: on the first open carrying it (at once
   * when the open stream already did) and after every reconnect — never for a seamless matcher
   * switch. Announces once per activation; peers get a fresh timeout from now.
   */
  #onActive(session: Session): void {
    if (this.#session !== session) return;
    session.live = true;
    session.graceFrom = this.#platform.now();
    this.#announce(session);
    this.#scheduleSweep(session);
  }

  /**
   * A drop of the shared stream: `reconnecting` until the next activation, and no peer times out
   * meanwhile (with this stream down, their silence proves nothing). A failing successor of a matcher
   * switch (`switching`) is no drop.
   */
  #onDriverEvent(session: Session, event: DriverEvent): void {
    if (this.#session !== session || event.type !== 'drop' || event.connection !== 'main' || event.switching) return;
    session.live = false;
    if (session.sweepTimer !== undefined) this.#platform.clearTimeout(session.sweepTimer);
    session.sweepTimer = undefined;
    if (session.announced) this.#setStatus('reconnecting');
  }

  // ---------------------------------------------------------------- receiving

  #receive(update: SseUpdate): void {
    const frame = asFrame(update.data);
    if (!frame) return;
    this.#inbound.push({ topic: update.topic, frame });
    void this.#drain();
  }

  /** Processes frames in arrival order; only decryption awaits, so plaintext is handled synchronously. */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#inbound.length > 0) {
        const { topic, frame } = this.#inbound.shift()!;
        const session = this.#session;
        if (!session) break;
        try {
          const work = this.#process(session, topic, frame);
          if (work) await work;
        } catch (error) {
          this.#report(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #process(session: Session, topic: string, frame: Frame): Promise<void> | undefined {
    if (frame.from === this.selfId) return undefined;
    const direct = topic === this.topics.inbox(this.selfId);
    const sessionKey = `${frame.from}\n${frame.sid}`;
    if (this.#retired.has(sessionKey)) return undefined;
    let remote = this.#remotes.get(frame.from);
    if (remote && remote.sid !== frame.sid) {
      if (frame.at > remote.at || (frame.at === remote.at && frame.sid > remote.sid)) {
        this.#removeRemote(remote, 'replaced');
        remote = undefined;
      } else {
        this.#retire(sessionKey);
        return undefined;
      }
    }
    let pending: Promise<void> | undefined;
    for (const message of frame.msgs) {
      if (remote && message.seq <= remote.lastSeq) continue;
      if (message.tsid !== undefined && (!direct || message.tsid !== session.sid)) continue;
      if (message.t === 'bye') {
        if (remote) this.#removeRemote(remote, 'bye');
        else this.#retire(sessionKey);
        return pending;
      }
      if (!remote) remote = this.#addRemote(frame, message);
      remote.lastSeq = message.seq;
      remote.lastHeard = this.#platform.now();
      switch (message.t) {
        case 'hello':
        case 'welcome':
        case 'beat':
          this.#refresh(remote, message);
          if (message.t === 'hello') {
            this.#enqueue(session, this.topics.inbox(remote.peer.id), this.#presence(session, 'welcome', remote.sid)).catch((error: unknown) =>
              this.#report(error),
            );
          }
          break;
        case 'signal': {
          const target = remote;
          const step = (): Promise<void> | undefined => this.#signal(session, target, frame, message, direct);
          pending = pending ? pending.then(step) : step();
          break;
        }
      }
    }
    return pending;
  }

  #signal(session: Session, remote: Remote, frame: Frame, message: Message, direct: boolean): Promise<void> | undefined {
    const channel = message.ch ?? DEFAULT_CHANNEL;
    if (message.enc) {
      if (!direct || !session.keys || remote.key === undefined) {
        this.#report(new SignalingError('parse', `An encrypted signal from "${frame.from}" cannot be decrypted here.`));
        return undefined;
      }
      const aad = aadOf(frame.from, frame.sid, this.selfId, session.sid, message.seq, channel);
      const sealed = message.enc;
      return this.#sharedKey(session, remote)
        .then((key) => open(this.#subtle!, key, sealed, aad))
        .then(
          (text) => {
            if (this.#session === session && this.#remotes.get(remote.peer.id) === remote) {
              this.#deliver(remote, { from: frame.from, data: JSON.parse(text) as JsonValue, channel, direct: true, encrypted: true });
            }
          },
          (cause: unknown) => this.#report(new SignalingError('parse', `A signal from "${frame.from}" failed to decrypt; it was dropped.`, { cause })),
        );
    }
    if (direct && this.#encrypt === 'required') {
      this.#report(new SignalingError('parse', `A plaintext direct signal from "${frame.from}" was dropped: encryption is required.`));
      return undefined;
    }
    this.#deliver(remote, { from: frame.from, data: message.data ?? null, channel, direct, encrypted: false });
    return undefined;
  }

  #deliver(remote: Remote, signal: Signal): void {
    const consumers = signal.direct ? this.#consumers.get(`${signal.from}\n${signal.channel}`) : undefined;
    if (consumers && consumers.size > 0) {
      for (const handler of [...consumers]) safeCall(handler, signal);
    } else if (signal.direct && signal.channel !== DEFAULT_CHANNEL) {
      const kept = remote.backlog.get(signal.channel) ?? [];
      kept.push(signal);
      if (kept.length > BACKLOG_LIMIT) kept.shift();
      remote.backlog.set(signal.channel, kept);
    }
    this.#emit('signal', signal);
  }

  #sharedKey(session: Session, remote: Remote): Promise<CryptoKey> {
    remote.shared ??= session.keys!.then((keys) => deriveSharedKey(this.#subtle!, keys, remote.key!, [session.sid, remote.sid]));
    return remote.shared;
  }

  #addRemote(frame: Frame, message: Message): Remote {
    const now = this.#platform.now();
    const remote: Remote = {
      peer: Object.freeze({
        id: frame.from,
        metadata: message.meta ?? null,
        joinedAt: now,
        lastSeen: now,
        session: frame.sid,
        encrypted: this.#encrypt !== false && typeof message.key === 'string',
      }),
      sid: frame.sid,
      at: frame.at,
      lastSeq: 0,
      lastHeard: now,
      key: typeof message.key === 'string' && this.#encrypt !== false ? message.key : undefined,
      shared: undefined,
      backlog: new Map(),
    };
    this.#remotes.set(frame.from, remote);
    this.#publishSnapshot();
    this.#emit('join', { peer: remote.peer });
    const session = this.#session;
    if (session && session.sweepTimer === undefined) this.#scheduleSweep(session);
    return remote;
  }

  /** Applies a presence message: `lastSeen`, a first key, new metadata. */
  #refresh(remote: Remote, message: Message): void {
    const metaChanged = message.meta !== undefined && JSON.stringify(message.meta) !== JSON.stringify(remote.peer.metadata);
    // A session's key is pinned: the first one announced stays.
    if (remote.key === undefined && typeof message.key === 'string' && this.#encrypt !== false) remote.key = message.key;
    remote.peer = Object.freeze({
      ...remote.peer,
      metadata: metaChanged ? message.meta! : remote.peer.metadata,
      lastSeen: this.#platform.now(),
      encrypted: remote.key !== undefined,
    });
    this.#publishSnapshot();
    if (metaChanged) this.#emit('update', { peer: remote.peer });
  }

  #removeRemote(remote: Remote, reason: LeaveReason): void {
    if (this.#remotes.get(remote.peer.id) !== remote) return;
    this.#remotes.delete(remote.peer.id);
    this.#retire(`${remote.peer.id}\n${remote.sid}`);
    this.#publishSnapshot();
    this.#emit('leave', { peer: remote.peer, reason });
  }

  #retire(sessionKey: string): void {
    this.#retired.add(sessionKey);
    if (this.#retired.size > RETIRED_LIMIT) {
      const oldest = this.#retired.values().next().value;
      if (oldest !== undefined) this.#retired.delete(oldest);
    }
  }

  // ---------------------------------------------------------------- state

  #setStatus(status: SignalingStatus, publish = true): void {
    if (this.#snapshot.status === status) return;
    this.#snapshot = Object.freeze({ ...this.#snapshot, status });
    if (publish) this.#notify();
    this.#emit('status', { status });
  }

  #publishSnapshot(): void {
    this.#snapshot = Object.freeze({ ...this.#snapshot, peers: Object.freeze([...this.#remotes.values()].map((r) => r.peer)) });
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#snapshotListeners]) safeCall(listener, undefined);
  }

  #emit<K extends keyof SignalingEventMap>(type: K, event: SignalingEventMap[K]): void {
    for (const listener of [...(this.#listeners[type] as Set<(event: SignalingEventMap[K]) => void>)]) safeCall(listener, event);
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new SignalingError('parse', String(error));
    if (this.#onError) this.#onError(err);
  }
}

function frameOf(from: string, session: Session, msgs: readonly Message[]): JsonValue {
  const frame: Frame = { sig: 1, from, sid: session.sid, at: session.at, msgs };
  return frame as unknown as JsonValue;
}

function aadOf(from: string, sid: string, to: string, tsid: string, seq: number, channel: string): string {
  return JSON.stringify([from, sid, to, tsid, seq, channel]);
}

/** Reads a frame; anything else on the signaling topics is ignored. */
function asFrame(data: unknown): Frame | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const f = data as Partial<Frame>;
  if (f.sig !== 1 || typeof f.from !== 'string' || typeof f.sid !== 'string' || typeof f.at !== 'number' || !Array.isArray(f.msgs)) return undefined;
  for (const m of f.msgs as unknown[]) {
    if (typeof m !== 'object' || m === null) return undefined;
    const msg = m as Partial<Message>;
    if (!Number.isSafeInteger(msg.seq) || typeof msg.t !== 'string' || !KINDS.has(msg.t)) return undefined;
  }
  return f as Frame;
}

/** A throwing listener is reported asynchronously and never breaks signaling. */
function safeCall<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportLater(error);
  }
}

/** A copy of the driver's seams (the driver's own object is never shared). */
function pickPlatform(platform: Platform): Platform {
  return { setTimeout: platform.setTimeout, clearTimeout: platform.clearTimeout, random: platform.random, uuid: platform.uuid, events: platform.events };
}

/** The overrides actually given; `events` counts when present, even as `undefined` (no window events). */
function definedSeams(overrides: Partial<SignalingPlatform> | undefined): Partial<Platform> {
  const seams: Partial<Platform> = {};
  if (!overrides) return seams;
  if (overrides.setTimeout) seams.setTimeout = overrides.setTimeout;
  if (overrides.clearTimeout) seams.clearTimeout = overrides.clearTimeout;
  if (overrides.random) seams.random = overrides.random;
  if (overrides.uuid) seams.uuid = overrides.uuid;
  if ('events' in overrides) seams.events = overrides.events;
  return seams;
}
