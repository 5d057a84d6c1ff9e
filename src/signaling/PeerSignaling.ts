import { driverLink } from '../core/driverLink.js';
import { reportError } from '../core/emitter.js';
import type { SseDriver } from '../core/SseDriver.js';
import type { JsonValue } from '../core/types.js';
import { SignalingError } from './errors.js';
import { resolveOptions, type ResolvedSignalingOptions } from './options.js';
import { isTimeout, Outbox } from './Outbox.js';
import { PageLifecycle } from './PageLifecycle.js';
import { Presence } from './Presence.js';
import { subscribeRoom } from './RoomSubscription.js';
import { SessionCrypto } from './sessionCrypto.js';
import { SignalInbox } from './SignalInbox.js';
import { SignalingStore } from './SignalingStore.js';
import type { SignalingTopics } from './topics.js';
import type { Peer, PeerSignalingOptions, SendOptions, Signal, SignalingEventMap, SignalingPlatform, SignalingSnapshot, SignalingStatus } from './types.js';
import { channelField, DEFAULT_CHANNEL, encodeFrame, notJson, signalAad, type Message } from './wire.js';

export { DEFAULT_CHANNEL } from './wire.js';

/**
 * Peer presence and signaling in one room over a Mercure hub, riding the driver's shared connection.
 *
 * Topics (see {@link signalingTopics}): the room topic `{base}/rooms/{room}` carries announcements,
 * heartbeats, `bye` and broadcasts; each peer's inbox `{base}/rooms/{room}/peers/{peerId}` carries
 * answers to announcements and direct signals.
 *
 * - {@link PeerSignaling.join} announces once (and once more after each reconnect); every member
 *   answers straight to the newcomer's inbox, so it learns the room at once (see `Presence.ts`).
 * - {@link PeerSignaling.leave} and `pagehide` send `bye`; peers silent past `timeout` are dropped;
 *   a destroyed driver leaves the room (without `bye`).
 * - Heartbeats go on while this client's own stream is down, as long as the driver retries it: the
 *   room keeps this client (and its peer-to-peer links) through an outage of its stream alone (see
 *   the `heartbeat` option for a driver that stopped retrying).
 * - At most `maxPeers` other peers are kept: a flood of peer ids cannot grow the roster; newcomers
 *   past it are ignored and told once as a {@link SignalingError} `room-full`; known peers stay.
 * - Every message carries a per-join session id and a sequence number: signals of an earlier session,
 *   replays and out-of-order deliveries are dropped; a newer session of a peer replaces the older one.
 * - Direct signals are end-to-end encrypted (ECDH P-256 + AES-GCM) where WebCrypto exists.
 * - Every message has a deadline (`sendTimeout`): a publish the hub never answers is given up, the
 *   snapshot's `outbox` turns `stalled`, and later messages go on; `leave()` waits `leaveTimeout` at most.
 *
 * This class wires the parts, each in its own file: `wire.ts` (what goes on the wire), `Presence.ts`
 * (how a peer announces itself: hello, welcome, heartbeats, timeouts, bye), `Roster.ts` (who is in the
 * room), `RoomSubscription.ts` (the room and inbox on the driver's connection), `SignalInbox.ts`
 * (incoming signals and consumers), `Outbox.ts` on `SerialQueue.ts` (outgoing publishes and their
 * deadlines), `sessionCrypto.ts`, `PageLifecycle.ts` (`pagehide`, beacon) and `SignalingStore.ts`
 * (snapshot and events).
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
  readonly #options: ResolvedSignalingOptions;
  #metadata: JsonValue;

  readonly #store: SignalingStore;
  readonly #outbox: Outbox;
  readonly #inbox: SignalInbox;
  readonly #presence: Presence;
  readonly #lifecycle: PageLifecycle;
  /** Ends the current session's room subscription. */
  #detach: (() => void) | undefined;

  /**
   * @param driver - the driver whose connection and publish endpoint signaling uses.
   * @param room - room name (any string; percent-encoded into the topics).
   * @param options - see {@link PeerSignalingOptions}.
   * @throws {SignalingError} `misuse` for an empty room, `timeout <= heartbeat`, a `sendTimeout`,
   *   `leaveTimeout` or `maxPeers` out of range, metadata that is not JSON, or encryption asked for where WebCrypto is missing.
   */
  constructor(driver: SseDriver, room: string, options: PeerSignalingOptions = {}) {
    const resolved = resolveOptions(driver, room, options);
    const { platform, selfId, topics } = resolved;
    this.#driver = driver;
    this.#options = resolved;
    this.room = room;
    this.selfId = selfId;
    this.topics = topics;
    this.#metadata = resolved.metadata;
    const report = (error: unknown): void => this.#report(error);
    this.#store = new SignalingStore(selfId);
    this.#outbox = new Outbox({
      driver,
      private: resolved.private,
      sendTimeout: resolved.sendTimeout,
      timers: platform,
      uuid: () => platform.uuid(),
      onStatus: (status, error) => {
        this.#store.setOutbox(status);
        if (error) report(error);
      },
    });
    this.#inbox = new SignalInbox({
      selfId,
      encrypt: resolved.encrypt,
      store: this.#store,
      isCurrent: (session, remote) => this.#presence.session === session && this.#presence.remote(remote.peer.id) === remote,
      report,
    });
    this.#presence = new Presence({
      selfId,
      topics,
      platform,
      heartbeat: resolved.heartbeat,
      timeout: resolved.timeout,
      maxPeers: resolved.maxPeers,
      keys: resolved.encrypt !== false,
      store: this.#store,
      metadata: () => this.#metadata,
      send: (session, topic, message) => this.#outbox.send(session, topic, message),
      signal: (session, remote, frame, message, direct) => this.#inbox.receive(session, remote, frame, message, direct),
      removed: (remote) => this.#inbox.forget(remote.peer.id),
      sendFailed: (error) => this.#sendFailed(error),
      // The stream signaling rides on: a dedicated stream refused for good does not stop the beats.
      retrying: () => (driverLink(driver)?.mainStatus() ?? driver.getSnapshot().status) !== 'error',
      full: (peerId) =>
        report(
          new SignalingError('room-full', `Room "${room}" is full (maxPeers ${resolved.maxPeers}): newcomers such as "${peerId}" are ignored until a member leaves.`, {
            hint: 'Raise maxPeers for a bigger room; otherwise someone announces many peer ids.',
          }),
        ),
      displaced: () =>
        report(
          new SignalingError('misuse', `Another session joined room "${room}" as peer "${selfId}": the other peers now hear that one and ignore this one.`, {
            hint: 'Give each tab or device its own peerId (the default is a random one).',
          }),
        ),
    });
    this.#lifecycle = new PageLifecycle(platform, {
      hide: () => {
        if (!this.#presence.session) return false;
        void this.#leave(true);
        return true;
      },
      show: () => {
        try {
          this.join();
        } catch (error) {
          report(error);
        }
      },
    });
  }

  // ---------------------------------------------------------------- reading

  /** Lifecycle status. */
  get status(): SignalingStatus {
    return this.#store.getSnapshot().status;
  }

  /** The other members of the room, in order of appearance. */
  get peers(): readonly Peer[] {
    return this.#store.getSnapshot().peers;
  }

  /** The platform seams in use (the driver's, with the `platform` option on top), for work scheduled beside signaling. */
  get platform(): SignalingPlatform {
    return this.#options.platform;
  }

  /** The current session id (`undefined` unless joined). */
  get sessionId(): string | undefined {
    return this.#presence.session?.sid;
  }

  /** One peer by id. */
  getPeer(peerId: string): Peer | undefined {
    return this.#presence.remote(peerId)?.peer;
  }

  /** The current snapshot (a new object only when something changed), for `useSyncExternalStore`. */
  getSnapshot = (): SignalingSnapshot => this.#store.getSnapshot();

  /**
   * Calls `listener` whenever {@link PeerSignaling.getSnapshot} changes.
   * @returns a function that unsubscribes.
   */
  subscribe = (listener: () => void): (() => void) => this.#store.subscribe(listener);

  /**
   * Listens to one event type (`join`, `leave`, `update`, `signal`, `status`).
   * @returns a function that unsubscribes.
   */
  on<K extends keyof SignalingEventMap>(type: K, listener: (event: SignalingEventMap[K]) => void): () => void {
    return this.#store.on(type, listener);
  }

  /**
   * Receives the direct signals of one peer on one channel, starting with those that arrived on that
   * channel while nobody consumed it (kept per peer, at most 256 in all its channels, the oldest let go
   * first, until the peer leaves; at most 4096 for all peers together, the largest backlog letting go
   * first). The default channel is never kept. This is how a WebRTC connection created late still sees the offer sent early.
   * @returns a function that stops consuming.
   */
  consume(peerId: string, channel: string, handler: (signal: Signal) => void): () => void {
    return this.#inbox.consume(peerId, channel, handler);
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
    if (this.#presence.session) return;
    if (this.#driver.destroyed) {
      throw new SignalingError('closed', `join() was called on a destroyed SseDriver (room "${this.room}").`, {
        hint: 'Create the PeerSignaling on a live driver.',
      });
    }
    const subtle = this.#options.subtle;
    const session = this.#presence.createSession((sid) => (subtle ? new SessionCrypto(subtle, sid) : undefined));
    session.crypto?.keys.catch((error: unknown) => this.#report(error));
    this.#detach = subscribeRoom(this.#driver, this.topics, this.selfId, {
      active: () => this.#presence.activate(session),
      dropped: () => this.#presence.suspend(session),
      closed: () => void this.leave(),
      frame: (frame, direct) => this.#presence.receive(session, frame, direct),
      report: (error) => this.#report(error),
    });
    this.#lifecycle.joined();
    this.#presence.start(session);
  }

  /**
   * Leaves the room: sends `bye` (when this session sent anything and the driver can still publish),
   * unsubscribes and forgets every peer (each gets a `leave` event with reason `left`). Destroying the
   * driver leaves the room the same way, without `bye`.
   * @returns a promise settled once the `bye` is published, or after `leaveTimeout` when it is not
   *   (never rejects; failures go to `onError`).
   */
  leave(): Promise<void> {
    this.#lifecycle.stop();
    return this.#leave(false);
  }

  /**
   * Replaces this peer's metadata and tells the room at once (when joined).
   * @throws {SignalingError} `misuse` for a value that is not JSON (the previous metadata stays).
   */
  setMetadata(metadata: JsonValue): void {
    const invalid = notJson('setMetadata()', metadata);
    if (invalid) throw invalid;
    this.#metadata = metadata;
    this.#presence.metadataChanged();
  }

  /** Leaves the room and removes every listener. */
  destroy(): void {
    void this.leave();
    this.#store.clear();
    this.#inbox.clear();
  }

  #leave(beacon: boolean): Promise<void> {
    const ended = this.#presence.end();
    if (!ended) return Promise.resolve();
    const { session, bye } = ended;
    this.#detach?.();
    this.#detach = undefined;
    this.#lifecycle.left();
    let done = Promise.resolve();
    // A destroyed driver publishes nothing: the room learns of the departure by the timeout.
    if (bye && !this.#driver.destroyed) {
      const topic = this.topics.room;
      if (beacon) {
        // The beacon survives the page; the regular publish carries the credentials. Same id: receivers keep one.
        const id = `urn:uuid:${this.#options.platform.uuid()}`;
        const payload = encodeFrame(session, [bye]);
        this.#lifecycle.beacon({ url: this.#driver.url, topic, sender: this.#driver.clientId, payload, id, private: this.#options.private });
        done = this.#outbox.publishNow(topic, payload, id);
      } else {
        done = this.#outbox.send(session, topic, bye);
      }
      done = this.#bounded(done.catch((error: unknown) => this.#sendFailed(error)));
    }
    this.#presence.forgetAll();
    return done;
  }

  /** Settles with `done`, or after `leaveTimeout` at the latest. */
  #bounded(done: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const { platform, leaveTimeout } = this.#options;
      const timer = platform.setTimeout(resolve, leaveTimeout);
      void done.then(() => {
        platform.clearTimeout(timer);
        resolve();
      });
    });
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
    const session = this.#presence.session;
    if (!session) return Promise.reject(new SignalingError('closed', 'send() was called before join() or after leave().'));
    const remote = this.#presence.remote(peerId);
    if (!remote) {
      return Promise.reject(new SignalingError('not-found', `No peer "${peerId}" in room "${this.room}".`, { hint: 'Send to ids from peers or a join event.' }));
    }
    const invalid = notJson('send()', data);
    if (invalid) return Promise.reject(invalid);
    const seq = ++session.seq;
    const channel = options.channel ?? DEFAULT_CHANNEL;
    const base = { seq, t: 'signal' as const, tsid: remote.sid, ...channelField(channel) };
    let message: Message | Promise<Message>;
    const crypto = session.crypto;
    if (crypto && remote.key !== undefined) {
      const aad = signalAad(this.selfId, session.sid, peerId, remote.sid, seq, channel);
      // With this session's key: a peer that has not heard this session's presence yet can still decrypt it.
      message = Promise.all([crypto.keys, crypto.seal(remote, JSON.stringify(data), aad)]).then(([keys, enc]) => ({ ...base, enc, key: keys.publicKey }));
    } else if (this.#options.encrypt === 'required') {
      return Promise.reject(new SignalingError('misuse', `Peer "${peerId}" announced no encryption key and encryption is required.`));
    } else {
      message = { ...base, data };
    }
    return this.#outbox.send(session, this.topics.inbox(peerId), message);
  }

  /**
   * Sends a signal to every member of the room through the room topic (not encrypted end to end).
   * @returns a promise settled once the hub accepted it.
   * @throws {SignalingError} (as a rejection) `closed` when not joined, `misuse` for a value that is not JSON.
   */
  broadcast(data: JsonValue, options: SendOptions = {}): Promise<void> {
    const session = this.#presence.session;
    if (!session) return Promise.reject(new SignalingError('closed', 'broadcast() was called before join() or after leave().'));
    const invalid = notJson('broadcast()', data);
    if (invalid) return Promise.reject(invalid);
    return this.#outbox.send(session, this.topics.room, this.#presence.broadcast(session, { data, ...channelField(options.channel ?? DEFAULT_CHANNEL) }));
  }

  /** A message signaling sends by itself failed: reported, except a timeout (the outbox reported its stall). */
  #sendFailed(error: unknown): void {
    if (!isTimeout(error)) this.#report(error);
  }

  /** Hands a background error to `onError`; an `onError` that throws is reported and never breaks signaling. */
  #report(error: unknown): void {
    const err = error instanceof Error ? error : new SignalingError('parse', String(error));
    try {
      this.#options.onError?.(err);
    } catch (thrown) {
      reportError(thrown);
    }
  }
}
