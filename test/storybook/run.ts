/**
 * Opens every story and docs page of the static Storybook (`storybook-static/`, from
 * `npm run build-storybook`) in Debian Chromium and fails on any console error, page error, failing
 * play function or accessibility violation. Prints `N passed, N failed`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHANNEL_PROBE, CHROMIUM_ARGS, CHROMIUM_PATH, readIndex, serveStatic, type IndexEntry } from './server.js';

const STATIC_DIR = resolve(import.meta.dirname, '../../storybook-static');
const STORY_TIMEOUT = 45_000;
const CONCURRENCY = Number(process.env['STORYBOOK_CONCURRENCY'] ?? 4);

interface Outcome {
  readonly entry: IndexEntry;
  readonly problems: string[];
  readonly ms: number;
}

async function visit(browser: Browser, base: string, entry: IndexEntry): Promise<Outcome> {
  const started = Date.now();
  const problems: string[] = [];
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(CHANNEL_PROBE);
  const url = new URL(`iframe.html?id=${encodeURIComponent(entry.id)}&viewMode=${entry.type === 'docs' ? 'docs' : 'story'}`, base);
  try {
    await page.goto(url.toString(), { waitUntil: 'load' });
    const handle = await page.waitForFunction(
      () => {
        const result = (window as unknown as { __sseKitStory?: { status: string; messages: string[] } }).__sseKitStory;
        return result && result.status !== 'pending' ? result : false;
      },
      undefined,
      { timeout: STORY_TIMEOUT, polling: 100 },
    );
    const result = (await handle.jsonValue()) as { status: string; messages: string[] };
    problems.push(...result.messages);
    // Let late effects (intervals, reconnects) run for a moment so their errors are seen too.
    await page.waitForTimeout(entry.type === 'docs' ? 1500 : 500);
  } catch (error) {
    problems.push(`did not finish: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  } finally {
    await context.close();
  }
  return { entry, problems, ms: Date.now() - started };
}

async function main(): Promise<number> {
  if (!existsSync(resolve(STATIC_DIR, 'index.json'))) {
    console.error('storybook-static/ is missing: run `npm run build-storybook` first.');
    return 2;
  }
  if (!existsSync(CHROMIUM_PATH)) {
    console.error(`Chromium is missing at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\`.`);
    return 2;
  }
  const server = await serveStatic(STATIC_DIR);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const filter = process.argv[2];
  try {
    const entries = (await readIndex(server.url)).filter((e) => !filter || e.id.includes(filter));
    const queue = [...entries];
    const outcomes: Outcome[] = [];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let entry = queue.shift(); entry; entry = queue.shift()) {
          const outcome = await visit(browser, server.url, entry);
          outcomes.push(outcome);
          const mark = outcome.problems.length === 0 ? 'ok  ' : 'FAIL';
          console.log(`${mark} ${entry.type === 'docs' ? 'docs ' : 'story'} ${entry.id} (${outcome.ms} ms)`);
          for (const problem of outcome.problems) console.log(`       ${problem}`);
        }
      }),
    );
    const failed = outcomes.filter((o) => o.problems.length > 0).length;
    console.log(`\n${outcomes.length - failed} passed, ${failed} failed`);
    return failed === 0 && outcomes.length > 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

process.exitCode = await main();
