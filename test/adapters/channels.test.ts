import { EventSource } from 'eventsource';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { SseError } from '../../src/core/errors.js';
import { channels } from '../../src/core/protocols/channels.js';
import type { EventSourceConstructor, SseDriverOptions, SseUpdate } from '../../src/core/types.js';
import { startChannelServer, type ChannelServer } from '../servers/channelServer.js';
import { startPlainSseServer } from '../servers/plainSseServer.js';
import { startWrongShapeServer } from '../servers/wrongShapeServer.js';
import { watchPresence } from '../../src/core/protocols/presence.js';

/** The channels adapter against a real server of seed 002's shape. */
describe("server: channels() on a seed-002-shaped server", () => {
  let server: ChannelServer;
  const drivers: SseDriver[] = [];
  const make = (options: Partial<SseDriverOptions> = {}) => {
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: server.url, server: channels(), retry: { initialDelay: 20, maxDelay: 50 }, onError: (e) => errors.push(e), ...options });
    drivers.push(driver);
    return { driver, errors };
  };
  beforeEach(async () => {
    server = await startChannelServer();
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    await server.close();
  });

  it('subscribes to channels by name, routes by channelName, keeps event types, delivers lastEvent first', async () => {
    server.fire([{ channelName: 'c1', type: 'message', payload: 'created' }]); // a channel first used by a publish keeps the bare payload
    const { driver, errors } = make();
    const c1: SseUpdate[] = [];
    const c2: SseUpdate[] = [];
    const bars: SseUpdate[] = [];
    driver.subscribe('c1', (u) => c1.push(u), { raw: true });
    driver.subscribe('c2', (u) => c2.push(u), { raw: true });
    driver.subscribe('c2', (u) => bars.push(u), { raw: true, type: 'bar' });
    await expect.poll(() => server.online.length).toBe(1);
    expect(server.subscribes.at(-1)?.searchParams.get('channels')?.split(',').sort()).toEqual(['c1', 'c2']);
    expect(server.subscribes.at(-1)?.searchParams.get('clientId')).toBe(driver.clientId);
    server.fire([
      { channelName: 'c1', type: 'message', payload: '{"location":"123.44,34.23"}' },
      { channelName: 'c1', type: 'foo', payload: 'Hi fooo' },
      { channelName: 'c2', type: 'message', payload: 'two' },
      { channelName: 'c2', type: 'bar', payload: 'b' },
    ]);
    await expect.poll(() => c2.length).toBe(2);
    expect(c1.map((u) => [u.topic, u.type, u.data])).toEqual([
      ['c1', 'message', 'created'],
      ['c1', 'message', '{"location":"123.44,34.23"}'],
      ['c1', 'foo', 'Hi fooo'],
    ]);
    expect(c2.map((u) => [u.topic, u.type, u.data])).toEqual([
      ['c2', 'message', 'two'],
      ['c2', 'bar', 'b'],
    ]);
    expect(bars.map((u) => u.data)).toEqual(['b']);
    // registered and online-presence events reach nobody, quietly.
    expect(errors).toEqual([]);
  });

  it('publishes as the JSON batch; publishes made together go in one request; two clients exchange updates', async () => {
    const alice = make().driver;
    const bob = make().driver;
    const got: SseUpdate[] = [];
    bob.subscribe(['room', 'other'], (u) => got.push(u));
    await expect.poll(() => server.online.length).toBe(1);
    alice.subscribe('room', () => undefined);
    await expect.poll(() => server.online.length).toBe(2);
    const ids = await Promise.all([alice.publish('room', { n: 1 }), alice.publish('room', { n: 2 }), alice.publish('other', { n: 3 }, { type: 'note' })]);
    expect(server.publishes.length).toBe(1);
    expect(server.publishes[0]?.events.map((e) => [e.channelName, e.type])).toEqual([
      ['room', 'message'],
      ['room', 'message'],
      ['other', 'note'],
    ]);
    await expect.poll(() => got.length).toBe(3);
    expect(got.map((u) => [u.topic, u.data, u.id, u.type, u.sender])).toEqual([
      ['room', { n: 1 }, ids[0], 'message', alice.clientId],
      ['room', { n: 2 }, ids[1], 'message', alice.clientId],
      ['other', { n: 3 }, ids[2], 'note', alice.clientId],
    ]);
  });

  it('a matcher change delivers no duplicate (no repeated lastEvent) and loses nothing on kept channels', async () => {
    const { driver } = make();
    const c1: SseUpdate[] = [];
    driver.subscribe('c1', (u) => c1.push(u), { raw: true });
    await expect.poll(() => server.online.length).toBe(1);
    for (let n = 1; n <= 4; n++) server.fire([{ channelName: 'c1', type: 'message', payload: `m${n}` }]);
    await expect.poll(() => c1.length).toBe(4);
    const opened = server.subscribes.length;
    driver.subscribe('c2', () => undefined, { raw: true });
    await expect.poll(() => server.subscribes.length).toBe(opened + 1);
    await expect.poll(() => server.online.length).toBe(1);
    for (let n = 5; n <= 8; n++) server.fire([{ channelName: 'c1', type: 'message', payload: `m${n}` }]);
    await expect.poll(() => c1.length).toBe(8);
    await new Promise((r) => setTimeout(r, 50));
    expect(c1.map((u) => u.data)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
  });

  it('a server restart reconnects and reports the possible loss as a gap; the new last value arrives', async () => {
    const { driver, errors } = make();
    const c1: SseUpdate[] = [];
    driver.subscribe('c1', (u) => c1.push(u), { raw: true });
    await expect.poll(() => server.online.length).toBe(1);
    server.fire([{ channelName: 'c1', type: 'message', payload: 'before' }]);
    await expect.poll(() => c1.length).toBe(1);
    await server.stop();
    await server.start();
    await expect.poll(() => errors.some((e) => e.code === 'gap')).toBe(true);
    await expect.poll(() => driver.getSnapshot().status).toBe('open');
    server.fire([{ channelName: 'c1', type: 'message', payload: 'after' }]);
    await expect.poll(() => c1.map((u) => u.data)).toEqual(['before', 'after']);
  });

  it('tells presence: two clients see each other, and a leave', async () => {
    const alice = make({ clientId: 'alice' }).driver;
    const bob = make({ clientId: 'bob' }).driver;
    const watch = watchPresence(alice, 'room');
    const off = watch.subscribe(() => undefined);
    await expect.poll(() => watch.getSnapshot().members.map((m) => m.id)).toEqual(['alice']);
    const bobWatch = watchPresence(bob, 'room');
    const offBob = bobWatch.subscribe(() => undefined);
    await expect.poll(() => watch.getSnapshot().members.map((m) => m.id).sort()).toEqual(['alice', 'bob']);
    expect(watch.getSnapshot().ready).toBe(true);
    await expect.poll(() => bobWatch.getSnapshot().members.map((m) => m.id).sort()).toEqual(['alice', 'bob']);
    offBob();
    await expect.poll(() => watch.getSnapshot().members.map((m) => m.id)).toEqual(['alice']);
    off();
  });

  it('over the eventsource transport: the last value, typed events asked for, presence', async () => {
    const { driver, errors } = make({ transport: 'eventsource', EventSource: EventSource as unknown as EventSourceConstructor, clientId: 'es' });
    server.fire([{ channelName: 'c1', type: 'message', payload: 'first' }]);
    const c1: SseUpdate[] = [];
    driver.subscribe('c1', (u) => c1.push(u), { raw: true });
    driver.subscribe('c1', (u) => c1.push(u), { raw: true, type: 'foo' });
    const watch = watchPresence(driver, 'c1');
    const off = watch.subscribe(() => undefined);
    await expect.poll(() => watch.getSnapshot().members.map((m) => m.id)).toEqual(['es']);
    server.fire([
      { channelName: 'c1', type: 'message', payload: 'second' },
      { channelName: 'c1', type: 'foo', payload: 'third' },
    ]);
    await expect.poll(() => c1.map((u) => `${u.type}:${String(u.data)}`)).toEqual(['message:first', 'message:second', 'foo:third', 'foo:third']); // the untyped and the foo subscription
    expect(errors).toEqual([]);
    off();
  });

  it('refuses patterns and "*" at once with a typed error naming the adapter', () => {
    const { driver } = make();
    for (const matcher of [{ pattern: 'https://example.com/:id' }, '*', 'a,b']) {
      expect(() => driver.subscribe(matcher, () => undefined)).toThrow(expect.objectContaining({ code: 'misuse', message: expect.stringMatching(/channels adapter/) }));
    }
  });
});

