/**
 * Signaling benchmark:
 * - time from `join()` to a usable data channel between two Chromium pages over the Node hub
 *   (median of 20 rooms; the other page is already in the room);
 * - hub publishes caused by one peer joining a room of 10 (9 members), counted on MockHub, with and
 *   without end-to-end encryption, and publishes per peer per minute once the room is quiet.
 */
import { SseDriver } from '../src/core/SseDriver.js';
import { MockHub } from '../src/mock/index.js';
import { PeerSignaling } from '../src/signaling/PeerSignaling.js';
import { startHarness } from '../test/browser/webrtc/harness.js';
import { formatTable, median } from './util.js';

const ROOMS = 20;
/** Heartbeat of the room-of-10 measure (shortened so the quiet-room figure takes seconds; it scales as 60 000 / heartbeat). */
const HEARTBEAT = 2_000;

async function timeToDataChannel(): Promise<{ inPage: number[]; bothOpen: number[] }> {
  const harness = await startHarness();
  const inPage: number[] = [];
  const bothOpen: number[] = [];
  try {
    const alice = await harness.openPeer('alice');
    const bob = await harness.openPeer('bob');
    for (let i = 0; i < ROOMS; i++) {
      const room = `bench-${i}`;
      await alice.evaluate((r) => window.sseTest.join(r), room);
      await alice.waitForFunction(() => window.sseTest.status() === 'joined');
      const started = performance.now();
      await bob.evaluate((r) => window.sseTest.join(r), room);
      await bob.waitForFunction(() => window.sseTest.channelState('alice') === 'open', null, { timeout: 20_000 });
      await alice.waitForFunction(() => window.sseTest.channelState('bob') === 'open', null, { timeout: 20_000 });
      bothOpen.push(performance.now() - started);
      inPage.push((await bob.evaluate(() => window.sseTest.openedAfter('alice'))) ?? Number.NaN);
      await bob.evaluate(() => window.sseTest.leave());
      await alice.evaluate(() => window.sseTest.leave());
    }
  } finally {
    await harness.close();
  }
  return { inPage, bothOpen };
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function publishesPerJoin(encrypt: boolean): Promise<{ join: number; perMinute: number }> {
  const hub = new MockHub({ heartbeat: 0 });
  let publishes = 0;
  hub.on('publish', () => publishes++);
  const members: { driver: SseDriver; signaling: PeerSignaling }[] = [];
  const add = () => {
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined } });
    const signaling = new PeerSignaling(driver, 'room-of-10', { encrypt, heartbeat: HEARTBEAT, platform: { events: undefined } });
    members.push({ driver, signaling });
    signaling.join();
    return signaling;
  };
  for (let i = 0; i < 9; i++) add();
  await settle(300);
  const before = publishes;
  const tenth = add();
  while (tenth.peers.length < 9 || members.some((m) => m.signaling.peers.length < 9)) await settle(10);
  await settle(200);
  const join = publishes - before;
  // Quiet room: heartbeats only.
  const quietStart = publishes;
  const quietMs = 10 * HEARTBEAT;
  await settle(quietMs);
  const quiet = publishes - quietStart;
  for (const m of members) {
    m.signaling.destroy();
    m.driver.destroy();
  }
  hub.close();
  return { join, perMinute: (quiet / 10 / quietMs) * 60_000 };
}

/** Runs the signaling benchmark and prints its figures. */
export async function runSignalingBench(): Promise<void> {
  const plain = await publishesPerJoin(false);
  const encrypted = await publishesPerJoin(true);
  console.log('\nHub publishes when the 10th peer joins a room of 10 (MockHub)');
  console.log(
    formatTable(
      ['mode', 'publishes per join', 'of which answers', `quiet room: publishes/peer/min (heartbeat ${HEARTBEAT / 1000} s)`],
      [
        ['plaintext', String(plain.join), String(plain.join - 1), plain.perMinute.toFixed(1)],
        ['E2E encrypted', String(encrypted.join), String(encrypted.join - 1), encrypted.perMinute.toFixed(1)],
      ],
    ),
  );
  const { inPage, bothOpen } = await timeToDataChannel();
  console.log(`\njoin() → usable data channel, two Chromium pages over the Node hub (median of ${ROOMS})`);
  console.log(
    formatTable(
      ['measure', 'median ms', 'min ms', 'max ms'],
      [
        ['in page (join → channel open)', median(inPage).toFixed(1), Math.min(...inPage).toFixed(1), Math.max(...inPage).toFixed(1)],
        ['both ends open (from Node)', median(bothOpen).toFixed(1), Math.min(...bothOpen).toFixed(1), Math.max(...bothOpen).toFixed(1)],
      ],
    ),
  );
}
