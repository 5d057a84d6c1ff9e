import { afterEach, describe, expect, it } from 'vitest';
import { openStream, type TestStream } from '../hub/helpers.js';
import { startChannelServer, type ChannelServer } from './channelServer.js';
import { startPlainSseServer, type PlainSseServer } from './plainSseServer.js';
import { startTokenStreamServer, type TokenStreamServer } from './tokenStreamServer.js';

/** The fixtures behave as their seed documents describe (checked with plain fetch, no sse-kit). */
describe('seed fixture servers', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const track = (stream: TestStream) => {
    cleanup.push(() => stream.close());
    return stream;
  };

  it('001: Bearer JWT, late headers, payload written as is, 401 without or with an expired token', async () => {
    const server: TokenStreamServer = await startTokenStreamServer();
    cleanup.push(() => server.close());
    expect((await fetch(server.url)).status).toBe(401);
    const token = await server.token('alex', 'chat', 60);
    let answered = false;
    const pending = openStream(fetch, server.url, { headers: { Authorization: `Bearer ${token}` } }).then((s) => {
      answered = true;
      return s;
    });
    while (server.clients === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false); // no headers before the first event
    await server.emit('*', 'chat', 'event: message\ndata: one\n');
    await server.emit('bob', 'chat', 'event: message\ndata: not for alex\n');
    await server.emit('alex', 'other', 'event: message\ndata: other channel\n');
    await server.emit('alex', 'chat', 'data: two\n');
    const stream = track(await pending);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    await stream.waitFor((e) => e.data === 'two');
    expect(stream.events.map((e) => [e.event, e.data, e.id])).toEqual([
      ['message', 'one', undefined],
      [undefined, 'two', undefined],
    ]);
    server.clockSkew = 120_000;
    expect((await fetch(server.url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('002: registered, lastEvent per channel, presence, typed events, JSON batch publish', async () => {
    const server: ChannelServer = await startChannelServer();
    cleanup.push(() => server.close());
    expect((await fetch(`${server.url}/subscribe/`)).status).toBe(400);
    const a = track(await openStream(fetch, `${server.url}/subscribe/?channels=c1,c2&clientId=alice`));
    expect(a.response.headers.get('access-control-allow-origin')).toBe('*');
    await a.waitFor((e) => e.event === 'online-presence');
    expect(a.events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['registered', { type: 'registered', payload: '{"clientId":"alice"}' }],
      ['lastEvent', { channelName: 'c1', type: 'lastEvent', payload: '{}' }],
      ['lastEvent', { channelName: 'c2', type: 'lastEvent', payload: '{}' }],
      ['online-presence', { type: 'online-presence', payload: '["alice"]' }],
    ]);
    const b = track(await openStream(fetch, `${server.url}/subscribe/?channels=c2`));
    await a.waitFor((e) => e.event === 'online-presence' && e.data.includes('\\"1\\"'));
    const publish = await fetch(`${server.url}/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        events: [
          { channelName: 'c1', type: 'message', payload: '{"n":1}' },
          { channelName: 'c2', type: 'bar', payload: 'x' },
        ],
      }),
    });
    expect(publish.status).toBe(200);
    await a.waitFor((e) => e.event === 'bar');
    expect(a.events.find((e) => e.event === 'message')?.data).toBe('{"channelName":"c1","type":"message","payload":"{\\"n\\":1}"}');
    await b.waitFor((e) => e.event === 'bar');
    expect(b.events.some((e) => e.event === 'message')).toBe(false);
    expect(a.events.every((e) => e.id === undefined)).toBe(true);
    const reserved = await fetch(`${server.url}/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"events":[{"channelName":"c1","type":"lastEvent","payload":"x"}]}' });
    expect(reserved.status).toBe(400);
    const late = track(await openStream(fetch, `${server.url}/subscribe/?channels=c1`));
    await late.waitFor((e) => e.event === 'lastEvent');
    expect(JSON.parse(late.events[1]?.data ?? '')).toEqual({ channelName: 'c1', type: 'lastEvent', payload: '{"type":"message","payload":"{\\"n\\":1}"}' });
    b.close();
    await a.waitFor((e) => e.event === 'online-presence' && !e.data.includes('\\"1\\"'));
  });

  it('003: simple-CORS stream with random ids, named events, no preflight', async () => {
    const server: PlainSseServer = await startPlainSseServer();
    cleanup.push(() => server.close());
    const stream = track(await openStream(fetch, server.url));
    expect(stream.response.headers.get('access-control-allow-origin')).toBe('*');
    await stream.waitFor((e) => e.data === 'hello from steam');
    server.send({ event: 'currentTime', data: 'Sat, 28 Nov 2026 09:00:00 GMT' });
    const named = await stream.waitFor((e) => e.event === 'currentTime');
    expect(named.id).toMatch(/^0\.\d+/);
    expect((await fetch(server.url, { method: 'OPTIONS' })).status).toBe(404);
  });
});
