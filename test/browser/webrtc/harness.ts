import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { createHub, type NodeHub } from '../../../src/hub/index.js';
import { launchChromium, startPageServer } from '../pageServer.js';

const ROOT = resolve(import.meta.dirname);

/** Everything the WebRTC tests and the benchmark run against: the Node hub, Vite serving the test page, Chromium. */
export interface WebRtcHarness {
  readonly hub: NodeHub;
  readonly vite: ViteDevServer;
  readonly browser: Browser;
  /** Opens the test page as `peer` in a new browser context (its own storage, like another machine). */
  openPeer(peer: string): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the Node hub (CORS open), Vite on 127.0.0.1 port 0 (root `test/browser/webrtc`) and Chromium. */
export async function startHarness(): Promise<WebRtcHarness> {
  const browser = await launchChromium(['--allow-loopback-in-peer-connection']);
  const hub = await createHub({ port: 0, log: false, cors: { origins: '*' }, anonymousPublishers: true });
  const { vite, base } = await startPageServer(ROOT);
  return {
    hub,
    vite,
    browser,
    async openPeer(peer) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${base}?hub=${encodeURIComponent(hub.url)}&peer=${encodeURIComponent(peer)}`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
      return page;
    },
    async close() {
      await browser.close();
      await vite.close();
      await hub.close();
    },
  };
}
