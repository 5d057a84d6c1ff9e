import { describe, expect, it } from 'vitest';
import { SignalingError } from '../../src/signaling/errors.js';
import { createSessionKeys, deriveSharedKey, getSubtle, open, seal } from '../../src/signaling/sessionCrypto.js';

describe('session crypto', () => {
  it('derives one key on both sides, and refuses a malformed peer key with a typed parse error', async () => {
    const subtle = getSubtle()!;
    const [a, b] = await Promise.all([createSessionKeys(subtle), createSessionKeys(subtle)]);
    const ab = await deriveSharedKey(subtle, a, b.publicKey, ['s1', 's2']);
    const ba = await deriveSharedKey(subtle, b, a.publicKey, ['s2', 's1']);
    expect(await open(subtle, ba, await seal(subtle, ab, 'hello', 'aad'), 'aad')).toBe('hello');
    // Before: a DOMException from WebCrypto.
    const refused = await deriveSharedKey(subtle, a, 'bm90LWEta2V5', ['s1', 's2']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SignalingError);
    expect((refused as SignalingError).code).toBe('parse');
  });
});
