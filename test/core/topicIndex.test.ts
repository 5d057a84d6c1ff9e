import { describe, expect, it, vi } from 'vitest';
import { TopicIndex } from '../../src/core/topicIndex.js';

/** How many topics the index hashed (a rebuild hashes every topic it holds, a lookup its own). */
const hashed = vi.hoisted(() => ({ topics: 0 }));
vi.mock('../../src/core/tailHash.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/core/tailHash.js')>();
  return { tailHash: (key: string, tail: number) => (hashed.topics++, original.tailHash(key, tail)) };
});

/** A fresh copy of `s` cut out of a longer text, as the topics read off an event are. */
const sliced = (s: string) => `{"topic":"${s}"}`.slice(10, 10 + s.length);

describe('TopicIndex', () => {
  it('finds every exact topic it holds, and nothing else, through changes', () => {
    const index = new TopicIndex<number>();
    const topics = Array.from({ length: 1000 }, (_, i) => `https://example.com/books/${i}`);
    topics.forEach((t, i) => index.set(t, i));
    for (const [i, t] of topics.entries()) expect(index.get(sliced(t))).toBe(i);
    expect(index.get('https://example.com/books/1000')).toBeUndefined();
    expect(index.get('https://example.com/books/')).toBeUndefined();
    expect(index.get('')).toBeUndefined();
    for (let i = 0; i < 1000; i += 2) index.delete(topics[i]!);
    for (const [i, t] of topics.entries()) expect(index.get(sliced(t))).toBe(i % 2 === 0 ? undefined : i);
    index.set(topics[0]!, -1);
    index.set(topics[1]!, -2);
    expect([index.get(topics[0]!), index.get(topics[1]!), index.peek(topics[2]!), index.peek(topics[3]!)]).toEqual([-1, -2, undefined, 3]);
  });

  it('topics that share their end (same length, same last characters) are all found', () => {
    const index = new TopicIndex<string>();
    const topics = Array.from({ length: 300 }, (_, i) => `https://example.com/users/${String(i).padStart(3, '0')}/messages`);
    for (const t of topics) index.set(t, t);
    for (const t of topics) expect(index.get(sliced(t))).toBe(t);
    expect(index.get('https://example.com/users/300/messages')).toBeUndefined();
    // Back to topics that differ at their end.
    for (const t of topics.slice(2)) index.delete(t);
    index.set('https://example.com/a', 'a');
    expect([index.get(topics[0]!), index.get(topics[1]!), index.get(topics[2]!), index.get(sliced('https://example.com/a'))]).toEqual([topics[0], topics[1], undefined, 'a']);
  });

  it('an empty index finds nothing; a lone topic is found whatever its length', () => {
    const index = new TopicIndex<number>();
    expect(index.get('x')).toBeUndefined();
    for (const t of ['', 'a', 'https://example.com/日本/' + 'x'.repeat(500)]) {
      index.set(t, t.length);
      expect(index.get(t)).toBe(t.length);
      index.delete(t);
      expect(index.get(t)).toBeUndefined();
    }
  });

  it('tells apart topics equal in length and last 8 code units, surrogates and very long topics included', () => {
    const index = new TopicIndex<string>();
    // Same length, same end: the same hash. Lone surrogates, a pair, a pair cut by the hashed end, and
    // two 100,000-code-unit topics that differ only in their first code unit.
    const end = '\uD834\uDD1E-tail-\uDC00';
    const long = 'x'.repeat(100_000);
    const held = ['a/' + end, 'b/' + end, '\uD800/' + end, '\uDC00/' + end, 'a' + long, '', '\uD834', '\uD834\uDD1E\uD834\uDD1E\uD834\uDD1E\uD834\uDD1E\uD834'];
    const absent = ['c/' + end, '\uD834/' + end, 'b' + long, '\uDD1E', 'a/' + end.slice(0, -1) + '\uD800', '\uD834\uDD1E'];
    for (const t of held) index.set(t, t);
    // Twice: lookups read the Map for a while after a change, then the table.
    for (const pass of [1, 2]) {
      for (const t of held) expect([pass, index.get(sliced(t))]).toEqual([pass, t]);
      for (const t of absent) expect([pass, index.get(sliced(t))]).toEqual([pass, undefined]);
    }
  });

  it('matches a Map through any mix of changes and lookups, across hash collisions, the Map fallback and back', () => {
    // Topics that share their end (one hash per length), and topics that do not: runs past 8 and back.
    const pool = [
      ...Array.from({ length: 24 }, (_, i) => `https://example.com/rooms/${String(i).padStart(2, '0')}/messages`),
      ...Array.from({ length: 24 }, (_, i) => `https://example.com/books/${i}`),
      '',
      '\uD800',
    ];
    const index = new TopicIndex<number>();
    const model = new Map<string, number>();
    let seed = 11;
    const random = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * n);
    const mismatches: string[] = [];
    for (let step = 0; step < 20_000; step++) {
      const topic = pool[random(pool.length)] ?? '';
      const op = random(10);
      if (op < 3) (index.set(topic, step), model.set(topic, step));
      else if (op < 5) (index.delete(topic), model.delete(topic));
      else if (index.get(sliced(topic)) !== model.get(topic) || index.peek(topic) !== model.get(topic)) mismatches.push(`${step} ${topic}`);
      // Now and then enough lookups in a row that the table is rebuilt and read.
      if (step % 50 === 0) for (const t of [...pool, ...pool]) if (index.get(sliced(t)) !== model.get(t)) mismatches.push(`${step} ${t}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('subscribing topics one by one while updates flow costs linear work, not a rebuild of every topic per update', () => {
    const index = new TopicIndex<number>();
    const n = 2000;
    hashed.topics = 0;
    for (let i = 0; i < n; i++) {
      index.set(`https://example.com/books/${i}`, i);
      expect(index.get(sliced(`https://example.com/books/${i >> 1}`))).toBe(i >> 1);
    }
    // Then steady updates: the table is built once, and each lookup hashes its topic once.
    for (let i = 0; i < n; i++) expect(index.get(sliced(`https://example.com/books/${i}`))).toBe(i);
    expect(hashed.topics).toBeLessThanOrEqual(3 * n);
    // The same after deletions one by one.
    hashed.topics = 0;
    for (let i = 0; i < n; i += 2) {
      index.delete(`https://example.com/books/${i}`);
      expect(index.get(sliced(`https://example.com/books/${i}`))).toBeUndefined();
    }
    expect(hashed.topics).toBeLessThanOrEqual(3 * n);
  });
});

