import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HubUpdate } from '../../src/hub/engine/types.js';
import { SseDriver } from '../../src/core/SseDriver.js';
import { MockHub } from '../../src/mock/index.js';
import { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import { SignalingError } from '../../src/signaling/errors.js';
import { signalingTopics } from '../../src/signaling/topics.js';
import { client, frameOf, publishFrame, tick, type Client } from './helpers.js';

const ROOM = 'lobby';
const topics = signalingTopics(ROOM);

let hub: MockHub;
let published: HubUpdate[];
const clients: Client[] = [];

function join(peerId: string, options: Parameters<typeof client>[2] = {}): Client {
  const c = client(hub, ROOM, { peerId, ...options });
  clients.push(c);
  c.signaling.join();
  return c;
}

/** Messages of one kind the hub dispatched, as `from:kind` or `from>to:kind`. */
function sent(kind: string): string[] {
  const out: string[] = [];
  for (const update of published) {
    const frame = frameOf(update);
    if (!frame) continue;
    for (const m of frame.msgs) {
      if (m.t !== kind) continue;
      const topic = update.topics[0]!;
      out.push(topic === topics.room ? `${frame.from}:${kind}` : `${frame.from}>${decodeURIComponent(topic.slice(topic.lastIndexOf('/') + 1))}:${kind}`);
    }
  }
  return out;
}

beforeEach(() => {
  vi.useFakeTimers();
  hub = new MockHub();
  published = [];
  hub.on('publish', (u) => published.push(u));
});

afterEach(() => {
  for (const c of clients.splice(0)) {
    c.signaling.destroy();
    c.driver.destroy();
  }
  hub.close();
  vi.useRealTimers();
});

describe('PeerSignaling over MockHub', () => {
  it('names its topics under an absolute base, percent-encoding room and peer id', () => {
    const t = signalingTopics('my room/1', 'https://example.com/sig/');
    expect(t.room).toBe('https://example.com/sig/rooms/my%20room%2F1');
    expect(t.inbox('a/b')).toBe('https://example.com/sig/rooms/my%20room%2F1/peers/a%2Fb');
    expect(t.inboxPattern).toBe('https://example.com/sig/rooms/my%20room%2F1/peers/:peer');
  });

  it('three peers join, see each other, and direct signals reach only the addressee', async () => {
    const a = join('a', { metadata: { name: 'Ada' } });
    await tick(50);
    expect(a.signaling.status).toBe('joined');
    const b = join('b');
    await tick(50);
    const c = join('c');
    await tick(50);

    expect(a.peerIds()).toEqual(['b', 'c']);
    expect(b.peerIds()).toEqual(['a', 'c']);
    expect(c.peerIds()).toEqual(['a', 'b']);
    expect(c.signaling.getPeer('a')?.metadata).toEqual({ name: 'Ada' });
    // Members answer the newcomer in its inbox, not in the room.
    expect(sent('welcome').sort()).toEqual(['a>b:welcome', 'a>c:welcome', 'b>c:welcome']);
    expect(a.joins).toEqual(['b', 'c']);

    await a.signaling.send('b', { offer: 'for b' });
    await c.signaling.send('b', { offer: 'from c' });
    await b.signaling.broadcast('hi all');
    await tick(10);
    expect(b.signals.map((s) => [s.from, s.data, s.direct])).toEqual([
      ['a', { offer: 'for b' }, true],
      ['c', { offer: 'from c' }, true],
    ]);
    expect(a.signals.map((s) => [s.from, s.data, s.direct])).toEqual([['b', 'hi all', false]]);
    expect(c.signals.map((s) => [s.from, s.data, s.direct])).toEqual([['b', 'hi all', false]]);
  });

  it('rejects sends to unknown peers and before join', async () => {
    const a = join('a');
    await tick(50);
    await expect(a.signaling.send('nobody', 1)).rejects.toMatchObject({ code: 'not-found' });
    const idle = new PeerSignaling(a.driver, ROOM, { encrypt: false });
    await expect(idle.broadcast(1)).rejects.toBeInstanceOf(SignalingError);
    expect(() => new PeerSignaling(a.driver, ROOM, { heartbeat: 1000, timeout: 500 })).toThrow(SignalingError);
  });

  it('refuses a value that is not JSON at once, and the messages sent beside it still go', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    const results = await Promise.allSettled([
      a.signaling.send('b', 'first'),
      a.signaling.send('b', 'second'),
      a.signaling.send('b', circular as never),
      a.signaling.send('b', (() => 1) as never),
      a.signaling.broadcast(1n as never),
      a.signaling.send('b', 'third'),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as SignalingError).code : 'ok'))).toEqual(['ok', 'ok', 'misuse', 'misuse', 'misuse', 'ok']);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof SignalingError)).toBe(true);
    await tick(10);
    expect(b.signals.map((s) => s.data)).toEqual(['first', 'second', 'third']);
  });

  it('sees a bye at once', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    const sid = b.signaling.sessionId!;
    await b.signaling.leave();
    await tick(0);
    expect(a.peerIds()).toEqual([]);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'bye' }]);
    expect(b.signaling.status).toBe('left');
    // A late message of the session that said bye (a replay from history) does not bring it back.
    publishFrame(hub, topics.room, { from: 'b', sid: sid, at: 0, msgs: [{ seq: 1000, t: 'beat', meta: null }] });
    await tick(0);
    expect(a.peerIds()).toEqual([]);
  });

  it('sends bye on pagehide and rejoins when the page comes back from the cache', async () => {
    const a = join('a');
    const events = new EventTarget();
    const b = join('b', { platform: { events } });
    await tick(50);
    events.dispatchEvent(new Event('pagehide'));
    await tick(10);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'bye' }]);
    const shown = Object.assign(new Event('pageshow'), { persisted: true });
    events.dispatchEvent(shown);
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    expect(b.signaling.status).toBe('joined');
  });

  it('drops a silent peer after the timeout, and not before', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    // A peer that announces once and then goes silent (crashed tab, lost network).
    publishFrame(hub, topics.room, { from: 'ghost', sid: 's1', at: 1, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    await tick(0);
    expect(a.peerIds()).toEqual(['ghost']);
    await tick(2900);
    expect(a.peerIds()).toEqual(['ghost']);
    await tick(200);
    expect(a.peerIds()).toEqual([]);
    expect(a.leaves).toEqual([{ id: 'ghost', reason: 'timeout' }]);
  });

  it('a peer dropped for silence comes back when it speaks again (its network returned)', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    publishFrame(hub, topics.room, { from: 'ghost', sid: 's1', at: 1, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    await tick(3100);
    expect(a.leaves).toEqual([{ id: 'ghost', reason: 'timeout' }]);
    // Its stream was down longer than the timeout; back online, the same session announces again.
    publishFrame(hub, topics.room, { from: 'ghost', sid: 's1', at: 1, msgs: [{ seq: 7, t: 'hello', meta: { back: true } }] });
    await tick(10);
    expect(a.peerIds()).toEqual(['ghost']);
    expect(a.signaling.getPeer('ghost')?.metadata).toEqual({ back: true });
    expect(sent('welcome')).toEqual(['a>ghost:welcome', 'a>ghost:welcome']);
    // A message older than the last one heard before the timeout still does not count.
    await tick(3100);
    expect(a.peerIds()).toEqual([]);
    publishFrame(hub, topics.room, { from: 'ghost', sid: 's1', at: 1, msgs: [{ seq: 7, t: 'beat', meta: null }] });
    await tick(10);
    expect(a.peerIds()).toEqual([]);
  });

  it('two peers find each other again after one was offline longer than the timeout', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    // b's network: while offline every request of b fails as a lost network does.
    let offline = false;
    const fetch: typeof hub.fetch = (input, init) => (offline ? Promise.reject(new TypeError('network down')) : hub.fetch(input, init));
    const driver = new SseDriver({ url: hub.url, fetch, protocol: 'v1', platform: { events: undefined, random: () => 0.5 } });
    const b = new PeerSignaling(driver, ROOM, { peerId: 'b', encrypt: false, heartbeat: 1000, timeout: 3000, platform: { events: undefined }, onError: () => undefined });
    b.join();
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    offline = true;
    hub.dropConnections();
    await tick(10_000);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'timeout' }]);
    expect(b.status).toBe('reconnecting');
    offline = false;
    await tick(60_000);
    expect(b.status).toBe('joined');
    expect(a.peerIds()).toEqual(['b']);
    expect(b.peers.map((p) => p.id)).toEqual(['a']);
    b.destroy();
    driver.destroy();
  });

  it('keeps live peers through many timeouts thanks to heartbeats', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const b = join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    await tick(20_000);
    expect(a.peerIds()).toEqual(['b']);
    expect(b.peerIds()).toEqual(['a']);
    expect(a.leaves).toEqual([]);
    expect(sent('beat').length).toBeGreaterThan(20);
  });

  it('announces once per join and stops: heartbeats follow, never more hellos', async () => {
    join('a', { heartbeat: 1000 });
    join('b', { heartbeat: 1000 });
    await tick(50);
    join('c', { heartbeat: 1000 });
    await tick(30_000);
    expect(sent('hello').sort()).toEqual(['a:hello', 'b:hello', 'c:hello']);
  });

  it('re-announces once after a reconnect and never duplicates a peer', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    const hellosBefore = sent('hello').length;
    hub.dropConnections();
    await tick(5_000);
    expect(a.signaling.status).toBe('joined');
    expect(sent('hello').length).toBe(hellosBefore + 2);
    expect(a.peerIds()).toEqual(['b']);
    expect(b.peerIds()).toEqual(['a']);
    expect(a.joins).toEqual(['b']);
    expect(b.joins).toEqual(['a']);
    await tick(60_000);
    expect(sent('hello').length).toBe(hellosBefore + 2);
  });

  it('shows reconnecting while the stream is down and does not time peers out meanwhile', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    const statuses: string[] = [];
    a.signaling.on('status', ({ status }) => statuses.push(status));
    hub.pause();
    hub.dropConnections();
    hub.failNext(503, { method: 'GET', count: 1000 });
    await tick(10_000);
    expect(a.signaling.status).toBe('reconnecting');
    expect(a.peerIds()).toEqual(['b']);
    hub.resume();
    hub.reset();
    await tick(40_000);
    expect(statuses).toEqual(['reconnecting', 'joined']);
    expect(a.peerIds()).toEqual(['b']);
  });

  it('replaces an earlier session of the same peer id instead of duplicating it', async () => {
    const a = join('a');
    const first = join('b');
    await tick(50);
    const oldSid = first.signaling.sessionId!;
    // The page reloads abruptly: its driver is gone before any bye could leave.
    first.driver.destroy();
    first.signaling.destroy();
    await tick(10);
    expect(a.peerIds()).toEqual(['b']);
    const second = join('b');
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'replaced' }]);
    expect(a.signaling.getPeer('b')?.session).toBe(second.signaling.sessionId);
    publishFrame(hub, topics.room, { from: 'b', sid: oldSid, at: 0, msgs: [{ seq: 99, t: 'signal', data: 'stale' }] });
    await tick(0);
    expect(a.signals).toEqual([]);
    expect(a.peerIds()).toEqual(['b']);
  });

  it('a newer session of a silent peer replaces it at once (reason "replaced")', async () => {
    const a = join('a');
    await tick(50);
    publishFrame(hub, topics.room, { from: 'x', sid: 'old', at: 100, msgs: [{ seq: 1, t: 'hello', meta: 1 }] });
    publishFrame(hub, topics.room, { from: 'x', sid: 'new', at: 200, msgs: [{ seq: 1, t: 'hello', meta: 2 }] });
    publishFrame(hub, topics.room, { from: 'x', sid: 'old', at: 100, msgs: [{ seq: 2, t: 'beat', meta: 1 }] });
    await tick(0);
    expect(a.signaling.peers.map((p) => [p.id, p.metadata, p.session])).toEqual([['x', 2, 'new']]);
    expect(a.leaves).toEqual([{ id: 'x', reason: 'replaced' }]);
  });

  it('ignores replayed and out-of-order signals', async () => {
    const a = join('a');
    await tick(50);
    const sid = a.signaling.sessionId!;
    const inbox = topics.inbox('a');
    const from = { from: 'x', sid: 'x1', at: 1 };
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    publishFrame(hub, inbox, { ...from, msgs: [{ seq: 3, t: 'signal', tsid: sid, data: 'three' }] });
    publishFrame(hub, inbox, { ...from, msgs: [{ seq: 2, t: 'signal', tsid: sid, data: 'two (late)' }] });
    publishFrame(hub, inbox, { ...from, msgs: [{ seq: 3, t: 'signal', tsid: sid, data: 'three (replay)' }] });
    publishFrame(hub, inbox, { ...from, msgs: [{ seq: 4, t: 'signal', tsid: 'an-earlier-session-of-a', data: 'stale target' }] });
    publishFrame(hub, inbox, { ...from, msgs: [{ seq: 5, t: 'signal', tsid: sid, data: 'five' }, { seq: 5, t: 'signal', tsid: sid, data: 'dup' }] });
    await tick(0);
    expect(a.signals.map((s) => s.data)).toEqual(['three', 'five']);
  });

  it('keeps the order of many rapid signals and batches them into few publishes', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    const before = published.length;
    const sends = Array.from({ length: 50 }, (_, i) => a.signaling.send('b', i, { channel: 'rtc' }));
    await Promise.all(sends);
    await tick(0);
    expect(b.signals.map((s) => s.data)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(b.signals.every((s) => s.channel === 'rtc')).toBe(true);
    expect(published.length - before).toBeLessThan(5);
  });

  it('a signal whose publish fails (503, a lost answer) goes again with the same id: the addressee gets it once, before the ones sent after it', async () => {
    let loseAnswer = false;
    const a = client(hub, ROOM, { peerId: 'a' }, async (input, init) => {
      const response = await hub.fetch(input, init);
      if (loseAnswer && init?.method === 'POST') {
        loseAnswer = false;
        throw new TypeError('connection reset');
      }
      return response;
    });
    clients.push(a);
    a.signaling.join();
    const b = join('b');
    await tick(50);
    hub.failNext(503, { method: 'POST' });
    const first = a.signaling.send('b', 'offer', { channel: 'rtc' });
    const second = a.signaling.send('b', 'candidate', { channel: 'rtc' });
    await tick(5000);
    await expect(Promise.all([first, second])).resolves.toBeDefined();
    expect(b.signals.map((s) => s.data)).toEqual(['offer', 'candidate']);
    expect(a.errors).toEqual([]);

    // The hub stores the publish but its answer is lost: the retry (same id) is not dispatched twice.
    loseAnswer = true;
    const third = a.signaling.send('b', 'answer', { channel: 'rtc' });
    await tick(5000);
    await expect(third).resolves.toBeUndefined();
    expect(loseAnswer).toBe(false);
    expect(b.signals.map((s) => s.data)).toEqual(['offer', 'candidate', 'answer']);
    expect(a.errors).toEqual([]);
  });

  it('a signal the hub refuses until its send deadline rejects with timeout carrying the last refusal, not as a publish that got no answer', async () => {
    const a = join('a', { sendTimeout: 800 });
    const b = join('b');
    await tick(50);
    hub.failNext(503, { method: 'POST', count: 1000 });
    const sending = a.signaling.send('b', 'offer', { channel: 'rtc' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await tick(1000);
    const error = await sending;
    expect(error).toBeInstanceOf(SignalingError);
    expect(error).toMatchObject({ code: 'timeout', cause: { code: 'server', status: 503 } });
    expect((error as Error).message).not.toMatch(/no answer/);
    expect(a.errors.at(-1)).toMatchObject({ code: 'timeout', cause: { code: 'server', status: 503 } });
    expect(b.signals).toEqual([]);
  });

  it('a publish refused with Retry-After: 0 goes again after its own backoff, not at once in a loop', async () => {
    let posts = 0;
    const a = client(hub, ROOM, { peerId: 'a', sendTimeout: 1000 }, (input, init) => {
      if (init?.method === 'POST') posts++;
      return hub.fetch(input, init);
    });
    clients.push(a);
    a.signaling.join();
    const b = join('b');
    await tick(50);
    const before = posts;
    hub.failNext(429, { method: 'POST', count: 1000, retryAfter: 0 });
    const sending = a.signaling.send('b', 'offer', { channel: 'rtc' }).catch((error: unknown) => error);
    await tick(1100);
    await expect(sending).resolves.toMatchObject({ code: 'timeout', cause: { code: 'rate-limited' } });
    // At 0, 250 and 750 ms (the backoff: 250 ms doubling), as the hub asks for no longer wait.
    expect(posts - before).toBe(3);
    expect(b.signals).toEqual([]);
  });

  it('keeps direct signals of a consumed channel until a consumer comes', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    await a.signaling.send('b', 'early', { channel: 'rtc' });
    await a.signaling.send('b', 'app');
    await tick(0);
    const got: unknown[] = [];
    b.signaling.consume('a', 'rtc', (s) => got.push(s.data));
    expect(got).toEqual(['early']);
    await a.signaling.send('b', 'late', { channel: 'rtc' });
    await tick(0);
    expect(got).toEqual(['early', 'late']);
  });

  it('keeps at most 256 unconsumed signals per peer, whatever the number of channels they use', async () => {
    const a = join('a');
    await tick(50);
    const sid = a.signaling.sessionId!;
    const from = { from: 'x', sid: 'x1', at: 1 };
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    // A peer that sends on many channels nobody consumes (a bug, or a hostile peer).
    const msgs = Array.from({ length: 300 }, (_, i) => ({ seq: i + 2, t: 'signal', tsid: sid, ch: `ch${i}`, data: i }));
    publishFrame(hub, topics.inbox('a'), { ...from, msgs });
    await tick(0);
    expect(a.signals).toHaveLength(300);
    const got: unknown[] = [];
    for (let i = 0; i < 300; i++) a.signaling.consume('x', `ch${i}`, (s) => got.push(s.data));
    // The oldest were let go: the newest 256 are kept.
    expect(got).toEqual(Array.from({ length: 256 }, (_, i) => i + 44));
  });

  it('keeps at most 4096 unconsumed signals in all, whatever the number of peers: the largest backlog lets go first', async () => {
    const a = join('a');
    await tick(50);
    const sid = a.signaling.sessionId!;
    const inbox = topics.inbox('a');
    // A legitimate peer's offer waits for its consumer...
    publishFrame(hub, topics.room, { from: 'friend', sid: 'f1', at: 1, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    publishFrame(hub, inbox, { from: 'friend', sid: 'f1', at: 1, msgs: [{ seq: 2, t: 'signal', tsid: sid, ch: 'rtc', data: 'offer' }] });
    // ...while a flood of peers (one publisher under many ids) fills every backlog.
    for (let p = 0; p < 40; p++) {
      const from = { from: `flood${p}`, sid: `s${p}`, at: 1 };
      const msgs = Array.from({ length: 256 }, (_, i) => ({ seq: i + 2, t: 'signal', tsid: sid, ch: 'rtc', data: i }));
      publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 1, t: 'hello', meta: null }] });
      publishFrame(hub, inbox, { ...from, msgs });
    }
    await tick(0);
    let kept = 0;
    for (let p = 0; p < 40; p++) a.signaling.consume(`flood${p}`, 'rtc', () => kept++);
    expect(kept).toBe(4095);
    const got: unknown[] = [];
    a.signaling.consume('friend', 'rtc', (signal) => got.push(signal.data));
    expect(got).toEqual(['offer']);
  });

  it('a throwing consumer or listener is reported and delivery goes on', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    try {
      const a = join('a');
      const b = join('b');
      await tick(50);
      const consumed: unknown[] = [];
      b.signaling.consume('a', 'rtc', () => {
        throw new Error('consumer');
      });
      b.signaling.consume('a', 'rtc', (s) => consumed.push(s.data));
      b.signaling.on('signal', () => {
        throw new Error('listener');
      });
      await a.signaling.send('b', 1, { channel: 'rtc' });
      await a.signaling.send('b', 2, { channel: 'rtc' });
      await tick(10);
      expect(consumed).toEqual([1, 2]);
      expect(b.signals.map((s) => s.data)).toEqual([1, 2]);
      expect(reported.map((e) => (e as Error).message)).toEqual(['consumer', 'listener', 'consumer', 'listener']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('shares the driver connection with the rest of the app', async () => {
    const a = join('a');
    const seen: unknown[] = [];
    a.driver.subscribe('https://example.com/chat', (u) => seen.push(u.data));
    await tick(50);
    await a.driver.publish('https://example.com/chat', 'hello');
    await tick(10);
    expect(seen).toEqual(['hello']);
    expect(hub.connections).toBe(1);
    expect(a.signaling.status).toBe('joined');
  });

  it('tells metadata changes to the room', async () => {
    const a = join('a', { metadata: { name: 'A' } });
    const b = join('b');
    await tick(50);
    const updates: unknown[] = [];
    b.signaling.on('update', ({ peer }) => updates.push(peer.metadata));
    a.signaling.setMetadata({ name: 'A2' });
    await tick(10);
    expect(updates).toEqual([{ name: 'A2' }]);
    expect(b.signaling.getPeer('a')?.metadata).toEqual({ name: 'A2' });
  });

  it('refuses metadata that is not JSON at once and keeps announcing the previous one', async () => {
    const a = join('a', { metadata: { name: 'A' }, heartbeat: 1000, timeout: 3000 });
    const b = join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => a.signaling.setMetadata(circular as never)).toThrow(expect.objectContaining({ name: 'SignalingError', code: 'misuse' }));
    expect(() => new PeerSignaling(a.driver, ROOM, { encrypt: false, metadata: 1n as never })).toThrow(SignalingError);
    await tick(10_000);
    expect(a.errors).toEqual([]);
    expect(b.peerIds()).toEqual(['a']);
    expect(b.leaves).toEqual([]);
    expect(b.signaling.getPeer('a')?.metadata).toEqual({ name: 'A' });
  });
});

