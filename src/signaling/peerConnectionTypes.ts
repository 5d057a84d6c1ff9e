/** The types of a `PeerConnection`: its options, snapshot, events, and the seams it runs on. */
import type { Platform } from '../core/types.js';
import type { PeerSignaling } from './PeerSignaling.js';

/** Connection state: `RTCPeerConnection.connectionState`, or `closed` once closed for good. */
export type PeerConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** State of the data channel (`none` when the connection has none). */
export type DataChannelState = 'none' | 'connecting' | 'open' | 'closing' | 'closed';

/** Data channel settings. The channel is negotiated out of band (same `id` on both ends), so both ends create it. */
export interface DataChannelOptions {
  /** Label (default `sse-kit`). */
  label?: string | undefined;
  /** Channel id, identical on both ends (default 0). */
  id?: number | undefined;
  /** Ordered delivery (default `true`). */
  ordered?: boolean | undefined;
  /** Give up after this many retransmissions (unreliable mode). */
  maxRetransmits?: number | undefined;
  /** Give up after this many ms (unreliable mode). */
  maxPacketLifeTime?: number | undefined;
  /** Sub-protocol name. */
  protocol?: string | undefined;
}

/** Constructor of an `RTCPeerConnection` (injectable for tests and other runtimes). */
export type RTCPeerConnectionConstructor = new (configuration?: RTCConfiguration) => RTCPeerConnection;

/** The platform seams a {@link PeerConnection} uses: timers and ids. */
export type PeerConnectionPlatform = Pick<Platform, 'setTimeout' | 'clearTimeout' | 'uuid'>;

/**
 * The part of {@link PeerSignaling} a {@link PeerConnection} uses. `getPeer` (whether the peer is
 * still in the room) and `platform` (timers and ids) are optional for other signaling links.
 */
export type SignalingLink = Pick<PeerSignaling, 'selfId' | 'send' | 'consume' | 'on'> & {
  readonly getPeer?: ((peerId: string) => unknown) | undefined;
  readonly platform?: PeerConnectionPlatform | undefined;
};

/** Options of {@link PeerConnection}. */
export interface PeerConnectionOptions {
  /** ICE servers and other `RTCPeerConnection` settings. */
  rtcConfig?: RTCConfiguration | undefined;
  /** Open a data channel: `true` (default), `false`, or its settings. Both peers must agree. */
  dataChannel?: boolean | DataChannelOptions | undefined;
  /** Local media to send. */
  stream?: MediaStream | undefined;
  /** `RTCPeerConnection` constructor (default: the global one). */
  RTCPeerConnection?: RTCPeerConnectionConstructor | undefined;
  /** Override the politeness given by id order (the peer with the greater id is polite). */
  polite?: boolean | undefined;
  /** Signaling channel for negotiation messages (default `rtc`). */
  channel?: string | undefined;
  /**
   * How long (ms) the polite end waits for the other end's first offer before making its own
   * (default 250; `0` offers at once). Starting with one offer avoids most collisions, which browsers
   * resolve less reliably than the pattern promises; collisions that still happen are resolved.
   */
  politeOfferDelay?: number | undefined;
  /** Receives background errors (failed negotiation steps, failed signal publishes). */
  onError?: ((error: Error) => void) | undefined;
  /** Timer and id seams, for tests (default: the signaling's, else the real ones; an `undefined` seam keeps its default). */
  platform?: { [K in keyof PeerConnectionPlatform]?: PeerConnectionPlatform[K] | undefined } | undefined;
}

/** Snapshot of a {@link PeerConnection}: a new object whenever something changes. */
export interface PeerConnectionSnapshot {
  /** Connection state. */
  readonly state: PeerConnectionState;
  /** Data channel state. */
  readonly channelState: DataChannelState;
  /** The last data channel message (`undefined` before the first). */
  readonly lastMessage: unknown;
  /** The remote media, once a track arrived. */
  readonly remoteStream: MediaStream | undefined;
  /** Whether this end yields on offer collisions. */
  readonly polite: boolean;
}

/** Events of a {@link PeerConnection}, by type. */
export interface PeerConnectionEventMap {
  /** A data channel message (a string, an `ArrayBuffer` or a `Blob`). */
  message: unknown;
}

