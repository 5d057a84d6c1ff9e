import type { RTCPeerConnectionConstructor, SignalingLink } from '../../src/signaling/peerConnectionTypes.js';
import type { Signal } from '../../src/signaling/types.js';
import type { JsonValue } from '../../src/core/types.js';

/** A deterministic pseudo-random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Description {
  readonly type: RTCSdpType;
  readonly sdp: string;
}

function domError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * A shared "network" for fake peer connections: operations take random time (set timers with
 * `vi.useFakeTimers()`), two connections connect once each holds the other's descriptions as
 * current ones, data channels deliver to their negotiated twin.
 */
export class FakeNetwork {
  readonly connections: FakeRTCPeerConnection[] = [];
  readonly random: () => number;
  /** Longest random delay of an operation, in ms. */
  maxDelay: number;

  constructor(random: () => number, maxDelay = 20) {
    this.random = random;
    this.maxDelay = maxDelay;
  }

  delay(): number {
    return Math.floor(this.random() * this.maxDelay);
  }

  /** An `RTCPeerConnection` constructor whose instances live on this network (one stable class). */
  readonly RTCPeerConnection: RTCPeerConnectionConstructor = (() => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    return class extends FakeRTCPeerConnection {
      constructor(configuration?: RTCConfiguration) {
        super(network, configuration);
      }
    } as unknown as RTCPeerConnectionConstructor;
  })();

  /** Connects `pc` with its counterpart when their descriptions match. */
  settle(pc: FakeRTCPeerConnection): void {
    const other = this.connections.find(
      (o) => o !== pc && !o.closed && o.current.local?.sdp === pc.current.remote?.sdp && o.current.remote?.sdp === pc.current.local?.sdp,
    );
    if (!other || pc.signalingState !== 'stable' || other.signalingState !== 'stable') return;
    pc.connect(other);
    other.connect(pc);
  }
}

let counter = 0;

/** A data channel of a {@link FakeRTCPeerConnection}. */
export class FakeDataChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting';
  readonly sent: unknown[] = [];
  constructor(
    readonly owner: FakeRTCPeerConnection,
    readonly label: string,
    readonly id: number,
  ) {
    super();
  }
  send(data: unknown): void {
    if (this.readyState !== 'open') throw domError('InvalidStateError', 'channel not open');
    this.sent.push(data);
    const twin = this.owner.peer?.channels.find((c) => c.id === this.id);
    if (!twin) return;
    setTimeout(() => {
      if (twin.readyState === 'open') twin.dispatchEvent(Object.assign(new Event('message'), { data }));
    }, this.owner.network.delay());
  }
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
  open(): void {
    if (this.readyState !== 'connecting') return;
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
}

/**
 * A fake `RTCPeerConnection` that records its calls and enforces the signaling state machine:
 * a remote offer applied in `have-local-offer` rolls the local offer back (as the specification
 * says), an answer must answer the pending local offer, candidates need a remote description and
 * must belong to it, operations run one at a time after a random delay.
 */
