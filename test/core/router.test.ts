import { describe, expect, it } from 'vitest';
import { compileMatcher } from '../../src/core/matcher.js';
import { Router, createSubscription, joinedSubscription, type Subscription, type UpdateKind } from '../../src/core/router.js';
import type { SseError, SubscribeOptions, TopicMatcher } from '../../src/index.js';

const BASE = 'https://example.com/';

function router(options: { dedicated?: boolean } = {}) {
  const reported: SseError[] = [];
  const r = new Router({ dedicated: options.dedicated ?? false, topicOf: undefined, reportError: (e) => reported.push(e) });
  const hits: [Subscription, string | undefined][] = [];
  const add = (matchers: TopicMatcher[], options: SubscribeOptions = {}): Subscription => {
    const sub: Subscription = createSubscription(
      matchers.map((m) => compileMatcher(m, BASE)),
      (update) => hits.push([sub, update.topic]),
      options,
      { listener: () => undefined, parse: () => undefined },
    );
    r.add(sub);
    return sub;
  };
  /** Routes one update through the router's public entry points; `topics` undefined: a dedicated stream's update without a topic. */
  const route = (topics: string[] | undefined, type = 'message', kind: UpdateKind = 'envelope') => {
    hits.length = 0;
    const event = { id: '', type, data: '"d"' };
    const carrier = { matchers: [], source: 'dedicated-source' };
    const [topic = ''] = topics ?? [];
    if (kind === 'envelope') r.deliverEnvelope(event, { 'sse-kit': 1, id: 'm', topic, ...(topics && topics.length > 1 ? { topics } : {}), sender: 's', payload: 'd' }, carrier);
    else r.deliverForeign(event, { kind: kind === 'subscription' ? 'subscription' : 'update', topic: topics?.[0], id: '' }, carrier);
    return [...hits];
  };
  return { r, add, route, reported };
}

