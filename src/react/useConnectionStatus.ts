'use client';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { ConnectionObserver, shallowEqual } from './ConnectionObserver.js';
import type { ConnectionState, UseConnectionStatusResult } from './types.js';
import { useDriver } from './useSseDriver.js';

/**
 * The connection state of the nearest {@link SseProvider}'s driver, and `reconnect()` — which also
 * lifts the stop a 401/403 puts on retries. On the server the status is `idle`.
 *
 * The component re-renders only when a field it read changes: reading `lastEventId` (which changes
 * with every incoming event) makes it re-render per event; reading only `status` does not.
 *
 * ```tsx
 * const { status, error, reconnect } = useConnectionStatus();
 * if (status === 'error') return <button onClick={reconnect}>Retry ({error?.code})</button>;
 * ```
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function useConnectionStatus(): UseConnectionStatusResult;
/**
 * What `selector` picks from the connection state of the nearest {@link SseProvider}'s driver. The
 * component re-renders only when the picked value changes (by `isEqual`, default: shallow equality,
 * so a selector may return a fresh object or array).
 *
 * ```tsx
 * const offline = useConnectionStatus((s) => s.status === 'reconnecting' || s.status === 'error');
 * ```
 * @param selector - called with the state (and `reconnect`); need not be stable.
 * @param isEqual - whether two picked values are the same (default: shallow equality).
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function useConnectionStatus<S>(selector: (state: ConnectionState) => S, isEqual?: (a: S, b: S) => boolean): S;
export function useConnectionStatus<S>(
  selector?: (state: ConnectionState) => S,
  isEqual: (a: S, b: S) => boolean = shallowEqual,
): S | UseConnectionStatusResult {
  const driver = useDriver('useConnectionStatus');
  const [observer] = useState(() => new ConnectionObserver(driver));
  useEffect(() => observer.setDriver(driver), [observer, driver]);
  const getSnapshot = useCallback(
    (): S | UseConnectionStatusResult => (selector === undefined ? observer.result(driver) : observer.select(driver, selector, isEqual)),
    [observer, driver, selector, isEqual],
  );
  const getServerSnapshot = useCallback(
    (): S | UseConnectionStatusResult => (selector === undefined ? observer.serverResult() : observer.selectServer(selector, isEqual)),
    [observer, selector, isEqual],
  );
  return useSyncExternalStore(observer.subscribe, getSnapshot, getServerSnapshot);
}
