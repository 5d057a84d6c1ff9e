import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import { encodeEnvelope } from '../../src/core/envelope.js';
import type { SseError } from '../../src/core/errors.js';
import { channels } from '../../src/core/protocols/channels.js';
import { MockChannelServer, MockHub } from '../../src/mock/index.js';

const T = 'https://example.com/books/1';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('since', () => {
  it('replays from since to a subscription made after another one with the same since and matchers already got its replay', async () => {
    const hub = new MockHub({ heartbeat: 0 });
    for (let i = 1; i <= 3; i++) hub.publish({ topic: T, id: `urn:${i}`, data: encodeEnvelope(`urn:${i}`, [T], 'server', i) });
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const first: unknown[] = [];
    const second: unknown[] = [];
    driver.subscribe(T, (u) => first.push(u.data), { since: 'earliest' });
    await vi.advanceTimersByTimeAsync(50);
    expect(first).toEqual([1, 2, 3]);
    driver.subscribe(T, (u) => second.push(u.data), { since: 'earliest' });
    await vi.advanceTimersByTimeAsync(50);
    expect(second).toEqual([1, 2, 3]);
    hub.publish({ topic: T, id: 'urn:4', data: encodeEnvelope('urn:4', [T], 'server', 4) });
    await vi.advanceTimersByTimeAsync(50);
    expect(first).toEqual([1, 2, 3, 4]);
    expect(second).toEqual([1, 2, 3, 4]);
    driver.destroy();
    hub.close();
  });

  it('reports a gap for a replay from an id on a server that keeps no history, not for one from earliest', async () => {
    const server = new MockChannelServer();
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, onError: (e) => errors.push(e), platform: { random: () => 1, events: undefined } });
    driver.subscribe('a', () => undefined, { since: 'urn:seen' });
    driver.subscribe('b', () => undefined, { since: 'earliest' });
    await vi.advanceTimersByTimeAsync(50);
    expect(server.connections).toBe(2);
    // Before: nothing (the server cannot replay, and the loss went untold).
    expect(errors).toEqual([expect.objectContaining({ code: 'gap', requested: 'urn:seen', extent: 'unknown' })]);
    driver.destroy();
  });
});
