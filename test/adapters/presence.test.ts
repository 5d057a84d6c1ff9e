import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { createHub, type NodeHub } from '../../src/hub/index.js';
import { MockHub } from '../../src/mock/index.js';
import { MockSseEndpoint } from '../../src/mock/MockSseEndpoint.js';
import { TEST_KEY, sign, v1Claims } from '../hub/helpers.js';
import { sse } from '../../src/core/protocols/sse.js';
import { watchPresence } from '../../src/core/protocols/presence.js';
import type { SseError } from '../../src/core/errors.js';
import type { FetchLike } from '../../src/core/types.js';
import type { ProtocolAdapter } from '../../src/core/protocols/types.js';
import { StreamHub, envelopeEvent, sse as sseEvent } from '../core/streamHub.js';

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

  it.each(['v1', 'legacy'] as const)('MockHub (%s wire): presence rides the one shared stream beside the topic subscription', async (protocol) => {
    const hub = new MockHub({ subscriptions: true });
    const headers = { Authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe', 'publish'], topics: ['*'] }]))}` };
    const alice = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, protocol, platform: { events: undefined } });
    const bob = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, protocol, platform: { events: undefined } });
    cleanup.push(() => alice.destroy(), () => bob.destroy());
    // What a room component does: the room's updates and who is in it.
    const chat: unknown[] = [];
    cleanup.push(alice.subscribe(ROOM, (u) => chat.push(u.data)));
    const watch = watchPresence(alice, ROOM);
    cleanup.push(watch.subscribe(() => undefined));
    await expect.poll(() => watch.getSnapshot().ready).toBe(true);
    expect(alice.getSnapshot().protocol).toBe(protocol);
    // One connection, carrying the room and the subscriptions topics.
    expect(hub.connections).toBe(1);
    expect(hub.subscriptions[0]?.matchers.map((m) => m.match)).toEqual(expect.arrayContaining([ROOM]));
    const offBob = bob.subscribe(ROOM, () => undefined);
    await expect.poll(() => watch.getSnapshot().members.length).toBe(2);
    await bob.publish(ROOM, 'hi');
    await expect.poll(() => chat).toEqual(['hi']);
    offBob();
    bob.destroy();
    await expect.poll(() => watch.getSnapshot().members.length).toBe(1);
    expect(hub.connections).toBe(1);
  });

  it('MockHub: the shared stream reconnects after a presence event and resumes from it: nothing published meanwhile is lost', async () => {
    const hub = new MockHub({ subscriptions: true });
    const headers = { Authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe', 'publish'], topics: ['*'] }]))}` };
    const alice = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, retry: { initialDelay: 10 }, platform: { events: undefined } });
    const bob = new SseDriver({ url: hub.url, fetch: hub.fetch, headers, platform: { events: undefined } });
    cleanup.push(() => alice.destroy(), () => bob.destroy());
    const chat: unknown[] = [];
    cleanup.push(alice.subscribe(ROOM, (u) => chat.push(u.data)));
    const watch = watchPresence(alice, ROOM);
    cleanup.push(watch.subscribe(() => undefined));
    await expect.poll(() => watch.getSnapshot().members.length).toBe(1);
    await alice.publish(ROOM, 'first');
    await expect.poll(() => chat).toEqual(['first']);
    cleanup.push(bob.subscribe(ROOM, () => undefined));
    await expect.poll(() => watch.getSnapshot().members.length).toBe(2);
    // The shared stream's last event is bob's subscription event.
    expect(alice.getSnapshot().lastEventId).toMatch(/^urn:sse-kit:after:/);
    hub.dropConnections();
    hub.publish({ topic: ROOM, data: JSON.stringify({ 'sse-kit': 1, id: 'while-down', topic: ROOM, sender: 'x', payload: 'while down' }) });
    await expect.poll(() => chat).toEqual(['first', 'while down']);
    await expect.poll(() => watch.getSnapshot().members.length).toBe(2);
    expect(hub.connections).toBe(2);
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

  it('a server whose presence events do not tell their topic: presence still works (on a stream of its own)', async () => {
    const endpoint = new MockSseEndpoint();
    const base = sse();
    // An adapter of your own: every event is `{"online": [...]}`, and nothing on the wire names a topic.
    const adapter: ProtocolAdapter = {
      name: 'own',
      variant: undefined,
      capabilities: { ...base.capabilities, topics: false },
      subscribeRequest: (input) => base.subscribeRequest(input),
      fallback: () => undefined,
      accepted: () => undefined,
      openCursor: () => undefined,
      readEvent: (event) => ({ kind: 'update', topic: undefined, id: event.id }),
      publishRequest: (hubUrl, update) => base.publishRequest(hubUrl, update),
      publishedId: (_body, update) => update.id,
      presence: {
        matchers: (topic) => [topic],
        apply: (_topic, members, update) => {
          const online = (update.data as { online?: unknown } | null)?.online;
          if (!Array.isArray(online)) return false;
          members.clear();
          for (const id of online) members.set(String(id), { id: String(id), payload: undefined });
          return true;
        },
      },
    };
    const driver = new SseDriver({ url: endpoint.url, server: adapter, fetch: endpoint.fetch, platform: { events: undefined } });
    cleanup.push(() => driver.destroy());
    const watch = watchPresence(driver, 'room');
    cleanup.push(watch.subscribe(() => undefined));
    await expect.poll(() => endpoint.connections).toBe(1);
    endpoint.send({ data: '{"online":["ada","bob"]}' });
    await expect.poll(() => watch.getSnapshot().members.map((m) => m.id)).toEqual(['ada', 'bob']);
  });

  it('misuse: an empty topic, or something that is no SseDriver', () => {
    const driver = new SseDriver({ url: 'https://hub.test/.well-known/mercure', fetch: () => new Promise(() => {}), platform: { events: undefined } });
    cleanup.push(() => driver.destroy());
    expect(() => watchPresence(driver, '')).toThrow(expect.objectContaining({ code: 'misuse' }));
    const lookalike = { url: driver.url, subscribe: driver.subscribe.bind(driver) } as unknown as SseDriver;
    expect(() => watchPresence(lookalike, 'x')).toThrow(expect.objectContaining({ code: 'misuse', message: 'watchPresence() needs an SseDriver.' }));
  });
});

