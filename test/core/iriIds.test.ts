import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const IRI = 'https://example.com/livres/日本';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([
  ['v1', 'last_event_id'],
  ['legacy', 'lastEventID'],
] as const)('an IRI event id (%s)', (protocol, param) => {
  it('resumes through the query parameter instead of a header it cannot travel in', async () => {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol, platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
    const got: SseUpdate[] = [];
    driver.subscribe('https://example.com/livres', (u) => got.push(u));
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'https://example.com/livres', 1, { sseId: IRI }));
    await tick();
    hub.last.fail();
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.url.searchParams.get(param)).toBe(IRI);
    expect(hub.last.headers.get('last-event-id')).toBeNull();
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', lastEventId: IRI });
    hub.last.push(envelopeEvent('m2', 'https://example.com/livres', 2, { sseId: 'https://example.com/livres/中国' }));
    await tick();
    expect(got.map((u) => u.data)).toEqual([1, 2]);
    expect(errors.map((e) => e.code)).toEqual(['network']);
    driver.destroy();
  });
});

it('sends a Latin-1 id in the Last-Event-ID header as before', async () => {
  const hub = new StreamHub();
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined } });
  driver.subscribe('a', () => undefined);
  await tick(10);
  hub.last.push(envelopeEvent('m1', 'a', 1, { sseId: 'urn:uuid:café' }));
  await tick();
  hub.last.fail();
  await tick(1000);
  expect(hub.last.headers.get('last-event-id')).toBe('urn:uuid:café');
  expect(hub.last.url.searchParams.has('last_event_id')).toBe(false);
  driver.destroy();
});

it('turns an EventSource that throws on construction into a typed error, not an unhandled exception', async () => {
  const errors: SseError[] = [];
  class ThrowingEventSource extends EventTarget {
    readonly readyState = 0;
    constructor(url: string) {
      super();
      throw new SyntaxError(`Cannot open ${url}`);
    }
    close(): void {}
  }
  const driver = new SseDriver({
    url: URL_,
    transport: 'eventsource',
    EventSource: ThrowingEventSource,
    platform: { random: () => 1, events: undefined },
    onError: (e) => errors.push(e),
  });
  driver.subscribe('a', () => undefined);
  await tick(10);
  expect(driver.getSnapshot().status).toBe('error');
  expect(errors.map((e) => e.code)).toEqual(['misuse']);
  expect(errors[0]?.cause).toBeInstanceOf(SyntaxError);
  driver.destroy();
});
