import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { invalidToken } from './errors.js';
import type { HubKey, HubKeyAlgorithm } from './types.js';

/** Options of {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  /** Accepted `iss` values. */
  readonly issuer?: string | readonly string[] | undefined;
  /** Required `aud` values (any of). */
  readonly audience?: string | readonly string[] | undefined;
  /** Require header `typ: at+jwt`. */
  readonly strict: boolean;
  /** Require the `exp` claim. */
  readonly requireExp: boolean;
  /**
   * Without a key, decode tokens without verifying them (an open development hub). When
   * `false`, a verifier without a key refuses every token.
   */
  readonly decodeWithoutKey: boolean;
  /** Clock in ms. */
  readonly now: () => number;
}

interface ResolvedKey {
  readonly key: Uint8Array | CryptoKey | JWTVerifyGetKey;
  readonly algorithms: string[];
}

/** Verified tokens remembered, so a publisher reusing its token is not re-verified every time. */
const CACHE_SIZE = 1024;

const ASYMMETRIC_DEFAULTS: HubKeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

async function resolveKey(key: HubKey): Promise<ResolvedKey> {
  const encoder = new TextEncoder();
  if (typeof key === 'string') {
    if (key === '') throw new Error('the HS256 secret is empty');
    if (!key.trimStart().startsWith('-----BEGIN')) return { key: encoder.encode(key), algorithms: ['HS256'] };
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      try {
        return { key: await importSPKI(key, alg), algorithms: [alg] };
      } catch {
        // Try the next key type.
      }
    }
    throw new Error('the PEM public key is neither an RSA, an EC P-256 nor an Ed25519 key');
  }
  if ('secret' in key) {
    return { key: typeof key.secret === 'string' ? encoder.encode(key.secret) : key.secret, algorithms: [key.alg ?? 'HS256'] };
  }
  if ('publicKey' in key) return { key: await importSPKI(key.publicKey, key.alg), algorithms: [key.alg] };
  if ('jwks' in key) return { key: createLocalJWKSet(key.jwks), algorithms: [...(key.algorithms ?? ASYMMETRIC_DEFAULTS)] };
  return { key: createRemoteJWKSet(new URL(key.jwksUrl)), algorithms: [...(key.algorithms ?? ASYMMETRIC_DEFAULTS)] };
}

/**
 * Verifies compact JWS access tokens against one configured key (publisher or subscriber role),
 * with an algorithm allowlist derived from that key (never from the token).
 *
 * `exp`/`nbf` are enforced when present, and `exp` is required with `requireExp`.
 * Strict mode: the header `typ` must be `at+jwt` (RFC 9068).
 * `iss` and `aud` are checked whenever they are configured.
 * Without a key, every token is refused, unless `decodeWithoutKey` is set: then tokens are
 * decoded without verification (an open development hub).
 */
export class TokenVerifier {
  readonly #key: Promise<ResolvedKey> | null;
  readonly #options: TokenVerifierOptions;
  /** Tokens that passed verification, with their claims (oldest evicted first). */
  readonly #cache = new Map<string, JWTPayload>();

  /** @param key - the verification key, or `null` for none (see `decodeWithoutKey`). */
  constructor(key: HubKey | null, options: TokenVerifierOptions) {
    this.#options = options;
    this.#key = key === null ? null : resolveKey(key);
    // A bad key is reported on use, not as an unhandled rejection.
    this.#key?.catch(() => undefined);
  }

  /**
   * Resolves once the key is loaded (at once without a key).
   * @throws Error when the key cannot be used (an unreadable PEM, a private key, a malformed JWKS,
   * an empty secret): every token would be refused.
   */
  async ready(): Promise<void> {
    await this.#key;
  }

  /** Whether signatures are checked. */
  get verifies(): boolean {
    return this.#key !== null;
  }

  /**
   * Validates a token and returns its claims.
   * @throws HubError 401 `invalid_token` (the reason is only in `detail`, for the log).
   */
  async verify(token: string): Promise<JWTPayload> {
    const options = this.#options;
    if (this.#key === null) {
      if (options.decodeWithoutKey) return this.#decode(token);
      throw invalidToken('no key is configured to verify this token');
    }
    const cached = this.#cache.get(token);
    if (cached !== undefined) {
      // Same bytes, same signature check: only the time-dependent claims are checked again.
      const now = options.now() / 1000;
      if ((cached.exp === undefined || cached.exp > now) && (cached.nbf === undefined || cached.nbf <= now)) return cached;
      this.#cache.delete(token);
    }
    let resolved: ResolvedKey;
    try {
      resolved = await this.#key;
    } catch (error) {
      throw invalidToken(`the hub key could not be loaded: ${(error as Error).message}`);
    }
    const verifyOptions: JWTVerifyOptions = {
      algorithms: resolved.algorithms,
      currentDate: new Date(options.now()),
      requiredClaims: options.requireExp ? ['exp'] : [],
    };
    if (options.strict) verifyOptions.typ = 'at+jwt';
    if (options.issuer !== undefined) verifyOptions.issuer = typeof options.issuer === 'string' ? options.issuer : [...options.issuer];
    if (options.audience !== undefined) verifyOptions.audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
    try {
      const { payload } = await jwtVerify(token, resolved.key as Uint8Array, verifyOptions);
      if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(token, payload);
      return payload;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      throw invalidToken(`${e.code ?? 'ERR_JWT_INVALID'}: ${e.message ?? String(error)}`);
    }
  }

  #decode(token: string): JWTPayload {
    let payload: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (this.#options.strict && header.typ !== 'at+jwt') throw new Error('typ is not at+jwt');
      payload = decodeJwt(token);
    } catch (error) {
      throw invalidToken(`unreadable token: ${(error as Error).message}`);
    }
    const now = this.#options.now() / 1000;
    if (typeof payload.exp === 'number' && payload.exp <= now) throw invalidToken('token expired');
    if (typeof payload.nbf === 'number' && payload.nbf > now) throw invalidToken('token not yet valid');
    if (this.#options.requireExp && typeof payload.exp !== 'number') throw invalidToken('token has no exp');
    return payload;
  }
}
