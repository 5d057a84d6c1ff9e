import { invalidToken } from './errors.js';
import { compileMatcher } from './topicMatcher.js';
import type { TopicMatcher } from './topicMatcher.js';
import type { MatcherSpec, MatchType } from './types.js';

/** What a token (or its absence) allows. */
export interface Grants {
  /** The token's `sub` claim, if any. */
  readonly sub: string | undefined;
  /** The token's `exp` claim (seconds since epoch), if any. */
  readonly exp: number | undefined;
  /** Whether a token was presented. */
  readonly authenticated: boolean;
  /** Whether publishing to every one of `topics` is allowed. */
  canPublish(topics: readonly string[]): boolean;
  /** Whether private updates about any of `topics` may be read. */
  canRead(topics: readonly string[]): boolean;
  /** The payload attached to the subscription created by `matcher`, if any. */
  payloadFor(matcher: MatcherSpec): unknown;
}

interface Detail {
  readonly publish: boolean;
  readonly subscribe: boolean;
  readonly topics: readonly TopicMatcher[];
  readonly payload: unknown;
  readonly hasPayload: boolean;
}

class ClaimGrants implements Grants {
  readonly sub: string | undefined;
  readonly exp: number | undefined;
  readonly authenticated = true;
  readonly #details: readonly Detail[];

  constructor(sub: string | undefined, exp: number | undefined, details: readonly Detail[]) {
    this.sub = sub;
    this.exp = exp;
    this.#details = details;
  }

