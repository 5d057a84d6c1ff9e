import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { SseError } from '../../src/core/errors.js';
import type { SseUpdate } from '../../src/core/types.js';
import { MockTokenStreamServer } from '../../src/mock/MockTokenStreamServer.js';
import { startTokenStreamServer, type TokenStreamServer } from '../servers/tokenStreamServer.js';
import { tokenStream } from '../../src/core/protocols/tokenStream.js';

/** The token-stream adapter against a real server of seed 001's shape. */
describe("server: tokenStream() on a seed-001-shaped server", () => {
  let server: TokenStreamServer;
  const drivers: SseDriver[] = [];
  beforeEach(async () => {
    server = await startTokenStreamServer();
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    await server.close();
  });

  it('subscribes with the Bearer token; open before the first event; events are raw updates of their type', async () => {
    const token = await server.token('alex', 'chat', 3600);
    const driver = new SseDriver({ url: server.url, server: tokenStream(), headers: { Authorization: `Bearer ${token}` } });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('message', (u) => got.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    await expect.poll(() => driver.getSnapshot().status).toBe('open');
    expect(got).toEqual([]);
    await server.emit('alex', 'chat', 'event: message\ndata: {"text":"hi"}\n');
    await server.emit('*', 'chat', 'data: to all\n');
    await expect.poll(() => got.length).toBe(2);
    expect(got.map((u) => [u.topic, u.type, u.data, u.id])).toEqual([
      ['message', 'message', '{"text":"hi"}', ''],
      ['message', 'message', 'to all', ''],
    ]);
  });

  it("the adapter's topic option names the stream's topic (e.g. the token's channel)", async () => {
    const token = await server.token('alex', 'chat', 3600);
    const { tokenStream } = await import('../../src/core/protocols/tokenStream.js');
    const driver = new SseDriver({ url: server.url, server: tokenStream({ topic: 'chat' }), headers: { Authorization: `Bearer ${token}` } });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('chat', (u) => got.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    await server.emit('alex', 'chat', 'event: typing\ndata: alex\n');
    await expect.poll(() => got.map((u) => [u.topic, u.type, u.data])).toEqual([['chat', 'typing', 'alex']]);
  });

  it('publish is refused at once with a typed unsupported error and a hint', async () => {
    const driver = new SseDriver({ url: server.url, server: tokenStream() });
    drivers.push(driver);
    const error = await driver.publish('chat', { text: 'hi' }).catch((e: SseError) => e);
    expect(error).toMatchObject({ code: 'unsupported' });
    expect((error as SseError).hint).toMatch(/back end/);
  });

  it('an expiring token is refreshed by the headers function at the reconnect; a stale static token stops with unauthorized', async () => {
    let issued = 0;
    const driver = new SseDriver({
      url: server.url,
      server: tokenStream(),
      retry: { initialDelay: 20, maxDelay: 50 },
      headers: async () => {
        issued++;
        return { Authorization: `Bearer ${await server.token('alex', 'chat', 60)}` };
      },
    });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('message', (u) => got.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    const first = server.authorizations.at(-1);

    // An hour later the first token has expired; the stream breaks and the reconnect takes a fresh token.
    server.clockSkew = 3_600_000;
    server.dropClients();
    await expect.poll(() => server.clients).toBe(1);
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(server.authorizations.at(-1)).not.toBe(first);
    await server.emit('alex', 'chat', 'data: still here\n');
    await expect.poll(() => got.map((u) => u.data)).toEqual(['still here']);

    const errors: SseError[] = [];
    const stale = new SseDriver({ url: server.url, server: tokenStream(), headers: { Authorization: first ?? '' }, onError: (e) => errors.push(e) });
    drivers.push(stale);
    stale.subscribe('message', () => undefined, { raw: true });
    await expect.poll(() => stale.getSnapshot().status).toBe('error');
    expect(errors.map((e) => e.code)).toEqual(['unauthorized']);
  });

  it('a server restart reconnects and reports the possible loss as a gap', async () => {
    const token = await server.token('alex', 'chat', 3600);
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: server.url, server: tokenStream(), retry: { initialDelay: 20, maxDelay: 50 }, headers: { Authorization: `Bearer ${token}` }, onError: (e) => errors.push(e) });
    drivers.push(driver);
    const got: SseUpdate[] = [];
    driver.subscribe('message', (u) => got.push(u), { raw: true });
    await expect.poll(() => server.clients).toBe(1);
    await server.emit('*', 'chat', 'data: before\n');
    await expect.poll(() => got.length).toBe(1);
    await server.stop();
    await server.start();
    await expect.poll(() => server.clients).toBe(1);
    await expect.poll(() => errors.map((e) => e.code)).toContain('gap');
    await server.emit('*', 'chat', 'data: after\n');
    await expect.poll(() => got.map((u) => u.data)).toEqual(['before', 'after']);
  });
});

describe('token-stream capabilities under fake timers (in-memory server)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a quiet stream is never restarted by the heartbeat watchdog (the server sends no heartbeats)', async () => {
    const server = new MockTokenStreamServer({ now: () => Date.parse('2026-01-01T00:00:00Z') });
    const token = await server.issueToken('alex', 'chat', 3600);
    vi.useFakeTimers();
    const requests: string[] = [];
    const driver = new SseDriver({
      url: server.url,
      server: tokenStream(),
      headers: { Authorization: `Bearer ${token}` },
      fetch: (input, init) => {
        requests.push(String(input));
        return server.fetch(input, init);
      },
      platform: { events: undefined },
    });
    driver.subscribe('message', () => undefined, { raw: true });
    await vi.advanceTimersByTimeAsync(10);
    // The token's signature is checked on WebCrypto, which fake timers do not drive.
    await vi.waitFor(() => expect(server.connections).toBe(1));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(driver.getSnapshot().status).toBe('open');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(requests.length).toBe(1);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });
});
