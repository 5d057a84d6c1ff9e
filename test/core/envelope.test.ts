import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/core/envelope.js';

describe('decodeEnvelope', () => {
  const encoded = [
    encodeEnvelope('urn:uuid:1', ['https://example.com/books/1'], 'me', { title: 'Dune', tags: ['a', 'b'], n: 1.5 }),
    encodeEnvelope('urn:uuid:2', ['https://example.com/a', 'https://example.com/b'], 'me', null),
    encodeEnvelope('id "quoted" \\ back', ['topic\nwith "escapes"'], 'se\tnder', 'text'),
    encodeEnvelope('https://example.com/livres/日本', ['https://example.com/livres/日本'], 'é', [1, 2, { x: '}' }]),
    encodeEnvelope('lone \ud800 surrogate', ['t'], 's', 0),
    encodeEnvelope('i', ['t'], 's', '","payload":2}'),
    encodeEnvelope('urn:uuid:large', ['https://example.com/a', 'https://example.com/b'], 'me', { text: 'x'.repeat(3000) }),
  ];
  const odd = [
    '{"sse-kit":1,"topic":"t","id":"i","sender":"s","payload":1}', // another key order
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":1,"extra":true}',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":1,"payload":2}', // duplicate key: the last wins
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload": {"a":1} }',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":1}}', // trailing garbage
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":1},"x":{"y":2}',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":}',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":{"a":1}',
    '{"sse-kit":1,"id":"a\tb","topic":"t","sender":"s","payload":1}', // a raw control character is not JSON
    '{"sse-kit":1,"id":"i","topic":"t\nu","sender":"s","payload":1}',
    '{"sse-kit":1,"id":1,"topic":"t","sender":"s","payload":1}',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s"}',
    '{"sse-kit":1,"id":"i","topic":"t","topics":["t",2],"sender":"s","payload":1}',
    '{"sse-kit":1,"id":"i","topic":"t","sender":"s","payload":1',
    '{"sse-kit":1,"id":"i',
    'hello',
  ];

  it('reads what encodeEnvelope writes, as a full JSON.parse would', () => {
    for (const data of encoded) {
      expect(decodeEnvelope(data)).toEqual(JSON.parse(data));
    }
  });

  it('refuses what is not an envelope or not JSON, and reads envelopes written in another key order', () => {
    const refused = odd.filter((data) => decodeEnvelope(data) === undefined);
    expect(refused).toEqual(odd.slice(4));
    expect(decodeEnvelope(odd[0]!)).toEqual({ 'sse-kit': 1, topic: 't', id: 'i', sender: 's', payload: 1 });
    expect(decodeEnvelope(odd[2]!)?.payload).toBe(2);
  });

  it('reads the topics of a multi-topic envelope in place, whatever their characters besides quotes', () => {
    const topics = ['https://example.com/a]b', 'c","d', 'e,f', '', '[x]', 'https://example.com/日本'];
    for (let n = 2; n <= topics.length; n++) {
      const data = encodeEnvelope('urn:uuid:7', topics.slice(0, n), 'me', { ok: [1, '"]'] });
      expect(decodeEnvelope(data)).toEqual(JSON.parse(data));
    }
  });

  it('agrees with a full JSON.parse on mutated envelopes (the in-place read never accepts what the parse refuses)', () => {
    // A reference: the whole data parsed, then the envelope's shape checked.
    const reference = (data: string) => {
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        return undefined;
      }
      const e = value as Record<string, unknown> | null;
      if (!data.startsWith('{"sse-kit":1,') || typeof e !== 'object' || e === null) return undefined;
      if (typeof e.id !== 'string' || typeof e.topic !== 'string' || typeof e.sender !== 'string' || !('payload' in e)) return undefined;
      if (e.topics !== undefined && !(Array.isArray(e.topics) && e.topics.every((t) => typeof t === 'string'))) return undefined;
      return value;
    };
    let seed = 42;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pieces = ['"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\t', '\u0001', 'x', '1', '"payload":', '","', 'null'];
    let accepted = 0;
    for (let round = 0; round < 4000; round++) {
      let data = encoded[random(encoded.length)] ?? '';
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(data.length + 1);
        const cut = random(3);
        data = data.slice(0, at) + (random(2) === 0 ? (pieces[random(pieces.length)] ?? '') : '') + data.slice(at + cut);
      }
      const expected = reference(data);
      if (expected !== undefined) accepted++;
      expect(decodeEnvelope(data), data).toEqual(expected);
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
