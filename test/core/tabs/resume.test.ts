import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../../src/core/SseDriver.js';
import type { CursorStorage } from '../../../src/core/tabs/cursorStore.js';
import { MockHub } from '../../../src/mock/index.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Session storage of one tab. */
function storage(): CursorStorage & { readonly items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

function page(hub: MockHub, resume: CursorStorage | false, events = new EventTarget()) {
  const got: unknown[] = [];
  const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', tabs: false, resume, platform: { events } });
  driver.subscribe(['/feed', '/other'], (u) => got.push(u.data));
  return { driver, got, events };
}

describe('resume across reloads', () => {
  it('a reloaded page resumes from the last id the previous page got: the updates published in between arrive', async () => {
    const hub = new MockHub();
    const session = storage();
    const first = page(hub, session);
    await tick(50);
    for (const i of [1, 2]) await first.driver.publish('/feed', i);
    await tick(20);
    first.events.dispatchEvent(new Event('pagehide'));
    first.driver.destroy();
    hub.publish({ topic: '/feed', data: JSON.stringify({ 'sse-kit': 1, id: 'urn:uuid:x', topic: '/feed', sender: 's', payload: 'while away' }), id: 'urn:uuid:x' });

    const reloaded = page(hub, session);
    await tick(50);
    expect(first.got).toEqual([1, 2]);
    expect(reloaded.got).toEqual(['while away']);
    reloaded.driver.destroy();
  });

  it('the cursor saved by destroy() after every subscription left (a provider unmounting first) is kept under the set they had', async () => {
    const hub = new MockHub();
    const session = storage();
    const events = new EventTarget();
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', tabs: false, resume: session, platform: { events } });
    const off = driver.subscribe(['/feed', '/other'], () => undefined);
    await tick(50);
    await driver.publish('/feed', 1);
    await tick(20);
    off();
    driver.destroy();
    // Before the fix, it was saved under the empty set, where no stream ever reads it.
    expect([...session.items.keys()].map((k) => k.split('\n').slice(1).join('\n'))).toEqual(['t:/feed\nt:/other']);
    hub.publish({ topic: '/feed', data: JSON.stringify({ 'sse-kit': 1, id: 'urn:uuid:z', topic: '/feed', sender: 's', payload: 'while away' }), id: 'urn:uuid:z' });
    const next = page(hub, session);
    await tick(50);
    expect(next.got).toEqual(['while away']);
    next.driver.destroy();
  });

  it('resume: false starts blind', async () => {
    const hub = new MockHub();
    const first = page(hub, false);
    await tick(50);
    await first.driver.publish('/feed', 1);
    await tick(20);
    first.driver.destroy();
    hub.publish({ topic: '/feed', data: JSON.stringify({ 'sse-kit': 1, id: 'urn:uuid:y', topic: '/feed', sender: 's', payload: 'while away' }), id: 'urn:uuid:y' });
    const reloaded = page(hub, false);
    await tick(50);
    expect(reloaded.got).toEqual([]);
    reloaded.driver.destroy();
  });

  it('the cursor is kept per matcher set: another set starts without it', async () => {
    const hub = new MockHub();
    const session = storage();
    const first = page(hub, session);
    await tick(50);
    await first.driver.publish('/feed', 1);
    await tick(20);
    first.driver.destroy();
    expect([...session.items.values()]).toHaveLength(1);
    const other = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', tabs: false, resume: session, platform: { events: undefined } });
    other.subscribe('/feed', () => {});
    await tick(50);
    expect(hub.subscriptions[0]?.lastEventId).toBeUndefined();
    other.destroy();
  });

  it('storage that throws (denied) is ignored', async () => {
    const hub = new MockHub();
    const denied: CursorStorage = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    const p = page(hub, denied);
    await tick(50);
    await p.driver.publish('/feed', 1);
    await tick(20);
    expect(p.got).toEqual([1]);
    expect(() => p.driver.destroy()).not.toThrow();
  });
});
