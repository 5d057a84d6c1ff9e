import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../src/core/types.js';
import { MockHub } from '../../src/mock/index.js';
import { PeerConnection } from '../../src/signaling/PeerConnection.js';
import { SignalingError } from '../../src/signaling/errors.js';
import { FakeNetwork, FakeRTCPeerConnection, fakeSignalingPair, seeded } from './fakeRtc.js';
import { client, tick } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function fake(pc: PeerConnection): FakeRTCPeerConnection {
  return pc.connection as unknown as FakeRTCPeerConnection;
}

/** Both ends hold one stable, matching negotiation and their channels carry messages both ways. */
async function expectOneStableConnection(a: PeerConnection, b: PeerConnection): Promise<void> {
  const fa = fake(a);
  const fb = fake(b);
  expect([fa.signalingState, fb.signalingState]).toEqual(['stable', 'stable']);
  expect(fa.current.local?.sdp).toBe(fb.current.remote?.sdp);
  expect(fa.current.remote?.sdp).toBe(fb.current.local?.sdp);
  expect([a.getSnapshot().state, b.getSnapshot().state]).toEqual(['connected', 'connected']);
  expect([a.getSnapshot().channelState, b.getSnapshot().channelState]).toEqual(['open', 'open']);
  a.send('ping');
  b.send('pong');
  await tick(100);
  expect(b.getSnapshot().lastMessage).toBe('ping');
  expect(a.getSnapshot().lastMessage).toBe('pong');
}

describe('perfect negotiation (fake RTCPeerConnection)', () => {
  it('picks politeness by id order', () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(1));
    const net = new FakeNetwork(seeded(1));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    expect([a.polite, b.polite]).toEqual([false, true]);
    a.close();
    b.close();
  });

  it('glare: both sides offer at once and end in one stable connection, 100 times with random timing', async () => {
    let rollbacks = 0;
    let ignoredOffers = 0;
    for (let run = 0; run < 100; run++) {
      const random = seeded(run + 1);
      const net = new FakeNetwork(random, 1 + Math.floor(random() * 30));
      const [la, lb] = fakeSignalingPair('alice', 'bob', random, 1 + Math.floor(random() * 30));
      const startB = Math.floor(random() * 25);
      const errors: Error[] = [];
      // politeOfferDelay 0: the polite end offers at once too, so offers really collide.
      const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection, politeOfferDelay: 0, onError: (e) => errors.push(e) });
      await tick(startB);
      const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, politeOfferDelay: 0, onError: (e) => errors.push(e) });
      await tick(3000);
      try {
        await expectOneStableConnection(a, b);
        expect(errors).toEqual([]);
        expect(net.connections).toHaveLength(2);
      } catch (error) {
        throw new Error(`run ${run} (startB ${startB}): ${String(error)}\nA: ${fake(a).calls.join(', ')}\nB: ${fake(b).calls.join(', ')}`);
      }
      if (fake(b).calls.includes('rolled back')) rollbacks++;
      const aOffers = fake(a).calls.filter((c) => c.startsWith('offer ')).length;
      if (aOffers > 0 && fake(b).calls.some((c) => c.startsWith('offer '))) ignoredOffers++;
      a.close();
      b.close();
    }
    // The random timing really produced collisions, resolved by the polite side rolling back.
    expect(rollbacks).toBeGreaterThan(10);
    expect(ignoredOffers).toBeGreaterThan(10);
  });

  it('lets the impolite end offer first by default, so a fresh pair negotiates without collision', async () => {
    for (let run = 0; run < 20; run++) {
      const random = seeded(1000 + run);
      const net = new FakeNetwork(random);
      const [la, lb] = fakeSignalingPair('alice', 'bob', random);
      const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
      await tick(Math.floor(random() * 100));
      const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
      await tick(3000);
      await expectOneStableConnection(a, b);
      expect(fake(b).calls.filter((c) => c.startsWith('offer '))).toEqual([]);
      expect(fake(b).calls).not.toContain('rolled back');
      a.close();
      b.close();
    }
  });

  it('the polite end still offers when the other end stays silent', async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(2));
    const net = new FakeNetwork(seeded(2));
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(200);
    expect(fake(b).calls.filter((c) => c.startsWith('offer '))).toEqual([]);
    await tick(100);
    expect(fake(b).calls.filter((c) => c.startsWith('offer '))).toHaveLength(1);
    b.close();
  });

  it('buffers candidates until the remote description is set', async () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(7), 5);
    const net = new FakeNetwork(seeded(7), 5);
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false });
    const other = new (net.RTCPeerConnection)() as unknown as FakeRTCPeerConnection;
    other.createDataChannel('x', { negotiated: true, id: 0 });
    const offered = other.setLocalDescription();
    await tick(20);
    await offered;
    // The candidate travels first (e.g. it was kept while the offer was still being applied elsewhere).
    lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', candidate: { candidate: `cand:${other.name}:x:1`, sdpMid: '0' } } });
    lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', description: { type: 'offer', sdp: other.localDescription!.sdp } } });
    await tick(100);
    const calls = fake(b).calls;
    expect(calls.indexOf('addIceCandidate')).toBeGreaterThan(calls.indexOf('setRemoteDescription(offer)'));
    expect(fake(b).addedCandidates).toEqual([`cand:${other.name}:x:1`]);
    b.close();
  });

  it('restarts ICE when it fails and reconnects on the same connection', async () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(3));
    const net = new FakeNetwork(seeded(3));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(2000);
    await expectOneStableConnection(a, b);
    const before = fake(a).current.local?.sdp;
    fake(a).failIce();
    expect(a.getSnapshot().state).toBe('failed');
    expect(fake(a).calls).toContain('restartIce');
    fake(a).connectionState = 'new';
    fake(b).connectionState = 'new';
    await tick(2000);
    expect(fake(a).current.local?.sdp).not.toBe(before);
    expect(net.connections).toHaveLength(2);
    expect(a.getSnapshot().state).toBe('connected');
  });

  it('closes cleanly when the peer leaves', async () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(4));
    const net = new FakeNetwork(seeded(4));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(2000);
    la.peerLeft();
    expect(a.getSnapshot()).toMatchObject({ state: 'closed', channelState: 'closed' });
    expect(fake(a).closed).toBe(true);
    expect(() => a.send('x')).toThrow(/not open/);
    b.close();
  });

  it('negotiates afresh when the peer starts over with a new connection', async () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(5));
    const net = new FakeNetwork(seeded(5));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    let b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(2000);
    await expectOneStableConnection(a, b);
    b.close(); // e.g. the component unmounted
    await tick(500);
    expect(a.getSnapshot().state).not.toBe('connected');
    b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(3000);
    await expectOneStableConnection(a, b);
  });
});

