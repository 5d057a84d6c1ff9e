import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { describe, expect, it, vi } from 'vitest';
import { HistoryRing, HubEngine, MemoryTransport, compileMatcher, compileUriTemplate, formatEvent, globalTimers, isReservedTopic } from '../../src/hub/engine/index.js';
import { STEPS_PER_CHARACTER, WorkMeter } from '../../src/hub/engine/linearMatcher.js';
import type { DispatchReport, HubTimers, HubUpdate } from '../../src/hub/engine/types.js';
import { TEST_KEY, sign, v1Claims } from './helpers.js';

const update = (id: string, extra: Partial<HubUpdate> = {}): HubUpdate => ({
  id,
  topics: ['t'],
  data: '',
  type: undefined,
  retry: undefined,
  private: false,
  publishedAt: 0,
  ...extra,
});

describe('compileUriTemplate', () => {
  it.each([
    ['https://example.com/books/{id}', 'https://example.com/books/1', true],
    ['https://example.com/books/{id}', 'https://example.com/books/1/reviews', false],
    ['https://example.com/books/{id}', 'https://example.com/books/', true],
    ['https://example.com/{+path}', 'https://example.com/a/b/c', true],
    ['https://example.com/books{/id,rev}', 'https://example.com/books/1/2', true],
    ['https://example.com/search{?q,page}', 'https://example.com/search?q=a&page=2', true],
    ['https://example.com/search{?q}', 'https://example.com/search', true],
    ['https://example.com/a.b/{x}', 'https://example.com/aXb/1', false],
  ])('%s matches %s: %s', (template, topic, expected) => {
    expect(compileUriTemplate(template).test(topic)).toBe(expected);
  });

  it.each(['https://example.com/{id', 'https://example.com/id}', 'https://example.com/{}', 'https://example.com/{a b}'])('refuses %s', (template) => {
    expect(() => compileUriTemplate(template)).toThrow();
  });
});

