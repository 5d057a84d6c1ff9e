import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, SseNetworkError } from '../../src/index.js';
import type { SseDriverOptions } from '../../src/index.js';
import { StreamHub } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A hub whose publish endpoint never answers, like a browser with all six sockets held by streams. */
function stalledHub() {
  const hub = new StreamHub();
  hub.onPublish = () => new Promise<Response>(() => undefined);
  return hub;
}

function setup(hub: StreamHub, options: Partial<SseDriverOptions> = {}) {
  return new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined }, ...options });
}

describe('publish deadline', () => {
  it('rejects a publish that gets no answer with a typed timeout after 10 s by default, and aborts it', async () => {
    const hub = stalledHub();
    const driver = setup(hub);
    const result = driver.publish('a', { hello: 1 }, { id: 'urn:uuid:p1' }).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await tick(9_999);
    expect(await Promise.race([result, Promise.resolve('pending')])).toBe('pending');
    await tick(1);
    const error = await result;
    expect(error).toBeInstanceOf(SseNetworkError);
    expect(error).toMatchObject({ code: 'timeout' });
    expect((error as Error).message).toContain('urn:uuid:p1');
    expect(hub.publishes[0]?.init.signal?.aborted).toBe(true);
    await expect(driver.whenIdle(1)).resolves.toBeUndefined();
    driver.destroy();
  });

  it('takes the publishTimeout option, and a headers function that hangs is bounded too', async () => {
    const hub = stalledHub();
    const driver = setup(hub, { publishTimeout: 2000, headers: () => new Promise<HeadersInit>(() => undefined) });
    const result = driver.publish('a', 1).catch((error: unknown) => error);
    await tick(2000);
    expect(await result).toMatchObject({ code: 'timeout' });
    expect(hub.publishes).toHaveLength(0);
    driver.destroy();
  });

  it('rejects at once with aborted, or closed on destroy(), while a headers function is still running', async () => {
    const hub = new StreamHub();
    let refreshed!: () => void;
    const driver = setup(hub, { headers: () => new Promise<HeadersInit>((resolve) => (refreshed = () => resolve({}))) });
    const controller = new AbortController();
    const aborted = driver.publish('a', 1, { signal: controller.signal }).catch((error: unknown) => error);
    const closed = driver.publish('a', 2).catch((error: unknown) => error);
    await tick();
    controller.abort();
    await tick();
    expect(await Promise.race([aborted, Promise.resolve('pending')])).toMatchObject({ code: 'aborted' });
    driver.destroy();
    await tick();
    expect(await Promise.race([closed, Promise.resolve('pending')])).toMatchObject({ code: 'closed' });
    refreshed();
    await tick();
    expect(hub.publishes).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves a publish that answers in time alone', async () => {
    const hub = new StreamHub();
    const driver = setup(hub, { publishTimeout: 2000 });
    await expect(driver.publish('a', 1, { id: 'urn:uuid:ok' })).resolves.toBe('urn:uuid:ok');
    await tick(5000);
    driver.destroy();
  });
});
