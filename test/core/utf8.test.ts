import { describe, expect, it } from 'vitest';
import { Utf8ChunkDecoder } from '../../src/core/utf8.js';

describe('Utf8ChunkDecoder', () => {
  const text = '\uFEFFa€b😀c\u00e9 — ✓ end';
  const bytes = new TextEncoder().encode(text);

  it.each([1, 2, 3, 5, 7])('decodes a stream cut every %i bytes exactly like one decode, BOM kept', (size) => {
    const decoder = new Utf8ChunkDecoder();
    let out = '';
    for (let i = 0; i < bytes.length; i += size) out += decoder.decode(bytes.subarray(i, i + size));
    expect(out).toBe(text);
  });

  it('replaces invalid bytes instead of throwing', () => {
    const decoder = new Utf8ChunkDecoder();
    expect(decoder.decode(new Uint8Array([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
  });
});
