import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, channels, sse as sseServer, tokenStream } from '../../src/index.js';
import type { DriverEvent, FetchLike, SseDriverOptions, SseError } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const HEARTBEAT = { type: 'fallback', connection: 'main', status: 200, from: 'heartbeats', to: 'none' };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: Partial<SseDriverOptions> = {}, hub = new StreamHub()) {
  const errors: SseError[] = [];
  const timeline: DriverEvent[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e), ...options });
  driver.on('event', (e) => timeline.push(e));
  const drops = () => timeline.filter((e) => e.type === 'drop').length;
  return { hub, driver, errors, timeline, drops };
}

describe('a Mercure-style server that sends no heartbeats (seed 000: no ids, no history, no comments)', () => {
  it('is restarted once for silence; the reconnect it accepts at once teaches the driver it sends none: silence is then waited out 8 times as long', async () => {
    const { hub, driver, errors, timeline, drops } = setup();
    const got: unknown[] = [];
    driver.subscribe('room', (u) => got.push(u.data));
    await tick(10);
    await tick(45_000);
    expect(drops()).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(['timeout']);
    await tick(500);
    expect(hub.requests).toHaveLength(2);
    expect(timeline.filter((e) => e.type === 'fallback')).toEqual([HEARTBEAT]);
    // The first restart may have lost what was published meanwhile (no ids, no history): told as a gap, once.
    expect(errors.map((e) => e.code)).toEqual(['timeout', 'gap']);
    await tick(8 * 45_000 - 1000);
    expect(hub.requests).toHaveLength(2);
    expect(drops()).toBe(1);
    expect(driver.getSnapshot().status).toBe('open');
    hub.last.push(envelopeEvent('u1', 'room', 'still here', { sseId: null }));
    await tick();
    expect(got).toEqual(['still here']);
    expect(errors).toHaveLength(2);
    // The update re-armed the long watchdog: a stream silent for 8 × heartbeatTimeout is restarted
    // (it may have died unnoticed), and nothing new is learned.
    await tick(8 * 45_000 - 1000);
    expect(drops()).toBe(1);
    await tick(1000);
    expect(drops()).toBe(2);
    expect(errors.at(-1)?.message).toContain('No data from the hub for 360000 ms.');
    await tick(500);
    expect(hub.requests).toHaveLength(3);
    expect(timeline.filter((e) => e.type === 'fallback')).toEqual([HEARTBEAT]);
    driver.destroy();
  });

  it('is watched again once it sends a heartbeat after all', async () => {
    const { hub, driver, drops } = setup({ heartbeatTimeout: 1000 });
    driver.subscribe('room', () => undefined);
    await tick(10);
    await tick(1000);
    await tick(500);
    expect(drops()).toBe(1);
    await tick(7000);
    expect(drops()).toBe(1);
    hub.last.push(':\n\n');
    await tick(10);
    hub.last.push(':\n\n');
    await tick(1000);
    expect(drops()).toBe(2);
    expect(hub.requests[1]?.closed).toBe(true);
    driver.destroy();
  });

  it('learns nothing when the reconnect after the silence is not accepted at once (the hub or the network may be down)', async () => {
    const { hub, driver, drops, timeline } = setup({ heartbeatTimeout: 1000 });
    driver.subscribe('room', () => undefined);
    await tick(10);
    hub.respond = () => ({ status: 502 });
    await tick(1000);
    expect(drops()).toBe(1);
    await tick(500);
    expect(drops()).toBe(2);
    hub.respond = () => undefined;
    await tick(1000);
    expect(hub.requests).toHaveLength(3);
    expect(hub.last.closed).toBe(false);
    // Still watched: the silent stream is restarted again.
    await tick(1000);
    expect(drops()).toBe(3);
    expect(timeline.some((e) => e.type === 'fallback')).toBe(false);
    driver.destroy();
  });
});