describe('Router: one accept check', () => {
  it('delivers by exact topic (indexed) and by pattern, each subscription once, with the first topic it selects', () => {
    const { add, route } = router();
    const exact = add(['https://example.com/books/1']);
    const pattern = add([{ pattern: 'https://example.com/books/:id' }]);
    const both = add(['https://example.com/books/2', { pattern: 'https://example.com/authors/:id' }]);
    const all = add(['*']);
    expect(route(['https://example.com/books/1'])).toEqual(expect.arrayContaining([[exact, 'https://example.com/books/1'], [pattern, 'https://example.com/books/1'], [all, 'https://example.com/books/1']]));
    expect(route(['https://example.com/books/1'])).toHaveLength(3);
    // Several topics (canonical first): each subscription gets the first one it selects, once.
    const hits = route(['https://example.com/authors/9', 'https://example.com/books/2']);
    expect(hits.filter(([s]) => s === both)).toEqual([[both, 'https://example.com/authors/9']]);
    expect(hits.filter(([s]) => s === pattern)).toEqual([[pattern, 'https://example.com/books/2']]);
    expect(hits.filter(([s]) => s === all)).toHaveLength(1);
  });

  it('applies the type filter and gives foreign updates to raw subscriptions only', () => {
    const { add, route } = router();
    const typed = add(['t'], { type: 'custom' });
    const raw = add(['t'], { raw: true });
    const plain = add(['t']);
    expect(route(['t'], 'message', 'foreign').map(([s]) => s)).toEqual([raw]);
    expect(new Set(route(['t'], 'custom', 'envelope').map(([s]) => s))).toEqual(new Set([typed, raw, plain]));
    expect(route(['t'], 'message', 'envelope').map(([s]) => s)).not.toContain(typed);
    expect(route(['t'], 'message', 'subscription').map(([s]) => s)).toEqual([raw, plain]);
  });

  it('routes a dedicated stream with no topic to every subscription of it, and forgets removed ones', () => {
    const { r, add, route } = router({ dedicated: true });
    const a = add(['x'], { raw: true });
    const b = add(['x'], { raw: true });
    // Without a topic on the wire, the update's topic is the stream's matcher set.
    expect(route(undefined, 'message', 'foreign').map(([s, t]) => [s, t])).toEqual([
      [a, 'dedicated-source'],
      [b, 'dedicated-source'],
    ]);
    r.delete(a);
    expect(route(undefined, 'message', 'foreign').map(([s]) => s)).toEqual([b]);
    r.delete(b);
    expect(r.size).toBe(0);
    expect(route(['x'])).toEqual([]);
  });

  it('keeps the exact index right as subscriptions share a topic, leave, and leave during a delivery', () => {
    const { r, add, route } = router();
    const a = add(['t', 'u']);
    expect(route(['t']).map(([s]) => s)).toEqual([a]);
    const b = add(['t']);
    r.add(b); // adding twice changes nothing
    expect(route(['t']).map(([s]) => s)).toEqual([a, b]);
    r.delete(a);
    expect(route(['t']).map(([s]) => s)).toEqual([b]);
    expect(route(['u'])).toEqual([]);
    r.add(a);
    expect(route(['t']).map(([s]) => s)).toEqual([b, a]);
    expect(route(['u']).map(([s]) => s)).toEqual([a]);
    r.delete(b);
    r.delete(a);
    expect(route(['t'])).toEqual([]);
    // A listener that removes another subscription of the same topic: the removed one is skipped.
    const got: string[] = [];
    const carrier = { matchers: [], source: '' };
    let second: Subscription | undefined;
    const first = createSubscription([compileMatcher('v', BASE)], () => (got.push('first'), second && r.delete(second)), {}, { listener: () => undefined, parse: () => undefined });
    second = createSubscription([compileMatcher('v', BASE)], () => got.push('second'), {}, { listener: () => undefined, parse: () => undefined });
    r.add(first);
    r.add(second);
    r.deliverEnvelope({ id: '', type: 'message', data: '1' }, { 'sse-kit': 1, id: 'm', topic: 'v', sender: 's', payload: 1 }, carrier);
    expect(got).toEqual(['first']);
  });

  it('routes an update among 1,000 exact subscriptions without testing any matcher or visiting the others', () => {
    const reported: SseError[] = [];
    const r = new Router({ dedicated: false, topicOf: undefined, reportError: (e) => reported.push(e) });
    let tests = 0;
    let typeReads = 0;
    const got: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const compiled = compileMatcher(`${BASE}books/${i}`, BASE);
      const counted = { ...compiled, test: (topic: string) => (tests++, compiled.test(topic)) };
      const sub = createSubscription([counted], (u) => got.push(u.topic), {}, { listener: () => undefined, parse: () => undefined });
      // Every accept check reads the subscription's type filter: count those reads.
      let type = sub.type;
      Object.defineProperty(sub, 'type', { get: () => (typeReads++, type), set: (v: string | undefined) => (type = v) });
      r.add(sub);
    }
    const carrier = { matchers: [], source: '' };
    for (let n = 0; n < 100; n++) {
      const topic = `${BASE}books/${(n * 37) % 1000}`;
      r.deliverEnvelope({ id: '', type: 'message', data: '1' }, { 'sse-kit': 1, id: `m${n}`, topic, sender: 's', payload: n }, carrier);
    }
    expect(got).toHaveLength(100);
    expect(tests).toBe(0);
    expect(typeReads).toBe(100);
    expect(reported).toEqual([]);
  });
});


