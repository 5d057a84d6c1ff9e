import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { FetchLike, SseError } from '../../src/index.js';
import { StreamHub } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** The CORS-safelisted request headers (Fetch standard) a simple request may carry. */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'range']);

describe('a plain SSE server that answers simple CORS only', () => {
  it('gets a simple request: no Cache-Control (or other non-safelisted) header, no-store as the fetch cache option', async () => {
    const hub = new StreamHub();
    const inits: RequestInit[] = [];
    const fetch: FetchLike = (input, init) => {
      inits.push(init ?? {});
      return hub.fetch(input, init);
    };
    const driver = new SseDriver({ url: URL_, fetch, protocol: 'v1', platform: { events: undefined } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    const names = [...hub.last.headers.keys()];
    expect(names.filter((name) => !SAFELISTED.has(name))).toEqual([]);
    expect(hub.last.headers.get('cache-control')).toBeNull();
    expect(inits[0]?.cache).toBe('no-store');
    expect(inits[0]?.method).toBe('GET');
    driver.destroy();
  });
});

describe('a CORS refusal in a browser', () => {
  function refusing() {
    vi.stubGlobal('location', { origin: 'http://localhost:3000' });
    let calls = 0;
    // As a browser does: a cors-mode request to a server without CORS headers fails like a network
    // error; a no-cors request reaches it (an opaque response).
    const fetch: FetchLike = async (_input, init) => {
      if (init?.mode === 'no-cors') return new Response(null, { status: 200 });
      calls++;
      throw new TypeError('Failed to fetch');
    };
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: URL_, fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
    return { driver, errors, calls: () => calls };
  }

  it('is a typed cors error with a hint, retried a bounded number of times, then stopped until reconnect()', async () => {
    const { driver, errors, calls } = refusing();
    driver.subscribe('a', () => undefined);
    await tick(10 * 60_000);
    expect(calls()).toBe(5);
    expect(errors).toHaveLength(5);
    expect(errors.every((e) => e.code === 'cors')).toBe(true);
    expect(errors[0]?.hint).toContain('Access-Control-Allow-Origin');
    expect(errors[0]?.cause).toBeInstanceOf(TypeError);
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: expect.objectContaining({ code: 'cors' }) });
    driver.reconnect();
    await tick(10);
    expect(calls()).toBe(6);
    driver.destroy();
  });

  it('keeps an ordinary network error when the cross-origin server is down (the no-cors probe fails too)', async () => {
    vi.stubGlobal('location', { origin: 'http://localhost:3000' });
    const errors: SseError[] = [];
    const driver = new SseDriver({
      url: URL_,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      protocol: 'v1',
      platform: { random: () => 1, events: undefined },
      onError: (e) => errors.push(e),
    });
    driver.subscribe('a', () => undefined);
    await tick(60_000);
    expect(errors.length).toBeGreaterThan(5);
    expect(errors.every((e) => e.code === 'network')).toBe(true);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    driver.destroy();
  });

  it('aborts the no-cors probe when the driver is destroyed while it waits for an answer', async () => {
    vi.stubGlobal('location', { origin: 'http://localhost:3000' });
    let probeSignal: AbortSignal | undefined;
    const fetch: FetchLike = (_input, init) => {
      if (init?.mode !== 'no-cors') return Promise.reject(new TypeError('Failed to fetch'));
      probeSignal = init.signal ?? undefined;
      // A server that accepts the probe but never answers it.
      return new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    };
    const driver = new SseDriver({ url: URL_, fetch, protocol: 'v1', platform: { events: undefined } });
    driver.subscribe('a', () => undefined);
    await tick(10);
    expect(probeSignal?.aborted).toBe(false);
    driver.destroy();
    await tick(0);
    expect(probeSignal?.aborted).toBe(true);
  });

  it('keeps an ordinary network error for a same-origin hub', async () => {
    vi.stubGlobal('location', { origin: 'http://localhost:8080' });
    const errors: SseError[] = [];
    const driver = new SseDriver({
      url: URL_,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      protocol: 'v1',
      platform: { random: () => 1, events: undefined },
      onError: (e) => errors.push(e),
    });
    driver.subscribe('a', () => undefined);
    await tick(60_000);
    expect(errors.length).toBeGreaterThan(5);
    expect(errors.every((e) => e.code === 'network')).toBe(true);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    driver.destroy();
  });
});
