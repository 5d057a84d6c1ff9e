import { afterEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { createHub, type NodeHub } from '../../src/hub/index.js';
import { MockHub } from '../../src/mock/index.js';
import { MockSseEndpoint } from '../../src/mock/MockSseEndpoint.js';
import { TEST_KEY, sign, v1Claims } from '../hub/helpers.js';
import { sse } from '../../src/core/protocols/sse.js';
import { watchPresence } from '../../src/core/protocols/presence.js';

const ROOM = 'https://example.com/rooms/1';

/** Presence on Mercure hubs: subscription events plus the subscriptions API. */
describe('watchPresence(driver, topic) on Mercure hubs', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('MockHub: members already there come from the subscriptions API, later ones from subscription events', async () => {
    const hub = new MockHub({ subscriptions: true });
    // Subscription events are private: the token must grant the subscriptions topics.
    const headers = { Authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]))}` };
    const alice = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, platform: { events: undefined } });
    const bob = new SseDriver({ url: hub.url, fetch: hub.fetch, platform: { events: undefined } });
    cleanup.push(() => alice.destroy(), () => bob.destroy());
    bob.subscribe(ROOM, () => undefined);
    await expect.poll(() => hub.connections).toBe(1);
    const watch = watchPresence(alice, ROOM);
    const off = watch.subscribe(() => undefined);
    cleanup.push(off);
    // Bob (already there) and Alice herself.
    await expect.poll(() => watch.getSnapshot().members.length).toBe(2);
    expect(watch.getSnapshot()).toMatchObject({ ready: true, error: undefined });
    const carol = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, platform: { events: undefined } });
    const offCarol = carol.subscribe(ROOM, () => undefined);
    await expect.poll(() => watch.getSnapshot().members.length).toBe(3);
    offCarol();
    carol.destroy();
    await expect.poll(() => watch.getSnapshot().members.length).toBe(2);
  });

  it('the Node hub (subscriptions on, tokens enforced): the same members through HTTP', async () => {
    const hub: NodeHub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY, subscriberKey: TEST_KEY, subscriptions: true });
    cleanup.push(() => hub.close());
    const token = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]));
    const headers = { Authorization: `Bearer ${token}` };
    const alice = new SseDriver({ url: hub.url, headers, platform: { events: undefined } });
    const bob = new SseDriver({ url: hub.url, headers, platform: { events: undefined } });
    cleanup.push(() => alice.destroy(), () => bob.destroy());
    const a = watchPresence(alice, ROOM);
    cleanup.push(a.subscribe(() => undefined));
    await expect.poll(() => a.getSnapshot().members.length).toBe(1);
    const b = watchPresence(bob, ROOM);
    const offB = b.subscribe(() => undefined);
    await expect.poll(() => a.getSnapshot().members.length).toBe(2);
    await expect.poll(() => b.getSnapshot().members.length).toBe(2);
    expect(a.getSnapshot().members.map((m) => m.id).sort()).toEqual(b.getSnapshot().members.map((m) => m.id).sort());
    offB();
    await expect.poll(() => a.getSnapshot().members.length).toBe(1);
  });

  it('a server that cannot tell presence: an unsupported error, no members', async () => {
    const endpoint = new MockSseEndpoint();
    const driver = new SseDriver({ url: endpoint.url, server: sse(), fetch: endpoint.fetch, platform: { events: undefined } });
    cleanup.push(() => driver.destroy());
    const watch = watchPresence(driver, 'x');
    cleanup.push(watch.subscribe(() => undefined));
    expect(watch.getSnapshot()).toMatchObject({ members: [], ready: false, error: { code: 'unsupported' } });
  });

  it('misuse: an empty topic, or something that is no SseDriver', () => {
    const driver = new SseDriver({ url: 'https://hub.test/.well-known/mercure', fetch: () => new Promise(() => {}), platform: { events: undefined } });
    cleanup.push(() => driver.destroy());
    expect(() => watchPresence(driver, '')).toThrow(expect.objectContaining({ code: 'misuse' }));
    const lookalike = { url: driver.url, subscribe: driver.subscribe.bind(driver) } as unknown as SseDriver;
    expect(() => watchPresence(lookalike, 'x')).toThrow(expect.objectContaining({ code: 'misuse', message: 'watchPresence() needs an SseDriver.' }));
  });
});
