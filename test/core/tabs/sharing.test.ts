import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../../src/core/SseDriver.js';
import type { DriverEvent, SseDriverOptions, SseUpdate } from '../../../src/core/types.js';
import { SseAuthError, SseGapError, SseRateLimitError, type SseError } from '../../../src/core/errors.js';
import { MockHub } from '../../../src/mock/index.js';
import type { MockHubOptions } from '../../../src/mock/types.js';
import { watchPresence } from '../../../src/core/protocols/presence.js';
import { v1Claims } from '../../hub/helpers.js';
import { ChannelBus, LockBroker, type FakeChannel, type FakeLocks } from './fakes.js';
import { loadTabGroup } from '../../../src/core/tabs/TabLink.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

/** One browser: its lock manager and channels, and the hub its tabs talk to. */
function browser(lockAnswerDelay = 0, hubOptions: MockHubOptions = {}) {
  const hub = new MockHub(hubOptions);
  const broker = new LockBroker(lockAnswerDelay);
  const bus = new ChannelBus();
  const tabs: Tab[] = [];

  interface Tab {
    readonly driver: SseDriver;
    readonly locks: FakeLocks;
    readonly events: EventTarget;
    readonly channels: FakeChannel[];
    visible: boolean;
    /** Ends the tab as a renderer crash does: locks released, channels gone, requests cut, no goodbye. */
    crash(): void;
  }

  /** @param lockDelay - ms before the tab's lock requests reach the lock manager (see `LockBroker.tab`). */
  function open(options: Partial<SseDriverOptions> = {}, lockDelay = 0): Tab {
    const locks = broker.tab(lockDelay);
    const events = new EventTarget();
    const channels: FakeChannel[] = [];
    let crashed = false;
    const aborts = new Set<AbortController>();
    const tab: Tab = {
      locks,
      events,
      channels,
      visible: true,
      crash() {
        crashed = true;
        broker.crash(locks);
        for (const c of channels) c.close();
        for (const a of aborts) a.abort();
      },
      driver: new SseDriver({
        url: hub.url,
        protocol: 'v1',
        platform: { events: undefined, random: () => 0.5 },
        fetch: (input, init) => {
          if (crashed) return Promise.reject(new TypeError('crashed'));
          const abort = new AbortController();
          aborts.add(abort);
          init?.signal?.addEventListener('abort', () => abort.abort());
          return hub.fetch(input, { ...init, signal: abort.signal });
        },
        tabs: {
          locks,
          channel: (name) => {
            const channel = bus.open(name);
            channels.push(channel);
            return channel;
          },
          visible: () => tab.visible,
          events,
        },
        ...options,
      }),
    };
    tabs.push(tab);
    return tab;
  }

  return { hub, broker, bus, open, tabs };
}

function collect() {
  const updates: SseUpdate[] = [];
  return { updates, listener: (u: SseUpdate) => updates.push(u), data: () => updates.map((u) => u.data) };
}

/** A browser whose leader tab and follower tab (with `followerOptions`) both subscribe to `/feed`, the stream open. */
async function leaderAndFollower(followerOptions: Partial<SseDriverOptions> = {}, onFollowerUpdate: (u: SseUpdate) => void = () => {}) {
  const b = browser();
  const leader = b.open();
  const follower = b.open(followerOptions);
  leader.driver.subscribe('/feed', () => {});
  follower.driver.subscribe('/feed', onFollowerUpdate);
  await tick(100);
  return { b, leader, follower };
}

