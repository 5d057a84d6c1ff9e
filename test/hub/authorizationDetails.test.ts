import { afterEach, describe, expect, it } from 'vitest';
import { DEV_PUBLISHER_KEY, createHub } from '../../src/hub/index.js';
import type { CreateHubOptions } from '../../src/hub/index.js';
import { TEST_KEY, legacyClaims, openStream, publish, sign, subscribeUrl, v1Claims } from './helpers.js';
import type { TestStream } from './helpers.js';

/**
 * Token shapes of later Mercure spec revisions, which the official conformance suite uses:
 * the detail type `https://mercure.rocks/authorization-detail` and `match_type: 'urlpattern'`.
 * They grant exactly what `type: 'mercure'` / `matchType: 'URLPattern'` grant.
 */

const DETAIL_URI = 'https://mercure.rocks/authorization-detail';
const BOOK = 'https://example.com/books/1';

/**
 * The publisher token of the conformance suite: typ at+jwt, iss https://localhost,
 * aud https://localhost/.well-known/mercure, exp 2100-01-01, publish and subscribe on `*`
 * through `https://mercure.rocks/authorization-detail` details, signed with the development key.
 */
const CONFORMANCE_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJhdWQiOiJodHRwczovL2xvY2FsaG9zdC8ud2VsbC1rbm93bi9tZXJjdXJlIiwiaXNzIjoiaHR0cHM6Ly9sb2NhbGhvc3QiLCJhdXRob3JpemF0aW9uX2RldGFpbHMiOlt7InR5cGUiOiJodHRwczovL21lcmN1cmUucm9ja3MvYXV0aG9yaXphdGlvbi1kZXRhaWwiLCJhY3Rpb25zIjpbInB1Ymxpc2giXSwidG9waWNzIjpbeyJtYXRjaCI6IioifV19LHsidHlwZSI6Imh0dHBzOi8vbWVyY3VyZS5yb2Nrcy9hdXRob3JpemF0aW9uLWRldGFpbCIsImFjdGlvbnMiOlsic3Vic2NyaWJlIl0sInRvcGljcyI6W3sibWF0Y2giOiIqIn1dfV0sImV4cCI6NDEwMjQ0NDgwMH0.z_S8IP5WZsCK8h3pcq0PB5zvJE0OdTrGA70khAYJQy4';

