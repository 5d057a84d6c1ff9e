import { afterEach, describe, expect, it } from 'vitest';
import type { DriverEvent, SseUpdate } from '../../src/index.js';
import { DRIVER_HUBS, driverFixtures } from './driverHubs.js';
import { TEST_KEY, sign, v1Claims } from './helpers.js';

/**
 * A driver holding hundreds of topics on its one shared stream, against both front doors of the
 * hub engine, with the hub's default limits and with a cap below the driver's matcher count.
 */

const POLL = { timeout: 10_000, interval: 10 } as const;
const topic = (i: number) => `https://example.com/books/${i}`;

describe.each(DRIVER_HUBS)('many topics on the %s', (_name, factory) => {
  const { cleanup, start, driver } = driverFixtures(factory, TEST_KEY);
  afterEach(cleanup);

  for (const count of [300, 1000]) {
    it(`carries ${count} topics on one stream with the hub's defaults (auto) and routes each update to its topic`, async () => {
      const hub = await start();
      const listener = driver(hub, { protocol: 'auto' });
      const received = new Map<number, SseUpdate[]>();
      for (let i = 0; i < count; i++) {
        const updates: SseUpdate[] = [];
        received.set(i, updates);
        listener.subscribe(topic(i), (update) => updates.push(update));
      }
      await expect.poll(() => listener.getSnapshot().status, POLL).toBe('open');
      expect(listener.getSnapshot().protocol).toBe('v1');
      expect(hub.engine.connections.map((c) => c.matchers.length)).toEqual([count]);

      const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
      const pub = driver(hub, { publisher: { headers: { Authorization: `Bearer ${token}` } } });
      const targets = [0, 1, Math.floor(count / 2), count - 1];
      for (const i of targets) await pub.publish(topic(i), { book: i });
      await expect.poll(() => targets.map((i) => received.get(i)?.length), POLL).toEqual([1, 1, 1, 1]);
      for (const i of targets) expect(received.get(i)?.[0]).toMatchObject({ topic: topic(i), data: { book: i } });
      let total = 0;
      for (const updates of received.values()) total += updates.length;
      expect(total).toBe(targets.length);
    });
  }

  it('does not take a hub that refuses the matcher set (above its cap) for a legacy hub: it splits the set, and what fits gets on', async () => {
    const hub = await start({ limits: { matchersPerSubscription: 256 } });
    const listener = driver(hub, { protocol: 'auto' });
    const events: DriverEvent[] = [];
    listener.on('event', (event) => events.push(event));
    const errors: string[] = [];
    for (let i = 0; i < 300; i++) listener.subscribe(topic(i), () => undefined, { onError: (error) => errors.push(error.code) });
    // The 300 are refused at once (the hub's reason names its cap); half of them fit, and the stream opens on v1.
    await expect.poll(() => listener.getSnapshot().status, POLL).toBe('open');
    expect(listener.getSnapshot().protocol).toBe('v1');
    const carried = hub.engine.connections.map((c) => c.matchers.length);
    expect(carried.every((n) => n >= 150 && n <= 256)).toBe(true);
    const refusal = events.find((event) => event.type === 'drop' && event.error.code === 'bad-request');
    expect(refusal?.type === 'drop' && refusal.error.message).toContain('Too many topic matchers: at most 256');
    expect(events.some((event) => event.type === 'fallback')).toBe(false);
    // Only v1 requests reached the hub: no legacy `topic=` retry with a giant URL.
    const subscribes = hub.requests.filter((r) => r.method === 'GET' || r.method === 'QUERY');
    expect(subscribes.every((r) => !new URL(r.url).searchParams.has('topic'))).toBe(true);
    // Whatever was refused alone meanwhile heard it as a refusal, nothing else.
    expect(errors.every((code) => code === 'bad-request')).toBe(true);
  });
});
