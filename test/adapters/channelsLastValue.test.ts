import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, channels } from '../../src/index.js';
import type { SseUpdate } from '../../src/index.js';
import { MockChannelServer } from '../../src/mock/index.js';
import { channelDriver as setup, tick } from './channelDriver.js';
import { loadTabGroup } from '../../src/core/tabs/TabLink.js';
import { ChannelBus, LockBroker } from '../core/tabs/fakes.js';

// The election code is a lazily loaded chunk: loaded once here, a join under fake timers waits on no module loading.
beforeAll(() => loadTabGroup());

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("channels: a channel's current value is the first update of a subscription that comes back", () => {
  it('after its only subscription left (the stream closed), a new one gets the unchanged value', async () => {
    const { server, driver, listen } = setup();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    const first = listen('c1');
    await tick(50);
    expect(first.got).toEqual(['v1']);
    first.off();
    await tick(50);
    expect(server.connections).toBe(0);
    // A component remounted: the channel did not change meanwhile.
    const again = listen('c1');
    await tick(50);
    expect(again.got).toEqual(['v1']);
    expect(first.got).toEqual(['v1']);
    driver.destroy();
  });

  it('after a switch dropped it from the wire, the switch that asks for it again gives it its value, and the channels that stayed get no repeat', async () => {
    const { server, driver, listen } = setup();
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'v1' },
      { channelName: 'c2', type: 'message', payload: 'w1' },
    ]);
    const c1 = listen('c1');
    const c2 = listen('c2');
    await tick(50);
    expect([c1.got, c2.got]).toEqual([['v1'], ['w1']]);
    c1.off();
    await tick(50);
    // c1 stays on the wire until a switch is needed: adding c3 makes one, without c1.
    server.fire([{ channelName: 'c3', type: 'message', payload: 'x1' }]);
    const c3 = listen('c3');
    await tick(50);
    expect(server.connections).toBe(1);
    expect(c3.got).toEqual(['x1']);
    server.fire([{ channelName: 'c2', type: 'message', payload: 'w2' }]);
    await tick(50);
    const back = listen('c1');
    await tick(50);
    expect(back.got).toEqual(['v1']);
    expect(c2.got).toEqual(['w1', 'w2']);
    expect(c3.got).toEqual(['x1']);
    driver.destroy();
  });

  it('a reconnect still repeats no unchanged value, and delivers a changed one', async () => {
    const { server, driver, listen } = setup();
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'v1' },
      { channelName: 'c2', type: 'message', payload: 'w1' },
    ]);
    const c1 = listen('c1');
    const c2 = listen('c2');
    await tick(50);
    server.dropConnections();
    server.fire([{ channelName: 'c2', type: 'message', payload: 'w2' }]);
    await tick(2000);
    expect(server.connections).toBe(1);
    expect(c1.got).toEqual(['v1']);
    expect(c2.got).toEqual(['w1', 'w2']);
    driver.destroy();
  });
});