describe('PeerConnection listeners', () => {
  it('a throwing listener is reported and the others still get every message and snapshot', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    try {
      const random = seeded(7);
      const net = new FakeNetwork(random);
      const [la, lb] = fakeSignalingPair('alice', 'bob', random);
      const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
      const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
      const messages: unknown[] = [];
      const states: string[] = [];
      b.onMessage(() => {
        throw new Error('message listener');
      });
      b.on('message', (data) => messages.push(data));
      b.subscribe(() => {
        throw new Error('snapshot listener');
      });
      b.subscribe(() => states.push(b.getSnapshot().state));
      await tick(3000);
      a.send('one');
      a.send('two');
      await tick(100);
      expect(messages).toEqual(['one', 'two']);
      expect(states).toContain('connected');
      expect(reported.filter((e) => (e as Error).message === 'message listener')).toHaveLength(2);
      expect(reported.some((e) => (e as Error).message === 'snapshot listener')).toBe(true);
      a.close();
      b.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('PeerConnection errors', () => {
  it('an onError that throws is reported and negotiation goes on', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    try {
      const random = seeded(11);
      const net = new FakeNetwork(random);
      const [la, lb] = fakeSignalingPair('alice', 'bob', random);
      const failures: Error[] = [];
      const b = new PeerConnection(lb, 'alice', {
        RTCPeerConnection: net.RTCPeerConnection,
        onError: (error) => {
          failures.push(error);
          throw new Error('onError');
        },
      });
      // An answer to nothing: applying it fails, and so does the onError told about it.
      lb.deliver({ from: 'alice', data: { cid: 'stale', description: { type: 'answer', sdp: 'answer:0:to:none' } }, channel: 'rtc', direct: true, encrypted: false });
      await tick(100);
      expect(failures).toHaveLength(1);
      expect(reported.map((e) => (e as Error).message)).toEqual(['onError']);
      const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
      await tick(3000);
      await expectOneStableConnection(a, b);
      a.close();
      b.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('PeerConnection over PeerSignaling and MockHub', () => {
  it('connects two peers through the hub with signals end to end', async () => {
    const hub = new MockHub();
    const alice = client(hub, 'room', { peerId: 'alice' });
    const bob = client(hub, 'room', { peerId: 'bob' });
    alice.signaling.join();
    bob.signaling.join();
    await tick(100);
    const net = new FakeNetwork(seeded(9));
    const a = new PeerConnection(alice.signaling, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(300); // alice offers before bob has a connection: bob's signaling keeps it
    const b = new PeerConnection(bob.signaling, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(3000);
    await expectOneStableConnection(a, b);
    // The app's own signal handler never sees negotiation traffic on the default channel.
    expect(bob.signals.every((s) => s.channel === 'rtc')).toBe(true);
    await bob.signaling.leave();
    await tick(10);
    expect(a.getSnapshot().state).toBe('closed');
    alice.signaling.destroy();
    alice.driver.destroy();
    bob.driver.destroy();
    hub.close();
  });
});

describe('PeerConnection when the peer reloads', () => {
  for (const order of ['this end first', 'the reloaded end first'] as const) {
    it(`a peer that reloads without bye (same id, new session) is connected afresh, ${order}; its stale messages poison nothing`, async () => {
      const hub = new MockHub();
      const alice = client(hub, 'room', { peerId: 'alice' });
      let bob = client(hub, 'room', { peerId: 'bob' });
      alice.signaling.join();
      bob.signaling.join();
      await tick(100);
      const net = new FakeNetwork(seeded(21));
      const errors: Error[] = [];
      const options = { RTCPeerConnection: net.RTCPeerConnection, onError: (e: Error) => errors.push(e) };
      const a = new PeerConnection(alice.signaling, 'bob', options);
      new PeerConnection(bob.signaling, 'alice', options);
      await tick(3000);
      expect(a.getSnapshot().state).toBe('connected');
      bob.driver.destroy();
      await tick(10);
      bob = client(hub, 'room', { peerId: 'bob' });
      bob.signaling.join();
      await tick(100);
      expect(alice.signaling.getPeer('bob')?.session).toBe(bob.signaling.sessionId);
      expect(a.getSnapshot().state).toBe('closed');
      const make = [() => new PeerConnection(alice.signaling, 'bob', options), () => new PeerConnection(bob.signaling, 'alice', options)];
      if (order === 'the reloaded end first') make.reverse();
      const first = make[0]!();
      await tick(400);
      const second = make[1]!();
      await tick(5000);
      expect([first.getSnapshot().channelState, second.getSnapshot().channelState]).toEqual(['open', 'open']);
      expect([...errors, ...alice.errors, ...bob.errors]).toEqual([]);
      alice.driver.destroy();
      bob.driver.destroy();
      hub.close();
    });
  }
});

describe('PeerConnection closing and platform seams', () => {
  it('closes without errors when the peer leaves and when this end leaves the room', async () => {
    const hub = new MockHub();
    const alice = client(hub, 'room', { peerId: 'alice' });
    const bob = client(hub, 'room', { peerId: 'bob' });
    alice.signaling.join();
    bob.signaling.join();
    await tick(100);
    const net = new FakeNetwork(seeded(9));
    const aliceErrors: Error[] = [];
    const bobErrors: Error[] = [];
    const a = new PeerConnection(alice.signaling, 'bob', { RTCPeerConnection: net.RTCPeerConnection, onError: (e) => aliceErrors.push(e) });
    const b = new PeerConnection(bob.signaling, 'alice', { RTCPeerConnection: net.RTCPeerConnection, onError: (e) => bobErrors.push(e) });
    await tick(3000);
    expect([a.getSnapshot().state, b.getSnapshot().state]).toEqual(['connected', 'connected']);
    // bob leaves the room: both ends close (alice because bob left, bob because it left).
    await bob.signaling.leave();
    await tick(10);
    expect([a.getSnapshot().state, b.getSnapshot().state]).toEqual(['closed', 'closed']);
    // A connection closed by hand after its own end left tells nobody either.
    const late = new PeerConnection(alice.signaling, 'bob', { RTCPeerConnection: net.RTCPeerConnection, onError: (e) => aliceErrors.push(e) });
    await alice.signaling.leave();
    late.close();
    a.close();
    await tick(10);
    expect(aliceErrors).toEqual([]);
    expect(bobErrors).toEqual([]);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
    alice.driver.destroy();
    bob.driver.destroy();
    hub.close();
  });

  it('still tells a peer that is in the room when closed by hand', async () => {
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(6));
    const net = new FakeNetwork(seeded(6));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection });
    await tick(2000);
    a.close();
    expect(la.sentLog.at(-1)).toMatchObject({ close: true });
    b.close();
  });

  it('takes timers and connection ids from the platform seams (given, else the signaling link)', async () => {
    const delays: number[] = [];
    let ids = 0;
    const platform = {
      setTimeout: (callback: () => void, ms: number) => {
        delays.push(ms);
        return setTimeout(callback, ms);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      uuid: () => `cid-${++ids}`,
    };
    const [la, lb] = fakeSignalingPair('alice', 'bob', seeded(7));
    const net = new FakeNetwork(seeded(7));
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection });
    // bob's id is greater: bob is polite and waits politeOfferDelay before offering.
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, platform, politeOfferDelay: 300 });
    await tick(2000);
    expect(delays).toContain(300);
    expect(lb.sentLog.length).toBeGreaterThan(0);
    expect(lb.sentLog.every((m) => (m as { cid: string }).cid === 'cid-1')).toBe(true);
    a.close();
    b.close();

    const hub = new MockHub();
    const carol = client(hub, 'room', { peerId: 'carol', platform: { events: undefined, uuid: () => 'from-signaling' } });
    const c = new PeerConnection(carol.signaling, 'dave', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false });
    carol.signaling.join();
    await tick(50);
    const sent: unknown[] = [];
    const send = carol.signaling.send.bind(carol.signaling);
    carol.signaling.send = ((peerId, data, options) => {
      sent.push(data);
      return send(peerId, data, options);
    }) as typeof carol.signaling.send;
    c.connection.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }));
    expect(sent).toEqual([{ cid: 'from-signaling', candidate: null }]);
    c.close();
    carol.signaling.destroy();
    carol.driver.destroy();
    hub.close();
  });
});