describe('end-to-end encryption', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });

  it('encrypts direct signals: only the addressee can read them; the hub sees ciphertext', async () => {
    const a = join('a', { encrypt: true });
    const b = join('b', { encrypt: true });
    const c = join('c', { encrypt: true });
    await vi.waitFor(() => {
      expect(a.peerIds()).toEqual(['b', 'c']);
      expect(b.peerIds()).toEqual(['a', 'c']);
      expect(c.peerIds()).toEqual(['a', 'b']);
    });
    expect(a.signaling.getPeer('b')?.encrypted).toBe(true);
    await a.signaling.send('b', { secret: 'sdp for b only' });
    await vi.waitFor(() => expect(b.signals.map((s) => [s.data, s.encrypted])).toEqual([[{ secret: 'sdp for b only' }, true]]));

    const direct = published.filter((u) => u.topics[0] === topics.inbox('b') && frameOf(u)?.msgs.some((m) => m.t === 'signal'));
    expect(direct).toHaveLength(1);
    expect(direct[0]!.data).not.toContain('sdp for b only');
    expect(frameOf(direct[0]!)!.msgs[0]).toHaveProperty('enc');

    // The same ciphertext forwarded to another peer's inbox does not decrypt there.
    const frame = frameOf(direct[0]!)!;
    publishFrame(hub, topics.inbox('c'), { from: 'a', sid: frame.sid, at: (frame as unknown as { at: number }).at, msgs: [{ ...frame.msgs[0]!, seq: 1000, tsid: c.signaling.sessionId }] });
    await vi.waitFor(() => expect(c.errors.some((e) => e instanceof SignalingError && e.code === 'parse')).toBe(true));
    expect(c.signals).toEqual([]);
  });

  it('a signal a member sends from its join listener reaches the newcomer decrypted, behind the welcome', async () => {
    const a = join('a', { encrypt: true, metadata: { name: 'Ada' } });
    await vi.waitFor(() => expect(a.signaling.status).toBe('joined'));
    a.signaling.on('join', ({ peer }) => void a.signaling.send(peer.id, 'welcome aboard'));
    const b = client(hub, ROOM, { peerId: 'b', encrypt: true });
    clients.push(b);
    const joined: unknown[] = [];
    b.signaling.on('join', ({ peer }) => joined.push([peer.id, peer.metadata, peer.encrypted]));
    b.signaling.join();
    await vi.waitFor(() => expect(b.signals.map((s) => [s.from, s.data, s.encrypted])).toEqual([['a', 'welcome aboard', true]]));
    expect(joined).toEqual([['a', { name: 'Ada' }, true]]);
    expect(b.errors).toEqual([]);
  });

  it('a broadcast sent right after join() introduces the sender with its metadata and key; a reply to it, ahead of the hello, decrypts', async () => {
    const a = join('a', { encrypt: 'required' });
    await vi.waitFor(() => expect(a.signaling.status).toBe('joined'));
    const joined: unknown[] = [];
    const replies: Promise<void>[] = [];
    a.signaling.on('join', ({ peer }) => {
      joined.push([peer.id, peer.metadata, peer.encrypted]);
      replies.push(a.signaling.send(peer.id, 'hi Bob'));
    });
    // b's publishes wait at the door until let through one by one: its broadcast reaches the room while its hello waits.
    const held: (() => void)[] = [];
    const fetch: typeof hub.fetch = async (input, init) => {
      if (init?.method === 'POST') await new Promise<void>((resolve) => held.push(resolve));
      return hub.fetch(input, init);
    };
    const driver = new SseDriver({ url: hub.url, fetch, protocol: 'v1', platform: { events: undefined, random: () => 0.5 } });
    const errors: Error[] = [];
    const b = new PeerSignaling(driver, ROOM, { peerId: 'b', encrypt: 'required', metadata: 'Bob', platform: { events: undefined }, onError: (e) => errors.push(e) });
    const signals: unknown[] = [];
    b.on('signal', (signal) => signals.push([signal.from, signal.data, signal.encrypted]));
    b.join();
    void b.broadcast('hello all');
    await hub.waitForConnections(2);
    await vi.waitFor(() => expect(held).toHaveLength(1));
    held.shift()!();
    await vi.waitFor(() => expect(signals).toEqual([['a', 'hi Bob', true]]));
    expect(joined).toEqual([['b', 'Bob', true]]);
    expect(a.signals.map((s) => s.data)).toEqual(['hello all']);
    await Promise.all(replies);
    expect([...a.errors, ...errors]).toEqual([]);
    for (const release of held.splice(0)) release();
    b.destroy();
    driver.destroy();
  });

  it('a peer dropped for silence and heard again first through a broadcast (no key) still has its encrypted signals read: they carry its key', async () => {
    // a times b out quickly; b beats rarely and keeps a.
    const a = join('a', { encrypt: true, heartbeat: 40, timeout: 120 });
    const b = join('b', { encrypt: true, heartbeat: 1_000_000 });
    await vi.waitFor(() => expect(b.peerIds()).toEqual(['a']));
    await vi.waitFor(() => expect(a.leaves).toEqual([{ id: 'b', reason: 'timeout' }]));
    // b's next messages, back to back: a broadcast (no key: b announced itself long ago), then an encrypted signal.
    await b.signaling.broadcast('back');
    await b.signaling.send('a', 'secret');
    await vi.waitFor(() => expect(a.signals.map((s) => [s.data, s.encrypted])).toEqual([['back', false], ['secret', true]]));
    expect(a.errors).toEqual([]);
  });

  it('refuses plaintext direct signals when encryption is required', async () => {
    const a = join('a', { encrypt: false });
    const b = join('b', { encrypt: 'required' });
    await vi.waitFor(() => expect(a.peerIds()).toEqual(['b']));
    await vi.waitFor(() => expect(b.peerIds()).toEqual(['a']));
    await expect(b.signaling.send('a', 'x')).rejects.toMatchObject({ code: 'misuse' });
    await a.signaling.send('b', 'plain');
    await vi.waitFor(() => expect(b.errors.length).toBe(1));
    expect(b.signals).toEqual([]);
  });
});

