import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver, channels } from '../../src/index.js';
import type { DriverEvent, SseDriverOptions, SseError } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

// A hub that refuses some matchers (400) while the stream carrying the others is healthy: the
// subscriptions that asked for them hear it once, and nobody else pays for it afterwards.
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A subscription's updates (ids) and errors. */
function track() {
  const ids: string[] = [];
  const errors: SseError[] = [];
  const active = vi.fn();
  return { ids, errors, active, listener: (u: { id: string }) => ids.push(u.id), options: { onError: (e: SseError) => errors.push(e), onActive: active } };
}

function setup(refuse: (matcher: string, request: Request) => boolean, options: Partial<SseDriverOptions> = {}) {
  const hub = new MockHub({ refuseMatcher: refuse });
  /** Every subscription request the hub answered: status, matchers, when (hub.requests keeps only the last ones). */
  const subscribes: number[] = [];
  const asked: { readonly matchers: string[]; readonly at: number }[] = [];
  hub.on('request', (r) => {
    if (r.method === 'POST') return;
    subscribes.push(r.status);
    asked.push({ matchers: new URL(r.url).searchParams.getAll('match').sort(), at: Date.now() });
  });
  const errors: SseError[] = [];
  const events: DriverEvent[] = [];
  const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e), ...options });
  driver.on('event', (e) => events.push(e));
  const publisher = new SseDriver({ url: hub.url, fetch: hub.fetch, platform: { events: undefined } });
  /** The matcher sets of the subscription streams the hub holds. */
  const streams = () => hub.subscriptions.map((s) => s.matchers.map((m) => m.match).join(' '));
  const publish = (topic: string) => publisher.publish(topic, topic);
  const done = () => {
    driver.destroy();
    publisher.destroy();
  };
  return { hub, driver, errors, events, streams, publish, done, subscribes, asked };
}

