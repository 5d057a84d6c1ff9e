import type { HubLimits, HubTimers } from './types.js';

/**
 * The development publisher key of the reference Mercure hub. Tokens signed with it are public
 * knowledge: never use it outside development.
 */
export const DEV_PUBLISHER_KEY = '!ChangeThisMercureHubJWTSecretKey!';

/** The longest delay `setTimeout` and `setInterval` honour (2^31-1 ms, about 24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** How long a socket may drain nothing before its stream is cut (ms), unless `idleWriteTimeout` says otherwise. */
export const DEFAULT_IDLE_WRITE_TIMEOUT = 30_000;

/** The path every Mercure hub serves. */
export const HUB_PATH = '/.well-known/mercure';

/** Default resource limits. */
export const DEFAULT_LIMITS: HubLimits = {
  bodyBytes: 1024 * 1024,
  fieldLength: 8 * 1024,
  topicsPerPublish: 32,
  matchersPerSubscription: 4096,
  matcherLength: 2048,
  connectionsPerClient: 256,
  matchersPerClient: 16_384,
  connections: 10_000,
  patternsPerClient: 256,
  patterns: 2048,
  dispatchUnits: 250_000,
  dispatchUnitsPerClient: 50_000,
  bufferedBytes: 8 * 1024 * 1024,
  historyScan: 1000,
  tokenGrants: 256,
};

/** The global timers, looked up at call time so fake timers installed later still apply. */
export const globalTimers: HubTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof globalThis.setInterval>),
};

/** A random `urn:uuid:` (v4), using `crypto.randomUUID` when the context offers it. */
export function randomUrnUuid(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return `urn:uuid:${c.randomUUID()}`;
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
