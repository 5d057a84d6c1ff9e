import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisTransport } from '../../../src/hub/index.js';
import type { SubscriptionDocument } from '../../../src/hub/index.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';
import { recordingListener } from './recordingListener.js';

const doc = (subscriber: string, active: boolean): SubscriptionDocument => ({
  id: `/.well-known/mercure/subscriptions/Exact/urn%3Aa/${subscriber}`,
  type: 'Subscription',
  matchType: 'Exact',
  match: 'urn:a',
  subscriber,
  active,
});

/** A hub process's transport, recording the subscription events it hears. */
async function processOn(redis: TestRedis, prefix: string, presenceInterval = 50) {
  const transport = await RedisTransport.connect({ url: redis.url, prefix, presenceInterval });
  const heard = recordingListener();
  transport.attach(heard);
  const until = (predicate: (d: SubscriptionDocument) => boolean): Promise<void> => heard.until(() => heard.subscriptions.some(predicate));
  return { transport, heard, until };
}

describe('presence across hub processes on Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('shows a subscription of one process to the others, and withdraws it when that process closes', async () => {
    const a = await processOn(redis, 'presence:1');
    const b = await processOn(redis, 'presence:1');
    await a.transport.announce(doc('alice', true));
    await b.until((d) => d.subscriber === 'alice' && d.active);
    expect((await b.transport.subscriptions()).map((d) => d.subscriber)).toEqual(['alice']);
    await a.transport.close();
    await b.until((d) => d.subscriber === 'alice' && !d.active);
    expect(await b.transport.subscriptions()).toEqual([]);
    await b.transport.close();
  });

  it('withdraws, with active: false events, the subscriptions of a process that stopped refreshing them (killed)', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const ghost = doc('ghost', true);
    await raw.zAdd('presence:2:processes', { score: Date.now() - 60_000, value: 'dead-process' });
    await raw.hSet('presence:2:presence:dead-process', ghost.id, `0\n${JSON.stringify(ghost)}\n${JSON.stringify({ ...ghost, active: false })}`);
    const survivor = await processOn(redis, 'presence:2');
    await survivor.until((d) => d.subscriber === 'ghost' && !d.active);
    expect(await survivor.transport.subscriptions()).toEqual([]);
    expect(await raw.exists('presence:2:presence:dead-process')).toBe(0);
    await survivor.transport.close();
    await raw.close();
  });

  it('announces a subscription that ends at once in order: the last event the other processes hear says inactive', async () => {
    const a = await processOn(redis, 'presence:3');
    const b = await processOn(redis, 'presence:3');
    // A connection closed right after it opened: the withdrawal is announced before the arrival's round trips end.
    const arrived = a.transport.announce(doc('brief', true));
    const left = a.transport.announce(doc('brief', false));
    await Promise.all([arrived, left]);
    await b.heard.until(() => b.heard.subscriptions.filter((d) => d.subscriber === 'brief').length === 2);
    expect(b.heard.subscriptions.filter((d) => d.subscriber === 'brief').map((d) => d.active)).toEqual([true, false]);
    expect(await b.transport.subscriptions()).toEqual([]);
    await a.transport.close();
    await b.transport.close();
  });

  it('announces again the subscriptions of a live process that was taken for dead (e.g. after a Redis outage longer than four refreshes)', async () => {
    // a refreshes its presence every second; b takes a process silent for 4 × 100 ms for dead, as
    // every process does after Redis was away for longer than four refreshes.
    const a = await processOn(redis, 'presence:4', 1000);
    await a.transport.announce(doc('alice', true));
    const b = await processOn(redis, 'presence:4', 100);
    const alice = (): boolean[] => b.heard.subscriptions.filter((d) => d.subscriber === 'alice').map((d) => d.active);
    await b.until((d) => d.subscriber === 'alice' && !d.active);
    // a is alive: at its next refresh, the other processes hear that alice is still there.
    await b.heard.until(() => alice().length >= 2, 5000);
    expect(alice().slice(0, 2)).toEqual([false, true]);
    await a.transport.close();
    await b.transport.close();
  });

  it('leaves no presence behind when it closes while a refresh is under way', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const transport = await RedisTransport.connect({ url: redis.url, prefix: 'presence:5', presenceInterval: 60_000 });
    await transport.announce(doc('carol', true));
    // attach() starts a refresh at once; close() comes while it waits for Redis.
    transport.attach(recordingListener());
    await transport.close();
    expect(await raw.keys('presence:5:presence:*')).toEqual([]);
    expect(await raw.zRange('presence:5:processes', 0, -1)).toEqual([]);
    await raw.close();
  });

  it('keeps a subscription active while another process still holds the same one (one user, two processes)', async () => {
    const a = await processOn(redis, 'presence:6', 1000);
    const b = await processOn(redis, 'presence:6', 1000);
    const watcher = await processOn(redis, 'presence:6', 1000);
    const alice = (): boolean[] => watcher.heard.subscriptions.filter((d) => d.subscriber === 'alice').map((d) => d.active);
    // The same token `sub` on both processes: the same subscription document.
    await a.transport.announce(doc('alice', true));
    await b.transport.announce(doc('alice', true));
    await a.transport.announce(doc('alice', false));
    await a.transport.announce(doc('marker', true));
    await watcher.until((d) => d.subscriber === 'marker');
    expect(alice()).toEqual([true, true]);
    expect((await watcher.transport.subscriptions()).map((d) => d.subscriber).sort()).toEqual(['alice', 'marker']);
    await b.transport.close();
    await watcher.until((d) => d.subscriber === 'alice' && !d.active);
    expect(alice()).toEqual([true, true, false]);
    expect((await watcher.transport.subscriptions()).map((d) => d.subscriber)).toEqual(['marker']);
    await a.transport.close();
    await watcher.transport.close();
  });
  it('announces the end of a subscription that ended while Redis was away, at the first refresh that reaches it', async () => {
    // Only the presence refresh runs on fake time: it comes once the watcher listens again.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const a = await processOn(redis, 'presence:7');
      const watcher = await processOn(redis, 'presence:7');
      await a.transport.announce(doc('dave', true));
      await watcher.until((d) => d.subscriber === 'dave' && d.active);
      await redis.stop();
      await expect(a.transport.announce(doc('dave', false))).rejects.toThrow();
      await redis.start();
      const raw = createClient({ url: redis.url });
      await raw.connect();
      // Both processes' event connections are subscribed again.
      await expect.poll(async () => Number((await raw.sendCommand(['PUBSUB', 'NUMSUB', 'presence:7:subscriptions']) as [string, number])[1]), { timeout: 10_000 }).toBe(2);
      await vi.advanceTimersByTimeAsync(50);
      await watcher.until((d) => d.subscriber === 'dave' && !d.active);
      expect(await watcher.transport.subscriptions()).toEqual([]);
      await raw.close();
      await a.transport.close();
      await watcher.transport.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
