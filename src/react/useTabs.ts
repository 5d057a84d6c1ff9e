'use client';
import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { TabsInfo } from '../core/tabs/types.js';
import { useDriver } from './useSseDriver.js';

/** Before hydration and on the server: a single tab that holds nothing yet. */
const SERVER_TABS: TabsInfo = { role: 'pending', tabs: 1 };

/**
 * This tab's part in the connection the tabs of one origin share (see the driver's `tabs` option):
 * its `role` (`leader` holds the stream, `follower` reads it through the leader, `pending` while the
 * election runs) and how many `tabs` share it. Without sharing: `{ role: 'leader', tabs: 1 }`.
 * Re-renders only when one of the two changes.
 *
 * ```tsx
 * const { role, tabs } = useTabs();
 * ```
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function useTabs(): TabsInfo {
  const driver = useDriver('useTabs');
  const last = useRef<TabsInfo>(SERVER_TABS);
  const subscribe = useCallback((listener: () => void) => driver.on('state', listener), [driver]);
  const getSnapshot = useCallback((): TabsInfo => {
    const next = driver.getTabs();
    const prev = last.current;
    if (prev.role !== next.role || prev.tabs !== next.tabs) last.current = next;
    return last.current;
  }, [driver]);
  return useSyncExternalStore(subscribe, getSnapshot, () => SERVER_TABS);
}