describe('a refused matcher set', () => {
  it('does not block a later subscription: it switches without the refused matcher, and the live one loses nothing', async () => {
    const { driver, errors, streams, publish, done } = setup((m) => m === 'bad');
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    const sent = [await publish('a')];
    const bad = track();
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(10);
    expect(bad.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(streams()).toEqual(['a']);
    sent.push(await publish('a'));

    const c = track();
    driver.subscribe('c', c.listener, c.options);
    sent.push(await publish('a')); // before the switch (the budget spaces it after the refused one)
    await tick(200);
    expect(streams()).toContain('a c');
    const cId = await publish('c');
    sent.push(await publish('a')); // while the old stream drains
    await tick(2000); // the old stream has drained and closed
    expect(streams()).toEqual(['a c']);
    expect(c.errors).toEqual([]);
    expect(c.active).toHaveBeenCalledTimes(1);
    expect(c.ids).toEqual([cId]);
    expect(a.ids).toEqual(sent);
    expect(a.errors).toEqual([]);
    expect(bad.errors).toHaveLength(1);
    expect(bad.active).not.toHaveBeenCalled();
    expect(errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    done();
  });

  it('tells only the subscriptions new in a set refused again, not those already refused nor the live ones', async () => {
    const { driver, streams, done } = setup((m) => m.startsWith('bad'));
    const a = track();
    const bad1 = track();
    const bad2 = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    driver.subscribe('bad1', bad1.listener, bad1.options);
    await tick(2000);
    driver.subscribe('bad2', bad2.listener, bad2.options);
    await tick(2000);
    // A second subscription to an already refused matcher is asked for once more: it hears its own refusal.
    const again = track();
    driver.subscribe('bad1', again.listener, again.options);
    await tick(2000);
    expect(a.errors).toEqual([]);
    expect(bad1.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(bad2.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(again.errors.map((e) => e.code)).toEqual(['bad-request']);
    const d = track();
    driver.subscribe('d', d.listener, d.options);
    await tick(2000);
    expect(streams()).toEqual(['a d']);
    expect(d.errors).toEqual([]);
    expect([bad1, bad2, again].map((s) => s.errors.length)).toEqual([1, 1, 1]);
    done();
  });

  it('is visible: one bad-request error naming the refused matchers, on the timeline with `refused`', async () => {
    const { driver, errors, events, done } = setup((m) => m === 'bad');
    driver.subscribe('a', () => undefined);
    await tick(10);
    const bad = track();
    driver.subscribe(['bad', 'a'], bad.listener, bad.options);
    await tick(10);
    const reported = events.filter((e) => e.type === 'error');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ type: 'error', refused: ['bad'], error: { code: 'bad-request', status: 400 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('"bad"');
    expect(errors[0]?.cause).toMatchObject({ code: 'bad-request', message: expect.stringContaining('Refused match') });
    // The subscription hears the same error.
    expect(bad.errors).toEqual(errors);
    done();
  });

  it('is asked for again after reconnect(): accepted then, the refused subscription becomes live with no gap for the others', async () => {
    let refusing = true;
    const { driver, errors, streams, publish, done } = setup((m) => refusing && m === 'bad');
    const a = track();
    const bad = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(10);
    const sent = [await publish('a')];
    // Refused again: the subscription is told again (it was asked for again).
    driver.reconnect();
    await tick(2000);
    expect(bad.errors).toHaveLength(2);
    expect(streams()).toEqual(['a']);
    refusing = false;
    driver.reconnect();
    await tick(2000);
    sent.push(await publish('a'));
    const badId = await publish('bad');
    await tick(2000);
    expect(streams()).toEqual(['a bad']);
    expect(bad.ids).toEqual([badId]);
    expect(bad.active).toHaveBeenCalledTimes(1);
    expect(bad.errors).toHaveLength(2);
    expect(a.ids).toEqual(sent);
    expect(errors.map((e) => e.code)).toEqual(['bad-request', 'bad-request']);
    expect(errors.every((e) => e.code !== 'gap')).toBe(true);
    done();
  });

  it('is asked for again with new headers (a hub may accept it for other credentials)', async () => {
    const { driver, streams, publish, done } = setup((m, request) => m === 'bad' && request.headers.get('x-tenant') !== 'admin');
    const a = track();
    const bad = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(10);
    expect(bad.errors).toHaveLength(1);
    driver.setHeaders({ 'x-tenant': 'admin' });
    await tick(2000);
    expect(streams()).toEqual(['a bad']);
    const badId = await publish('bad');
    await tick();
    expect(bad.ids).toEqual([badId]);
    expect(bad.errors).toHaveLength(1);
    expect(a.errors).toEqual([]);
    done();
  });

  it('is asked for with new headers given while the switch asking for it is in flight, not refused for the old ones', async () => {
    const { hub, driver, errors, streams, publish, done } = setup((m, request) => m === 'bad' && request.headers.get('x-tenant') !== 'admin');
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.setLatency(50);
    const bad = track();
    driver.subscribe('bad', bad.listener, bad.options);
    // The switch's request is out with the old headers when the new ones come.
    await tick(20);
    driver.setHeaders({ 'x-tenant': 'admin' });
    await tick(2000);
    // Before: the hub's answer to the old request refused 'bad', and it stayed off the stream.
    expect(streams()).toEqual(['a bad']);
    expect(bad.errors).toEqual([]);
    expect(errors).toEqual([]);
    hub.setLatency(0);
    const badId = await publish('bad');
    await tick(100);
    expect(bad.ids).toEqual([badId]);
    expect(bad.active).toHaveBeenCalledTimes(1);
    done();
  });

  it('can be unsubscribed; a stale refused matcher is no longer asked for', async () => {
    const { driver, hub, streams, done } = setup((m) => m === 'bad');
    driver.subscribe('a', () => undefined);
    await tick(10);
    const off = driver.subscribe('bad', () => undefined);
    await tick(10);
    off();
    off();
    await tick(10);
    driver.subscribe('c', () => undefined);
    await tick(2000);
    expect(streams()).toEqual(['a c']);
    expect(driver.getSubscriptions().map((s) => s.matchers)).toEqual([['a'], ['c']]);
    expect(hub.requests.filter((r) => r.status === 400)).toHaveLength(1);
    done();
  });

  it('keeps a live stream that is reconnecting after a drop: it comes back without the refused matcher, and only the refused subscription hears it', async () => {
    const { hub, driver, errors, streams, publish, done } = setup((m) => m === 'bad');
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    hub.dropConnections();
    await tick(1);
    // The switch for 'bad' is refused while the live stream waits out its backoff.
    const bad = track();
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(20);
    // Before: the refused successor replaced the reconnecting stream, and the connection stopped on its 400.
    expect(driver.getSnapshot().status).toBe('reconnecting');
    expect(bad.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(errors.map((e) => e.code)).toEqual(['network', 'bad-request']);
    expect(errors[1]).toBe(bad.errors[0]);
    await tick(2000);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    expect(streams()).toEqual(['a']);
    const id = await publish('a');
    await tick(10);
    expect(a.ids).toEqual([id]);
    expect(a.errors).toEqual([]);
    expect(bad.errors).toHaveLength(1);
    done();
  });

  it("leaves `auto` on v1 once v1 was accepted: a refused set is no reason to fall back to legacy", async () => {
    const { driver, events, streams, done } = setup((m) => m === 'bad', { protocol: 'auto' });
    driver.subscribe('a', () => undefined);
    await tick(10);
    const bad = track();
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(10);
    const c = track();
    driver.subscribe('c', c.listener, c.options);
    await tick(2000);
    expect(events.filter((e) => e.type === 'fallback')).toEqual([]);
    expect(driver.getSnapshot().protocol).toBe('v1');
    expect(bad.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(c.errors).toEqual([]);
    expect(streams()).toEqual(['a c']);
    done();
  });
});

// Subscriptions mounted together are coalesced into one switch; the hub's 400 does not say which
// matcher it refused, so the driver splits the additions until only those refused alone are refused.
describe('a refused switch that added several subscriptions', () => {
  /** Subscribes each topic (all in one coalesced switch) with a tracker. */
  function mount(driver: SseDriver, topics: readonly string[]) {
    const subs = new Map<string, ReturnType<typeof track> & { off: () => void }>();
    for (const topic of topics) {
      const t = track();
      subs.set(topic, { ...t, off: driver.subscribe(topic, t.listener, t.options) });
    }
    return subs;
  }

  /** Publishes to `a` every 100 ms for `ms` (the live subscription must get each once), then to every topic. */
  async function run(publish: (topic: string) => Promise<string>, ms: number, topics: readonly string[]) {
    const sent: string[] = [];
    for (let t = 0; t < ms; t += 100) {
      sent.push(await publish('a'));
      await tick(100);
    }
    const ids = new Map<string, string>();
    for (const topic of topics) ids.set(topic, await publish(topic));
    await tick(10);
    return { sent, ids };
  }

  /** The matchers of the one stream the hub holds, sorted. */
  const sorted = (streams: string[]) => streams.map((s) => s.split(' ').sort().join(' '));

  async function check(bad: readonly string[], count: number) {
    const refuse = (m: string) => bad.includes(m);
    const { driver, errors, events, streams, publish, done, subscribes, asked } = setup(refuse);
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    const topics = Array.from({ length: count }, (_, i) => (bad.includes(`bad${i}`) ? `bad${i}` : `t${i}`));
    const subs = mount(driver, topics);
    const { sent, ids } = await run(publish, 20_000, topics);
    const good = topics.filter((t) => !refuse(t));
    expect(sorted(streams())).toEqual([['a', ...good].sort().join(' ')]);
    for (const topic of good) {
      const s = subs.get(topic);
      expect(s?.ids).toEqual([ids.get(topic)]);
      expect(s?.errors).toEqual([]);
      expect(s?.active).toHaveBeenCalledTimes(1);
    }
    for (const topic of bad) {
      const s = subs.get(topic);
      expect(s?.ids).toEqual([]);
      expect(s?.errors.map((e) => e.message)).toEqual([expect.stringContaining(`["${topic}"]`)]);
      expect(s?.active).not.toHaveBeenCalled();
    }
    // Nothing lost, nothing twice, no gap for the live subscription while the driver split the set.
    expect(a.ids).toEqual(sent);
    expect(a.errors).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(bad.map(() => 'bad-request'));
    expect(events.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? e.refused : undefined))).toEqual(bad.map((t) => [t]));
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    return { requests: subscribes.length, refusedRequests: subscribes.filter((s) => s === 400).length, asked, done };
  }

  it('5 subscriptions, 1 bad: the 4 others get on the stream and receive, only the bad one is refused', async () => {
    const { refusedRequests, done } = await check(['bad3'], 5);
    // Bisection: the whole set, then the halves holding the bad one (about log2(5) of them).
    expect(refusedRequests).toBeLessThanOrEqual(4);
    done();
  });

  it('2 bad among 8: the 6 others receive, each bad one is refused on its own', async () => {
    const { done } = await check(['bad1', 'bad6'], 8);
    done();
  });

  it('a hub refusing every new matcher costs a bounded number of requests; each is tried alone once; the live one is untouched', async () => {
    const count = 6;
    const topics = Array.from({ length: count }, (_, i) => `bad${i}`);
    const { requests, refusedRequests, asked, done } = await check(topics, count);
    // n parts: at most 2n - 1 refused requests (a bisection tree), plus the live stream's own.
    expect(refusedRequests).toBeLessThanOrEqual(2 * count - 1);
    expect(requests).toBe(refusedRequests + 1);
    // Each tried alone once.
    for (const topic of topics) expect(asked.filter((r) => r.matchers.join(' ') === `a ${topic}`)).toHaveLength(1);
    // The switch budget spaces the tries (the first switch after a calm period goes at once).
    const gaps = asked.slice(2).map((r, i) => r.at - (asked[i + 1]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    done();
  });

  it('a hub with a cap on matchers per request: as many as fit get on the stream, the rest are refused', async () => {
    const cap = 4;
    const { driver, subscribes, streams, publish, done } = setup((_, request) => new URL(request.url).searchParams.getAll('match').length > cap);
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    const topics = ['t0', 't1', 't2', 't3', 't4', 't5', 't6'];
    const subs = mount(driver, topics);
    const { sent, ids } = await run(publish, 20_000, topics);
    const on = streams()[0]?.split(' ') ?? [];
    expect(streams()).toHaveLength(1);
    expect(on).toHaveLength(cap);
    const placed = topics.filter((t) => on.includes(t));
    const refused = topics.filter((t) => !on.includes(t));
    expect(placed).toHaveLength(cap - 1);
    for (const topic of placed) expect([subs.get(topic)?.ids, subs.get(topic)?.errors]).toEqual([[ids.get(topic)], []]);
    for (const topic of refused) expect(subs.get(topic)?.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(a.ids).toEqual(sent);
    expect(subscribes.filter((s) => s === 400).length).toBeLessThanOrEqual(2 * topics.length - 1);
    done();
  });

  it('survives subscriptions added and removed while it splits', async () => {
    const { driver, streams, publish, done } = setup((m) => m.startsWith('bad'));
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    const subs = mount(driver, ['t0', 't1', 'bad2', 't3', 'bad4', 't5']);
    await tick(10); // the whole set was refused: splitting
    subs.get('bad4')?.off(); // removed before it was tried alone
    subs.get('t1')?.off();
    const late = mount(driver, ['t6', 'bad7']);
    const { sent, ids } = await run(publish, 20_000, ['t0', 't3', 't5', 't6']);
    expect(sorted(streams())).toEqual(['a t0 t3 t5 t6']);
    for (const topic of ['t0', 't3', 't5']) expect([subs.get(topic)?.ids, subs.get(topic)?.errors]).toEqual([[ids.get(topic)], []]);
    expect([late.get('t6')?.ids, late.get('t6')?.errors]).toEqual([[ids.get('t6')], []]);
    expect(subs.get('bad2')?.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(late.get('bad7')?.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(subs.get('bad4')?.errors).toEqual([]);
    expect(a.ids).toEqual(sent);
    done();
  });

  it('goes on when every subscription but those held back leaves while it splits', async () => {
    const { driver, streams, publish, done } = setup((m) => m === 'bad');
    const offA = driver.subscribe('a', () => undefined);
    await tick(10);
    const subs = mount(driver, ['t0', 't1', 'bad', 't3']);
    await tick(10); // the whole set was refused: t0 and t1 are tried, bad and t3 held back
    offA();
    subs.get('t0')?.off();
    subs.get('t1')?.off();
    const { ids } = await run(publish, 20_000, ['t3']);
    expect(streams().map((s) => s.split(' ')).flat()).toContain('t3');
    expect([subs.get('t3')?.ids, subs.get('t3')?.errors]).toEqual([[ids.get('t3')], []]);
    expect(subs.get('bad')?.errors.map((e) => e.code)).toEqual(['bad-request']);
    done();
  });

  it('goes on after reconnect() while it splits', async () => {
    const { driver, streams, publish, done } = setup((m) => m === 'bad');
    const a = track();
    driver.subscribe('a', a.listener, a.options);
    await tick(10);
    const subs = mount(driver, ['t0', 't1', 'bad', 't3', 't4']);
    await tick(150);
    driver.reconnect();
    const { sent, ids } = await run(publish, 20_000, ['t0', 't1', 't3', 't4']);
    expect(sorted(streams())).toEqual(['a t0 t1 t3 t4']);
    for (const topic of ['t0', 't1', 't3', 't4']) expect([subs.get(topic)?.ids, subs.get(topic)?.errors]).toEqual([[ids.get(topic)], []]);
    expect(subs.get('bad')?.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(a.ids).toEqual(sent);
    done();
  });

  it('treats subscriptions asking for the same matchers as one: none is refused for another', async () => {
    const { driver, subscribes, publish, done } = setup((m) => m === 'bad');
    driver.subscribe('a', () => undefined);
    await tick(10);
    const subs = [...mount(driver, ['bad', 'c']).values(), ...mount(driver, ['bad', 'c']).values()];
    const { ids } = await run(publish, 10_000, ['c']);
    expect(subs.map((s) => s.errors.map((e) => e.code))).toEqual([['bad-request'], [], ['bad-request'], []]);
    expect(subs.map((s) => s.ids)).toEqual([[], [ids.get('c')], [], [ids.get('c')]]);
    expect(subscribes.filter((s) => s === 400)).toHaveLength(2);
    done();
  });
});

// With no stream the hub accepted yet (the very first one), a refused request is split as a
// refused switch is: the subscriptions the hub accepts get their stream, only those refused on
// their own hear it, and nothing later is blocked.
describe('a refused first stream', () => {
  it.each([
    ['414 (URI too long)', 414],
    ['431 (request line and headers too large)', 431],
  ])('a request too long for the server, %s: as many subscriptions as fit get on the stream, the others are refused once, nothing loops', async (_, status) => {
    // Past the server's limit a GET carrying every matcher is refused; retrying it as it is never helps.
    const limit = 16 * 1024;
    let hubFetch: typeof fetch = fetch;
    const answered: number[] = [];
    const { hub, driver, errors, streams, done } = setup(() => false, {
      maxUrlLength: 1_000_000,
      fetch: async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        const response = url.length > limit ? new Response('too long', { status }) : await hubFetch(input, init);
        answered.push(response.status);
        return response;
      },
    });
    hubFetch = hub.fetch;
    const topics = Array.from({ length: 300 }, (_, i) => `https://example.com/books/${'x'.repeat(40)}/${i}`);
    const subs = topics.map((topic) => {
      const t = track();
      driver.subscribe(topic, t.listener, t.options);
      return { topic, ...t };
    });
    // Each subscription that does not fit is tried alone once, the switches spaced by the switch budget.
    await tick(30 * 60_000);
    const on = streams()[0]?.split(' ') ?? [];
    expect(streams()).toHaveLength(1);
    expect(on.length).toBeGreaterThan(100);
    const refused = subs.filter((s) => !on.includes(s.topic));
    expect(refused.length).toBeGreaterThan(0);
    for (const s of subs) expect(s.errors.map((e) => [e.code, (e.cause as SseError | undefined)?.status])).toEqual(on.includes(s.topic) ? [] : [['bad-request', status]]);
    expect(errors).toHaveLength(refused.length);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    const requests = answered.length;
    expect(requests).toBeLessThan(2 * topics.length);
    await tick(600_000);
    expect(answered.length).toBe(requests);
    done();
  });

  it('one subscription refused alone: it hears the refusal once, the state says so, nothing loops, a later valid subscription receives', async () => {
    const { driver, errors, streams, publish, done, subscribes } = setup((m) => m === 'bad');
    const bad = track();
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(60_000);
    // Before: the subscription heard nothing, and the driver stopped on the raw 400.
    expect(bad.errors.map((e) => e.message)).toEqual([expect.stringContaining('["bad"]')]);
    expect(errors).toEqual(bad.errors);
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'bad-request' } });
    expect(subscribes).toEqual([400]);

    const c = track();
    driver.subscribe('c', c.listener, c.options);
    await tick(2000);
    // Before: the next stream asked for 'bad' again and was refused again.
    expect(streams()).toEqual(['c']);
    const id = await publish('c');
    await tick(10);
    expect(c.ids).toEqual([id]);
    expect(c.errors).toEqual([]);
    expect(c.active).toHaveBeenCalledTimes(1);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    expect(bad.errors).toHaveLength(1);
    expect(subscribes).toEqual([400, 200]);
    done();
  });

  it('a first batch of 4 with 1 bad: the 3 others get their stream and receive, only the bad one is told', async () => {
    const { driver, errors, events, streams, publish, done, subscribes } = setup((m) => m === 'bad');
    const subs = ['t0', 'bad', 't2', 't3'].map((topic) => {
      const t = track();
      driver.subscribe(topic, t.listener, t.options);
      return { topic, ...t };
    });
    await tick(20_000);
    expect(streams().map((s) => s.split(' ').sort().join(' '))).toEqual(['t0 t2 t3']);
    const ids = new Map<string, string>();
    for (const topic of ['t0', 't2', 't3']) ids.set(topic, await publish(topic));
    await tick(10);
    expect(subs.map((s) => [s.topic, s.ids, s.errors.map((e) => e.code), s.active.mock.calls.length])).toEqual([
      ['t0', [ids.get('t0')], [], 1],
      ['bad', [], ['bad-request'], 0],
      ['t2', [ids.get('t2')], [], 1],
      ['t3', [ids.get('t3')], [], 1],
    ]);
    expect(errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(events.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? e.refused : undefined))).toEqual([['bad']]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    // Bisection: the whole set, then the halves holding the bad one.
    expect(subscribes.filter((s) => s === 400).length).toBeLessThanOrEqual(3);
    done();
  });

  it('a hub refusing everything: each subscription is told once, so is onError, the state says so, and the requests are bounded and spaced', async () => {
    let refusing = true;
    const { hub, driver, errors, streams, publish, done, asked } = setup(() => refusing);
    let requests = 0;
    hub.on('request', (r) => {
      if (r.method !== 'POST') requests++;
    });
    const count = 5;
    const subs = Array.from({ length: count }, (_, i) => {
      const t = track();
      driver.subscribe(`t${i}`, t.listener, t.options);
      return t;
    });
    await tick(60_000);
    const settled = requests;
    await tick(60_000);
    // No loop: nothing more is asked, and no more than a bisection tree's 2n - 1 requests were.
    expect(requests).toBe(settled);
    expect(requests).toBeLessThanOrEqual(2 * count - 1);
    // Each tried alone once; the switch budget spaces the tries after the first retry.
    for (let i = 0; i < count; i++) expect(asked.filter((r) => r.matchers.join(' ') === `t${i}`)).toHaveLength(1);
    const gaps = asked.slice(2).map((r, i) => r.at - (asked[i + 1]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    expect(subs.map((s) => s.errors.map((e) => e.code))).toEqual(subs.map(() => ['bad-request']));
    expect(errors.map((e) => e.code)).toEqual(subs.map(() => 'bad-request'));
    expect(driver.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'bad-request' } });
    expect(streams()).toEqual([]);

    // reconnect() asks for them again.
    refusing = false;
    driver.reconnect();
    await tick(10_000);
    expect(streams().map((s) => s.split(' ').sort().join(' '))).toEqual(['t0 t1 t2 t3 t4']);
    const id = await publish('t3');
    await tick(10);
    expect(subs[3]?.ids).toEqual([id]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    expect(subs.map((s) => s.errors.length)).toEqual(subs.map(() => 1));
    done();
  });

  it('a reconnect after a drop that the hub refuses is split too: the accepted subscription comes back, the refused one is told', async () => {
    let refusing = false;
    const { hub, driver, errors, streams, publish, done } = setup((m) => refusing && m === 'b');
    const a = track();
    const b = track();
    driver.subscribe('a', a.listener, a.options);
    driver.subscribe('b', b.listener, b.options);
    await tick(10);
    const sent = [await publish('a')];
    await tick(10);
    refusing = true;
    hub.dropConnections();
    await tick(20_000);
    // Before: the reconnect stopped on the 400, and 'a' never came back.
    expect(streams()).toEqual(['a']);
    sent.push(await publish('a'));
    await tick(10);
    expect(a.ids).toEqual(sent);
    expect(b.errors.map((e) => e.message)).toEqual([expect.stringContaining('["b"]')]);
    expect(a.errors).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['network', 'bad-request']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    done();
  });

  it('a server without ids (break-before-make switch, no stream beside): a refused set is split, not a stop', async () => {
    const hub = new StreamHub();
    hub.respond = (r) => ((r.url.searchParams.get('channels') ?? '').split(',').includes('bad') ? { status: 400 } : undefined);
    const errors: SseError[] = [];
    const driver = new SseDriver({ url: 'https://example.com/', server: channels(), fetch: hub.fetch, tabs: false, platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
    const subs = ['a', 'bad', 'c'].map((topic, i) => {
      const t = track();
      driver.subscribe(topic, t.listener, t.options);
      return { topic, first: i === 0, ...t };
    });
    await tick(20_000);
    // Before: the break-before-make successor stopped on the 400, with no stream left for anyone.
    expect(hub.open.map((r) => r.url.searchParams.get('channels'))).toEqual(['a,c']);
    // Each break-before-make stream is a new start: a subscription hears `active` again, with a possible loss.
    expect(subs.map((s) => [s.topic, s.errors.filter((e) => e.code === 'bad-request').length, s.active.mock.calls.length > 0])).toEqual([
      ['a', 0, true],
      ['bad', 1, false],
      ['c', 0, true],
    ]);
    expect(errors.filter((e) => e.code === 'bad-request')).toHaveLength(1);
    expect(driver.getSnapshot().status).toBe('open');
    const settled = hub.requests.length;
    await tick(60_000);
    expect(hub.requests).toHaveLength(settled);

    // A server refusing every request: each subscription told once, then nothing more is asked.
    hub.respond = () => ({ status: 400 });
    const more = ['d', 'e', 'f'].map(() => track());
    more.forEach((t, i) => driver.subscribe(`x${i}`, t.listener, t.options));
    await tick(60_000);
    const after = hub.requests.length;
    await tick(60_000);
    expect(hub.requests).toHaveLength(after);
    expect(more.map((t) => t.errors.map((e) => e.code))).toEqual(more.map(() => ['bad-request']));
    driver.destroy();
  });

  it('`auto` on a first 400 naming the matchers: no fallback, the set is split on v1', async () => {
    const { driver, events, streams, publish, done } = setup((m) => m === 'bad', { protocol: 'auto' });
    const a = track();
    const bad = track();
    driver.subscribe('a', a.listener, a.options);
    driver.subscribe('bad', bad.listener, bad.options);
    await tick(2000);
    expect(events.filter((e) => e.type === 'fallback')).toEqual([]);
    expect(streams()).toEqual(['a']);
    const id = await publish('a');
    await tick(10);
    expect(a.ids).toEqual([id]);
    expect(bad.errors.map((e) => e.code)).toEqual(['bad-request']);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'v1' });
    done();
  });

  // A legacy-only hub (the stable reference hub, the seed's server) answers v1 parameters with a bare 400.
  function legacyOnly(refuse: (topic: string) => boolean = () => false) {
    const hub = new StreamHub();
    hub.respond = (r) => {
      if (r.url.searchParams.has('match')) return { status: 400 };
      const refused = r.url.searchParams.getAll('topic').find(refuse);
      return refused === undefined ? undefined : { status: 400, body: `Refused topic ${refused}` };
    };
    const events: DriverEvent[] = [];
    const driver = new SseDriver({ url: 'http://localhost:8080/.well-known/mercure', fetch: hub.fetch, protocol: 'auto', platform: { random: () => 1, events: undefined } });
    driver.on('event', (e) => events.push(e));
    return { hub, driver, events, topics: () => hub.requests.map((r) => r.url.searchParams.getAll('topic').sort().join(' ') || 'v1') };
  }

  it('`auto` against a legacy-only hub still falls back on the first 400: no split, one legacy stream for all', async () => {
    const { hub, driver, events, topics } = legacyOnly();
    const subs = ['a', 'b', 'c'].map((topic) => {
      const t = track();
      driver.subscribe(topic, t.listener, t.options);
      return t;
    });
    await tick(2000);
    expect(topics()).toEqual(['v1', 'a b c']);
    expect(events.filter((e) => e.type === 'fallback')).toMatchObject([{ from: 'v1 GET', to: 'legacy GET', status: 400 }]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'legacy', error: undefined });
    hub.last.push(envelopeEvent('e1', 'b', 1));
    await tick();
    expect(subs.map((s) => [s.ids, s.errors])).toEqual([[[], []], [['e1'], []], [[], []]]);
    driver.destroy();
  });

  it('`auto` against a legacy-only hub that refuses a topic: falls back first, then splits on legacy', async () => {
    const { hub, driver, events, topics } = legacyOnly((t) => t === 'bad');
    const subs = ['a', 'bad', 'c'].map((topic) => {
      const t = track();
      driver.subscribe(topic, t.listener, t.options);
      return t;
    });
    await tick(2000);
    expect(events.filter((e) => e.type === 'fallback')).toHaveLength(1);
    expect(topics()[0]).toBe('v1');
    expect(topics().slice(1)).not.toContain('v1');
    expect(hub.open.map((r) => r.url.searchParams.getAll('topic').sort().join(' '))).toEqual(['a c']);
    hub.last.push(envelopeEvent('e1', 'c', 1));
    await tick();
    expect(subs.map((s) => [s.ids, s.errors.map((e) => e.code)])).toEqual([[[], []], [[], ['bad-request']], [['e1'], []]]);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', protocol: 'legacy', error: undefined });
    driver.destroy();
  });
});
