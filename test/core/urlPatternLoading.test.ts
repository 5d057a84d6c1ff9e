import { URLPattern as URLPatternPolyfill } from 'urlpattern-polyfill/urlpattern';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SseError } from '../../src/core/errors.js';

type MatcherModule = typeof import('../../src/core/matcher.js');

const BOOKS = { pattern: 'https://example.com/books/:id' };
const processWithBuiltins = process as { getBuiltinModule?: unknown };
const getBuiltinModule = processWithBuiltins.getBuiltinModule;

/** A fresh copy of the matcher module, so what it loaded lazily in another test does not leak in. */
async function freshMatcher(): Promise<MatcherModule> {
  vi.resetModules();
  return import('../../src/core/matcher.js');
}

/** Makes this Node look like a browser without `URLPattern`. */
function browserWithoutUrlPattern(): void {
  vi.stubGlobal('URLPattern', undefined);
  processWithBuiltins.getBuiltinModule = undefined;
}

afterEach(() => {
  vi.unstubAllGlobals();
  processWithBuiltins.getBuiltinModule = getBuiltinModule;
});

describe('URLPattern loading', () => {
  it('loads the polyfill on Node without URLPattern, at the first pattern matcher', async () => {
    vi.stubGlobal('URLPattern', undefined);
    const { compileMatcher } = await freshMatcher();
    const matcher = compileMatcher(BOOKS);
    expect(matcher.test('https://example.com/books/1')).toBe(true);
    expect(matcher.test('https://example.com/authors/1')).toBe(false);
  });

  it('refuses a pattern matcher with a typed error and a hint where URLPattern is missing and nothing can load it', async () => {
    browserWithoutUrlPattern();
    const { compileMatcher } = await freshMatcher();
    let error: SseError | undefined;
    try {
      compileMatcher(BOOKS);
    } catch (caught) {
      error = caught as SseError;
    }
    expect(error?.code).toBe('misuse');
    expect(error?.hint).toContain("import 'urlpattern-polyfill'");
  });

  it('uses a URLPattern the app installed (the polyfill imported in its entry)', async () => {
    browserWithoutUrlPattern();
    vi.stubGlobal('URLPattern', URLPatternPolyfill);
    const { compileMatcher } = await freshMatcher();
    expect(compileMatcher(BOOKS).test('https://example.com/books/2')).toBe(true);
  });

  it('never needs URLPattern for exact topics', async () => {
    browserWithoutUrlPattern();
    const { compileMatcher } = await freshMatcher();
    expect(compileMatcher('https://example.com/books/1').test('https://example.com/books/1')).toBe(true);
    expect(compileMatcher('*').test('anything')).toBe(true);
  });
});
