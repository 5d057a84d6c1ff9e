import { afterEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/index.js';
import type { SseUpdate } from '../../src/core/index.js';
import { createHub } from '../../src/hub/index.js';
import { MockHub } from '../../src/mock/index.js';
import { SEED_TOKEN } from './helpers.js';

interface DriverHub {
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly connections: () => number;
  close(): Promise<void>;
}

const hubs: [string, () => Promise<DriverHub>][] = [
  [
    'MockHub',
    async () => {
      const hub = new MockHub({ publisherKey: '!ChangeThisMercureHubJWTSecretKey!' });
      return { url: hub.url, fetch: hub.fetch as typeof fetch, connections: () => hub.connections, close: async () => hub.close() };
    },
  ],
  [
    'Node hub',
    async () => {
      const hub = await createHub({ port: 0, log: false });
      return { url: hub.url, fetch: globalThis.fetch, connections: () => hub.engine.connections.length, close: () => hub.close() };
    },
  ],
];

describe.each(hubs)('SseDriver against the %s (development defaults)', (_name, start) => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('runs the seed snippet unchanged: the seed token publishes, a second driver receives', async () => {
    const hub = await start();
    cleanups.push(() => hub.close());
    const publisherJwtKey = SEED_TOKEN;
    const driver = new SseDriver({
      url: hub.url,
      publisher: { headers: { Authorization: `Bearer ${publisherJwtKey}` } },
      fetch: hub.fetch,
    });
    const listener = new SseDriver({ url: hub.url, fetch: hub.fetch });
    cleanups.push(() => driver.destroy(), () => listener.destroy());
    const received: SseUpdate[] = [];
    listener.subscribe('https://example.com/rooms/1', (update) => received.push(update));
    listener.subscribe({ pattern: 'https://example.com/books/:id' }, (update) => received.push(update));
    await expect.poll(hub.connections).toBeGreaterThan(0);
    const id = await driver.publish('https://example.com/rooms/1', { text: 'hello' });
    await driver.publish('https://example.com/books/7', { title: 'Dune' });
    await expect.poll(() => received.length).toBe(2);
    expect(received[0]).toMatchObject({ topic: 'https://example.com/rooms/1', data: { text: 'hello' }, id });
    expect(received[1]).toMatchObject({ topic: 'https://example.com/books/7', data: { title: 'Dune' } });
  });
});
