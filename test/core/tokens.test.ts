import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';
import { accessToken, legacyToken } from './tokens.js';

const KEY = 'core-token-test-key-0123456789abcdef';
const BOOK = 'https://example.com/books/1';
/**
 * Token checks run in real time (WebCrypto), outside the fake clock: wait for what they lead to,
 * advancing fake time as real time passes (bounded, for a busy machine).
 */
const until = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 10 });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function driver(hub: MockHub, token: string, errors: SseError[]): SseDriver {
  return new SseDriver({ url: hub.url, fetch: hub.fetch, headers: { Authorization: `Bearer ${token}` }, platform: { events: undefined }, onError: (e) => errors.push(e) });
}

describe('tokens of the shape the Mercure specification gives', () => {
  it('an at+jwt access token with authorization_details publishes and reads private updates on a strict hub', async () => {
    const hub = new MockHub({ publisherKey: KEY, subscriberKey: KEY, strict: true, audience: 'https://example.com/.well-known/mercure' });
    const errors: SseError[] = [];
    const reader = driver(hub, await accessToken([{ actions: ['subscribe'], topics: [{ pattern: 'https://example.com/books/:id' }] }], { key: KEY }), errors);
    const writer = driver(hub, await accessToken([{ actions: ['publish'], topics: [BOOK] }], { key: KEY }), errors);
    const got: SseUpdate[] = [];
    reader.subscribe(BOOK, (u) => got.push(u));
    await until(() => expect(reader.getSnapshot().status).toBe('open'));
    await writer.publish(BOOK, { title: 'Dune' }, { private: true });
    await until(() => expect(got.map((u) => u.data)).toEqual([{ title: 'Dune' }]));
    expect(errors).toEqual([]);
    reader.destroy();
    writer.destroy();
    hub.close();
  });

  it('the legacy mercure claim works with a hub that accepts it', async () => {
    const hub = new MockHub({ publisherKey: KEY, subscriberKey: KEY });
    const errors: SseError[] = [];
    const reader = driver(hub, await legacyToken({ subscribe: ['https://example.com/books/{id}'] }, KEY), errors);
    const writer = driver(hub, await legacyToken({ publish: ['*'] }, KEY), errors);
    const got: SseUpdate[] = [];
    reader.subscribe(BOOK, (u) => got.push(u));
    await until(() => expect(reader.getSnapshot().status).toBe('open'));
    await writer.publish(BOOK, 1, { private: true });
    await until(() => expect(got.map((u) => u.data)).toEqual([1]));
    expect(errors).toEqual([]);
    reader.destroy();
    writer.destroy();
    hub.close();
  });
});
