import type { JsonValue } from '../core/types.js';
import { Roster, type Remote } from './Roster.js';
import type { SessionCrypto } from './sessionCrypto.js';
import type { SignalingStore } from './SignalingStore.js';
import type { SignalingTopics } from './topics.js';
import type { SignalingPlatform } from './types.js';
import type { Frame, FrameSender, Message } from './wire.js';

/** One `join()` of this peer: its id and start, its sequence numbers, its liveness and timers. */
export interface Session extends FrameSender {
  readonly sid: string;
  readonly at: number;
  /** The last sequence number used; every message of the session takes the next one. */
  seq: number;
  readonly crypto: SessionCrypto | undefined;
  /** A `hello` of the current activation went out (or is on its way). */
  announced: boolean;
  /** The room and inbox subscription is live at the hub (from its activation until the stream drops). */
  live: boolean;
  /** Peers time out counting from here at the earliest (the last activation). */
  graceFrom: number;
  lastRoomSend: number;
  beatTimer: unknown;
  sweepTimer: unknown;
  /** A newer session of this peer id was heard (another tab or device given the same `peerId`). */
  displaced: boolean;
}

/** What {@link Presence} needs from the rest of signaling. */
export interface PresenceContext {
  readonly selfId: string;
  readonly topics: SignalingTopics;
  readonly platform: SignalingPlatform;
  readonly heartbeat: number;
  readonly timeout: number;
  /** The most peers kept in the room. */
  readonly maxPeers: number;
  /** Whether peers' keys are taken (encryption not disabled). */
  readonly keys: boolean;
  readonly store: SignalingStore;
  metadata(): JsonValue;
  /** Queues a message of `session` to `topic`. */
  send(session: Session, topic: string, message: Message | Promise<Message>): Promise<void>;
  /** Handles a `signal` message of a known peer (may decrypt: returns the work). */
  signal(session: Session, remote: Remote, frame: Frame, message: Message, direct: boolean): Promise<void> | undefined;
  /** A peer session is gone. */
  removed(remote: Remote): void;
  /** A presence message failed to publish. */
  sendFailed(error: unknown): void;
  /** A newer session of this peer id spoke: the room now hears that one and ignores this one (told once per session). */
  displaced(): void;
  /** The room holds `maxPeers` peers and a newcomer (`peerId`) was turned away (told once until a peer leaves). */
  full(peerId: string): void;
  /** Whether the driver still tries to bring a dropped stream back (it has not stopped on a refusal). */
  retrying(): boolean;
}

/**
 * Presence: how a peer announces itself and how it learns the room.
 *
 * - When the room and inbox subscription becomes live at the hub ({@link Presence.activate}: the
 *   first open, and every reconnect) the peer sends `hello` to the room, once; every member answers
 *   with `welcome` straight to the newcomer's inbox, so it learns the room at once.
 * - Every `heartbeat` ms a `beat` goes to the room, unless something else went there in the last
 *   half heartbeat; a `hello` the hub refused goes out again at the next beat. Beats go on while this
 *   client's own stream is down (publishing is a separate request that may well work), for as long as
 *   the driver tries to bring the stream back; once it stopped trying, they stop too (see the
 *   `heartbeat` option).
 * - A peer silent for `timeout` ms is dropped — never while this client's own stream is down, and
 *   counting from the last activation at the earliest.
 * - `bye` ({@link Presence.end}) removes the peer from the room at once.
 * - At most `maxPeers` peers are kept: past it a newcomer is ignored; known peers are never pushed out.
 * - Every message carries the session id and a sequence number: replays, out-of-order deliveries and
 *   messages of an earlier session are dropped; a newer session of a peer replaces the older one.
 */
export class Presence {
  readonly #ctx: PresenceContext;
  readonly #roster: Roster;
  #session: Session | undefined;
  /** The start of the latest session. */
  #lastStart = -Infinity;

