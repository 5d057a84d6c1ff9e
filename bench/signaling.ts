/**
 * Signaling benchmark:
 * - time from `join()` to a usable data channel between two Chromium pages over the Node hub
 *   (median of 20 rooms; the other page is already in the room);
 * - hub publishes caused by one peer joining a room of 10 (9 members), counted on MockHub, with and
 *   without end-to-end encryption, and publishes per peer per minute once the room is quiet;
 * - a publish that never answers (MockHub behind a fetch that hangs one POST): how long the signals
 *   queued behind it wait compared with `sendTimeout`, next to the same signals with no hang, and how
 *   long `leave()` takes when its `bye` never answers compared with `leaveTimeout`.
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

const STALL_SEND_TIMEOUT = 400;
const STALL_LEAVE_TIMEOUT = 200;
const STALL_SIGNALS = 20;

/** Two peers on one MockHub; `hangPosts` POSTs of the sender (after it joined) are never answered. */
async function stalledOutbox(hangPosts: number): Promise<{ deliveredMs: number; delivered: number; leaveMs: number }> {
  const hub = new MockHub({ heartbeat: 0 });
  let hanging = 0;
  const hangingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.method === 'POST' && hanging > 0) {
      hanging--;
      return new Promise<Response>(() => undefined);
    }
    return hub.fetch(input, init);
  };
  const options = { encrypt: false, sendTimeout: STALL_SEND_TIMEOUT, leaveTimeout: STALL_LEAVE_TIMEOUT, platform: { events: undefined } } as const;
  const senderDriver = new SseDriver({ url: hub.url, fetch: hangingFetch, protocol: 'v1', platform: { events: undefined } });
  const receiverDriver = new SseDriver({ url: hub.url, fetch: hub.fetch, protocol: 'v1', platform: { events: undefined } });
  const sender = new PeerSignaling(senderDriver, 'stall', { ...options, peerId: 'sender', onError: () => undefined });
  const receiver = new PeerSignaling(receiverDriver, 'stall', { ...options, peerId: 'receiver' });
  let delivered = 0;
  receiver.on('signal', () => delivered++);
  sender.join();
  receiver.join();
  while (sender.peers.length < 1 || receiver.peers.length < 1) await settle(5);
  hanging = hangPosts;
  const started = performance.now();
  void sender.broadcast('stuck').catch(() => undefined);
  await settle(STALL_SEND_TIMEOUT / 2);
  for (let i = 0; i < STALL_SIGNALS; i++) void sender.send('receiver', i).catch(() => undefined);
  while (delivered < STALL_SIGNALS + (hangPosts > 0 ? 0 : 1) && performance.now() - started < 10 * STALL_SEND_TIMEOUT) await settle(2);
  const deliveredMs = performance.now() - started;
  hanging = 1;
  const leaving = performance.now();
  await sender.leave();
  const leaveMs = performance.now() - leaving;
  receiver.destroy();
  sender.destroy();
  senderDriver.destroy();
  receiverDriver.destroy();
  hub.close();
  return { deliveredMs, delivered: hangPosts > 0 ? delivered : delivered - 1, leaveMs };
}

/** Prints the stalled-outbox figures. */
export async function runStallBench(): Promise<void> {
  const calm = await stalledOutbox(0);
  const hung = await stalledOutbox(1);
  console.log(`
A publish that never answers (MockHub; sendTimeout ${STALL_SEND_TIMEOUT} ms, ${STALL_SIGNALS} signals queued ${STALL_SEND_TIMEOUT / 2} ms after it)`);
  console.log(
    formatTable(
      ['case', 'signals delivered', 'first send → last signal, ms', '× sendTimeout'],
      [
        ['no hang', `${calm.delivered}/${STALL_SIGNALS}`, calm.deliveredMs.toFixed(0), (calm.deliveredMs / STALL_SEND_TIMEOUT).toFixed(2)],
        ['first publish hangs', `${hung.delivered}/${STALL_SIGNALS}`, hung.deliveredMs.toFixed(0), (hung.deliveredMs / STALL_SEND_TIMEOUT).toFixed(2)],
      ],
    ),
  );
  console.log(
    `leave() with a bye that never answers: ${hung.leaveMs.toFixed(0)} ms (leaveTimeout ${STALL_LEAVE_TIMEOUT} ms, × ${(hung.leaveMs / STALL_LEAVE_TIMEOUT).toFixed(2)})`,
  );
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
  await runStallBench();
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
