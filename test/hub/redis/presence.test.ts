import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTransport } from '../../../src/hub/index.js';
import type { SubscriptionDocument } from '../../../src/hub/index.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';

const doc = (subscriber: string, active: boolean): SubscriptionDocument => ({
  id: `/.well-known/mercure/subscriptions/Exact/urn%3Aa/${subscriber}`,
  type: 'Subscription',
  matchType: 'Exact',
  match: 'urn:a',
  subscriber,
  active,
});

/** A transport with a listener recording subscription events; `until` waits for one (bounded). */
async function processOn(redis: TestRedis, prefix: string) {
  const transport = await RedisTransport.connect({ url: redis.url, prefix, presenceInterval: 50 });
  const events: SubscriptionDocument[] = [];
  const waiters = new Set<() => void>();
  transport.attach({
    update() {},
    lost() {},
    subscription(document) {
      events.push(document);
      for (const waiter of [...waiters]) waiter();
    },
  });
  const until = (predicate: (d: SubscriptionDocument) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such subscription event; got ${JSON.stringify(events)}`)), 10_000);
      const check = (): void => {
        if (!events.some(predicate)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { transport, events, until };
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
    await raw.hSet('presence:2:presence:dead-process', ghost.id, JSON.stringify({ s: 0, d: ghost }));
    const survivor = await processOn(redis, 'presence:2');
    await survivor.until((d) => d.subscriber === 'ghost' && !d.active);
    expect(await survivor.transport.subscriptions()).toEqual([]);
    expect(await raw.exists('presence:2:presence:dead-process')).toBe(0);
    await survivor.transport.close();
    await raw.close();
  });
});