describe('compileMatcher', () => {
  const base = 'https://hub.example/.well-known/mercure';

  it('compares exact topics byte for byte, without resolution or normalisation', () => {
    const m = compileMatcher({ type: 'Exact', match: 'https://example.com/a' }, base);
    expect(m.exact).toBe('https://example.com/a');
    expect(m.test('https://example.com/a')).toBe(true);
    expect(m.test('https://EXAMPLE.com/a')).toBe(false);
    expect(compileMatcher({ type: 'Exact', match: '/a' }, base).test('https://hub.example/a')).toBe(false);
  });

  it('resolves relative URL patterns and topics against the hub URL, case-sensitive paths', () => {
    const m = compileMatcher({ type: 'URLPattern', match: '/rooms/:id' }, base);
    expect(m.test('https://hub.example/rooms/1')).toBe(true);
    expect(m.test('/rooms/2')).toBe(true);
    expect(m.test('https://hub.example/Rooms/1')).toBe(false);
    expect(m.test('https://other.example/rooms/1')).toBe(false);
  });

  it('treats * as the wildcard whatever the type', () => {
    for (const type of ['Exact', 'URLPattern', 'URITemplate'] as const) expect(compileMatcher({ type, match: '*' }, base).wildcard).toBe(true);
  });

  it('matches URL patterns exactly as the URL Pattern standard does', () => {
    const patterns = ['/rooms/:id', 'https://example.com/books/:id?', 'https://*.example.com/a{/b}?/:x+', 'https://example.com/a?x=:y#h', '/books/:id*', '/b{ook}?s/*', 'https://example.com/:a-:b', 'https://example.com/a{/:x}*/end', 'https://example.com/x/:id.json', 'urn\\:foo\\:*', 'http{s}?://example.com/*', 'https://example.com/€/:x'];
    const topics = ['https://hub.example/rooms/1', 'https://hub.example/rooms/', 'https://hub.example/rooms/1/2', '/rooms/2', 'https://example.com/books/', 'https://example.com/books', 'https://example.com/books/1/2', 'https://a.b.example.com/a/b/c', 'https://x.example.com/a/c', 'https://x.example.com/a', 'https://example.com/a?x=1#h', 'https://example.com/a?x=1', 'https://hub.example/bs/x', 'https://hub.example/books/x', 'https://hub.example/books', 'https://example.com/a-b', 'https://example.com/a-b-c', 'https://example.com/end', 'https://example.com/a/1/2/end', 'https://example.com/a/end', 'https://example.com/x/1.json', 'https://example.com/x/.json', 'urn:foo:bar', 'http://example.com/x', 'ftp://example.com/x', 'https://example.com/%E2%82%AC/1', 'https://example.com/€/1'];
    for (const pattern of patterns) {
      const reference = new URLPattern(pattern, base);
      const matcher = compileMatcher({ type: 'URLPattern', match: pattern }, base);
      for (const topic of topics) expect(matcher.test(topic), `${pattern} ~ ${topic}`).toBe(reference.test(topic, base));
    }
  });

  it('evaluates hostile patterns and templates in linear time (ReDoS)', () => {
    const stars = (n: number): string => Array.from({ length: n }, () => '*').join('-');
    const pattern = compileMatcher({ type: 'URLPattern', match: `http://x/${stars(8)}-z` }, base);
    const template = compileMatcher({ type: 'URITemplate', match: `${Array.from({ length: 8 }, (_, i) => `{+v${i}}`).join('-')}-z` }, base);
    // Sizes a backtracking engine needs about a second for (and exponentially more beyond). The work
    // is counted, not timed: each verdict is reached within the per-character step budget, not cut by it.
    for (const [matcher, topic] of [
      [pattern, `http://x/${'-'.repeat(49)}`],
      [template, '-'.repeat(40)],
    ] as const) {
      const meter = new WorkMeter(Number.POSITIVE_INFINITY);
      expect(matcher.test(topic, meter)).toBe(false);
      expect(meter.spent).toBeLessThan(STEPS_PER_CHARACTER * topic.length);
    }
    expect(pattern.test('http://x/a-b-c-d-e-f-g-h-z')).toBe(true);
    expect(template.test('a-b-c-d-e-f-g-h-z')).toBe(true);
  });

  it('refuses costly URL patterns', () => {
    expect(() => compileMatcher({ type: 'URLPattern', match: 'https://example.com/:id(\\d+)' }, base)).toThrow(/regular-expression/);
    const many = `https://example.com/${Array.from({ length: 17 }, (_, i) => `:p${i}`).join('/')}`;
    expect(() => compileMatcher({ type: 'URLPattern', match: many }, base)).toThrow(/more than 16/);
    // Group names that are not ASCII count the same.
    const unicode = `https://example.com/${Array.from({ length: 17 }, (_, i) => `:é${i}`).join('/')}`;
    expect(() => compileMatcher({ type: 'URLPattern', match: unicode }, base)).toThrow(/more than 16/);
    expect(() => compileMatcher({ type: 'URLPattern', match: unicode.replace(/\/:é16$/, '') }, base)).not.toThrow();
  });
});

describe('HistoryRing', () => {
  it('refuses a capacity no array can hold, with a clear message', () => {
    expect(() => new HistoryRing(1e10)).toThrow('history must be at most 4294967295 updates; got 10000000000.');
    expect(() => new HubEngine({ history: 2 ** 32 })).toThrow(/history must be at most/);
    expect(new HistoryRing(2 ** 32 - 1).capacity).toBe(2 ** 32 - 1);
  });

  it('keeps the last updates in order, finds them by id and forgets the oldest', () => {
    const ring = new HistoryRing(3);
    for (const id of ['a', 'b', 'c', 'd']) ring.push(update(id));
    expect(ring.toArray().map((u) => u.id)).toEqual(['b', 'c', 'd']);
    expect(ring.has('a')).toBe(false);
    expect([...ring.after(ring.seqOf('b')!)].map((u) => u.id)).toEqual(['c', 'd']);
    expect([...ring.backwardFrom(ring.seqOf('d')!, 2)].map((u) => u.id)).toEqual(['d', 'c']);
    expect(ring.lastId).toBe('d');
    // The newest forgotten update sits right before the oldest retained one.
    expect(ring.lastForgotten?.id).toBe('a');
    expect(ring.firstSeq - 1).toBe(0);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.lastForgotten).toBeUndefined();
  });

  it('keeps nothing with capacity 0', () => {
    const ring = new HistoryRing(0);
    ring.push(update('a'));
    expect(ring.has('a')).toBe(false);
    expect(ring.toArray()).toEqual([]);
  });
});

describe('formatEvent', () => {
  it('writes id, event, retry and one data line per line', () => {
    expect(formatEvent(update('1', { type: 'x', retry: 10, data: 'a\r\nb\rc\n\nd' }))).toBe('id: 1\nevent: x\nretry: 10\ndata: a\ndata: b\ndata: c\ndata: \ndata: d\n\n');
    expect(formatEvent(update('2'))).toBe('id: 2\ndata: \n\n');
  });
});

