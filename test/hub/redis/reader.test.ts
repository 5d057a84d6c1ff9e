import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisTransport } from '../../../src/hub/index.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';
import { recordingListener, update } from './recordingListener.js';

describe('the Redis reader of one hub process', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  /** A hub process's transport, recording what it reads. */
  async function reader(prefix: string) {
    const transport = await RedisTransport.connect({ url: redis.url, prefix });
    const heard = recordingListener();
    transport.attach(heard);
    const ids = (): string[] => heard.updates.map((entry) => entry.update.id);
    return { transport, ids, losses: heard.losses, until: heard.until };
  }

  it('reports entries it could not read (trimmed before it got to them) and a log that was reset, and reads on', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const { transport, ids, losses, until } = await reader('reader:1');
    await transport.append(update('a'), 'fresh-a');
    await until(() => ids().length === 1);
    expect(losses).toEqual([]);
    // Five entries numbered but never seen by this process, as if trimmed before it read them.
    await raw.incrBy('reader:1:n', 5);
    await transport.append(update('b'), 'fresh-b');
    await until(() => ids().length === 2);
    expect(losses).toEqual(['5 entries were trimmed before this process read them']);
    // Redis lost its data (restarted without persistence): numbering starts over.
    await raw.del(['reader:1:log', 'reader:1:ids', 'reader:1:order', 'reader:1:n']);
    await transport.append(update('c'), 'fresh-c');
    await until(() => ids().length === 3);
    expect(losses).toEqual(['5 entries were trimmed before this process read them', 'the Redis log was reset']);
    expect(ids()).toEqual(['a', 'b', 'c']);
    await transport.close();
    await raw.close();
  });

  it('reads what was published while it was cut from Redis from the log, in order, once', async () => {
    const link = await cuttableLink(redis.port);
    const one = await reader('reader:3');
    const transport = await RedisTransport.connect({ url: link.url, prefix: 'reader:3' });
    const heard = recordingListener();
    transport.attach(heard);
    const ids = (): string[] => heard.updates.map((entry) => entry.update.id);
    await one.transport.append(update('a'), 'fresh-a');
    await heard.until(() => ids().length === 1);
    // 'b' is published while the second process cannot reach Redis (its read fails): once it is back
    // it reads on from the last entry it saw, with nothing published after 'b' to prompt it.
    link.cut();
    await one.transport.append(update('b'), 'fresh-b');
    link.restore();
    await heard.until(() => ids().length === 2);
    // Its command connection may still be reconnecting: a publish then fails (the hub answers 503), and is sent again.
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.append(update('c'), 'fresh-c');
        break;
      } catch (error) {
        if (attempt === 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await Promise.all([heard.until(() => ids().length === 3), one.until(() => one.ids().length === 3)]);
    expect(ids()).toEqual(['a', 'b', 'c']);
    expect(one.ids()).toEqual(['a', 'b', 'c']);
    expect([...heard.losses, ...one.losses]).toEqual([]);
    await Promise.all([one.transport.close(), transport.close()]);
    await link.close();
  });

  it('logs a read that Redis refuses (the log key holds another type) once, and reads on once it is fixed', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const lines: string[] = [];
    const log = { info: (line: string) => lines.push(`info ${line}`), warn: (line: string) => lines.push(`warn ${line}`), error: (line: string) => lines.push(`error ${line}`) };
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'reader:2', log });
    const heard = recordingListener();
    transport.attach(heard);
    // The log key now holds a string: the blocked read, and every read after it, is refused.
    await raw.set('reader:2:log', 'not a stream');
    await vi.waitFor(() => expect(lines.some((line) => line.includes('WRONGTYPE'))).toBe(true), { timeout: 10_000, interval: 20 });
    await raw.del('reader:2:log');
    await transport.append(update('a'), 'fresh-a');
    await heard.until(() => heard.updates.length === 1);
    expect(lines.filter((line) => line.startsWith('error reading the Redis log failed'))).toHaveLength(1);
    expect(lines).toContain('info reading the Redis log again');
    await transport.close();
    await raw.close();
  });
});

/** A TCP relay to Redis that can be cut (open connections dropped, new ones refused) and restored. */
async function cuttableLink(port: number): Promise<{ readonly url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let down = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port: own } = server.address() as { port: number };
  const cut = (): void => {
    down = true;
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `redis://127.0.0.1:${own}/0`,
    cut,
    restore: () => (down = false),
    close: () => {
      cut();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
