import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

interface Book {
  readonly title: string;
}

function parseBook(data: unknown): Book {
  if (typeof data === 'object' && data !== null && typeof (data as { title?: unknown }).title === 'string') return { title: (data as { title: string }).title };
  throw new TypeError('not a book');
}

describe('subscribe({ parse })', () => {
  it('infers the data type from parse, skips what it refuses with a typed parse error, and goes on', async () => {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const own: SseError[] = [];
    const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined }, onError: (e) => errors.push(e) });
    const titles: string[] = [];
    driver.subscribe(
      'a',
      (update) => {
        expectTypeOf(update.data).toEqualTypeOf<Book>();
        titles.push(update.data.title);
      },
      { parse: parseBook, onError: (e) => own.push(e) },
    );
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', { title: 'Dune' }) + envelopeEvent('m2', 'a', { price: 3 }) + envelopeEvent('m3', 'a', { title: 'Emma' }));
    await tick();
    expect(titles).toEqual(['Dune', 'Emma']);
    expect(own.map((e) => e.code)).toEqual(['parse']);
    expect(own[0]?.cause).toBeInstanceOf(TypeError);
    expect(errors.map((e) => e.code)).toEqual(['parse']);
    driver.destroy();
  });

  it('without parse, the type argument is an explicit, unchecked cast', () => {
    const driver = new SseDriver({ url: URL_, platform: { events: undefined } });
    const off = driver.subscribe<Book>('a', (update) => expectTypeOf(update.data).toEqualTypeOf<Book>());
    off();
    driver.destroy();
  });
});
