import type { Platform } from './types.js';

function fallbackUuid(random: () => number): string {
  const hex = [...Array(32)].map(() => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A platform with every seam filled in. */
export type ResolvedPlatform = Platform & { now(): number };

/**
 * The real platform, resolved at construction time (never at import time, so SSR is safe).
 * Overrides replace single seams.
 */
export function resolvePlatform(overrides: { [K in keyof Platform]?: Platform[K] | undefined } = {}): ResolvedPlatform {
  const random = overrides.random ?? Math.random;
  const crypto = globalThis.crypto as Crypto | undefined;
  return {
    setTimeout: overrides.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms)),
    clearTimeout: overrides.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>)),
    random,
    uuid: overrides.uuid ?? (crypto?.randomUUID ? () => crypto.randomUUID() : () => fallbackUuid(random)),
    events: 'events' in overrides ? overrides.events : typeof window === 'undefined' ? undefined : window,
    now: overrides.now ?? (() => Date.now()),
  };
}
