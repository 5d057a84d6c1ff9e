import { afterEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import type { Signal } from '../../src/signaling/types.js';
import { startChannelServer, type ChannelServer } from '../servers/channelServer.js';
import { channels } from '../../src/core/protocols/channels.js';

/** Peer signaling over a seed-002-shaped channel server (room and inboxes are channels). */
describe('PeerSignaling over the channels adapter', () => {
  let server: ChannelServer | undefined;
  const drivers: SseDriver[] = [];
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    await server?.close();
  });

  it('two peers see each other and exchange signals', async () => {
    server = await startChannelServer();
    const peer = (id: string) => {
      const driver = new SseDriver({ url: (server as ChannelServer).url, server: channels(), platform: { events: undefined } });
      drivers.push(driver);
      return new PeerSignaling(driver, 'lobby', { peerId: id, encrypt: false, platform: { events: undefined } });
    };
    const alice = peer('alice');
    const bob = peer('bob');
    const got: Signal[] = [];
    bob.on('signal', (s) => got.push(s));
    alice.join();
    await expect.poll(() => alice.status).toBe('joined');
    bob.join();
    await expect.poll(() => alice.peers.map((p) => p.id)).toEqual(['bob']);
    await expect.poll(() => bob.peers.map((p) => p.id)).toEqual(['alice']);
    await alice.send('bob', { offer: 'sdp' });
    await expect.poll(() => got.map((s) => [s.from, s.data])).toEqual([['alice', { offer: 'sdp' }]]);
    await bob.leave();
    await expect.poll(() => alice.peers.map((p) => p.id)).toEqual([]);
    await alice.leave();
  });
});
