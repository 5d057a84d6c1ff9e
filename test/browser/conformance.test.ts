import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub } from '../../src/hub/index.js';
import type { NodeHub } from '../../src/hub/index.js';
import { TEST_KEY, sign, v1Claims } from '../hub/helpers.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

interface Received {
  readonly type: string;
  readonly id: string;
  readonly data: string;
}

interface PublishAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
}

declare global {
  interface Window {
    __subs: Record<string, { source: EventSource; got: Received[] }>;
  }
}

/**
 * The Node hub against the native `EventSource` of Debian Chromium: what a browser receives
 * must be exactly what was published.
 */
describe('Node hub with the native EventSource of Chromium', () => {
  let hub: NodeHub;
  let browser: Browser;
  let page: Page;
  let publisher: string;
  let reader: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing at ${CHROMIUM}. Install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH).`);
    }
    // The private EventSource below authenticates with the access_token query parameter, an opt-in.
    hub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY, queryToken: true });
    publisher = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    reader = await sign(v1Claims([{ actions: ['subscribe'], topics: [{ match: 'https://example.com/books/:id', matchType: 'URLPattern' }] }]));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    const status = await page.goto(new URL('/', hub.url).href);
    expect(status?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('sse-kit hub');
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  async function subscribe(name: string, params: readonly (readonly [string, string])[]): Promise<void> {
    const query = new URLSearchParams([...params.map(([k, v]) => [k, v] as [string, string]), ['match', 'final']]).toString();
    await page.evaluate(
      ({ name, query }) =>
        new Promise<void>((resolve, reject) => {
          window.__subs ??= {};
          const source = new EventSource(`/.well-known/mercure?${query}`);
          const got: Received[] = [];
          source.addEventListener('message', (e) => got.push({ type: e.type, id: e.lastEventId, data: e.data }));
          source.onopen = () => resolve();
          source.onerror = () => reject(new Error(`subscription ${name} failed`));
          window.__subs[name] = { source, got };
        }),
      { name, query },
    );
  }

  function publishFromPage(fields: readonly (readonly [string, string])[]): Promise<PublishAnswer> {
    return page.evaluate(
      async ({ fields, token }) => {
        const res = await fetch('/.well-known/mercure', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams(fields) });
        return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
      },
      { fields: fields.map(([k, v]) => [k, v] as [string, string]), token: publisher },
    );
  }

  it('delivers exactly the matching updates, byte-identical, with type message and the published id', async () => {
    await subscribe('raw', [['match', 'chat']]);
    await subscribe('several', [['match', 'chat'], ['match', 'https://example.com/books/1'], ['matchURLPattern', 'https://example.com/authors/:id']]);
    await subscribe('uri', [['match', 'https://example.com/books/1']]);
    await subscribe('pattern', [['match_urlpattern', 'https://example.com/books/:id']]);
    await subscribe('private', [['match_urlpattern', 'https://example.com/books/:id'], ['access_token', reader]]);

    const multiLine = 'first line\n\nthird line after an empty one\n  indented: yes\nunicode ✓ é\n';
    const publications: { fields: [string, string][]; expectedBy: string[] }[] = [
      { fields: [['topic', 'chat'], ['data', 'hello'], ['id', 'urn:test:chat-1']], expectedBy: ['raw', 'several'] },
      { fields: [['topic', 'Chat'], ['data', 'wrong case']], expectedBy: [] },
      { fields: [['topic', 'https://example.com/books/1'], ['data', multiLine], ['id', 'urn:test:book-1']], expectedBy: ['several', 'uri', 'pattern', 'private'] },
      { fields: [['topic', 'https://example.com/books/2'], ['data', '{"id":2}'], ['id', 'book-2']], expectedBy: ['pattern', 'private'] },
      { fields: [['topic', 'https://example.com/books/1/reviews'], ['data', 'deeper path']], expectedBy: [] },
      { fields: [['topic', 'https://example.com/authors/9'], ['data', 'author'], ['id', 'author-9']], expectedBy: ['several'] },
      { fields: [['topic', 'https://example.org/books/1'], ['data', 'other host']], expectedBy: [] },
      { fields: [['topic', 'https://example.com/books/3'], ['data', 'for readers only'], ['id', 'secret-3'], ['private', 'on']], expectedBy: ['private'] },
    ];
    const expected: Record<string, Received[]> = { raw: [], several: [], uri: [], pattern: [], private: [] };
    for (const { fields, expectedBy } of publications) {
      const answer = await publishFromPage(fields);
      const id = fields.find(([k]) => k === 'id')?.[1];
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/plain/);
      if (id !== undefined) expect(answer.body).toBe(id);
      else expect(answer.body).toMatch(/^urn:uuid:/);
      const data = fields.find(([k]) => k === 'data')?.[1] ?? '';
      for (const name of expectedBy) expected[name]?.push({ type: 'message', id: answer.body, data });
    }
    const final = await publishFromPage([['topic', 'final'], ['data', 'final']]);
    for (const list of Object.values(expected)) list.push({ type: 'message', id: final.body, data: 'final' });

    await page.waitForFunction(() => Object.values(window.__subs).every((s) => s.got.some((e) => e.data === 'final')), undefined, { timeout: 10_000 });
    const received = await page.evaluate(() => Object.fromEntries(Object.entries(window.__subs).map(([name, s]) => [name, s.got])));
    expect(received).toEqual(expected);
  });
});