describe('PeerSignaling lifecycle edges', () => {
  /** An EventTarget that counts live listeners by type. */
  function countingTarget(): { events: EventTarget; live: Map<string, number> } {
    const events = new EventTarget();
    const live = new Map<string, number>();
    const add = events.addEventListener.bind(events);
    const remove = events.removeEventListener.bind(events);
    events.addEventListener = ((type: string, listener: EventListener) => {
      live.set(type, (live.get(type) ?? 0) + 1);
      add(type, listener);
    }) as EventTarget['addEventListener'];
    events.removeEventListener = ((type: string, listener: EventListener) => {
      live.set(type, (live.get(type) ?? 0) - 1);
      remove(type, listener);
    }) as EventTarget['removeEventListener'];
    return { events, live };
  }

  it('a matcher switch of the driver is not a disconnection: no reconnecting, no new hello, timeouts unchanged', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    const switches: string[] = [];
    a.driver.on('event', (event) => {
      if ((event.type === 'open' || event.type === 'drop') && event.connection === 'main' && event.switching) switches.push(event.type);
    });
    const statuses: string[] = [];
    a.signaling.on('status', ({ status }) => statuses.push(status));
    const hellos = sent('hello').filter((h) => h.startsWith('a:')).length;
    expect(hellos).toBe(1);
    // A peer that announces once and goes silent: it must time out 3 s after it was last heard.
    publishFrame(hub, topics.room, { from: 'ghost', sid: 's1', at: 1, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    await tick(0);
    expect(a.peerIds()).toEqual(['b', 'ghost']);
    await tick(2000);
    // The app subscribes to something else on the same driver: the stream is switched (make before break).
    const offOther = a.driver.subscribe('https://example.com/other', () => undefined);
    await tick(500);
    // A switch whose successor fails to open while the live stream carries on (a removal opens no
    // stream, so this switch is an addition).
    hub.failNext(503, { method: 'GET' });
    const offAnother = a.driver.subscribe('https://example.com/another', () => undefined);
    await tick(600);
    offOther();
    offAnother();
    expect(switches).toContain('open');
    expect(switches).toContain('drop');
    expect(a.peerIds()).toEqual(['b']);
    expect(a.leaves).toEqual([{ id: 'ghost', reason: 'timeout' }]);
    expect(statuses).toEqual([]);
    expect(a.signaling.status).toBe('joined');
    expect(sent('hello').filter((h) => h.startsWith('a:')).length).toBe(hellos);
  });

  it('leave() then join() on the open stream announces at once, not at the next heartbeat', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    const firstSid = b.signaling.sessionId;
    // A quick rejoin: the driver's matcher set never changes, so its stream neither switches nor reopens.
    void b.signaling.leave();
    b.signaling.join();
    await tick(50);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'bye' }]);
    expect(a.peerIds()).toEqual(['b']);
    expect(a.signaling.getPeer('b')?.session).toBe(b.signaling.sessionId);
    expect(b.signaling.sessionId).not.toBe(firstSid);
    expect(b.peerIds()).toEqual(['a']);
    expect(b.signaling.status).toBe('joined');
    expect(hub.connections).toBe(2);
    expect(sent('hello')).toEqual(['a:hello', 'b:hello', 'b:hello']);
  });

  it('announces once per activation: at join and after each reconnect, never on a matcher switch', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const b = join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    const statuses: string[] = [];
    a.signaling.on('status', ({ status }) => statuses.push(status));
    /** Hellos of `a` the hub received. */
    const hellosOfA = (): number =>
      hub.history.filter((u) => {
        const frame = frameOf(u);
        return frame?.from === 'a' && frame.msgs.some((m) => m.t === 'hello');
      }).length;
    expect(hellosOfA()).toBe(1);

    // Another subscription on the same driver switches the stream (make before break): still live.
    const offOther = a.driver.subscribe('https://example.com/other', () => undefined);
    await tick(500);
    expect(hellosOfA()).toBe(1);

    // A reconnect while the switched stream carries both: one new hello.
    hub.dropConnections();
    await tick(5_000);
    expect(hellosOfA()).toBe(2);
    expect(a.signaling.status).toBe('joined');

    // Switching back, then a second reconnect.
    offOther();
    await tick(500);
    expect(hellosOfA()).toBe(2);
    hub.dropConnections();
    await tick(5_000);
    expect(hellosOfA()).toBe(3);

    await tick(30_000);
    expect(hellosOfA()).toBe(3);
    expect(statuses).toEqual(['reconnecting', 'joined', 'reconnecting', 'joined']);
    expect(a.peerIds()).toEqual(['b']);
    expect(b.peerIds()).toEqual(['a']);
    expect(a.leaves).toEqual([]);
    expect(b.leaves).toEqual([]);
  });

  it('a hello the hub refused until its send deadline goes out again at the next heartbeat, once', async () => {
    const b = join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    // Refused at once and at the retries 250 and 750 ms later; the send gives up at 800 ms.
    hub.failNext(503, { method: 'POST', count: 3 });
    const a = join('a', { heartbeat: 1000, timeout: 3000, sendTimeout: 800 });
    await tick(850);
    expect(a.errors).toHaveLength(1);
    expect(a.signaling.status).toBe('joining');
    expect(b.peerIds()).toEqual([]);
    await tick(1000);
    expect(b.peerIds()).toEqual(['a']);
    expect(a.peerIds()).toEqual(['b']);
    expect(a.signaling.status).toBe('joined');
    await tick(10_000);
    expect(sent('hello')).toEqual(['b:hello', 'a:hello']);
  });

  it('join() on a destroyed driver throws closed and leaves nothing half joined', async () => {
    const { events, live } = countingTarget();
    const a = client(hub, ROOM, { peerId: 'a', platform: { events } });
    clients.push(a);
    a.driver.destroy();
    for (let i = 0; i < 2; i++) {
      expect(() => a.signaling.join()).toThrow(SignalingError);
      try {
        a.signaling.join();
      } catch (error) {
        expect((error as SignalingError).code).toBe('closed');
      }
      expect(a.signaling.status).toBe('idle');
      expect(a.signaling.sessionId).toBeUndefined();
    }
    expect([...live.values()].every((n) => n === 0)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(a.signaling.leave()).resolves.toBeUndefined();
  });

  it('a driver destroyed under a joined room leaves it: status left, peers forgotten, no heartbeat, no error', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const b = join('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    const publishedBefore = published.length;
    a.driver.destroy();
    expect(a.signaling.status).toBe('left');
    expect(a.leaves).toEqual([{ id: 'b', reason: 'left' }]);
    await tick(10_000);
    expect(a.errors).toEqual([]);
    expect(published.slice(publishedBefore).some((u) => frameOf(u)?.from === 'a')).toBe(false);
    // The others drop it by the timeout, as they would a crashed page.
    expect(b.leaves).toEqual([{ id: 'a', reason: 'timeout' }]);
    await expect(a.signaling.leave()).resolves.toBeUndefined();
    expect(a.errors).toEqual([]);
  });

  it('leave() removes its page listeners; pagehide keeps only pageshow, until the page returns or leave() is called', async () => {
    const { events, live } = countingTarget();
    const a = client(hub, ROOM, { peerId: 'a', platform: { events } });
    clients.push(a);
    for (let i = 0; i < 5; i++) {
      a.signaling.join();
      await tick(50);
      await a.signaling.leave();
    }
    expect(live.get('pageshow')).toBe(0);
    expect(live.get('pagehide')).toBe(0);

    a.signaling.join();
    await tick(50);
    events.dispatchEvent(new Event('pagehide'));
    expect(live.get('pageshow')).toBe(1);
    expect(live.get('pagehide')).toBe(0);
    await tick(50);
    events.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await tick(50);
    expect(a.signaling.status).toBe('joined');
    expect([live.get('pagehide'), live.get('pageshow')]).toEqual([1, 1]);

    events.dispatchEvent(new Event('pagehide'));
    // Left while the page was away: coming back does not rejoin, and nothing keeps listening.
    await a.signaling.leave();
    expect(live.get('pageshow')).toBe(0);
    events.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await tick(50);
    expect(a.signaling.status).toBe('left');
  });

  it('uses the driver platform seams (ids, timers) unless given its own', () => {
    let n = 0;
    const delays: number[] = [];
    const driverPlatform = {
      events: undefined,
      uuid: () => `id-${++n}`,
      setTimeout: (callback: () => void, ms: number) => {
        delays.push(ms);
        return setTimeout(callback, ms);
      },
    };
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: driverPlatform });
    const signaling = new PeerSignaling(driver, ROOM, { encrypt: false });
    expect(signaling.selfId).toMatch(/^id-\d+$/);
    signaling.join();
    expect(signaling.sessionId).toMatch(/^id-\d+$/);
    expect(delays).toContain(10_000);
    const own = new PeerSignaling(driver, ROOM, { encrypt: false, platform: { uuid: () => 'own' } });
    expect(own.selfId).toBe('own');
    signaling.destroy();
    own.destroy();
    driver.destroy();
  });
});

