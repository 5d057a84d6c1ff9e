import { SignJWT } from 'jose';
import { DEV_PUBLISHER_KEY } from '../engine/index.js';
import type { CreateHubOptions } from './createHub.js';

/** Authorization detail type of the Mercure specification. */
const DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';

/** How long a development token stays valid. */
const LIFETIME_SECONDS = 365 * 24 * 3600;

/** Ready-to-use tokens for a hub that runs with the public development key. */
export interface DevelopmentTokens {
  /** May publish to every topic, and subscribe to every topic when the subscriber key is the development key too. */
  readonly publisher?: string;
  /** May subscribe to every topic, private updates included. */
  readonly subscriber?: string;
  /** When both expire, in seconds since the epoch. */
  readonly expiresAt: number;
}

const first = (value: string | readonly string[] | undefined): string | undefined => (typeof value === 'string' ? value : value?.[0]);

/**
 * Signs development tokens for the hub `options` describe, for each role whose key is Mercure's public
 * development key (none otherwise). They have the specification's shape — header `typ: at+jwt`
 * (RFC 9068), `authorization_details` of type `https://mercure.rocks/authorization-detail`, `iat` and
 * `exp` — and carry the hub's `iss` and `aud` when it checks them, so they pass its strict mode too.
 */
export async function developmentTokens(options: CreateHubOptions): Promise<DevelopmentTokens> {
  const publisherKey = options.publisherKey ?? DEV_PUBLISHER_KEY;
  const subscriberKey = options.subscriberKey === undefined ? publisherKey : options.subscriberKey;
  const publisherDev = publisherKey === DEV_PUBLISHER_KEY;
  const subscriberDev = subscriberKey === DEV_PUBLISHER_KEY;
  const iat = Math.floor(Date.now() / 1000);
  const expiresAt = iat + LIFETIME_SECONDS;
  const sign = (actions: readonly string[]): Promise<string> => {
    const issuer = first(options.issuer);
    const audience = first(options.audience);
    const jwt = new SignJWT({ authorization_details: actions.map((action) => ({ type: DETAIL_TYPE, actions: [action], topics: [{ match: '*' }] })) })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuedAt(iat)
      .setExpirationTime(expiresAt);
    if (issuer !== undefined) jwt.setIssuer(issuer);
    if (audience !== undefined) jwt.setAudience(audience);
    return jwt.sign(new TextEncoder().encode(DEV_PUBLISHER_KEY));
  };
  return {
    ...(publisherDev && { publisher: await sign(subscriberDev ? ['publish', 'subscribe'] : ['publish']) }),
    ...(subscriberDev && { subscriber: await sign(['subscribe']) }),
    expiresAt,
  };
}

/** The start-up lines that show the development tokens (none when the hub runs with its own keys). */
export function developmentTokenLines(tokens: DevelopmentTokens, hubUrl: string): string[] {
  if (tokens.publisher === undefined && tokens.subscriber === undefined) return [];
  const until = new Date(tokens.expiresAt * 1000).toISOString().slice(0, 10);
  const lines = [`Development tokens (signed with the public development key, valid until ${until}):`];
  if (tokens.publisher !== undefined) {
    // The publisher token may subscribe too exactly when the subscriber key is the development key.
    const grants = tokens.subscriber === undefined ? 'publish' : 'publish and subscribe';
    lines.push(`  publisher (${grants}, every topic; e.g. SseProvider headers={{ Authorization: 'Bearer <token>' }}):`, `    ${tokens.publisher}`);
  }
  if (tokens.subscriber !== undefined) lines.push('  subscriber (subscribe, every topic, private updates included):', `    ${tokens.subscriber}`);
  if (tokens.publisher !== undefined) {
    lines.push('Try it:', `  curl -H "Authorization: Bearer ${tokens.publisher}" -d topic=https://example.com/chat -d data=hello ${hubUrl}`);
  }
  return lines;
}