describe('PeerConnection against flaky timing and hostile peers', () => {
  /** An offer made by a foreign fake connection (not a PeerConnection), as `alice` would send it. */
  async function foreignOffer(net: FakeNetwork): Promise<FakeRTCPeerConnection> {
    const other = new net.RTCPeerConnection() as unknown as FakeRTCPeerConnection;
    const offered = other.setLocalDescription();
    await tick(20);
    await offered;
    return other;
  }

  it('closed (or started over) while an offer or a remote description is being applied: no error, nothing sent after close', async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(11), 5);
    const net = new FakeNetwork(seeded(11), 5);
    const errors: Error[] = [];
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false, onError: (e) => errors.push(e) });
    const other = await foreignOffer(net);
    lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', description: { type: 'offer', sdp: other.localDescription!.sdp } } });
    lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', candidate: { candidate: `cand:${other.name}:x:1` } } });
    await tick(0);
    expect(fake(b).calls).toContain('setRemoteDescription(offer)');
    b.close();
    const sent = lb.sentLog.length;
    await tick(200);
    expect(errors).toEqual([]);
    expect(lb.sentLog.length).toBe(sent);

    // The impolite end closed while its own offer is being made.
    const [la] = fakeSignalingPair('alice', 'bob', seeded(12), 5);
    const a = new PeerConnection(la, 'bob', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: true, onError: (e) => errors.push(e) });
    await tick(0);
    expect(fake(a).calls.some((c) => c.startsWith('setLocalDescription'))).toBe(true);
    a.close();
    await tick(200);
    expect(errors).toEqual([]);
    expect(la.sentLog.filter((m) => (m as { description?: unknown }).description !== undefined)).toEqual([]);
  });

  it('keeps at most 256 candidates waiting for the remote description: a flood is dropped and reported once', async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(13), 5);
    const net = new FakeNetwork(seeded(13), 5);
    const errors: Error[] = [];
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false, onError: (e) => errors.push(e) });
    const other = await foreignOffer(net);
    for (let i = 0; i < 5000; i++) {
      lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', candidate: { candidate: `cand:${other.name}:x:${i}` } } });
    }
    await tick(0);
    expect(errors.map((e) => (e as SignalingError).code)).toEqual(['parse']);
    lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', description: { type: 'offer', sdp: other.localDescription!.sdp } } });
    await tick(5000);
    expect(fake(b).addedCandidates).toHaveLength(256);
    expect(fake(b).addedCandidates[0]).toBe(`cand:${other.name}:x:0`);
    expect(errors).toHaveLength(1);
    b.close();
  });

  it('a candidate that fails to apply (malformed, or of an offer rolled back) is reported, and the offer it preceded is still answered', async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(14), 5);
    const net = new FakeNetwork(seeded(14), 5);
    const errors: Error[] = [];
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false, onError: (e) => errors.push(e) });
    const other = await foreignOffer(net);
    const rtc = (data: Record<string, unknown>) => lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', ...data } });
    rtc({ candidate: { candidate: 'cand:somebody-else:x:1' } });
    rtc({ candidate: { candidate: `cand:${other.name}:x:2` } });
    rtc({ description: { type: 'offer', sdp: other.localDescription!.sdp } });
    await tick(1000);
    expect(errors).toHaveLength(1);
    expect(fake(b).addedCandidates).toEqual([`cand:${other.name}:x:2`]);
    expect(lb.sentLog.filter((m) => (m as { description?: { type: string } }).description?.type === 'answer')).toHaveLength(1);
    expect(fake(b).signalingState).toBe('stable');
    b.close();
  });

  it('ignores negotiation messages of the wrong shape (a description type or candidate the browser cannot take), telling it once with a SignalingError parse', async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(18), 5);
    const net = new FakeNetwork(seeded(18), 5);
    const errors: Error[] = [];
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false, onError: (e) => errors.push(e) });
    const other = await foreignOffer(net);
    const rtc = (data: Record<string, unknown>) => lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data: { cid: 'remote', ...data } });
    rtc({ description: { type: 'bogus', sdp: other.localDescription!.sdp } });
    rtc({ description: { type: 'rollback', sdp: '' } });
    rtc({ candidate: 42 });
    rtc({ candidate: { candidate: 7 } });
    rtc({ candidate: { candidate: 'x', sdpMLineIndex: 'zero' } });
    await tick(1000);
    expect(fake(b).calls.filter((call) => call.startsWith('setRemoteDescription'))).toEqual([]);
    expect(errors.map((e) => [e instanceof SignalingError, (e as SignalingError).code])).toEqual([[true, 'parse']]);
    // Well-formed ones still go through.
    rtc({ description: { type: 'offer', sdp: other.localDescription!.sdp } });
    await tick(1000);
    expect(fake(b).signalingState).toBe('stable');
    expect(errors).toHaveLength(1);
    b.close();
  });

  it("forgets the remote media of a connection it replaced: a peer that starts over shows no stream of its previous life", async () => {
    const [, lb] = fakeSignalingPair('alice', 'bob', seeded(17), 5);
    const net = new FakeNetwork(seeded(17), 5);
    const b = new PeerConnection(lb, 'alice', { RTCPeerConnection: net.RTCPeerConnection, dataChannel: false });
    const rtc = (data: { [key: string]: JsonValue }) => lb.deliver({ from: 'alice', channel: 'rtc', direct: true, encrypted: false, data });
    const other = await foreignOffer(net);
    rtc({ cid: 'first-life', description: { type: 'offer', sdp: other.localDescription!.sdp } });
    await tick(200);
    const track = { kind: 'video' };
    const stream = { getTracks: () => [track], addTrack: () => undefined };
    fake(b).dispatchEvent(Object.assign(new Event('track'), { track, streams: [stream] }));
    expect(b.getSnapshot().remoteStream).toBe(stream);
    // alice reloaded: a new connection id, not knowing this end's.
    const again = await foreignOffer(net);
    rtc({ cid: 'second-life', description: { type: 'offer', sdp: again.localDescription!.sdp } });
    await tick(200);
    expect(fake(b).calls).toContain('setRemoteDescription(offer)');
    expect(b.getSnapshot().remoteStream).toBeUndefined();
    b.close();
  });
});
