import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { createHub, type NodeHub } from '../../../src/hub/index.js';

const ROOT = resolve(import.meta.dirname);
const REPO = resolve(ROOT, '../../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Vite serving the tab page, and one Chromium profile whose pages are the tabs of a hub's app. */
export interface TabsBrowser {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** Opens the test page in a new tab of the one browser context (`share: false` turns sharing off). */
  openTab(options?: { readonly share?: boolean }): Promise<Page>;
  /** Renderer crash of a tab (CDP `Page.crash`). */
  crash(page: Page): Promise<void>;
  close(): Promise<void>;
}

/** {@link TabsBrowser} with the Node hub it runs against. */
export interface TabsHarness extends TabsBrowser {
  readonly hub: NodeHub;
}

/** Starts the Node hub (history large enough for the streams of the tests), then {@link openTabsBrowser}. */
export async function startTabsHarness(): Promise<TabsHarness> {
  const hub = await createHub(TABS_HUB_OPTIONS);
  const tabs = await openTabsBrowser(hub.url);
  return {
    ...tabs,
    hub,
    async close() {
      await tabs.close();
      await hub.close();
    },
  };
}

/** Options of the hub the tab pages use: open CORS, anonymous publishers, history for 1,000-update streams. */
export const TABS_HUB_OPTIONS = { port: 0, log: false, cors: { origins: '*' }, anonymousPublishers: true, history: 5000 } as const;

/** Starts Vite on 127.0.0.1 port 0 (root `test/browser/tabs`) and Chromium with one browser context. */
export async function openTabsBrowser(hubUrl: string): Promise<TabsBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  const vite: ViteDevServer = await createServer({
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
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext();
  return {
    browser,
    context,
    async openTab(options = {}) {
      const page = await context.newPage();
      const share = options.share === false ? '&share=0' : '';
      await page.goto(`${base}?hub=${encodeURIComponent(hubUrl)}${share}`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
      return page;
    },
    async crash(page) {
      const cdp = await context.newCDPSession(page);
      // The renderer dies before it can answer.
      cdp.send('Page.crash').catch(() => undefined);
      await new Promise<void>((done) => page.once('crash', () => done()));
    },
    async close() {
      await browser.close();
      await vite.close();
    },
  };
}
