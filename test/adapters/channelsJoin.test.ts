import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, channels } from '../../src/index.js';
import type { SseUpdate, SubscribeOptions } from '../../src/index.js';
import { channelDriver as setup, tick } from './channelDriver.js';
import { MockEventStream, sseFrame } from '../../src/mock/eventStream.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("channels: a subscription joining a stream that carries its channel gets the channel's current value", () => {
  it('a second subscription gets it alone and once, without a new request; later changes reach both in order', async () => {
    const { server, driver, errors, listen } = setup();
    const requests = vi.fn();
    server.on('presence', requests);
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    const first = listen('c1');
    await tick(50);
    expect(first.got).toEqual(['v1']);
    const second = listen('c1');
    await tick(50);
    expect(second.got).toEqual(['v1']);
    expect(first.got).toEqual(['v1']);
    // No new stream was opened for it (each stream of this client would tell its presence again).
    expect(requests).toHaveBeenCalledTimes(1);
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v2' }]);
    await tick(50);
    expect(first.got).toEqual(['v1', 'v2']);
    expect(second.got).toEqual(['v1', 'v2']);
    expect(errors).toEqual([]);
    driver.destroy();
  });

  it('a component remounted in the same task while another subscription keeps the stream gets it again', async () => {
    const { server, driver, listen } = setup();
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'v1' },
      { channelName: 'c2', type: 'message', payload: 'w1' },
    ]);
    const keeper = listen('c2');
    const mounted = listen('c1');
    await tick(50);
    expect(mounted.got).toEqual(['v1']);
    mounted.off();
    const remounted = listen('c1');
    await tick(50);
    expect(remounted.got).toEqual(['v1']);
    expect(mounted.got).toEqual(['v1']);
    expect(keeper.got).toEqual(['w1']);
    expect(server.connections).toBe(1);
    driver.destroy();
  });

  it("subscriptions made with the stream's request get its lastEvent once, and one made just after it the value once", async () => {
    const { server, driver, listen } = setup();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    const a = listen('c1');
    const b = listen('c1');
    // The coalesced request is made: the stream delivers its lastEvent.
    await tick(10);
    const c = listen('c1');
    await tick(50);
    expect([a.got, b.got, c.got]).toEqual([['v1'], ['v1'], ['v1']]);
    driver.destroy();
  });

  it('a channel with no value yet gives nothing, then its first value to every subscription once', async () => {
    const { server, driver, listen } = setup();
    const first = listen('c1');
    await tick(50);
    const second = listen('c1');
    await tick(50);
    expect([first.got, second.got]).toEqual([[], []]);
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    await tick(50);
    expect([first.got, second.got]).toEqual([['v1'], ['v1']]);
    driver.destroy();
  });

  it('during a switch: a channel the new stream keeps is handed over once, a channel it adds comes with its lastEvent once', async () => {
    const { server, driver, listen } = setup();
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'v1' },
      { channelName: 'c2', type: 'message', payload: 'w1' },
    ]);
    const c1 = listen('c1');
    await tick(50);
    const late: Array<{ got: string[] }> = [];
    const off = driver.on('event', (event) => {
      // The switch that adds c2 started its request: subscriptions made now join it in flight.
      if (event.type !== 'connecting' || late.length > 0) return;
      late.push(listen('c1'), listen('c2'));
    });
    const c2 = listen('c2');
    await tick(50);
    off();
    expect(late).toHaveLength(2);
    expect(server.connections).toBe(1);
    expect(c1.got).toEqual(['v1']);
    expect(c2.got).toEqual(['w1']);
    expect(late.map((l) => l.got)).toEqual([['v1'], ['w1']]);
    driver.destroy();
  });

  it('the type, raw and parse options apply as to the lastEvent; sse-kit updates keep their sender', async () => {
    const { server, driver } = setup();
    const publisher = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const listen = (options: SubscribeOptions) => {
      const got: SseUpdate[] = [];
      driver.subscribe('c1', (u: SseUpdate) => got.push(u), options);
      return got;
    };
    const first = listen({});
    await tick(50);
    await publisher.publish('c1', { n: 1 }, { type: 'foo' });
    await tick(50);
    expect(first.map((u) => u.data)).toEqual([{ n: 1 }]);
    const plain = listen({});
    const typed = listen({ type: 'foo', parse: (data) => (data as { n: number }).n * 10 });
    const otherType = listen({ type: 'bar' });
    const raw = listen({ raw: true });
    await tick(50);
    expect(plain).toEqual([{ topic: 'c1', data: { n: 1 }, id: expect.any(String), type: 'foo', sender: publisher.clientId }]);
    expect(plain[0]?.id).toBe(first[0]?.id);
    expect(typed.map((u) => u.data)).toEqual([10]);
    expect(otherType).toEqual([]);
    expect(raw.map((u) => JSON.parse(String(u.data)) as unknown)).toEqual([expect.objectContaining({ payload: { n: 1 } })]);
    expect(first).toHaveLength(1);
    publisher.destroy();
    driver.destroy();
  });

  it('a raw update of a channel reaches no subscription that is not raw (as its lastEvent would not)', async () => {
    const { server, driver, listen } = setup();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    listen('c1');
    await tick(50);
    const got: SseUpdate[] = [];
    driver.subscribe('c1', (u: SseUpdate) => got.push(u));
    await tick(50);
    expect(got).toEqual([]);
    driver.destroy();
  });

  it('a subscription that left before the hand-over gets nothing', async () => {
    const { server, driver, listen } = setup();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    listen('c1');
    await tick(50);
    const left = listen('c1');
    left.off();
    await tick(50);
    expect(left.got).toEqual([]);
    driver.destroy();
  });

  it('a driver destroyed before the hand-over hands nothing', async () => {
    const { server, driver, listen } = setup();
    server.fire([{ channelName: 'c1', type: 'message', payload: 'v1' }]);
    listen('c1');
    await tick(50);
    const late = listen('c1');
    driver.destroy();
    await tick(50);
    expect(late.got).toEqual([]);
  });

  it('an sse-kit update published to two channels reaches a subscription to both once', async () => {
    const { server, driver } = setup();
    const publisher = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const listen = () => {
      const got: unknown[] = [];
      driver.subscribe(['c1', 'c2'], (u: SseUpdate) => got.push(u.data));
      return got;
    };
    const first = listen();
    await tick(50);
    await publisher.publish(['c1', 'c2'], { n: 1 });
    await tick(50);
    const second = listen();
    await tick(50);
    expect([first, second]).toEqual([[{ n: 1 }], [{ n: 1 }]]);
    publisher.destroy();
    driver.destroy();
  });
});

