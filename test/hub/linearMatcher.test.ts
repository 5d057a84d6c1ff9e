import { describe, expect, it } from 'vitest';
import { LinearMatcher, STEPS_PER_CHARACTER, charClass, literal, oneOrMore, optional, sequence, zeroOrMore } from '../../src/hub/engine/linearMatcher.js';
import { compileUrlPattern } from '../../src/hub/engine/urlPattern.js';

const any = charClass(() => true);

describe('LinearMatcher', () => {
  it('matches whole inputs with literals, classes and repetitions', () => {
    const m = new LinearMatcher(sequence(literal('a'), zeroOrMore(any), literal('-'), oneOrMore(charClass((c) => c !== 0x2f)), optional(literal('!'))));
    expect(m.test('a-b')).toBe(true);
    expect(m.test('ax/y-b!')).toBe(true);
    expect(m.test('a-')).toBe(false);
    expect(m.test('a-b/c')).toBe(false);
    expect(m.test('b-b')).toBe(false);
    expect(new LinearMatcher(zeroOrMore(zeroOrMore(literal('')))).test('')).toBe(true);
  });

  it('stays linear on nested wildcards, and counts an evaluation past its budget as no match', () => {
    const stars = (n: number): string => Array.from({ length: n }, () => '*').join('-');
    const base = 'https://hub.example/.well-known/mercure';
    const moderate = compileUrlPattern(`http://x/${stars(8)}-z`, base);
    const worst = compileUrlPattern(`http://x/${stars(16)}-z`, base);
    // A match found on 8,000 characters was reached within the per-character step budget.
    expect(moderate.test(`http://x/${'-'.repeat(8000)}z`, base)).toBe(true);
    // 16 live wildcards need more than the per-character budget on a long topic: no match.
    expect(STEPS_PER_CHARACTER).toBe(64);
    expect(worst.test(`http://x/${'-'.repeat(8000)}z`, base)).toBe(false);
    expect(worst.test(`http://x/${'-'.repeat(20)}z`, base)).toBe(true);
  });
});
