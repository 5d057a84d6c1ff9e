'use client';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { callSafely, reportError } from '../core/emitter.js';
import { SignalingError } from '../signaling/errors.js';
import { PeerConnection } from '../signaling/PeerConnection.js';
import type {
  DataChannelOptions,
  DataChannelState,
  PeerConnectionOptions,
  PeerConnectionState,
  RTCPeerConnectionConstructor,
} from '../signaling/peerConnectionTypes.js';
import type { PeerSignaling } from '../signaling/PeerSignaling.js';
import type { SignalingSnapshot } from '../signaling/types.js';
import { PeerConnectionStore } from './PeerConnectionStore.js';
import { useLatest } from './useLatest.js';

/** Options of {@link usePeerConnection}. */
export interface UsePeerConnectionOptions {
  /** The room's signaling: `usePeerSignaling(…)`'s result or its `signaling`. */
  signaling: PeerSignaling | { readonly signaling: PeerSignaling } | undefined;
  /** ICE servers and other settings (compared by content). */
  rtcConfig?: RTCConfiguration | undefined;
  /** Data channel: `true` (default), `false`, or its settings (compared by content). Both peers must agree. */
  dataChannel?: boolean | DataChannelOptions | undefined;
  /** Local media to send. A new stream renegotiates from scratch. */
  stream?: MediaStream | undefined;
  /** `RTCPeerConnection` constructor (default: the global one). */
  RTCPeerConnection?: RTCPeerConnectionConstructor | undefined;
  /** Called with every data channel message. A new function never reconnects. */
  onMessage?: ((data: unknown) => void) | undefined;
  /**
   * Receives background errors, and the error of a connection that cannot be created (no
   * `RTCPeerConnection`, an invalid `rtcConfig`), which is reported as uncaught when this is absent.
   * A new function never reconnects.
   */
  onError?: ((error: Error) => void) | undefined;
  /** `false` holds no connection. Default `true`. */
  enabled?: boolean | undefined;
}

/** What {@link usePeerConnection} returns. */
export interface UsePeerConnectionResult {
  /** Connection state (`new` until the peer is in the room and negotiation starts). */
  readonly state: PeerConnectionState;
  /** Data channel state. */
  readonly channelState: DataChannelState;
  /** Sends on the data channel; throws `closed` when it is not open. */
  readonly send: (data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer> | Blob) => void;
  /** The last data channel message. */
  readonly lastMessage: unknown;
  /** Adds a data channel message listener; returns a function that removes it. */
  readonly onMessage: (listener: (data: unknown) => void) => () => void;
  /** The remote media, once a track arrived. */
  readonly remoteStream: MediaStream | undefined;
  /** Closes the connection (until the peer, the settings or `enabled` change). */
  readonly close: () => void;
  /** The underlying `RTCPeerConnection`, for stats and advanced use. */
  readonly connection: RTCPeerConnection | undefined;
}

const NO_SNAPSHOT: SignalingSnapshot = Object.freeze({ status: 'idle', selfId: '', peers: Object.freeze([]) });
const noSubscribe = () => () => undefined;
const noSnapshot = () => NO_SNAPSHOT;

/**
 * A WebRTC connection to `peerId`, negotiated over the room's signaling with perfect negotiation
 * (polite/impolite by id order, rollback on collisions, buffered candidates, ICE restart on failure).
 * It starts once the peer is in the room, closes when the peer leaves, and starts again when the
 * peer comes back.
 *
 * ```tsx
 * const room = usePeerSignaling('lobby');
 * const { channelState, send, lastMessage } = usePeerConnection(room.peers[0]?.id, { signaling: room });
 * ```
 */
export function usePeerConnection(peerId: string | undefined, options: UsePeerConnectionOptions): UsePeerConnectionResult {
  const { rtcConfig, dataChannel, stream, RTCPeerConnection: Ctor, onMessage, onError, enabled = true } = options;
  const signaling = options.signaling === undefined ? undefined : 'signaling' in options.signaling ? options.signaling.signaling : options.signaling;
  const [store] = useState(() => new PeerConnectionStore());
  const latestMessage = useLatest({ onMessage, peerId });
  const latestError = useLatest(onError);

  const room = useSyncExternalStore(signaling?.subscribe ?? noSubscribe, signaling?.getSnapshot ?? noSnapshot, signaling?.getSnapshot ?? noSnapshot);
  const session = peerId === undefined ? undefined : room.peers.find((p) => p.id === peerId)?.session;
  const rtcKey = JSON.stringify(rtcConfig ?? null);
  const channelKey = JSON.stringify(dataChannel ?? true);

  useEffect(
    () =>
      store.onMessage((data) => {
        const latest = latestMessage.current;
        // Until the effect closed the previous peer's connection, its messages are not for this peer's callback.
        if (store.connectionTo(latest.peerId) !== undefined) latest.onMessage?.(data);
      }),
    [store, latestMessage],
  );

  useEffect(() => {
    if (!enabled || !signaling || peerId === undefined || session === undefined) return undefined;
    let connection: PeerConnection | undefined;
    let cancelled = false;
    const settings: PeerConnectionOptions = {
      dataChannel: JSON.parse(channelKey) as boolean | DataChannelOptions,
      onError: (error) => latestError.current?.(error),
    };
    const config = JSON.parse(rtcKey) as RTCConfiguration | null;
    if (config) settings.rtcConfig = config;
    if (stream) settings.stream = stream;
    if (Ctor) settings.RTCPeerConnection = Ctor;
    // Created a microtask later: StrictMode's throwaway mount is undone before anything is negotiated.
    queueMicrotask(() => {
      if (cancelled) return;
      try {
        connection = new PeerConnection(signaling, peerId, settings);
        store.set(connection);
      } catch (error) {
        // A misuse (no RTCPeerConnection, an invalid rtcConfig) is never dropped: without onError it is reported.
        const onError = latestError.current;
        if (onError) callSafely(onError, error instanceof Error ? error : new Error(String(error)));
        else reportError(error);
      }
    });
    return () => {
      cancelled = true;
      connection?.close();
    };
  }, [store, enabled, signaling, peerId, session, rtcKey, channelKey, stream, Ctor, latestError]);

  // The previous peer's connection (closed, or closing until the effect ran) is never shown for this one.
  const getSnapshot = useCallback(() => store.snapshotFor(peerId), [store, peerId]);
  const snapshot = useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
  const send = useCallback(
    (data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer> | Blob) => {
      const connection = store.connectionTo(peerId);
      if (!connection) throw new SignalingError('closed', `No connection to "${peerId ?? ''}" yet.`, { hint: 'Wait for channelState "open".' });
      connection.send(data);
    },
    [store, peerId],
  );
  const close = useCallback(() => store.connectionTo(peerId)?.close(), [store, peerId]);

  return {
    state: snapshot.state,
    channelState: snapshot.channelState,
    send,
    lastMessage: snapshot.lastMessage,
    onMessage: store.onMessage,
    remoteStream: snapshot.remoteStream,
    close,
    connection: store.connectionTo(peerId)?.connection,
  };
}