  constructor(context: PresenceContext) {
    this.#ctx = context;
    this.#roster = new Roster({
      platform: context.platform,
      keys: context.keys,
      store: context.store,
      limit: context.maxPeers,
      full: (peerId) => context.full(peerId),
      added: () => {
        const session = this.#session;
        if (session && session.sweepTimer === undefined) this.#scheduleSweep(session);
      },
      removed: (remote) => context.removed(remote),
    });
  }

  /** The current session (`undefined` unless joined). */
  get session(): Session | undefined {
    return this.#session;
  }

  /** One peer's current session. */
  remote(peerId: string): Remote | undefined {
    return this.#roster.get(peerId);
  }

  /** A new session (not current until {@link Presence.start}), with the crypto made for its id. */
  createSession(crypto: (sid: string) => SessionCrypto | undefined): Session {
    const now = this.#ctx.platform.now();
    const sid = this.#ctx.platform.uuid();
    // Strictly later than the previous session, even in the same millisecond: peers (and this peer) keep the later one.
    this.#lastStart = Math.max(now, this.#lastStart + 1);
    return {
      from: this.#ctx.selfId,
      sid,
      at: this.#lastStart,
      seq: 0,
      crypto: crypto(sid),
      announced: false,
      live: false,
      graceFrom: now,
      lastRoomSend: 0,
      beatTimer: undefined,
      sweepTimer: undefined,
      displaced: false,
    };
  }

  /** Makes `session` current: heartbeats start, status `joining` until the first `hello` is accepted. */
  start(session: Session): void {
    this.#session = session;
    this.#scheduleBeat(session);
    this.#ctx.store.setStatus('joining');
  }

  /**
   * Ends the current session: timers stop.
   * @returns the session and its `bye` (when the session sent anything: a broadcast or a welcome
   *   before its `hello` makes it known too), for the caller to send before {@link Presence.forgetAll}.
   */
  end(): { session: Session; bye: Message | undefined } | undefined {
    const session = this.#session;
    if (!session) return undefined;
    this.#session = undefined;
    this.#clearTimer(session, 'beatTimer');
    this.#clearTimer(session, 'sweepTimer');
    return { session, bye: session.seq > 0 ? { seq: ++session.seq, t: 'bye' } : undefined };
  }

  /** Forgets every peer (each gets a `leave` event with reason `left`); status `left`. */
  forgetAll(): void {
    const gone = this.#roster.clear();
    this.#ctx.store.setStatus('left', false);
    this.#ctx.store.setPeers([]);
    for (const remote of gone) this.#ctx.store.emit('leave', { peer: remote.peer, reason: 'left' });
  }

  /**
   * The room and inbox subscription became live at the hub: on the first open carrying it (at once
   * when the open stream already did) and after every reconnect — never for a seamless matcher
   * switch. Announces once per activation; peers get a fresh timeout from now.
   */
  activate(session: Session): void {
    if (this.#session !== session) return;
    session.live = true;
    session.graceFrom = this.#ctx.platform.now();
    this.#announce(session);
    this.#scheduleSweep(session);
  }

  /** The shared stream dropped: `reconnecting` until the next activation, and no peer times out meanwhile (their silence proves nothing). */
  suspend(session: Session): void {
    if (this.#session !== session) return;
    session.live = false;
    this.#clearTimer(session, 'sweepTimer');
    if (session.announced) this.#ctx.store.setStatus('reconnecting');
  }

  /** Tells the room new metadata at once (when announced). */
  metadataChanged(): void {
    const session = this.#session;
    if (session?.announced) this.#sendPresence(session, 'beat').catch((error: unknown) => this.#ctx.sendFailed(error));
  }

  /**
   * A broadcast of `session` (it counts as a heartbeat). Before the session's `hello` it carries the
   * presence fields too: a member that hears it first learns this peer's metadata and key with it.
   */
  broadcast(session: Session, fields: Pick<Message, 'data' | 'ch'>): Message | Promise<Message> {
    this.#roomSend(session);
    const message = { t: 'signal' as const, ...fields };
    return session.announced ? { seq: ++session.seq, ...message } : this.#stamp(session, message);
  }

  #roomSend(session: Session): void {
    session.lastRoomSend = this.#ctx.platform.now();
  }

  #announce(session: Session): void {
    session.announced = true;
    this.#sendPresence(session, 'hello').then(
      () => {
        if (this.#session === session && session.live) this.#ctx.store.setStatus('joined');
      },
      (error: unknown) => {
        if (this.#session === session) session.announced = false;
        this.#ctx.sendFailed(error);
      },
    );
  }

  #sendPresence(session: Session, kind: 'hello' | 'beat'): Promise<void> {
    this.#roomSend(session);
    return this.#ctx.send(session, this.#ctx.topics.room, this.#stamp(session, { t: kind }));
  }

  /** A message with the next sequence number and the presence fields: metadata, and the session's public key when it encrypts. */
  #stamp(session: Session, fields: Omit<Message, 'seq' | 'meta' | 'key'>): Message | Promise<Message> {
    const seq = ++session.seq;
    const meta = this.#ctx.metadata();
    const build = (key: string | undefined): Message => ({ seq, ...fields, meta, ...(key === undefined ? {} : { key }) });
    return session.crypto ? session.crypto.keys.then((keys) => build(keys.publicKey)) : build(undefined);
  }

  #scheduleBeat(session: Session): void {
    session.beatTimer = this.#ctx.platform.setTimeout(() => {
      if (this.#session !== session) return;
      if (!session.announced) {
        // The hello of this activation failed to publish: try again.
        if (session.live) this.#announce(session);
      } else if ((session.live || this.#ctx.retrying()) && this.#ctx.platform.now() - session.lastRoomSend >= this.#ctx.heartbeat / 2) {
        this.#sendPresence(session, 'beat').catch((error: unknown) => this.#ctx.sendFailed(error));
      }
      this.#scheduleBeat(session);
    }, this.#ctx.heartbeat);
  }

  #scheduleSweep(session: Session): void {
    this.#clearTimer(session, 'sweepTimer');
    if (this.#roster.size === 0 || !session.live) return;
    const { platform, timeout } = this.#ctx;
    let next = Infinity;
    for (const remote of this.#roster.values()) next = Math.min(next, Math.max(remote.lastHeard, session.graceFrom) + timeout);
    session.sweepTimer = platform.setTimeout(() => {
      session.sweepTimer = undefined;
      if (this.#session !== session || !session.live) return;
      const now = platform.now();
      for (const remote of [...this.#roster.values()]) {
        if (Math.max(remote.lastHeard, session.graceFrom) + timeout <= now) this.#roster.remove(remote, 'timeout');
      }
      this.#scheduleSweep(session);
    }, Math.max(0, next - platform.now()));
  }

  #clearTimer(session: Session, timer: 'beatTimer' | 'sweepTimer'): void {
    if (session[timer] !== undefined) this.#ctx.platform.clearTimeout(session[timer]);
    session[timer] = undefined;
  }

  /**
   * Reads one frame received on the room topic or this peer's inbox (`direct`): presence messages
   * here, signals through the context. Returns the work still running (decryption), if any.
   */
  receive(session: Session, frame: Frame, direct: boolean): Promise<void> | undefined {
    if (this.#session !== session) return undefined;
    if (frame.from === this.#ctx.selfId) {
      // Peers keep the newest session of an id (see `Roster.sender`): a newer one of this id silences this one.
      if (!session.displaced && (frame.at > session.at || (frame.at === session.at && frame.sid > session.sid))) {
        session.displaced = true;
        this.#ctx.displaced();
      }
      return undefined;
    }
    let remote = this.#roster.sender(frame);
    if (remote === null) return undefined;
    const floor = remote ? 0 : this.#roster.floor(frame);
    let pending: Promise<void> | undefined;
    for (const message of frame.msgs) {
      if (message.seq <= (remote ? remote.lastSeq : floor)) continue;
      if (message.tsid !== undefined && (!direct || message.tsid !== session.sid)) continue;
      if (message.t === 'bye') {
        this.#roster.bye(frame, remote);
        return pending;
      }
      // Past `maxPeers` a newcomer gets nothing: no entry, no welcome, no signal.
      if (!remote && !this.#roster.admits(frame)) return pending;
      // The welcome is queued before a new peer's `join` event: it reaches the newcomer ahead of
      // anything a `join` listener sends it, so the newcomer knows this peer's key and metadata first.
      if (message.t === 'hello') this.#welcome(session, frame.from, frame.sid);
      remote ??= this.#roster.add(frame, message);
      remote.lastSeq = message.seq;
      remote.lastHeard = this.#ctx.platform.now();
      if (message.t === 'signal') {
        this.#roster.signalKey(remote, message);
        const target = remote;
        const step = (): Promise<void> | undefined => this.#ctx.signal(session, target, frame, message, direct);
        pending = pending ? pending.then(step) : step();
        continue;
      }
      this.#roster.refresh(remote, message);
    }
    return pending;
  }

  /** Answers a `hello` straight to the newcomer's inbox. */
  #welcome(session: Session, peerId: string, sid: string): void {
    const welcome = this.#stamp(session, { t: 'welcome', tsid: sid });
    this.#ctx.send(session, this.#ctx.topics.inbox(peerId), welcome).catch((error: unknown) => this.#ctx.sendFailed(error));
  }
}
