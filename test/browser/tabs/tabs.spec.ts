import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SseDriver } from '../../../src/core/SseDriver.js';
import { startTabsHarness, type TabsHarness } from './harness.js';

let harness: TabsHarness;
const open: Page[] = [];

beforeAll(async () => {
  harness = await startTabsHarness();
});
afterAll(async () => {
  await harness?.close();
});
afterEach(async () => {
  for (const page of open.splice(0)) if (!page.isClosed()) await page.close();
  await waitFor(() => harness.hub.engine.connections.length === 0, 'every stream closed after the test');
});

/** Polls a condition of the Node side (events, not a time bound: the deadline only ends a hung test). */
async function waitFor(check: () => boolean, what: string, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openTabs(count: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) pages.push(await harness.openTab());
  open.push(...pages);
  return pages;
}

const roleOf = (page: Page) => page.evaluate(() => window.tabsTest.role());

async function leaderOf(pages: readonly Page[]): Promise<Page> {
  const roles = await Promise.all(pages.map(roleOf));
  expect(roles.filter((r) => r === 'leader')).toHaveLength(1);
  return pages[roles.indexOf('leader')]!;
}

/**
 * Publishes `count` updates to `/feed` from Node, one after the other; `during` runs once
 * `at` of them went out.
 */
async function publishFeed(count: number, at: number, during: () => Promise<number>): Promise<number> {
  const publisher = new SseDriver({ url: harness.hub.url, tabs: false });
  let startedAt = 0;
  for (let i = 0; i < count; i++) {
    if (i === at) startedAt = await during();
    await publisher.publish('/feed', i);
  }
  publisher.destroy();
  return startedAt;
}

async function handoff(kill: (leader: Page) => Promise<void>): Promise<void> {
  const pages = await openTabs(5);
  await Promise.all(pages.map((p) => p.evaluate(() => window.tabsTest.subscribe())));
  const leader = await leaderOf(pages);
  const rest = pages.filter((p) => p !== leader);

  const killedAt = await publishFeed(1000, 300, async () => {
    const at = Date.now();
    await kill(leader);
    return at;
  });
  const expected = Array.from({ length: 1000 }, (_, i) => i);
  for (const page of rest) {
    await page.waitForFunction(() => window.tabsTest.feed.length >= 1000, null, { timeout: 30_000 });
    expect(await page.evaluate(() => window.tabsTest.feed)).toEqual(expected);
  }
  // A new leader was elected (its role event), and exactly one stream serves the remaining tabs.
  const next = await leaderOf(rest);
  const elected = await next.evaluate(() => window.tabsTest.roles.findLast((r) => r.role === 'leader')?.at ?? 0);
  expect(elected).toBeGreaterThanOrEqual(killedAt);
  await waitFor(() => harness.hub.engine.connections.length === 1, 'one stream after the handoff');
  console.log(`failover: new leader elected ${elected - killedAt} ms after the leader went away`);
}

describe('tabs of one Chromium profile share one stream', () => {
  it('10 tabs hold exactly 1 SSE connection at the hub', async () => {
    const pages = await openTabs(10);
    await Promise.all(pages.map((p) => p.evaluate(() => window.tabsTest.subscribe())));
    expect(harness.hub.engine.connections).toHaveLength(1);
    await leaderOf(pages);
    for (const page of pages) {
      // A tab learns of the others from their announcements, which may still be on their way (a busy machine).
      await page.waitForFunction(() => window.tabsTest.tabs() === 10, null, { timeout: 30_000 }).catch(() => undefined);
      expect(await page.evaluate(() => window.tabsTest.tabs())).toBe(10);
      expect(await page.evaluate(() => window.tabsTest.status())).toBe('open');
    }
  });

  it('10 tabs in one room mesh fully (every peer sees the 9 others)', async () => {
    const pages = await openTabs(10);
    await Promise.all(pages.map((p, i) => p.evaluate(([room, peer]) => window.tabsTest.join(room, peer), ['mesh', `peer-${i}`] as const)));
    for (const [i, page] of pages.entries()) {
      const others = pages.map((_, j) => `peer-${j}`).filter((_, j) => j !== i).sort();
      await page.waitForFunction((want) => window.tabsTest.peers().join() === want.join(), others, { timeout: 60_000 });
    }
    expect(harness.hub.engine.connections).toHaveLength(1);
    for (const page of pages) expect(await page.evaluate(() => window.tabsTest.errors)).toEqual([]);
  });

  it('closing the leader during 1,000 updates: every other tab gets all 1,000 exactly once, in order; a new leader is elected', async () => {
    await handoff((leader) => leader.close());
  });

  it('a renderer crash of the leader during 1,000 updates: the same', async () => {
    await handoff((leader) => harness.crash(leader));
  });

  it('20 quick open/close cycles of tabs, each closing the tab that leads, leave no stray stream', async () => {
    let current = await harness.openTab();
    await current.evaluate(() => window.tabsTest.subscribe());
    for (let i = 0; i < 20; i++) {
      const next = await harness.openTab();
      // Half of the tabs close before their subscription is even live.
      if (i % 2 === 0) await next.evaluate(() => window.tabsTest.subscribe());
      else void next.evaluate(() => window.tabsTest.subscribe()).catch(() => undefined);
      await current.close();
      current = next;
    }
    open.push(current);
    await current.evaluate(() => window.tabsTest.subscribe());
    await waitFor(() => harness.hub.engine.connections.length === 1, 'only the last tab stream left');
    expect(await current.evaluate(() => window.tabsTest.role())).toBe('leader');
    expect(await current.evaluate(() => window.tabsTest.tabs())).toBe(1);
    expect(await current.evaluate(() => window.tabsTest.status())).toBe('open');
  });
});