export class FakeRTCPeerConnection extends EventTarget {
  readonly name = `pc${++counter}`;
  readonly calls: string[] = [];
  readonly channels: FakeDataChannel[] = [];
  readonly current: { local: Description | undefined; remote: Description | undefined } = { local: undefined, remote: undefined };
  pending: { local: Description | undefined; remote: Description | undefined } = { local: undefined, remote: undefined };
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  iceConnectionState: RTCIceConnectionState = 'new';
  closed = false;
  peer: FakeRTCPeerConnection | undefined;
  readonly addedCandidates: string[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  #busy = 0;
  #needed = false;
  #offers = 0;

  constructor(
    readonly network: FakeNetwork,
    readonly configuration?: RTCConfiguration,
  ) {
    super();
    network.connections.push(this);
  }

  get localDescription(): Description | null {
    return this.pending.local ?? this.current.local ?? null;
  }
  get currentLocalDescription(): Description | null {
    return this.current.local ?? null;
  }
  get remoteDescription(): Description | null {
    return this.pending.remote ?? this.current.remote ?? null;
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): FakeDataChannel {
    this.calls.push(`createDataChannel(${label})`);
    const channel = new FakeDataChannel(this, label, init.id ?? this.channels.length);
    this.channels.push(channel);
    this.#needNegotiation();
    return channel;
  }

  addTrack(): void {
    this.calls.push('addTrack');
    this.#needNegotiation();
  }

  restartIce(): void {
    this.calls.push('restartIce');
    this.#needNegotiation();
  }

  setLocalDescription(description?: { type: RTCSdpType }): Promise<void> {
    return this.#op(`setLocalDescription(${description?.type ?? ''})`, () => {
      if (description?.type === 'rollback') {
        if (this.signalingState !== 'have-local-offer' && this.signalingState !== 'have-remote-offer') throw domError('InvalidStateError', 'nothing to roll back');
        this.pending = { local: undefined, remote: undefined };
        this.signalingState = 'stable';
        this.calls.push('rolled back');
        return;
      }
      if (this.signalingState === 'stable') {
        this.pending.local = { type: 'offer', sdp: `offer:${this.name}:${++this.#offers}` };
        this.signalingState = 'have-local-offer';
        this.calls.push(`offer ${this.pending.local.sdp}`);
      } else if (this.signalingState === 'have-remote-offer') {
        const answer = { type: 'answer' as const, sdp: `answer:${this.name}:to:${this.pending.remote!.sdp}` };
        this.current.local = answer;
        this.current.remote = this.pending.remote;
        this.pending = { local: undefined, remote: undefined };
        this.signalingState = 'stable';
        this.#needed = false;
        this.calls.push(`answer ${answer.sdp}`);
      } else {
        throw domError('InvalidStateError', `setLocalDescription() in ${this.signalingState}`);
      }
      this.#gatherCandidates();
    });
  }

  setRemoteDescription(description: Description): Promise<void> {
    return this.#op(`setRemoteDescription(${description.type})`, () => {
      if (description.type === 'offer') {
        if (this.signalingState === 'have-local-offer') {
          // Implicit rollback, as the specification defines it (and browsers implement it).
          this.pending = { local: undefined, remote: undefined };
          this.signalingState = 'stable';
          this.calls.push('rolled back');
        }
        if (this.signalingState !== 'stable') throw domError('InvalidStateError', `offer applied in ${this.signalingState}`);
        this.pending.remote = { ...description };
        this.signalingState = 'have-remote-offer';
      } else if (description.type === 'answer') {
        if (this.signalingState !== 'have-local-offer') throw domError('InvalidStateError', `answer applied in ${this.signalingState}`);
        if (description.sdp !== `answer:${description.sdp.split(':')[1]}:to:${this.pending.local!.sdp}`) {
          throw domError('InvalidAccessError', `answer ${description.sdp} does not answer ${this.pending.local!.sdp}`);
        }
        this.current.local = this.pending.local;
        this.current.remote = { ...description };
        this.pending = { local: undefined, remote: undefined };
        this.signalingState = 'stable';
        this.#needed = false;
      } else {
        throw domError('InvalidStateError', `unexpected ${description.type}`);
      }
    });
  }

  addIceCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    return this.#op('addIceCandidate', () => {
      if (!this.remoteDescription) throw domError('InvalidStateError', 'candidate before remote description');
      const text = candidate.candidate ?? '';
      if (text === '') return;
      const owner = text.split(':')[1];
      const remoteOwner = this.remoteDescription.sdp.split(':')[1];
      if (owner !== remoteOwner) throw domError('OperationError', `candidate of ${owner} does not belong to ${remoteOwner}`);
      this.addedCandidates.push(text);
    });
  }

  close(): void {
    this.calls.push('close');
    this.closed = true;
    this.signalingState = 'closed';
    this.connectionState = 'closed';
    for (const channel of this.channels) channel.close();
  }

  /** Test control: ICE fails (as on a network change). */
  failIce(): void {
    this.iceConnectionState = 'failed';
    this.connectionState = 'failed';
    this.dispatchEvent(new Event('iceconnectionstatechange'));
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  connect(peer: FakeRTCPeerConnection): void {
    this.peer = peer;
    if (this.connectionState !== 'connected') {
      this.connectionState = 'connected';
      this.iceConnectionState = 'connected';
      this.dispatchEvent(new Event('iceconnectionstatechange'));
      this.dispatchEvent(new Event('connectionstatechange'));
    }
    for (const channel of this.channels) channel.open();
  }

  #needNegotiation(): void {
    this.#needed = true;
    this.#maybeFireNegotiationNeeded();
  }

  #maybeFireNegotiationNeeded(): void {
    setTimeout(() => {
      if (this.closed || !this.#needed || this.signalingState !== 'stable' || this.#busy > 0) return;
      this.calls.push('negotiationneeded');
      this.dispatchEvent(new Event('negotiationneeded'));
    }, 0);
  }

  #gatherCandidates(): void {
    const sdp = this.localDescription?.sdp;
    let n = 0;
    const next = () => {
      if (this.closed || this.localDescription?.sdp !== sdp) return;
      n++;
      const candidate = n <= 2 ? { candidate: `cand:${this.name}:${sdp}:${n}`, sdpMid: '0', sdpMLineIndex: 0 } : null;
      this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: candidate && { ...candidate, toJSON: () => candidate } }));
      if (candidate) setTimeout(next, this.network.delay());
    };
    setTimeout(next, this.network.delay());
  }

  #op(name: string, fn: () => void): Promise<void> {
    this.calls.push(name);
    this.#busy++;
    const run = this.#chain.then(
      () =>
        new Promise<void>((resolve, reject) => {
          setTimeout(() => {
            try {
              if (this.closed) throw domError('InvalidStateError', 'closed');
              fn();
              resolve();
            } catch (error) {
              reject(error as Error);
            }
          }, this.network.delay());
        }),
    );
    this.#chain = run.catch(() => undefined);
    void this.#chain.then(() => {
      this.#busy--;
      if (this.signalingState === 'stable') {
        this.network.settle(this);
        if (this.#needed) this.#maybeFireNegotiationNeeded();
      }
    });
    return run;
  }
}