// The election code is a lazily loaded chunk: loaded once here, a join under fake timers waits on no module loading.
beforeAll(() => loadTabGroup());

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('tabs share one stream', () => {
  it('three tabs hold one hub connection carrying the union of their matchers; each gets only its own topics', async () => {
    const b = browser();
    const [a, c, d] = [b.open(), b.open(), b.open()];
    const got = [collect(), collect(), collect()];
    a.driver.subscribe('/a', got[0]!.listener);
    c.driver.subscribe('/c', got[1]!.listener);
    d.driver.subscribe(['/c', '/d'], got[2]!.listener);
    await tick(2000);

    expect(b.hub.connections).toBe(1);
    expect(a.driver.getTabs()).toEqual({ role: 'leader', tabs: 3 });
    expect(c.driver.getTabs()).toEqual({ role: 'follower', tabs: 3 });
    expect(d.driver.getTabs()).toEqual({ role: 'follower', tabs: 3 });
    expect(b.hub.subscriptions[0]?.matchers.map((m) => m.match).sort()).toEqual(['/a', '/c', '/d']);

    await c.driver.publish('/a', 'to a');
    await d.driver.publish('/c', 'to c');
    await a.driver.publish('/d', 'to d');
    await tick(50);
    expect(got[0]!.data()).toEqual(['to a']);
    expect(got[1]!.data()).toEqual(['to c']);
    expect(got[2]!.data()).toEqual(['to c', 'to d']);
    // Every publish left from the tab that made it.
    expect(b.hub.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
    // A follower shows the shared connection's status and cursor.
    expect(c.driver.getSnapshot().status).toBe('open');
    expect(d.driver.getSnapshot().lastEventId).toBe(a.driver.getSnapshot().lastEventId);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a tab whose messages arrive before its lock request is not taken for gone: counted, and its topics stay on the leader's stream", async () => {
    const b = browser();
    const leader = b.open();
    const got = collect();
    leader.driver.subscribe('/a', () => undefined);
    await tick(100);
    // The lock manager is a separate service from BroadcastChannel: the new tab's hello and matchers may
    // reach the leader before the request for the new tab's own lock reaches the lock manager.
    const late = b.open({}, 50);
    late.driver.subscribe('/late', got.listener);
    await tick(2000);

    expect(leader.driver.getTabs()).toEqual({ role: 'leader', tabs: 2 });
    expect(late.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(b.hub.connections).toBe(1);
    expect(b.hub.subscriptions[0]?.matchers.map((m) => m.match).sort()).toEqual(['/a', '/late']);
    await leader.driver.publish('/late', 'to late');
    await tick(50);
    expect(got.data()).toEqual(['to late']);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('tabs given the same clientId (a sender id per user, say) still share: each gets its own topics', async () => {
    const b = browser();
    const leader = b.open({ clientId: 'user-1' });
    const follower = b.open({ clientId: 'user-1' });
    const got = [collect(), collect()];
    leader.driver.subscribe('/a', got[0]!.listener);
    follower.driver.subscribe('/b', got[1]!.listener);
    await tick(2000);
    // Before: the tab id was the clientId: the second tab waited forever for "its own" lock (held by
    // the first), never announced itself, and took the leader's messages for its own: it got nothing.
    expect([leader.driver.getTabs(), follower.driver.getTabs()]).toEqual([
      { role: 'leader', tabs: 2 },
      { role: 'follower', tabs: 2 },
    ]);
    await leader.driver.publish('/b', 'to b');
    await follower.driver.publish('/a', 'to a');
    await tick(50);
    expect([got[0]!.data(), got[1]!.data()]).toEqual([['to a'], ['to b']]);
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower's onActive fires once the leader's stream carries its matchers", async () => {
    const b = browser();
    const leader = b.open();
    const follower = b.open();
    leader.driver.subscribe('/x', () => {});
    await tick(100);
    const active = vi.fn();
    const got = collect();
    follower.driver.subscribe('/late', got.listener, { onActive: active });
    await tick(5);
    expect(active).not.toHaveBeenCalled();
    await tick(100);
    expect(active).toHaveBeenCalledTimes(1);
    await leader.driver.publish('/late', 1);
    await tick(20);
    expect(got.data()).toEqual([1]);
    // A second subscription to a matcher the stream already carries is active at once.
    const again = vi.fn();
    follower.driver.subscribe('/x', () => {}, { onActive: again });
    await tick(2000);
    expect(again).toHaveBeenCalledTimes(1);
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower's refused matcher is told to that follower only and blocks no later subscription of any tab", async () => {
    const b = browser(0, { refuseMatcher: (m) => m === '/bad' });
    const leaderErrors: SseError[] = [];
    const followerEvents: DriverEvent[] = [];
    const leader = b.open({ onError: (e) => leaderErrors.push(e) });
    const follower = b.open();
    follower.driver.on('event', (e) => followerEvents.push(e));
    const a = collect();
    leader.driver.subscribe('/a', a.listener);
    await tick(2000);
    const badErrors: SseError[] = [];
    follower.driver.subscribe('/bad', () => {}, { onError: (e) => badErrors.push(e) });
    await tick(2000);
    expect(badErrors.map((e) => e.code)).toEqual(['bad-request']);
    expect(followerEvents.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ refused: ['/bad'] })]);

    const c = collect();
    const cErrors: SseError[] = [];
    follower.driver.subscribe('/c', c.listener, { onError: (e) => cErrors.push(e) });
    const d = collect();
    leader.driver.subscribe('/d', d.listener);
    await tick(2000);
    expect(b.hub.subscriptions.map((s) => s.matchers.map((m) => m.match).sort())).toEqual([['/a', '/c', '/d']]);
    await leader.driver.publish('/c', 'c1');
    await follower.driver.publish('/d', 'd1');
    await follower.driver.publish('/a', 'a1');
    await tick(50);
    expect([c.data(), d.data(), a.data()]).toEqual([['c1'], ['d1'], ['a1']]);
    expect(cErrors).toEqual([]);
    expect(badErrors).toHaveLength(1);
    expect(leaderErrors).toEqual([]);
    expect(b.hub.requests.filter((r) => r.status === 400)).toHaveLength(1);
    expect(leader.driver.getSnapshot().status).toBe('open');
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower's several new matchers in one switch, one refused: the leader splits them, the others get on its stream", async () => {
    const b = browser(0, { refuseMatcher: (m) => m === '/bad' });
    const leaderErrors: SseError[] = [];
    const leader = b.open({ onError: (e) => leaderErrors.push(e) });
    const follower = b.open();
    const a = collect();
    leader.driver.subscribe('/a', a.listener);
    await tick(2000);
    const subs = ['/c', '/bad', '/e', '/f'].map((topic) => {
      const got = collect();
      const errors: SseError[] = [];
      follower.driver.subscribe(topic, got.listener, { onError: (e) => errors.push(e) });
      return { topic, got, errors };
    });
    const d = collect();
    leader.driver.subscribe('/d', d.listener); // the leader's own, in the same switch
    await tick(20_000);
    expect(b.hub.subscriptions.map((s) => s.matchers.map((m) => m.match).sort())).toEqual([['/a', '/c', '/d', '/e', '/f']]);
    for (const topic of ['/a', '/c', '/d', '/e', '/f', '/bad']) await follower.driver.publish(topic, topic);
    await tick(50);
    expect(subs.map((s) => [s.topic, s.got.data(), s.errors.map((e) => e.code)])).toEqual([
      ['/c', ['/c'], []],
      ['/bad', [], ['bad-request']],
      ['/e', ['/e'], []],
      ['/f', ['/f'], []],
    ]);
    expect([a.data(), d.data()]).toEqual([['/a'], ['/d']]);
    expect(leaderErrors).toEqual([]);
    expect(leader.driver.getSnapshot().status).toBe('open');
    for (const t of b.tabs) t.driver.destroy();
  });

  it("the leader's first stream, carrying only a follower's matchers, refused: split, the follower's refused one told there, the others get on", async () => {
    const b = browser(0, { refuseMatcher: (m) => m === '/bad' });
    const leaderErrors: SseError[] = [];
    const leader = b.open({ onError: (e) => leaderErrors.push(e) });
    const follower = b.open();
    await tick(100);
    expect(follower.driver.getTabs().role).toBe('follower');
    const subs = ['/c', '/bad', '/e'].map((topic) => {
      const got = collect();
      const errors: SseError[] = [];
      follower.driver.subscribe(topic, got.listener, { onError: (e) => errors.push(e) });
      return { topic, got, errors };
    });
    await tick(20_000);
    // Before: the leader's first stream stopped on the 400 and no tab got a stream.
    expect(b.hub.requests.filter((r) => r.method !== 'POST')[0]?.status).toBe(400);
    expect(b.hub.subscriptions.map((s) => s.matchers.map((m) => m.match).sort())).toEqual([['/c', '/e']]);
    for (const topic of ['/c', '/bad', '/e']) await leader.driver.publish(topic, topic);
    await tick(50);
    expect(subs.map((s) => [s.topic, s.got.data(), s.errors.map((e) => e.code)])).toEqual([
      ['/c', ['/c'], []],
      ['/bad', [], ['bad-request']],
      ['/e', ['/e'], []],
    ]);
    expect(leaderErrors).toEqual([]);
    expect([leader.driver.getSnapshot().status, follower.driver.getSnapshot().status]).toEqual(['open', 'open']);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("the leader's first stream refused with only a follower's matcher: the follower hears it though no stream opened", async () => {
    const b = browser(0, { refuseMatcher: (m) => m === '/bad' });
    const leaderErrors: SseError[] = [];
    const leader = b.open({ onError: (e) => leaderErrors.push(e) });
    const follower = b.open();
    await tick(100);
    const errors: SseError[] = [];
    follower.driver.subscribe('/bad', () => {}, { onError: (e) => errors.push(e) });
    await tick(20_000);
    // Before: a follower heard refusals only once the leader's stream was open.
    expect(errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(leaderErrors).toEqual([]);
    // Nobody asks for it any more: the leader, without subscriptions of its own, asks for nothing.
    await tick(20_000);
    expect(b.hub.requests.filter((r) => r.method !== 'POST').map((r) => r.status)).toEqual([400]);
    expect(leader.driver.getSnapshot().status).not.toBe('open');
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a tab that learns the leader stream before its own role gets onActive for matchers the stream already carries', async () => {
    const b = browser(20);
    const leader = b.open();
    leader.driver.subscribe('/x', () => {});
    await tick(2000);
    const late = b.open();
    const active = vi.fn();
    late.driver.subscribe('/x', () => {}, { onActive: active });
    await tick(2000);
    expect(late.driver.getTabs().role).toBe('follower');
    expect(active).toHaveBeenCalledTimes(1);
    expect(late.driver.getSnapshot().status).toBe('open');
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower's presence works through the leader's stream: one hub connection for the topic and presence", async () => {
    const b = browser(0, { subscriptions: true });
    // Subscription events are private: the token must grant the subscriptions topics (a hub without keys reads it unverified).
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const headers = { Authorization: `Bearer ${b64({ alg: 'HS256' })}.${b64(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]))}.unsigned` };
    const leader = b.open({ headers });
    const follower = b.open({ headers });
    leader.driver.subscribe('/chat', () => {});
    await tick(100);
    const watch = watchPresence(follower.driver, '/room');
    watch.subscribe(() => {});
    await tick(2000);
    expect(follower.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(b.hub.connections).toBe(1);
    expect(b.hub.subscriptions[0]?.matchers.map((m) => m.match)).toEqual(expect.arrayContaining(['/chat', '/room']));
    // The shared stream's subscriber is present; another client joining shows up through the leader's relay.
    expect(watch.getSnapshot()).toMatchObject({ ready: true, error: undefined });
    expect(watch.getSnapshot().members).toHaveLength(1);
    const other = new SseDriver({ url: b.hub.url, fetch: b.hub.fetch, headers, tabs: false, platform: { events: undefined } });
    const offOther = other.subscribe('/room', () => {});
    await tick(100);
    expect(watch.getSnapshot().members).toHaveLength(2);
    offOther();
    other.destroy();
    await tick(100);
    expect(watch.getSnapshot().members).toHaveLength(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower's timeline tells a drop of the leader's stream, as its own stream's drop would be told", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    a.driver.subscribe('/a', () => undefined);
    c.driver.subscribe('/c', () => undefined);
    await tick(2000);
    expect(c.driver.getTabs().role).toBe('follower');
    const drops: { connection: string; switching: boolean; code: string }[] = [];
    c.driver.on('event', (event) => {
      if (event.type === 'drop') drops.push({ connection: event.connection, switching: event.switching, code: event.error.code });
    });
    b.hub.dropConnections();
    await tick(100);
    // Before the fix: [] (the follower only heard the stream open again).
    expect(drops).toEqual([{ connection: 'main', switching: false, code: 'network' }]);
    await tick(5000);
    expect(c.driver.getSnapshot().status).toBe('open');
    expect(drops).toHaveLength(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('tabs with different credentials never share a stream', async () => {
    const b = browser();
    const alice = b.open({ headers: { 'X-Session': 'alice' } });
    const bob = b.open({ headers: { 'X-Session': 'bob' } });
    const alice2 = b.open({ headers: () => ({ 'X-Session': 'alice' }) });
    for (const t of b.tabs) t.driver.subscribe('/t', () => {});
    await tick(2000);
    expect(b.hub.connections).toBe(2);
    expect(alice.driver.getTabs()).toEqual({ role: 'leader', tabs: 2 });
    expect(bob.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    expect(alice2.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });

    // New credentials move a tab to the group of those credentials.
    bob.driver.setHeaders({ 'X-Session': 'alice' });
    await tick(2000);
    expect(bob.driver.getTabs()).toEqual({ role: 'follower', tabs: 3 });
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('destroy leaves no timer behind (leaving the group schedules no sync)', async () => {
    const b = browser();
    const t = b.open();
    t.driver.subscribe('/t', () => {});
    await tick(100);
    t.driver.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a page without Web Locks keeps its own stream', async () => {
    const hub = new MockHub();
    const drivers = [0, 1].map(() => new SseDriver({ url: hub.url, fetch: hub.fetch, tabs: true, platform: { events: undefined } }));
    for (const d of drivers) d.subscribe('/t', () => {});
    await tick(50);
    expect(hub.connections).toBe(2);
    expect(drivers[0]?.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    for (const d of drivers) d.destroy();
  });

  it('tabs: false turns sharing off', async () => {
    const b = browser();
    b.open({ tabs: false });
    b.open({ tabs: false });
    for (const t of b.tabs) t.driver.subscribe('/t', () => {});
    await tick(50);
    expect(b.hub.connections).toBe(2);
    expect(b.bus.posted).toEqual([]);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a throwing headers function keeps the tab on its own stream, reporting the error', async () => {
    const b = browser();
    const errors: string[] = [];
    const t = b.open({
      headers: () => {
        throw new Error('no token');
      },
      onError: (e) => errors.push(e.code),
    });
    t.driver.subscribe('/t', () => {});
    await tick(50);
    expect(t.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    expect(errors.length).toBeGreaterThan(0);
    t.driver.destroy();
  });
  it("a leader whose headers function starts throwing leaves the lead to a tab whose credentials work, keeping its own stream to report the cause", async () => {
    const b = browser();
    let broken = false;
    const errors: string[] = [];
    const first = b.open({
      headers: () => {
        if (broken) throw new Error('token refresh failed');
        return { 'X-Session': 's1' };
      },
      onError: (e) => errors.push(e.code),
    });
    await tick(10);
    const second = b.open({ headers: { 'X-Session': 's1' } });
    const got = collect();
    first.driver.subscribe('/feed', () => {});
    second.driver.subscribe('/feed', got.listener);
    await tick(100);
    expect([first.driver.getTabs(), second.driver.getTabs()]).toEqual([
      { role: 'leader', tabs: 2 },
      { role: 'follower', tabs: 2 },
    ]);
    broken = true;
    b.hub.dropConnections();
    await tick(5000);
    // Before: the leader's stream stopped on its headers and kept the lead: no tab got a stream.
    expect(second.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    expect(second.driver.getSnapshot().status).toBe('open');
    await second.driver.publish('/feed', 'after');
    await tick(50);
    expect(got.data()).toEqual(['after']);
    expect(first.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    // The drop, then the cause: on the shared stream, and on its own (no retry loop).
    expect(errors).toEqual(['network', 'credentials', 'credentials']);
    for (const t of b.tabs) t.driver.destroy();
  });
  it("a follower whose headers function starts throwing stays a follower: it needs no credentials of its own to follow", async () => {
    const b = browser();
    const leader = b.open({ headers: { 'X-Session': 's1' } });
    await tick(10);
    let broken = false;
    const errors: string[] = [];
    const follower = b.open({
      headers: () => {
        if (broken) throw new Error('token refresh failed');
        return { 'X-Session': 's1' };
      },
      onError: (e) => errors.push(e.code),
    });
    const got = collect();
    leader.driver.subscribe('/feed', () => {});
    follower.driver.subscribe('/feed', got.listener);
    // A raw subscription without topicOf has a stream of its own, which needs this tab's credentials.
    follower.driver.subscribe('/raw', () => {}, { raw: true });
    await tick(100);
    broken = true;
    b.hub.dropConnections();
    await tick(5000);
    expect(errors).toContain('credentials');
    expect([leader.driver.getTabs(), follower.driver.getTabs()]).toEqual([
      { role: 'leader', tabs: 2 },
      { role: 'follower', tabs: 2 },
    ]);
    await leader.driver.publish('/feed', 'shared');
    await tick(50);
    expect(got.data()).toEqual(['shared']);
    for (const t of b.tabs) t.driver.destroy();
  });
  it("a follower's reconnect() restarts the leader's stream that stopped (401): the follower takes the lead and opens it", async () => {
    const got = collect();
    const { b, leader, follower } = await leaderAndFollower({}, got.listener);
    b.hub.failNext(401, { method: 'GET' });
    b.hub.dropConnections();
    await tick(5000);
    expect([leader.driver.getSnapshot().status, follower.driver.getSnapshot().status]).toEqual(['error', 'error']);
    // Before: a follower has no stream of its own, so its reconnect() did nothing.
    follower.driver.reconnect();
    await tick(100);
    expect(follower.driver.getSnapshot().status).toBe('open');
    expect(b.hub.connections).toBe(1);
    await leader.driver.publish('/feed', 'back');
    await tick(50);
    expect(got.data()).toEqual(['back']);
    for (const t of b.tabs) t.driver.destroy();
  });
});

describe("what the leader's stream reports reaches the followers", () => {
  /** Opens named tabs in `b` (subscribed to `topic`, if any) whose errors and timeline gaps are recorded by name. */
  const recordingTabs = (b: ReturnType<typeof browser>) => {
    const errors = new Map<string, SseError[]>();
    const gaps = new Map<string, DriverEvent[]>();
    const open = (name: string, topic: string | undefined) => {
      errors.set(name, []);
      gaps.set(name, []);
      const tab = b.open({ onError: (e) => errors.get(name)!.push(e) });
      tab.driver.on('event', (event) => {
        if (event.type === 'gap') gaps.get(name)!.push(event);
      });
      if (topic) tab.driver.subscribe(topic, () => {});
      return tab;
    };
    return { errors, gaps, open };
  };

  it("a gap on the leader's stream (the hub could not resume) reaches each follower's onError, timeline and state once, with the same extent", async () => {
    const b = browser(0, { history: 2 });
    const { errors, gaps, open } = recordingTabs(b);
    const leader = open('leader', '/feed');
    const follower = open('follower', '/feed');
    const other = open('other', '/other');
    // A tab with no subscription on the shared stream shows none of its state, and hears none of its gaps.
    const idle = open('idle', undefined);
    await tick(100);
    expect(idle.driver.getTabs().role).toBe('follower');
    await leader.driver.publish('/feed', 1);
    await tick(20);
    b.hub.dropConnections();
    // Published while the leader's stream is down, beyond the hub's history of 2: its resume cannot start where it left.
    for (let i = 2; i <= 5; i++) await follower.driver.publish('/feed', i);
    await tick(5000);
    expect(leader.driver.getSnapshot().status).toBe('open');
    const own = errors.get('leader')!.find((e) => e.code === 'gap') as SseGapError | undefined;
    expect(own).toMatchObject({ code: 'gap', extent: 'known', resumedFrom: 'earliest' });
    // Before: the followers heard nothing; they silently missed updates 2 and 3.
    for (const name of ['follower', 'other']) {
      const [heard, ...more] = errors.get(name)!;
      expect(more).toEqual([]);
      expect(heard).toBeInstanceOf(SseGapError);
      expect(heard).toMatchObject({ code: 'gap', extent: 'known', requested: own!.requested, resumedFrom: 'earliest', message: own!.message, hint: own!.hint });
      expect(gaps.get(name)).toEqual([{ type: 'gap', connection: 'main', error: heard }]);
      // The state tells the same error, as the leader's does.
      const snapshot = b.tabs[name === 'follower' ? 1 : 2]!.driver.getSnapshot();
      expect(snapshot.status).toBe('open');
      expect(snapshot.error).toBe(heard);
    }
    expect(leader.driver.getSnapshot().error).toBe(own);
    expect(errors.get('idle')).toEqual([]);
    expect(gaps.get('idle')).toEqual([]);
    // Later state messages (a new tab asks for them) tell nothing again, and show the same error object.
    const snapshot = follower.driver.getSnapshot();
    b.open();
    await tick(100);
    expect(errors.get('follower')).toHaveLength(1);
    expect(follower.driver.getSnapshot().error).toBe(snapshot.error);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a tab that follows after the leader's stream reported a gap shows no error of it: it missed nothing; the tabs that were there keep it", async () => {
    const b = browser(0, { history: 2 });
    const { errors, gaps, open } = recordingTabs(b);
    const leader = open('leader', '/feed');
    const follower = open('follower', '/feed');
    // In the group at the gap, but with no subscription on the shared stream then.
    const idle = open('idle', undefined);
    await tick(100);
    await leader.driver.publish('/feed', 1);
    await tick(20);
    b.hub.dropConnections();
    for (let i = 2; i <= 5; i++) await follower.driver.publish('/feed', i);
    await tick(5000);
    const own = leader.driver.getSnapshot().error;
    expect(own).toBeInstanceOf(SseGapError);
    expect(errors.get('follower')).toHaveLength(1);
    expect(gaps.get('follower')).toHaveLength(1);
    expect(follower.driver.getSnapshot().error).toBe(errors.get('follower')![0]);

    const late = open('late', '/feed');
    idle.driver.subscribe('/feed', () => {});
    await tick(100);
    expect(late.driver.getTabs().role).toBe('follower');
    for (const name of ['late', 'idle']) {
      const tab = name === 'late' ? late : idle;
      // Before: status open with the leader's old gap as its error.
      expect(tab.driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
      expect(errors.get(name)).toEqual([]);
      expect(gaps.get(name)).toEqual([]);
    }
    // The leader and the follower that was there still show it, heard once.
    expect(leader.driver.getSnapshot().error).toBe(own);
    expect(follower.driver.getSnapshot().error).toBe(errors.get('follower')![0]);
    expect(errors.get('follower')).toHaveLength(1);
    expect(gaps.get('follower')).toHaveLength(1);

    // An error that stops the stream is shown in every tab, the newcomers too, and a healthy open clears it.
    b.hub.failNext(401, { method: 'GET' });
    b.hub.dropConnections();
    await tick(5000);
    for (const tab of [leader, follower, late, idle]) expect(tab.driver.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'unauthorized' } });
    leader.driver.reconnect();
    await tick(1000);
    for (const tab of [leader, follower, late, idle]) expect(tab.driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower shows the leader's error (401): same code, message, hint and status, as an SseAuthError", async () => {
    const { b, leader, follower } = await leaderAndFollower();
    b.hub.failNext(401, { method: 'GET' });
    b.hub.dropConnections();
    await tick(5000);
    const own = leader.driver.getSnapshot().error;
    expect(own).toBeInstanceOf(SseAuthError);
    const shown = follower.driver.getSnapshot();
    // Before: status 'error' with error undefined.
    expect(shown.status).toBe('error');
    expect(shown.error).toBeInstanceOf(SseAuthError);
    expect(shown.error).toMatchObject({ name: 'SseAuthError', code: 'unauthorized', status: 401, message: own!.message, hint: own!.hint });
    // The snapshot stays stable while nothing changes.
    await tick(1000);
    expect(follower.driver.getSnapshot()).toBe(shown);
    for (const t of b.tabs) t.driver.destroy();
  });

  it("a follower shows a rate-limited leader's Retry-After, as an SseRateLimitError; a healthy open clears it in every tab", async () => {
    const { b, leader, follower } = await leaderAndFollower();
    b.hub.failNext(429, { method: 'GET', retryAfter: 30 });
    b.hub.dropConnections();
    await tick(1000);
    expect(leader.driver.getSnapshot()).toMatchObject({ status: 'reconnecting', error: { code: 'rate-limited', retryAfter: 30_000 } });
    const shown = follower.driver.getSnapshot();
    expect(shown.status).toBe('reconnecting');
    expect(shown.error).toBeInstanceOf(SseRateLimitError);
    expect(shown.error).toMatchObject({ code: 'rate-limited', status: 429, retryAfter: 30_000, message: leader.driver.getSnapshot().error!.message });
    await tick(60_000);
    expect([leader.driver.getSnapshot(), follower.driver.getSnapshot()]).toMatchObject([
      { status: 'open', error: undefined },
      { status: 'open', error: undefined },
    ]);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a state from a tab of an older build (no error field) still moves a follower; a malformed error or gap is dropped, harmlessly', async () => {
    const errors: SseError[] = [];
    const { b, leader, follower } = await leaderAndFollower({ onError: (e) => errors.push(e) });
    const state = b.bus.posted.findLast((m) => (m as { t?: string }).t === 'state') as { from: string; state: Record<string, unknown> };
    const name = leader.channels[0]!.name;
    const old = b.bus.open(name);
    const { error: _none, ...oldState } = state.state;
    old.postMessage({ t: 'state', from: state.from, state: { ...oldState, status: 'reconnecting', retries: 1 } });
    await tick(0);
    expect(follower.driver.getSnapshot()).toMatchObject({ status: 'reconnecting', error: undefined });
    old.postMessage({ t: 'state', from: state.from, state: { ...oldState, status: 'error', retries: 2, error: { code: 'no-such-code', message: 'x' } } });
    old.postMessage({ t: 'gap', from: state.from, error: { code: 'gap', message: 'x', extent: 'sideways' } });
    old.postMessage({ t: 'gap', from: state.from, error: { code: 'network', message: 'not a gap' } });
    await tick(0);
    expect(follower.driver.getSnapshot()).toMatchObject({ status: 'error', error: undefined });
    expect(errors).toEqual([]);
    old.close();
    for (const t of b.tabs) t.driver.destroy();
  });
});

/** Publishes `count` updates to `/feed` from `publisher`, one per ms, while `during` runs at `at`. */
async function stream(publisher: SseDriver, count: number, at: number, during: () => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (i === at) during();
    await publisher.publish('/feed', i);
    await tick(1);
  }
  await tick(2000);
}

describe('handoff', () => {
  for (const how of ['closes', 'crashes'] as const) {
    it(`when the leader ${how} mid-stream, every other tab gets every update exactly once, in order, and one tab takes over`, async () => {
      const b = browser();
      const tabs = [b.open(), b.open(), b.open(), b.open()];
      const got = tabs.map(() => collect());
      tabs.forEach((t, i) => t.driver.subscribe('/feed', got[i]!.listener));
      await tick(100);
      expect(tabs[0]!.driver.getTabs().role).toBe('leader');
      const roles: string[] = [];
      for (const t of tabs.slice(1)) t.driver.on('state', () => roles.push(t.driver.getTabs().role));

      const publisher = tabs[3]!.driver;
      await stream(publisher, 300, 120, () => (how === 'closes' ? tabs[0]!.driver.destroy() : tabs[0]!.crash()));

      const expected = Array.from({ length: 300 }, (_, i) => i);
      for (const g of got.slice(1)) expect(g.data()).toEqual(expected);
      const leaders = tabs.slice(1).filter((t) => t.driver.getTabs().role === 'leader');
      expect(leaders).toHaveLength(1);
      expect(roles).toContain('leader');
      expect(b.hub.connections).toBe(1);
      for (const t of tabs.slice(1)) expect(t.driver.getTabs().tabs).toBe(3);
      for (const t of tabs.slice(1)) t.driver.destroy();
      await tick(10);
      expect(b.hub.connections).toBe(0);
    });
  }

  it("a tab taking over from a crashed leader gets the updates the leader relayed before it crashed, though its own stream starts after them", async () => {
    const b = browser();
    const tabs = [b.open(), b.open(), b.open()];
    const got = tabs.map(() => collect());
    tabs.forEach((t, i) => t.driver.subscribe('/feed', got[i]!.listener));
    await tick(100);
    expect(tabs[0]!.driver.getTabs().role).toBe('leader');
    // The first update since the tabs opened: relayed, still in the channel when the leader crashes
    // and the lock manager hands the lead on (two services: no order between them).
    await tabs[2]!.driver.publish('/feed', 'first');
    expect(b.bus.posted).toContainEqual(expect.objectContaining({ t: 'event' }));
    tabs[0]!.crash();
    await tick(2000);
    expect(tabs[1]!.driver.getTabs().role).toBe('leader');
    // Before: the new leader dropped relayed events and opened its stream without a cursor (it had none): lost.
    expect(got[1]!.data()).toEqual(['first']);
    expect(got[2]!.data()).toEqual(['first']);
    await tabs[2]!.driver.publish('/feed', 'second');
    await tick(50);
    expect(got[1]!.data()).toEqual(['first', 'second']);
    expect(got[2]!.data()).toEqual(['first', 'second']);
    for (const t of tabs.slice(1)) t.driver.destroy();
  });

  it('a tab hidden while leading yields to a visible tab, which takes over with nothing lost', async () => {
    const b = browser();
    const leader = b.open();
    const follower = b.open();
    const got = collect();
    follower.driver.subscribe('/feed', got.listener);
    leader.driver.subscribe('/feed', () => {});
    await tick(100);
    expect(leader.driver.getTabs().role).toBe('leader');
    await stream(leader.driver, 60, 20, () => {
      leader.visible = false;
      leader.events.dispatchEvent(new Event('visibilitychange'));
    });
    expect(follower.driver.getTabs().role).toBe('leader');
    expect(leader.driver.getTabs().role).toBe('follower');
    expect(got.data()).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('pagehide releases the lead; pageshow from the back/forward cache rejoins as a follower', async () => {
    const b = browser();
    const first = b.open();
    const second = b.open();
    const got = collect();
    first.driver.subscribe('/feed', () => {});
    second.driver.subscribe('/feed', got.listener);
    await tick(100);
    first.events.dispatchEvent(new Event('pagehide'));
    await tick(100);
    expect(second.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    expect(first.driver.getTabs().role).toBe('pending');
    expect(b.hub.connections).toBe(1);

    const show = Object.assign(new Event('pageshow'), { persisted: true });
    first.events.dispatchEvent(show);
    await tick(100);
    expect(first.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(second.driver.getTabs()).toEqual({ role: 'leader', tabs: 2 });
    await first.driver.publish('/feed', 'back');
    await tick(20);
    expect(got.data()).toEqual(['back']);
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a leader that freezes closes its stream in the freeze handler (a frozen page runs no timer): the next leader holds the only connection', async () => {
    const b = browser();
    // The page's timers: none runs while it is frozen.
    let frozen = false;
    const platform = {
      events: undefined,
      random: () => 0.5,
      setTimeout: (callback: () => void, ms: number): unknown => setTimeout(() => (frozen ? undefined : callback()), ms),
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const first = b.open({ platform });
    const second = b.open();
    const got = collect();
    first.driver.subscribe('/feed', () => {});
    second.driver.subscribe('/feed', got.listener);
    await tick(100);
    expect(first.driver.getTabs().role).toBe('leader');
    frozen = true;
    first.events.dispatchEvent(new Event('freeze'));
    await tick(100);
    expect(second.driver.getTabs().role).toBe('leader');
    // Before: the frozen tab's stream stayed open (its close waited for a timer): two hub connections.
    expect(b.hub.connections).toBe(1);
    await second.driver.publish('/feed', 'while frozen');
    await tick(20);
    expect(got.data()).toEqual(['while frozen']);
    frozen = false;
    first.events.dispatchEvent(new Event('resume'));
    await tick(100);
    expect(first.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a tab that leads again (after yielding) tells the followers no stale stream: their onActive waits for its new stream', async () => {
    const b = browser();
    const first = b.open();
    const second = b.open();
    first.driver.subscribe('/feed', () => {});
    await tick(100);
    // The first tab, hidden, yields to the second and queues again.
    first.visible = false;
    first.events.dispatchEvent(new Event('visibilitychange'));
    await tick(100);
    expect([first.driver.getTabs().role, second.driver.getTabs().role]).toEqual(['follower', 'leader']);
    const third = b.open();
    const opens: number[] = [];
    third.driver.subscribe('/feed', () => {}, { onActive: () => opens.push(b.hub.connections) });
    await tick(100);
    expect(third.driver.getTabs().role).toBe('follower');
    first.visible = true;
    first.events.dispatchEvent(new Event('visibilitychange'));
    // The second tab closes: the first, next in line, leads again.
    second.driver.destroy();
    await tick(100);
    expect(first.driver.getTabs().role).toBe('leader');
    // Before: the first tab re-announced the stream it had before yielding ('open', closed since): the
    // third tab's subscription became active again while no stream was open (hub connections: 1, 0, 1).
    expect(opens).toEqual([1, 1]);
    expect(b.hub.connections).toBe(1);
    for (const t of b.tabs) t.driver.destroy();
  });

  it('a follower back from the back/forward cache reports what it may have missed meanwhile as a gap', async () => {
    const errors: SseError[] = [];
    const got = collect();
    const { b, leader, follower } = await leaderAndFollower({ onError: (e) => errors.push(e) }, got.listener);
    await leader.driver.publish('/feed', 1);
    await tick(20);
    follower.events.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
    await tick(20);
    await leader.driver.publish('/feed', 'while away');
    await tick(20);
    follower.events.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await tick(100);
    expect(follower.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    await leader.driver.publish('/feed', 3);
    await tick(20);
    // The leader's stream does not replay for one tab: before, the update published while the page
    // was away was lost silently.
    expect(got.data()).toEqual([1, 3]);
    expect(errors.map((e) => e.code)).toEqual(['gap']);
    expect(errors[0]).toMatchObject({ extent: 'unknown' });
    for (const t of b.tabs) t.driver.destroy();
  });

  it('20 quick open/close cycles leave no stray stream and no stray lock', async () => {
    const b = browser();
    const keeper = b.open();
    keeper.driver.subscribe('/k', () => {});
    for (let i = 0; i < 20; i++) {
      const t = b.open();
      t.driver.subscribe(`/t${i}`, () => {});
      await tick(i % 3);
      if (i % 2 === 0) t.driver.destroy();
      else t.crash();
      await tick(i % 2);
    }
    await tick(500);
    expect(b.hub.connections).toBe(1);
    expect(keeper.driver.getTabs()).toEqual({ role: 'leader', tabs: 1 });
    expect(b.hub.subscriptions[0]?.matchers.map((m) => m.match)).toEqual(['/k']);
    keeper.driver.destroy();
    await tick(10);
    expect(b.hub.connections).toBe(0);
    expect(b.broker.heldNames()).toEqual([]);
    expect(b.broker.waiting()).toBe(0);
  });
});
