import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { createHub, type NodeHub } from '../../../src/hub/index.js';

const ROOT = resolve(import.meta.dirname);
const REPO = resolve(ROOT, '../../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

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
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  const hub = await createHub({ port: 0, log: false, cors: { origins: '*' }, anonymousPublishers: true });
  const vite = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'silent',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, fs: { allow: [REPO] } },
    optimizeDeps: { include: ['eventsource-parser', 'urlpattern-polyfill/urlpattern'] },
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite did not report its port.');
  const base = `http://127.0.0.1:${address.port}/`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-loopback-in-peer-connection',
    ],
  });
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
