import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChannelServer, type ChannelServer } from '../servers/channelServer.js';
import { startPlainSseServer, type PlainSseServer } from '../servers/plainSseServer.js';
import { launchChromium, startPageServer } from './pageServer.js';

const ROOT = resolve(import.meta.dirname, 'adapters');

/**
 * The adapters in real Chromium, from a page on another origin than the servers: a plain SSE
 * endpoint with simple CORS only (no preflight answered) over both transports, named events through
 * the native EventSource, and the channel server (JSON publish, preflighted) over fetch.
 */
describe('adapters in Chromium, cross-origin', () => {
  let vite: ViteDevServer;
  let browser: Browser;
  let base: string;
  let plain: PlainSseServer;
  let channels: ChannelServer;

  beforeAll(async () => {
    browser = await launchChromium();
    plain = await startPlainSseServer();
    channels = await startChannelServer();
    ({ vite, base } = await startPageServer(ROOT));
  });

  afterAll(async () => {
    await browser?.close();
    await vite?.close();
    await plain?.close();
    await channels?.close();
  });

  async function open(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(base);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    return page;
  }

  for (const transport of ['fetch', 'eventsource'] as const) {
    it(`sse over ${transport}: a simple CORS request (no preflight), named events delivered`, async () => {
      const before = plain.requests.length;
      const page = await open();
      await page.evaluate((options) => window.adapterPage.start(options), { url: plain.url, server: 'sse' as const, transport, topics: ['message', 'currentTime'], raw: true });
      await expect.poll(() => page.evaluate(() => window.adapterPage.status())).toBe('open');
      await expect.poll(() => plain.clients).toBeGreaterThan(0);
      plain.send({ event: 'currentTime', data: 'Sat, 28 Nov 2026 09:00:00 GMT' });
      plain.send({ event: 'other', data: 'not asked for' });
      await expect
        .poll(() => page.evaluate(() => window.adapterPage.received.map((u) => `${u.topic}|${u.type}|${String(u.data)}`)))
        .toEqual(['message|message|hello from steam', 'currentTime|currentTime|Sat, 28 Nov 2026 09:00:00 GMT']);
      expect(plain.requests.slice(before).map((r) => r.line)).not.toContain('OPTIONS /sse');
      expect(await page.evaluate(() => window.adapterPage.errors)).toEqual([]);
      await page.context().close();
    });
  }

  it('channels over fetch: subscribe, receive typed events, publish the JSON batch', async () => {
    const page = await open();
    await page.evaluate((options) => window.adapterPage.start(options), { url: channels.url, server: 'channels' as const, transport: 'fetch' as const, topics: ['c1'], raw: false });
    await expect.poll(() => page.evaluate(() => window.adapterPage.status())).toBe('open');
    await page.evaluate(() => window.adapterPage.publish('c1', { text: 'from Chromium' }));
    await expect.poll(() => page.evaluate(() => window.adapterPage.received.map((u) => JSON.stringify(u.data)))).toEqual(['{"text":"from Chromium"}']);
    expect(channels.publishes.at(-1)?.events[0]).toMatchObject({ channelName: 'c1', type: 'message' });
    expect(await page.evaluate(() => window.adapterPage.errors)).toEqual([]);
    await page.context().close();
  });
});
