'use client';
import { useState, useSyncExternalStore } from 'react';
import { watchPresence, type PresenceSnapshot } from '../core/protocols/presence.js';
import { useDriver } from './useSseDriver.js';

/** What {@link usePresence} returns: the clients present on the topic, the same shape on every server. */
export type UsePresenceResult = PresenceSnapshot;

/**
 * The clients present on `topic`, kept current: Mercure hubs through subscription events and the
 * subscriptions API (the hub must have them enabled and the token must grant the subscriptions
 * topics), channel servers through their `online-presence` stream (every connected client of the
 * server). Using the hook makes this client present on `topic` too. On servers that cannot tell
 * presence, `error` is an `unsupported` error.
 *
 * ```tsx
 * const { members, ready } = usePresence('https://example.com/rooms/1');
 * ```
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function usePresence(topic: string): UsePresenceResult {
  const driver = useDriver('usePresence');
  const [watch, setWatch] = useState(() => ({ driver, topic, presence: watchPresence(driver, topic) }));
  let current = watch;
  if (watch.driver !== driver || watch.topic !== topic) {
    // Another topic or driver: a new watch, adopted during this render.
    current = { driver, topic, presence: watchPresence(driver, topic) };
    setWatch(current);
  }
  return useSyncExternalStore(current.presence.subscribe, current.presence.getSnapshot, current.presence.getSnapshot);
}
