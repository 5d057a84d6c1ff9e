import type { JsonValue, Platform } from '../core/types.js';
import type { SignalingError } from './errors.js';

/** Lifecycle of a {@link PeerSignaling}. */
export type SignalingStatus = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left';

/** Why a peer left the room. */
export type LeaveReason = 'bye' | 'timeout' | 'replaced' | 'left';

/** A member of the room as this client sees it. */
export interface Peer {
  /** The peer's id (stable across its reconnects). */
  readonly id: string;
  /** Metadata the peer announced (`null` when it announced none). */
  readonly metadata: JsonValue;
  /** When this client first saw the current session of the peer (ms since epoch, local clock). */
  readonly joinedAt: number;
  /** When this client last heard from the peer (ms since epoch, local clock). */
  readonly lastSeen: number;
  /** The peer's current session id (a new one for every `join()`). */
  readonly session: string;
  /** Whether direct signals to this peer are end-to-end encrypted. */
  readonly encrypted: boolean;
}

/** A signal received from another peer. */
export interface Signal<T = JsonValue> {
  /** Sender's peer id. */
  readonly from: string;
  /** The signal value. */
  readonly data: T;
  /** The channel it was sent on (`signal` unless the sender chose another). */
  readonly channel: string;
  /** `true` for a direct signal (`send`), `false` for a broadcast. */
  readonly direct: boolean;
  /** Whether it travelled end-to-end encrypted. */
  readonly encrypted: boolean;
}

/** Events of a {@link PeerSignaling}, by type. */
export interface SignalingEventMap {
  /** A peer appeared (announce, answer, or any message of a new session). */
  join: { readonly peer: Peer };
  /** A peer left: explicit `bye`, missed heartbeats, a newer session, or this client left. */
  leave: { readonly peer: Peer; readonly reason: LeaveReason };
  /** A peer announced new metadata. */
  update: { readonly peer: Peer };
  /** A signal arrived. */
  signal: Signal;
  /** {@link PeerSignaling.status} changed. */
  status: { readonly status: SignalingStatus };
}

/**
 * State of the queue signaling messages leave through: `ok`, or `stalled` since a publish got no
 * answer within `sendTimeout` (later messages still go out; back to `ok` at the next publish that is
 * answered in time).
 */
export type OutboxStatus = 'ok' | 'stalled';

/** Snapshot of a {@link PeerSignaling}: a new object whenever something changes. */
export interface SignalingSnapshot {
  /** Lifecycle status. */
  readonly status: SignalingStatus;
  /** This client's peer id. */
  readonly selfId: string;
  /** The other members of the room, in order of appearance. */
  readonly peers: readonly Peer[];
  /** Whether signaling publishes get answered (always present in a {@link PeerSignaling}'s snapshots; `undefined` reads as `ok`). */
  readonly outbox?: OutboxStatus;
}

/** Sends a small POST that survives the page (`navigator.sendBeacon`); `false` when the browser refused it. */
export type SendBeacon = (url: string, body: URLSearchParams) => boolean;

/** Platform seams of signaling: the driver's seams plus a clock and the page's beacon. */
export interface SignalingPlatform extends Platform {
  /** Current time in ms since epoch. */
  now(): number;
  /** The beacon `bye` goes out with on `pagehide` (default: `navigator.sendBeacon` where it exists). */
  sendBeacon: SendBeacon | undefined;
}

/** Options of {@link PeerSignaling}. */
export interface PeerSignalingOptions {
  /** Any JSON value shown to the other peers (name, avatar, capabilities…). Default `null`. */
  metadata?: JsonValue | undefined;
  /** This client's peer id (default: a random uuid). Reusing it across page loads replaces the old session at once. */
  peerId?: string | undefined;
  /**
   * Heartbeat interval in ms (default 10 000). A beat is skipped when the room heard from this peer recently.
   *
   * Beats go on while this client's own stream is down: publishing is a separate request that may
   * well work, and the others would otherwise time this client out and close peer-to-peer links that
   * still work. Meanwhile this client hears nothing (on a hub that keeps history, signals sent to it
   * reach it when its stream resumes) and times nobody out. A stream down for long keeps the beats
   * going for as long as the driver tries to bring it back, since it may come back at any moment; once
   * the driver stopped trying (that stream's status is `error`: the hub refused the credentials or the
   * request, and only `reconnect()` or new headers restart it; another stream of the driver refused
   * for good does not count), the beats stop, so the room times out a member
   * that may never hear it again rather than keeping a ghost that newcomers would try to reach in
   * vain. It announces itself again as soon as its stream is back.
   */
  heartbeat?: number | undefined;
  /** A peer silent for longer than this many ms is dropped (default 3 × `heartbeat`). */
  timeout?: number | undefined;
  /**
   * The most other peers this client keeps in the room (default 256: far more than a mesh of
   * WebRTC links or room-wide heartbeats sustain). Anyone who may publish to the room can announce
   * any number of peer ids; past this limit a newcomer is ignored — no roster entry, no answer to its
   * announcement, none of its signals delivered or kept — and `onError` gets one
   * {@link SignalingError} `room-full` each time the room fills up. Known peers are never pushed out;
   * a peer that leaves (`bye`, timeout) frees its place for the next newcomer that speaks, and a newer
   * session of a member takes its place. A positive integer.
   */
  maxPeers?: number | undefined;
  /**
   * End-to-end encryption of direct signals (ECDH P-256 + AES-GCM). `true` (default where
   * `crypto.subtle` exists) encrypts to every peer that announced a key; `'required'` also refuses to
   * exchange plaintext direct signals; `false` disables it.
   */
  encrypt?: boolean | 'required' | undefined;
  /** Absolute URI under which room and inbox topics are built (default `https://sse-kit.invalid/signaling`). */
  topicBase?: string | undefined;
  /** Publish every signaling update as private (for hubs that enforce authorization). Default `false`. */
  private?: boolean | undefined;
  /**
   * The longest a signaling message may wait, from `send` (or a heartbeat, or `leave`) until the hub
   * answers its publish, in ms (default 10 000). Past it the message is given up: its promise rejects
   * with a {@link SignalingError} `timeout`, a publish in flight is aborted, the snapshot's `outbox`
   * turns `stalled` (reported once to `onError`) and later messages go on.
   */
  sendTimeout?: number | undefined;
  /** The longest {@link PeerSignaling.leave} waits for its `bye` to be published, in ms (default 3 000). */
  leaveTimeout?: number | undefined;
  /** Receives background errors (failed publishes, a stalled outbox, undecryptable signals). */
  onError?: ((error: Error) => void) | undefined;
  /**
   * Platform seams, for tests (default: the driver's seams — timers, ids, window events — with a
   * `Date.now` clock and `navigator.sendBeacon`). An `events: undefined` override listens to no page
   * events; a `sendBeacon: undefined` override sends no beacon; any other seam given as `undefined`
   * keeps its default.
   */
  platform?: { [K in keyof SignalingPlatform]?: SignalingPlatform[K] | undefined } | undefined;
}

/** Options of {@link PeerSignaling.send} and {@link PeerSignaling.broadcast}. */
export interface SendOptions {
  /** Channel name; receivers can tell application signals from, say, WebRTC negotiation. Default `signal`. */
  channel?: string | undefined;
}
