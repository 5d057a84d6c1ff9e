import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEngine } from '../../src/hub/engine/index.js';
import type { DispatchReport, HubEngineOptions } from '../../src/hub/engine/types.js';
import { DEV_PUBLISHER_KEY } from '../../src/hub/engine/index.js';
import { DETAIL_TYPE, SEED_TOKEN, TEST_KEY, legacyClaims, openStream, publish, sign, subscribeUrl, v1Claims } from './helpers.js';
import type { FetchFn, TestStream } from './helpers.js';

/** A started hub under test. */
export interface HubUnderTest {
  readonly url: string;
  readonly fetch: FetchFn;
  /** The engine behind the front door (server-side publishing, events). */
  readonly engine: HubEngine;
  close(): Promise<void>;
}

/** Starts a hub with engine options (`url`, `timers` and `log` are the factory's business). */
export type HubFactory = (options: Omit<HubEngineOptions, 'url' | 'timers' | 'log'>) => Promise<HubUnderTest>;

const BOOK = 'https://example.com/books/1';

/**
 * The protocol rules every front door must honour. Runs against MockHub (in-memory fetch) and
 * against the Node hub (real HTTP on loopback): one suite, two hubs.
 */
export function describeHubProtocol(name: string, factory: HubFactory): void {
  describe(`${name}: Mercure protocol`, () => {
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function start(options: Omit<HubEngineOptions, 'url' | 'timers' | 'log'> = {}): Promise<HubUnderTest> {
      const hub = await factory({ publisherKey: TEST_KEY, ...options });
      cleanups.push(() => hub.close());
      return hub;
    }

    async function subscribe(hub: HubUnderTest, params: readonly (readonly [string, string])[], init: RequestInit = {}): Promise<TestStream> {
      const stream = await openStream(hub.fetch, subscribeUrl(hub.url, params), init);
      cleanups.push(() => stream.close());
      return stream;
    }

    let publisher: string | undefined;
    const pub = async (hub: HubUnderTest, fields: readonly (readonly [string, string])[], token?: string): Promise<Response> =>
      publish(hub.fetch, hub.url, fields, token ?? (publisher ??= await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]))));

    /** Publishes a sentinel and waits for it, proving nothing else is in flight before it. */
    async function sentinel(hub: HubUnderTest, stream: TestStream, topic: string): Promise<void> {
      const res = await pub(hub, [['topic', topic], ['data', 'sentinel']]);
      const id = await res.text();
      await stream.waitFor((e) => e.id === id);
    }

    describe('publishing', () => {
      it('answers 200 text/plain with the id, and delivers type message, the id and the data', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        const res = await pub(hub, [['topic', BOOK], ['data', '{"title":"Dune"}']]);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        const id = await res.text();
        expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
        const event = await stream.next();
        expect(event).toMatchObject({ id, data: '{"title":"Dune"}', event: undefined });
      });

      it('uses a custom id, type and retry, and keeps multi-line data byte-identical', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        const data = 'line one\n\n  indented\nlast:';
        const res = await pub(hub, [['topic', BOOK], ['data', data], ['id', 'urn:book:1:v2'], ['type', 'book-updated'], ['retry', '2500']]);
        expect(await res.text()).toBe('urn:book:1:v2');
        const event = await stream.next();
        expect(event).toMatchObject({ id: 'urn:book:1:v2', event: 'book-updated', data });
      });

      it('cannot be used to inject SSE fields through the data', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        const data = 'x\n\nid: forged\nevent: forged\r\ndata: forged\rretry: 1';
        const id = await (await pub(hub, [['topic', BOOK], ['data', data], ['id', 'real']])).text();
        await sentinel(hub, stream, BOOK);
        expect(stream.events).toHaveLength(2);
        expect(stream.events[0]).toMatchObject({ id, event: undefined, data: 'x\n\nid: forged\nevent: forged\ndata: forged\nretry: 1' });
      });

      it('does not dispatch an id twice: a retried publish is idempotent', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        for (let i = 0; i < 2; i++) {
          const res = await pub(hub, [['topic', BOOK], ['data', 'once'], ['id', 'retried-id']]);
          expect(res.status).toBe(200);
          expect(await res.text()).toBe('retried-id');
        }
        await sentinel(hub, stream, BOOK);
        expect(stream.events.map((e) => e.id)).toEqual(['retried-id', expect.stringMatching(/^urn:uuid:/)]);
      });

      it('dispatches an update reusing another update\'s id under a fresh id; only a true retry is de-duplicated', async () => {
        const hub = await start();
        const a = await subscribe(hub, [['match', 'a']]);
        const b = await subscribe(hub, [['match', 'b']]);
        expect(await (await pub(hub, [['topic', 'a'], ['data', 'first'], ['id', 'order-1']])).text()).toBe('order-1');
        const other = await pub(hub, [['topic', 'b'], ['data', 'second'], ['id', 'order-1']]);
        expect(other.status).toBe(200);
        const freshId = await other.text();
        expect(freshId).toMatch(/^urn:uuid:/);
        expect(await b.next()).toMatchObject({ id: freshId, data: 'second' });
        // Same id and topic, other content: not a retry either.
        const changed = await (await pub(hub, [['topic', 'a'], ['data', 'changed'], ['id', 'order-1']])).text();
        expect(changed).not.toBe('order-1');
        // The true retry is acknowledged with its id and not delivered again.
        expect(await (await pub(hub, [['topic', 'a'], ['data', 'first'], ['id', 'order-1']])).text()).toBe('order-1');
        await sentinel(hub, a, 'a');
        expect(a.events.map((e) => [e.id, e.data])).toEqual([
          ['order-1', 'first'],
          [changed, 'changed'],
          [expect.stringMatching(/^urn:uuid:/), 'sentinel'],
        ]);
      });

      it('delivers an update once to a subscriber matching its canonical topic and its alternates', async () => {
        const hub = await start();
        const both = await subscribe(hub, [['match', BOOK], ['match', 'urn:alt']]);
        const alternate = await subscribe(hub, [['match', 'urn:alt']]);
        const id = await (await pub(hub, [['topic', BOOK], ['topic', 'urn:alt'], ['data', 'a']])).text();
        await sentinel(hub, both, BOOK);
        expect(both.events.filter((e) => e.id === id)).toHaveLength(1);
        expect((await alternate.next()).id).toBe(id);
      });

      it.each([
        ['a missing topic', [['data', 'x']], 400],
        ['an empty topic', [['topic', '']], 400],
        ['the topic *', [['topic', '*']], 400],
        ['a topic with control characters', [['topic', 'a\u0007b']], 400],
        ['an id starting with #', [['topic', BOOK], ['id', '#1']], 400],
        ['an id with a line feed', [['topic', BOOK], ['id', 'a\nid: b']], 400],
        ['an id with a carriage return', [['topic', BOOK], ['id', 'a\rb']], 400],
        ['an id with NUL', [['topic', BOOK], ['id', 'a\u0000b']], 400],
        ['an id with a C0 control character', [['topic', BOOK], ['id', 'a\u0001b']], 400],
        ['an id with DEL', [['topic', BOOK], ['id', 'a\u007fb']], 400],
        ['an id with a C1 control character', [['topic', BOOK], ['id', 'a\u0085b']], 400],
        ['an id with a format character', [['topic', BOOK], ['id', 'a\u200bb']], 400],
        ['the reserved id earliest', [['topic', BOOK], ['id', 'earliest']], 400],
        ['a type with a C0 control character', [['topic', BOOK], ['type', 'a\u001bb']], 400],
        ['a type with DEL', [['topic', BOOK], ['type', 'a\u007f']], 400],
        ['a type with a C1 control character', [['topic', BOOK], ['type', '\u009bx']], 400],
        ['a topic with a C1 control character', [['topic', 'a\u0080b']], 400],
        ['a type with a line feed', [['topic', BOOK], ['type', 'a\ndata: x']], 400],
        ['the reserved type mercure', [['topic', BOOK], ['type', 'mercure']], 400],
        ['a non-numeric retry', [['topic', BOOK], ['retry', '10s']], 400],
        ['a negative retry', [['topic', BOOK], ['retry', '-1']], 400],
        ['a relative topic in the hub namespace', [['topic', '/.well-known/mercure/subscriptions/Exact/x/y']], 400],
        ['an absolute topic in the hub namespace', [['topic', 'https://elsewhere.example/.well-known/mercure/subscriptions/x']], 400],
        ['a percent-encoded topic in the hub namespace', [['topic', '/.well-known/%6Dercure/x']], 400],
        ['an alternate topic in the hub namespace', [['topic', BOOK], ['topic', '/.well-known/mercure']], 400],
      ] as const)('refuses %s', async (_label, fields, status) => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', '*']]);
        const res = await pub(hub, fields);
        expect(res.status).toBe(status);
        if (status === 400) expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
        await sentinel(hub, stream, BOOK);
        expect(stream.events).toHaveLength(1);
      });

      it('refuses a body that is not form-encoded (400)', async () => {
        const hub = await start();
        const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
        const res = await hub.fetch(hub.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"topic":"x"}' });
        expect(res.status).toBe(400);
      });

      it('refuses data, id, type or retry given twice (400) rather than publishing one of them', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        for (const name of ['data', 'id', 'type', 'retry']) {
          const res = await pub(hub, [['topic', BOOK], [name, '1'], [name, '2']]);
          expect(res.status).toBe(400);
          expect(await res.text()).toContain(`"${name}" field appears more than once`);
        }
        // Several topics (alternates) and a repeated private flag are fine.
        expect((await pub(hub, [['topic', BOOK], ['topic', 'urn:alternate'], ['private', 'on'], ['private', '']])).status).toBe(200);
        if (hub.engine.transport.synchronous) expect(hub.engine.history).toHaveLength(1);
        await sentinel(hub, stream, BOOK);
        expect(stream.events.map((e) => e.data)).toEqual(['sentinel']);
      });

      it('enforces the body size (413), the field length (413) and the topics per update (413)', async () => {
        const hub = await start({ limits: { bodyBytes: 2000, fieldLength: 100, topicsPerPublish: 3 } });
        expect((await pub(hub, [['topic', BOOK], ['data', 'x'.repeat(2100)]])).status).toBe(413);
        expect((await pub(hub, [['topic', BOOK], ['data', 'x'.repeat(1500)]])).status).toBe(200);
        expect((await pub(hub, [['topic', `${BOOK}/${'y'.repeat(100)}`]])).status).toBe(413);
        expect((await pub(hub, [['topic', BOOK], ['id', 'i'.repeat(101)]])).status).toBe(413);
        expect((await pub(hub, [['topic', 'a'], ['topic', 'b'], ['topic', 'c'], ['topic', 'd']])).status).toBe(413);
        expect((await pub(hub, [['topic', 'a'], ['topic', 'b'], ['topic', 'c']])).status).toBe(200);
      });
    });

    describe('matching', () => {
      it('routes raw strings, URIs, URL patterns, legacy URI templates and * — and nothing else', async () => {
        const hub = await start();
        const end = ['match', 'end'] as const;
        const raw = await subscribe(hub, [['match', 'chat'], end]);
        const several = await subscribe(hub, [['match', 'chat'], ['matchExact', BOOK], ['match_urlpattern', 'https://example.com/authors/:id'], end]);
        const pattern = await subscribe(hub, [['matchURLPattern', 'https://example.com/books/:id'], end]);
        const template = await subscribe(hub, [['topic', 'https://example.com/books/{id}'], end]);
        const all = await subscribe(hub, [['match', '*']]);
        const topics = ['chat', 'Chat', BOOK, 'https://example.com/books/1/reviews', 'https://example.com/authors/7', 'https://example.com/books/2'];
        const ids: Record<string, string> = {};
        for (const topic of topics) ids[topic] = await (await pub(hub, [['topic', topic], ['data', topic]])).text();
        for (const stream of [raw, several, pattern, template, all]) await sentinel(hub, stream, 'end');
        const got = (stream: TestStream): string[] => stream.events.filter((e) => e.data !== 'sentinel').map((e) => e.data);
        expect(got(raw)).toEqual(['chat']);
        expect(got(several)).toEqual(['chat', BOOK, 'https://example.com/authors/7']);
        expect(got(pattern)).toEqual([BOOK, 'https://example.com/books/2']);
        expect(got(template)).toEqual([BOOK, 'https://example.com/books/2']);
        expect(got(all)).toEqual(topics);
      });

      it('resolves relative URL patterns against the hub URL', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['matchURLPattern', '/rooms/:room']]);
        const origin = new URL(hub.url).origin;
        const id = await (await pub(hub, [['topic', `${origin}/rooms/42`]])).text();
        expect((await stream.next()).id).toBe(id);
      });

      it.each([
        ['an unknown match parameter', [['matchFoo', 'x']]],
        ['a match parameter in another case', [['MATCHEXACT', 'x']]],
        ['a match-prefixed parameter', [['matches', 'x']]],
        ['no matcher at all', [['foo', 'bar']]],
        ['an empty matcher', [['match', '']]],
        ['a matcher with control characters', [['match', 'a\u0001']]],
        ['a matcher with a C1 control character', [['match', 'a\u0085']]],
        ['an invalid URL pattern', [['matchURLPattern', 'https://example.com/{']]],
        ['a URL pattern with a regular-expression group', [['matchURLPattern', 'https://example.com/(a+)+']]],
        ['a malformed URI template', [['topic', 'https://example.com/{id']]],
        ['too many matchers', Array.from({ length: 6 }, (_, i) => ['match', `t${i}`] as const)],
        ['a matcher that is too long', [['match', 'x'.repeat(300)]]],
      ] as const)('refuses a subscription with %s (400)', async (_label, params) => {
        const hub = await start({ limits: { matchersPerSubscription: 5, matcherLength: 256 } });
        const res = await hub.fetch(subscribeUrl(hub.url, params));
        expect(res.status).toBe(400);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
        await res.body?.cancel();
      });

      it('accepts a subscription by QUERY with a form body', async () => {
        const hub = await start();
        const stream = await openStream(hub.fetch, hub.url, {
          method: 'QUERY',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([['match', 'q1'], ['match_urlpattern', 'https://example.com/q/:id']]).toString(),
        });
        cleanups.push(() => stream.close());
        const a = await (await pub(hub, [['topic', 'q1']])).text();
        const b = await (await pub(hub, [['topic', 'https://example.com/q/3']])).text();
        expect([(await stream.next()).id, (await stream.next()).id]).toEqual([a, b]);
      });
    });

    describe('private updates', () => {
      it('reach only subscribers whose token grants subscribe on the topic (v1 and legacy claims)', async () => {
        const hub = await start();
        const anonymous = await subscribe(hub, [['match', BOOK]]);
        const v1 = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]))}` } });
        const pattern = await subscribe(hub, [['match', BOOK]], {
          headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: [{ match: 'https://example.com/books/:id', matchType: 'URLPattern' }] }]))}` },
        });
        const legacy = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${await sign({ mercure: { subscribe: ['https://example.com/books/{id}'] } })}` } });
        const other = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: ['https://example.com/books/2'] }]))}` } });
        const publishOnly = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]))}` } });
        const id = await (await pub(hub, [['topic', BOOK], ['data', 'secret'], ['private', '']])).text();
        for (const stream of [v1, pattern, legacy]) expect((await stream.next()).id).toBe(id);
        const last = await (await pub(hub, [['topic', BOOK], ['data', 'sentinel']])).text();
        for (const stream of [anonymous, other, publishOnly]) {
          await stream.waitFor((e) => e.id === last);
          expect(stream.events.map((e) => e.data)).toEqual(['sentinel']);
        }
      });

      it('refuses an access_token query parameter (400) unless queryToken is on', async () => {
        const hub = await start();
        const reader = await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]));
        const res = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK], ['access_token', reader]]));
        expect(res.status).toBe(400);
        expect(await res.text()).toMatch(/access_token/);
        const writer = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
        const post = await hub.fetch(`${hub.url}?access_token=${writer}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'topic=a' });
        expect(post.status).toBe(400);
      });

      it('with queryToken, reads the token from the Authorization header, then access_token, then the cookie', async () => {
        const hub = await start({ queryToken: true });
        const reader = await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]));
        const viaQuery = await subscribe(hub, [['match', BOOK], ['access_token', reader]]);
        const viaCookie = await subscribe(hub, [['match', BOOK]], { headers: { cookie: `other=1; mercureAuthorization=${reader}` } });
        const headerWins = await subscribe(hub, [['match', BOOK], ['access_token', reader]], { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: ['nope'] }]))}` } });
        const id = await (await pub(hub, [['topic', BOOK], ['private', 'on']])).text();
        expect((await viaQuery.next()).id).toBe(id);
        expect((await viaCookie.next()).id).toBe(id);
        await sentinel(hub, headerWins, BOOK);
        expect(headerWins.events.map((e) => e.data)).toEqual(['sentinel']);
      });
    });

    describe('resumption', () => {
      async function seeded(hub: HubUnderTest): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 1; i <= 4; i++) ids.push(await (await pub(hub, [['topic', i === 3 ? 'other' : BOOK], ['data', `u${i}`], ['id', `id-${i}`]])).text());
        return ids;
      }

      it('replays what follows the Last-Event-ID header and answers Mercure-Last-Event-ID and Last-Event-ID', async () => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'id-1' } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('id-1');
        expect(stream.response.headers.get('last-event-id')).toBe('id-1');
        const live = await (await pub(hub, [['topic', BOOK], ['data', 'live']])).text();
        await stream.waitFor((e) => e.id === live);
        expect(stream.events.map((e) => e.data)).toEqual(['u2', 'u4', 'live']);
      });

      it.each(['last_event_id', 'lastEventID'])('accepts the cursor as the %s query parameter', async (param) => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK], [param, 'id-2']]);
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('id-2');
        expect((await stream.next()).data).toBe('u4');
      });

      it('prefers the header over the query parameter', async () => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK], ['last_event_id', 'id-1']], { headers: { 'last-event-id': 'id-2' } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('id-2');
        expect((await stream.next()).data).toBe('u4');
      });

      it('replays everything for earliest', async () => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK], ['last_event_id', 'earliest']]);
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('earliest');
        await stream.waitFor((e) => e.data === 'u4');
        expect(stream.events.map((e) => e.data)).toEqual(['u1', 'u2', 'u4']);
      });

      it('answers earliest and replays what is retained for a cursor it no longer has', async () => {
        const hub = await start({ history: 2 });
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'id-1' } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('earliest');
        expect((await stream.next()).data).toBe('u4');
      });

      it('resumes without a gap from the newest update that left the history: nothing after it was lost', async () => {
        const hub = await start({ history: 2 });
        // id-2 left the history (id-3 and id-4 are kept), but every update after it is still there.
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'id-2' } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('id-2');
        const live = await (await pub(hub, [['topic', BOOK], ['data', 'live']])).text();
        await stream.waitFor((e) => e.id === live);
        expect(stream.events.map((e) => e.data)).toEqual(['u4', 'live']);
      });

      it('refuses (400) a published id posing as a subscription event id: once evicted, a resume from it skipped the retained updates and hid the gap', async () => {
        const hub = await start({ history: 2 });
        const forged = 'urn:sse-kit:after:99999999999999:forged';
        const res = await pub(hub, [['topic', BOOK], ['data', 'forged'], ['id', forged]]);
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('urn:sse-kit:after:');
        // What it would have done: such a cursor resumes after the log position it names (here, past the
        // end of the log), answered as if nothing was missed.
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': forged } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe(forged);
        const live = await (await pub(hub, [['topic', BOOK], ['data', 'live']])).text();
        await stream.waitFor((e) => e.id === live);
        expect(stream.events.map((e) => e.data)).toEqual(['live']);
      });

      it('refuses (400) a cursor longer than any event id may be, rather than keeping it for the life of the connection', async () => {
        const hub = await start({ limits: { fieldLength: 1024 } });
        const long = `urn:${'x'.repeat(1100)}`;
        for (const init of [{ url: subscribeUrl(hub.url, [['match', BOOK], ['last_event_id', long]]) }, { url: subscribeUrl(hub.url, [['match', BOOK]]), headers: { 'last-event-id': long } }]) {
          const res = await hub.fetch(init.url, init.headers === undefined ? {} : { headers: init.headers });
          expect(res.status).toBe(400);
          expect(await res.text()).toMatch(/last event id is longer/);
        }
        expect(hub.engine.connections).toHaveLength(0);
      });

      it('answers earliest and replays nothing without history', async () => {
        const hub = await start({ history: 0 });
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'id-1' } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe('earliest');
        await sentinel(hub, stream, BOOK);
        expect(stream.events.map((e) => e.data)).toEqual(['sentinel']);
      });

      it('tells where a stream without a cursor starts: the newest update it may see, or earliest', async () => {
        const hub = await start();
        const empty = await subscribe(hub, [['match', BOOK]]);
        expect(empty.response.headers.get('mercure-last-event-id')).toBe('earliest');
        expect(empty.response.headers.get('last-event-id')).toBe('earliest');
        await pub(hub, [['topic', BOOK], ['data', 'public'], ['id', 'p1']]);
        await pub(hub, [['topic', BOOK], ['data', 'secret'], ['id', 's1'], ['private', 'on']]);
        const later = await subscribe(hub, [['match', BOOK]]);
        // The private update's id is not disclosed to an anonymous subscriber.
        expect(later.response.headers.get('mercure-last-event-id')).toBe('p1');
        // What is published after that point arrives live, once.
        await pub(hub, [['topic', BOOK], ['data', 'next'], ['id', 'p2']]);
        await later.waitFor((e) => e.id === 'p2');
        expect(later.events.map((e) => e.id)).toEqual(['p2']);
      });

      it('does not replay private updates to unauthorized subscribers, nor disclose their ids', async () => {
        const hub = await start();
        await pub(hub, [['topic', BOOK], ['data', 'public'], ['id', 'p1']]);
        await pub(hub, [['topic', BOOK], ['data', 'secret'], ['id', 's1'], ['private', 'on']]);
        await pub(hub, [['topic', BOOK], ['data', 'public 2'], ['id', 'p2']]);
        const anonymous = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 's1' } });
        expect(anonymous.response.headers.get('mercure-last-event-id')).toBe('p1');
        const everything = await subscribe(hub, [['match', BOOK], ['last_event_id', 'earliest']]);
        await everything.waitFor((e) => e.id === 'p2');
        expect(everything.events.map((e) => e.id)).toEqual(['p1', 'p2']);
        const reader = await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]));
        const authorized = await subscribe(hub, [['match', BOOK], ['last_event_id', 'earliest']], { headers: { authorization: `Bearer ${reader}` } });
        await authorized.waitFor((e) => e.id === 'p2');
        expect(authorized.events.map((e) => e.id)).toEqual(['p1', 's1', 'p2']);
      });
    });

    describe('IRI event ids (outside Latin-1)', () => {
      const HEBREW = 'urn:שרה-1';
      const HEBREW_URI = 'urn:%D7%A9%D7%A8%D7%94-1';
      const JAPANESE = 'https://example.com/livres/日本';
      const JAPANESE_URI = 'https://example.com/livres/%E6%97%A5%E6%9C%AC';

      /** u1 (Hebrew id), u2 (Japanese id), u3 (ASCII id), all on BOOK. */
      async function seeded(hub: HubUnderTest): Promise<void> {
        for (const [data, id] of [['u1', HEBREW], ['u2', JAPANESE], ['u3', 'ascii-3']] as const) {
          expect(await (await pub(hub, [['topic', BOOK], ['data', data], ['id', id]])).text()).toBe(id);
        }
      }

      const announced = (stream: TestStream): [string | null, string | null] => [
        stream.response.headers.get('mercure-last-event-id'),
        stream.response.headers.get('last-event-id'),
      ];

      it('opens a fresh subscription once the newest id is one, announcing its URI form (RFC 3987), and delivers the id as published', async () => {
        const hub = await start();
        const first = await subscribe(hub, [['match', BOOK]]);
        await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', HEBREW]]);
        expect(await first.next()).toMatchObject({ id: HEBREW, data: 'u1' });
        const fresh = await subscribe(hub, [['match', BOOK]]);
        expect(announced(fresh)).toEqual([HEBREW_URI, HEBREW_URI]);
        await pub(hub, [['topic', BOOK], ['data', 'u2'], ['id', JAPANESE]]);
        expect(await fresh.next()).toMatchObject({ id: JAPANESE, data: 'u2' });
        expect(announced(await subscribe(hub, [['match', BOOK]]))).toEqual([JAPANESE_URI, JAPANESE_URI]);
      });

      it('resumes from one given as the last_event_id query parameter, answering its URI form', async () => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK], ['last_event_id', HEBREW]]);
        expect(announced(stream)).toEqual([HEBREW_URI, HEBREW_URI]);
        await stream.waitFor((e) => e.data === 'u3');
        expect(stream.events.map((e) => e.id)).toEqual([JAPANESE, 'ascii-3']);
      });

      it('resumes from its URI form in the Last-Event-ID header (what a client read from the response header sends back)', async () => {
        const hub = await start();
        await seeded(hub);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': JAPANESE_URI } });
        expect(announced(stream)).toEqual([JAPANESE_URI, JAPANESE_URI]);
        expect(await stream.next()).toMatchObject({ id: 'ascii-3', data: 'u3' });
      });

      it('resumes from the Last-Event-ID header a browser EventSource sends on reconnect: the id UTF-8 encoded', async () => {
        const hub = await start();
        await seeded(hub);
        // The header's bytes are the id's UTF-8 (HTML, EventSource reconnection); a server reads them as Latin-1.
        const utf8Bytes = String.fromCharCode(...new TextEncoder().encode(HEBREW));
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': utf8Bytes } });
        expect(announced(stream)).toEqual([HEBREW_URI, HEBREW_URI]);
        expect(await stream.next()).toMatchObject({ id: JAPANESE, data: 'u2' });
      });

      it('resumes from a Latin-1 id sent raw in the Last-Event-ID header; the response header is ASCII', async () => {
        const hub = await start();
        await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', 'urn:livre-é']]);
        await pub(hub, [['topic', BOOK], ['data', 'u2'], ['id', 'urn:livre-2']]);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'urn:livre-é' } });
        expect(announced(stream)).toEqual(['urn:livre-%C3%A9', 'urn:livre-%C3%A9']);
        expect(await stream.next()).toMatchObject({ id: 'urn:livre-2', data: 'u2' });
      });

      it('resumes from an id published in URI form when asked with its IRI form', async () => {
        const hub = await start();
        await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', JAPANESE_URI]]);
        await pub(hub, [['topic', BOOK], ['data', 'u2'], ['id', 'ascii-2']]);
        const stream = await subscribe(hub, [['match', BOOK], ['last_event_id', JAPANESE]]);
        expect(announced(stream)).toEqual([JAPANESE_URI, JAPANESE_URI]);
        expect(await stream.next()).toMatchObject({ id: 'ascii-2', data: 'u2' });
      });

      it('stores an id that is another spelling of a retained one under a fresh id: one cursor names one update', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', HEBREW]]);
        const second = await (await pub(hub, [['topic', BOOK], ['data', 'u2'], ['id', HEBREW_URI]])).text();
        expect(second).toMatch(/^urn:uuid:/);
        const third = await (await pub(hub, [['topic', BOOK], ['data', 'u3'], ['id', 'urn:שרה-%31']])).text();
        expect(third).toBe('urn:שרה-%31');
        await stream.waitFor((e) => e.data === 'u3');
        expect(stream.events.map((e) => e.id)).toEqual([HEBREW, second, third]);
        // The URI form the header gives names the first update, not the second.
        const resumed = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': HEBREW_URI } });
        expect(announced(resumed)).toEqual([HEBREW_URI, HEBREW_URI]);
        expect(await resumed.next()).toMatchObject({ id: second, data: 'u2' });
      });

      it('keeps an id mixing raw and percent-encoded non-ASCII as its IRI form, so the URI form its header holds leads back to it', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        await pub(hub, [['topic', BOOK], ['data', 'u0'], ['id', 'ascii-0']]);
        // Raw ש then ר percent-encoded: its URI form is urn:%D7%A9%D7%A8, whose IRI form is urn:שר.
        const mixed = await (await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', 'urn:ש%D7%A8']])).text();
        expect(mixed).toBe('urn:שר');
        // A retry is recognised as one.
        expect(await (await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', 'urn:ש%D7%A8']])).text()).toBe('urn:שר');
        const fresh = await subscribe(hub, [['match', BOOK]]);
        expect(announced(fresh)).toEqual(['urn:%D7%A9%D7%A8', 'urn:%D7%A9%D7%A8']);
        await pub(hub, [['topic', BOOK], ['data', 'u2'], ['id', 'ascii-2']]);
        await stream.waitFor((e) => e.data === 'u2');
        expect(stream.events.map((e) => e.id)).toEqual(['ascii-0', 'urn:שר', 'ascii-2']);
        // A client cut before its first update resumes from the header: after u1, not from the start.
        const resumed = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'urn:%D7%A9%D7%A8' } });
        expect(announced(resumed)).toEqual(['urn:%D7%A9%D7%A8', 'urn:%D7%A9%D7%A8']);
        expect(await resumed.next()).toMatchObject({ id: 'ascii-2', data: 'u2' });
        // Its IRI form is checked like any id: a format character (U+200E) is refused.
        expect((await pub(hub, [['topic', BOOK], ['data', 'u3'], ['id', 'urn:ש%E2%80%8E']])).status).toBe(400);
      });

      it('refuses (413) an id whose URI form, which the Last-Event-ID headers carry, is longer than a field may be', async () => {
        const hub = await start();
        // 2,000 characters, 12,004 in URI form: every fresh subscription after it would carry two such headers.
        const res = await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', `urn:${'ש'.repeat(2000)}`]]);
        expect(res.status).toBe(413);
        expect(await (await pub(hub, [['topic', BOOK], ['data', 'u1'], ['id', `urn:${'ש'.repeat(1000)}`]])).text()).toBe(`urn:${'ש'.repeat(1000)}`);
      });

      it('replays them for earliest, and answers earliest for one that left the history', async () => {
        const hub = await start({ history: 2 });
        await pub(hub, [['topic', BOOK], ['data', 'u0'], ['id', 'urn:שרה-0']]);
        await seeded(hub);
        const everything = await subscribe(hub, [['match', BOOK], ['last_event_id', 'earliest']]);
        expect(announced(everything)).toEqual(['earliest', 'earliest']);
        await everything.waitFor((e) => e.data === 'u3');
        expect(everything.events.map((e) => e.id)).toEqual([JAPANESE, 'ascii-3']);
        const evicted = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 'urn:%D7%A9%D7%A8%D7%94-0' } });
        expect(announced(evicted)).toEqual(['earliest', 'earliest']);
        expect(await evicted.next()).toMatchObject({ id: JAPANESE });
      });

      it('announces one as the nearest visible predecessor of a private cursor, in URI form', async () => {
        const hub = await start();
        await pub(hub, [['topic', BOOK], ['data', 'public'], ['id', HEBREW]]);
        await pub(hub, [['topic', BOOK], ['data', 'secret'], ['id', 's1'], ['private', 'on']]);
        const anonymous = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': 's1' } });
        expect(announced(anonymous)).toEqual([HEBREW_URI, HEBREW_URI]);
      });
    });

    describe('authorization', () => {
      it('asks for a token (401, Bearer challenge without error) when publishing without one', async () => {
        const hub = await start();
        const res = await publish(hub.fetch, hub.url, [['topic', BOOK]]);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer(?! error)/);
      });

      it.each([
        ['a bad signature', () => sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]), { key: 'another-key-another-key-another' })],
        ['an expired token', () => sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]), { exp: Math.floor(Date.now() / 1000) - 60 })],
        ['garbage', () => Promise.resolve('not.a.token')],
        ['a malformed mercure detail', () => sign({ authorization_details: [{ type: 'mercure', actions: ['publish', 'delete'], topics: [{ match: '*' }] }] })],
        ['a detail with an invalid matchType', () => sign({ authorization_details: [{ type: 'mercure', actions: ['publish'], topics: [{ match: '*', matchType: 'Regex' }] }] })],
        ['an alg=none token', () => Promise.resolve(`${btoa('{"alg":"none"}').replace(/=/g, '')}.${btoa('{"mercure":{"publish":["*"]}}').replace(/=/g, '')}.`)],
      ])('rejects %s with 401 invalid_token', async (_label, make) => {
        const hub = await start();
        const res = await pub(hub, [['topic', BOOK]], await make());
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      });

      it('answers 403 insufficient_scope when the token does not cover every topic', async () => {
        const hub = await start();
        const token = await sign(v1Claims([{ actions: ['publish'], topics: [{ match: 'https://example.com/books/:id', matchType: 'URLPattern' }] }, { actions: ['subscribe'], topics: ['*'] }]));
        expect((await pub(hub, [['topic', BOOK]], token)).status).toBe(200);
        const res = await pub(hub, [['topic', BOOK], ['topic', 'https://example.com/authors/1']], token);
        expect(res.status).toBe(403);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');
        expect((await pub(hub, [['topic', 'chat']], await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }])))).status).toBe(403);
      });

      it('accepts the seed token (legacy claim, no exp) with the development key in lenient mode', async () => {
        const hub = await start({ publisherKey: DEV_PUBLISHER_KEY });
        const stream = await subscribe(hub, [['topic', 'https://example.com/peers/{id}']]);
        const res = await pub(hub, [['topic', 'https://example.com/peers/a'], ['data', 'offer']], SEED_TOKEN);
        expect(res.status).toBe(200);
        expect((await stream.next()).data).toBe('offer');
      });

      it('rejects the seed token in strict mode, and accepts an at+jwt token with exp', async () => {
        const hub = await start({ publisherKey: DEV_PUBLISHER_KEY, strict: true, legacy: false });
        expect((await pub(hub, [['topic', BOOK]], SEED_TOKEN)).status).toBe(401);
        const claims = v1Claims([{ actions: ['publish'], topics: ['*'] }]);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims, { key: DEV_PUBLISHER_KEY, typ: 'JWT' }))).status).toBe(401);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims, { key: DEV_PUBLISHER_KEY, typ: 'at+jwt', exp: null }))).status).toBe(401);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims, { key: DEV_PUBLISHER_KEY, typ: 'at+jwt' }))).status).toBe(200);
      });

      it('ignores the legacy claim and the topic parameter when legacy is off', async () => {
        const hub = await start({ legacy: false });
        expect((await pub(hub, [['topic', BOOK]], await sign({ mercure: { publish: ['*'] } }))).status).toBe(403);
        const res = await hub.fetch(subscribeUrl(hub.url, [['topic', BOOK]]));
        expect(res.status).toBe(400);
        await res.body?.cancel();
      });

      it('checks issuer and audience when configured', async () => {
        const hub = await start({ issuer: 'https://issuer.example', audience: 'https://hub.example' });
        const claims = v1Claims([{ actions: ['publish'], topics: ['*'] }]);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims))).status).toBe(401);
        expect((await pub(hub, [['topic', BOOK]], await sign({ ...claims, iss: 'https://issuer.example', aud: 'https://other.example' }))).status).toBe(401);
        expect((await pub(hub, [['topic', BOOK]], await sign({ ...claims, iss: 'https://issuer.example', aud: ['x', 'https://hub.example'] }))).status).toBe(200);
      });

      it('verifies RS256 PEM and ES256 JWKS keys, with separate publisher and subscriber keys', async () => {
        const rsa = await generateKeyPair('RS256', { extractable: true });
        const ec = await generateKeyPair('ES256', { extractable: true });
        const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'sub-1', alg: 'ES256' };
        const hub = await start({ publisherKey: await exportSPKI(rsa.publicKey), subscriberKey: { jwks: { keys: [jwk] } } });
        const pubToken = await new SignJWT(v1Claims([{ actions: ['publish'], topics: ['*'] }])).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(rsa.privateKey);
        const subToken = await new SignJWT(v1Claims([{ actions: ['subscribe'], topics: ['*'] }])).setProtectedHeader({ alg: 'ES256', kid: 'sub-1' }).setExpirationTime('1h').sign(ec.privateKey);
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${subToken}` } });
        const res = await pub(hub, [['topic', BOOK], ['private', 'on']], pubToken);
        expect(res.status).toBe(200);
        expect((await stream.next()).id).toBe(await res.text());
        // A publisher token is no subscriber token, and the other way round.
        expect((await pub(hub, [['topic', BOOK]], subToken)).status).toBe(401);
        const wrong = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK]]), { headers: { authorization: `Bearer ${pubToken}` } });
        expect(wrong.status).toBe(401);
        await wrong.body?.cancel();
      });

      it('requires a subscriber token when anonymous subscribers are not allowed', async () => {
        const hub = await start({ anonymousSubscribers: false });
        const res = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK]]));
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
        await res.body?.cancel();
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]))}` } });
        expect(stream.response.status).toBe(200);
      });

      it('reads a cookie token whether or not its value is quoted (RFC 6265 allows DQUOTEs around a cookie value)', async () => {
        const hub = await start({ anonymousSubscribers: false });
        const token = await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]));
        for (const cookie of [`mercureAuthorization=${token}`, `theme=dark; mercureAuthorization="${token}"`]) {
          const stream = await subscribe(hub, [['match', BOOK]], { headers: { cookie } });
          expect(stream.response.status).toBe(200);
        }
      });

      it('refuses a malformed Authorization header instead of falling back to access_token or the cookie', async () => {
        const hub = await start();
        const writer = await sign(v1Claims([{ actions: ['publish', 'subscribe'], topics: ['*'] }]));
        const res = await hub.fetch(`${hub.url}?access_token=${writer}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer' },
          body: 'topic=a&data=x',
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
        const sub = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]), { headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: `mercureAuthorization=${writer}` } });
        expect(sub.status).toBe(401);
        expect(sub.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
        await sub.body?.cancel();
      });

      it('refuses a cookie-authenticated publish from a foreign origin (CSRF), and accepts it from the hub or an allowed origin', async () => {
        const hub = await start({ cors: { origins: ['https://app.example'], credentials: true } });
        const cookie = `mercureAuthorization=${await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]))}`;
        const post = (headers: Record<string, string>): Promise<Response> =>
          hub.fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers }, body: 'topic=a&data=x' });
        const hubOrigin = new URL(hub.url).origin;
        const evil = await post({ origin: 'https://evil.example' });
        expect(evil.status).toBe(403);
        expect((await post({ referer: 'https://evil.example/page' })).status).toBe(403);
        expect((await post({})).status).toBe(403);
        expect((await post({ origin: 'null' })).status).toBe(403);
        expect((await post({ origin: 'https://app.example' })).status).toBe(200);
        expect((await post({ origin: hubOrigin })).status).toBe(200);
        expect((await post({ referer: `${hubOrigin}/app` })).status).toBe(200);
        // A Bearer header cannot be sent by another site without CORS: no origin check.
        expect((await pub(hub, [['topic', 'a']])).status).toBe(200);
      });

      it('requires exp in v1-only mode (legacy off), also without strict', async () => {
        const hub = await start({ legacy: false });
        const claims = v1Claims([{ actions: ['publish', 'subscribe'], topics: ['*'] }]);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims, { exp: null }))).status).toBe(401);
        expect((await pub(hub, [['topic', BOOK]], await sign(claims))).status).toBe(200);
        const res = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK]]), { headers: { authorization: `Bearer ${await sign(claims, { exp: null })}` } });
        expect(res.status).toBe(401);
        await res.body?.cancel();
      });

      it('without a subscriber key, refuses every subscriber token (never decodes unverified) and closes the subscriptions API', async () => {
        const hub = await start({ subscriberKey: null, subscriptions: true });
        const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
        const forged = `${b64({ alg: 'none' })}.${b64(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]))}.`;
        const signed = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]));
        for (const token of [forged, signed]) {
          const res = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK]]), { headers: { authorization: `Bearer ${token}` } });
          expect(res.status).toBe(401);
          await res.body?.cancel();
        }
        const anonymous = await subscribe(hub, [['match', BOOK]]);
        expect(anonymous.response.status).toBe(200);
        await pub(hub, [['topic', BOOK], ['data', 'private'], ['private', 'on']]);
        await sentinel(hub, anonymous, BOOK);
        expect(anonymous.events.map((e) => e.data)).toEqual(['sentinel']);
        for (const headers of [{}, { authorization: `Bearer ${forged}` }]) {
          const api = await hub.fetch(`${hub.url}/subscriptions`, { headers });
          expect(api.status).toBe(401);
          await api.body?.cancel();
        }
      });

      it('rejects an invalid subscriber token even when anonymous subscribers are allowed', async () => {
        const hub = await start();
        const res = await hub.fetch(subscribeUrl(hub.url, [['match', BOOK]]), { headers: { authorization: 'Bearer nonsense' } });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
        await res.body?.cancel();
      });
    });

    describe('limits and liveness', () => {
      it('answers 431 to a request whose line and headers pass 16 KB (a GET with 400 matchers), and serves one of 300', async () => {
        const hub = await start();
        const matchers = (count: number) => Array.from({ length: count }, (_, i): [string, string] => ['match', `https://example.com/books/${i}`]);
        const served = await subscribe(hub, matchers(300));
        expect(served.response.status).toBe(200);
        const refused = await hub.fetch(subscribeUrl(hub.url, matchers(400)));
        expect(refused.status).toBe(431);
        await refused.body?.cancel();
        expect(hub.engine.connections).toHaveLength(1);
        // A form body does not count: QUERY carries as many.
        const query = await hub.fetch(hub.url, { method: 'QUERY', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(matchers(400)).toString() });
        expect(query.status).toBe(200);
        await query.body?.cancel();
      });

      it('answers 429 with Retry-After past the connections per client, and accepts again after one closes', async () => {
        const hub = await start({ limits: { connectionsPerClient: 2 } });
        const first = await subscribe(hub, [['match', 'a']]);
        await subscribe(hub, [['match', 'b']]);
        const refused = await hub.fetch(subscribeUrl(hub.url, [['match', 'c']]));
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('5');
        await refused.body?.cancel();
        first.close();
        await first.ended;
        await expect.poll(async () => {
          const controller = new AbortController();
          const res = await hub.fetch(subscribeUrl(hub.url, [['match', 'c']]), { signal: controller.signal });
          controller.abort();
          return res.status;
        }).toBe(200);
      });

      it('answers 429 with Retry-After past the topic matchers a client holds across its connections, and accepts again after one closes', async () => {
        const hub = await start({ limits: { matchersPerClient: 5 } });
        const first = await subscribe(hub, [['match', 'a'], ['match', 'b'], ['match', 'c']]);
        await subscribe(hub, [['match', 'd'], ['match', 'e']]);
        const refused = await hub.fetch(subscribeUrl(hub.url, [['match', 'f']]));
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect(await refused.text()).toMatch(/Too many topic matchers for this client \(at most 5 across its connections; 5 held\)/);
        first.close();
        await first.ended;
        await expect.poll(async () => {
          const controller = new AbortController();
          const res = await hub.fetch(subscribeUrl(hub.url, [['match', 'f'], ['match', 'g'], ['match', 'h']]), { signal: controller.signal });
          controller.abort();
          return res.status;
        }).toBe(200);
      });

      it('sends heartbeat comments on the interval', async () => {
        const hub = await start({ heartbeat: 40 });
        const stream = await subscribe(hub, [['match', 'a']]);
        await expect.poll(() => stream.comments.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
      });

      it('closes a subscription when its maximum lifetime is reached', async () => {
        const hub = await start({ connectionLifetime: 100 });
        const stream = await subscribe(hub, [['match', 'a']]);
        expect(await stream.ended).toBe('end');
      });

      it('closes a subscription when its token expires', async () => {
        const hub = await start();
        // Two seconds ahead: one second could already be past when the second ticks before the check.
        const token = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]), { exp: Math.floor(Date.now() / 1000) + 2 });
        const stream = await subscribe(hub, [['match', 'a']], { headers: { authorization: `Bearer ${token}` } });
        expect(await stream.ended).toBe('end');
      });
    });

    describe('front door', () => {
      it('ends the connection of a client that aborts mid-stream, telling disconnect with reason client', async () => {
        const hub = await start();
        const disconnected = new Promise<string>((resolve) => hub.engine.on('disconnect', (e) => resolve(e.reason)));
        const stream = await subscribe(hub, [['match', BOOK]]);
        await sentinel(hub, stream, BOOK);
        expect(hub.engine.connections).toHaveLength(1);
        stream.close();
        expect(await stream.ended).toBe('error');
        expect(await disconnected).toBe('client');
        expect(hub.engine.connections).toHaveLength(0);
      });

      it('lets a reader take what was sent before the hub closed, then ends the stream cleanly', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', BOOK]]);
        await sentinel(hub, stream, BOOK);
        for (const n of [1, 2, 3]) await pub(hub, [['topic', BOOK], ['data', `before close ${n}`]]);
        await stream.waitFor((e) => e.data === 'before close 3');
        await hub.close();
        expect(await stream.ended).toBe('end');
        expect(stream.events.map((e) => e.data)).toEqual(['sentinel', 'before close 1', 'before close 2', 'before close 3']);
      });
    });

    describe('heavy resumes', () => {
      it('replays a backlog far larger than the connection buffer progressively, then live updates, in order', async () => {
        // 1,000 updates of 10 KB and a cursor 999 back: 10 MB of catch-up through a 256 KB buffer.
        // History holds 1,000: the live update below pushes the cursor out of it, possibly before an
        // asynchronous transport (Redis) starts the replay; nothing after the cursor is lost, so the
        // replay goes on.
        const hub = await start({ history: 1000, limits: { bufferedBytes: 256 * 1024 } });
        const data = 'x'.repeat(10 * 1024);
        const ids: string[] = [];
        for (let i = 0; i < 1000; i++) ids.push(await hub.engine.publishAsync({ topic: BOOK, data: `${i} ${data}` }));
        const disconnects: string[] = [];
        hub.engine.on('disconnect', (e) => disconnects.push(e.reason));
        const stream = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': ids[0] as string } });
        expect(stream.response.headers.get('mercure-last-event-id')).toBe(ids[0]);
        const live = await hub.engine.publishAsync({ topic: BOOK, data: 'live' });
        // 10 MB through a loopback socket (and Redis): bounded generously, for a busy machine.
        await stream.waitFor((e) => e.id === live, 150_000);
        expect(stream.events.map((e) => e.id)).toEqual([...ids.slice(1), live]);
        expect(disconnects).toEqual([]);
      }, 180_000);
    });

    describe('hostile input', () => {
      it('refuses an sse-kit envelope claiming a topic the update does not have (400), and delivers nothing forged', async () => {
        const hub = await start();
        const onlyX = await sign(v1Claims([{ actions: ['publish'], topics: ['urn:x'] }]));
        const stream = await subscribe(hub, [['match', 'urn:x'], ['match', 'urn:y']]);
        const envelope = (claim: object): string => JSON.stringify({ 'sse-kit': 1, id: 'm1', ...claim, sender: 'forged', payload: 'hi' });
        for (const claim of [{ topic: 'urn:y' }, { topic: 'urn:x', topics: ['urn:x', 'urn:y'] }]) {
          const res = await pub(hub, [['topic', 'urn:x'], ['data', envelope(claim)]], onlyX);
          expect(res.status).toBe(400);
          expect(await res.text()).toMatch(/envelope claims the topic "urn:y"/);
        }
        if (hub.engine.transport.synchronous) expect(() => hub.engine.publish({ topic: 'urn:x', data: envelope({ topic: 'urn:y' }) })).toThrow(expect.objectContaining({ status: 400 }));
        await expect(hub.engine.publishAsync({ topic: 'urn:x', data: envelope({ topic: 'urn:y' }) })).rejects.toMatchObject({ status: 400 });
        // Its own topic, or several it was published to, are fine.
        expect((await pub(hub, [['topic', 'urn:x'], ['data', envelope({ topic: 'urn:x' })]], onlyX)).status).toBe(200);
        expect((await pub(hub, [['topic', 'urn:x'], ['topic', 'urn:y'], ['data', envelope({ topic: 'urn:x', topics: ['urn:x', 'urn:y'] })]])).status).toBe(200);
        await sentinel(hub, stream, 'urn:x');
        expect(stream.events.map((e) => e.data)).toEqual([envelope({ topic: 'urn:x' }), envelope({ topic: 'urn:x', topics: ['urn:x', 'urn:y'] }), 'sentinel']);
      });

      it('refuses names and values that are not UTF-8 (400), percent-encoded or raw, and publishes nothing of them', async () => {
        const hub = await start();
        const stream = await subscribe(hub, [['match', 'urn:utf8']]);
        const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
        const post = (body: string | Uint8Array<ArrayBuffer>): Promise<Response> =>
          hub.fetch(hub.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
        const bytes = (...parts: (string | number[])[]): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Uint8Array.from(p)))));
        // A lone byte, an encoded surrogate, a truncated sequence (in a value and in a name), raw bytes.
        for (const body of ['topic=urn%3Autf8&data=%FF', 'topic=urn%3Autf8&data=%ED%A0%80', 'topic=urn%3Autf8&id=%C3', 'topic=urn%3Autf8&%C3=x', bytes('topic=urn%3Autf8&data=', [0xc3, 0x28])]) {
          const res = await post(body);
          expect(res.status).toBe(400);
          expect(await res.text()).toMatch(/UTF-8/);
        }
        // Subscriptions too: matchers and cursors, in the query or a QUERY body.
        expect((await hub.fetch(`${hub.url}?match=%FF`)).status).toBe(400);
        const query = await hub.fetch(hub.url, { method: 'QUERY', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: bytes('match=urn%3Autf8&match=', [0xff]) });
        expect(query.status).toBe(400);
        // Valid UTF-8 either way is kept byte for byte (a leading BOM too), and a stray % stays as typed (URL standard).
        for (const body of ['topic=urn%3Autf8&data=%C3%A9t%C3%A9', bytes('topic=urn%3Autf8&data=', [0xc3, 0xa9, 0x74, 0xc3, 0xa9]), 'topic=urn%3Autf8&data=%EF%BB%BFbom', 'topic=urn%3Autf8&data=100%+sure%2']) {
          expect((await post(body)).status).toBe(200);
        }
        await sentinel(hub, stream, 'urn:utf8');
        expect(stream.events.map((e) => e.data)).toEqual(['été', 'été', '\uFEFFbom', '100% sure%2', 'sentinel']);
      });

      it('compiles each distinct pattern once and shares it: one evaluation per pattern per dispatch, whatever the connections', async () => {
        const hub = await start({ heartbeat: 0 });
        const patterns = Array.from({ length: 256 }, (_, i): [string, string] => ['match_urlpattern', `/r${i}/:id`]);
        for (let c = 0; c < 8; c++) await subscribe(hub, patterns, { headers: { authorization: `Bearer ${await sign({ sub: `client-${c}` })}` } });
        const reports: DispatchReport[] = [];
        hub.engine.on('dispatch', (r) => reports.push(r));
        await hub.engine.publishAsync({ topic: '/none/a' });
        await hub.engine.publishAsync({ topic: '/r255/a' });
        await expect.poll(() => reports.length).toBe(2);
        // 8 × 256 matchers, 256 distinct: each evaluated once (none matches, then the last one does).
        expect(reports).toEqual([
          expect.objectContaining({ recipients: 0, evaluations: 256, skipped: 0 }),
          expect.objectContaining({ recipients: 8, evaluations: 256, skipped: 0 }),
        ]);
      });

      it('refuses subscriptions beyond the per-client pattern budget with 429 and Retry-After', async () => {
        const hub = await start({ heartbeat: 0 });
        const statuses: number[] = [];
        // 64 anonymous connections from one address, each with 256 distinct URL patterns.
        for (let c = 0; c < 64; c++) {
          const params = Array.from({ length: 256 }, (_, i): [string, string] => ['match_urlpattern', `/c${c}/p${i}/:id`]);
          const res = await hub.fetch(subscribeUrl(hub.url, params));
          statuses.push(res.status);
          if (res.status === 429) expect(res.headers.get('retry-after')).toBe('5');
          if (res.status === 200) cleanups.push(() => res.body?.cancel());
          else await res.body?.cancel();
        }
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s === 429)).toHaveLength(63);
        // Exact topics cost nothing to match and are not limited by the pattern budget.
        const exact = await subscribe(hub, Array.from({ length: 256 }, (_, i): [string, string] => ['match', `urn:topic:${i}`]));
        expect(exact.response.status).toBe(200);
      });

      it('bounds the work of one dispatch; a pattern left without budget counts as not matching, and exact subscribers still receive', async () => {
        const hub = await start({ heartbeat: 0, limits: { dispatchUnits: 20_000, dispatchUnitsPerClient: 5_000 } });
        const stars = Array.from({ length: 8 }, () => '*').join('-');
        const hostile = Array.from({ length: 64 }, (_, i): [string, string] => ['match_urlpattern', `http://x/${stars}-z${i}`]);
        for (let c = 0; c < 8; c++) await subscribe(hub, hostile, { headers: { authorization: `Bearer ${await sign({ sub: `hostile-${c}` })}` } });
        const exact = await subscribe(hub, [['match', `http://x/${'-'.repeat(2000)}`]]);
        const reports: DispatchReport[] = [];
        hub.engine.on('dispatch', (r) => reports.push(r));
        const id = await hub.engine.publishAsync({ topic: `http://x/${'-'.repeat(2000)}` });
        expect((await exact.next()).id).toBe(id);
        const [report] = reports;
        expect(report?.units).toBeLessThanOrEqual(20_000);
        expect(report?.skipped).toBeGreaterThan(0);
      });

      it('keeps one client from spending another client\'s share of a dispatch', async () => {
        const hub = await start({ heartbeat: 0, limits: { dispatchUnits: 1_000_000, dispatchUnitsPerClient: 20_000 } });
        const stars = Array.from({ length: 8 }, () => '*').join('-');
        const hostile = Array.from({ length: 64 }, (_, i): [string, string] => ['match_urlpattern', `http://x/${stars}-z${i}`]);
        await subscribe(hub, hostile, { headers: { authorization: `Bearer ${await sign({ sub: 'hostile' })}` } });
        const fair = await subscribe(hub, [['match_urlpattern', 'http://x/*']], { headers: { authorization: `Bearer ${await sign({ sub: 'fair' })}` } });
        const reports: DispatchReport[] = [];
        hub.engine.on('dispatch', (r) => reports.push(r));
        const id = await hub.engine.publishAsync({ topic: `http://x/${'-'.repeat(1000)}` });
        expect((await fair.next()).id).toBe(id);
        expect(reports[0]?.skipped).toBeGreaterThan(0);
      });

      it('keeps subscription events out of the update history: connection churn cannot evict a resume point', async () => {
        const hub = await start({ subscriptions: true, history: 10, heartbeat: 0 });
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push(await hub.engine.publishAsync({ topic: BOOK, data: `u${i}` }));
        const matchers = Array.from({ length: 256 }, (_, i): [string, string] => ['match', `urn:churn:${i}`]);
        for (let cycle = 0; cycle < 4; cycle++) {
          const churn = await subscribe(hub, matchers);
          churn.close();
          await churn.ended;
        }
        await expect.poll(() => hub.engine.connections.length).toBe(0);
        // The memory transport shows its history; any transport must still resume from ids[0] below.
        if (hub.engine.transport.synchronous) expect(hub.engine.history.map((u) => u.id)).toEqual(ids);
        const resumed = await subscribe(hub, [['match', BOOK]], { headers: { 'last-event-id': ids[0] as string } });
        expect(resumed.response.headers.get('mercure-last-event-id')).toBe(ids[0]);
        await resumed.waitFor((e) => e.id === ids[9]);
        expect(resumed.events.map((e) => e.id)).toEqual(ids.slice(1));
      });

      it('answers 429 with Retry-After beyond the global connection cap', async () => {
        const hub = await start({ heartbeat: 0, limits: { connections: 2 } });
        const token = async (sub: string): Promise<RequestInit> => ({ headers: { authorization: `Bearer ${await sign({ sub })}` } });
        await subscribe(hub, [['match', 'a']], await token('one'));
        const second = await subscribe(hub, [['match', 'a']], await token('two'));
        const refused = await hub.fetch(subscribeUrl(hub.url, [['match', 'a']]), await token('three'));
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect(await refused.text()).toMatch(/as many connections as it accepts/);
        second.close();
        await second.ended;
        await expect.poll(() => hub.engine.connections.length).toBe(1);
        expect((await subscribe(hub, [['match', 'a']], await token('three'))).response.status).toBe(200);
      });
    });

    describe('active subscriptions', () => {
      const SUBSCRIPTIONS = '/.well-known/mercure/subscriptions/:matchType/:match/:subscriber';

      it('publishes private subscription events (type mercure) on connect and disconnect, with payloads', async () => {
        const hub = await start({ subscriptions: true });
        const watcherToken = await sign(v1Claims([{ actions: ['subscribe'], topics: [{ match: '/.well-known/mercure/subscriptions/*', matchType: 'URLPattern' }] }]));
        const watcher = await subscribe(hub, [['matchURLPattern', SUBSCRIPTIONS]], { headers: { authorization: `Bearer ${watcherToken}` } });
        const anonymousWatcher = await subscribe(hub, [['matchURLPattern', SUBSCRIPTIONS], ['match', 'end']]);
        const aliceToken = await sign({ sub: 'alice', ...v1Claims([{ actions: ['subscribe'], topics: [BOOK], payload: { name: 'Alice' } }]) });
        const alice = await subscribe(hub, [['match', BOOK]], { headers: { authorization: `Bearer ${aliceToken}` } });
        const connected = await watcher.waitFor((e) => e.data.includes('"alice"'));
        expect(connected.event).toBe('mercure');
        expect(JSON.parse(connected.data)).toEqual({
          '@context': 'https://mercure.rocks/',
          id: `/.well-known/mercure/subscriptions/exact/${encodeURIComponent(BOOK)}/alice`,
          type: 'Subscription',
          matchType: 'Exact',
          match: BOOK,
          subscriber: 'alice',
          active: true,
          payload: { name: 'Alice' },
        });
        alice.close();
        const gone = await watcher.waitFor((e) => e.data.includes('"alice"') && e.data.includes('"active":false'));
        expect(JSON.parse(gone.data)).toMatchObject({ subscriber: 'alice', active: false });
        await sentinel(hub, anonymousWatcher, 'end');
        expect(anonymousWatcher.events.map((e) => e.data)).toEqual(['sentinel']);
      });

      it('resumes from the id of a subscription event without replaying what came before it', async () => {
        const hub = await start({ subscriptions: true, heartbeat: 0 });
        const watcherToken = await sign(v1Claims([{ actions: ['subscribe'], topics: [{ match: '/.well-known/mercure/subscriptions/*', matchType: 'URLPattern' }] }]));
        const auth = { authorization: `Bearer ${watcherToken}` };
        const watcher = await subscribe(hub, [['matchURLPattern', SUBSCRIPTIONS], ['match', BOOK]], { headers: auth });
        const before = await (await pub(hub, [['topic', BOOK], ['data', 'before']])).text();
        await watcher.waitFor((e) => e.id === before);
        await subscribe(hub, [['match', 'urn:someone']]);
        // The watcher's last event is a subscription event: a client cut now resumes from its id.
        const event = await watcher.waitFor((e) => e.event === 'mercure' && e.data.includes('"urn:someone"'));
        expect(watcher.events.at(-1)).toBe(event);
        const after = await (await pub(hub, [['topic', BOOK], ['data', 'after']])).text();
        await watcher.waitFor((e) => e.id === after);
        const resumed = await subscribe(hub, [['matchURLPattern', SUBSCRIPTIONS], ['match', BOOK]], { headers: { ...auth, 'last-event-id': event.id ?? '' } });
        expect(resumed.response.headers.get('mercure-last-event-id')).toBe(event.id);
        await resumed.waitFor((e) => e.id === after);
        // (subscription events, its own among them, are live only and follow)
        expect(resumed.events.filter((e) => e.event !== 'mercure').map((e) => e.data)).toEqual(['after']);
      });

      it('serves the subscriptions API to authorized tokens only', async () => {
        const hub = await start({ subscriptions: true });
        const bobToken = await sign({ sub: 'bob', ...v1Claims([{ actions: ['subscribe'], topics: ['*'], payload: { role: 'reader' } }]) });
        await subscribe(hub, [['match', BOOK], ['matchURLPattern', 'https://example.com/authors/:id']], { headers: { authorization: `Bearer ${bobToken}` } });
        const last = await (await pub(hub, [['topic', 'x'], ['id', 'last-one']])).text();
        const base = new URL(hub.url);
        const get = (path: string, token?: string): Promise<Response> =>
          hub.fetch(new URL(path, base).href, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

        const collection = await get('/.well-known/mercure/subscriptions', bobToken);
        expect(collection.status).toBe(200);
        expect(collection.headers.get('content-type')).toBe('application/ld+json');
        const body = (await collection.json()) as { type: string; lastEventID: string; subscriptions: { matchType: string; match: string; subscriber: string; payload?: unknown }[] };
        expect(body).toMatchObject({ '@context': 'https://mercure.rocks/', id: '/.well-known/mercure/subscriptions', type: 'Subscriptions', lastEventID: last });
        expect(body.subscriptions.map((s) => [s.matchType, s.match, s.subscriber, s.payload])).toEqual([
          ['Exact', BOOK, 'bob', { role: 'reader' }],
          ['URLPattern', 'https://example.com/authors/:id', 'bob', { role: 'reader' }],
        ]);

        const byMatcher = await get(`/.well-known/mercure/subscriptions/URLPattern/${encodeURIComponent('https://example.com/authors/:id')}`, bobToken);
        expect(((await byMatcher.json()) as { subscriptions: unknown[] }).subscriptions).toHaveLength(1);
        const single = await get(`/.well-known/mercure/subscriptions/exact/${encodeURIComponent(BOOK)}/bob`, bobToken);
        expect(await single.json()).toMatchObject({ type: 'Subscription', subscriber: 'bob', active: true, lastEventID: last });
        expect((await get(`/.well-known/mercure/subscriptions/exact/${encodeURIComponent(BOOK)}/nobody`, bobToken)).status).toBe(404);
        expect((await get('/.well-known/mercure/subscriptions')).status).toBe(401);
        const narrow = await sign(v1Claims([{ actions: ['subscribe'], topics: [BOOK] }]));
        expect((await get('/.well-known/mercure/subscriptions', narrow)).status).toBe(403);
      });

      it('does not serve the subscriptions API when the feature is off', async () => {
        const hub = await start();
        const res = await hub.fetch(new URL('/.well-known/mercure/subscriptions', hub.url).href, { headers: { authorization: `Bearer ${await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]))}` } });
        expect(res.status).toBe(404);
      });
    });
  });
}
