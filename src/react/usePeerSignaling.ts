'use client';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { JsonValue } from '../core/types.js';
import { DEFAULT_CHANNEL, type PeerSignaling } from '../signaling/PeerSignaling.js';
import type { Peer, PeerSignalingOptions, SendOptions, Signal, SignalingSnapshot, SignalingStatus } from '../signaling/types.js';
import { useDriver } from './useSseDriver.js';
import { useLatest } from './useLatest.js';
import { SignalingObserver, idleSnapshot, type SignalingTarget } from './SignalingObserver.js';

/** Options of {@link usePeerSignaling}. */
export interface UsePeerSignalingOptions extends Omit<PeerSignalingOptions, 'metadata' | 'onError'> {
  /** Metadata shown to the other peers; a changed value (by content) is announced at once. */
  metadata?: JsonValue | undefined;
  /** Receives signals on the default channel (negotiation traffic of `usePeerConnection` is not passed). A new function never rejoins. */
  onSignal?: ((signal: Signal) => void) | undefined;
  /** Receives background errors. A new function never rejoins. */
  onError?: ((error: Error) => void) | undefined;
  /** `false` stays out of the room (and leaves it when it turns `false`). Default `true`. */
  enabled?: boolean | undefined;
}

/** What {@link usePeerSignaling} returns. */
export interface UsePeerSignalingResult {
  /** This client's peer id; `''` on the server and while hydrating, unless `peerId` is given. */
  readonly selfId: string;
  /** The other members of the room. */
  readonly peers: readonly Peer[];
  /** Lifecycle status (`idle`, `joining`, `joined`, `reconnecting`, `left`). */
  readonly status: SignalingStatus;
  /** Sends a direct signal (end-to-end encrypted where possible). */
  readonly send: (peerId: string, data: JsonValue, options?: SendOptions) => Promise<void>;
  /** Sends a signal to the whole room. */
  readonly broadcast: (data: JsonValue, options?: SendOptions) => Promise<void>;
  /** Leaves the room now (until `room` or `enabled` changes, or the component remounts). */
  readonly leave: () => Promise<void>;
  /** The underlying {@link PeerSignaling}, for `usePeerConnection` and event listeners. */
  readonly signaling: PeerSignaling;
}

/**
 * Joins `room` on the provider's hub connection while mounted: presence, heartbeats, direct and
 * broadcast signals. Leaving (unmount, `enabled: false`, a new room) sends `bye`. Under StrictMode
 * the double mount neither announces twice nor opens a second connection.
 *
 * ```tsx
 * const { selfId, peers, send } = usePeerSignaling('lobby', { metadata: { name }, onSignal: (s) => … });
 * ```
 */
export function usePeerSignaling(room: string, options: UsePeerSignalingOptions = {}): UsePeerSignalingResult {
  const driver = useDriver('usePeerSignaling');
  const { metadata, onSignal, onError, enabled = true, peerId: givenId, heartbeat, timeout, maxPeers, sendTimeout, leaveTimeout, encrypt, topicBase, private: isPrivate, platform } = options;
  // Random, so never rendered before hydration is over: the server snapshot below does not show it.
  const [ownId] = useState(() => (platform?.uuid ? platform.uuid() : driver.platform.uuid()));
  const peerId = givenId ?? ownId;
  const latestError = useLatest(onError);
  const latestMetadata = useLatest(metadata);

  const key = JSON.stringify([room, peerId, heartbeat ?? null, timeout ?? null, maxPeers ?? null, sendTimeout ?? null, leaveTimeout ?? null, encrypt ?? null, topicBase ?? null, isPrivate ?? null]);
  const settings: PeerSignalingOptions = { peerId, onError: (error) => latestError.current?.(error) };
  if (heartbeat !== undefined) settings.heartbeat = heartbeat;
  if (timeout !== undefined) settings.timeout = timeout;
  if (maxPeers !== undefined) settings.maxPeers = maxPeers;
  if (sendTimeout !== undefined) settings.sendTimeout = sendTimeout;
  if (leaveTimeout !== undefined) settings.leaveTimeout = leaveTimeout;
  if (encrypt !== undefined) settings.encrypt = encrypt;
  if (topicBase !== undefined) settings.topicBase = topicBase;
  if (isPrivate !== undefined) settings.private = isPrivate;
  // `platform` is a test seam read once per instance.
  if (platform !== undefined) settings.platform = platform;
  const target: SignalingTarget = { driver, room, key, settings };
  const latestSignal = useLatest({ onSignal, driver, key });
  const [observer] = useState(() => new SignalingObserver(target));
  const getServerSnapshot = useCallback(() => observer.getServerSnapshot(givenId ?? ''), [observer, givenId]);
  const view = useSyncExternalStore(observer.subscribe, observer.getSnapshot, getServerSnapshot);
  const { signaling } = view;

  useEffect(() => {
    observer.retain();
    return () => observer.release();
  }, [observer]);

  useEffect(() => {
    observer.setTarget(target);
    // `target` is fixed by the driver and the settings' value key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [observer, driver, key]);

  useEffect(() => {
    // A provider hands out a live driver in place of one destroyed while it was hidden; until this
    // component renders with it, there is nothing to join.
    if (!enabled || driver.destroyed || signaling !== observer.getSnapshot().signaling) return undefined;
    signaling.setMetadata(latestMetadata.current ?? null);
    const off = signaling.on('signal', (signal) => {
      const latest = latestSignal.current;
      // Until the effect moved the observer to the room rendered last, a signal is the previous room's.
      if (signal.channel === DEFAULT_CHANNEL && observer.isFor(latest.driver, latest.key)) latest.onSignal?.(signal);
    });
    signaling.join();
    return () => {
      off();
      void signaling.leave();
    };
  }, [observer, driver, signaling, enabled, latestSignal, latestMetadata]);

  const metadataKey = JSON.stringify(metadata ?? null);
  useEffect(() => {
    signaling.setMetadata(JSON.parse(metadataKey) as JsonValue);
  }, [signaling, metadataKey]);

  // Until the effect moved the observer to a changed room or driver, render that room's start.
  const pending = useMemo<SignalingSnapshot>(() => idleSnapshot(peerId), [peerId]);
  const snapshot = observer.isFor(driver, key) ? view.state : pending;
  const send = useCallback((to: string, data: JsonValue, sendOptions?: SendOptions) => signaling.send(to, data, sendOptions), [signaling]);
  const broadcast = useCallback((data: JsonValue, sendOptions?: SendOptions) => signaling.broadcast(data, sendOptions), [signaling]);
  const leave = useCallback(() => signaling.leave(), [signaling]);

  return { selfId: snapshot.selfId, peers: snapshot.peers, status: snapshot.status, send, broadcast, leave, signaling };
}