describe('hostile input and flaky timing', () => {
  it('a session that leaves before its hello went out still says bye once it sent anything: no ghost until the timeout', async () => {
    const b = join('b');
    await tick(50);
    // Joined, broadcast and left in one go, before the hub delivered the room (so before any hello).
    const a = client(hub, ROOM, { peerId: 'a' });
    clients.push(a);
    a.signaling.join();
    void a.signaling.broadcast('hi');
    await a.signaling.leave();
    await tick(50);
    expect(b.signals.map((s) => s.data)).toEqual(['hi']);
    expect(b.peerIds()).toEqual([]);
    expect(b.leaves).toEqual([{ id: 'a', reason: 'bye' }]);
  });

  it('ignores messages whose fields have the wrong types: no signal with a channel that is not a string', async () => {
    const a = join('a');
    await tick(50);
    const sid = a.signaling.sessionId!;
    const from = { from: 'x', sid: 'x1', at: 1 };
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 1, t: 'hello', meta: null }] });
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 2, t: 'signal', ch: 7, data: 'numeric channel' }] });
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 3, t: 'signal', ch: { x: 1 }, data: 'object channel' }] });
    publishFrame(hub, topics.inbox('a'), { ...from, msgs: [{ seq: 4, t: 'signal', tsid: [sid], data: 'array tsid' }] });
    publishFrame(hub, topics.inbox('a'), { ...from, msgs: [{ seq: 5, t: 'signal', tsid: sid, enc: 'not sealed' }] });
    publishFrame(hub, topics.room, { ...from, msgs: [{ seq: 6, t: 'signal', ch: 'ok', data: 'fine' }] });
    await tick(0);
    expect(a.signals.map((s) => [s.channel, s.data])).toEqual([['ok', 'fine']]);
    expect(a.errors).toEqual([]);
  });

  it('two tabs given the same peerId: the older session is told (once) that the room now hears the newer one', async () => {
    const x = join('x');
    const older = join('u');
    await tick(50);
    const newer = join('u');
    await tick(50);
    expect(x.peerIds()).toEqual(['u']);
    expect(x.signaling.getPeer('u')?.session).toBe(newer.signaling.sessionId);
    expect(older.errors.map((e) => (e as SignalingError).code)).toEqual(['misuse']);
    expect(older.errors[0]!.message).toContain('"u"');
    await tick(30_000);
    expect(older.errors).toHaveLength(1);
    expect(newer.errors).toEqual([]);
  });

  it('leave() and join() in the same millisecond: the new session is the newer one, for the room and for this peer itself', async () => {
    let n = 0;
    // Descending ids: a tie on the start time would be broken in favour of the session that ended.
    const uuid = () => `id-${String(999 - n++).padStart(3, '0')}`;
    const x = join('x');
    await tick(50);
    const a = client(hub, ROOM, { peerId: 'a', platform: { events: undefined, uuid } });
    clients.push(a);
    // Two sessions in a row without the clock moving; the first one sent something.
    a.signaling.join();
    const first = { sid: a.signaling.sessionId!, at: Date.now() };
    void a.signaling.broadcast('one');
    void a.signaling.leave();
    a.signaling.join();
    void a.signaling.broadcast('two');
    await tick(50);
    expect(x.signaling.getPeer('a')?.session).toBe(a.signaling.sessionId);
    expect(x.signals.map((s) => s.data)).toEqual(['one', 'two']);
    // A late frame of the first session (a publish that took its time, a replay) reaches the new one.
    publishFrame(hub, topics.room, { from: 'a', sid: first.sid, at: first.at, msgs: [{ seq: 50, t: 'beat', meta: null }] });
    await tick(0);
    expect(a.errors).toEqual([]);
    // A peer that never heard the first session's bye still takes the second for the newer one.
    const y = join('y');
    await tick(50);
    publishFrame(hub, topics.room, { from: 'a', sid: first.sid, at: first.at, msgs: [{ seq: 51, t: 'beat', meta: null }] });
    await tick(50);
    expect(y.signaling.getPeer('a')?.session).toBe(a.signaling.sessionId);
  });

  it('leave() before anything was sent publishes nothing (a StrictMode throwaway mount)', async () => {
    const b = join('b');
    await tick(50);
    const before = published.length;
    const a = client(hub, ROOM, { peerId: 'a' });
    clients.push(a);
    a.signaling.join();
    await a.signaling.leave();
    await tick(50);
    expect(published.length).toBe(before);
    expect(b.joins).toEqual([]);
  });
});

