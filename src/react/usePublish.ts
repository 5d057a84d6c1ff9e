'use client';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { PublishStore, type PublishLive } from './PublishStore.js';
import type { PublishCallOptions, UsePublishOptions, UsePublishResult } from './types.js';
import { useLatest } from './useLatest.js';
import { useDriver } from './useSseDriver.js';

/**
 * Publishes to `topic` (or several topics, canonical first) through the nearest
 * {@link SseProvider}'s driver. `publish` is stable and never throws — the outcome lands in
 * `status`, `error` and `lastId`; `publishAsync` returns the promise of the id.
 *
 * Offline behaviour: while the driver is reconnecting, a publish fails at once with a `network`
 * error — unless `queue: true`, which holds publishes (at most `queueLimit`) while the driver is
 * connecting or reconnecting (and one whose request failed on the network as the connection dropped)
 * and sends them in order once the connection is open, each with an id fixed when it was made so
 * that a retry cannot duplicate it. What is queued outlives the driver a provider hidden by
 * `<Activity>` destroys: it goes to the provider's new driver when it is shown again (a queued
 * publish made while hidden too), or fails with `closed` after 10 minutes without a show (an
 * unmounted provider cannot be told from a hidden one before). A publish the driver would refuse
 * before sending it (`misuse`, `unsupported`, `aborted`) is refused at once with the driver's error,
 * also while offline or with `queue`.
 *
 * `T` is not checked at run time: it types what `publish` accepts.
 *
 * ```tsx
 * const { publish, status } = usePublish<Message>('https://example.com/rooms/1', { queue: true });
 * <button onClick={() => publish({ text: 'hi' })} disabled={status === 'pending'}>Send</button>
 * ```
 * @param topic - read at each publish; changing it never changes `publish`.
 * @param defaults - options for every publish; one call's options override them field by field.
 * @throws {SseError} `misuse` outside an `SseProvider`.
 */
export function usePublish<T = unknown>(topic: string | readonly string[], defaults: UsePublishOptions = {}): UsePublishResult<T> {
  const driver = useDriver('usePublish');
  const live = useLatest<PublishLive>({ topic, defaults });
  const [store] = useState(() => new PublishStore(driver, live));
  useEffect(() => store.setDriver(driver), [store, driver]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
  return useMemo(
    () => ({
      ...snapshot,
      publish: store.publish as (data: T, options?: PublishCallOptions) => void,
      publishAsync: store.publishAsync as (data: T, options?: PublishCallOptions) => Promise<string>,
      reset: store.reset,
    }),
    [snapshot, store],
  );
}
