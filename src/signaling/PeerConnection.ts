import { Emitter, reportError } from '../core/emitter.js';
import { resolvePlatform } from '../core/platform.js';
import type { JsonValue } from '../core/types.js';
import { SignalingError } from './errors.js';
import type { PeerSignaling } from './PeerSignaling.js';
import type { Signal } from './types.js';
import type { RTCPeerConnectionConstructor, PeerConnectionPlatform, SignalingLink, PeerConnectionOptions, PeerConnectionSnapshot, PeerConnectionEventMap } from './peerConnectionTypes.js';

/** The most candidates kept waiting for the remote description (a real negotiation has far fewer). */
const CANDIDATE_LIMIT = 256;

/** Negotiation messages, sent as direct signals. */
interface RtcMessage {
  /** Sender's connection id (a new one whenever the sender starts over). */
  readonly cid: string;
  /** The addressee's connection id as the sender knows it. */
  readonly rcid?: string;
  readonly description?: { readonly type: RTCSdpType; readonly sdp: string } | undefined;
  readonly candidate?: RTCIceCandidateInit | null;
  /** The sender closed its connection. */
  readonly close?: true;
}

/**
 * A WebRTC connection to one peer of a {@link PeerSignaling} room, negotiated with the "perfect
 * negotiation" pattern: the peer with the greater id is polite (rolls back its own offer on a
 * collision), the other ignores colliding offers; candidates wait for the remote description; ICE
 * restarts when it fails. A peer that starts over (reload, new connection) is detected by its
 * connection id and negotiated with afresh; the connection closes for good when the peer leaves
 * the room or {@link PeerConnection.close} is called.
 */
export class PeerConnection {
  /** The remote peer id. */
  readonly peerId: string;
  /** Whether this end yields on offer collisions. */
  readonly polite: boolean;

  readonly #signaling: SignalingLink;
  readonly #options: PeerConnectionOptions;
  readonly #channelName: string;
  readonly #platform: PeerConnectionPlatform;
  #pc!: RTCPeerConnection;
  #dc: RTCDataChannel | undefined;
  #cid = '';
  #remoteCid: string | undefined;
  #makingOffer = false;
  #ignoreOffer = false;
  #settingAnswer = false;
  #candidates: RTCIceCandidateInit[] = [];
  /** Candidates dropped past {@link CANDIDATE_LIMIT} since the buffer was last emptied. */
  #candidatesDropped = 0;
  /** A message of the wrong shape was reported (once: a peer sending them is told of once). */
  #shapeReported = false;
  #chain: Promise<void> = Promise.resolve();
  #sentAny = false;
  #closed = false;
  #deferTimer: unknown;
  readonly #offSignal: () => void;
  readonly #offLeave: () => void;
  #snapshot: PeerConnectionSnapshot;
  readonly #emitter = new Emitter<PeerConnectionEventMap>();