describe('heartbeats while this client cannot hear the room', () => {
  /**
   * A member whose stream requests get `streams.refuse()`'s answer while it is set (its publishes
   * reach the hub all along): a proxy cutting event streams, a subscribe refused on its own.
   */
  function deafMember(peerId: string, options: Parameters<typeof client>[2] = {}): Client & { streams: { refuse: (() => Promise<Response>) | undefined } } {
    const streams: { refuse: (() => Promise<Response>) | undefined } = { refuse: undefined };
    const fetch: typeof hub.fetch = (input, init) => (streams.refuse && init?.method !== 'POST' ? streams.refuse() : hub.fetch(input, init));
    const c = client(hub, ROOM, { peerId, ...options }, fetch);
    clients.push(c);
    c.signaling.join();
    return Object.assign(c, { streams });
  }

  const beatsOf = (peerId: string): number => sent('beat').filter((b) => b === `${peerId}:beat`).length;

  it('a member whose stream is down but whose publishes go through keeps heartbeating: the others keep it in the room', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const b = deafMember('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    expect(a.peerIds()).toEqual(['b']);
    b.streams.refuse = () => Promise.reject(new TypeError('stream cut by a proxy'));
    hub.dropConnections();
    const beats = beatsOf('b');
    await tick(30_000);
    expect(b.signaling.status).toBe('reconnecting');
    expect(beatsOf('b')).toBeGreaterThanOrEqual(beats + 25);
    expect(a.peerIds()).toEqual(['b']);
    expect(a.leaves).toEqual([]);
    // Nobody is timed out by b meanwhile either: their silence proves nothing.
    expect(b.peerIds()).toEqual(['a']);
    await a.signaling.send('b', 'while you were away');
    b.streams.refuse = undefined;
    await tick(60_000);
    expect(b.signaling.status).toBe('joined');
    // The hub keeps history: what was sent to b meanwhile reaches it when its stream resumes.
    expect(b.signals.map((s) => s.data)).toEqual(['while you were away']);
    expect(a.joins).toEqual(['b']);
    expect(a.leaves).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('a member whose driver stopped retrying its stream (refused credentials) stops heartbeating: the room times it out, and it announces again once its stream is back', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const b = deafMember('b', { heartbeat: 1000, timeout: 3000 });
    await tick(50);
    b.streams.refuse = () => Promise.resolve(new Response(null, { status: 401 }));
    hub.dropConnections();
    await tick(1000);
    expect(b.driver.getSnapshot().status).toBe('error');
    const beats = beatsOf('b');
    await tick(10_000);
    expect(beatsOf('b')).toBe(beats);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'timeout' }]);
    b.streams.refuse = undefined;
    b.driver.reconnect();
    await tick(1000);
    expect(b.signaling.status).toBe('joined');
    expect(a.peerIds()).toEqual(['b']);
    await tick(10_000);
    expect(a.leaves).toEqual([{ id: 'b', reason: 'timeout' }]);
  });

  it('a member whose signaling stream is down keeps heartbeating while another of its streams was refused for good (driver status error): the room keeps it', async () => {
    const a = join('a', { heartbeat: 1000, timeout: 3000 });
    const streams: { cut: boolean } = { cut: false };
    // The raw subscription's own stream is refused for good (403); the signaling stream only drops.
    const fetch: typeof hub.fetch = (input, init) => {
      if (init?.method === 'POST') return hub.fetch(input, init);
      if (String(input instanceof Request ? input.url : input).includes('forbidden-feed')) return Promise.resolve(new Response(null, { status: 403 }));
      return streams.cut ? Promise.reject(new TypeError('stream cut by a proxy')) : hub.fetch(input, init);
    };
    const b = client(hub, ROOM, { peerId: 'b', heartbeat: 1000, timeout: 3000 }, fetch);
    clients.push(b);
    b.signaling.join();
    await tick(50);
    b.driver.subscribe(['https://example.com/forbidden-feed'], () => undefined, { raw: true });
    await tick(1000);
    expect(b.driver.getSnapshot().status).toBe('error');
    expect(a.peerIds()).toEqual(['b']);
    streams.cut = true;
    hub.dropConnections();
    const beats = beatsOf('b');
    await tick(30_000);
    expect(b.signaling.status).toBe('reconnecting');
    expect(beatsOf('b')).toBeGreaterThanOrEqual(beats + 25);
    expect(a.leaves).toEqual([]);
    expect(a.peerIds()).toEqual(['b']);
  });
});

