import { afterEach, expect, it } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';

// DESIGN decision 1: "even a hub without history loses nothing on a matcher change".
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const drivers: SseDriver[] = [];
afterEach(() => drivers.splice(0).forEach((d) => d.destroy()));

it('keeps an update that was in flight on the old stream when a matcher change switches streams (no history)', async () => {
  // 100 ms on every response and every delivery; no history to resume from.
  const hub = new MockHub({ history: 0, latency: 100 });
  const listener = new SseDriver({ url: hub.url, fetch: hub.fetch });
  const publisher = new SseDriver({ url: hub.url, fetch: hub.fetch });
  drivers.push(listener, publisher);
  const errors: SseError[] = [];
  listener.on('event', (e) => e.type === 'error' && errors.push(e.error));
  const received: unknown[] = [];
  listener.subscribe('urn:a', (u) => received.push(u.data));
  await expect.poll(() => listener.getSnapshot().status, { timeout: 2000 }).toBe('open');

  // t=0: the publish reaches the engine at ~100 ms and is written to the old stream at ~200 ms.
  const published = publisher.publish('urn:a', 'in flight');
  await sleep(50);
  // t=50: the matcher change opens the new stream at ~160 ms, after the update was dispatched.
  listener.subscribe('urn:b', () => undefined);
  await published;
  await sleep(400);
  expect(received).toEqual(['in flight']);
  // And the switch reports no gap: nothing was missed.
  expect(errors.map((e) => e.code)).toEqual([]);
});

it('reports no gap when a matcher change switches streams on a hub without history', async () => {
  const hub = new MockHub({ history: 0 });
  const listener = new SseDriver({ url: hub.url, fetch: hub.fetch });
  const publisher = new SseDriver({ url: hub.url, fetch: hub.fetch });
  drivers.push(listener, publisher);
  const errors: SseError[] = [];
  listener.on('event', (e) => e.type === 'error' && errors.push(e.error));
  const received: unknown[] = [];
  listener.subscribe('urn:a', (u) => received.push(u.data));
  await expect.poll(() => listener.getSnapshot().status, { timeout: 2000 }).toBe('open');
  await publisher.publish('urn:a', 'one');
  await expect.poll(() => received).toEqual(['one']);
  listener.subscribe('urn:b', () => undefined);
  await expect.poll(() => hub.subscriptions.map((s) => s.matchers.length), { timeout: 3000 }).toEqual([2]);
  await publisher.publish('urn:a', 'two');
  await expect.poll(() => received).toEqual(['one', 'two']);
  expect(errors.map((e) => e.code)).toEqual([]);
  expect(listener.getSnapshot().error).toBeUndefined();
});

it('does not deliver an update twice when the new stream adds a topic ', async () => {
  const hub = new MockHub();
  // Subscription requests reach the hub 100 ms late; everything else is immediate.
  const slowSubscribe: typeof fetch = async (input, init) => {
    if ((init?.method ?? 'GET') !== 'POST') await sleep(100);
    return hub.fetch(input, init);
  };
  const listener = new SseDriver({ url: hub.url, fetch: slowSubscribe });
  const publisher = new SseDriver({ url: hub.url, fetch: hub.fetch });
  drivers.push(listener, publisher);
  const a: string[] = [];
  listener.subscribe('urn:a', (u) => a.push(u.id));
  await expect.poll(() => listener.getSnapshot().status, { timeout: 2000 }).toBe('open');
  await publisher.publish('urn:a', 0);
  await expect.poll(() => a.length).toBe(1);

  listener.subscribe('urn:c', () => undefined); // the new stream's cursor is fixed ~10 ms from now
  await sleep(30);
  await publisher.publish('urn:c', 'c1'); // not on the old stream
  const a1 = await publisher.publish('urn:a', 'a1'); // delivered at once on the old stream
  await expect.poll(() => a.at(-1)).toBe(a1);
  // ~110 ms: the new stream opens and replays c1, a1 — a1 must not be delivered again.
  await expect.poll(() => hub.subscriptions.map((s) => s.matchers.length), { timeout: 3000 }).toEqual([2]);
  await sleep(100);
  expect(a.filter((id) => id === a1)).toHaveLength(1);
});