describe('Node hub: authorization details of later spec revisions', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(options: CreateHubOptions = {}) {
    const hub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY, ...options });
    cleanups.push(() => hub.close());
    return hub;
  }

  async function subscribe(url: string, token?: string): Promise<TestStream> {
    const stream = await openStream(fetch, url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    cleanups.push(() => stream.close());
    return stream;
  }

  it('lets the conformance suite token publish, with the development defaults and in strict mode with its iss and aud', async () => {
    for (const options of [
      { publisherKey: DEV_PUBLISHER_KEY },
      { publisherKey: DEV_PUBLISHER_KEY, strict: true, legacy: false, issuer: 'https://localhost', audience: 'https://localhost/.well-known/mercure' },
    ] satisfies CreateHubOptions[]) {
      const hub = await start(options);
      const stream = await subscribe(subscribeUrl(hub.url, [['match', BOOK]]));
      const res = await publish(fetch, hub.url, [['topic', BOOK], ['data', 'a\n\nb'], ['id', 'id-1']], CONFORMANCE_TOKEN);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('id-1');
      expect(await stream.next()).toMatchObject({ id: 'id-1', data: 'a\n\nb' });
    }
  });

  it('reads publish and subscribe grants from https://mercure.rocks/authorization-detail entries with match_type', async () => {
    const hub = await start();
    const publisher = await sign({ authorization_details: [{ type: DETAIL_URI, actions: ['publish'], topics: [{ match: 'https://example.com/books/:id', match_type: 'urlpattern' }] }] });
    const reader = await sign({ authorization_details: [{ type: DETAIL_URI, actions: ['subscribe'], topics: [{ match: BOOK, match_type: 'exact' }] }] });
    const otherReader = await sign({ authorization_details: [{ type: DETAIL_URI, actions: ['subscribe'], topics: [{ match: 'https://example.com/books/2' }] }] });
    const authorized = await subscribe(subscribeUrl(hub.url, [['match', BOOK]]), reader);
    const unauthorized = await subscribe(subscribeUrl(hub.url, [['match', BOOK]]), otherReader);

    const res = await publish(fetch, hub.url, [['topic', BOOK], ['data', 'secret'], ['private', 'on']], publisher);
    expect(res.status).toBe(200);
    const id = await res.text();
    expect((await authorized.next()).id).toBe(id);
    // The grant is a URL pattern: other books are allowed, other collections are not.
    expect((await publish(fetch, hub.url, [['topic', 'https://example.com/books/9']], publisher)).status).toBe(200);
    expect((await publish(fetch, hub.url, [['topic', 'https://example.com/authors/1']], publisher)).status).toBe(403);
    // A public sentinel proves the private update was not on its way to the other reader.
    const sentinel = await publish(fetch, hub.url, [['topic', BOOK], ['data', 'public']], publisher);
    const sentinelId = await sentinel.text();
    await unauthorized.waitFor((e) => e.id === sentinelId);
    expect(unauthorized.events.map((e) => e.id)).toEqual([sentinelId]);
  });

  it.each([
    ['an unknown match_type', { match: '*', match_type: 'regexp' }],
    ['match_type in the casing of matchType', { match: '*', match_type: 'URLPattern' }],
    ['both matchType and match_type', { match: '*', matchType: 'Exact', match_type: 'exact' }],
  ])('rejects a detail with %s as an invalid token', async (_label, topic) => {
    const hub = await start();
    const token = await sign({ authorization_details: [{ type: DETAIL_URI, actions: ['publish'], topics: [topic] }] });
    const res = await publish(fetch, hub.url, [['topic', BOOK]], token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('accepts RFC 9068 access tokens (typ at+jwt, iss, aud, exp) in strict mode, and the legacy mercure claim in lenient mode', async () => {
    const strict = await start({ strict: true, legacy: false, issuer: 'https://issuer.example', audience: 'https://hub.example' });
    const claims = { iss: 'https://issuer.example', aud: 'https://hub.example', ...v1Claims([{ actions: ['publish'], topics: ['*'] }]) };
    expect((await publish(fetch, strict.url, [['topic', BOOK]], await sign(claims))).status).toBe(200);
    expect((await publish(fetch, strict.url, [['topic', BOOK]], await sign(claims, { typ: 'JWT' }))).status).toBe(401);
    expect((await publish(fetch, strict.url, [['topic', BOOK]], await sign({ ...claims, aud: 'https://other.example' }))).status).toBe(401);
    expect((await publish(fetch, strict.url, [['topic', BOOK]], await sign(claims, { exp: null }))).status).toBe(401);
    const lenient = await start();
    expect((await publish(fetch, lenient.url, [['topic', BOOK]], await sign(legacyClaims({ publish: ['https://example.com/books/{id}'] })))).status).toBe(200);
    expect((await publish(fetch, lenient.url, [['topic', 'https://example.com/authors/1']], await sign(legacyClaims({ publish: ['https://example.com/books/{id}'] })))).status).toBe(403);
  });

  it('reads the earlier detail type mercure with matchType or match_type, but refuses matchType in the current type (the spec never had it)', async () => {
    const hub = await start();
    const grant = (type: string, topic: object): Promise<string> => sign({ authorization_details: [{ type, actions: ['publish'], topics: [topic] }] });
    const pattern = 'https://example.com/books/:id';
    expect((await publish(fetch, hub.url, [['topic', BOOK]], await grant('mercure', { match: pattern, matchType: 'URLPattern' }))).status).toBe(200);
    expect((await publish(fetch, hub.url, [['topic', BOOK]], await grant('mercure', { match: pattern, match_type: 'urlpattern' }))).status).toBe(200);
    const res = await publish(fetch, hub.url, [['topic', BOOK]], await grant(DETAIL_URI, { match: pattern, matchType: 'URLPattern' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('still ignores authorization details of other types', async () => {
    const hub = await start();
    const token = await sign({ authorization_details: [{ type: 'https://example.com/other', actions: ['publish'], topics: [{ match: '*' }] }] });
    expect((await publish(fetch, hub.url, [['topic', BOOK]], token)).status).toBe(403);
  });
});
