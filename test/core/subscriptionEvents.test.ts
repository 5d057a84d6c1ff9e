import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { encodeEnvelope } from '../../src/core/envelope.js';
import { StreamHub, sse } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A subscription event as legacy hubs send it: a plain message (no `event: mercure`), JSON-LD data. */
function legacySubscriptionEvent(topic: string, active: boolean, id: string): string {
  const subscription = `https://example.com/.well-known/mercure/subscriptions/${encodeURIComponent(topic)}/urn%3Auuid%3Abob`;
  const data = JSON.stringify({ '@context': 'https://mercure.rocks/', id: subscription, type: 'Subscription', topic, subscriber: 'urn:uuid:bob', active, payload: null });
  return sse({ id, data });
}

describe.each(['v1', 'legacy'] as const)('subscription events without a type (%s wire)', (protocol) => {
  it('routes them by their JSON to the subscriptions whose matcher selects them', async () => {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol, platform: { events: undefined }, onError: (e) => errors.push(e) });
    const presence: SseUpdate<{ topic: string; active: boolean }>[] = [];
    const other: SseUpdate[] = [];
    driver.subscribe({ pattern: 'https://example.com/.well-known/mercure/subscriptions/:topic/:subscriber' }, (u) => presence.push(u as (typeof presence)[number]));
    driver.subscribe('https://example.com/books/1', (u) => other.push(u));
    await tick(10);
    hub.last.push(legacySubscriptionEvent('https://example.com/books/1', true, 's1'));
    hub.last.push(legacySubscriptionEvent('https://example.com/books/1', false, 's2'));
    await tick();
    expect(presence.map((u) => [u.data.topic, u.data.active, u.type, u.id])).toEqual([
      ['https://example.com/books/1', true, 'message', 's1'],
      ['https://example.com/books/1', false, 'message', 's2'],
    ]);
    expect(presence[0]?.topic).toMatch(/^https:\/\/example\.com\/\.well-known\/mercure\/subscriptions\//);
    expect(other).toEqual([]);
    expect(errors).toEqual([]);
    driver.destroy();
  });
});

it('still treats a foreign message that merely mentions "Subscription" as a foreign update', async () => {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined }, onError: (e) => errors.push(e) });
  driver.subscribe('a', () => undefined);
  await tick(10);
  hub.last.push(sse({ id: 'x1', data: '{"type":"Order","note":"Subscription"}' }));
  await tick();
  expect(errors.map((e) => e.code)).toEqual(['unroutable']);
  driver.destroy();
});

it('an sse-kit update whose payload is a subscription’s JSON stays an update of its topic, read raw or not', async () => {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'legacy', platform: { events: undefined }, onError: (e) => errors.push(e) });
  const got: SseUpdate[] = [];
  const raw: SseUpdate[] = [];
  const presence: SseUpdate[] = [];
  driver.subscribe('https://example.com/books/1', (u) => got.push(u));
  driver.subscribe('https://example.com/books/1', (u) => raw.push(u), { raw: true });
  driver.subscribe({ pattern: 'https://example.com/.well-known/mercure/subscriptions/:topic/:subscriber' }, (u) => presence.push(u));
  await tick(10);
  const payload = { '@context': 'https://mercure.rocks/', id: 'https://example.com/.well-known/mercure/subscriptions/x/y', type: 'Subscription', active: true };
  const data = encodeEnvelope('urn:uuid:1', ['https://example.com/books/1'], 'me', payload);
  expect(hub.open.length).toBe(2); // the shared stream, and the raw subscription’s own
  for (const stream of hub.open) stream.push(sse({ id: 'urn:uuid:1', data }));
  await tick();
  expect(got.map((u) => [u.topic, u.data])).toEqual([['https://example.com/books/1', payload]]);
  expect(raw.map((u) => [u.topic, u.data])).toEqual([['https://example.com/books/1', data]]);
  expect(presence).toEqual([]);
  expect(errors).toEqual([]);
  driver.destroy();
});

it('reads data that starts like an sse-kit envelope but is none as a foreign update, never as a subscription event', async () => {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'legacy', platform: { events: undefined }, onError: (e) => errors.push(e) });
  const presence: SseUpdate[] = [];
  driver.subscribe({ pattern: 'https://example.com/.well-known/mercure/subscriptions/:topic/:subscriber' }, (u) => presence.push(u));
  await tick(10);
  // The envelope's prefix, then a subscription's members (no sender, no payload): not an envelope.
  const subscription = 'https://example.com/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2Fbooks%2F1/urn%3Auuid%3Abob';
  const data = `{"sse-kit":1,"id":"${subscription}","type":"Subscription","topic":"https://example.com/books/1","active":true}`;
  hub.last.push(sse({ id: 'x1', data }));
  await tick();
  expect(presence).toEqual([]);
  expect(errors.map((e) => e.code)).toEqual(['unroutable']);
  driver.destroy();
});
