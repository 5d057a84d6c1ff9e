'use client';
import { useContext } from 'react';
import type { SseDriver } from '../core/SseDriver.js';
import { SseContext } from './context.js';
import { missingProviderError } from './errors.js';

/**
 * The driver of the nearest {@link SseProvider}, for what the hooks do not cover
 * (`driver.on(…)` timelines, `getSubscriptions()`, imperative publishes).
 * @throws {SseError} `misuse` outside any `SseProvider`.
 */
export function useSseDriver(): SseDriver {
  return useDriver('useSseDriver');
}

/** {@link useSseDriver} naming the calling hook in its error. */
export function useDriver(hook: string): SseDriver {
  const driver = useContext(SseContext);
  if (driver === null) throw missingProviderError(hook);
  return driver;
}
