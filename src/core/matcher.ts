import { SseError } from './errors.js';
import type { Matchers, TopicMatcher } from './types.js';

/** A matcher ready to test topics. */
export interface CompiledMatcher {
  /** `exact` for topic strings (and `*`), `pattern` for URL patterns. */
  readonly kind: 'exact' | 'pattern';
  /** The matcher as written: the topic or the pattern text. */
  readonly source: string;
  /** Identity of the matcher (kind and source), for comparing matcher sets by value. */
  readonly key: string;
  /** Whether `topic` is selected by this matcher. */
  test(topic: string): boolean;
}

type URLPatternCtor = new (input: string, baseURL?: string) => { test(input: string, baseURL?: string): boolean };

interface NodeProcessLike {
  getBuiltinModule?(id: 'node:module'): { createRequire(from: string): (id: string) => { URLPattern: URLPatternCtor } };
}

let polyfill: URLPatternCtor | undefined;

/**
 * The platform's `URLPattern`. Where it is missing (Node 20 and 22, older browsers), Node loads
 * `urlpattern-polyfill` here, on the first pattern matcher; elsewhere the app loads it, so no
 * browser bundle carries it.
 */
function urlPatternImpl(): URLPatternCtor {
  const native = (globalThis as { URLPattern?: URLPatternCtor }).URLPattern;
  if (native !== undefined) return native;
  if (polyfill !== undefined) return polyfill;
  const nodeModule = (globalThis as { process?: NodeProcessLike }).process?.getBuiltinModule?.('node:module');
  let cause: unknown;
  try {
    polyfill = nodeModule?.createRequire(import.meta.url)('urlpattern-polyfill/urlpattern').URLPattern;
  } catch (error) {
    cause = error;
  }
  if (polyfill !== undefined) return polyfill;
  throw new SseError('misuse', 'URL pattern matchers need URLPattern, which this runtime lacks.', {
    cause,
    hint: "Install urlpattern-polyfill and add `import 'urlpattern-polyfill';` to the app's entry, or match exact topics.",
  });
}

const WILDCARD: CompiledMatcher = { kind: 'exact', source: '*', key: 't:*', test: () => true };

/** Base used to evaluate relative patterns and topics (Mercure evaluates them against the hub URL). */
const RELATIVE_BASE = 'https://sse-kit.invalid';

/**
 * Compiles one matcher. Throws a `misuse` {@link SseError} for an empty topic, an invalid pattern, or a
 * pattern in a browser without `URLPattern` (and no polyfill loaded).
 * @param matcher - an exact topic (`'*'` matches all) or `{ pattern }`.
 * @param base - base URL for relative patterns and topics (the hub URL).
 */
export function compileMatcher(matcher: TopicMatcher, base: string = RELATIVE_BASE): CompiledMatcher {
  if (typeof matcher === 'string') {
    if (matcher === '') throw new SseError('misuse', 'A topic matcher cannot be empty.', { hint: 'Pass a topic string or { pattern }.' });
    if (matcher === '*') return WILDCARD;
    return { kind: 'exact', source: matcher, key: matcherKey(matcher), test: (topic) => topic === matcher };
  }
  if (typeof matcher !== 'object' || matcher === null || typeof matcher.pattern !== 'string' || matcher.pattern === '') {
    throw new SseError('misuse', `Invalid topic matcher ${JSON.stringify(matcher)}.`, {
      hint: "A matcher is a topic string or { pattern: 'https://example.com/books/:id' }.",
    });
  }
  const source = matcher.pattern;
  if (source === '*') return WILDCARD;
  const URLPatternImpl = urlPatternImpl();
  let pattern: InstanceType<URLPatternCtor>;
  try {
    pattern = new URLPatternImpl(source, base);
  } catch (cause) {
    throw new SseError('misuse', `Invalid URL pattern "${source}".`, { cause, hint: 'See the URL Pattern standard for the syntax.' });
  }
  return {
    kind: 'pattern',
    source,
    key: matcherKey(matcher),
    test(topic) {
      try {
        return pattern.test(topic, base);
      } catch {
        return false;
      }
    },
  };
}

/** Normalises one-or-many matchers into a non-empty list. */
export function toMatcherList(matchers: Matchers): readonly TopicMatcher[] {
  const list = Array.isArray(matchers) ? (matchers as readonly TopicMatcher[]) : [matchers as TopicMatcher];
  if (list.length === 0) throw new SseError('misuse', 'subscribe() needs at least one topic matcher.');
  return list;
}

/** A stable key for a matcher, used to compare matcher sets by value. */
export function matcherKey(matcher: TopicMatcher): string {
  if (typeof matcher === 'string') return `t:${matcher}`;
  return matcher.pattern === '*' ? 't:*' : `p:${matcher.pattern}`;
}

/** A stable key for a set of matchers (order and duplicates do not matter). */
export function matcherSetKey(matchers: readonly TopicMatcher[]): string {
  return [...new Set(matchers.map(matcherKey))].sort().join('\n');
}

/**
 * Converts a URL pattern to the closest RFC 6570 URI template for legacy hubs:
 * `:name` becomes `{name}`, a trailing `*` becomes `{+rest}`.
 */
export function patternToUriTemplate(pattern: string): string {
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}').replace(/\*$/, '{+rest}');
}