  /**
   * @param signaling - a joined {@link PeerSignaling} (or anything with the same `selfId`, `send`, `consume`, `on`).
   * @param peerId - the remote peer.
   * @throws {SignalingError} `misuse` when no `RTCPeerConnection` is available.
   */
  constructor(signaling: SignalingLink, peerId: string, options: PeerConnectionOptions = {}) {
    this.#signaling = signaling;
    this.peerId = peerId;
    this.#options = options;
    this.#channelName = options.channel ?? 'rtc';
    const link = signaling.platform;
    const given = options.platform;
    const real = resolvePlatform({ events: undefined });
    this.#platform = {
      setTimeout: given?.setTimeout ?? link?.setTimeout ?? real.setTimeout,
      clearTimeout: given?.clearTimeout ?? link?.clearTimeout ?? real.clearTimeout,
      uuid: given?.uuid ?? link?.uuid ?? real.uuid,
    };
    this.polite = options.polite ?? signaling.selfId > peerId;
    this.#snapshot = Object.freeze({ state: 'new', channelState: 'none', lastMessage: undefined, remoteStream: undefined, polite: this.polite });
    this.#build();
    // The peer left the room (or this end did): nobody is left to tell.
    this.#offLeave = signaling.on('leave', ({ peer }) => {
      if (peer.id === peerId) this.#close(false);
    });
    this.#offSignal = signaling.consume(peerId, this.#channelName, (signal) => this.#onSignal(signal));
  }

  /** The current snapshot, for `useSyncExternalStore`. */
  getSnapshot = (): PeerConnectionSnapshot => this.#snapshot;

  /**
   * Calls `listener` whenever the snapshot changes.
   * @returns a function that unsubscribes.
   */
  subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /**
   * Listens to one event type (`message`: every data channel message).
   * @returns a function that unsubscribes.
   */
  on<K extends keyof PeerConnectionEventMap>(type: K, listener: (event: PeerConnectionEventMap[K]) => void): () => void {
    return this.#emitter.on(type, listener);
  }

  /**
   * Calls `listener` with every data channel message (the same as `on('message', listener)`).
   * @returns a function that unsubscribes.
   */
  onMessage(listener: (data: unknown) => void): () => void {
    return this.#emitter.on('message', listener);
  }

  /** The underlying `RTCPeerConnection` (replaced when the peer starts over). */
  get connection(): RTCPeerConnection {
    return this.#pc;
  }

  /**
   * Sends on the data channel.
   * @throws {SignalingError} `closed` when the channel is not open.
   */
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer> | Blob): void {
    const dc = this.#dc;
    if (!dc || dc.readyState !== 'open') {
      throw new SignalingError('closed', `The data channel to "${this.peerId}" is not open.`, { hint: 'Wait for channelState "open".' });
    }
    dc.send(data as string);
  }

  /** Closes the connection for good and tells the peer (when it is still in the room). */
  close(): void {
    const link = this.#signaling;
    this.#close(link.getPeer === undefined || link.getPeer(this.peerId) !== undefined);
  }

  #close(tell: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sentAny && tell) this.#signal({ close: true });
    this.#offSignal();
    this.#offLeave();
    this.#teardown();
    this.#update({ state: 'closed', channelState: this.#dc ? 'closed' : 'none' });
  }

  // ---------------------------------------------------------------- negotiation

  #build(): void {
    const Ctor = this.#options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: RTCPeerConnectionConstructor }).RTCPeerConnection;
    if (!Ctor) throw new SignalingError('misuse', 'No RTCPeerConnection in this context.', { hint: 'Pass the RTCPeerConnection option.' });
    const pc = new Ctor(this.#options.rtcConfig);
    this.#pc = pc;
    this.#cid = this.#platform.uuid();
    this.#makingOffer = false;
    this.#ignoreOffer = false;
    this.#settingAnswer = false;
    this.#candidates = [];
    this.#candidatesDropped = 0;

    pc.addEventListener('negotiationneeded', () => {
      void this.#offer(pc);
    });
    pc.addEventListener('icecandidate', (event) => {
      if (this.#pc !== pc) return;
      const candidate = (event as RTCPeerConnectionIceEvent).candidate;
      this.#signal({ candidate: candidate ? toCandidateInit(candidate) : null });
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      if (this.#pc === pc && pc.iceConnectionState === 'failed') pc.restartIce();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.#pc === pc && !this.#closed) this.#update({ state: pc.connectionState });
    });
    pc.addEventListener('track', (event) => {
      if (this.#pc !== pc) return;
      const { track, streams } = event as RTCTrackEvent;
      const stream = streams[0] ?? this.#snapshot.remoteStream ?? new MediaStream();
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
      this.#update({ remoteStream: stream });
    });

    const option = this.#options.dataChannel ?? true;
    this.#dc = undefined;
    if (option !== false) {
      const settings = option === true ? {} : option;
      const init: RTCDataChannelInit = { negotiated: true, id: settings.id ?? 0, ordered: settings.ordered ?? true };
      if (settings.maxRetransmits !== undefined) init.maxRetransmits = settings.maxRetransmits;
      if (settings.maxPacketLifeTime !== undefined) init.maxPacketLifeTime = settings.maxPacketLifeTime;
      if (settings.protocol !== undefined) init.protocol = settings.protocol;
      const dc = pc.createDataChannel(settings.label ?? 'sse-kit', init);
      this.#dc = dc;
      const sync = () => {
        if (this.#dc === dc && !this.#closed) this.#update({ channelState: dc.readyState });
      };
      dc.addEventListener('open', sync);
      dc.addEventListener('closing', sync);
      dc.addEventListener('close', sync);
      dc.addEventListener('message', (event) => {
        if (this.#dc !== dc || this.#closed) return;
        const data = (event as MessageEvent).data as unknown;
        this.#update({ lastMessage: data });
        this.#emitter.emit('message', data);
      });
    }
    const stream = this.#options.stream;
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    // A replaced connection's media ended with it.
    this.#update({ state: pc.connectionState, channelState: this.#dc ? this.#dc.readyState : 'none', remoteStream: undefined });
  }

  async #offer(pc: RTCPeerConnection, deferred = false): Promise<void> {
    if (this.#pc !== pc || this.#closed) return;
    const delay = this.#options.politeOfferDelay ?? 250;
    if (this.polite && !deferred && delay > 0 && !pc.remoteDescription && !pc.currentLocalDescription) {
      // First negotiation of the polite end: give the other end's offer a head start.
      if (this.#deferTimer === undefined) {
        this.#deferTimer = this.#platform.setTimeout(() => {
          this.#deferTimer = undefined;
          if (this.#pc === pc && pc.signalingState === 'stable' && !pc.remoteDescription) void this.#offer(pc, true);
        }, delay);
      }
      return;
    }
    try {
      this.#makingOffer = true;
      await pc.setLocalDescription();
      if (this.#pc !== pc || this.#closed) return;
      this.#signal({ description: toDescription(pc.localDescription) });
    } catch (error) {
      // A connection closed or replaced meanwhile fails its pending operations: nothing to report.
      if (this.#pc === pc && !this.#closed) this.#report(error);
    } finally {
      if (this.#pc === pc) this.#makingOffer = false;
    }
  }

  #onSignal(signal: Signal): void {
    const message = asRtcMessage(signal.data);
    if (message === null && !this.#closed && !this.#shapeReported) {
      this.#shapeReported = true;
      this.#report(new SignalingError('parse', `"${this.peerId}" sent a negotiation message of the wrong shape (a description or ICE candidate the browser cannot take); such messages are ignored.`));
    }
    if (!message || this.#closed) return;
    // One message at a time: a description is fully applied before the next message is looked at.
    this.#chain = this.#chain
      .then(() => this.#handle(message))
      .catch((error: unknown) => {
        // Closed meanwhile: the operations pending on the closed connection fail, as they should.
        if (!this.#closed) this.#report(error);
      });
  }

  async #handle(message: RtcMessage): Promise<void> {
    if (this.#closed) return;
    if (message.rcid !== undefined && message.rcid !== this.#cid) return; // meant for a connection this end already replaced
    if (message.close) {
      if (message.cid === this.#remoteCid) this.#restart(undefined);
      return;
    }
    if (this.#remoteCid !== undefined && message.cid !== this.#remoteCid && message.rcid === undefined) {
      // The peer started over without knowing this connection: do the same.
      this.#restart(message.cid);
    }
    this.#remoteCid = message.cid;
    const pc = this.#pc;
    if (message.description) {
      const description = message.description;
      const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#settingAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      this.#ignoreOffer = !this.polite && collision;
      if (this.#ignoreOffer) return;
      // On a collision the polite end yields: applying the remote offer rolls its own offer back
      // (implicitly, as the specification defines for setRemoteDescription).
      this.#settingAnswer = description.type === 'answer';
      try {
        await pc.setRemoteDescription(description);
      } finally {
        this.#settingAnswer = false;
      }
      if (this.#pc !== pc || this.#closed) return;
      await this.#flushCandidates(pc);
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        if (this.#pc !== pc || this.#closed) return;
        this.#signal({ description: toDescription(pc.localDescription) });
      }
    } else if (message.candidate !== undefined) {
      const candidate = message.candidate ?? { candidate: '' };
      if (!pc.remoteDescription) {
        if (this.#candidates.length < CANDIDATE_LIMIT) this.#candidates.push(candidate);
        else if (++this.#candidatesDropped === 1) {
          this.#report(new SignalingError('parse', `"${this.peerId}" sent more than ${CANDIDATE_LIMIT} ICE candidates before its description; the later ones were dropped.`));
        }
        return;
      }
      await this.#addCandidate(pc, candidate);
    }
  }

  async #flushCandidates(pc: RTCPeerConnection): Promise<void> {
    const pending = this.#candidates;
    this.#candidates = [];
    this.#candidatesDropped = 0;
    for (const candidate of pending) await this.#addCandidate(pc, candidate);
  }

  /** Adds one candidate; one that fails is reported (never thrown), so the candidates and the answer behind it still go. */
  async #addCandidate(pc: RTCPeerConnection, candidate: RTCIceCandidateInit): Promise<void> {
    try {
      await pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates of an offer this end ignored are expected to fail.
      if (!this.#ignoreOffer && this.#pc === pc && !this.#closed) this.#report(error);
    }
  }

  /** Replaces the `RTCPeerConnection` with a fresh one (the peer started over or closed). */
  #restart(remoteCid: string | undefined): void {
    this.#teardown();
    this.#remoteCid = remoteCid;
    this.#build();
  }

  #teardown(): void {
    if (this.#deferTimer !== undefined) this.#platform.clearTimeout(this.#deferTimer);
    this.#deferTimer = undefined;
    try {
      this.#dc?.close();
      this.#pc.close();
    } catch (error) {
      this.#report(error);
    }
  }

  #signal(payload: Omit<RtcMessage, 'cid' | 'rcid'>): void {
    this.#sentAny = true;
    const message: RtcMessage = { cid: this.#cid, ...(this.#remoteCid === undefined ? {} : { rcid: this.#remoteCid }), ...payload };
    this.#signaling.send(this.peerId, message as unknown as JsonValue, { channel: this.#channelName }).catch((error: unknown) => this.#report(error));
  }

  #update(patch: Partial<PeerConnectionSnapshot>): void {
    const next = { ...this.#snapshot, ...patch };
    const prev = this.#snapshot;
    if (
      next.state === prev.state &&
      next.channelState === prev.channelState &&
      next.lastMessage === prev.lastMessage &&
      next.remoteStream === prev.remoteStream &&
      !('lastMessage' in patch)
    ) {
      return;
    }
    this.#snapshot = Object.freeze(next);
    this.#emitter.notify();
  }

  /** Hands a background error to `onError`; an `onError` that throws is reported and never stops negotiation. */
  #report(error: unknown): void {
    try {
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch (thrown) {
      reportError(thrown);
    }
  }
}

function toDescription(description: RTCSessionDescription | null): RtcMessage['description'] {
  if (!description) return undefined;
  return { type: description.type, sdp: description.sdp };
}

function toCandidateInit(candidate: RTCIceCandidate): RTCIceCandidateInit {
  const json = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
  const init: RTCIceCandidateInit = { candidate: json.candidate ?? '' };
  if (json.sdpMid !== undefined && json.sdpMid !== null) init.sdpMid = json.sdpMid;
  if (json.sdpMLineIndex !== undefined && json.sdpMLineIndex !== null) init.sdpMLineIndex = json.sdpMLineIndex;
  if (json.usernameFragment !== undefined && json.usernameFragment !== null) init.usernameFragment = json.usernameFragment;
  return init;
}

/**
 * A negotiation message read from a signal: `undefined` when it is none (no connection id), `null` when
 * its description or candidate has a shape the browser cannot take (a type other than offer or answer,
 * a candidate that is not an `RTCIceCandidateInit`).
 */
function asRtcMessage(data: unknown): RtcMessage | undefined | null {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as { readonly [key: string]: unknown };
  if (typeof m.cid !== 'string' || (m.rcid !== undefined && typeof m.rcid !== 'string')) return undefined;
  const { description, candidate } = m as { description?: { type?: unknown; sdp?: unknown } | null; candidate?: { [key: string]: unknown } | null };
  if (description !== undefined && (description === null || (description.type !== 'offer' && description.type !== 'answer') || typeof description.sdp !== 'string')) return null;
  if (candidate !== undefined && candidate !== null && !isCandidate(candidate)) return null;
  return m as unknown as RtcMessage;
}

/** Whether `value` has the shape of an `RTCIceCandidateInit`. */
function isCandidate(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = value as { [key: string]: unknown };
  const nullable = (field: unknown, type: string) => field === undefined || field === null || typeof field === type;
  return (candidate === undefined || typeof candidate === 'string') && nullable(sdpMid, 'string') && nullable(sdpMLineIndex, 'number') && nullable(usernameFragment, 'string');
}
