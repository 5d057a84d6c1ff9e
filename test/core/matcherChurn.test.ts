import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent, sse } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
  /** Writes an update to every open stream whose matchers carry `topic`, as a hub does. */
  const publish = (topic: string, id: string) => {
    for (const r of hub.open) if (r.url.searchParams.getAll('match').includes(topic)) r.push(envelopeEvent(id, topic, id));
  };
  return { hub, driver, errors, publish };
}

describe('cheap matcher switching', () => {
  it('never opens a stream for a removal: the stale matcher stays, its updates are dropped, a lazy clean-up removes it', async () => {
    const { hub, driver, errors, publish } = setup();
    const a: SseUpdate[] = [];
    driver.subscribe('a', (u) => a.push(u));
    const offB = driver.subscribe('b', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    offB();
    await tick(10_000);
    expect(hub.requests).toHaveLength(1);
    publish('b', 'b1');
    hub.last.push(sse({ id: 'f1', event: 'message', data: 'foreign on a stale topic' }));
    publish('a', 'a1');
    await tick();
    expect(a.map((u) => u.id)).toEqual(['a1']);
    expect(errors.filter((e) => e.code === 'unroutable' && (e as SseError & { topic: string }).topic === 'b')).toEqual([]);
    await tick(30_000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.url.searchParams.getAll('match')).toEqual(['a']);
    driver.destroy();
  });

  it('re-adding a topic still on the wire costs nothing and is live at once', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    const offB = driver.subscribe('b', () => undefined);
    await tick(10);
    offB();
    await tick(10);
    const active = vi.fn();
    const b: SseUpdate[] = [];
    driver.subscribe('b', (u) => b.push(u), { onActive: active });
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    expect(active).toHaveBeenCalledTimes(1);
    hub.last.push(envelopeEvent('b2', 'b', 2));
    await tick();
    expect(b.map((u) => u.data)).toEqual([2]);
    driver.destroy();
  });

  it('opens at most 2 streams per second at 20 subscription changes per second, losing nothing for the subscriptions that stay', async () => {
    const { hub, driver, publish } = setup();
    const stay: SseUpdate[] = [];
    driver.subscribe('stay', (u) => stay.push(u));
    await tick(10);
    const offs: (() => void)[] = [];
    let published = 0;
    const seconds = 10;
    for (let step = 0; step < seconds * 20; step++) {
      // 20 changes per second: an addition, then a removal of the oldest, every 100 ms.
      if (step % 2 === 0) offs.push(driver.subscribe(`t${step}`, () => undefined));
      else offs.shift()?.();
      publish('stay', `s${++published}`);
      await tick(50);
    }
    const opened = hub.requests.length - 1;
    expect(opened / seconds).toBeLessThanOrEqual(2);
    await tick(2000);
    expect(stay.map((u) => u.id)).toEqual(Array.from({ length: published }, (_, i) => `s${i + 1}`));
    driver.destroy();
  });

  it('switches at once for an addition after a calm period', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    driver.subscribe('b', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(2);
    await tick(6000);
    driver.subscribe('c', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(3);
    expect(hub.last.url.searchParams.getAll('match').sort()).toEqual(['a', 'b', 'c']);
    driver.destroy();
  });
});

it('skips the clean-up when what was removed came back meanwhile', async () => {
  const { hub, driver } = setup();
  driver.subscribe('a', () => undefined);
  const offB = driver.subscribe('b', () => undefined);
  await tick(10);
  offB();
  await tick(1000);
  driver.subscribe('b', () => undefined);
  await tick(40_000);
  expect(hub.requests).toHaveLength(1);
  driver.destroy();
});
