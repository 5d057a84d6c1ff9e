import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { DriverEvent, SseDriverOptions } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const topics = Array.from({ length: 20 }, (_, i) => `https://example.com/topics/${i}`);

function setup(options: Partial<SseDriverOptions> = {}) {
  const hub = new StreamHub();
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, maxUrlLength: 200, platform: { random: () => 1, events: undefined }, ...options });
  const timeline: DriverEvent[] = [];
  driver.on('event', (event) => timeline.push(event));
  return { hub, driver, timeline };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The stable reference hub: no QUERY method (405), legacy parameters only (400 on `match`). */
function stableHub(hub: StreamHub, queryStatus = 405) {
  hub.respond = (r) => (r.method === 'QUERY' ? { status: queryStatus } : r.url.searchParams.has('match') ? { status: 400 } : undefined);
}

describe('Mercure fallbacks', () => {
  it('falls back from QUERY to GET and from v1 to legacy on a stable hub, says so, and remembers it', async () => {
    const { hub, driver, timeline } = setup();
    stableHub(hub);
    const got: unknown[] = [];
    driver.subscribe(topics, (u) => got.push(u.data));
    await tick(10);
    expect(hub.requests.map((r) => `${r.method} ${[...new Set(r.url.searchParams.keys())].join()}`)).toEqual(['QUERY ', 'GET match', 'GET topic']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'legacy', error: undefined });
    expect(timeline.filter((e) => e.type === 'fallback')).toMatchObject([
      { from: 'v1 QUERY', to: 'v1 GET', status: 405 },
      { from: 'v1 GET', to: 'legacy GET', status: 400 },
    ]);
    hub.last.push(envelopeEvent('e1', topics[3] ?? '', 'hello'));
    await tick();
    expect(got).toEqual(['hello']);
    // A later switch goes straight to what the hub speaks.
    driver.subscribe('https://example.com/other', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(4);
    expect(hub.last.method).toBe('GET');
    expect(hub.last.url.searchParams.getAll('topic')).toHaveLength(21);
    driver.destroy();
  });

  it('falls back from QUERY to GET on a 404 (a router without the method, such as the seed Express server), then to legacy', async () => {
    const { hub, driver, timeline } = setup();
    stableHub(hub, 404);
    driver.subscribe(topics, () => undefined);
    await tick(10);
    expect(hub.requests.map((r) => `${r.method} ${[...new Set(r.url.searchParams.keys())].join()}`)).toEqual(['QUERY ', 'GET match', 'GET topic']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'legacy', error: undefined });
    expect(timeline.filter((e) => e.type === 'fallback')).toMatchObject([
      { from: 'v1 QUERY', to: 'v1 GET', status: 404 },
      { from: 'v1 GET', to: 'legacy GET', status: 400 },
    ]);
    driver.destroy();
  });

  it('falls back from QUERY to GET on 501 without leaving v1, and never retries QUERY', async () => {
    const { hub, driver, timeline } = setup({ protocol: 'v1' });
    hub.respond = (r) => (r.method === 'QUERY' ? { status: 501 } : undefined);
    driver.subscribe(topics, () => undefined);
    await tick(10);
    expect(hub.requests.map((r) => r.method)).toEqual(['QUERY', 'GET']);
    expect(hub.last.url.searchParams.getAll('match')).toHaveLength(20);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'v1' });
    expect(timeline.filter((e) => e.type === 'fallback')).toHaveLength(1);
    hub.last.fail();
    await tick(1000);
    expect(hub.requests.map((r) => r.method)).toEqual(['QUERY', 'GET', 'GET']);
    driver.destroy();
  });

  it('keeps using QUERY once the hub accepted it', async () => {
    const { hub, driver } = setup({ protocol: 'v1' });
    driver.subscribe(topics, () => undefined);
    await tick(10);
    hub.respond = (r) => (r.method === 'QUERY' ? { status: 405 } : undefined);
    hub.last.fail();
    await tick(1000);
    // A 405 after the hub accepted QUERY is an ordinary fault (a proxy in the way), not a fallback.
    expect(hub.requests.map((r) => r.method)).toEqual(['QUERY', 'QUERY']);
    driver.destroy();
  });
});
