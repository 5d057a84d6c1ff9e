import { SignJWT } from 'jose';

/** The authorization detail type of the Mercure specification (RFC 9396 `authorization_details`). */
export const MERCURE_DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';

/** One grant: actions on topics (a string is an exact topic, `{ pattern }` a URL pattern). */
export interface Grant {
  readonly actions: readonly ('publish' | 'subscribe')[];
  readonly topics: readonly (string | { readonly pattern: string })[];
  readonly payload?: Record<string, unknown>;
}

/** Token options: the HS256 key, and the hub URL as audience. */
export interface TokenOptions {
  readonly key: string;
  readonly audience?: string;
  readonly subject?: string;
}

/**
 * An access token of the shape the Mercure specification requires (RFC 9068): header
 * `typ: at+jwt`; `iss`, `aud`, `sub`, `client_id`, `iat`, `exp`, `jti`; and one
 * `authorization_details` entry of type {@link MERCURE_DETAIL_TYPE} per grant, topics as
 * `{ match, match_type }`.
 */
export async function accessToken(grants: readonly Grant[], options: TokenOptions): Promise<string> {
  const details = grants.map((grant) => ({
    type: MERCURE_DETAIL_TYPE,
    actions: grant.actions,
    topics: grant.topics.map((topic) => (typeof topic === 'string' ? { match: topic, match_type: 'exact' } : { match: topic.pattern, match_type: 'urlpattern' })),
    ...(grant.payload === undefined ? {} : { payload: grant.payload }),
  }));
  return new SignJWT({ client_id: 'sse-kit-tests', authorization_details: details })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer('https://example.com')
    .setAudience(options.audience ?? 'https://example.com/.well-known/mercure')
    .setSubject(options.subject ?? 'urn:sse-kit:test')
    .setIssuedAt()
    .setExpirationTime('1h')
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(options.key));
}

/** A token with the legacy `mercure` claim older hubs read (topics and URI templates; `*` for all). */
export async function legacyToken(claim: { publish?: readonly string[]; subscribe?: readonly string[]; payload?: unknown }, key: string): Promise<string> {
  return new SignJWT({ mercure: claim })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(key));
}
