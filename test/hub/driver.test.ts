import { afterEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { DriverEvent, SseError, SseUpdate } from '../../src/index.js';
import { DEV_PUBLISHER_KEY } from '../../src/hub/engine/index.js';
import { DRIVER_HUBS, driverFixtures } from './driverHubs.js';
import type { DriverHub } from './driverHubs.js';
import { accessToken } from '../core/tokens.js';
import { SEED_TOKEN, TEST_KEY } from './helpers.js';

/**
 * The core SseDriver end to end against both front doors of the hub engine: the in-memory
 * MockHub and the Node hub on loopback. One suite, two hubs: every test runs on both.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// Bounds for what real servers do in real time: generous, for a busy machine.
const POLL = { timeout: 30_000, interval: 10 } as const;


describe.each(DRIVER_HUBS)('SseDriver against the %s', (_name, factory) => {
  const { cleanup, start, driver } = driverFixtures(factory, TEST_KEY);
  afterEach(cleanup);

  /** Records the driver's timeline and background errors. */
  function watch(d: SseDriver): { events: DriverEvent[]; errors: SseError[] } {
    const events: DriverEvent[] = [];
    const errors: SseError[] = [];
    d.on('event', (event) => {
      events.push(event);
      if (event.type === 'error') errors.push(event.error);
    });
    return { events, errors };
  }

  let publishToken: string | undefined;
  /** A driver whose token may publish to every topic. */
  async function publisher(hub: DriverHub): Promise<SseDriver> {
    publishToken ??= await accessToken([{ actions: ['publish'], topics: ['*'] }], { key: TEST_KEY });
    return driver(hub, { publisher: { headers: { Authorization: `Bearer ${publishToken}` } } });
  }

  const open = (d: SseDriver) => expect.poll(() => d.getSnapshot().status, POLL).toBe('open');
  const ids = (updates: readonly SseUpdate[]) => updates.map((u) => u.id);

  it('runs the seed snippet unchanged: the seed token publishes, a second driver receives', async () => {
    const hub = await start({ publisherKey: DEV_PUBLISHER_KEY });
    const publisherJwtKey = SEED_TOKEN;
    const pub = driver(hub, { publisher: { headers: { Authorization: `Bearer ${publisherJwtKey}` } } });
    const listener = driver(hub);
    const received: SseUpdate[] = [];
    listener.subscribe('https://example.com/rooms/1', (update) => received.push(update));
    listener.subscribe({ pattern: 'https://example.com/books/:id' }, (update) => received.push(update));
    await open(listener);
    const id = await pub.publish('https://example.com/rooms/1', { text: 'hello' });
    await pub.publish('https://example.com/books/7', { title: 'Dune' });
    await expect.poll(() => received.length, POLL).toBe(2);
    expect(received[0]).toMatchObject({ topic: 'https://example.com/rooms/1', data: { text: 'hello' }, id, type: 'message', sender: pub.clientId });
    expect(received[1]).toMatchObject({ topic: 'https://example.com/books/7', data: { title: 'Dune' } });
  });

  it('carries every subscription of a driver on one hub connection, and routes each update only to its matchers', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const got: Record<string, string[]> = { room: [], books: [], book1: [], any: [] };
    listener.subscribe('urn:room:1', (u) => got['room']!.push(u.topic));
    listener.subscribe({ pattern: 'https://example.com/books/:id' }, (u) => got['books']!.push(u.topic));
    listener.subscribe('https://example.com/books/1', (u) => got['book1']!.push(u.topic));
    listener.subscribe(['urn:room:2', 'urn:room:3'], (u) => got['any']!.push(u.topic));
    await open(listener);
    expect(hub.connections()).toBe(1);
    expect(hub.engine.connections[0]!.matchers).toHaveLength(5);

    // A subscription added later moves the driver to a new stream; the old one closes.
    listener.subscribe('urn:room:4', (u) => got['any']!.push(u.topic));
    await expect.poll(() => hub.engine.connections.map((c) => c.matchers.length), POLL).toEqual([6]);

    for (const topic of ['urn:room:1', 'https://example.com/books/1', 'https://example.com/books/2', 'urn:room:3', 'urn:room:4', 'urn:room:9']) {
      await pub.publish(topic, { topic });
    }
    await expect.poll(() => got['any']!.length, POLL).toBe(2);
    expect(got).toEqual({
      room: ['urn:room:1'],
      books: ['https://example.com/books/1', 'https://example.com/books/2'],
      book1: ['https://example.com/books/1'],
      any: ['urn:room:3', 'urn:room:4'],
    });
    expect(hub.connections()).toBe(1);
  });

  it('loses and duplicates nothing while subscriptions are added and removed mid-stream', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const timeline = watch(listener);
    const a: SseUpdate[] = [];
    const c: SseUpdate[] = [];
    listener.subscribe('urn:stream:a', (u) => a.push(u));
    await open(listener);

    const publishedA: string[] = [];
    const publishedC: string[] = [];
    const opensDuringPublishing: number[] = [];
    listener.on('event', (event) => {
      if (event.type === 'open' && publishedA.length > 0) opensDuringPublishing.push(publishedA.length);
    });
    const COUNT = 60;
    // c gets traffic once its subscription is on the hub: a stream that adds a topic while that
    // topic's updates are still being replayed is a separate, known client fault.
    const cLive = () => hub.engine.connections.some((conn) => conn.matchers.some((m) => m.match === 'urn:stream:c'));
    const publishing = (async () => {
      for (let i = 0; i < COUNT; i++) {
        publishedA.push(await pub.publish('urn:stream:a', { i }));
        if (cLive()) publishedC.push(await pub.publish('urn:stream:c', { i }));
        await sleep(2);
      }
    })();
    // Matcher changes while updates flow: add b, add c, remove b, add a pattern.
    await expect.poll(() => publishedA.length, POLL).toBeGreaterThan(5);
    const offB = listener.subscribe('urn:stream:b', () => undefined);
    await expect.poll(() => publishedA.length, POLL).toBeGreaterThan(15);
    listener.subscribe('urn:stream:c', (u) => c.push(u));
    await expect.poll(() => publishedC.length, POLL).toBeGreaterThan(5);
    offB();
    const later = Math.min(publishedA.length + 8, COUNT);
    await expect.poll(() => publishedA.length, POLL).toBeGreaterThanOrEqual(later);
    listener.subscribe({ pattern: 'urn\\:stream\\:*' }, () => undefined);
    await publishing;

    await expect.poll(() => a.length, POLL).toBeGreaterThanOrEqual(COUNT);
    await expect.poll(() => c.at(-1)?.id, POLL).toBe(publishedC.at(-1));
    // The switches really happened while updates were being published (adding b, adding c; removing
    // b opens no stream, and the pattern's switch may wait for the switch budget).
    expect(opensDuringPublishing.filter((n) => n < COUNT).length).toBeGreaterThanOrEqual(2);
    expect(ids(a)).toEqual(publishedA);
    // c receives every update from its first one on: a contiguous tail, in order, once each.
    expect(c.length).toBeGreaterThan(0);
    expect(ids(c)).toEqual(publishedC.slice(publishedC.length - c.length));
    expect(timeline.errors).toEqual([]);
    await expect.poll(() => hub.connections(), POLL).toBe(1);
  });

  it.each([
    ['hub.dropConnections()', (hub: DriverHub) => hub.dropConnections()],
    ['killed streams', (hub: DriverHub) => hub.killStreams()],
  ])('resumes from history after %s: every update exactly once, in order', async (_label, cut) => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const timeline = watch(listener);
    const received: SseUpdate[] = [];
    listener.subscribe('urn:feed', (u) => received.push(u));
    listener.subscribe({ pattern: 'https://example.com/feeds/:id' }, (u) => received.push(u));
    await open(listener);

    const published: string[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 10 || i === 25) {
        // Cut a live stream (not one still reconnecting from the previous cut).
        await expect.poll(() => hub.connections() === 1 && listener.getSnapshot().status === 'open', POLL).toBe(true);
        cut(hub);
      }
      published.push(await pub.publish(i % 2 === 0 ? 'urn:feed' : `https://example.com/feeds/${i}`, { i }));
      await sleep(2);
    }
    await expect.poll(() => received.length, POLL).toBeGreaterThanOrEqual(published.length);
    await sleep(50);
    expect(ids(received)).toEqual(published);
    const drops = timeline.events.filter((e) => e.type === 'drop');
    expect(drops.length).toBeGreaterThanOrEqual(2);
    expect(drops.every((e) => e.type === 'drop' && e.error.code === 'network')).toBe(true);
    // Each reconnect resumed from the last event id it had seen.
    const resumed = timeline.events.filter((e) => e.type === 'open' && e.resumedFrom !== undefined);
    expect(resumed.length).toBeGreaterThanOrEqual(2);
    expect(timeline.events.some((e) => e.type === 'gap')).toBe(false);
    await expect.poll(() => listener.getSnapshot().status, POLL).toBe('open');
  });

  it('resumes after a drop that follows updates with IRI ids (outside Latin-1): every update once, in order, no gap', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const timeline = watch(listener);
    const received: SseUpdate[] = [];
    listener.subscribe('urn:feed', (u) => received.push(u));
    await open(listener);
    const published = [await pub.publish('urn:feed', { n: 1 }, { id: 'urn:שרה-1' }), await pub.publish('urn:feed', { n: 2 }, { id: 'https://example.com/livres/日本' })];
    await expect.poll(() => received.length, POLL).toBe(2);
    expect(listener.getSnapshot().lastEventId).toBe('https://example.com/livres/日本');

    hub.dropConnections();
    published.push(await pub.publish('urn:feed', { n: 3 }, { id: 'urn:שרה-3' }), await pub.publish('urn:feed', { n: 4 }));
    await expect.poll(() => received.length, POLL).toBe(4);
    await pub.publish('urn:feed', { n: 5 }, { id: 'urn:sentinel' });
    await expect.poll(() => received.length, POLL).toBe(5);
    expect(ids(received)).toEqual([...published, 'urn:sentinel']);
    expect(timeline.events.some((e) => e.type === 'open' && e.resumedFrom === 'https://example.com/livres/日本')).toBe(true);
    expect(timeline.errors).toEqual([expect.objectContaining({ code: 'network' })]);
  });

  it('opens after an IRI id was the newest update, and resumes from where the hub said it started when cut before its first update', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    await pub.publish('urn:feed', { n: 0 }, { id: 'urn:שרה-0' });
    const listener = driver(hub);
    const timeline = watch(listener);
    const received: SseUpdate[] = [];
    listener.subscribe('urn:feed', (u) => received.push(u));
    await open(listener);

    hub.dropConnections();
    const missed = await pub.publish('urn:feed', { n: 1 }, { id: 'urn:שרה-1' });
    await expect.poll(() => received.length, POLL).toBe(1);
    await pub.publish('urn:feed', { n: 2 }, { id: 'urn:sentinel' });
    await expect.poll(() => received.length, POLL).toBe(2);
    expect(ids(received)).toEqual([missed, 'urn:sentinel']);
    // The reconnect resumed from the URI form the first response header gave.
    expect(timeline.events.some((e) => e.type === 'open' && e.resumedFrom === 'urn:%D7%A9%D7%A8%D7%94-0')).toBe(true);
    expect(timeline.events.some((e) => e.type === 'gap')).toBe(false);
  });

  it('reports a gap when it must resume from an id the hub no longer keeps', async () => {
    const hub = await start({ history: 3 });
    const pub = await publisher(hub);
    // Reconnects wait ~300 ms, long enough for the history to move past the cursor.
    const listener = driver(hub, { retry: { initialDelay: 300 }, platform: { random: () => 0.99 } });
    const timeline = watch(listener);
    const received: SseUpdate[] = [];
    listener.subscribe('urn:ledger', (u) => received.push(u));
    await open(listener);
    const first = await pub.publish('urn:ledger', { n: 0 });
    await expect.poll(() => received.length, POLL).toBe(1);

    hub.dropConnections();
    const later: string[] = [];
    for (let n = 1; n <= 5; n++) later.push(await pub.publish('urn:ledger', { n }));
    await expect.poll(() => timeline.errors.map((e) => e.code), POLL).toContain('gap');
    const gap = timeline.errors.find((e) => e.code === 'gap') as SseError & { requested: string; resumedFrom: string };
    expect(gap.requested).toBe(first);
    expect(gap.resumedFrom).not.toBe(first);
    expect(timeline.events.some((e) => e.type === 'gap')).toBe(true);
    // What the hub still had is delivered, once, in order.
    await expect.poll(() => received.length, POLL).toBe(4);
    expect(ids(received)).toEqual([first, ...later.slice(-3)]);
  });

  it('selects topics with URL patterns and exact topics, and nothing else', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const books: string[] = [];
    const sentinel: string[] = [];
    listener.subscribe({ pattern: 'https://example.com/books/:id' }, (u) => books.push(u.topic));
    listener.subscribe({ pattern: '/relative/:id' }, (u) => books.push(u.topic));
    listener.subscribe('urn:sentinel', (u) => sentinel.push(u.id));
    await open(listener);
    for (const topic of [
      'https://example.com/books/1',
      'https://example.com/books/1/chapters/2',
      'https://example.com/authors/1',
      'https://example.org/books/1',
      'https://example.com/books/2',
      new URL('/relative/7', hub.url).href,
      'urn:books:1',
    ]) {
      await pub.publish(topic, null);
    }
    await pub.publish('urn:sentinel', null);
    await expect.poll(() => sentinel.length, POLL).toBe(1);
    expect(books).toEqual(['https://example.com/books/1', 'https://example.com/books/2', new URL('/relative/7', hub.url).href]);
  });

  it('filters by event type', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const edits: string[] = [];
    const all: string[] = [];
    listener.subscribe('urn:doc', (u) => edits.push(`${u.type}:${(u.data as { n: number }).n}`), { type: 'edit' });
    listener.subscribe('urn:doc', (u) => all.push(`${u.type}:${(u.data as { n: number }).n}`));
    await open(listener);
    await pub.publish('urn:doc', { n: 1 }, { type: 'edit' });
    await pub.publish('urn:doc', { n: 2 }, { type: 'delete' });
    await pub.publish('urn:doc', { n: 3 });
    await pub.publish('urn:doc', { n: 4 }, { type: 'edit' });
    await expect.poll(() => all.length, POLL).toBe(4);
    expect(all).toEqual(['edit:1', 'delete:2', 'message:3', 'edit:4']);
    expect(edits).toEqual(['edit:1', 'edit:4']);
  });

  it('delivers private updates only to a subscriber whose token grants the topic', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const granted = await accessToken([{ actions: ['subscribe'], topics: [{ pattern: 'https://example.com/inbox/:user' }] }], { key: TEST_KEY });
    const other = await accessToken([{ actions: ['subscribe'], topics: ['https://example.com/outbox/1'] }], { key: TEST_KEY });
    const received: Record<string, string[]> = { granted: [], other: [], anonymous: [] };
    for (const [name, token] of [['granted', granted], ['other', other], ['anonymous', undefined]] as const) {
      const d = driver(hub, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
      d.subscribe(['https://example.com/inbox/1', 'urn:public'], (u) => received[name]!.push(`${u.topic} ${String(u.data)}`));
      await open(d);
    }
    await pub.publish('https://example.com/inbox/1', 'secret', { private: true });
    await pub.publish('https://example.com/inbox/1', 'public');
    await pub.publish('urn:public', 'sentinel');
    for (const name of ['granted', 'other', 'anonymous']) await expect.poll(() => received[name]!.at(-1), POLL).toBe('urn:public sentinel');
    expect(received['granted']).toEqual(['https://example.com/inbox/1 secret', 'https://example.com/inbox/1 public', 'urn:public sentinel']);
    expect(received['other']).toEqual(['https://example.com/inbox/1 public', 'urn:public sentinel']);
    expect(received['anonymous']).toEqual(['https://example.com/inbox/1 public', 'urn:public sentinel']);
  });

  it('stops on a 401 for a bad subscriber token without a retry loop, and recovers with new headers', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const rejected: number[] = [];
    hub.engine.on('reject', (r) => rejected.push(r.status));
    const listener = driver(hub, { headers: { Authorization: 'Bearer not-a-valid-token' } });
    const timeline = watch(listener);
    const received: unknown[] = [];
    listener.subscribe('https://example.com/inbox/2', (u) => received.push(u.data));
    await expect.poll(() => listener.getSnapshot().status, POLL).toBe('error');
    expect(listener.getSnapshot().error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(timeline.errors.map((e) => e.code)).toEqual(['unauthorized']);
    await sleep(400); // eight times the initial retry delay
    expect(rejected).toEqual([401]);
    expect(listener.getSnapshot().status).toBe('error');

    const good = await accessToken([{ actions: ['subscribe'], topics: ['https://example.com/inbox/2'] }], { key: TEST_KEY });
    listener.setHeaders({ Authorization: `Bearer ${good}` });
    listener.reconnect();
    await open(listener);
    expect(listener.getSnapshot().error).toBeUndefined();
    await pub.publish('https://example.com/inbox/2', 'for your eyes only', { private: true });
    await expect.poll(() => received, POLL).toEqual(['for your eyes only']);
    expect(rejected).toEqual([401]);
  });

  it('maps publish failures to typed error codes', async () => {
    const hub = await start({ limits: { bodyBytes: 4096 } });
    const pub = await publisher(hub);
    const narrow = driver(hub, { publisher: { headers: { Authorization: `Bearer ${await accessToken([{ actions: ['publish'], topics: ['urn:mine'] }], { key: TEST_KEY })}` } } });
    const anonymous = driver(hub);
    expect(await narrow.publish('urn:mine', 1)).toMatch(/^urn:uuid:/);
    await expect(narrow.publish('urn:theirs', 1)).rejects.toMatchObject({ name: 'SseAuthError', code: 'forbidden', status: 403 });
    await expect(anonymous.publish('urn:mine', 1)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    await expect(pub.publish('urn:big', 'x'.repeat(10_000))).rejects.toMatchObject({ code: 'too-large', status: 413 });
    await expect(pub.publish('urn:typed', 1, { type: 'mercure' })).rejects.toMatchObject({ code: 'bad-request', status: 400 });
    await expect(pub.publish('urn:id', 1, { id: '#not-an-id' })).rejects.toMatchObject({ code: 'bad-request', status: 400 });
    // The hub is still fine after all of that.
    expect(await pub.publish('urn:ok', 1)).toMatch(/^urn:uuid:/);
  });

  it('gives raw subscriptions foreign updates, and two raw topics never see each other', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub);
    const timeline = watch(listener);
    const x: SseUpdate[] = [];
    const y: SseUpdate[] = [];
    listener.subscribe('urn:raw:x', (u) => x.push(u), { raw: true });
    listener.subscribe('urn:raw:y', (u) => y.push(u), { raw: true });
    await open(listener);
    await expect.poll(() => hub.connections(), POLL).toBe(2);

    await pub.publish('urn:raw:x', 'x from a publisher', { raw: true });
    hub.engine.publish({ topic: 'urn:raw:y', data: 'y from the server' });
    await pub.publish('urn:raw:y', 'y from a publisher', { raw: true, type: 'note' });
    hub.engine.publish({ topic: 'urn:raw:x', data: 'x from the server', id: 'urn:server:1' });
    await pub.publish(['urn:raw:x', 'urn:raw:y'], 'both', { raw: true });
    await expect.poll(() => [x.length, y.length], POLL).toEqual([3, 3]);
    await sleep(50);
    expect(x.map((u) => u.data)).toEqual(['x from a publisher', 'x from the server', 'both']);
    expect(y.map((u) => u.data)).toEqual(['y from the server', 'y from a publisher', 'both']);
    expect(x.every((u) => u.topic === 'urn:raw:x' && u.sender === undefined)).toBe(true);
    expect(y.every((u) => u.topic === 'urn:raw:y' && u.sender === undefined)).toBe(true);
    expect(x[1]!.id).toBe('urn:server:1');
    expect(y[1]!.type).toBe('note');
    expect(timeline.errors).toEqual([]);
  });

  it('subscribes with QUERY when the matcher list makes the URL too long, and still receives', async () => {
    const hub = await start();
    const pub = await publisher(hub);
    const listener = driver(hub, { maxUrlLength: 200 });
    const topics = Array.from({ length: 12 }, (_, i) => `https://example.com/a/rather/long/topic/name/number/${i}`);
    const received: string[] = [];
    listener.subscribe(topics, (u) => received.push(u.topic));
    listener.subscribe({ pattern: 'https://example.com/patterns/:id' }, (u) => received.push(u.topic));
    await open(listener);
    const subscribes = hub.requests.filter((r) => r.method !== 'POST');
    expect(subscribes.map((r) => r.method)).toEqual(['QUERY']);
    expect(subscribes[0]!.url.length).toBeLessThanOrEqual(200);
    expect(hub.engine.connections[0]!.matchers).toHaveLength(13);
    await pub.publish(topics[11]!, 1);
    await pub.publish(topics[0]!, 2);
    await pub.publish('https://example.com/patterns/9', 3);
    await expect.poll(() => received, POLL).toEqual([topics[11], topics[0], 'https://example.com/patterns/9']);

    // A resume after a cut goes through QUERY too and loses nothing.
    hub.dropConnections();
    await pub.publish(topics[5]!, 4);
    await expect.poll(() => received.at(-1), POLL).toBe(topics[5]);
    expect(received).toHaveLength(4);
    expect(hub.requests.filter((r) => r.method !== 'POST').map((r) => r.method)).toEqual(['QUERY', 'QUERY']);
  });

  it('routes subscription events (type mercure) by their JSON id', async () => {
    const hub = await start({ subscriptions: true });
    const watcherToken = await accessToken([{ actions: ['subscribe'], topics: [{ pattern: '/.well-known/mercure/subscriptions/*' }] }], { key: TEST_KEY });
    const watcher = driver(hub, { headers: { Authorization: `Bearer ${watcherToken}` } });
    const timeline = watch(watcher);
    const events: SseUpdate<{ id: string; type: string; match: string; matchType: string; active: boolean }>[] = [];
    const exact: SseUpdate[] = [];
    watcher.subscribe({ pattern: '/.well-known/mercure/subscriptions/*' }, (u) => events.push(u as (typeof events)[number]));
    watcher.subscribe({ pattern: '/.well-known/mercure/subscriptions/exact/:match/:subscriber' }, (u) => exact.push(u));
    await open(watcher);

    const member = new SseDriver({ url: hub.url, fetch: hub.fetch });
    member.subscribe('urn:room:42', () => undefined);
    await open(member);
    await expect.poll(() => events.filter((e) => e.data.match === 'urn:room:42').length, POLL).toBe(1);
    member.destroy();
    await expect.poll(() => events.filter((e) => e.data.match === 'urn:room:42').length, POLL).toBe(2);

    const [joined, left] = events.filter((e) => e.data.match === 'urn:room:42');
    for (const event of [joined!, left!]) {
      expect(event.type).toBe('mercure');
      expect(event.topic).toBe(event.data.id);
      expect(event.data).toMatchObject({ type: 'Subscription', matchType: 'Exact', match: 'urn:room:42' });
      expect(event.topic).toMatch(/^\/\.well-known\/mercure\/subscriptions\/exact\/urn%3Aroom%3A42\//);
    }
    expect([joined!.data.active, left!.data.active]).toEqual([true, false]);
    // Only the exact-matcher events reach the subscription whose pattern selects them.
    expect(exact.map((e) => e.id)).toEqual([joined!.id, left!.id]);
    expect(timeline.errors).toEqual([]);
  });
});
