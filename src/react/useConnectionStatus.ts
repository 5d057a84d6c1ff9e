'use client';
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { DriverState } from '../core/types.js';
import { INITIAL_DRIVER_STATE } from '../core/initialState.js';
import type { UseConnectionStatusResult } from './types.js';
import { useDriver } from './useSseDriver.js';

const serverState = (): DriverState => INITIAL_DRIVER_STATE;

/**
 * The connection state of the nearest {@link SseProvider}'s driver, and `reconnect()` — which also
 * lifts the stop a 401/403 puts on retries. Re-renders on every state change, including each new
 * `lastEventId`; on the server the status is `idle`.
 *
 * ```tsx
 * const { status, error, reconnect } = useConnectionStatus();
 * if (status === 'error') return <button onClick={reconnect}>Retry ({error?.code})</button>;
 * ```
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function useConnectionStatus(): UseConnectionStatusResult {
  const driver = useDriver('useConnectionStatus');
  const subscribe = useCallback((listener: () => void) => driver.subscribeState(listener), [driver]);
  const getState = useCallback(() => driver.getState(), [driver]);
  const state = useSyncExternalStore(subscribe, getState, serverState);
  const reconnect = useCallback(() => driver.reconnect(), [driver]);
  return useMemo(
    () => ({ status: state.status, lastEventId: state.lastEventId, retries: state.retries, error: state.error, reconnect }),
    [state, reconnect],
  );
}