describe('channels: tabs sharing one stream', () => {
  function tabs() {
    const server = new MockChannelServer();
    const broker = new LockBroker();
    const bus = new ChannelBus();
    const open = () => {
      let visible = true;
      const events = new EventTarget();
      const driver = new SseDriver({
        url: server.url,
        server: channels(),
        fetch: server.fetch,
        heartbeatTimeout: 0,
        platform: { events: undefined, random: () => 0.5 },
        tabs: { locks: broker.tab(), channel: (name) => bus.open(name), visible: () => visible, events },
      });
      const listen = (channel: string) => {
        const got: string[] = [];
        const off = driver.subscribe(channel, (u: SseUpdate) => got.push(String(u.data)), { raw: true });
        return { got, off };
      };
      const hide = () => {
        visible = false;
        events.dispatchEvent(new Event('visibilitychange'));
      };
      return { driver, listen, hide };
    };
    return { server, open };
  }

  it("a follower's channel that left the leader's stream and comes back gets its value again", async () => {
    const { server, open } = tabs();
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'v1' },
      { channelName: 'c2', type: 'message', payload: 'w1' },
    ]);
    const [a, b] = [open(), open()];
    a.listen('c2');
    const first = b.listen('c1');
    await tick(2000);
    expect(b.driver.getTabs()).toEqual({ role: 'follower', tabs: 2 });
    expect(first.got).toEqual(['v1']);
    first.off();
    await tick(50);
    // A switch the follower asks for leaves c1 off the wire; the next one brings it back.
    b.listen('c3');
    await tick(2000);
    const back = b.listen('c1');
    await tick(2000);
    expect(back.got).toEqual(['v1']);
    a.driver.destroy();
    b.driver.destroy();
  });

  it("a follower's channel asked for again after the leader's stream closed gets its value again", async () => {
    const { server, open } = tabs();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    const [a, b] = [open(), open()];
    await tick(100);
    const first = b.listen('c1');
    await tick(2000);
    expect(a.driver.getTabs()).toEqual({ role: 'leader', tabs: 2 });
    expect(first.got).toEqual(['v1']);
    first.off();
    await tick(2000);
    expect(server.connections).toBe(0);
    const back = b.listen('c1');
    await tick(2000);
    expect(back.got).toEqual(['v1']);
    a.driver.destroy();
    b.driver.destroy();
  });

  it.each(['closes', 'is hidden'] as const)('when the leader tab %s, the tab taking over repeats no unchanged value, to any tab; a changed one still comes', async (how) => {
    const { server, open } = tabs();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    const [a, b, c] = [open(), open(), open()];
    const got = [a, b, c].map((tab) => tab.listen('c1').got);
    await tick(2000);
    expect(a.driver.getTabs()).toEqual({ role: 'leader', tabs: 3 });
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v2' }]);
    await tick(50);
    expect(got).toEqual([['v1', 'v2'], ['v1', 'v2'], ['v1', 'v2']]);
    if (how === 'closes') a.driver.destroy();
    else a.hide();
    await tick(3000);
    expect([b, c].filter((tab) => tab.driver.getTabs().role === 'leader')).toHaveLength(1);
    expect(server.connections).toBe(1);
    const left = how === 'closes' ? got.slice(1) : got;
    expect(left).toEqual(left.map(() => ['v1', 'v2']));
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v3' }]);
    await tick(50);
    expect(left).toEqual(left.map(() => ['v1', 'v2', 'v3']));
    for (const tab of [a, b, c]) tab.driver.destroy();
  });
});

