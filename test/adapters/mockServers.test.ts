import { describe, expect, it } from 'vitest';
import { MockChannelServer } from '../../src/mock/MockChannelServer.js';
import { MockSseEndpoint } from '../../src/mock/MockSseEndpoint.js';
import { MockTokenStreamServer } from '../../src/mock/MockTokenStreamServer.js';
import { openStream } from '../hub/helpers.js';

/** The in-memory servers speak the same wire as the fixture servers of their seed shape. */
describe('in-memory servers of the seed shapes', () => {
  it('MockChannelServer: registered, lastEvent, presence, JSON batch, 400 on reserved types', async () => {
    const server = new MockChannelServer();
    const presence: (readonly string[])[] = [];
    server.on('presence', (ids) => presence.push(ids));
    expect((await server.fetch(`${server.url}/subscribe/`)).status).toBe(400);
    const a = await openStream(server.fetch, `${server.url}/subscribe/?channels=c1,c2&clientId=alice`);
    await a.waitFor((e) => e.event === 'online-presence');
    expect(a.events.map((e) => e.event)).toEqual(['registered', 'lastEvent', 'lastEvent', 'online-presence']);
    const b = await openStream(server.fetch, `${server.url}/subscribe/?channels=c2`);
    const publish = await server.fetch(`${server.url}/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [{ channelName: 'c1', type: 'message', payload: 'one' }, { channelName: 'c2', type: 'bar', payload: 'two' }] }),
    });
    expect(publish.status).toBe(200);
    await a.waitFor((e) => e.event === 'bar');
    expect(JSON.parse(a.events.find((e) => e.event === 'message')?.data ?? '')).toEqual({ channelName: 'c1', type: 'message', payload: 'one' });
    await b.waitFor((e) => e.event === 'bar');
    expect(b.events.some((e) => e.event === 'message')).toBe(false);
    expect(server.lastEvent('c1')).toBe('{"type":"message","payload":"one"}');
    const reserved = await server.fetch(`${server.url}/publish`, { method: 'POST', body: '{"events":[{"channelName":"c1","type":"registered","payload":"x"}]}' });
    expect(reserved.status).toBe(400);
    b.close();
    await a.waitFor((e) => e.event === 'online-presence' && e.data === '{"type":"online-presence","payload":"[\\"alice\\"]"}' && presence.length === 3);
    expect(presence).toEqual([['alice'], ['alice', '1'], ['alice']]);
    a.close();
  });

  it('MockTokenStreamServer: answers with the first event, 401 for missing or expired tokens', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const server = new MockTokenStreamServer({ now: () => now });
    expect((await server.fetch(server.url)).status).toBe(401);
    const token = await server.issueToken('alex', 'chat', 60);
    let answered = false;
    const pending = openStream(server.fetch, server.url, { headers: { Authorization: `Bearer ${token}` } }).then((s) => {
      answered = true;
      return s;
    });
    while (server.connections === 0) await new Promise((r) => setTimeout(r, 1));
    expect(answered).toBe(false);
    expect(server.emit('bob', 'chat', 'data: not alex')).toBe(0);
    expect(server.emit('*', 'chat', 'event: message\ndata: hi\n')).toBe(1);
    const stream = await pending;
    await stream.waitFor((e) => e.data === 'hi');
    stream.close();
    now += 61_000;
    expect((await server.fetch(server.url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('MockSseEndpoint: greeting, named events with fresh ids, optional JSON publish', async () => {
    const server = new MockSseEndpoint({ publishPath: '/publish' });
    const stream = await openStream(server.fetch, server.url);
    expect(stream.response.headers.get('access-control-allow-origin')).toBe('*');
    server.send({ event: 'currentTime', data: 'now' });
    const posted = await server.fetch(new URL('/publish', server.url), { method: 'POST', body: JSON.stringify({ topic: 't', type: 'note', data: { n: 1 } }) });
    expect(posted.status).toBe(204);
    await stream.waitFor((e) => e.event === 'note');
    expect(stream.events.map((e) => [e.event, e.data])).toEqual([
      [undefined, 'hello from steam'],
      ['currentTime', 'now'],
      ['note', '{"n":1}'],
    ]);
    expect(new Set(stream.events.map((e) => e.id)).size).toBe(3);
    stream.close();
  });
});
