import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, channels } from '../../src/index.js';
import { watchPresence } from '../../src/core/protocols/presence.js';
import { MockChannelServer } from '../../src/mock/index.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(clientId = 'ada') {
  const server = new MockChannelServer();
  const driver = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, clientId, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
  /** A presence watch and the member lists it showed, one per change. */
  const watch = (topic: string) => {
    const presence = watchPresence(driver, topic);
    const shown: string[][] = [];
    const off = presence.subscribe(() => shown.push(presence.getSnapshot().members.map((m) => m.id)));
    return { presence, shown, off };
  };
  return { server, driver, watch };
}

describe('channels: a presence watch joining an open stream gets the current members at once', () => {
  it('a second watch of the same channel: the members once, no new request; the first watch is not told again', async () => {
    const { server, driver, watch } = setup();
    const requests = vi.fn();
    server.on('presence', requests);
    const first = watch('lobby');
    await tick(50);
    expect(first.shown).toEqual([['ada']]);
    const second = watch('lobby');
    await tick(50);
    expect(second.shown).toEqual([['ada']]);
    expect(second.presence.getSnapshot()).toMatchObject({ ready: true, error: undefined });
    expect(first.shown).toEqual([['ada']]);
    expect(server.connections).toBe(1);
    expect(requests).toHaveBeenCalledTimes(1);
    driver.destroy();
  });

  it('a watch of a channel the stream carries for a subscription: the members once, then every change for both', async () => {
    const { server, driver, watch } = setup();
    driver.subscribe('lobby', () => undefined, { raw: true });
    const first = watch('other');
    await tick(50);
    const second = watch('lobby');
    await tick(50);
    expect(second.shown).toEqual([['ada']]);
    const bob = new SseDriver({ url: server.url, server: channels(), fetch: server.fetch, clientId: 'bob', tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    bob.subscribe('lobby', () => undefined, { raw: true });
    await tick(50);
    expect(second.shown).toEqual([['ada'], ['ada', 'bob']]);
    expect(first.shown.at(-1)).toEqual(['ada', 'bob']);
    bob.destroy();
    await tick(50);
    expect(second.shown.at(-1)).toEqual(['ada']);
    driver.destroy();
  });

  it('a watch made again after its last listener left gets the members again', async () => {
    const { driver, watch } = setup();
    driver.subscribe('lobby', () => undefined, { raw: true });
    await tick(50);
    const first = watch('lobby');
    await tick(50);
    expect(first.shown).toEqual([['ada']]);
    first.off();
    const again = first.presence.subscribe(() => undefined);
    await tick(50);
    expect(first.presence.getSnapshot().members.map((m) => m.id)).toEqual(['ada']);
    again();
    driver.destroy();
  });
});
