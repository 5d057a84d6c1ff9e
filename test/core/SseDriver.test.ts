import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { DriverEvent, SseDriverOptions, SseUpdate } from '../../src/index.js';
import { SseError } from '../../src/core/errors.js';
import { StreamHub, envelopeEvent, sse } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

function setup(options: Partial<SseDriverOptions> = {}) {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({
    url: URL_,
    fetch: hub.fetch,
    protocol: 'v1',
    platform: { random: () => 1, events: undefined },
    onError: (e) => errors.push(e),
    ...options,
  });
  return { hub, driver, errors };
}

function collect<T = unknown>() {
  const updates: SseUpdate<T>[] = [];
  return { updates, listener: (u: SseUpdate<T>) => updates.push(u) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('construction (seed snippet)', () => {
  it('accepts the seed options unchanged and merges publisher init into publishes', async () => {
    const hub = new StreamHub();
    const publisherJwtKey = 'token';
    const driver = new SseDriver({
      url: 'http://localhost:8080/.well-known/mercure',
      publisher: { headers: { Authorization: `Bearer ${publisherJwtKey}` } },
      fetch: hub.fetch,
    });
    const id = await driver.publish('room', { hello: 'world' });
    expect(hub.publishes).toHaveLength(1);
    expect(hub.publishes[0]?.headers.get('authorization')).toBe('Bearer token');
    expect(hub.publishes[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(id).toMatch(/^urn:uuid:/);
    driver.destroy();
  });

  it('throws a misuse error without a url', () => {
    expect(() => new SseDriver({} as SseDriverOptions)).toThrowError(expect.objectContaining({ code: 'misuse' }));
  });

  it('touches no browser global at import time and runs on Node', () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    expect(new SseDriver({ url: URL_ }).getSnapshot().status).toBe('idle');
  });
});

describe('subscribe', () => {
  it('sends exact topics as match and URL patterns as match_urlpattern (v1) and delivers { topic, data, id, type }', async () => {
    const { hub, driver } = setup();
    const a = collect();
    driver.subscribe(['https://example.com/a', { pattern: 'https://example.com/books/:id' }], a.listener);
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    expect(hub.last.url.searchParams.getAll('match')).toEqual(['https://example.com/a']);
    expect(hub.last.url.searchParams.getAll('match_urlpattern')).toEqual(['https://example.com/books/:id']);
    hub.last.push(envelopeEvent('urn:1', 'https://example.com/books/7', { title: 'Dune' }));
    hub.last.push(envelopeEvent('urn:2', 'https://example.com/other', 1));
    await tick();
    expect(a.updates).toEqual([{ topic: 'https://example.com/books/7', data: { title: 'Dune' }, id: 'urn:1', type: 'message', sender: 'other' }]);
    driver.destroy();
  });

  it('sends topic= with URI templates and lastEventID in the legacy format', async () => {
    const { hub, driver } = setup({ protocol: 'legacy' });
    driver.subscribe(['room', { pattern: 'https://example.com/books/:id' }], () => undefined, { since: 'urn:5' });
    await tick(10);
    expect(hub.last.url.searchParams.getAll('topic')).toEqual(['room', 'https://example.com/books/{id}']);
    expect(hub.last.url.searchParams.get('lastEventID')).toBe('urn:5');
    driver.destroy();
  });

  it('filters by SSE event type', async () => {
    const { hub, driver } = setup();
    const typed = collect();
    const all = collect();
    driver.subscribe('t', typed.listener, { type: 'ping' });
    driver.subscribe('t', all.listener);
    await tick(10);
    hub.last.push(envelopeEvent('1', 't', 'a'));
    hub.last.push(envelopeEvent('2', 't', 'b', { event: 'ping' }));
    await tick();
    expect(typed.updates.map((u) => u.data)).toEqual(['b']);
    expect(all.updates.map((u) => u.data)).toEqual(['a', 'b']);
    driver.destroy();
  });

  it('throws misuse for an empty matcher list or an invalid pattern', () => {
    const { driver } = setup();
    expect(() => driver.subscribe([], () => undefined)).toThrowError(expect.objectContaining({ code: 'misuse' }));
    expect(() => driver.subscribe({ pattern: 'https://[' }, () => undefined)).toThrowError(expect.objectContaining({ code: 'misuse' }));
    driver.destroy();
  });
});

describe('one connection', () => {
  it('shares one stream between subscriptions and coalesces changes into one switch', async () => {
    const { hub, driver } = setup();
    const offs = [driver.subscribe('a', () => undefined), driver.subscribe('b', () => undefined), driver.subscribe('a', () => undefined)];
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    expect(hub.last.url.searchParams.getAll('match').sort()).toEqual(['a', 'b']);
    // Three changes in one window: one switch.
    offs[1]?.();
    driver.subscribe('c', () => undefined);
    driver.subscribe('d', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.url.searchParams.getAll('match').sort()).toEqual(['a', 'c', 'd']);
    // Ref-counted: dropping one of the two 'a' subscriptions changes nothing.
    offs[0]?.();
    await tick(10);
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });

  it('opens the new stream before closing the old one and loses nothing on a hub without history', async () => {
    const { hub, driver } = setup();
    const a = collect();
    driver.subscribe('a', a.listener);
    await tick(10);
    const first = hub.last;
    first.push(envelopeEvent('e1', 'a', 1, { sseId: null }));
    await tick();
    let release!: () => void;
    hub.gate = new Promise<void>((resolve) => (release = resolve));
    driver.subscribe('b', () => undefined);
    await tick(10);
    const second = hub.last;
    expect(second).not.toBe(first);
    expect(first.closed).toBe(false); // make before break: the old stream is still live…
    expect(second.headers.get('last-event-id')).toBeNull(); // (the hub sent no ids)
    first.push(envelopeEvent('e2', 'a', 2, { sseId: null })); // …and still delivers while the new one opens
    await tick();
    release();
    await tick();
    // The old stream drains until the new one caught up with it…
    expect(first.closed).toBe(false);
    second.push(envelopeEvent('e2', 'a', 2, { sseId: null })); // …which this repeat shows (and is de-duplicated)
    await tick();
    expect(first.closed).toBe(true);
    second.push(envelopeEvent('e3', 'a', 3, { sseId: null }));
    await tick();
    expect(a.updates.map((u) => u.data)).toEqual([1, 2, 3]);
    driver.destroy();
  });

  it('delivers each update once across a switch when message ids differ only before a long shared end', async () => {
    const { hub, driver } = setup();
    const a = collect();
    driver.subscribe('a', a.listener);
    await tick(10);
    const first = hub.last;
    const id = (n: number) => `https://example.com/orders/${n}/events/created-by-the-checkout-service`;
    const batch = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => envelopeEvent(id(from + i), 'a', from + i)).join('');
    first.push(batch(0, 150));
    await tick();
    let release!: () => void;
    hub.gate = new Promise<void>((resolve) => (release = resolve));
    driver.subscribe('b', () => undefined);
    await tick(10);
    const second = hub.last;
    first.push(batch(150, 200));
    await tick();
    release();
    await tick();
    // The new stream replays part of what the old one gave, then goes on; a retried publish shows up again later.
    second.push(batch(120, 260) + envelopeEvent(id(10), 'a', 10));
    await tick();
    expect(a.updates.map((u) => u.data)).toEqual(Array.from({ length: 260 }, (_, i) => i));
    driver.destroy();
  });

  it('gives raw subscriptions without topicOf one dedicated connection per matcher set, shared', async () => {
    const { hub, driver } = setup();
    driver.subscribe('x', () => undefined);
    driver.subscribe('foreign-1', () => undefined, { raw: true });
    driver.subscribe('foreign-1', () => undefined, { raw: true });
    driver.subscribe('foreign-2', () => undefined, { raw: true });
    await tick(10);
    const sets = hub.requests.map((r) => r.url.searchParams.getAll('match').join(','));
    expect(sets.sort()).toEqual(['foreign-1', 'foreign-2', 'x']);
    expect(driver.getSubscriptions().filter((s) => s.connection === 'dedicated')).toHaveLength(3);
    driver.destroy();
  });

  it('never delivers a foreign topic to a raw subscription of another topic', async () => {
    const { hub, driver } = setup();
    const one = collect();
    const two = collect();
    driver.subscribe('foreign-1', one.listener, { raw: true });
    driver.subscribe('foreign-2', two.listener, { raw: true });
    await tick(10);
    const stream1 = hub.requests.find((r) => r.url.searchParams.get('match') === 'foreign-1');
    const stream2 = hub.requests.find((r) => r.url.searchParams.get('match') === 'foreign-2');
    stream1?.push(sse({ id: '1', data: 'for one' }));
    stream2?.push(sse({ id: '2', data: 'for two' }));
    await tick();
    expect(one.updates).toEqual([{ topic: 'foreign-1', data: 'for one', id: '1', type: 'message', sender: undefined }]);
    expect(two.updates).toEqual([{ topic: 'foreign-2', data: 'for two', id: '2', type: 'message', sender: undefined }]);
    driver.destroy();
  });

  it('routes raw updates on the shared connection with topicOf', async () => {
    const { hub, driver } = setup({ topicOf: (e) => (JSON.parse(e.data) as { topic?: string }).topic });
    const one = collect();
    const two = collect();
    driver.subscribe('foreign-1', one.listener, { raw: true });
    driver.subscribe('foreign-2', two.listener, { raw: true });
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    hub.last.push(sse({ id: '1', data: '{"topic":"foreign-2","v":1}' }));
    await tick();
    expect(one.updates).toEqual([]);
    expect(two.updates.map((u) => u.data)).toEqual(['{"topic":"foreign-2","v":1}']);
    driver.destroy();
  });
});

describe('topicOf that throws', () => {
  it('reports what topicOf throws, skips that update and keeps the stream and the next updates', async () => {
    const { hub, driver, errors } = setup({ topicOf: (e) => (JSON.parse(e.data) as { topic?: string }).topic });
    const one = collect();
    driver.subscribe('foreign-1', one.listener, { raw: true });
    await tick(10);
    hub.last.push(sse({ id: '1', data: 'not json' }) + sse({ id: '2', data: '{"topic":"foreign-1","v":2}' }));
    await tick();
    hub.last.push(sse({ id: '3', data: '{"topic":"foreign-1","v":3}' }));
    await tick(1000);
    expect(one.updates.map((u) => u.id)).toEqual(['2', '3']);
    expect(hub.requests).toHaveLength(1);
    expect(driver.getSnapshot().status).toBe('open');
    expect(errors.map((e) => e.code)).toEqual(['listener']);
    expect(errors[0]?.cause).toBeInstanceOf(SyntaxError);
    driver.destroy();
  });
});

describe('routing never guesses', () => {
  it('reports one unroutable error per topic for foreign updates on the shared connection and delivers nothing', async () => {
    const { hub, driver, errors } = setup();
    const a = collect();
    const subErrors: SseError[] = [];
    driver.subscribe('a', a.listener, { onError: (e) => subErrors.push(e) });
    await tick(10);
    hub.last.push(sse({ id: '1', data: 'plain text' }));
    hub.last.push(sse({ id: '2', data: '{"not":"an envelope"}' }));
    await tick();
    expect(a.updates).toEqual([]);
    expect(errors.filter((e) => e.code === 'unroutable')).toHaveLength(1);
    expect(subErrors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/raw: true/);
    driver.destroy();
  });

  it('delivers an update published to several topics to whichever matcher selects one of them', async () => {
    const { hub, driver } = setup();
    const b = collect();
    driver.subscribe('b', b.listener);
    await tick(10);
    hub.last.push(sse({ id: 'm', data: JSON.stringify({ 'sse-kit': 1, id: 'm', topic: 'a', topics: ['a', 'b'], sender: 's', payload: 'x' }) }));
    await tick();
    expect(b.updates.map((u) => u.topic)).toEqual(['b']);
    driver.destroy();
  });

  it('does not deliver to a subscription removed by an earlier listener of the same update, and a throwing listener stops nobody', async () => {
    const { hub, driver, errors } = setup();
    const b = collect();
    const c = collect();
    let offB: () => void = () => undefined;
    driver.subscribe('a', () => {
      offB();
      throw new Error('listener bug');
    });
    offB = driver.subscribe('a', b.listener);
    driver.subscribe('a', c.listener);
    await tick(10);
    hub.last.push(envelopeEvent('urn:1', 'a', 1));
    hub.last.push(envelopeEvent('urn:2', 'a', 2));
    await tick();
    expect(b.updates).toEqual([]);
    expect(c.updates.map((u) => u.data)).toEqual([1, 2]);
    // What the listener threw is reported (to onError), never thrown into the stream.
    expect(errors.filter((e) => e.cause instanceof Error && e.cause.message === 'listener bug')).toHaveLength(2);
    driver.destroy();
  });

  it('does not hand the update being delivered to a subscription a listener makes meanwhile', async () => {
    const { hub, driver } = setup();
    const all = collect();
    const raw = collect();
    // Each first listener subscribes again to what it receives: on the shared stream and on a dedicated one.
    const again = (matcher: string, listener: (u: SseUpdate) => void, options: { raw?: boolean }) => {
      let first = true;
      driver.subscribe(matcher, () => {
        if (first) driver.subscribe(matcher, listener, options);
        first = false;
      }, options);
    };
    again('*', all.listener, {});
    again('https://example.com/raw', raw.listener, { raw: true });
    // A subscription removed by an earlier listener of the same update gets nothing (dedicated stream).
    const gone = collect();
    let offGone: () => void = () => undefined;
    driver.subscribe('https://example.com/raw', () => offGone(), { raw: true });
    offGone = driver.subscribe('https://example.com/raw', gone.listener, { raw: true });
    await tick(10);
    const [main, dedicated] = [hub.requests[0], hub.requests[1]];
    main?.push(envelopeEvent('urn:1', 'https://example.com/books/1', 1));
    dedicated?.push(sse({ id: 'r1', data: 'one' }));
    await tick(10);
    main?.push(envelopeEvent('urn:2', 'https://example.com/books/2', 2));
    dedicated?.push(sse({ id: 'r2', data: 'two' }));
    await tick();
    expect(hub.requests).toHaveLength(2);
    expect(all.updates.map((u) => u.id)).toEqual(['urn:2']);
    expect(gone.updates).toEqual([]);
    expect(raw.updates.map((u) => u.id)).toEqual(['r2']);
    driver.destroy();
  });
});

describe('nothing lost, nothing twice', () => {
  it('resumes with Last-Event-ID after a network fault and drops replayed duplicates', async () => {
    const { hub, driver } = setup();
    const a = collect();
    driver.subscribe('a', a.listener);
    await tick(10);
    hub.last.push(envelopeEvent('u1', 'a', 1) + envelopeEvent('u2', 'a', 2));
    await tick();
    hub.last.fail();
    await tick(0);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.headers.get('last-event-id')).toBe('u2');
    expect(hub.last.url.searchParams.has('last_event_id')).toBe(false);
    hub.last.push(envelopeEvent('u2', 'a', 2) + envelopeEvent('u3', 'a', 3));
    await tick();
    expect(a.updates.map((u) => u.id)).toEqual(['u1', 'u2', 'u3']);
    driver.destroy();
  });

  it('sends since as last_event_id on the first request, earliest included', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined, { since: 'earliest' });
    await tick(10);
    expect(hub.last.url.searchParams.get('last_event_id')).toBe('earliest');
    driver.destroy();
  });

  it('reports a gap when the hub could not resume from the cursor', async () => {
    const { hub, driver, errors } = setup();
    const events: DriverEvent[] = [];
    driver.on('event', (e) => events.push(e));
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(envelopeEvent('u1', 'a', 1));
    await tick();
    hub.respond = () => ({ headers: { 'Mercure-Last-Event-ID': 'earliest' } });
    hub.last.end();
    await tick(1000);
    expect(errors.map((e) => e.code)).toContain('gap');
    expect(events.some((e) => e.type === 'gap')).toBe(true);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: expect.objectContaining({ code: 'gap', requested: 'u1', resumedFrom: 'earliest' }) });
    driver.destroy();
  });

  it('reports no gap when the hub resumed from the cursor', async () => {
    const { hub, driver, errors } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(envelopeEvent('u1', 'a', 1));
    await tick();
    hub.respond = (r) => ({ headers: { 'Mercure-Last-Event-ID': r.headers.get('last-event-id') ?? '' } });
    hub.last.end();
    await tick(1000);
    expect(errors.map((e) => e.code)).not.toContain('gap');
    driver.destroy();
  });
});