describe('a hub that sends heartbeats stays watched', () => {
  it('wrongly taken for one that sends none (its first streams died before a heartbeat), a dead stream is still restarted, after 8 × heartbeatTimeout', async () => {
    const { hub, driver, drops, timeline } = setup({ heartbeatTimeout: 1000 });
    driver.subscribe('room', () => undefined);
    await tick(10);
    await tick(1000);
    await tick(500);
    expect(timeline.filter((e) => e.type === 'fallback')).toEqual([HEARTBEAT]);
    expect(drops()).toBe(1);
    // This stream dies too, unnoticed by the network (no byte, no close).
    await tick(7999);
    expect(drops()).toBe(1);
    await tick(1);
    expect(drops()).toBe(2);
    await tick(500);
    expect(hub.requests).toHaveLength(3);
    // Its heartbeat, heard at last, brings back the normal watch.
    hub.last.push(':\n\n');
    await tick(10);
    hub.last.push(':\n\n');
    await tick(1000);
    expect(drops()).toBe(3);
    driver.destroy();
  });

  it('a stream that dies after heartbeats were heard is restarted, and so is every later dead one', async () => {
    const { hub, driver, drops, timeline } = setup({ heartbeatTimeout: 1000 });
    driver.subscribe('room', () => undefined);
    await tick(10);
    hub.last.push(':\n\n'); // a greeting
    await tick(500);
    hub.last.push(':\n\n'); // a heartbeat
    await tick(1000);
    expect(drops()).toBe(1);
    await tick(500);
    expect(hub.requests).toHaveLength(2);
    // The new stream dies before its first heartbeat: the hub was heard sending them, so it is still restarted.
    await tick(1000);
    expect(drops()).toBe(2);
    expect(hub.requests[1]?.closed).toBe(true);
    expect(timeline.some((e) => e.type === 'fallback')).toBe(false);
    driver.destroy();
  });

  it('MockHub with heartbeats: a quiet stream stays open; without them: one restart, then one per 8 × heartbeatTimeout of silence, resumed without a gap', async () => {
    for (const heartbeat of [15_000, 0]) {
      const hub = new MockHub({ heartbeat });
      const errors: SseError[] = [];
      const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
      driver.subscribe('https://example.com/room', () => undefined);
      await tick(10 * 60_000);
      // Without heartbeats: at 45 s, then 6 min later (8 × 45 s).
      expect(errors.filter((e) => e.code === 'timeout')).toHaveLength(heartbeat > 0 ? 0 : 2);
      // The hub resumes from the last event id: no gap (it keeps history).
      expect(errors.filter((e) => e.code === 'gap')).toHaveLength(0);
      expect(driver.getSnapshot().status).toBe('open');
      driver.destroy();
      hub.close();
    }
  });
});

describe('a subscribe request that never gets response headers', () => {
  /** A fetch whose subscribe requests hang for ever (ignoring the abort too). */
  function hanging() {
    const calls: string[] = [];
    const fetch: FetchLike = (input) => {
      calls.push(String(input));
      return new Promise<Response>(() => undefined);
    };
    return { calls, fetch };
  }

  it.each([
    ['mercure', {}],
    ['sse', { server: sseServer }],
    ['channels', { server: channels }],
  ] as const)('%s: is given up after heartbeatTimeout as a timeout, then retried with backoff', async (_name, server) => {
    const { calls, fetch } = hanging();
    const { driver, errors, drops } = setup({ ...server, fetch, heartbeatTimeout: 1000, tabs: false });
    driver.subscribe('room', () => undefined, { raw: true });
    await tick(10);
    expect(calls).toHaveLength(1);
    await tick(999);
    expect(drops()).toBe(0);
    await tick(1);
    expect(errors).toEqual([expect.objectContaining({ code: 'timeout', message: expect.stringMatching(/^No data from the hub for 1000 ms/) })]);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    await tick(499);
    expect(calls).toHaveLength(1);
    await tick(1);
    expect(calls).toHaveLength(2);
    // The backoff grows: the next try waits twice as long after its own deadline.
    await tick(1000 + 999);
    expect(calls).toHaveLength(2);
    await tick(1);
    expect(calls).toHaveLength(3);
    driver.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a late-headers server (token stream) opens by its late-open rule even with a heartbeatTimeout of a second or less', async () => {
    const { calls, fetch } = hanging();
    const { driver, errors } = setup({ server: tokenStream, fetch, heartbeatTimeout: 500, tabs: false });
    driver.subscribe('room', () => undefined, { raw: true });
    await tick(10 + 1000);
    expect(driver.getSnapshot().status).toBe('open');
    await tick(10 * 60_000);
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('heartbeatTimeout 0 disables the deadline', async () => {
    const { calls, fetch } = hanging();
    const { driver, errors } = setup({ server: channels, fetch, heartbeatTimeout: 0, tabs: false });
    driver.subscribe('room', () => undefined);
    await tick(10 * 60_000);
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([]);
    driver.destroy();
  });
});