describe("channels: a channel's current value published through sse-kit comes back like any other", () => {
  function withPublisher() {
    const env = setup();
    const publisher = new SseDriver({ url: env.server.url, server: channels(), fetch: env.server.fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const take = (matchers: string | string[]) => {
      const got: unknown[] = [];
      const off = env.driver.subscribe(matchers, (u: SseUpdate) => got.push(u.data));
      return { got, off };
    };
    return { ...env, publisher, take };
  }

  it('after a switch dropped it from the wire, the subscription that asks for it again gets it once; the others get no repeat', async () => {
    const { server, driver, publisher, take, errors } = withPublisher();
    const c1 = take('c1');
    const c2 = take('c2');
    await tick(50);
    await publisher.publish('c1', { n: 1 });
    await publisher.publish('c2', { m: 1 });
    await tick(50);
    expect([c1.got, c2.got]).toEqual([[{ n: 1 }], [{ m: 1 }]]);
    c1.off();
    await tick(50);
    // Adding c3 makes a switch, without c1.
    const c3 = take('c3');
    await tick(50);
    // The switch that asks for c1 again comes after the churn spacing.
    const back = take('c1');
    await tick(200);
    expect(server.connections).toBe(1);
    expect(back.got).toEqual([{ n: 1 }]);
    expect(c1.got).toEqual([{ n: 1 }]);
    expect(c2.got).toEqual([{ m: 1 }]);
    expect(c3.got).toEqual([]);
    // Later updates once each.
    await publisher.publish('c1', { n: 2 });
    await tick(50);
    expect(back.got).toEqual([{ n: 1 }, { n: 2 }]);
    // Each break-before-make switch reports a possible gap; nothing else goes wrong.
    expect(errors.filter((e) => e.code !== 'gap')).toEqual([]);
    publisher.destroy();
    driver.destroy();
  });

  it('after its only subscription left (the stream closed), a new one gets it once, and again the next time', async () => {
    const { server, driver, publisher, take } = withPublisher();
    const first = take('c1');
    await tick(50);
    await publisher.publish('c1', { n: 1 });
    await tick(50);
    first.off();
    await tick(50);
    expect(server.connections).toBe(0);
    const again = take('c1');
    await tick(50);
    expect(again.got).toEqual([{ n: 1 }]);
    again.off();
    await tick(50);
    const third = take('c1');
    await tick(50);
    expect(third.got).toEqual([{ n: 1 }]);
    expect(first.got).toEqual([{ n: 1 }]);
    publisher.destroy();
    driver.destroy();
  });

  it('an update published to two channels: the one that comes back gives it to its new subscription once, the one that stayed gives no repeat', async () => {
    const { driver, publisher, take } = withPublisher();
    const c1 = take('c1');
    const c2 = take('c2');
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    expect([c1.got, c2.got]).toEqual([[{ n: 1 }], [{ n: 1 }]]);
    c1.off();
    await tick(50);
    const c3 = take('c3');
    await tick(50);
    // The switch that asks for c1 again comes after the churn spacing.
    const back = take('c1');
    await tick(200);
    expect(back.got).toEqual([{ n: 1 }]);
    expect(c2.got).toEqual([{ n: 1 }]);
    expect(c3.got).toEqual([]);
    publisher.destroy();
    driver.destroy();
  });

  it('a channel new on the wire whose value the driver had through another channel: its new subscription gets it once', async () => {
    const { driver, publisher, take } = withPublisher();
    const c2 = take('c2');
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    const c1 = take('c1');
    await tick(200);
    expect(c1.got).toEqual([{ n: 1 }]);
    expect(c2.got).toEqual([{ n: 1 }]);
    publisher.destroy();
    driver.destroy();
  });

  it('a subscription to a channel on the wire and one that is not, both carrying the update: it gets it once (handed over), not again with the new channel', async () => {
    const { driver, publisher, take } = withPublisher();
    const c2 = take('c2');
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    const both = take(['c1', 'c2']);
    await tick(200);
    expect(both.got).toEqual([{ n: 1 }]);
    expect(c2.got).toEqual([{ n: 1 }]);
    publisher.destroy();
    driver.destroy();
  });

  it('a subscription to the new channel alone, made with one handed the update, still gets it once with the new channel', async () => {
    const { driver, publisher, take } = withPublisher();
    const c2 = take('c2');
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    const both = take(['c1', 'c2']);
    const lone = take('c1');
    await tick(200);
    expect(lone.got).toEqual([{ n: 1 }]);
    expect(both.got).toEqual([{ n: 1 }]);
    expect(c2.got).toEqual([{ n: 1 }]);
    publisher.destroy();
    driver.destroy();
  });

  it('a raw subscription to the channel that comes back gets the data as the server sent it (the envelope naming every topic)', async () => {
    const { driver, publisher } = withPublisher();
    const raw = (channel: string) => {
      const got: unknown[] = [];
      const off = driver.subscribe(channel, (u: SseUpdate) => got.push(u.data), { raw: true });
      return { got, off };
    };
    const c1 = raw('c1');
    const c2 = raw('c2');
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    c1.off();
    await tick(50);
    const c3 = raw('c3');
    await tick(50);
    const back = raw('c1');
    await tick(200);
    expect(JSON.parse(String(c1.got[0]))).toMatchObject({ topics: ['c1', 'c2'], payload: { n: 1 } });
    expect(back.got).toEqual(c1.got);
    expect([c2.got, c3.got]).toEqual([c1.got, []]);
    publisher.destroy();
    driver.destroy();
  });

  it('a value once handed to a joining subscription comes back with its channel like any other', async () => {
    const { driver, publisher, take } = withPublisher();
    const c2 = take('c2');
    const first = take('c1');
    await tick(50);
    await publisher.publish('c1', { n: 1 });
    await tick(50);
    const second = take('c1');
    await tick(50);
    expect(second.got).toEqual([{ n: 1 }]);
    first.off();
    second.off();
    await tick(50);
    const c3 = take('c3');
    await tick(50);
    const back = take('c1');
    await tick(200);
    expect(back.got).toEqual([{ n: 1 }]);
    expect([first.got, c2.got, c3.got]).toEqual([[{ n: 1 }], [], []]);
    publisher.destroy();
    driver.destroy();
  });

  it('a subscription to two channels that both carry the same update gets it once when both come back', async () => {
    const { server, driver, publisher, take } = withPublisher();
    const both = take(['c1', 'c2']);
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    both.off();
    await tick(50);
    expect(server.connections).toBe(0);
    const again = take(['c1', 'c2']);
    const one = take('c2');
    await tick(50);
    expect(again.got).toEqual([{ n: 1 }]);
    expect(one.got).toEqual([{ n: 1 }]);
    publisher.destroy();
    driver.destroy();
  });
});
