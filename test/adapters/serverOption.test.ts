import { describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { SseError } from '../../src/core/errors.js';
import { channels } from '../../src/core/protocols/channels.js';
import { mercure } from '../../src/core/protocols/mercure.js';
import type { ProtocolAdapter, ServerOption } from '../../src/core/protocols/types.js';
import type { FetchLike } from '../../src/core/types.js';
import { MockChannelServer } from '../../src/mock/MockChannelServer.js';
import { StreamHub } from '../core/streamHub.js';

const NO_FETCH: FetchLike = () => new Promise(() => {});

function misuse(server: unknown): SseError {
  try {
    new SseDriver({ url: 'https://server.test/', server: server as ServerOption, fetch: NO_FETCH, platform: { events: undefined } }).destroy();
  } catch (error) {
    if (error instanceof SseError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

/** Only Mercure is built in; every other server shape is an adapter the app imports. */
describe('the server option', () => {
  it.each([
    ['sse', 'sse'],
    ['channels', 'channels'],
    ['token-stream', 'tokenStream'],
  ])("an old server name ('%s') is a misuse whose hint names the adapter to import", (name, factory) => {
    const error = misuse(name);
    expect(error.code).toBe('misuse');
    expect(error.hint).toBe(`Use server: ${factory}, imported from 'sse-kit'.`);
  });

  it('anything else that is no adapter is a misuse naming the adapters', () => {
    for (const server of ['websocket', 42, {}, () => 'channels']) {
      const error = misuse(server);
      expect(error.code).toBe('misuse');
      expect(error.hint).toContain('channels');
    }
  });

  it('takes an adapter object, or a factory called once per driver', () => {
    const made: ProtocolAdapter[] = [];
    const factory = () => {
      const adapter = channels();
      made.push(adapter);
      return adapter;
    };
    const a = new SseDriver({ url: 'https://server.test/', server: factory, fetch: NO_FETCH, platform: { events: undefined } });
    const b = new SseDriver({ url: 'https://server.test/', server: factory, fetch: NO_FETCH, platform: { events: undefined } });
    const c = new SseDriver({ url: 'https://server.test/', server: channels(), fetch: NO_FETCH, platform: { events: undefined } });
    expect(made).toHaveLength(2);
    expect(made[0]).not.toBe(made[1]);
    // A channel server takes channel names only: the adapter in use refuses a pattern at once.
    for (const driver of [a, b, c]) expect(() => driver.subscribe({ pattern: 'https://x.test/:id' }, () => {})).toThrow(SseError);
    for (const driver of [a, b, c]) driver.destroy();
  });

  it('takes the mercure factory itself as the built-in default, with the driver options (plain JavaScript allows it)', () => {
    const driver = new SseDriver({ url: 'https://server.test/', server: mercure as unknown as ServerOption, protocol: 'legacy', fetch: NO_FETCH, platform: { events: undefined } });
    // Mercure takes URL patterns (a channel server would refuse this at once).
    expect(() => driver.subscribe({ pattern: 'https://x.test/:id' }, () => {})).not.toThrow();
    driver.destroy();
  });

  it('gives a driver made with a mercure() object another driver used a fresh one: what auto learned of one hub does not carry over', async () => {
    vi.useFakeTimers();
    try {
      const server = mercure({ protocol: 'auto', maxUrlLength: 4000 });
      const legacy = new StreamHub();
      legacy.respond = (r) => (r.url.searchParams.has('match') ? { status: 400 } : undefined);
      const v1 = new StreamHub();
      const platform = { events: undefined };
      const first = new SseDriver({ url: 'https://old.test/.well-known/mercure', server, fetch: legacy.fetch, tabs: false, platform });
      first.subscribe('a', () => undefined);
      await vi.advanceTimersByTimeAsync(10);
      expect(first.getSnapshot().protocol).toBe('legacy');
      const second = new SseDriver({ url: 'https://new.test/.well-known/mercure', server, fetch: v1.fetch, tabs: false, platform });
      second.subscribe('a', () => undefined);
      await vi.advanceTimersByTimeAsync(10);
      expect(v1.requests.map((r) => [...r.url.searchParams.keys()])).toEqual([['match']]);
      expect(second.getSnapshot()).toMatchObject({ status: 'open', protocol: 'v1' });
      first.destroy();
      second.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives a driver made with an adapter object another driver used a fresh one: a channel's current value reaches the new driver", async () => {
    vi.useFakeTimers();
    try {
      const server = new MockChannelServer();
      server.fire([{ channelName: 'c1', type: 'message', payload: 'current' }]);
      // One options object for both drivers, as a provider's replacement driver gets (after <Activity> hid it, say).
      const options = { url: server.url, fetch: server.fetch, server: channels(), tabs: false, heartbeatTimeout: 0, platform: { events: undefined } } as const;
      const received = async (driver: SseDriver) => {
        const data: unknown[] = [];
        driver.subscribe('c1', (update) => data.push(update.data), { raw: true });
        await vi.advanceTimersByTimeAsync(50);
        driver.destroy();
        return data;
      };
      expect(await received(new SseDriver(options))).toEqual(['current']);
      expect(await received(new SseDriver(options))).toEqual(['current']);
    } finally {
      vi.useRealTimers();
    }
  });
});
