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
});
