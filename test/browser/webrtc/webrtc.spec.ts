import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type WebRtcHarness } from './harness.js';

let harness: WebRtcHarness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const logOf = (page: Page): Promise<string[]> => page.evaluate(() => [...window.sseTest.log]);

describe('WebRTC between two Chromium pages over the Node hub', () => {
  it('opens a data channel, carries messages both ways, and hears the other page leave by its goodbye', async () => {
    const alice = await harness.openPeer('alice');
    const bob = await harness.openPeer('bob');
    await alice.evaluate(() => window.sseTest.join('webrtc-room'));
    await bob.evaluate(() => window.sseTest.join('webrtc-room'));

    await alice.waitForFunction(() => window.sseTest.channelState('bob') === 'open', null, { timeout: 20_000 });
    await bob.waitForFunction(() => window.sseTest.channelState('alice') === 'open', null, { timeout: 20_000 });

    await alice.evaluate(() => window.sseTest.send('bob', 'hello bob'));
    await bob.evaluate(() => window.sseTest.send('alice', 'hello alice'));
    await bob.waitForFunction(() => window.sseTest.log.includes('message alice hello bob'), null, { timeout: 5_000 });
    await alice.waitForFunction(() => window.sseTest.log.includes('message bob hello alice'), null, { timeout: 5_000 });
    expect(await logOf(alice)).toContain('join bob');
    expect((await logOf(alice)).filter((l) => l.startsWith('error'))).toEqual([]);
    expect((await logOf(bob)).filter((l) => l.startsWith('error'))).toEqual([]);

    await bob.close();
    // Told by bob's goodbye as the page closed, not found out by a missed heartbeat (reason `timeout`).
    await alice.waitForFunction(() => window.sseTest.log.some((l) => l.startsWith('leave bob')), null, { timeout: 30_000 });
    expect((await logOf(alice)).find((l) => l.startsWith('leave bob'))).toBe('leave bob bye');
    await alice.waitForFunction(() => window.sseTest.channelState('bob') === 'closed', null, { timeout: 30_000 });
    await alice.close();
  });
});
