import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { SseUpdate } from '../../src/core/types.js';
import { MockHub } from '../../src/mock/index.js';
import { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import { signalingTopics } from '../../src/signaling/topics.js';
import type { Signal } from '../../src/signaling/types.js';

const KEY = 'signaling-test-key-with-enough-bytes!';
const topics = signalingTopics('lobby');

/** A token that may subscribe to the room and to `inbox` only, and publish in the room and to every inbox. */
async function tokenFor(inbox: string | undefined): Promise<string> {
  const subscribe = [{ match: topics.room }, ...(inbox ? [{ match: inbox }] : [])];
  return new SignJWT({
    authorization_details: [
      { type: 'mercure', actions: ['subscribe'], topics: subscribe },
      { type: 'mercure', actions: ['publish'], topics: [{ match: topics.room }, { match: topics.inboxPattern, matchType: 'URLPattern' }] },
    ],
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(KEY));
}

function driverWith(hub: MockHub, token: string): SseDriver {
  return new SseDriver({
    url: hub.url,
    fetch: hub.fetch,
    protocol: 'v1',
    headers: { Authorization: `Bearer ${token}` },
    platform: { events: undefined, random: () => 0.5 },
  });
}

// Real timers: token verification runs on WebCrypto, which fake timers do not drive.
describe('private inboxes on a hub that enforces authorization', () => {
  it('delivers private signaling to the granted peers only; an eavesdropper on an inbox gets nothing', async () => {
    const hub = new MockHub({ publisherKey: KEY, subscriberKey: KEY, anonymousSubscribers: true });
    const alice = new PeerSignaling(driverWith(hub, await tokenFor(topics.inbox('alice'))), 'lobby', { peerId: 'alice', private: true, encrypt: false, platform: { events: undefined } });
    const bob = new PeerSignaling(driverWith(hub, await tokenFor(topics.inbox('bob'))), 'lobby', { peerId: 'bob', private: true, encrypt: false, platform: { events: undefined } });
    const got: Signal[] = [];
    bob.on('signal', (s) => got.push(s));

    // Eve may read the room but not Bob's inbox; Mallory has no token at all.
    const eve = driverWith(hub, await tokenFor(undefined));
    const mallory = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined } });
    const eavesdropped: SseUpdate[] = [];
    eve.subscribe(topics.inbox('bob'), (u) => eavesdropped.push(u));
    mallory.subscribe([topics.room, topics.inbox('bob')], (u) => eavesdropped.push(u));

    alice.join();
    await expect.poll(() => alice.status).toBe('joined');
    bob.join();
    await expect.poll(() => alice.peers.map((p) => p.id)).toEqual(['bob']);
    await expect.poll(() => bob.peers.map((p) => p.id)).toEqual(['alice']);

    await alice.send('bob', { offer: 'sdp' });
    await expect.poll(() => got.map((s) => [s.from, s.data])).toEqual([['alice', { offer: 'sdp' }]]);
    expect(hub.history.filter((u) => u.topics.includes(topics.inbox('bob'))).every((u) => u.private)).toBe(true);
    expect(hub.history.length).toBeGreaterThan(2);
    expect(eavesdropped).toEqual([]);

    await alice.leave();
    await bob.leave();
    eve.destroy();
    mallory.destroy();
  });
});
