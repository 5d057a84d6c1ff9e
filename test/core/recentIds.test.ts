import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/core/recentIds.js';

const feed = (ids: RecentIds, keys: string[], always = false) => keys.filter((k) => ids.add(k, always));

describe('RecentIds', () => {
  it('passes everything outside a window, except repeated sse-kit message ids', () => {
    const ids = new RecentIds(8);
    expect(feed(ids, ['a', 'b', 'a'])).toEqual(['a', 'b', 'a']);
    expect(feed(ids, ['m1', 'm2', 'm1'], true)).toEqual(['m1', 'm2']);
  });

  it('forgets message ids the ring evicted', () => {
    const ids = new RecentIds(2);
    feed(ids, ['m1', 'm2', 'm3'], true);
    expect(ids.add('m1', true)).toBe(true);
    expect(ids.add('m3', true)).toBe(false);
  });

  it('drops a replay after the cursor, even mixed with new keys, and closes when the newest came back', () => {
    const ids = new RecentIds(16);
    feed(ids, ['1', '2', '3', '4']);
    ids.startReplay('2');
    // The new stream adds a topic: its new key 'c1' comes first, then the replay of 3 and 4.
    expect(feed(ids, ['c1', '3', '4', '5'])).toEqual(['c1', '5']);
    // The window closed at '4': a later '3' is not checked any more (it cannot be a replay).
    expect(ids.add('3', false)).toBe(true);
  });

  it('replays everything remembered when the cursor is unknown, and nothing when it is the newest key', () => {
    const ids = new RecentIds(16);
    feed(ids, ['1', '2']);
    ids.startReplay('zzz');
    expect(feed(ids, ['1', '2', '3'])).toEqual(['3']);
    ids.startReplay('3');
    expect(feed(ids, ['1'])).toEqual(['1']);
  });

  it('closes a replay window after a ring of events when its newest key never comes back', () => {
    const ids = new RecentIds(4);
    feed(ids, ['1', '2']);
    ids.startReplay(undefined);
    feed(ids, ['a', 'b', 'c', 'd']);
    expect(ids.add('1', false)).toBe(true);
  });

  it('de-duplicates the overlap of two streams and the replay that follows it', () => {
    const ids = new RecentIds(16);
    feed(ids, ['1']);
    ids.startReplay('1');
    ids.beginOverlap();
    // old: 2, 3 — new: 2, 3, 4 (in any interleaving)
    expect(feed(ids, ['2', '2', '3'])).toEqual(['2', '3']);
    ids.endOverlap();
    expect(feed(ids, ['3', '4'])).toEqual(['4']);
    expect(ids.add('3', false)).toBe(true);
  });

  it.each([
    ['short keys', (n: number) => `k${n}`],
    // Keys that differ only before a long shared end: the index has to read whole keys.
    ['keys sharing a long end', (n: number) => `https://example.com/orders/${n}/events/created-by-the-checkout-service`],
    // The same length and last 8 code units, different just before them (where a 12-unit hash would have told them apart).
    ['keys sharing their last 8 code units', (n: number) => `urn:uuid:${String(n).padStart(4, '0')}-deadbeef`],
    ['keys shorter than 8 code units, and empty', (n: number) => (n === 0 ? '' : String(n))],
    ['keys with surrogates (lone, paired, cut by the hashed end)', (n: number) => `\uD834\uDD1E${n % 2 === 0 ? '\uD800' : '\uDC00'}${Math.floor(n / 2)}\uD834\uDD1E\uD834\uDD1E\uDD1E`],
  ])('checks message ids like a plain scan of the ring would, across collisions and evictions (%s)', (_, keyOf) => {
    // A reference model: a key is a duplicate when the ring still holds it as a message id.
    const limit = 64;
    const ids = new RecentIds(limit);
    const ring: { key: string; always: boolean }[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const mismatches: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const key = keyOf(Math.floor(random() * 150));
      const always = random() < 0.8;
      const duplicate = always && ring.some((entry) => entry.always && entry.key === key);
      if (ids.add(key, always) === duplicate) mismatches.push(i);
      if (duplicate) continue;
      ring.push({ key, always });
      if (ring.length > limit) ring.shift();
    }
    expect(mismatches).toEqual([]);
  });
});
