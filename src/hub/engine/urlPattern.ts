import { URLPattern as URLPatternPolyfill } from 'urlpattern-polyfill/urlpattern';

/** The subset of `URLPattern` the hub uses. */
export interface UrlPatternLike {
  /** Whether `input` (resolved against `baseURL`) matches. */
  test(input: string, baseURL?: string): boolean;
}

type UrlPatternConstructor = new (pattern: string, baseURL?: string) => UrlPatternLike & { hasRegExpGroups?: boolean };

/** The native `URLPattern` when the platform has one, the polyfill otherwise. */
const UrlPatternImpl: UrlPatternConstructor =
  (globalThis as { URLPattern?: UrlPatternConstructor }).URLPattern ?? (URLPatternPolyfill as unknown as UrlPatternConstructor);

/** Wildcards and named groups allowed in one pattern, which bounds backtracking. */
const MAX_PATTERN_TOKENS = 16;

/**
 * Compiles a URL pattern. Relative patterns resolve against `base`.
 *
 * The URL Pattern standard compiles to backtracking regular expressions. To bound evaluation
 * cost (the spec requires it), patterns with custom regular-expression groups (`:id(\\d+)`) are
 * refused, and so are patterns with more than 16 wildcards and named groups.
 * @throws Error when the pattern is invalid or too costly.
 */
export function compileUrlPattern(pattern: string, base: string): UrlPatternLike {
  const compiled = new UrlPatternImpl(pattern, base);
  if (compiled.hasRegExpGroups === true || /(^|[^\\])\(/.test(pattern)) {
    throw new Error(`URL pattern "${pattern}" uses regular-expression groups, which this hub does not accept`);
  }
  const tokens = pattern.match(/\*|:[A-Za-z_$]/g)?.length ?? 0;
  if (tokens > MAX_PATTERN_TOKENS) throw new Error(`URL pattern "${pattern}" has more than ${MAX_PATTERN_TOKENS} wildcards and groups`);
  return compiled;
}
