import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { SseError } from '../../src/core/errors.js';
import { sse } from '../../src/core/protocols/sse.js';
import type { SseUpdate } from '../../src/core/types.js';
import { startPlainSseServer, type PlainSseServer } from '../servers/plainSseServer.js';
import { startWrongShapeServer } from '../servers/wrongShapeServer.js';
import { StreamHub, sse as sseEvent } from '../core/streamHub.js';

/** The sse adapter against a real server of seed 003's shape. */
describe("server: sse() on a seed-003-shaped endpoint", () => {
  let server: PlainSseServer;
  const drivers: SseDriver[] = [];
  beforeEach(async () => {
    server = await startPlainSseServer({ publishPath: '/publish' });
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    await server.close();
  });

  it('event names are topics: named and unnamed events reach their subscriptions, "*" gets all', async () => {
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: server.url, server: sse(), onError: (e) => errors.push(e) });
    drivers.push(driver);
    const times: SseUpdate[] = [];
    const messages: SseUpdate[] = [];
    const all: SseUpdate[] = [];
    driver.subscribe('currentTime', (u) => times.push(u), { raw: true });
    driver.subscribe('message', (u) => messages.push(u), { raw: true });
    const off = driver.subscribe('*', (u) => all.push(u), { raw: true });
    await expect.poll(() => messages.map((u) => u.data)).toEqual(['hello from steam']);
    server.send({ event: 'currentTime', data: 'Sat, 28 Nov 2026 09:00:00 GMT' });
    await expect.poll(() => times.length).toBe(1);
    expect(times[0]).toMatchObject({ topic: 'currentTime', type: 'currentTime', data: 'Sat, 28 Nov 2026 09:00:00 GMT' });
    expect(all.map((u) => u.type)).toEqual(['message', 'currentTime']);
    // The endpoint sends every event whatever was asked: one nobody selects is dropped quietly.
    off();
    server.send({ event: 'other', data: 'nobody asked' });
    server.send({ event: 'currentTime', data: 'later' });
    await expect.poll(() => times.length).toBe(2);
    expect(errors).toEqual([]);
    // Simple request: no header of ours that makes a cross-origin request need a preflight
    // (Node's fetch itself writes `pragma` and `cache-control` for `cache: 'no-store'`; browsers do not count those).
    const headers = server.requests[0]?.headers ?? {};
    const own = Object.keys(headers).filter((h) => !['host', 'connection', 'accept-language', 'accept-encoding', 'user-agent', 'sec-fetch-mode', 'pragma', 'cache-control'].includes(h));
    expect(own).toEqual(['accept']);
    expect(headers['accept']).toBe('text/event-stream');
  });

  it("the driver's topicOf routes instead of the event name", async () => {
    const driver = new SseDriver({ url: server.url, server: sse(), topicOf: (event) => (event.data.startsWith('{') ? (JSON.parse(event.data) as { room: string }).room : undefined) });
    drivers.push(driver);
    const lobby: SseUpdate[] = [];
    driver.subscribe('lobby', (u) => lobby.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    server.send({ event: 'chat', data: '{"room":"lobby","text":"hi"}' });
    server.send({ event: 'chat', data: '{"room":"kitchen","text":"no"}' });
    await expect.poll(() => lobby.map((u) => [u.topic, u.type])).toEqual([['lobby', 'chat']]);
  });

  it('a matcher change opens no new stream and delivers nothing twice', async () => {
    const driver = new SseDriver({ url: server.url, server: sse() });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('tick', (u) => got.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    server.send({ event: 'tick', data: '1' });
    await expect.poll(() => got.length).toBe(1);
    const off = driver.subscribe('tock', () => undefined, { raw: true });
    await new Promise((r) => setTimeout(r, 30));
    server.send({ event: 'tick', data: '2' });
    off();
    await new Promise((r) => setTimeout(r, 30));
    server.send({ event: 'tick', data: '3' });
    await expect.poll(() => got.map((u) => u.data)).toEqual(['1', '2', '3']);
    expect(server.requests.filter((r) => r.line.startsWith('GET')).length).toBe(1);
  });

  it('publishes through publishUrl (sse-kit updates come back routed by their envelope) or a publish function', async () => {
    const driver = new SseDriver({ url: server.url, server: sse({ publishUrl: '/publish' }) });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('https://example.com/rooms/1', (u) => got.push(u));
    await expect.poll(() => server.clients).toBe(1);
    const id = await driver.publish('https://example.com/rooms/1', { text: 'hi' });
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]).toMatchObject({ topic: 'https://example.com/rooms/1', data: { text: 'hi' }, sender: driver.clientId });
    expect(server.published[0]).toMatchObject({ topic: 'https://example.com/rooms/1', id });

    const calls: string[] = [];
    const custom = new SseDriver({
      url: server.url,
      server: sse({
        publish: async (update) => {
          calls.push(update.topics.join(','));
          return 'server-id';
        },
      }),
    });
    drivers.push(custom);
    expect(await custom.publish('t', 1)).toBe('server-id');
    expect(calls).toEqual(['t']);
  });

  it('without a publish URL or function, publish is refused at once with unsupported and a hint', async () => {
    const driver = new SseDriver({ url: server.url, server: sse() });
    drivers.push(driver);
    await expect(driver.publish('t', 1)).rejects.toMatchObject({ code: 'unsupported', hint: expect.stringMatching(/publishUrl/) });
    expect(server.requests.length).toBe(0);
  });

  it('a server restart reconnects, sends no Last-Event-ID (its ids resume nothing) and reports the possible loss', async () => {
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: server.url, server: sse(), retry: { initialDelay: 20, maxDelay: 50 }, onError: (e) => errors.push(e) });
    drivers.push(driver);
    driver.subscribe('*', () => undefined, { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    await server.stop();
    await server.start();
    await expect.poll(() => server.clients).toBe(1);
    await expect.poll(() => errors.map((e) => e.code)).toContain('gap');
    const gets = server.requests.filter((r) => r.line.startsWith('GET'));
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(gets.every((r) => r.headers['last-event-id'] === undefined)).toBe(true);
  });

  it('an HTML page or JSON where SSE is expected: a typed protocol error naming the adapter', async () => {
    const wrong = await startWrongShapeServer();
    for (const path of ['/html', '/json']) {
      const errors: SseError[] = [];
      const driver = new SseDriver({ url: `${wrong.origin}${path}`, server: sse(), onError: (e) => errors.push(e) });
      driver.subscribe('*', () => undefined, { raw: true });
      await expect.poll(() => driver.getSnapshot().status).toBe('error');
      expect(errors[0]).toMatchObject({ code: 'protocol' });
      expect(errors[0]?.message).toMatch(/sse adapter expected text\/event-stream/);
      driver.destroy();
    }
    await wrong.close();
  });
});

describe('server: sse() and comments, under fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const hub = new StreamHub();
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: 'https://api.test/sse', server: sse(), fetch: hub.fetch, heartbeatTimeout: 1000, platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
    driver.subscribe('*', () => undefined, { raw: true });
    return { hub, driver, errors };
  }

  it('a greeting comment that starts the stream is not taken for heartbeats: the quiet stream is not restarted', async () => {
    const { hub, driver, errors } = setup();
    await vi.advanceTimersByTimeAsync(10);
    hub.last.push(`: connected\n\n${sseEvent({ event: 'tick', data: '1' })}`);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(hub.requests).toHaveLength(1);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    expect(errors).toEqual([]);
    driver.destroy();
  });

  it('comments that keep coming are heartbeats: once they stop, the stream is restarted', async () => {
    const { hub, driver } = setup();
    await vi.advanceTimersByTimeAsync(10);
    hub.last.push(': connected\n\n');
    await vi.advanceTimersByTimeAsync(500);
    hub.last.push(':\n\n');
    await vi.advanceTimersByTimeAsync(900);
    expect(hub.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(driver.getSnapshot().error?.code).toBe('timeout');
    driver.destroy();
  });
});
