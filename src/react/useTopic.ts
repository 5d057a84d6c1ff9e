'use client';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { SseError } from '../core/errors.js';
import type { Matchers } from '../core/types.js';
import { TopicObserver, topicKey, type TopicConfig, type TopicLive, type TopicTarget } from './TopicObserver.js';
import type { TopicParseFunction, UseTopicOptions, UseTopicResult } from './types.js';
import { useLatest } from './useLatest.js';
import { useDriver } from './useSseDriver.js';

const DEFAULT_BUFFER = 50;

/**
 * Subscribes the component to the updates whose topic `matchers` select, through the nearest
 * {@link SseProvider}'s shared connection, with `T` inferred from the `parse` function.
 *
 * ```tsx
 * const { last } = useTopic('https://example.com/prices/eur', { parse: (data) => Number(data) }); // T = number
 * ```
 * @param matchers - a topic, `{ pattern }`, or a list of them.
 * @throws {SseError} `misuse` outside an `SseProvider`, or for an empty or invalid matcher.
 */
export function useTopic<T>(matchers: Matchers, options: UseTopicOptions<T> & { parse: TopicParseFunction<T> }): UseTopicResult<T>;
/**
 * Subscribes the component to the updates whose topic `matchers` select, each payload as text.
 * @param matchers - a topic, `{ pattern }`, or a list of them.
 * @throws {SseError} `misuse` outside an `SseProvider`, or for an empty or invalid matcher.
 */
export function useTopic(matchers: Matchers, options: UseTopicOptions<string> & { parse: 'text' }): UseTopicResult<string>;
/**
 * Subscribes the component to the updates whose topic `matchers` select, through the nearest
 * {@link SseProvider}'s shared connection. Re-renders only when this subscription's data change, or
 * when the connection's `status` or `connectionError` change and the component read them; a burst of
 * updates renders once per batch across every `useTopic` (at most once per frame while it lasts), while
 * `onEvent` sees every update in order.
 *
 * Without a `parse` function, `T` is not checked: `useTopic<Message>(…)` is a cast of what the hub
 * sends (default `unknown`). Pass `parse` to validate the payload and infer `T` from it.
 *
 * Matchers are compared by value (an inline array does not resubscribe); changing them, `type`,
 * `raw`, `since` or `enabled` resubscribes once and starts a fresh buffer. `onEvent`, `parse`,
 * `buffer` and `ignoreSelf` are read at each update. A provider shown again after `<Activity>` hid
 * it (and destroyed its driver) keeps the buffer: its new driver resumes where the old one stopped. A
 * `useTopic` that `<Activity>` hid in a visible provider keeps its buffer too, and catches up from the
 * last update it had through a short-lived replay stream (a `gap` in `error` when the hub's history
 * cannot cover it).
 *
 * ```tsx
 * const { events, error } = useTopic<Message>('https://example.com/rooms/1', { buffer: 100 });
 * ```
 * @param matchers - a topic, `{ pattern }`, or a list of them.
 * @throws {SseError} `misuse` outside an `SseProvider`, or for an empty or invalid matcher.
 */
export function useTopic<T = unknown>(matchers: Matchers, options?: UseTopicOptions<T>): UseTopicResult<T>;
export function useTopic<T>(matchers: Matchers, options: UseTopicOptions<T> = {}): UseTopicResult<T> {
  const driver = useDriver('useTopic');
  const { type, since } = options;
  const raw = options.raw === true;
  const enabled = options.enabled !== false;
  const config: TopicConfig = { matchers, type, raw, since, enabled };
  // An inline matcher array is a new object each render: its key is computed again and compares by value.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const key = useMemo(() => topicKey(config), [matchers, type, raw, since, enabled]);
  const buffer = options.buffer ?? DEFAULT_BUFFER;
  if (!Number.isInteger(buffer) || buffer < 0) {
    throw new SseError('misuse', `useTopic() buffer must be a non-negative integer, got ${String(buffer)}.`);
  }
  const live = useLatest<TopicLive<T>>({
    key,
    buffer,
    parse: options.parse ?? 'json',
    ignoreSelf: options.ignoreSelf === true,
    onEvent: options.onEvent,
  });
  const target: TopicTarget = { driver, key, config };
  const [observer] = useState(() => new TopicObserver<T>(target, live));
  const result = useSyncExternalStore(observer.subscribe, observer.getSnapshot, observer.getServerSnapshot);
  useEffect(() => {
    observer.setTarget(target);
    // `target` is fixed by the driver and the config's value key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [observer, driver, key]);
  // Until the effect moved the observer to a changed subscription, render that subscription's start.
  return observer.isFor(driver, key) ? result : observer.preview(target);
}