describe('isReservedTopic', () => {
  const hub = 'https://hub.example/.well-known/mercure';
  it.each([
    ['/.well-known/mercure', true],
    ['/.well-known/mercure/subscriptions', true],
    ['https://any.example/.well-known/mercure/x', true],
    ['mercure/x', true],
    ['/.well-known/mercure-not', false],
    ['https://example.com/books/1', false],
    ['chat', false],
  ])('%s → %s', (topic, expected) => {
    expect(isReservedTopic(topic, hub)).toBe(expected);
  });
});

describe('HubEngine', () => {
  function fakeTimers(): HubTimers & { run(): void; intervals: number } {
    const fns = new Map<number, () => void>();
    let next = 0;
    return {
      setTimeout: (fn) => (fns.set(++next, fn), next),
      clearTimeout: (h) => void fns.delete(h as number),
      setInterval: (fn) => (fns.set(++next, fn), next),
      clearInterval: (h) => void fns.delete(h as number),
      run: () => [...fns.values()].forEach((fn) => fn()),
      get intervals() {
        return fns.size;
      },
    };
  }

  it('runs its heartbeat on the injected timers only while someone is connected', async () => {
    const timers = fakeTimers();
    const engine = new HubEngine({ timers, heartbeat: 1000, idleWriteTimeout: 0 });
    const res = await engine.handle(new Request(`${engine.url}?match=a`));
    expect(timers.intervals).toBe(1);
    const reader = res.body!.getReader();
    timers.run();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(':\n\n');
    await reader.cancel();
    expect(timers.intervals).toBe(0);
  });

  it('refuses a heartbeat interval that timers cannot honour (they would fire every millisecond), with a hint', async () => {
    expect(() => new HubEngine({ heartbeat: 2 ** 32, idleWriteTimeout: 0 })).toThrow(/heartbeat must be at most 2147483647 ms/);
    // The longest interval that works is accepted, and sends nothing for a long while.
    vi.useFakeTimers();
    try {
      const engine = new HubEngine({ heartbeat: 2 ** 31 - 1, idleWriteTimeout: 0 });
      const res = await engine.handle(new Request(`${engine.url}?match=a`));
      const reader = res.body!.getReader();
      const first = reader.read();
      let heard = false;
      void first.then(() => (heard = true));
      await vi.advanceTimersByTimeAsync(60_000);
      expect(heard).toBe(false);
      await reader.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses limits that are NaN or negative (NaN would switch a limit off), naming the limit', () => {
    expect(() => new HubEngine({ limits: { bodyBytes: Number('1MB') } })).toThrow('limits.bodyBytes must be a non-negative number (Infinity for none); got NaN.');
    expect(() => new HubEngine({ limits: { connectionsPerClient: -1 } })).toThrow(/limits\.connectionsPerClient .* got -1/);
    expect(new HubEngine({ limits: { connectionsPerClient: Number.POSITIVE_INFINITY, bodyBytes: 0 } }).limits).toMatchObject({ connectionsPerClient: Number.POSITIVE_INFINITY, bodyBytes: 0 });
  });

  it('watches stalled sockets on an interval timers can honour, even for an idle write timeout of years', async () => {
    const intervals: number[] = [];
    const timers: HubTimers = { ...globalTimers, setInterval: (fn, ms) => (intervals.push(ms), 0), clearInterval: () => undefined };
    const engine = new HubEngine({ timers, heartbeat: 0, idleWriteTimeout: 1e12 });
    const res = await engine.handle(new Request(`${engine.url}?match=a`));
    await res.body?.cancel();
    expect(intervals).toEqual([2 ** 31 - 1]);
  });

  it('refuses (400) a publish whose body stream fails before its end, without an internal error', async () => {
    const errors: string[] = [];
    const engine = new HubEngine({ anonymousPublishers: true, log: { info() {}, warn() {}, error: (line) => errors.push(line) } });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('topic=a&data=par'));
        controller.error(new TypeError('network error'));
      },
    });
    const res = await engine.handle(new Request(engine.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/cut off/);
    expect(errors).toEqual([]);
    expect(engine.history).toEqual([]);
  });

  it('announces no subscription for a connection dropped while it opened (its replay overflowed the buffer at once)', async () => {
    const engine = new HubEngine({ subscriptions: true, heartbeat: 0, idleWriteTimeout: 0, limits: { bufferedBytes: 1024 } });
    const events: boolean[] = [];
    engine.publish({ topic: 'a', id: 'big', data: 'x'.repeat(4096) });
    const reasons: string[] = [];
    engine.on('disconnect', (info) => reasons.push(info.reason));
    engine.on('publish', (update) => {
      if (update.type === 'mercure') events.push((JSON.parse(update.data) as { active: boolean }).active);
    });
    const res = await engine.handle(new Request(`${engine.url}?match=a`, { headers: { 'last-event-id': 'earliest' } }));
    await res.body?.cancel();
    expect(reasons).toEqual(['slow']);
    expect(await engine.transport.subscriptions()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('uses the injected id generator and clock', async () => {
    const engine = new HubEngine({ randomId: () => 'urn:test:1', now: () => 42 });
    expect(engine.publish({ topic: 'a' })).toBe('urn:test:1');
    expect(engine.history[0]?.publishedAt).toBe(42);
  });

  it('reports a listener that throws to the log instead of failing the publish', () => {
    const error = vi.fn();
    const engine = new HubEngine({ log: { info() {}, warn() {}, error } });
    engine.on('publish', () => {
      throw new Error('boom');
    });
    expect(() => engine.publish({ topic: 'a' })).not.toThrow();
    expect(error).toHaveBeenCalledWith(expect.stringContaining('boom'));
  });

  it('keeps a hostile URL pattern or URI template subscription from blocking publishes (ReDoS)', async () => {
    const engine = new HubEngine({ heartbeat: 0 });
    const stars = Array.from({ length: 8 }, () => '*').join('-');
    const viaPattern = await engine.handle(new Request(`${engine.url}?matchURLPattern=${encodeURIComponent(`http://x/${stars}-z`)}`));
    const viaTemplate = await engine.handle(new Request(`${engine.url}?topic=${encodeURIComponent(`${Array.from({ length: 8 }, (_, i) => `{+v${i}}`).join('-')}-z`)}`));
    expect([viaPattern.status, viaTemplate.status]).toEqual([200, 200]);
    const reports: DispatchReport[] = [];
    engine.on('dispatch', (report) => reports.push(report));
    const topics = [`http://x/${'-'.repeat(49)}`, '-'.repeat(40)];
    for (const topic of topics) {
      const res = await engine.handle(new Request(engine.url, { method: 'POST', body: new URLSearchParams({ topic, data: 'x' }) }));
      expect(res.status).toBe(200);
    }
    // Both matchers are evaluated for each publish, and decided well within the step budget of the topic.
    expect(reports.map((r) => [r.evaluations, r.skipped])).toEqual([
      [2, 0],
      [2, 0],
    ]);
    for (const [index, topic] of topics.entries()) expect(reports[index]?.units).toBeLessThan(2 * STEPS_PER_CHARACTER * topic.length);
    await viaPattern.body?.cancel();
    await viaTemplate.body?.cancel();
  });

  it('keeps a hostile token grant from blocking the publish it authorizes (ReDoS)', async () => {
    const engine = new HubEngine({ publisherKey: TEST_KEY, heartbeat: 0 });
    const stars = Array.from({ length: 8 }, () => '*').join('-');
    const token = await sign(v1Claims([{ actions: ['publish'], topics: [{ match: `http://x/${stars}-z`, matchType: 'URLPattern' }] }]));
    const res = await engine.handle(
      new Request(engine.url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ topic: `http://x/${'-'.repeat(48)}`, data: 'x' }) }),
    );
    expect(res.status).toBe(403);
  });

  it('keeps a subscription whose token expires beyond the timer range (2^31-1 ms) open until then', async () => {
    let clock = Date.now();
    const pending: { fn: () => void; ms: number }[] = [];
    const timers: HubTimers = {
      setTimeout: (fn, ms) => pending.push({ fn, ms }),
      clearTimeout: () => {},
      setInterval: () => 0,
      clearInterval: () => {},
    };
    const engine = new HubEngine({ publisherKey: TEST_KEY, heartbeat: 0, timers, now: () => clock });
    const exp = Math.floor(clock / 1000) + 30 * 24 * 3600;
    const token = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]), { exp });
    const res = await engine.handle(new Request(`${engine.url}?match=a`, { headers: { authorization: `Bearer ${token}` } }));
    expect(res.status).toBe(200);
    const reasons: string[] = [];
    engine.on('disconnect', (e) => reasons.push(e.reason));
    // Run timers as a platform would: never with a delay above 2^31-1 (which fires at once).
    while (pending.length > 0 && engine.connections.length > 0) {
      const { fn, ms } = pending.shift()!;
      expect(ms).toBeLessThanOrEqual(2 ** 31 - 1);
      clock += ms;
      if (engine.connections.length > 0 && clock < exp * 1000) expect(reasons).toEqual([]);
      fn();
    }
    expect(reasons).toEqual(['expired']);
    expect(clock).toBeGreaterThanOrEqual(exp * 1000);
    await res.body?.cancel();
  });

  it('drops a resuming reader that fell so far behind that the history it still needs was evicted', async () => {
    const engine = new HubEngine({ heartbeat: 0, history: 10, limits: { bufferedBytes: 32 * 1024 } });
    const reasons: string[] = [];
    engine.on('disconnect', (e) => reasons.push(e.reason));
    const first = engine.publish({ topic: 'a', data: 'x'.repeat(8000) });
    for (let i = 0; i < 9; i++) engine.publish({ topic: 'a', data: 'x'.repeat(8000) });
    const res = await engine.handle(new Request(`${engine.url}?match=a`, { headers: { 'last-event-id': 'earliest' } }));
    const reader = res.body!.getReader();
    // One turn (8 KB, a quarter of the buffer) is written; the reader has not read it yet.
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 20; i++) engine.publish({ topic: 'a', data: 'small' });
    expect(reasons).toEqual([]);
    const text: string[] = [];
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text.push(new TextDecoder().decode(value));
        }
      })(),
    ).rejects.toThrow(TypeError);
    expect(text.join('')).toContain(`id: ${first}`);
    expect(reasons).toEqual(['slow']);
  });

  it('logs a refused request on one line: a line break in a parameter name cannot forge log lines', async () => {
    const lines: string[] = [];
    const engine = new HubEngine({ log: { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) } });
    const forged = encodeURIComponent('match\n2026-01-01T00:00:00.000Z info connect #1 subscriber=admin');
    const res = await engine.handle(new Request(`http://localhost/.well-known/mercure?${forged}=x`));
    expect(res.status).toBe(400);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\r\n]/);
    expect(lines[0]).toContain('Unknown topic matcher parameter "match\\n2026');
  });

  it("logs a subscriber's connect and disconnect on one line each: a line break in its token's sub cannot forge log lines", async () => {
    const lines: string[] = [];
    const engine = new HubEngine({ subscriberKey: TEST_KEY, heartbeat: 0, log: { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) } });
    const sub = 'alice\n2026-01-01T00:00:00.000Z info connect #1 subscriber=admin\r';
    const token = await sign({ sub, ...v1Claims([{ actions: ['subscribe'], topics: ['a'] }]) });
    const abort = new AbortController();
    const res = await engine.handle(new Request(`${engine.url}?match=a`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal }));
    expect(res.status).toBe(200);
    abort.abort();
    await res.body?.cancel();
    engine.close();
    const logged = lines.filter((l) => l.startsWith('connect ') || l.startsWith('disconnect '));
    expect(logged).toHaveLength(2);
    for (const line of logged) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(line).toContain(`subscriber=${JSON.stringify(sub)}`);
    }
  });

  it('reads each update of a replay about once from the transport, also when every update fills a turn', async () => {
    // A remote store (Redis) sends every entry it is asked for: re-reading the rest of a page each turn costs bandwidth and memory.
    class CountingTransport extends MemoryTransport {
      entriesRead = 0;
      override readAfter(position: string | null, limit: number): ReturnType<MemoryTransport['readAfter']> {
        const entries = super.readAfter(position, limit);
        this.entriesRead += entries.length;
        return entries;
      }
    }
    const transport = new CountingTransport(1000);
    const engine = new HubEngine({ heartbeat: 0, transport });
    // Each update is larger than a replay turn writes (64 KB): one update per turn.
    for (let i = 0; i < 100; i++) engine.publish({ topic: 'a', data: 'x'.repeat(70 * 1024), id: `big-${i}` });
    const res = await engine.handle(new Request(`${engine.url}?match=a`, { headers: { 'last-event-id': 'earliest' } }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('id: big-99\n')) {
      const { value } = await reader.read();
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    expect(transport.entriesRead).toBeLessThanOrEqual(2 * 100);
  });

  it('returns 404 for paths that are not the hub', async () => {
    const engine = new HubEngine();
    expect((await engine.handle(new Request('http://localhost/other'))).status).toBe(404);
  });
});