/** A hub subscription document, as legacy hubs send it: a plain message (no `event: mercure`) naming the topic as `topic`. */
function subscriptionDoc(subscriber: string, active: boolean) {
  const id = `/.well-known/mercure/subscriptions/${encodeURIComponent(ROOM)}/${encodeURIComponent(subscriber)}`;
  return { '@context': 'https://mercure.rocks/', id, type: 'Subscription', topic: ROOM, subscriber, active, payload: null };
}

/** Presence on the shared stream, driven event by event (fake timers). */
describe('watchPresence on the shared stream (legacy wire: subscription events as plain messages)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

  function setup() {
    const hub = new StreamHub();
    let listed: ReturnType<typeof subscriptionDoc>[] = [];
    const lists: string[] = [];
    // The subscriptions API answers JSON; every other GET is a stream.
    const fetch: FetchLike = (input, init) => {
      const url = String(input);
      if (!url.endsWith('/subscriptions')) return hub.fetch(input, init);
      lists.push(url);
      return Promise.resolve(new Response(JSON.stringify({ subscriptions: listed }), { status: 200, headers: { 'Content-Type': 'application/ld+json' } }));
    };
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: 'http://localhost:8080/.well-known/mercure', fetch, protocol: 'legacy', platform: { events: undefined, random: () => 0.5 }, onError: (e) => errors.push(e) });
    return { hub, driver, lists, errors, list: (subscribers: string[]) => (listed = subscribers.map((s) => subscriptionDoc(s, true))) };
  }
  const event = (id: string, subscriber: string, active: boolean) => sseEvent({ id, data: JSON.stringify(subscriptionDoc(subscriber, active)) });

  it('one stream carries the topic and presence; joins and leaves apply in order; a reopen reads the list again', async () => {
    const { hub, driver, lists, errors, list } = setup();
    list(['bob']);
    const chat: unknown[] = [];
    driver.subscribe(ROOM, (u) => chat.push(u.data));
    const watch = watchPresence(driver, ROOM);
    const seen: string[][] = [];
    watch.subscribe(() => seen.push(watch.getSnapshot().members.map((m) => m.id)));
    await tick(20);
    expect(hub.requests).toHaveLength(1);
    expect(hub.last.url.searchParams.getAll('topic')).toContain(ROOM);
    expect(lists).toHaveLength(1);
    expect(watch.getSnapshot()).toMatchObject({ ready: true, members: [{ id: 'bob' }] });

    hub.last.push(event('e1', 'carol', true));
    hub.last.push(event('e2', 'bob', false));
    // An sse-kit update on the room whose payload looks like a subscription document is the room's, not presence.
    hub.last.push(envelopeEvent('m1', ROOM, subscriptionDoc('mallory', true)));
    await tick();
    expect(seen).toEqual([['bob'], ['bob', 'carol'], ['carol']]);
    expect(chat).toEqual([subscriptionDoc('mallory', true)]);

    // The stream breaks; what happened meanwhile comes from the list read when it reopens.
    list(['carol', 'erin']);
    hub.last.fail();
    await tick(5000);
    expect(hub.requests).toHaveLength(2);
    expect(lists).toHaveLength(2);
    expect(watch.getSnapshot().members.map((m) => m.id)).toEqual(['carol', 'erin']);
    expect(errors.filter((e) => e.code !== 'network')).toEqual([]);
    driver.destroy();
  });

  it("the topic's own updates from other publishers are no error while only presence watches the topic", async () => {
    const { hub, driver, errors, list } = setup();
    list([]);
    const watch = watchPresence(driver, ROOM);
    watch.subscribe(() => undefined);
    await tick(20);
    // A back end publishing plain JSON to the room: its topic cannot be known on the shared stream, and nobody there needs it.
    hub.last.push(sseEvent({ id: 'b1', data: '{"text":"from the back end"}' }));
    await tick();
    expect(errors).toEqual([]);
    // A subscription that takes updates joins the stream: such an update may be one it misses, so it is reported.
    driver.subscribe('https://example.com/other', () => undefined);
    await tick(2000);
    hub.last.push(sseEvent({ id: 'b2', data: '{"text":"from the back end"}' }));
    await tick();
    expect(errors.map((e) => e.code)).toEqual(['unroutable']);
    expect(watch.getSnapshot()).toMatchObject({ ready: true, members: [] });
    driver.destroy();
  });

  it('a matcher switch (make-before-break) loses no presence event and applies none twice', async () => {
    const { hub, driver, errors, list } = setup();
    list([]);
    const watch = watchPresence(driver, ROOM);
    const seen: string[][] = [];
    watch.subscribe(() => seen.push(watch.getSnapshot().members.map((m) => m.id)));
    await tick(20);
    const first = hub.last;
    first.push(event('e1', 'carol', true));
    await tick();
    list(['carol']);
    // Another subscription: the shared stream switches to a new request carrying both.
    driver.subscribe('https://example.com/other', () => undefined);
    await tick(20);
    const second = hub.last;
    expect(second).not.toBe(first);
    expect(second.url.searchParams.getAll('topic')).toEqual(expect.arrayContaining([ROOM, 'https://example.com/other']));
    // The old stream still delivers while the new one catches up; both carry dave's visit.
    first.push(event('e2', 'dave', true));
    first.push(event('e3', 'dave', false));
    second.push(event('e2', 'dave', true));
    second.push(event('e3', 'dave', false));
    second.push(event('e4', 'erin', true));
    await tick(2000);
    expect(first.closed).toBe(true);
    expect(hub.open).toHaveLength(1);
    expect(watch.getSnapshot().members.map((m) => m.id)).toEqual(['carol', 'erin']);
    expect(seen.filter((ids) => ids.includes('dave'))).toHaveLength(1);
    expect(errors).toEqual([]);
    driver.destroy();
  });
});
