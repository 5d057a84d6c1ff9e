import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseDriverOptions } from '../../src/index.js';
import { channels } from '../../src/core/protocols/channels.js';
import { StreamHub, envelopeEvent, sse } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: Partial<SseDriverOptions> = {}) {
  const hub = new StreamHub();
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, ...options });
  return { hub, driver };
}

/** Times (ms since the first request) of the requests made within `ms`, the hub answering each with `serve`. */
async function requestTimes(hub: StreamHub, ms: number, serve: (request: StreamHub['last']) => void): Promise<number[]> {
  const start = Date.now();
  const times: number[] = [];
  let seen = 0;
  while (Date.now() - start < ms) {
    while (seen < hub.requests.length) {
      const request = hub.requests[seen++];
      times.push(Date.now() - start);
      if (request) serve(request);
    }
    await tick(1);
  }
  return times;
}

describe('server hints are clamped', () => {
  it('a retry: 0 from the server does not remove the backoff', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    const times = await requestTimes(hub, 10_000, (r) => {
      r.push('retry: 0\n\n');
      queueMicrotask(() => r.end());
    });
    // Clamped to 500 ms, then doubling: 0, 500, 1500, 3500, 7500.
    expect(times).toEqual([0, 500, 1500, 3500, 7500]);
    driver.destroy();
  });

  it.each([
    ['seconds', '3000000'],
    ['an HTTP date', new Date(Date.UTC(2100, 0, 1)).toUTCString()],
  ])('a Retry-After of %s far ahead waits the 10-minute cap, no less and not forever', async (_form, value) => {
    const { hub, driver } = setup();
    hub.respond = () => ({ status: 429, headers: { 'Retry-After': value } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    await tick(2000);
    expect(hub.requests).toHaveLength(1);
    hub.respond = () => undefined;
    await tick(10 * 60_000);
    expect(hub.requests).toHaveLength(2);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('honours the Retry-After of a 503', async () => {
    const { hub, driver } = setup({ retry: { initialDelay: 100 } });
    hub.respond = () => ({ status: 503, headers: { 'Retry-After': '5' } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    await tick(4900);
    expect(hub.requests).toHaveLength(1);
    await tick(200);
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });
});

describe('the backoff resets only after a healthy stream', () => {
  it('keeps growing against a server that sends one comment and closes', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    const times = await requestTimes(hub, 20_000, (r) => {
      r.push(': hello\n\n');
      queueMicrotask(() => r.end());
    });
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15_500]);
    driver.destroy();
  });

  it('keeps growing against a server that sends only its control events (or a duplicate) and closes', async () => {
    // A channel server greets every stream with `registered` and the channel's `lastEvent`: neither is an update.
    const { hub, driver } = setup({ server: channels(), tabs: false });
    driver.subscribe('c1', () => undefined, { raw: true });
    await tick(10);
    const times = await requestTimes(hub, 20_000, (r) => {
      r.push(sse({ event: 'registered', data: JSON.stringify({ type: 'registered', payload: '{"clientId":"1"}' }) }));
      r.push(sse({ event: 'lastEvent', data: JSON.stringify({ channelName: 'c1', type: 'lastEvent', payload: '{"type":"message","payload":"same"}' }) }));
      queueMicrotask(() => r.end());
    });
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15_500]);
    driver.destroy();
  });

  it('resets after an update, or after the stream stayed open a few seconds', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    for (let i = 0; i < 3; i++) {
      hub.last.end();
      await tick(5000);
    }
    // Three quick failures: the next delay would be 4000 ms…
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    hub.last.end();
    await tick(499);
    const before = hub.requests.length;
    await tick(1);
    // …but an update proved the stream healthy: back to 500 ms.
    expect(hub.requests.length).toBe(before + 1);
    hub.last.end();
    await tick(500);
    hub.last.end();
    await tick(1000);
    await tick(5000); // open for 5 s without an update: healthy too
    const settled = hub.requests.length;
    hub.last.end();
    await tick(500);
    expect(hub.requests.length).toBe(settled + 1);
    driver.destroy();
  });
});