  canPublish(topics: readonly string[]): boolean {
    return topics.every((topic) => this.#details.some((d) => d.publish && d.topics.some((m) => m.test(topic))));
  }

  canRead(topics: readonly string[]): boolean {
    for (const d of this.#details) {
      if (!d.subscribe) continue;
      for (const m of d.topics) {
        if (m.wildcard) return true;
        for (const topic of topics) if (m.test(topic)) return true;
      }
    }
    return false;
  }

  payloadFor(matcher: MatcherSpec): unknown {
    for (const d of this.#details) {
      if (d.hasPayload && d.topics.some((m) => m.test(matcher.match))) return d.payload;
    }
    return undefined;
  }
}

/** Grants of a subscriber without a token: public updates only. */
export const ANONYMOUS_GRANTS: Grants = {
  sub: undefined,
  exp: undefined,
  authenticated: false,
  canPublish: () => false,
  canRead: () => false,
  payloadFor: () => undefined,
};

/** Grants of a publisher without a token on a hub that allows anonymous publishing. */
export const OPEN_GRANTS: Grants = {
  sub: undefined,
  exp: undefined,
  authenticated: false,
  canPublish: () => true,
  canRead: () => false,
  payloadFor: () => undefined,
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The authorization detail type of the Mercure spec (RFC 9396 `authorization_details`). */
export const MERCURE_DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';
/** The detail type of earlier spec revisions, which spelled the matcher type `matchType` and later `match_type`. */
const LEGACY_DETAIL_TYPE = 'mercure';

/** `match_type` values (lower case), mapped to the engine's matcher types. */
const SNAKE_MATCH_TYPES: Readonly<Record<string, MatchType>> = { exact: 'Exact', urlpattern: 'URLPattern' };

/**
 * Reads a token topic matcher's type: `match_type` (`exact`, `urlpattern`; the default is
 * `exact`) or, in details of the earlier `mercure` type only, `matchType` (`Exact`, `URLPattern`).
 */
function grantMatchType(topic: Record<string, unknown>, detailType: unknown): MatchType {
  const camel = topic['matchType'];
  const snake = topic['match_type'];
  if (camel !== undefined && snake !== undefined) throw invalidToken('mercure authorization detail: a topic matcher has both matchType and match_type');
  if (camel !== undefined && detailType !== LEGACY_DETAIL_TYPE) {
    throw invalidToken(`authorization detail ${String(detailType)}: matchType is not a member of this type, use match_type`);
  }
  if (snake !== undefined) {
    const type = typeof snake === 'string' && Object.hasOwn(SNAKE_MATCH_TYPES, snake) ? SNAKE_MATCH_TYPES[snake] : undefined;
    if (type === undefined) throw invalidToken(`mercure authorization detail: unknown match_type ${JSON.stringify(snake)}`);
    return type;
  }
  const matchType = camel ?? 'Exact';
  if (matchType !== 'Exact' && matchType !== 'URLPattern') throw invalidToken(`mercure authorization detail: unknown matchType ${JSON.stringify(matchType)}`);
  return matchType;
}

/** Options of {@link grantsFromClaims}. */
export interface GrantOptions {
  /** Read the legacy `mercure` claim when there are no `authorization_details`. */
  readonly legacy: boolean;
  /** Hub URL, base of relative URL patterns. */
  readonly base: string;
  /** Maximum details, and topics per detail. */
  readonly maxGrants: number;
  /** Maximum matcher length. */
  readonly maxMatcherLength: number;
}

function compileGrantMatcher(spec: MatcherSpec, options: GrantOptions): TopicMatcher {
  if (spec.match.length > options.maxMatcherLength) throw invalidToken(`a token topic matcher is longer than ${options.maxMatcherLength} characters`);
  try {
    return compileMatcher(spec, options.base);
  } catch (error) {
    throw invalidToken(`a token topic matcher is invalid: ${(error as Error).message}`);
  }
}

/**
 * Reads the rights a verified token grants: the RFC 9396 `authorization_details` claim with
 * details of type `https://mercure.rocks/authorization-detail`
 * (`{type, actions, topics: [{match, match_type?: 'exact' | 'urlpattern'}], payload?}`), also
 * read in the spellings the spec had before (type `mercure`, with `match_type` or with
 * `matchType: 'Exact' | 'URLPattern'`), or, in legacy mode and when that claim is absent, the
 * 0.x `mercure` claim (`{publish, subscribe, payload}`, URI templates).
 * Any malformed `mercure` detail makes the whole token invalid: no partial acceptance.
 * @throws HubError 401 `invalid_token`.
 */
export function grantsFromClaims(claims: Record<string, unknown>, options: GrantOptions): Grants {
  const sub = typeof claims['sub'] === 'string' && claims['sub'] !== '' ? claims['sub'] : undefined;
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : undefined;
  const details: Detail[] = [];
  const authorizationDetails = claims['authorization_details'];
  if (authorizationDetails !== undefined) {
    if (!Array.isArray(authorizationDetails)) throw invalidToken('authorization_details is not an array');
    for (const entry of authorizationDetails) {
      if (!isObject(entry)) throw invalidToken('an authorization detail is not an object');
      const detailType = entry['type'];
      if (detailType !== MERCURE_DETAIL_TYPE && detailType !== LEGACY_DETAIL_TYPE) continue;
      if (details.length >= options.maxGrants) throw invalidToken(`more than ${options.maxGrants} mercure authorization details`);
      const actions = entry['actions'];
      if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => a === 'publish' || a === 'subscribe')) {
        throw invalidToken('mercure authorization detail: actions must be a non-empty subset of ["publish", "subscribe"]');
      }
      const topics = entry['topics'];
      if (!Array.isArray(topics) || topics.length === 0) throw invalidToken('mercure authorization detail: topics must be a non-empty array');
      if (topics.length > options.maxGrants) throw invalidToken(`mercure authorization detail: more than ${options.maxGrants} topics`);
      const matchers = topics.map((topic) => {
        if (!isObject(topic) || typeof topic['match'] !== 'string') throw invalidToken('mercure authorization detail: a topic matcher is not {"match": string}');
        return compileGrantMatcher({ type: grantMatchType(topic, detailType), match: topic['match'] }, options);
      });
      const payload = entry['payload'];
      if (payload !== undefined && !isObject(payload)) throw invalidToken('mercure authorization detail: payload must be an object');
      details.push({
        publish: actions.includes('publish'),
        subscribe: actions.includes('subscribe'),
        topics: matchers,
        payload,
        hasPayload: payload !== undefined && actions.includes('subscribe'),
      });
    }
    return new ClaimGrants(sub, exp, details);
  }
  const legacyClaim = claims['mercure'];
  if (options.legacy && legacyClaim !== undefined) {
    if (!isObject(legacyClaim)) throw invalidToken('the mercure claim is not an object');
    const selectors = (name: 'publish' | 'subscribe'): TopicMatcher[] => {
      const list = legacyClaim[name];
      if (list === undefined || list === null) return [];
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw invalidToken(`mercure.${name} is not an array of strings`);
      if (list.length > options.maxGrants) throw invalidToken(`mercure.${name} has more than ${options.maxGrants} selectors`);
      return list.map((s: string) => compileGrantMatcher({ type: 'URITemplate' satisfies MatchType, match: s }, options));
    };
    const publish = selectors('publish');
    const subscribe = selectors('subscribe');
    const payload = legacyClaim['payload'];
    if (publish.length > 0) details.push({ publish: true, subscribe: false, topics: publish, payload: undefined, hasPayload: false });
    const wildcard = { spec: { type: 'Exact' as const, match: '*' }, exact: null, wildcard: true, test: () => true };
    if (subscribe.length > 0) details.push({ publish: false, subscribe: true, topics: subscribe, payload: undefined, hasPayload: false });
    // The legacy payload belongs to every subscription of the token.
    if (payload !== undefined) details.push({ publish: false, subscribe: false, topics: [wildcard], payload, hasPayload: true });
  }
  return new ClaimGrants(sub, exp, details);
}
