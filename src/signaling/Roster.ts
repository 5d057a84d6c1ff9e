import type { PeerKeyRef } from './sessionCrypto.js';
import type { SignalingStore } from './SignalingStore.js';
import type { LeaveReason, Peer, SignalingPlatform } from './types.js';
import type { Frame, Message } from './wire.js';

const RETIRED_LIMIT = 1024;

/** Another peer's session as this client knows it. */
export interface Remote extends PeerKeyRef {
  peer: Peer;
  readonly sid: string;
  readonly at: number;
  /** The last sequence number taken from it: later messages only. */
  lastSeq: number;
  lastHeard: number;
  key: string | undefined;
}

/** What a {@link Roster} needs from the rest of signaling. */
export interface RosterContext {
  readonly platform: SignalingPlatform;
  /** Whether peers' keys are taken (encryption not disabled). */
  readonly keys: boolean;
  readonly store: SignalingStore;
  /** The most peers kept (`maxPeers`). */
  readonly limit: number;
  /** A newcomer was turned away: the room is full (told once until a peer leaves). */
  full(peerId: string): void;
  /** A peer session appeared. */
  added(remote: Remote): void;
  /** A peer session is gone. */
  removed(remote: Remote): void;
}

/**
 * Who is in the room: one current session per peer id, in order of appearance, published to the
 * snapshot with `join`, `update` and `leave` events. A newer session of a peer (a later start, ties
 * broken by session id) replaces the older one; sessions that said `bye` or were replaced are
 * retired, so their late messages (replays from history) never bring them back. A session dropped
 * for silence is not retired: its next message (its network came back) adds it again, while its
 * messages up to the last one heard stay ignored ({@link Roster.floor}).
 */
export class Roster {
  readonly #ctx: RosterContext;
  readonly #remotes = new Map<string, Remote>();
  /** Retired sessions, `peer\nsid`, the oldest forgotten first. */
  readonly #retired = new Set<string>();
  /** Sessions dropped for silence, `peer\nsid`, with the last sequence number taken from them. */
  readonly #silent = new Map<string, number>();
  /** The room filled up and a newcomer was turned away since a peer last left. */
  #toldFull = false;

  constructor(context: RosterContext) {
    this.#ctx = context;
  }

  /** One peer's current session. */
  get(peerId: string): Remote | undefined {
    return this.#remotes.get(peerId);
  }

  /** The current sessions. */
  values(): IterableIterator<Remote> {
    return this.#remotes.values();
  }

  /** How many peers are in the room. */
  get size(): number {
    return this.#remotes.size;
  }

