'use client';
import { useMemo, useState, useSyncExternalStore } from 'react';
import { SseError } from '../core/errors.js';
import { compileMatcher, toMatcherList } from '../core/matcher.js';
import type { Matchers } from '../core/types.js';
import { TopicStore, topicKey, type TopicConfig, type TopicLive } from './TopicStore.js';
import type { UseTopicOptions, UseTopicResult } from './types.js';
import { useLatest } from './useLatest.js';
import { useDriver } from './useSseDriver.js';

const DEFAULT_BUFFER = 50;

/**
 * Subscribes the component to the updates whose topic `matchers` select, through the nearest
 * {@link SseProvider}'s shared connection. Re-renders only when this subscription's data, or the
 * connection's status or error, change; a burst of updates renders once per task, while `onEvent`
 * sees every update in order.
 *
 * Matchers are compared by value (an inline array does not resubscribe); changing them, `type`,
 * `raw`, `since` or `enabled` resubscribes once and starts a fresh buffer. `onEvent`, `parse`,
 * `buffer` and `ignoreSelf` are read at each update.
 *
 * ```tsx
 * const { events, status } = useTopic<Message>('https://example.com/rooms/1', { buffer: 100 });
 * ```
 * @param matchers - a topic, `{ pattern }`, or a list of them.
 * @throws {SseError} `misuse` outside an `SseProvider`, or for an empty or invalid matcher.
 */
export function useTopic<T = unknown>(matchers: Matchers, options: UseTopicOptions<T> = {}): UseTopicResult<T> {
  const driver = useDriver('useTopic');
  const config: TopicConfig = {
    matchers,
    type: options.type,
    raw: options.raw === true,
    since: options.since,
    enabled: options.enabled !== false,
  };
  const key = topicKey(config);
  const buffer = options.buffer ?? DEFAULT_BUFFER;
  if (!Number.isInteger(buffer) || buffer < 0) {
    throw new SseError('misuse', `useTopic() buffer must be a non-negative integer, got ${String(buffer)}.`);
  }
  const live = useLatest<TopicLive<T>>({
    buffer,
    parse: options.parse ?? 'json',
    ignoreSelf: options.ignoreSelf === true,
    onEvent: options.onEvent,
  });

  const [store, setStore] = useState(() => createStore(driver, key, config, live));
  let current = store;
  if (store.driver !== driver || store.key !== key) {
    // A changed subscription: a new store, adopted during this render (one resubscription).
    current = createStore(driver, key, config, live);
    setStore(current);
  }
  const snapshot = useSyncExternalStore(current.subscribe, current.getSnapshot, current.getServerSnapshot);
  const clear = current.clear;
  return useMemo(() => ({ ...snapshot, clear }), [snapshot, clear]);
}

function createStore<T>(driver: TopicStore<T>['driver'], key: string, config: TopicConfig, live: { readonly current: TopicLive<T> }): TopicStore<T> {
  if (config.enabled) {
    // Misuse throws during render, with the driver's own message.
    for (const matcher of toMatcherList(config.matchers)) compileMatcher(matcher, driver.url);
  }
  return new TopicStore<T>(driver, key, config, live);
}
