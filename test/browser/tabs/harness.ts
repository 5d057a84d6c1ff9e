import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { createHub, type NodeHub } from '../../../src/hub/index.js';
import { launchChromium, startPageServer } from '../pageServer.js';

const ROOT = resolve(import.meta.dirname);

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
  const { vite, base } = await startPageServer(ROOT);
  const browser = await launchChromium();
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
