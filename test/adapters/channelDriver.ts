import { vi } from 'vitest';
import { SseDriver, channels } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { MockChannelServer } from '../../src/mock/index.js';

/** Advances the fake clock (and the promises it releases). */
export const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

/** A driver on a MockChannelServer (one tab, no watchdog); `listen` subscribes raw to a channel and records its data. */
export function channelDriver() {
  const server = new MockChannelServer();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, onError: (e) => errors.push(e), platform: { random: () => 1, events: undefined } });
  const listen = (channel: string) => {
    const got: string[] = [];
    const off = driver.subscribe(channel, (u: SseUpdate) => got.push(String(u.data)), { raw: true });
    return { got, off };
  };
  return { server, driver, errors, listen };
}