describe('room size limit (maxPeers)', () => {
  const hello = (from: string, seq = 1) => publishFrame(hub, topics.room, { from, sid: `${from}-s`, at: 1, msgs: [{ seq, t: 'hello', meta: null }] });
  const beat = (from: string, seq: number) => publishFrame(hub, topics.room, { from, sid: `${from}-s`, at: 1, msgs: [{ seq, t: 'beat', meta: null }] });
  const roomFull = (c: Client) => c.errors.filter((e) => (e as SignalingError).code === 'room-full');

  it('a flood of peer ids stops at the default limit (256): known peers stay and keep signaling, the flood gets no welcome, and the app is told once', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    const sid = a.signaling.sessionId!;
    // One publisher announces thousands of ids, some of which also send signals nobody consumes yet.
    for (let i = 0; i < 2000; i++) hello(`flood${i}`);
    for (let i = 1990; i < 2000; i++) {
      publishFrame(hub, topics.inbox('a'), { from: `flood${i}`, sid: `flood${i}-s`, at: 1, msgs: [{ seq: 2, t: 'signal', tsid: sid, ch: 'rtc', data: 'offer' }] });
    }
    await tick(0);
    expect(a.signaling.peers).toHaveLength(256);
    expect(a.signaling.getPeer('b')).toBeDefined();
    expect(a.signaling.getPeer('flood1999')).toBeUndefined();
    expect(sent('welcome').filter((w) => w.startsWith('a>')).length).toBe(1 + 255);
    const told = roomFull(a);
    expect(told).toHaveLength(1);
    expect(told[0]).toBeInstanceOf(SignalingError);
    expect(told[0]!.message).toContain('256');
    expect(told[0]!.message).toContain('maxPeers');
    // Nothing of a peer beyond the limit was kept for a later consumer.
    const kept: unknown[] = [];
    a.signaling.consume('flood1999', 'rtc', (signal) => kept.push(signal.data));
    expect(kept).toEqual([]);
    expect(a.signals).toEqual([]);
    // The flood goes on (beats, more ids); the known peer is never pushed out and still talks.
    for (let i = 0; i < 2000; i++) beat(`flood${i}`, 3);
    for (let i = 2000; i < 2500; i++) hello(`flood${i}`);
    await a.signaling.send('b', 'still here');
    await b.signaling.send('a', 'me too');
    await tick(0);
    expect(a.signaling.getPeer('b')).toBeDefined();
    expect(b.signals.map((s) => s.data)).toEqual(['still here']);
    expect(a.signals.map((s) => s.data)).toEqual(['me too']);
    expect(roomFull(a)).toHaveLength(1);
  });

  it('a place freed by a bye or a timeout goes to the next newcomer; the limit is told again only when the room fills again', async () => {
    const a = join('a', { maxPeers: 2, heartbeat: 1000, timeout: 3000 });
    await tick(50);
    hello('p1');
    hello('p2');
    await tick(0);
    expect(a.peerIds()).toEqual(['p1', 'p2']);
    expect(a.errors).toEqual([]);
    hello('p3');
    beat('p3', 2);
    await tick(0);
    expect(a.peerIds()).toEqual(['p1', 'p2']);
    expect(roomFull(a)).toHaveLength(1);
    publishFrame(hub, topics.room, { from: 'p1', sid: 'p1-s', at: 1, msgs: [{ seq: 2, t: 'bye' }] });
    beat('p3', 3);
    await tick(0);
    expect(a.peerIds()).toEqual(['p2', 'p3']);
    hello('p4');
    await tick(0);
    expect(a.peerIds()).toEqual(['p2', 'p3']);
    expect(roomFull(a)).toHaveLength(2);
    // p3 keeps beating, p2 goes silent: its place frees at its timeout and p4 takes it.
    for (let seq = 4; seq < 8; seq++) {
      await tick(1000);
      beat('p3', seq);
    }
    expect(a.leaves).toEqual([
      { id: 'p1', reason: 'bye' },
      { id: 'p2', reason: 'timeout' },
    ]);
    beat('p4', 2);
    await tick(0);
    expect(a.peerIds()).toEqual(['p3', 'p4']);
    expect(roomFull(a)).toHaveLength(2);
  });

  it('a room of exactly maxPeers others works as any room, and a newer session of a member replaces it even when the room is full', async () => {
    const a = join('a', { maxPeers: 2 });
    const b = join('b');
    join('c');
    await tick(50);
    expect(a.peerIds()).toEqual(['b', 'c']);
    await b.signaling.send('a', 'hi');
    await tick(0);
    expect(a.signals.map((s) => s.data)).toEqual(['hi']);
    const newer = join('c');
    await tick(50);
    expect(a.peerIds()).toEqual(['b', 'c']);
    expect(a.signaling.getPeer('c')?.session).toBe(newer.signaling.sessionId);
    expect(a.errors).toEqual([]);
  });

  it('refuses a maxPeers that is not a positive integer', () => {
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined } });
    try {
      for (const maxPeers of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => new PeerSignaling(driver, ROOM, { maxPeers, encrypt: false })).toThrow(expect.objectContaining({ code: 'misuse', message: expect.stringContaining('maxPeers') }));
      }
    } finally {
      driver.destroy();
    }
  });
});