/**
 * Two in-memory signaling ends: every direct signal arrives in order after a random delay, and
 * signals sent before the addressee consumes its channel are kept, as {@link PeerSignaling} does.
 */
export function fakeSignalingPair(aId: string, bId: string, random: () => number, maxDelay = 20): [FakeLink, FakeLink] {
  const a = new FakeLink(aId, random, maxDelay);
  const b = new FakeLink(bId, random, maxDelay);
  a.other = b;
  b.other = a;
  return [a, b];
}

/** One end of {@link fakeSignalingPair}. */
export class FakeLink implements SignalingLink {
  other!: FakeLink;
  readonly sentLog: JsonValue[] = [];
  #nextDelivery = 0;
  readonly #consumers = new Map<string, (signal: Signal) => void>();
  readonly #kept: Signal[] = [];
  readonly #leaveListeners = new Set<(event: { peer: { id: string } }) => void>();

  constructor(
    readonly selfId: string,
    readonly random: () => number,
    readonly maxDelay: number,
  ) {}

  send = (peerId: string, data: JsonValue, options: { channel?: string } = {}): Promise<void> => {
    this.sentLog.push(data);
    const channel = options.channel ?? 'signal';
    const target = this.other;
    const at = Math.max(Date.now() + Math.floor(this.random() * this.maxDelay), this.#nextDelivery);
    this.#nextDelivery = at;
    const signal: Signal = { from: this.selfId, data: JSON.parse(JSON.stringify(data)) as JsonValue, channel, direct: true, encrypted: false };
    setTimeout(() => target.deliver(signal), at - Date.now());
    void peerId;
    return Promise.resolve();
  };

  /** Injects a signal as if it came from the other end. */
  deliver(signal: Signal): void {
    const consumer = this.#consumers.get(signal.channel);
    if (consumer) consumer(signal);
    else this.#kept.push(signal);
  }

  consume = (_peerId: string, channel: string, handler: (signal: Signal) => void): (() => void) => {
    this.#consumers.set(channel, handler);
    for (const signal of this.#kept.splice(0)) handler(signal);
    return () => {
      if (this.#consumers.get(channel) === handler) this.#consumers.delete(channel);
    };
  };

  on = ((type: string, listener: (event: { peer: { id: string } }) => void) => {
    if (type === 'leave') this.#leaveListeners.add(listener);
    return () => this.#leaveListeners.delete(listener);
  }) as SignalingLink['on'];

  /** Test control: the other peer leaves the room. */
  peerLeft(): void {
    for (const listener of [...this.#leaveListeners]) listener({ peer: { id: this.other.selfId } });
  }
}