describe('Router: subscribing and unsubscribing from a listener during a delivery', () => {
  const reporter = { listener: () => undefined, parse: () => undefined };
  const carrier = { matchers: [], source: '' };
  // Same length, same last 8 code units: one hash, so every change rebuilds the index around them.
  const A = 'https://example.com/rooms/1/messages';
  const B = 'https://example.com/rooms/2/messages';
  const ROOMS = { pattern: 'https://example.com/rooms/:id/messages' };

  function setup() {
    const r = new Router({ dedicated: false, topicOf: undefined, reportError: () => undefined });
    const got: string[] = [];
    const make = (name: string, matcher: TopicMatcher, then?: () => void): Subscription =>
      createSubscription([compileMatcher(matcher, BASE)], (u) => (got.push(`${name} ${u.topic === A ? 'A' : u.topic === B ? 'B' : u.topic}`), then?.()), {}, reporter);
    const deliver = (id: string, topics: string[]) => {
      got.length = 0;
      const [topic = ''] = topics;
      r.deliverEnvelope({ id: '', type: 'message', data: '1' }, { 'sse-kit': 1, id, topic, ...(topics.length > 1 ? { topics } : {}), sender: 's', payload: 1 }, carrier);
      return [...got];
    };
    return { r, make, deliver };
  }

  it('an update to several topics: a subscription made meanwhile (exact on a later topic, or a pattern) does not get it; one removed meanwhile is skipped; the next update reaches all, in order', () => {
    const { r, make, deliver } = setup();
    let once = true;
    const b2 = make('b2', B);
    const a1 = make('a1', A, () => {
      if (!once) return;
      once = false;
      for (const sub of [make('newB', B), make('newA', A), make('newRooms', ROOMS)]) r.add(sub);
      r.delete(b2);
    });
    for (const sub of [a1, make('a2', A), make('b1', B), b2, make('rooms', ROOMS)]) r.add(sub);
    expect(deliver('m1', [A, B])).toEqual(['a1 A', 'a2 A', 'rooms A', 'b1 B']);
    expect(deliver('m2', [A, B])).toEqual(['a1 A', 'a2 A', 'newA A', 'rooms A', 'newRooms A', 'b1 B', 'newB B']);
  });

  it('an update to one topic: a pattern subscription made by an exact one’s listener does not get it', () => {
    const { r, make, deliver } = setup();
    let once = true;
    r.add(make('a', A, () => once && ((once = false), r.add(make('newRooms', ROOMS)))));
    expect(deliver('m1', [A])).toEqual(['a A']);
    expect(deliver('m2', [A])).toEqual(['a A', 'newRooms A']);
  });

  it('a listener of a nested delivery (a synchronous publish from a listener) subscribes: neither delivery gives it the update under way', () => {
    const { r, make, deliver } = setup();
    let step = 0;
    const a = make('a', A, () => {
      if (step++ !== 0) return;
      // An update to B delivered from within the delivery to A and B, whose listener subscribes to A and B.
      r.deliverEnvelope({ id: '', type: 'message', data: '1' }, { 'sse-kit': 1, id: 'inner', topic: B, sender: 's', payload: 1 }, carrier);
    });
    r.add(a);
    r.add(make('b', B, () => step === 1 && ((step = 2), r.add(make('newAB', A)), r.add(make('newB', B)))));
    expect(deliver('outer', [A, B])).toEqual(['a A', 'b B', 'b B']);
    expect(deliver('next', [A, B])).toEqual(['a A', 'newAB A', 'b B', 'newB B']);
  });
});

describe("joinedSubscription: what an adapter's joined hook sees of a subscription", () => {
  it('hands an event to the subscription alone as routing would: only topics its matchers select, its type, raw for foreign data, an sse-kit update once, nothing once it left', () => {
    const { r, route } = router();
    const envelope = (id: string, topic: string) => JSON.stringify({ 'sse-kit': 1, id, topic, sender: 's', payload: id });
    const got: unknown[] = [];
    const matchers = [compileMatcher('https://example.com/books/1', BASE)];
    const listen = createSubscription(matchers, (update) => got.push([update.topic, update.data]), { type: 'message' }, { listener: () => undefined, parse: () => undefined });
    r.add(listen);
    const hand = joinedSubscription(listen);
    expect(hand.matchers).toBe(matchers);
    expect(hand.active).toBe(true);
    // Never to a topic its matchers do not select (routing never guesses), nor of another type, nor foreign data to a subscription that is not raw.
    expect(hand.deliver('https://example.com/books/2', { id: '', type: 'message', data: envelope('a', 'https://example.com/books/2') })).toBe(false);
    expect(hand.deliver('https://example.com/books/1', { id: '', type: 'other', data: envelope('b', 'https://example.com/books/1') })).toBe(false);
    expect(hand.deliver('https://example.com/books/1', { id: '', type: 'message', data: 'plain' })).toBe(false);
    expect(got).toEqual([]);
    // An sse-kit update once: not again by hand, nor by the router later.
    expect(hand.deliver('https://example.com/books/1', { id: '', type: 'message', data: envelope('m', 'https://example.com/books/1') })).toBe(true);
    expect(hand.deliver('https://example.com/books/1', { id: '', type: 'message', data: envelope('m', 'https://example.com/books/1') })).toBe(false);
    expect(got).toEqual([['https://example.com/books/1', 'm']]);
    expect(route(['https://example.com/books/1']).filter(([s]) => s === listen)).toEqual([]);
    r.delete(listen);
    expect(hand.active).toBe(false);
    expect(hand.deliver('https://example.com/books/1', { id: '', type: 'message', data: envelope('n', 'https://example.com/books/1') })).toBe(false);
    expect(got).toHaveLength(1);
  });
});
