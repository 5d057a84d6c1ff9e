import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

const REPO = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Vite serving a folder of test pages on 127.0.0.1 (a free port), and its base URL. */
export interface PageServer {
  readonly vite: ViteDevServer;
  readonly base: string;
}

/** Serves the test pages in `root` (which import the library's sources) with Vite on 127.0.0.1 and a free port. */
export async function startPageServer(root: string): Promise<PageServer> {
  const vite = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, fs: { allow: [REPO] } },
    optimizeDeps: { include: ['eventsource-parser', 'urlpattern-polyfill/urlpattern'] },
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite did not report its port.');
  return { vite, base: `http://127.0.0.1:${address.port}/` };
}

/** Launches Debian's Chromium headless (nothing downloaded), with `extraFlags` after the standard ones. */
export async function launchChromium(extraFlags: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...extraFlags] });
}
