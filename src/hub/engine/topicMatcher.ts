import type { WorkMeter } from './linearMatcher.js';
import { compileUrlPattern } from './urlPattern.js';
import type { UrlPatternLike } from './urlPattern.js';
import { compileUriTemplate } from './uriTemplate.js';
import type { MatcherSpec } from './types.js';

/** A compiled topic matcher. */
export interface TopicMatcher {
  /** The matcher as stated. */
  readonly spec: MatcherSpec;
  /** The topic when the matcher is an exact one (dispatch indexes those), else `null`. */
  readonly exact: string | null;
  /** Whether the matcher is the `*` wildcard. */
  readonly wildcard: boolean;
  /**
   * Whether `topic` matches. With a `meter`, the work is charged to it, and an evaluation the
   * meter cannot pay for answers `false` with `meter.exhausted` set (that answer is not cached).
   */
  test(topic: string, meter?: WorkMeter): boolean;
}

const RESULT_CACHE_SIZE = 512;
/**
 * Work units charged for one evaluation beyond its matching steps: the fixed cost of an
 * evaluation (topic lookup, component dispatch, caching the answer) is worth about this many steps.
 */
const EVALUATION_UNITS = 64;
const COMPILED_CACHE_SIZE = 2048;

/** Pattern-based matchers remember their recent answers: many subscribers share them. */
class CachedMatcher implements TopicMatcher {
  readonly spec: MatcherSpec;
  readonly exact = null;
  readonly wildcard = false;
  readonly #evaluate: (topic: string, meter: WorkMeter | undefined) => boolean;
  readonly #results = new Map<string, boolean>();

  constructor(spec: MatcherSpec, evaluate: (topic: string, meter: WorkMeter | undefined) => boolean) {
    this.spec = spec;
    this.#evaluate = evaluate;
  }

  test(topic: string, meter?: WorkMeter): boolean {
    const known = this.#results.get(topic);
    if (known !== undefined) {
      meter?.charge(1);
      return known;
    }
    if (meter !== undefined) {
      if (meter.exhausted) return false;
      meter.charge(EVALUATION_UNITS);
    }
    let result: boolean;
    try {
      result = this.#evaluate(topic, meter);
    } catch {
      result = false;
    }
    // An evaluation cut short by the caller's meter decided nothing: do not remember it.
    if (meter?.exhausted === true) return false;
    if (this.#results.size >= RESULT_CACHE_SIZE) this.#results.clear();
    this.#results.set(topic, result);
    return result;
  }
}

const compiledCache = new Map<string, TopicMatcher>();

/**
 * Whether a matcher is evaluated by pattern (a URL pattern or a URI template with expressions),
 * as opposed to an exact topic or the `*` wildcard, which cost nothing to match.
 */
export function isPatternSpec(spec: MatcherSpec): boolean {
  if (spec.match === '*') return false;
  return spec.type === 'URLPattern' || (spec.type === 'URITemplate' && spec.match.includes('{'));
}

/**
 * Compiles a matcher. `*` matches every topic whatever the type; `Exact` compares byte for byte;
 * `URLPattern` follows the URL Pattern standard, resolving relative patterns and topics against
 * `base`; `URITemplate` matches every expansion of an RFC 6570 template.
 * Compiled pattern matchers are shared (cached by type, expression and base).
 *
 * Patterns and templates are evaluated in time linear in the topic length (never by a
 * backtracking regular expression), with a budget of 64 steps per topic character: an
 * evaluation exceeding it (only pathological patterns do) counts as "no match".
 * @throws Error when the expression is not a valid pattern or template.
 */
export function compileMatcher(spec: MatcherSpec, base: string): TopicMatcher {
  if (spec.match === '*') return { spec, exact: null, wildcard: true, test: () => true };
  if (!isPatternSpec(spec)) {
    // Exact topics (and templates without expressions): dispatch finds them by index.
    const topic = spec.match;
    return { spec, exact: topic, wildcard: false, test: (candidate) => candidate === topic };
  }
  const key = `${spec.type}\u0000${base}\u0000${spec.match}`;
  const cached = compiledCache.get(key);
  if (cached) return cached;
  let matcher: TopicMatcher;
  if (spec.type === 'URLPattern') {
    const pattern: UrlPatternLike = compileUrlPattern(spec.match, base);
    matcher = new CachedMatcher(spec, (topic, meter) => pattern.test(topic, base, meter));
  } else {
    const template = compileUriTemplate(spec.match);
    matcher = new CachedMatcher(spec, (topic, meter) => template.test(topic, meter));
  }
  if (compiledCache.size >= COMPILED_CACHE_SIZE) compiledCache.clear();
  compiledCache.set(key, matcher);
  return matcher;
}