describe('publish', () => {
  it('POSTs form fields per the Mercure spec and resolves with the hub id', async () => {
    const { hub, driver } = setup({ clientId: 'me' });
    hub.onPublish = () => new Response('urn:hub:1', { status: 200, headers: { 'Content-Type': 'text/plain' } });
    const id = await driver.publish(['a', 'b'], { n: 1 }, { type: 'note', id: 'urn:mine', private: true, retry: 1500 });
    expect(id).toBe('urn:hub:1');
    const body = hub.publishes[0]?.body;
    expect(body?.getAll('topic')).toEqual(['a', 'b']);
    expect(body?.get('id')).toBe('urn:mine');
    expect(body?.get('type')).toBe('note');
    expect(body?.get('private')).toBe('on');
    expect(body?.get('retry')).toBe('1500');
    expect(JSON.parse(body?.get('data') ?? '')).toEqual({ 'sse-kit': 1, id: 'urn:mine', topic: 'a', topics: ['a', 'b'], sender: 'me', payload: { n: 1 } });
    driver.destroy();
  });

  it('rejects with protocol a 200 answered with an HTML page (not a hub), and takes an empty body as its own id', async () => {
    const { hub, driver } = setup();
    hub.onPublish = () => new Response('<!doctype html><title>App</title>', { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    await expect(driver.publish('a', 1)).rejects.toMatchObject({ code: 'protocol', status: 200 });
    hub.onPublish = () => new Response('', { status: 200 });
    await expect(driver.publish('a', 1, { id: 'urn:mine' })).resolves.toBe('urn:mine');
    driver.destroy();
  });

  it('sends raw data as is and refuses non-string raw data, undefined data and an empty id', async () => {
    const { hub, driver } = setup();
    await driver.publish('a', 'line1\nline2', { raw: true });
    expect(hub.publishes[0]?.body.get('data')).toBe('line1\nline2');
    await expect(driver.publish('a', { x: 1 }, { raw: true })).rejects.toMatchObject({ code: 'misuse' });
    await expect(driver.publish('a', undefined)).rejects.toMatchObject({ code: 'misuse' });
    // Subscribers de-duplicate by id: an empty one would drop every later update published with it.
    await expect(driver.publish('a', 1, { id: '' })).rejects.toMatchObject({ code: 'misuse' });
    expect(hub.publishes).toHaveLength(1);
    driver.destroy();
  });

  it.each([
    [400, 'bad-request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [413, 'too-large'],
    [500, 'server'],
  ])('rejects a %i answer with code %s', async (status, code) => {
    const { hub, driver } = setup();
    hub.onPublish = () => new Response('nope', { status });
    await expect(driver.publish('a', 1)).rejects.toMatchObject({ code, status });
    driver.destroy();
  });

  it('rejects a 429 with rate-limited and the Retry-After delay', async () => {
    const { hub, driver } = setup();
    hub.onPublish = () => new Response('', { status: 429, headers: { 'Retry-After': '3' } });
    await expect(driver.publish('a', 1)).rejects.toMatchObject({ code: 'rate-limited', retryAfter: 3000 });
    driver.destroy();
  });

  it('rejects a network failure with network and keeps the id for an idempotent retry', async () => {
    const { hub, driver } = setup();
    hub.onPublish = () => Promise.reject(new TypeError('fetch failed'));
    const error = await driver.publish('a', 1, { id: 'urn:x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect((error as Error).message).toContain('urn:x');
    driver.destroy();
  });
});

describe('long matcher lists', () => {
  it('uses QUERY with a form body past maxUrlLength (v1)', async () => {
    const { hub, driver } = setup({ maxUrlLength: 200 });
    const topics = Array.from({ length: 20 }, (_, i) => `https://example.com/topics/${i}`);
    driver.subscribe(topics, () => undefined);
    await tick(10);
    expect(hub.last.method).toBe('QUERY');
    expect(hub.last.url.search).toBe('');
    expect(hub.last.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(hub.last.body).getAll('match')).toHaveLength(20);
    driver.destroy();
  });
});

describe('status', () => {
  it('is observable and goes idle → connecting → open → reconnecting → open', async () => {
    const { hub, driver } = setup();
    const seen: string[] = [];
    const off = driver.on('state', () => {
      const { status } = driver.getSnapshot();
      if (seen.at(-1) !== status) seen.push(status);
    });
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(envelopeEvent('u1', 'a', 1));
    await tick();
    hub.last.fail();
    await tick(1000);
    expect(seen).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    expect(driver.getSnapshot()).toMatchObject({ lastEventId: 'u1', retries: 0, protocol: 'v1' });
    off();
    driver.destroy();
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter, capped, and resets after a healthy open', async () => {
    const { hub, driver } = setup({ retry: { initialDelay: 100, maxDelay: 1000, factor: 2 } });
    hub.respond = () => ({ status: 503 });
    driver.subscribe('a', () => undefined);
    await tick(10);
    const times: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 6; i++) {
      const before = hub.requests.length;
      while (hub.requests.length === before) await tick(1);
      times.push(Date.now() - last);
      last = Date.now();
    }
    // random() = 1 → the delay is the ceiling: 100, 200, 400, 800, 1000, 1000.
    expect(times).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'reconnecting', retries: 7 });
    hub.respond = () => undefined;
    await tick(1000);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', retries: 0, error: undefined });
    driver.destroy();
  });

  it('honours the server retry field', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push('retry: 5000\n\n');
    await tick();
    hub.last.end();
    await tick(4999);
    expect(hub.requests).toHaveLength(1);
    await tick(1);
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });

  it('stops on 401 until reconnect() and on 403 until new headers', async () => {
    const { hub, driver } = setup();
    hub.respond = () => ({ status: 401 });
    driver.subscribe('a', () => undefined);
    await tick(10);
    await tick(60_000);
    expect(hub.requests).toHaveLength(1);
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: expect.objectContaining({ code: 'unauthorized' }) });
    hub.respond = () => ({ status: 403 });
    driver.reconnect();
    await tick();
    expect(hub.requests).toHaveLength(2);
    expect(driver.getSnapshot().error?.code).toBe('forbidden');
    await tick(60_000);
    expect(hub.requests).toHaveLength(2);
    hub.respond = () => undefined;
    driver.setHeaders({ Authorization: 'Bearer new' });
    await tick();
    expect(hub.requests).toHaveLength(3);
    expect(hub.last.headers.get('authorization')).toBe('Bearer new');
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('takes new headers given from onError on a 401 at once, and a reconnect() from onError on a drop once', async () => {
    let driverRef!: SseDriver;
    const { hub, driver } = setup({
      retry: { initialDelay: 1000 },
      onError: (e) => {
        if (e.code === 'unauthorized') driverRef.setHeaders({ Authorization: 'Bearer fresh' });
        if (e.code === 'network') driverRef.reconnect();
      },
    });
    driverRef = driver;
    const statuses: string[] = [];
    driver.on('state', (state) => statuses.push(state.status));
    hub.respond = (r) => (r.headers.get('authorization') === 'Bearer fresh' ? undefined : { status: 401 });
    driver.subscribe('a', () => undefined);
    await tick(10);
    expect(hub.requests).toHaveLength(2);
    expect(driver.getSnapshot().status).toBe('open');
    expect(statuses).not.toContain('error'); // the stop was lifted before it was shown
    hub.last.fail();
    await tick(10);
    expect(hub.requests).toHaveLength(3);
    await tick(5000);
    // The retry the drop had scheduled does not replace the stream reconnect() opened.
    expect(hub.requests).toHaveLength(3);
    expect(hub.open).toHaveLength(1);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('stops on 400 until new headers, as on 401', async () => {
    const { hub, driver } = setup();
    hub.respond = (r) => (r.headers.get('x-tenant') === null ? { status: 400, body: 'Missing X-Tenant header' } : undefined);
    driver.subscribe('a', () => undefined);
    await tick(60_000);
    expect(hub.requests).toHaveLength(1);
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: expect.objectContaining({ code: 'bad-request' }) });
    driver.setHeaders({ 'X-Tenant': 't1' });
    await tick();
    expect(hub.requests).toHaveLength(2);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('stops on 204 and treats a wrong content type as a protocol error', async () => {
    const a = setup();
    a.hub.respond = () => ({ status: 204 });
    a.driver.subscribe('a', () => undefined);
    await tick(60_000);
    expect(a.hub.requests).toHaveLength(1);
    expect(a.driver.getSnapshot().status).toBe('closed');
    a.driver.destroy();

    const b = setup({ fetch: async () => new Response('<html>', { status: 200, headers: { 'Content-Type': 'text/html' } }) });
    b.driver.subscribe('a', () => undefined);
    await tick(10);
    expect(b.driver.getSnapshot()).toMatchObject({ status: 'error', error: expect.objectContaining({ code: 'protocol' }) });
    b.driver.destroy();
  });

  it('re-reads an async headers function at every (re)connect', async () => {
    let n = 0;
    const { hub, driver } = setup({ headers: async () => ({ Authorization: `Bearer t${++n}` }) });
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.fail();
    await tick(1000);
    expect(hub.requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer t1', 'Bearer t2']);
    driver.destroy();
  });

  it('falls back to the legacy format when a hub rejects v1 parameters (auto)', async () => {
    const { hub, driver } = setup({ protocol: 'auto' });
    hub.respond = (r) => (r.url.searchParams.has('match') ? { status: 400 } : undefined);
    driver.subscribe('a', () => undefined);
    await tick(10);
    expect(hub.requests.map((r) => [...r.url.searchParams.keys()].join())).toEqual(['match', 'topic']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'legacy' });
    driver.destroy();
  });
});

describe('heartbeat watchdog', () => {
  it('reconnects when no byte arrives for the timeout; comments count as bytes', async () => {
    const { hub, driver } = setup({ heartbeatTimeout: 1000 });
    driver.subscribe('a', () => undefined);
    await tick(10);
    await tick(900);
    hub.last.push(':\n\n');
    await tick(900);
    expect(hub.requests).toHaveLength(1);
    await tick(100);
    expect(hub.requests[0]?.closed).toBe(true);
    expect(driver.getSnapshot().error?.code).toBe('timeout');
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });

  it('reconnects promptly on online and ignores visibility changes', async () => {
    const events = new EventTarget();
    const { hub, driver } = setup({ platform: { random: () => 1, events }, retry: { initialDelay: 20_000 } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    events.dispatchEvent(new Event('visibilitychange'));
    expect(hub.last.closed).toBe(false);
    hub.last.fail();
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    events.dispatchEvent(new Event('online'));
    await tick();
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });
});

describe('reconnect()', () => {
  it('also reconnects the stream of a matcher change that is waiting out its backoff', async () => {
    const { hub, driver } = setup({ retry: { initialDelay: 20_000 } });
    const active: string[] = [];
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.respond = () => ({ status: 502 });
    driver.subscribe('b', () => undefined, { onActive: () => active.push('b') });
    await tick(10);
    expect(hub.requests).toHaveLength(2);
    expect(hub.requests[0]?.closed).toBe(false); // the old stream stays and delivers meanwhile
    hub.respond = () => undefined;
    driver.reconnect();
    await tick();
    expect(hub.open.map((r) => r.url.searchParams.getAll('match'))).toContainEqual(['a', 'b']);
    expect(active).toEqual(['b']);
    driver.destroy();
  });
});

describe('destroy', () => {
  it('closes every connection, rejects in-flight publishes with closed and leaves no timer behind', async () => {
    const { hub, driver } = setup({ heartbeatTimeout: 1000 });
    hub.onPublish = () => new Promise<Response>(() => undefined);
    driver.subscribe('a', () => undefined);
    driver.subscribe('b', () => undefined, { raw: true });
    await tick(10);
    const pending = driver.publish('a', 1);
    await tick();
    driver.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(hub.open).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(driver.getSnapshot().status).toBe('closed');
    expect(() => driver.subscribe('a', () => undefined)).toThrowError(SseError);
  });

  it('refuses a publish with closed once destroyed, whatever its input (the cause comes first)', async () => {
    const { driver } = setup();
    driver.destroy();
    const calls: Array<[string | readonly string[], unknown, Parameters<SseDriver['publish']>[2]]> = [
      ['a', 1, {}],
      ['a', undefined, {}],
      ['a', { n: 1n }, {}],
      ['a', { a: 1 }, { raw: true }],
      ['', 1, {}],
      [[], 1, {}],
      ['a', 1, { id: '' }],
      ['a', 1, { signal: AbortSignal.abort() }],
    ];
    for (const [topic, data, options] of calls) await expect(driver.publish(topic, data, options)).rejects.toMatchObject({ code: 'closed' });
  });

  it('stays destroyed when onError destroys it on a drop: no retry timer, no new stream', async () => {
    let destroyed!: SseDriver;
    const { hub, driver } = setup({ onError: () => destroyed.destroy() });
    destroyed = driver;
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.fail();
    await tick();
    expect(vi.getTimerCount()).toBe(0);
    await tick(60_000);
    expect(hub.requests).toHaveLength(1);
    expect(driver.getSnapshot().status).toBe('closed');
  });

  it('opens nothing more when a state listener destroys it while the streams start', async () => {
    const { hub, driver } = setup();
    driver.on('state', (state) => {
      if (state.status === 'connecting') driver.destroy();
    });
    driver.subscribe('a', () => undefined);
    driver.subscribe('b', () => undefined, { raw: true });
    await tick(10);
    expect(vi.getTimerCount()).toBe(0);
    await tick(60_000);
    expect(hub.open).toHaveLength(0);
  });
});

describe('state follows events', () => {
  it('updates lastEventId as events arrive, once per burst', async () => {
    const { hub, driver } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    let notified = 0;
    driver.on('state', () => notified++);
    hub.last.push(envelopeEvent('u1', 'a', 1) + envelopeEvent('u2', 'a', 2) + envelopeEvent('u3', 'a', 3));
    await tick();
    expect(driver.getSnapshot().lastEventId).toBe('u3');
    expect(notified).toBe(1);
    driver.destroy();
  });
});

describe('review regressions', () => {
  it('delivers an update once even when a hub dispatches a retried publish twice', async () => {
    const { hub, driver } = setup();
    const a = collect();
    driver.subscribe('a', a.listener);
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1) + envelopeEvent('m1', 'a', 1) + envelopeEvent('m2', 'a', 2) + envelopeEvent('m1', 'a', 1));
    await tick();
    expect(a.updates.map((u) => u.id)).toEqual(['m1', 'm2']);
    driver.destroy();
  });

  it('keeps the healthy stream when the hub refuses a new matcher set, and tells only the new subscription', async () => {
    const { hub, driver } = setup();
    const a = collect();
    const aErrors: SseError[] = [];
    const badErrors: SseError[] = [];
    driver.subscribe('a', a.listener, { onError: (e) => aErrors.push(e) });
    await tick(10);
    const first = hub.last;
    hub.respond = (r) => (r.url.searchParams.getAll('match_urlpattern').length > 0 ? { status: 400 } : undefined);
    driver.subscribe({ pattern: 'https://example.com/books/:id' }, () => undefined, { onError: (e) => badErrors.push(e) });
    await tick(10);
    expect(first.closed).toBe(false);
    expect(badErrors.map((e) => e.code)).toEqual(['bad-request']);
    expect(aErrors).toEqual([]);
    expect(driver.getSnapshot().status).toBe('open');
    first.push(envelopeEvent('x1', 'a', 1));
    await tick();
    expect(a.updates.map((u) => u.id)).toEqual(['x1']);
    driver.destroy();
  });

  it('marks the timeline of a matcher switch as switching, and a real drop as not', async () => {
    const { hub, driver } = setup();
    const events: DriverEvent[] = [];
    driver.on('event', (e) => events.push(e));
    driver.subscribe('a', () => undefined);
    await tick(10);
    driver.subscribe('b', () => undefined);
    await tick(10);
    hub.last.fail();
    await tick(0);
    const flags = events.filter((e) => e.type === 'connecting' || e.type === 'open' || e.type === 'drop').map((e) => `${e.type}:${String('switching' in e && e.switching)}`);
    expect(flags).toEqual(['connecting:false', 'open:false', 'connecting:true', 'open:true', 'drop:false']);
    driver.destroy();
  });

  it('backs off against a hub that accepts and hangs up at once', async () => {
    const { hub, driver } = setup({ retry: { initialDelay: 100, maxDelay: 10_000 } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    for (let i = 0; i < 6; i++) {
      hub.last.end();
      await tick(0);
      const before = hub.requests.length;
      while (hub.requests.length === before) await tick(10);
    }
    // Delays 100, 200, 400, 800, 1600, 3200: about six seconds for six reconnects, not 0.6.
    expect(Date.now()).toBeGreaterThan(6000);
    driver.destroy();
  });

  it('reconnects to the event types added later with the native EventSource transport', async () => {
    const urls: string[] = [];
    const listened: string[][] = [];
    class Source extends EventTarget {
      readyState = 0;
      readonly types: string[] = [];
      constructor(url: string) {
        super();
        urls.push(url);
        listened.push(this.types);
      }
      override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
        this.types.push(type);
        super.addEventListener(type, listener);
      }
      close(): void {
        this.readyState = 2;
      }
    }
    const driver = new SseDriver({ url: URL_, transport: 'eventsource', EventSource: Source, platform: { events: undefined } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    driver.subscribe('a', () => undefined, { type: 'ping' });
    await tick(10);
    expect(urls).toHaveLength(2);
    expect(listened[1]).toContain('ping');
    driver.destroy();
  });

  it('leaves no online listener behind, after a 204 or a destroy', async () => {
    let listeners = 0;
    const events = new (class extends EventTarget {
      override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
        listeners++;
        super.addEventListener(...args);
      }
      override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
        listeners--;
        super.removeEventListener(...args);
      }
    })();
    const a = setup({ platform: { events, random: () => 1 } });
    a.hub.respond = () => ({ status: 204 });
    a.driver.subscribe('a', () => undefined);
    await tick(10);
    expect(a.driver.getSnapshot().status).toBe('closed');
    expect(listeners).toBe(0);
    a.driver.destroy();
    const b = setup({ platform: { events, random: () => 1 } });
    b.driver.subscribe('a', () => undefined);
    b.driver.subscribe('b', () => undefined, { raw: true });
    await tick(10);
    expect(listeners).toBe(2);
    b.driver.destroy();
    expect(listeners).toBe(0);
  });

  it('rejects a publish whose signal is already aborted without sending it', async () => {
    const { hub, driver } = setup();
    await expect(driver.publish('a', 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
    expect(hub.publishes).toHaveLength(0);
    driver.destroy();
  });
});

describe('whenIdle', () => {
  it('resolves once in-flight publishes settled, or after its timeout', async () => {
    const { hub, driver } = setup();
    let answer!: (r: Response) => void;
    hub.onPublish = () => new Promise<Response>((resolve) => (answer = resolve));
    await expect(driver.whenIdle()).resolves.toBeUndefined();
    const sent = driver.publish('a', 'bye');
    let idle = false;
    void driver.whenIdle().then(() => (idle = true));
    await tick(100);
    expect(idle).toBe(false);
    answer(new Response('id'));
    await sent;
    await tick();
    expect(idle).toBe(true);

    hub.onPublish = () => new Promise<Response>(() => undefined);
    void driver.publish('a', 'stuck').catch(() => undefined);
    let timedOut = false;
    void driver.whenIdle(500).then(() => (timedOut = true));
    await tick(499);
    expect(timedOut).toBe(false);
    await tick(1);
    expect(timedOut).toBe(true);
    driver.destroy();
  });
});

describe('onActive', () => {
  it('fires when the stream carrying the subscription opens, after every reconnect, and at once on an open stream that already carries it', async () => {
    const { hub, driver } = setup();
    const log: string[] = [];
    driver.subscribe('a', () => undefined, { onActive: () => log.push('a') });
    await tick(10);
    expect(log).toEqual(['a']);
    // Same matcher, stream already open: no switch, live at once.
    driver.subscribe('a', () => undefined, { onActive: () => log.push('a2') });
    await tick(10);
    expect(log).toEqual(['a', 'a2']);
    expect(hub.requests).toHaveLength(1);
    // A new matcher: live when the successor opens, not before.
    let release!: () => void;
    hub.gate = new Promise<void>((resolve) => (release = resolve));
    driver.subscribe('b', () => undefined, { onActive: () => log.push('b') });
    await tick(10);
    expect(log).toEqual(['a', 'a2']);
    release();
    await tick();
    expect(log).toEqual(['a', 'a2', 'b']);
    hub.gate = undefined;
    // A reconnect makes everyone live again.
    hub.last.fail();
    await tick(1000);
    expect(log.slice(3).sort()).toEqual(['a', 'a2', 'b']);
    driver.destroy();
  });
});

describe('draining predecessor', () => {
  it('is closed quietly when it breaks during a switch: no drop, no error, still open', async () => {
    const { hub, driver, errors } = setup();
    const events: DriverEvent[] = [];
    driver.subscribe('a', () => undefined);
    await tick(10);
    const first = hub.last;
    first.push(envelopeEvent('u1', 'a', 1));
    await tick();
    driver.on('event', (e) => events.push(e));
    driver.subscribe('b', () => undefined);
    await tick(10);
    expect(first.closed).toBe(false); // draining
    first.fail();
    await tick();
    expect(events.filter((e) => e.type === 'drop' && !e.switching)).toEqual([]);
    expect(errors).toEqual([]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    await tick(5000);
    expect(hub.requests).toHaveLength(2);
    driver.destroy();
  });
});

describe('gap after a drop, then a matcher change', () => {
  it('still reports the gap when the switch happens while the old stream is down', async () => {
    const { hub, driver, errors } = setup({ retry: { initialDelay: 10_000 } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(envelopeEvent('u1', 'a', 1));
    await tick();
    hub.last.fail();
    await tick();
    expect(driver.getSnapshot().status).toBe('reconnecting');
    hub.respond = () => ({ headers: { 'Mercure-Last-Event-ID': 'earliest' } });
    driver.subscribe('b', () => undefined);
    await tick(10);
    expect(errors.map((e) => e.code)).toContain('gap');
    driver.destroy();
  });
});