describe('channels: the hand-over comes before any later update of the channel', () => {
  /** A channel server whose stream the test writes, several events in one chunk. */
  function wire() {
    let stream: MockEventStream | undefined;
    const frame = (channelName: string | undefined, type: string, payload: string) => sseFrame({ event: type, data: JSON.stringify({ channelName, type, payload }) });
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
      stream = new MockEventStream(init?.signal ?? undefined, { 'content-type': 'text/event-stream' }, () => {});
      stream.write(frame(undefined, 'registered', '{"clientId":"x"}') + frame('c1', 'lastEvent', '{"type":"message","payload":"v1"}'));
      return stream.response;
    };
    const write = (...events: Array<[string, string]>) => stream?.write(events.map(([channel, payload]) => frame(channel, 'message', payload)).join(''));
    return { fetch, write };
  }

  it('a subscription made by a listener during an update gets that value before the next one of the same chunk', async () => {
    const { fetch, write } = wire();
    const driver = new SseDriver({ url: 'https://channels.mock', server: channels(), fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const late: string[] = [];
    const first: string[] = [];
    driver.subscribe(
      'c1',
      (u: SseUpdate) => {
        first.push(String(u.data));
        if (u.data === 'v2') driver.subscribe('c1', (v: SseUpdate) => late.push(String(v.data)), { raw: true });
      },
      { raw: true },
    );
    await tick(50);
    write(['c1', 'v2'], ['c1', 'v3']);
    await tick(50);
    expect(first).toEqual(['v1', 'v2', 'v3']);
    expect(late).toEqual(['v2', 'v3']);
    driver.destroy();
  });
});
