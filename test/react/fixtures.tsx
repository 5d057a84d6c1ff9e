import { act } from '@testing-library/react';
import { vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { encodeEnvelope } from '../../src/core/envelope.js';
import type { SseDriverOptions } from '../../src/core/types.js';
import { MockHub, type MockHubOptions } from '../../src/mock/index.js';

/** A topic IRI for tests. */
export const topic = (name: string | number): string => `https://example.com/topics/${name}`;

/** A MockHub without heartbeats (no interval timer left behind). */
export function createHub(options: MockHubOptions = {}): MockHub {
  return new MockHub({ heartbeat: 0, ...options });
}

/** Driver options pointing at `hub`, deterministic backoff, no heartbeat watchdog. */
export function driverOptions(hub: MockHub, extra: Partial<SseDriverOptions> = {}): SseDriverOptions {
  return {
    url: hub.url,
    fetch: hub.fetch,
    protocol: 'v1',
    heartbeatTimeout: 0,
    retry: { initialDelay: 100, maxDelay: 1000 },
    platform: { random: () => 1, events: undefined },
    ...extra,
  };
}

/** A driver on `hub`. */
export function createDriver(hub: MockHub, extra: Partial<SseDriverOptions> = {}): SseDriver {
  return new SseDriver(driverOptions(hub, extra));
}

/** Counts the requests `hub` serves, by kind. */
export function countRequests(hub: MockHub): { subscribes: number; publishes: number; statuses: number[] } {
  const counts = { subscribes: 0, publishes: 0, statuses: [] as number[] };
  hub.on('request', (record) => {
    if (record.method === 'POST') counts.publishes++;
    else counts.subscribes++;
    counts.statuses.push(record.status);
  });
  return counts;
}

/** Publishes an sse-kit update from the hub side, as a driver with client id `sender` would. */
export function hubPublish(hub: MockHub, to: string, payload: unknown, id: string, sender = 'server'): void {
  hub.publish({ topic: to, id, data: encodeEnvelope(id, [to], sender, payload as never) });
}

/** Advances fake time (and lets React commit what it caused). */
export async function tick(ms = 0): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

/** Wraps `driver.subscribe` and `driver.on` to count live subscriptions and state listeners. */
export function instrument(driver: SseDriver): { subscribes: number; liveSubscriptions: number; liveStateListeners: number } {
  const stats = { subscribes: 0, liveSubscriptions: 0, liveStateListeners: 0 };
  const subscribe = driver.subscribe.bind(driver);
  const on = driver.on.bind(driver);
  driver.subscribe = ((...args: Parameters<SseDriver['subscribe']>) => {
    const off = subscribe(...args);
    stats.subscribes++;
    stats.liveSubscriptions++;
    let live = true;
    return () => {
      if (live) stats.liveSubscriptions--;
      live = false;
      off();
    };
  }) as SseDriver['subscribe'];
  driver.on = ((type, listener) => {
    const off = on(type, listener);
    if (type !== 'state') return off;
    stats.liveStateListeners++;
    let live = true;
    return () => {
      if (live) stats.liveStateListeners--;
      live = false;
      off();
    };
  }) as SseDriver['on'];
  return stats;
}
