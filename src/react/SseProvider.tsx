'use client';
import { useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { SseDriver } from '../core/SseDriver.js';
import type { HeadersOption, SseDriverOptions } from '../core/types.js';
import { DriverOwner } from './DriverOwner.js';
import { SseContext } from './context.js';
import type { SseProviderProps } from './types.js';

const noDriver = (): undefined => undefined;

/**
 * Makes one {@link SseDriver} — one shared SSE connection — available to the hooks below it.
 *
 * Give it a ready `driver` (which it never destroys), or the driver options (`url`, `fetch`,
 * `publisher`, `subscriber`, `headers`, …): then it creates the driver on first use and destroys it
 * when it unmounts. Nothing connects during server rendering; the connection opens when the first
 * hook subscribes and closes shortly after the last one unsubscribes. Providers nest; hooks use the
 * nearest one.
 *
 * ```tsx
 * <SseProvider url="https://example.com/.well-known/mercure">
 *   <Chat />
 * </SseProvider>
 * ```
 */
export function SseProvider(props: SseProviderProps): ReactNode {
  const { driver: given, children, ...options } = props;
  const [owner] = useState(() => new DriverOwner(options as SseDriverOptions));
  const getOwned = given === undefined ? owner.get : noDriver;
  const owned = useSyncExternalStore(owner.subscribe, getOwned, getOwned);
  const driver: SseDriver = given ?? (owned as SseDriver);

  useEffect(() => {
    if (given !== undefined) return undefined;
    owner.retain();
    return () => owner.release();
  }, [owner, given]);

  const headers = given === undefined ? (options as SseDriverOptions).headers : undefined;
  const appliedHeaders = useRef(headers);
  useEffect(() => {
    if (given !== undefined || sameHeaders(appliedHeaders.current, headers)) return;
    appliedHeaders.current = headers;
    owner.setHeaders(headers);
  }, [owner, given, headers]);

  return <SseContext.Provider value={driver}>{children}</SseContext.Provider>;
}

/** Whether two `headers` options carry the same credentials (functions compare by identity). */
function sameHeaders(a: HeadersOption | undefined, b: HeadersOption | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a === 'function' || typeof b === 'function') return false;
  const list = (h: HeadersInit) => [...new Headers(h).entries()].map(([k, v]) => `${k}:${v}`).join('\n');
  return list(a) === list(b);
}
