/**
 * Writes PNGs of the chat playground, the inspector and the component states to `docs/screenshots/`,
 * from the static Storybook (`npm run build-storybook` first), in Debian Chromium, light theme, US English.
 * Stories run on their story clock, which starts at a fixed moment, so the times shown are the same on
 * every run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { statusPage } from '../src/hub/node/statusPage.js';
import { CHANNEL_PROBE, CHROMIUM_ARGS, CHROMIUM_PATH, serveStatic } from '../test/storybook/server.js';

const ROOT = resolve(import.meta.dirname, '..');
const STATIC_DIR = resolve(ROOT, 'storybook-static');
const OUT_DIR = resolve(ROOT, 'docs/screenshots');

interface Shot {
  /** File name without extension. */
  readonly file: string;
  /** Story id. */
  readonly id: string;
  /** Viewport size. */
  readonly width: number;
  readonly height: number;
  /** Extra time (ms) after the story finished, for live data to flow. */
  readonly settle?: number;
  /** Keep the hub control bar (hidden by default). */
  readonly hubBar?: boolean;
  /** Done in the page after the story finished, to reach the state to show. */
  readonly action?: (page: Page) => Promise<void>;
}

/** Brings back the peer the room story sent away. */
async function rejoin(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Linus joins again' }).click();
  await page.getByRole('region', { name: "Ada's view" }).getByText('Linus', { exact: true }).waitFor({ timeout: 10_000 });
}

/** Types invalid JSON and presses Enter. */
async function invalidJson(page: Page): Promise<void> {
  const field = page.getByRole('textbox', { name: 'Message' });
  await field.fill('{"temperature": 21.5,');
  await field.press('Enter');
  await page.getByRole('alert').waitFor();
}

const SHOTS: readonly Shot[] = [
  { file: 'chat', id: 'playgrounds-chat--two-users', width: 1100, height: 620, hubBar: true },
  { file: 'inspector', id: 'components-hubinspector--drop-and-resume', width: 900, height: 760, settle: 3000 },
  { file: 'inspector-http11', id: 'components-hubinspector--http-11', width: 520, height: 760, settle: 2000 },
  { file: 'inspector-tabs', id: 'components-hubinspector--shared-tabs', width: 900, height: 420, settle: 2000 },
  { file: 'dashboard', id: 'playgrounds-dashboard--live', width: 1200, height: 720, settle: 3000 },
  { file: 'chaos', id: 'playgrounds-chaos--drops-every-few-seconds', width: 1200, height: 1000, settle: 500, hubBar: true },
  { file: 'connection-status-open', id: 'components-connectionstatus--open', width: 420, height: 90 },
  { file: 'connection-status-connecting', id: 'components-connectionstatus--connecting', width: 420, height: 90 },
  { file: 'connection-status-reconnecting', id: 'components-connectionstatus--reconnecting', width: 560, height: 220, settle: 1200 },
  { file: 'connection-status-error', id: 'components-connectionstatus--unauthorized', width: 420, height: 90 },
  { file: 'topic-feed', id: 'components-topicfeed--open', width: 640, height: 540 },
  { file: 'topic-feed-narrow', id: 'components-topicfeed--narrow', width: 420, height: 680 },
  { file: 'topic-feed-log', id: 'components-topicfeed--custom-render', width: 640, height: 400 },
  { file: 'topic-feed-empty', id: 'components-topicfeed--empty', width: 640, height: 400 },
  { file: 'topic-feed-connecting', id: 'components-topicfeed--connecting', width: 640, height: 400 },
  { file: 'topic-feed-paused', id: 'components-topicfeed--paused-auto-scroll', width: 640, height: 440 },
  { file: 'topic-feed-error', id: 'components-topicfeed--unauthorized', width: 640, height: 400 },
  { file: 'publish-form-json', id: 'components-publishform--json', width: 900, height: 420, action: invalidJson },
  { file: 'publish-form-error', id: 'components-publishform--publish-error', width: 900, height: 420 },
  { file: 'publish-form-offline', id: 'components-publishform--offline', width: 900, height: 460 },
  { file: 'publish-form-pending', id: 'components-publishform--pending', width: 900, height: 420 },
  { file: 'publish-form-queued', id: 'components-publishform--offline-queued', width: 900, height: 420 },
  { file: 'peer-list', id: 'components-peerlist--room', width: 420, height: 200 },
  { file: 'peer-list-joining', id: 'components-peerlist--joining', width: 420, height: 200 },
  { file: 'room', id: 'playgrounds-room--three-peers', width: 1200, height: 340, settle: 2000, action: rejoin },
];

async function main(): Promise<number> {
  if (!existsSync(resolve(STATIC_DIR, 'index.json'))) {
    console.error('storybook-static/ is missing: run `npm run build-storybook` first.');
    return 2;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const server = await serveStatic(STATIC_DIR);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const only = process.argv[2];
  let failures = 0;
  try {
    for (const shot of SHOTS) {
      if (only && !shot.file.includes(only)) continue;
      const context = await browser.newContext({ colorScheme: 'light', locale: 'en-US', viewport: { width: shot.width, height: shot.height }, deviceScaleFactor: 2 });
      const page = await context.newPage();
      await page.addInitScript(CHANNEL_PROBE);
      await page.goto(`${server.url}iframe.html?id=${shot.id}&viewMode=story&globals=theme:light`);
      try {
        const handle = await page.waitForFunction(
          () => {
            const result = (window as unknown as { __sseKitStory?: { status: string } }).__sseKitStory;
            return result && result.status !== 'pending' ? result.status : false;
          },
          undefined,
          { timeout: 45_000, polling: 100 },
        );
        if ((await handle.jsonValue()) !== 'success') throw new Error('the story did not finish cleanly');
        if (!shot.hubBar) await page.addStyleTag({ content: '.sb-hubbar { display: none !important; }' });
        // No blinking caret, and every animation at its end state (a paused fade-in would leave rows invisible).
        await page.addStyleTag({ content: '*, *::before { caret-color: transparent !important; animation: none !important; transition: none !important; }' });
        await shot.action?.(page);
        await page.waitForTimeout(shot.settle ?? 300);
        const path = resolve(OUT_DIR, `${shot.file}.png`);
        await page.screenshot({ path });
        console.log(`wrote docs/screenshots/${shot.file}.png`);
      } catch (error) {
        failures++;
        console.error(`${shot.file}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await context.close();
      }
    }
    if (!only || 'hub-status-page'.includes(only)) {
      // The Node hub's page at `GET /`, with the facts of a development hub.
      const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 760, height: 420 }, deviceScaleFactor: 2 });
      const page = await context.newPage();
      const facts = { url: 'http://127.0.0.1:8080/.well-known/mercure', connections: 3, history: 128, legacy: true, strict: false, subscriptions: true, devKey: true };
      await page.setContent(statusPage(facts));
      await page.screenshot({ path: resolve(OUT_DIR, 'hub-status-page.png') });
      console.log('wrote docs/screenshots/hub-status-page.png');
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
