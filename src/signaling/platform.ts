import type { Platform } from '../core/types.js';
import type { SendBeacon, SignalingPlatform } from './types.js';

/**
 * The seams of one signaling instance: a copy of the driver's (its own object is never shared), the
 * given overrides on top — `events` and `sendBeacon` count when present, even as `undefined` —, a
 * `Date.now` clock and the real `navigator.sendBeacon` by default. Resolved at construction time,
 * never at import time, so SSR is safe.
 */
export function resolveSignalingPlatform(driver: Platform, overrides: { [K in keyof SignalingPlatform]?: SignalingPlatform[K] | undefined } = {}): SignalingPlatform {
  const platform: SignalingPlatform = { ...driver, now: () => Date.now(), sendBeacon: realSendBeacon() };
  for (const key of Object.keys(overrides) as (keyof SignalingPlatform)[]) {
    const value = overrides[key];
    if (value !== undefined || key === 'events' || key === 'sendBeacon') (platform as unknown as Record<string, unknown>)[key] = value;
  }
  return platform;
}

function realSendBeacon(): SendBeacon | undefined {
  const nav = (globalThis as { navigator?: { sendBeacon?: (url: string, body: URLSearchParams) => boolean } }).navigator;
  const send = nav?.sendBeacon;
  return typeof send === 'function' ? (url, body) => send.call(nav, url, body) : undefined;
}
