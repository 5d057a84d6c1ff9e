'use client';
import { useEffect, useLayoutEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { SseDriverOptions } from '../core/types.js';
import { DriverOwner } from './DriverOwner.js';
import { SseContext } from './context.js';
import { missingDriverError } from './errors.js';
import type { SseProviderProps } from './types.js';

/** A layout effect in the browser; on a server, where effects do not run, React 18 would warn about one. */
const useBeforeEffects = typeof window === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Makes one {@link SseDriver} — one shared SSE connection — available to the hooks below it.
 *
 * Give it a ready `driver` (which it never destroys), or the driver options (`url`, `fetch`,
 * `publisher`, `subscriber`, `headers`, …): then it creates the driver and destroys it when it
 * unmounts. The options are read once (a changed `headers` object excepted, and the `onError` and
 * `headers` functions, which are the ones rendered last: a new `headers` function is told to the
 * driver only when it gives other headers than the last request sent); in development a changed option is reported, with the fix: a `key` that changes with it.
 * Hidden by `<Activity>`, it destroys its driver and makes a new one when shown again; publishes
 * that `usePublish` queued go to the new one.
 * Nothing connects during server rendering; the connection opens when the first hook
 * subscribes and closes shortly after the last one unsubscribes. Providers nest; hooks use the nearest one.
 *
 * ```tsx
 * <SseProvider url="https://example.com/.well-known/mercure">
 *   <Chat />
 * </SseProvider>
 * ```
 */
export function SseProvider(props: SseProviderProps): ReactNode {
  const { driver: given, children, ...rest } = props;
  const options = rest as SseDriverOptions;
  // A provider given a driver makes none (its options are absent).
  const [owner] = useState(() => (given === undefined ? new DriverOwner(options) : undefined));
  const owned = useSyncExternalStore(owner?.subscribe ?? noSubscribe, owner?.getSnapshot ?? noDriver, owner?.getSnapshot ?? noDriver);

  // Shown again after <Activity> hid it: the destroyed driver is replaced before any effect below runs,
  // so a `usePublish` publishing as it shows finds the replacement (`liveDriver`).
  useBeforeEffects(() => owner?.revive(), [owner]);

  useEffect(() => {
    if (owner === undefined) return undefined;
    owner.retain();
    return () => owner.release();
  }, [owner]);

  useEffect(() => {
    owner?.setOptions(options);
  });

  const driver = given ?? owned;
  if (driver === undefined) throw missingDriverError();
  return <SseContext.Provider value={driver}>{children}</SseContext.Provider>;
}

const noSubscribe = (): (() => void) => () => undefined;
const noDriver = (): undefined => undefined;
