import { describe, expect, it } from 'vitest';
import { compileMatcher } from '../../src/core/matcher.js';
import { Router, createSubscription, type Subscription, type UpdateKind } from '../../src/core/router.js';
import type { SseError, SubscribeOptions, TopicMatcher } from '../../src/index.js';

const BASE = 'https://example.com/';

function router(options: { dedicated?: boolean } = {}) {
  const reported: SseError[] = [];
  const r = new Router({ dedicated: options.dedicated ?? false, topicOf: undefined, reportError: (e) => reported.push(e) });
  const add = (matchers: TopicMatcher[], options: SubscribeOptions = {}): Subscription => {
    const sub = createSubscription(
      matchers.map((m) => compileMatcher(m, BASE)),
      () => undefined,
      options,
      { listener: () => undefined, parse: () => undefined },
    );
    r.add(sub);
    return sub;
  };
  const route = (topics: string[] | undefined, type = 'message', kind: UpdateKind = 'envelope') => {
    const hits: [Subscription, string | undefined][] = [];
    r.route(topics, type, kind, (sub, topic) => hits.push([sub, topic]));
    return hits;
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
    expect(route(undefined, 'message', 'foreign').map(([s, t]) => [s, t])).toEqual([
      [a, undefined],
      [b, undefined],
    ]);
    r.delete(a);
    expect(route(undefined, 'message', 'foreign').map(([s]) => s)).toEqual([b]);
    r.delete(b);
    expect(r.size).toBe(0);
    expect(route(['x'])).toEqual([]);
  });
});
