import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { MockHub } from '../../src/mock/index.js';
import { SseProvider, useTabs, useTopic } from '../../src/react/index.js';
import { HubInspector } from '../../src/ui/index.js';
import { ChannelBus, LockBroker } from '../core/tabs/fakes.js';
import { loadTabGroup } from '../../src/core/tabs/TabLink.js';

const tick = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

// The election code is a lazily loaded chunk: loaded once here, a join under fake timers waits on no module loading.
beforeAll(() => loadTabGroup());

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** Tabs of one browser (shared fake Web Locks and BroadcastChannel) on one hub. */
function browser() {
  const hub = new MockHub({ heartbeat: 0 });
  const broker = new LockBroker();
  const bus = new ChannelBus();
  const open = () =>
    new SseDriver({
      url: hub.url,
      fetch: hub.fetch,
      platform: { events: undefined, random: () => 0.5 },
      tabs: { locks: broker.tab(), channel: (name) => bus.open(name), visible: () => true, events: new EventTarget() },
    });
  return { hub, open };
}

function Role() {
  const { role, tabs } = useTabs();
  return <p role="status">{`${role} ${tabs}`}</p>;
}

describe('useTabs and HubInspector', () => {
  it("follow this tab's role and the number of tabs sharing the stream", async () => {
    const b = browser();
    const leader = b.open();
    leader.subscribe('/a', () => {});
    await tick(1000);
    const follower = b.open();
    render(
      <SseProvider driver={follower}>
        <Role />
        <HubInspector />
      </SseProvider>,
    );
    await tick(1000);
    expect(screen.getByRole('status').textContent).toBe('follower 2');
    expect(document.querySelector('.sse-inspector')?.textContent).toContain('Follower tab · 2 tabs');
    expect(b.hub.connections).toBe(1);

    act(() => leader.destroy());
    await tick(2000);
    expect(screen.getByRole('status').textContent).toBe('leader 1');
    // A lone tab shows no sharing line.
    expect(document.querySelector('.sse-inspector')?.textContent).not.toMatch(/tab ·/);
    follower.destroy();
  });

  it('keeps the tab in its group and the shared stream open when the provider renders again with an inline headers function', async () => {
    const hub = new MockHub({ heartbeat: 0 });
    let subscribes = 0;
    hub.on('request', (record) => {
      if (record.method !== 'POST') subscribes++;
    });
    const broker = new LockBroker();
    const bus = new ChannelBus();
    const tabs = () => ({ locks: broker.tab(), channel: (name: string) => bus.open(name), visible: () => true, events: new EventTarget() });
    const roles: string[] = [];
    function Feed() {
      useTopic('https://example.com/a');
      roles.push(useTabs().role);
      return null;
    }
    const app = (n: number) => (
      // The same credentials, from a function made again at every render.
      <SseProvider url={hub.url} fetch={hub.fetch} platform={{ events: undefined, random: () => 0.5 }} tabs={tabs()} headers={() => ({ 'X-Client': 'app' })}>
        <Feed />
        <p>{n}</p>
      </SseProvider>
    );
    const view = render(app(0));
    await tick(1000);
    const other = new SseDriver({ url: hub.url, fetch: hub.fetch, platform: { events: undefined, random: () => 0.5 }, headers: { 'X-Client': 'app' }, tabs: tabs() });
    other.subscribe('https://example.com/b', () => {});
    await tick(1000);
    expect(other.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    const before = subscribes;
    roles.length = 0;
    for (let n = 1; n <= 3; n++) {
      view.rerender(app(n));
      await tick(100);
    }
    expect(new Set(roles)).toEqual(new Set(['leader']));
    expect(other.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(subscribes).toBe(before);
    expect(hub.connections).toBe(1);
    other.destroy();
  });
});
