import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { HubUpdate } from '../../src/hub/engine/types.js';
import { MockHub } from '../../src/mock/index.js';
import { SignalingError } from '../../src/signaling/errors.js';
import { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import type { PeerSignalingOptions, Signal } from '../../src/signaling/types.js';
import { frameOf, tick } from './helpers.js';

const ROOM = 'lobby';

/**
 * A client whose publishes can hang: while `hang` is on, every POST it makes is never answered —
 * as when the browser's six HTTP/1.1 sockets all hold streams.
 */
interface HangingClient {
  readonly driver: SseDriver;
  readonly signaling: PeerSignaling;
  readonly errors: Error[];
  readonly signals: Signal[];
  /** POSTs that got no answer so far. */
  readonly hung: RequestInit[];
  hang: boolean;
}

let hub: MockHub;
let published: HubUpdate[];
const clients: HangingClient[] = [];

function join(peerId: string, options: PeerSignalingOptions = {}): HangingClient {
  const hung: RequestInit[] = [];
  const state = { hang: false };
  const driver = new SseDriver({
    url: hub.url,
    protocol: 'v1',
    platform: { events: undefined, random: () => 0.5 },
    fetch: (input, init) => {
      if (state.hang && init?.method === 'POST') {
        hung.push(init);
        return new Promise<Response>(() => undefined);
      }
      return hub.fetch(input, init);
    },
  });
  const errors: Error[] = [];
  const signaling = new PeerSignaling(driver, ROOM, { peerId, encrypt: false, platform: { events: undefined }, onError: (e) => errors.push(e), ...options });
  const signals: Signal[] = [];
  signaling.on('signal', (s) => signals.push(s));
  const client: HangingClient = {
    driver,
    signaling,
    errors,
    signals,
    hung,
    get hang() {
      return state.hang;
    },
    set hang(value: boolean) {
      state.hang = value;
    },
  };
  clients.push(client);
  signaling.join();
  return client;
}

/** Kinds of the messages `from` published that reached the hub. */
function kindsFrom(from: string): string[] {
  return published.flatMap((u) => {
    const frame = frameOf(u);
    return frame?.from === from ? frame.msgs.map((m) => m.t) : [];
  });
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

describe('a publish that never answers', () => {
  it('gives the send up at its deadline with a timeout, aborts the publish, and lets later messages through', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    a.hang = true;
    const stuck = a.signaling.send('b', 'stuck');
    const outcome = stuck.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await tick(5_000);
    a.hang = false;
    // Queued behind the hung publish, with half of its own deadline left.
    const later = a.signaling.send('b', 'later');
    await tick(4_999);
    expect(a.hung).toHaveLength(1);
    expect(b.signals).toEqual([]);
    await tick(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(SignalingError);
    expect((error as SignalingError).code).toBe('timeout');
    expect(a.hung[0]!.signal?.aborted).toBe(true);
    await expect(later).resolves.toBeUndefined();
    await tick(10);
    expect(b.signals.map((s) => s.data)).toEqual(['later']);
  });

  it('reports a stalled outbox once (onError and the snapshot), and clears it at the next answered publish', async () => {
    const a = join('a', { heartbeat: 1_000, timeout: 3_000, sendTimeout: 2_000 });
    join('b', { heartbeat: 1_000, timeout: 3_000 });
    await tick(50);
    const notified: string[] = [];
    a.signaling.subscribe(() => notified.push(a.signaling.getSnapshot().outbox ?? 'ok'));
    expect(a.signaling.getSnapshot().outbox).toBe('ok');
    a.hang = true;
    const sends = [a.signaling.broadcast(1), a.signaling.broadcast(2)];
    for (const send of sends) send.catch(() => undefined);
    // Heartbeats keep queueing (and timing out) meanwhile.
    await tick(6_000);
    expect(a.signaling.getSnapshot().outbox).toBe('stalled');
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]).toMatchObject({ name: 'SignalingError', code: 'timeout' });
    await expect(Promise.all(sends)).rejects.toMatchObject({ code: 'timeout' });
    expect(a.hung.length).toBeGreaterThan(1);

    a.hang = false;
    await tick(1_000);
    expect(a.signaling.getSnapshot().outbox).toBe('ok');
    const seen = ['ok', ...notified];
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['ok', 'stalled', 'ok']);
    expect(a.errors).toHaveLength(1);
    expect(kindsFrom('a')).toContain('beat');
  });

  it('an onError that throws at the stall report does not stop the outbox', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    // Throws at the first report only: later reports (the teardown's) come after the stub is gone.
    let thrown = false;
    try {
      const a = join('a', {
        sendTimeout: 1_000,
        onError: () => {
          if (thrown) return;
          thrown = true;
          throw new Error('onError');
        },
      });
      const b = join('b');
      await tick(50);
      a.hang = true;
      const first = a.signaling.send('b', 'first').catch((error: SignalingError) => error.code);
      await tick(500);
      const second = a.signaling.send('b', 'second').catch((error: SignalingError) => error.code);
      a.hang = false;
      await tick(500);
      expect(await first).toBe('timeout');
      expect(reported.map((e) => (e as Error).message)).toEqual(['onError']);
      await expect(second).resolves.toBeUndefined();
      await tick(10);
      expect(b.signals.map((s) => s.data)).toEqual(['second']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('leave() settles within leaveTimeout when the bye publish never answers', async () => {
    const a = join('a', { leaveTimeout: 3_000 });
    join('b');
    await tick(50);
    a.hang = true;
    let settled = false;
    void a.signaling.leave().then(() => {
      settled = true;
    });
    await tick(2_999);
    expect(settled).toBe(false);
    await tick(1);
    expect(settled).toBe(true);
    expect(a.signaling.status).toBe('left');
    // The bye itself is given up at its own deadline, reported as a stall.
    await tick(7_000);
    expect(a.hung[0]!.signal?.aborted).toBe(true);
    expect(a.errors.map((e) => (e as SignalingError).code)).toEqual(['timeout']);
    expect(a.signaling.getSnapshot().outbox).toBe('stalled');
  });

  it('leave() still settles as soon as the bye is published', async () => {
    const a = join('a');
    const b = join('b');
    await tick(50);
    let settled = false;
    void a.signaling.leave().then(() => {
      settled = true;
    });
    await tick(0);
    expect(settled).toBe(true);
    expect(b.signaling.peers).toEqual([]);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
  });

  it('a bye on pagehide goes out as a beacon through the platform seam and gives up its regular publish at the deadline', async () => {
    const events = new EventTarget();
    const beacons: { url: string; body: URLSearchParams }[] = [];
    const sendBeacon = (url: string, body: URLSearchParams): boolean => {
      beacons.push({ url, body });
      return true;
    };
    const a = join('a', { platform: { events, sendBeacon } });
    join('b');
    await tick(50);
    a.hang = true;
    events.dispatchEvent(new Event('pagehide'));
    expect(beacons).toHaveLength(1);
    expect(beacons[0]!.url).toBe(a.driver.url);
    const body = beacons[0]!.body;
    expect(body.get('topic')).toBe(a.signaling.topics.room);
    const envelope = JSON.parse(body.get('data')!) as { id: string; payload: { from: string; msgs: { t: string }[] } };
    expect(envelope.payload.from).toBe('a');
    expect(envelope.payload.msgs.map((m) => m.t)).toEqual(['bye']);
    expect(body.get('id')).toBe(envelope.id);
    await tick(10_000);
    expect(a.hung.at(-1)!.signal?.aborted).toBe(true);
    expect(a.errors).toEqual([]);
  });

  it('reads no global navigator: the beacon is the platform seam, the real one by default', async () => {
    const global = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: global });
    try {
      const events = new EventTarget();
      const own = vi.fn(() => true);
      const seamed = join('seamed', { platform: { events, sendBeacon: own } });
      const none = join('none', { platform: { events, sendBeacon: undefined } });
      const real = join('real', { platform: { events } });
      await tick(50);
      events.dispatchEvent(new Event('pagehide'));
      expect(own).toHaveBeenCalledTimes(1);
      expect(global).toHaveBeenCalledTimes(1);
      expect(global.mock.contexts[0]).toBe(globalThis.navigator);
      expect([seamed, none, real].map((c) => c.signaling.status)).toEqual(['left', 'left', 'left']);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('options', () => {
  it('refuses a sendTimeout that is not positive', () => {
    const driver = new SseDriver({ url: 'https://hub.example/.well-known/mercure', fetch: hub.fetch, platform: { events: undefined } });
    expect(() => new PeerSignaling(driver, ROOM, { encrypt: false, sendTimeout: 0 })).toThrow(SignalingError);
    expect(() => new PeerSignaling(driver, ROOM, { encrypt: false, leaveTimeout: -1 })).toThrow(SignalingError);
    driver.destroy();
  });
});