describe("server: channels() against servers of another shape", () => {
  it('a plain SSE endpoint: a typed protocol error naming the adapter and the expected event shape', async () => {
    const plain = await startPlainSseServer({ path: '/subscribe/' });
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: plain.origin, server: channels(), onError: (e) => errors.push(e) });
    driver.subscribe('c1', () => undefined, { raw: true });
    await expect.poll(() => errors.find((e) => e.code === 'protocol')?.message).toMatch(/channels adapter expected JSON \{"channelName", "type", "payload"\}/);
    driver.destroy();
    await plain.close();
  });

  it('an HTML page or JSON where SSE is expected: a typed protocol error naming the adapter', async () => {
    const wrong = await startWrongShapeServer();
    for (const path of ['/html', '/json']) {
      const errors: SseError[] = [];
      const driver = new SseDriver({ url: wrong.origin, server: channels({ subscribePath: path }), onError: (e) => errors.push(e) });
      driver.subscribe('c1', () => undefined, { raw: true });
      await expect.poll(() => driver.getSnapshot().status).toBe('error');
      expect(errors[0]?.code).toBe('protocol');
      expect(errors[0]?.message).toMatch(/channels adapter/);
      expect(errors[0]?.message).toMatch(/text\/event-stream/);
      driver.destroy();
    }
    await wrong.close();
  });
});
