import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockHub } from '../../../src/mock/index.js';
import { ChannelBus, LockBroker } from './fakes.js';

afterEach(() => {
  vi.doUnmock('../../../src/core/tabs/TabGroup.js');
  vi.resetModules();
});

/** The election is a chunk loaded with the first join: a chunk that fails to load costs the sharing, never the stream. */
describe('the lazily loaded election', () => {
  it('fails to load: the tab keeps its own stream; the next join (new credentials) loads it again and shares', async () => {
    vi.resetModules();
    vi.doMock('../../../src/core/tabs/TabGroup.js', () => {
      throw new Error('chunk failed to load (offline)');
    });
    // A fresh module graph: the driver's tab link has not loaded the election yet.
    const { SseDriver } = await import('../../../src/core/SseDriver.js');
    const hub = new MockHub();
    const bus = new ChannelBus();
    const broker = new LockBroker(0);
    const tabs = () => ({ locks: broker.tab(), channel: (name: string) => bus.open(name), visible: () => true, events: new EventTarget() });
    const first = new SseDriver({ url: hub.url, protocol: 'v1', fetch: hub.fetch, platform: { events: undefined }, tabs: tabs() });
    const got: unknown[] = [];
    first.subscribe('/a', (u) => got.push(u.data));
    await vi.waitFor(() => expect(first.getSnapshot().status).toBe('open'), { timeout: 10_000 });
    expect(first.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    await first.publish('/a', 'still delivered');
    await vi.waitFor(() => expect(got).toEqual(['still delivered']), { timeout: 10_000 });

    vi.doUnmock('../../../src/core/tabs/TabGroup.js');
    first.setHeaders({ 'X-Session': 'renewed' });
    const second = new SseDriver({ url: hub.url, protocol: 'v1', fetch: hub.fetch, platform: { events: undefined }, tabs: tabs(), headers: { 'X-Session': 'renewed' } });
    second.subscribe('/b', () => {});
    await vi.waitFor(() => {
      expect(first.getTabs()).toEqual({ role: 'leader', tabs: 2 });
      expect(second.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    }, { timeout: 10_000 });
    first.destroy();
    second.destroy();
  });
});
