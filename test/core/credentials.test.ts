import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseAuthError, SseDriver, isAuthError } from '../../src/index.js';
import type { SseError } from '../../src/index.js';
import { StreamHub } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a headers function that throws', () => {
  it('is a typed credentials error with its cause, and stops the retry loop like a 401 until new headers', async () => {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const cause = new Error('token store unavailable');
    const driver = new SseDriver({
      url: URL_,
      fetch: hub.fetch,
      protocol: 'v1',
      headers: () => {
        throw cause;
      },
      platform: { random: () => 1, events: undefined },
      onError: (e) => errors.push(e),
    });
    driver.subscribe('a', () => undefined);
    await tick(60_000);
    expect(hub.requests).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SseAuthError);
    expect(errors[0]).toMatchObject({ code: 'credentials', cause });
    expect(isAuthError(errors[0])).toBe(true);
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: errors[0] });
    await expect(driver.publish('a', 1)).rejects.toMatchObject({ code: 'credentials', cause });
    expect(hub.publishes).toHaveLength(0);
    driver.setHeaders({ Authorization: 'Bearer fresh' });
    await tick(10);
    expect(hub.requests).toHaveLength(1);
    expect(hub.last.headers.get('authorization')).toBe('Bearer fresh');
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    driver.destroy();
  });

  it('also covers header values no request can carry (not Latin-1)', async () => {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const driver = new SseDriver({
      url: URL_,
      fetch: hub.fetch,
      protocol: 'v1',
      headers: async () => ({ 'X-User': '日本' }),
      platform: { random: () => 1, events: undefined },
      onError: (e) => errors.push(e),
    });
    driver.subscribe('a', () => undefined);
    await tick(10_000);
    expect(hub.requests).toHaveLength(0);
    expect(errors.map((e) => e.code)).toEqual(['credentials']);
    expect(errors[0]?.cause).toBeInstanceOf(TypeError);
    driver.destroy();
  });
});
