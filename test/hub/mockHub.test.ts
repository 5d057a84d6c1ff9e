import { afterEach, describe, expect, it, vi } from 'vitest';
import { HubError, MockHub } from '../../src/mock/index.js';
import type { HubTimers, MockRequestRecord } from '../../src/mock/index.js';
import { TEST_KEY, openStream, publish, sign, subscribeUrl, v1Claims } from './helpers.js';
import type { TestStream } from './helpers.js';

/** Fake only the clock and timers; promises and I/O stay real. */
const FAKE: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] };

describe('MockHub', () => {
  const streams: TestStream[] = [];
  const open = async (hub: MockHub, params: readonly (readonly [string, string])[], init: RequestInit = {}): Promise<TestStream> => {
    const stream = await openStream(hub.fetch, subscribeUrl(hub.url, params), init);
    streams.push(stream);
    return stream;
  };
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
    vi.useRealTimers();
  });

  it('serves the default URL and an open hub: publishing needs no token', async () => {
    const hub = new MockHub();
    expect(hub.url).toBe('https://mock.hub/.well-known/mercure');
    const stream = await open(hub, [['match', 'chat']]);
    const res = await publish(hub.fetch, hub.url, [['topic', 'chat'], ['data', 'hi']]);
    expect(res.status).toBe(200);
    expect(await stream.next()).toMatchObject({ id: await res.text(), data: 'hi' });
  });

  it('decides private reads from unverified token claims when open, and verifies HS256 when keyed', async () => {
    const open_ = new MockHub();
    const unsigned = await sign(v1Claims([{ actions: ['subscribe'], topics: ['secret'] }]), { key: 'whatever-key-whatever-key-12345' });
    const reader = await open(open_, [['match', 'secret']], { headers: { authorization: `Bearer ${unsigned}` } });
    const anonymous = await open(open_, [['match', 'secret']]);
    const id = open_.publish({ topic: 'secret', data: 's', private: true });
    expect((await reader.next()).id).toBe(id);
    open_.publish({ topic: 'secret', data: 'public' });
    expect((await anonymous.next()).data).toBe('public');

    const keyed = new MockHub({ publisherKey: TEST_KEY });
    expect((await publish(keyed.fetch, keyed.url, [['topic', 'a']])).status).toBe(401);
    expect((await publish(keyed.fetch, keyed.url, [['topic', 'a']], unsigned)).status).toBe(401);
    expect((await publish(keyed.fetch, keyed.url, [['topic', 'a']], await sign(v1Claims([{ actions: ['publish'], topics: ['a'] }])))).status).toBe(200);
  });

  it('accepts a configured URL, relative inputs and Request objects, and answers 404 elsewhere', async () => {
    const hub = new MockHub({ url: 'http://localhost:3000/.well-known/mercure' });
    expect(hub.url).toBe('http://localhost:3000/.well-known/mercure');
    const stream = await openStream(hub.fetch, '/.well-known/mercure?match=a');
    streams.push(stream);
    const res = await hub.fetch(new Request(hub.url, { method: 'POST', body: new URLSearchParams({ topic: 'a', data: 'via Request' }) }));
    expect(res.status).toBe(200);
    expect((await stream.next()).data).toBe('via Request');
    expect((await hub.fetch('http://localhost:3000/elsewhere')).status).toBe(404);
  });

  it('publishes from the server side with the same validation', () => {
    const hub = new MockHub();
    expect(hub.publish({ topic: ['a', 'b'], data: 'x', id: 'my-id', type: 't', retry: 10 })).toBe('my-id');
    expect(hub.history).toEqual([expect.objectContaining({ id: 'my-id', topics: ['a', 'b'], data: 'x', type: 't', retry: 10, private: false })]);
    expect(() => hub.publish({ topic: '*' })).toThrow(HubError);
    expect(() => hub.publish({ topic: 'a', type: 'mercure' })).toThrow(/reserved/);
    expect(() => hub.publish({ topic: '/.well-known/mercure/subscriptions/x' })).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('keeps the default of every option and limit given as undefined', () => {
    const hub = new MockHub({
      url: undefined,
      latency: undefined,
      heartbeat: 0,
      history: undefined,
      publisherKey: undefined,
      limits: { topicsPerPublish: undefined, fieldLength: 100 },
    });
    expect(hub.url).toBe('https://mock.hub/.well-known/mercure');
    const topics = Array.from({ length: 33 }, (_, i) => `t${i}`);
    // The default of 32 topics per update stays in force.
    expect(() => hub.publish({ topic: topics })).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => hub.publish({ topic: topics.slice(0, 32), id: undefined, type: undefined, data: undefined, retry: undefined, private: undefined })).not.toThrow();
    expect(hub.history.at(-1)).toMatchObject({ data: '', type: undefined, private: false });
    // The given limit applies beside it.
    expect(() => hub.publish({ topic: 't'.repeat(101) })).toThrow(expect.objectContaining({ status: 413 }));
  });

  it('exposes live subscriptions and connection events, and waits for connections', async () => {
    const hub = new MockHub();
    const seen: string[] = [];
    const off = hub.on('connect', (c) => seen.push(`connect ${c.matchers.map((m) => `${m.type}:${m.match}`).join(',')}`));
    hub.on('disconnect', (c) => seen.push(`disconnect ${c.reason}`));
    const waiting = hub.waitForConnections(2);
    const a = await open(hub, [['match', 'a'], ['matchURLPattern', 'https://x.example/:id']]);
    expect(hub.connections).toBe(1);
    await open(hub, [['match', 'b']]);
    await waiting;
    expect(hub.subscriptions.map((s) => s.matchers)).toEqual([
      [{ type: 'Exact', match: 'a' }, { type: 'URLPattern', match: 'https://x.example/:id' }],
      [{ type: 'Exact', match: 'b' }],
    ]);
    off();
    a.close();
    expect(await a.ended).toBe('error');
    expect(hub.connections).toBe(1);
    expect(seen).toEqual(['connect Exact:a,URLPattern:https://x.example/:id', 'connect Exact:b', 'disconnect client']);
  });

  it('rejects a wait for connections when the hub closes before they come, and at once on a closed hub', async () => {
    const hub = new MockHub();
    await open(hub, [['match', 'a']]);
    let outcome: unknown = 'pending';
    hub.waitForConnections(2).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await Promise.resolve();
    expect(outcome).toBe('pending');
    hub.close();
    await Promise.resolve();
    expect(outcome).toBeInstanceOf(HubError);
    expect(outcome).toMatchObject({ code: 'unavailable', status: 503, message: 'The mock hub was closed with 0 of the 2 connections awaited.' });
    await expect(hub.waitForConnections(1)).rejects.toMatchObject({ code: 'unavailable' });
    // Nothing is awaited any more: a wait already met still resolves.
    await expect(hub.waitForConnections(0)).resolves.toBeUndefined();
  });

  it('refuses a latency timers cannot hold (Infinity, above 2^31-1 ms, negative, NaN, a range upside down) with a typed error', () => {
    const bad: unknown[] = [Number.POSITIVE_INFINITY, 3e9, -1, Number.NaN, [50, 10], [0, Number.POSITIVE_INFINITY], [-5, 5]];
    for (const latency of bad) {
      expect(() => new MockHub({ latency: latency as number }), String(latency)).toThrow(
        expect.objectContaining({ name: 'SseError', code: 'misuse', message: expect.stringMatching(/^MockHub latency must be/) }),
      );
    }
    const hub = new MockHub({ latency: [10, 20] });
    expect(() => hub.setLatency(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: 'misuse' }));
    // The latency stays what it was.
    expect(hub.sampleLatency()).toBeGreaterThanOrEqual(10);
    hub.setLatency(2_147_483_647);
    hub.setLatency([0, 0]);
    expect(hub.sampleLatency()).toBe(0);
  });

  it('records requests and reports them to listeners', async () => {
    const hub = new MockHub();
    const heard: MockRequestRecord[] = [];
    hub.on('request', (r) => heard.push(r));
    await publish(hub.fetch, hub.url, [['topic', 'a']]);
    await publish(hub.fetch, hub.url, [['topic', '*']]);
    expect(hub.requests.map((r) => [r.method, r.status])).toEqual([
      ['POST', 200],
      ['POST', 400],
    ]);
    expect(heard).toEqual(hub.requests);
  });

  it('applies a fixed latency to responses and deliveries, under fake timers', async () => {
    vi.useFakeTimers(FAKE);
    const hub = new MockHub({ latency: 100 });
    const opening = openStream(hub.fetch, subscribeUrl(hub.url, [['match', 'a']]));
    await vi.advanceTimersByTimeAsync(99);
    expect(hub.connections).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    const stream = await opening;
    streams.push(stream);
    hub.publish({ topic: 'a', data: '1' });
    await vi.advanceTimersByTimeAsync(99);
    expect(stream.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.events.map((e) => e.data)).toEqual(['1']);
  });

  it('keeps order with a latency range', async () => {
    vi.useFakeTimers(FAKE);
    const draws = [0.9, 0.1, 0.5, 0];
    const hub = new MockHub({ random: () => draws.shift() ?? 0 });
    const stream = await open(hub, [['match', 'a']]);
    hub.setLatency([10, 110]);
    for (let i = 1; i <= 4; i++) hub.publish({ topic: 'a', data: String(i) });
    // The first update draws the longest delay (100 ms); later ones wait behind it.
    await vi.advanceTimersByTimeAsync(99);
    expect(stream.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.events.map((e) => e.data)).toEqual(['1', '2', '3', '4']);
  });

  it('holds deliveries while paused and flushes them in order on resume', async () => {
    const hub = new MockHub();
    const stream = await open(hub, [['match', 'a']]);
    hub.pause();
    expect(hub.paused).toBe(true);
    const ids = [hub.publish({ topic: 'a', data: '1' }), hub.publish({ topic: 'a', data: '2' })];
    await new Promise((r) => setTimeout(r, 20));
    expect(stream.events).toHaveLength(0);
    hub.resume();
    hub.publish({ topic: 'a', data: '3' });
    await stream.waitFor((e) => e.data === '3');
    expect(stream.events.map((e) => e.data)).toEqual(['1', '2', '3']);
    expect(stream.events.slice(0, 2).map((e) => e.id)).toEqual(ids);
  });

  it('holds deliveries still under their latency when paused too, and delivers them first on resume', async () => {
    vi.useFakeTimers(FAKE);
    const hub = new MockHub({ latency: 100 });
    const opening = openStream(hub.fetch, subscribeUrl(hub.url, [['match', 'a']]));
    await vi.advanceTimersByTimeAsync(100);
    const stream = await opening;
    streams.push(stream);
    hub.publish({ topic: 'a', data: '1' });
    await vi.advanceTimersByTimeAsync(50);
    hub.pause();
    hub.publish({ topic: 'a', data: '2' });
    await vi.advanceTimersByTimeAsync(500);
    expect(stream.events).toHaveLength(0);
    hub.resume();
    hub.publish({ topic: 'a', data: '3' });
    // Its latency elapsed during the pause: the first update goes at once, the others after theirs.
    await vi.advanceTimersByTimeAsync(0);
    expect(stream.events.map((e) => e.data)).toEqual(['1']);
    await vi.advanceTimersByTimeAsync(100);
    expect(stream.events.map((e) => e.data)).toEqual(['1', '2', '3']);
  });

  it('cuts every stream on dropConnections; clients resume from history', async () => {
    const hub = new MockHub();
    const stream = await open(hub, [['match', 'a']]);
    const before = hub.publish({ topic: 'a', data: 'before' });
    await stream.next();
    hub.dropConnections();
    expect(await stream.ended).toBe('error');
    expect(hub.connections).toBe(0);
    hub.publish({ topic: 'a', data: 'missed' });
    const resumed = await open(hub, [['match', 'a']], { headers: { 'last-event-id': before } });
    expect(resumed.response.headers.get('mercure-last-event-id')).toBe(before);
    expect((await resumed.next()).data).toBe('missed');
  });

  it('fails the next requests with failNext (count and method filter)', async () => {
    const hub = new MockHub();
    hub.failNext(503, { count: 2, method: 'GET', retryAfter: 3 });
    hub.failNext(429, { method: 'POST' });
    const first = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]));
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '3']);
    expect((await publish(hub.fetch, hub.url, [['topic', 'a']])).status).toBe(429);
    expect((await publish(hub.fetch, hub.url, [['topic', 'a']])).status).toBe(200);
    expect((await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]))).status).toBe(503);
    const third = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]));
    expect(third.status).toBe(200);
    await third.body?.cancel();
    expect(hub.connections).toBe(0);
    // A count of 0 fails nothing.
    hub.failNext(503, { count: 0 });
    expect((await publish(hub.fetch, hub.url, [['topic', 'a']])).status).toBe(200);
  });

  it('refuses the matchers refuseMatcher selects with 400 naming them (GET, QUERY, legacy topic=), and serves the others', async () => {
    const seen: string[] = [];
    const hub = new MockHub({
      refuseMatcher: (matcher, request) => {
        seen.push(`${request.method} ${matcher}`);
        return matcher.startsWith('bad') && request.headers.get('x-tenant') !== 'admin';
      },
    });
    const refused = await hub.fetch(subscribeUrl(hub.url, [['match', 'a'], ['match_urlpattern', 'bad/:id']]));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Refused match: "bad/:id"');
    const query = await hub.fetch(hub.url, { method: 'QUERY', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'match=bad1' });
    expect(query.status).toBe(400);
    expect((await hub.fetch(subscribeUrl(hub.url, [['topic', 'bad2']]))).status).toBe(400);
    expect(hub.connections).toBe(0);
    // Other matchers, other credentials, and publishes are served.
    await open(hub, [['match', 'a']]);
    await open(hub, [['match', 'bad3']], { headers: { 'x-tenant': 'admin' } });
    expect(hub.connections).toBe(2);
    expect((await publish(hub.fetch, hub.url, [['topic', 'bad']])).status).toBe(200);
    expect(hub.requests.map((r) => r.status)).toEqual([400, 400, 400, 200, 200, 200]);
    expect(seen).toEqual(['GET a', 'GET bad/:id', 'QUERY bad1', 'GET bad2', 'GET a', 'GET bad3']);
  });

  it('honours an abort signal: before the response, and while streaming', async () => {
    vi.useFakeTimers(FAKE);
    const hub = new MockHub({ latency: 50 });
    const early = new AbortController();
    const pending = hub.fetch(subscribeUrl(hub.url, [['match', 'a']]), { signal: early.signal });
    early.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await vi.advanceTimersByTimeAsync(100);
    expect(hub.connections).toBe(0);

    const controller = new AbortController();
    const responding = hub.fetch(subscribeUrl(hub.url, [['match', 'a']]), { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(50);
    const res = await responding;
    expect(hub.connections).toBe(1);
    const reading = res.body!.getReader().read();
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(hub.connections).toBe(0);
  });

  it('rejects and leaves no connection when aborted during the handshake (token check)', async () => {
    const hub = new MockHub({ publisherKey: TEST_KEY, heartbeat: 0 });
    const token = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]));
    const controller = new AbortController();
    const pending = hub.fetch(subscribeUrl(hub.url, [['match', 'a']]), { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    queueMicrotask(() => controller.abort());
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 20));
    expect(hub.connections).toBe(0);
  });

  it('schedules latency on its injected clock (now with timers), whatever real time does', async () => {
    let clock = 1_000;
    let seq = 0;
    const queue: { at: number; id: number; fn: () => void }[] = [];
    const timers: HubTimers = {
      setTimeout: (fn, ms) => (queue.push({ at: clock + ms, id: ++seq, fn }), seq),
      clearTimeout: (handle) => {
        const index = queue.findIndex((t) => t.id === handle);
        if (index !== -1) queue.splice(index, 1);
      },
      setInterval: () => 0,
      clearInterval: () => {},
    };
    const advance = async (ms: number): Promise<void> => {
      const end = clock + ms;
      for (;;) {
        queue.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = queue[0];
        if (next === undefined || next.at > end) break;
        queue.shift();
        clock = next.at;
        next.fn();
      }
      clock = end;
      await new Promise((r) => setTimeout(r, 5));
    };
    const draws = [0.999, 0];
    const hub = new MockHub({ random: () => draws.shift() ?? 0, timers, now: () => clock, heartbeat: 0 });
    const stream = await open(hub, [['match', 'a']]);
    hub.setLatency([0, 100]);
    hub.publish({ topic: 'a', data: 'first' }); // due in 100 ms
    await new Promise((r) => setTimeout(r, 40)); // real time passes; the hub's clock does not
    hub.publish({ topic: 'a', data: 'second' }); // 0 ms, but queued behind the first
    await advance(99);
    expect(stream.events).toHaveLength(0);
    await advance(1);
    expect(stream.events.map((e) => e.data)).toEqual(['first', 'second']);
  });

  it('keeps latency timing and order under vitest fake timers while real time passes', async () => {
    vi.useFakeTimers(FAKE);
    const draws = [0.999, 0];
    const hub = new MockHub({ random: () => draws.shift() ?? 0 });
    const stream = await open(hub, [['match', 'a']]);
    hub.setLatency([0, 100]);
    hub.publish({ topic: 'a', data: 'first' });
    const until = performance.now() + 30;
    while (performance.now() < until); // real time passes, the faked Date does not
    hub.publish({ topic: 'a', data: 'second' });
    await vi.advanceTimersByTimeAsync(99);
    expect(stream.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.events.map((e) => e.data)).toEqual(['first', 'second']);
  });

  it('drops a subscriber that stops reading once limits.bufferedBytes wait for it, and keeps one that reads', async () => {
    const hub = new MockHub({ limits: { bufferedBytes: 64 * 1024 }, heartbeat: 0 });
    const reasons: string[] = [];
    hub.on('disconnect', (e) => reasons.push(e.reason));
    const idle = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]));
    const reading = await open(hub, [['match', 'a']]);
    const data = 'x'.repeat(8000);
    for (let i = 0; i < 20; i++) {
      const id = hub.publish({ topic: 'a', data });
      await reading.waitFor((e) => e.id === id);
    }
    expect(reasons).toEqual(['slow']);
    expect(hub.connections).toBe(1);
    await expect(idle.body!.getReader().read()).rejects.toThrow(TypeError);
  });

  it('holds a resume while paused instead of queuing it past the buffer, and replays it all on resume', async () => {
    const hub = new MockHub({ limits: { bufferedBytes: 64 * 1024 }, heartbeat: 0 });
    const reasons: string[] = [];
    hub.on('disconnect', (e) => reasons.push(e.reason));
    const data = 'x'.repeat(8000);
    const ids = Array.from({ length: 100 }, () => hub.publish({ topic: 'a', data }));
    hub.pause();
    const stream = await open(hub, [['match', 'a']], { headers: { 'last-event-id': 'earliest' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(hub.connections).toBe(1);
    expect(stream.events).toHaveLength(0);
    hub.resume();
    await stream.waitFor((e) => e.id === ids[99]);
    expect(stream.events.map((e) => e.id)).toEqual(ids);
    expect(reasons).toEqual([]);
  });

  it('drops a stream whose reader stops reading once nothing has drained for idleWriteTimeout', async () => {
    vi.useFakeTimers(FAKE);
    const hub = new MockHub({ heartbeat: 1000, idleWriteTimeout: 10_000 });
    const reasons: string[] = [];
    hub.on('disconnect', (e) => reasons.push(e.reason));
    const reading = await open(hub, [['match', 'a']]);
    const idle = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reasons).toEqual([]);
    // Heartbeats pile up unread from the first one (1 s), so the stall is seen at 2.5 s and cut 10 s later.
    await vi.advanceTimersByTimeAsync(2_500);
    expect(reasons).toEqual(['stalled']);
    expect(hub.connections).toBe(1);
    expect(reading.comments.length).toBeGreaterThan(10);
    await expect(idle.body!.getReader().read()).rejects.toThrow(TypeError);
  });

  it('caps the backlog held while paused the same way', async () => {
    const hub = new MockHub({ limits: { bufferedBytes: 64 * 1024 }, heartbeat: 0 });
    const reasons: string[] = [];
    hub.on('disconnect', (e) => reasons.push(e.reason));
    const stream = await open(hub, [['match', 'a']]);
    hub.pause();
    const data = 'x'.repeat(8000);
    for (let i = 0; i < 5; i++) hub.publish({ topic: 'a', data });
    expect(hub.connections).toBe(1);
    for (let i = 0; i < 5; i++) hub.publish({ topic: 'a', data });
    expect(hub.connections).toBe(0);
    expect(reasons).toEqual(['slow']);
    expect(await stream.ended).toBe('error');
  });

  it('sends heartbeats through the injected timers', async () => {
    vi.useFakeTimers(FAKE);
    const hub = new MockHub({ heartbeat: 1000 });
    const stream = await open(hub, [['match', 'a']]);
    await vi.advanceTimersByTimeAsync(999);
    expect(stream.comments).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.comments).toHaveLength(1);
  });

  it('resets and closes', async () => {
    const hub = new MockHub();
    const stream = await open(hub, [['match', 'a']]);
    hub.publish({ topic: 'a' });
    hub.failNext(500);
    hub.reset();
    expect(await stream.ended).toBe('error');
    expect(hub.history).toHaveLength(0);
    expect((await publish(hub.fetch, hub.url, [['topic', 'a']])).status).toBe(200);
    const again = await open(hub, [['match', 'a']]);
    hub.close();
    expect(await again.ended).toBe('end');
    expect((await publish(hub.fetch, hub.url, [['topic', 'a']])).status).toBe(503);
  });
});
