import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SseDriver } from '../../../src/index.js';
import { publish, sign, subscribeUrl, v1Claims } from '../helpers.js';
import { ResumingReader, hubProcess, runCli, startProxy } from './cluster.js';
import type { HubProcess, Proxy } from './cluster.js';
import { freePort, startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';

/**
 * Three hub processes (the CLI) on one Redis, behind a round-robin TCP proxy. Every wait is
 * bounded and driven by events (received updates, open ports), never by elapsed time.
 */
describe('hub processes on Redis behind a load balancer', () => {
  let redis: TestRedis;
  let hubs: HubProcess[];
  let proxy: Proxy;
  let token: string;
  const readers: ResumingReader[] = [];
  let topicCount = 0;

  beforeAll(async () => {
    redis = await startRedis();
    hubs = await Promise.all([0, 1, 2].map(() => hubProcess(redis.url, ['--subscriptions', '--query-token'])));
    await Promise.all(hubs.map((hub) => hub.start()));
    proxy = await startProxy(hubs.map((hub) => hub.port));
    token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
  }, 90_000);

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((reader) => reader.close()));
    // A test may have killed hubs or Redis: the next one starts with everything up.
    await redis.start();
    await Promise.all(hubs.map((hub) => hub.start()));
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all((hubs ?? []).map((hub) => hub.stop('SIGTERM')));
    await redis?.dispose();
  }, 30_000);

  /** `count` readers of a fresh topic through the proxy, each with its stream open. */
  async function subscribers(count: number): Promise<{ topic: string; readers: ResumingReader[] }> {
    const topic = `urn:feed:${++topicCount}`;
    const opened = Array.from({ length: count }, () => new ResumingReader(subscribeUrl(proxy.url, [['match', topic]])));
    readers.push(...opened);
    await Promise.all(opened.map((reader) => waitFor(() => reader.resumedFrom.length > 0)));
    return { topic, readers: opened };
  }

  async function pub(hub: HubProcess, fields: readonly (readonly [string, string])[]): Promise<Response> {
    return publish(fetch, hub.url, fields, token);
  }

  /** Publishes, retrying a 503 (Redis coming back) a bounded number of times. */
  async function pubRetrying(hub: HubProcess, fields: readonly (readonly [string, string])[]): Promise<string> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const res = await pub(hub, fields);
      if (res.status === 200) return res.text();
      expect(res.status).toBe(503);
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the hub kept answering 503');
  }

  const idsOf = (reader: ResumingReader): (string | undefined)[] => reader.events.map((event) => event.id);

  it('delivers an update published on one process to the subscribers of every process', async () => {
    const { topic, readers: all } = await subscribers(6);
    expect([...proxy.routed.keys()].sort()).toEqual(hubs.map((hub) => hub.port).sort());
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await (await pub(hubs[i % 3] as HubProcess, [['topic', topic], ['data', String(i)]])).text());
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));
    for (const reader of all) expect(idsOf(reader)).toEqual(ids);
  }, 60_000);

  it('keeps a killed process\'s subscribers whole: they resume through the proxy on another process, 0 lost, 0 duplicated', async () => {
    const { topic, readers: all } = await subscribers(6);
    const [survivor, victim] = hubs as [HubProcess, HubProcess, HubProcess];
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 20) {
        // Mid-stream: the victim's subscribers have part of the updates.
        await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= 10)));
        await victim.stop('SIGKILL');
      }
      ids.push(await (await pub(survivor, [['topic', topic], ['data', String(i)]])).text());
    }
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));
    for (const reader of all) expect(idsOf(reader)).toEqual(ids);
    // The victim's subscribers (two of six) reconnected, resuming from the last id they had.
    const resumed = all.filter((reader) => reader.resumedFrom.length > 1);
    expect(resumed.length).toBeGreaterThanOrEqual(2);
    for (const reader of resumed) expect(ids).toContain(reader.resumedFrom[1]);
  }, 90_000);

  it('answers 503 (a typed error on the client) while Redis is down, keeps streams up, and loses nothing acknowledged', async () => {
    const { topic, readers: all } = await subscribers(4);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await (await pub(hubs[i % 3] as HubProcess, [['topic', topic], ['data', `before ${i}`]])).text());
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));

    await redis.stop();
    const refused = await pub(hubs[0] as HubProcess, [['topic', topic], ['data', 'refused']]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const driver = new SseDriver({ url: (hubs[1] as HubProcess).url, publisher: { headers: { Authorization: `Bearer ${token}` } } });
    try {
      await expect(driver.publish(topic, { refused: true })).rejects.toMatchObject({ code: 'server', status: 503 });
    } finally {
      driver.destroy();
    }

    await redis.start();
    for (let i = 0; i < 5; i++) ids.push(await pubRetrying(hubs[i % 3] as HubProcess, [['topic', topic], ['data', `after ${i}`]]));
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));
    for (const reader of all) {
      expect(idsOf(reader)).toEqual(ids);
      // The stream stayed up through the outage: opened once, never resumed.
      expect(reader.resumedFrom).toHaveLength(1);
    }
  }, 90_000);

  it('resumes from history after every process restarts', async () => {
    const { topic, readers: all } = await subscribers(3);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await (await pub(hubs[0] as HubProcess, [['topic', topic], ['data', `before ${i}`]])).text());
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));

    await Promise.all(hubs.map((hub) => hub.stop('SIGTERM')));
    await Promise.all(hubs.map((hub) => hub.start()));
    for (let i = 0; i < 5; i++) ids.push(await (await pub(hubs[2] as HubProcess, [['topic', topic], ['data', `after ${i}`]])).text());
    await Promise.all(all.map((reader) => reader.until(() => reader.events.length >= ids.length)));
    for (const reader of all) {
      expect(idsOf(reader)).toEqual(ids);
      expect(reader.resumedFrom.slice(1)).not.toContain('earliest');
    }
    // A newcomer replays the history written before the restart.
    const late = new ResumingReader(subscribeUrl(proxy.url, [['match', topic]]), 'earliest');
    readers.push(late);
    await late.until(() => late.events.length >= ids.length);
    expect(idsOf(late)).toEqual(ids);
  }, 120_000);

  it('keeps publishes idempotent across processes: a retry on another process is not dispatched twice', async () => {
    const { topic, readers: [reader] } = await subscribers(1);
    const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
    expect(await (await pub(a, [['topic', topic], ['data', 'x'], ['id', `${topic}:order-1`]])).text()).toBe(`${topic}:order-1`);
    expect(await (await pub(b, [['topic', topic], ['data', 'x'], ['id', `${topic}:order-1`]])).text()).toBe(`${topic}:order-1`);
    const other = await (await pub(c, [['topic', topic], ['data', 'y'], ['id', `${topic}:order-1`]])).text();
    expect(other).toMatch(/^urn:uuid:/);
    const last = await (await pub(b, [['topic', topic], ['data', 'end']])).text();
    await reader!.until(() => reader!.lastId === last);
    expect(idsOf(reader!)).toEqual([`${topic}:order-1`, other, last]);
  }, 60_000);

  it('shows the subscribers of every process in subscription events and the subscriptions API', async () => {
    const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
    const watcherToken = await sign(v1Claims([{ actions: ['subscribe'], topics: [{ match: '/.well-known/mercure/subscriptions/*', matchType: 'URLPattern' }] }]));
    const watcher = new ResumingReader(`${subscribeUrl(b.url, [['matchURLPattern', '/.well-known/mercure/subscriptions/:type/:match/:subscriber'], ['access_token', watcherToken]])}`);
    readers.push(watcher);
    await waitFor(() => watcher.resumedFrom.length > 0);
    const aliceToken = await sign({ sub: 'alice', ...v1Claims([{ actions: ['subscribe'], topics: ['urn:presence'], payload: { name: 'Alice' } }]) });
    const alice = new ResumingReader(subscribeUrl(a.url, [['match', 'urn:presence'], ['access_token', aliceToken]]));
    await watcher.until(() => watcher.events.some((e) => e.data.includes('"alice"') && e.data.includes('"active":true')));
    const reader = await sign(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]));
    const api = await fetch(new URL('/.well-known/mercure/subscriptions', c.url), { headers: { authorization: `Bearer ${reader}` } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { subscriptions: { subscriber: string; payload?: unknown }[] };
    expect(body.subscriptions).toContainEqual(expect.objectContaining({ subscriber: 'alice', payload: { name: 'Alice' } }));
    await alice.close();
    await watcher.until(() => watcher.events.some((e) => e.data.includes('"alice"') && e.data.includes('"active":false')));
  }, 60_000);

  it('exits with code 3 and a clear message when Redis is unreachable at start', async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(['--port', '0', '--transport', `redis://127.0.0.1:${port}/0`]);
    expect(code).toBe(3);
    expect(stderr).toContain(`Cannot reach Redis at redis://127.0.0.1:${port}/0`);
  }, 60_000);
});

/** Resolves once `predicate` holds, checking on each turn of the event loop (bounded). */
async function waitFor(predicate: () => boolean, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
