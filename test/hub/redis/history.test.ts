import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubEngine } from '../../../src/hub/engine/index.js';
import { RedisTransport } from '../../../src/hub/index.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';
import { update } from './recordingListener.js';

describe('the history window on Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('locates the newest update that left the window (nothing after it is lost), not an older one', async () => {
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'history:1', history: 2 });
    for (const id of ['a', 'b', 'c']) await transport.append(update(id), `fresh-${id}`);
    // The window holds b and c; a left it, but everything after a is there.
    const a = await transport.locate('a');
    expect(a).toBeDefined();
    expect((await transport.readBefore(a as string, 5)).map((entry) => entry.update.id)).toEqual(['a']);
    expect((await transport.readAfter(a as string, 5)).map((entry) => entry.update.id)).toEqual(['b', 'c']);
    expect((await transport.readAfter(null, 5)).map((entry) => entry.update.id)).toEqual(['b', 'c']);
    await transport.append(update('d'), 'fresh-d');
    // Now b left the window too: a resume from a would miss it.
    expect(await transport.locate('a')).toBeUndefined();
    // A replay that already got to a reads on: the stream still holds everything after it.
    expect(await transport.keepsAfter(a as string)).toBe(true);
    const b = await transport.locate('b');
    expect((await transport.readBefore(b as string, 5)).map((entry) => entry.update.id)).toEqual(['b']);
    expect((await transport.readBefore((await transport.locate('d')) as string, 5)).map((entry) => entry.update.id)).toEqual(['d', 'c', 'b']);
    await transport.close();
  });

  it('stores publishes in the order made when one has an id outside ASCII (its other spellings are checked in the step that appends)', async () => {
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'history:order' });
    const engine = new HubEngine({ transport, log: false });
    const ids = await Promise.all([
      engine.publishAsync({ topic: 'https://example.com/a', data: '1', id: 'urn:€-1' }),
      engine.publishAsync({ topic: 'https://example.com/a', data: '2', id: 'ascii-2' }),
      engine.publishAsync({ topic: 'https://example.com/a', data: '3', id: 'urn:€-3' }),
      engine.publishAsync({ topic: 'https://example.com/a', data: '4' }),
    ]);
    expect((await transport.readAfter(null, 10)).map((entry) => entry.update.id)).toEqual(ids);
    engine.close();
    await transport.close();
  });

  it('two processes publishing both spellings of an IRI id at the same instant: one update keeps its id, the other gets a fresh one', async () => {
    const transports = await Promise.all([1, 2].map(() => RedisTransport.connect({ url: redis.url, prefix: 'history:spellings' })));
    const [a, b] = transports.map((transport) => new HubEngine({ transport, log: false })) as [HubEngine, HubEngine];
    const ids = await Promise.all([
      a.publishAsync({ topic: 'https://example.com/a', data: 'iri', id: 'urn:ש-1' }),
      b.publishAsync({ topic: 'https://example.com/a', data: 'uri', id: 'urn:%D7%A9-1' }),
    ]);
    // One cursor names one update: the two spellings are not both kept.
    expect(ids.filter((id, i) => id === ['urn:ש-1', 'urn:%D7%A9-1'][i])).toHaveLength(1);
    // The two processes race: the history holds both updates, in whichever order they reached Redis.
    expect((await transports[0]!.readAfter(null, 10)).map((entry) => entry.update.id).sort()).toEqual([...ids].sort());
    for (const engine of [a, b]) engine.close();
    for (const transport of transports) await transport.close();
  });

  it('keeps appends made in the same turn (sent together) in order and idempotent among themselves', async () => {
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'history:3' });
    const other = { ...update('x'), data: 'another update reusing the id' };
    const results = await Promise.all([
      transport.append(update('x'), 'fresh-1'),
      transport.append(update('x'), 'fresh-2'),
      transport.append(other, 'fresh-3'),
      ...Array.from({ length: 300 }, (_, i) => transport.append(update(`n${i}`), `fresh-n${i}`)),
    ]);
    expect(results.slice(0, 3)).toEqual([
      { id: 'x', appended: true },
      { id: 'x', appended: false },
      { id: 'fresh-3', appended: true },
    ]);
    expect(results.slice(3).every((result, i) => result.id === `n${i}` && result.appended)).toBe(true);
    const ids = (await transport.readAfter(null, 1000)).map((entry) => entry.update.id);
    expect(ids).toEqual(['x', 'fresh-3', ...Array.from({ length: 300 }, (_, i) => `n${i}`)]);
    await transport.close();
  });

  it('tells a replay that the stream no longer holds what followed its position (trimmed, or the log reset)', async () => {
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'history:4', history: 2 });
    for (const id of ['a', 'b']) await transport.append(update(id), `fresh-${id}`);
    const a = (await transport.locate('a')) as string;
    expect(await transport.keepsAfter(a)).toBe(true);
    // The stream keeps 10,000 entries whatever the window; beyond that the oldest are trimmed.
    await Promise.all(Array.from({ length: 10_300 }, (_, i) => transport.append(update(`n${i}`), `fresh-n${i}`)));
    expect(await transport.keepsAfter(a)).toBe(false);
    const recent = (await transport.locate('n10299')) as string;
    expect(await transport.keepsAfter(recent)).toBe(true);
    await transport.clear();
    await transport.append(update('c'), 'fresh-c');
    expect(await transport.keepsAfter(recent)).toBe(false);
    await transport.close();
  });

  it('locates nothing without history', async () => {
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'history:2', history: 0 });
    await transport.append(update('a'), 'fresh-a');
    expect(await transport.locate('a')).toBeUndefined();
    await transport.close();
  });
});
