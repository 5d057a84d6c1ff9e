import { describe, expect, it } from 'vitest';
import { TopicIndex } from '../../src/core/topicIndex.js';

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
});