  /**
   * The known session a frame comes from: its {@link Remote}; `undefined` for a session not known
   * yet (an older session of the peer it replaces leaves with reason `replaced`); `null` when the
   * frame is to be ignored — its session was retired, or is older than the one known.
   */
  sender(frame: Frame): Remote | undefined | null {
    const sessionKey = `${frame.from}\n${frame.sid}`;
    if (this.#retired.has(sessionKey)) return null;
    const remote = this.#remotes.get(frame.from);
    if (!remote || remote.sid === frame.sid) return remote;
    if (frame.at > remote.at || (frame.at === remote.at && frame.sid > remote.sid)) {
      this.remove(remote, 'replaced');
      return undefined;
    }
    this.#retire(sessionKey);
    return null;
  }

  /** The last sequence number taken from a frame's session before it was dropped for silence (0 when never). */
  floor(frame: Frame): number {
    return this.#silent.get(`${frame.from}\n${frame.sid}`) ?? 0;
  }

  /**
   * Whether the session of a frame not known yet may join: not once the room holds `limit` peers
   * (the first newcomer turned away since a peer last left is told). Known peers are never pushed out.
   */
  admits(frame: Frame): boolean {
    if (this.#remotes.size < this.#ctx.limit) return true;
    if (!this.#toldFull) {
      this.#toldFull = true;
      this.#ctx.full(frame.from);
    }
    return false;
  }

  /** Adds the session of a frame's first message. */
  add(frame: Frame, message: Message): Remote {
    const now = this.#ctx.platform.now();
    const key = typeof message.key === 'string' && this.#ctx.keys ? message.key : undefined;
    const remote: Remote = {
      peer: Object.freeze({ id: frame.from, metadata: message.meta ?? null, joinedAt: now, lastSeen: now, session: frame.sid, encrypted: key !== undefined }),
      sid: frame.sid,
      at: frame.at,
      lastSeq: 0,
      lastHeard: now,
      key,
      shared: undefined,
    };
    this.#silent.delete(`${frame.from}\n${frame.sid}`);
    this.#remotes.set(frame.from, remote);
    this.#publish();
    this.#ctx.store.emit('join', { peer: remote.peer });
    this.#ctx.added(remote);
    return remote;
  }

  /** Applies a presence message: `lastSeen`, a first key, new metadata. */
  refresh(remote: Remote, message: Message): void {
    const metaChanged = message.meta !== undefined && JSON.stringify(message.meta) !== JSON.stringify(remote.peer.metadata);
    this.#takeKey(remote, message);
    remote.peer = Object.freeze({
      ...remote.peer,
      metadata: metaChanged ? message.meta! : remote.peer.metadata,
      lastSeen: this.#ctx.platform.now(),
      encrypted: remote.key !== undefined,
    });
    this.#publish();
    if (metaChanged) this.#ctx.store.emit('update', { peer: remote.peer });
  }

  /**
   * Takes the key a signal carries when the session has none yet (it was heard first through a
   * message without one: a broadcast after its `hello`, once it had been dropped for silence).
   */
  signalKey(remote: Remote, message: Message): void {
    if (!this.#takeKey(remote, message)) return;
    remote.peer = Object.freeze({ ...remote.peer, encrypted: true });
    this.#publish();
  }

  /** Pins the first key a session announces; `true` when it was taken now. */
  #takeKey(remote: Remote, message: Message): boolean {
    if (remote.key !== undefined || typeof message.key !== 'string' || !this.#ctx.keys) return false;
    remote.key = message.key;
    return true;
  }

  /** A `bye` of the frame's session: it leaves (or, not known yet, is retired). */
  bye(frame: Frame, remote: Remote | undefined): void {
    if (remote) this.remove(remote, 'bye');
    else this.#retire(`${frame.from}\n${frame.sid}`);
  }

  /** Removes a session and retires it (a session dropped for silence is only set aside: it may speak again). */
  remove(remote: Remote, reason: LeaveReason): void {
    if (this.#remotes.get(remote.peer.id) !== remote) return;
    this.#remotes.delete(remote.peer.id);
    // A newer session takes the place of the one it replaces: the room is as full as before.
    if (reason !== 'replaced') this.#toldFull = false;
    const sessionKey = `${remote.peer.id}\n${remote.sid}`;
    if (reason === 'timeout') {
      this.#silent.set(sessionKey, remote.lastSeq);
      if (this.#silent.size > RETIRED_LIMIT) this.#silent.delete(this.#silent.keys().next().value!);
    } else {
      this.#retire(sessionKey);
    }
    this.#ctx.removed(remote);
    this.#publish();
    this.#ctx.store.emit('leave', { peer: remote.peer, reason });
  }

  /** Forgets every peer without retiring them (this client left) and returns them; the caller publishes. */
  clear(): Remote[] {
    const gone = [...this.#remotes.values()];
    this.#remotes.clear();
    this.#toldFull = false;
    for (const remote of gone) this.#ctx.removed(remote);
    return gone;
  }

  #retire(sessionKey: string): void {
    this.#silent.delete(sessionKey);
    this.#retired.add(sessionKey);
    if (this.#retired.size > RETIRED_LIMIT) {
      const oldest = this.#retired.values().next().value;
      if (oldest !== undefined) this.#retired.delete(oldest);
    }
  }

  #publish(): void {
    this.#ctx.store.setPeers([...this.#remotes.values()].map((remote) => remote.peer));
  }
}
