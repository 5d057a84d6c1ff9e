/**
 * Opens every story and docs page of the static Storybook (`storybook-static/`, from
 * `npm run build-storybook`) in Debian Chromium and fails on any console error, page error, failing
 * play function or accessibility violation. Storybook's a11y addon checks each story in the light theme
 * once its play function is done; the story's frame is then switched to the dark theme in place and axe
 * runs again (same rules as the addon), so both themes are checked without playing the story twice.
 * Prints `N passed, N failed`.
 *
 * Workers run in parallel in one browser. Each keeps one page and renders entry after entry in it, as the
 * Storybook manager does when you click through the sidebar (`setCurrentStory` on the preview channel),
 * so the bundle is loaded, parsed and compiled once per worker, not once per story; after an entry that
 * failed, the next one starts on a fresh page. Nothing waits for a fixed time: an entry is done when
 * Storybook reports that its story (play function and axe included) or docs page finished.
 *
 * `npm run test:storybook -- <filter>` runs the entries whose id contains `<filter>`;
 * `STORYBOOK_CONCURRENCY` sets the number of parallel pages (default 4).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHANNEL_PROBE, CHROMIUM_ARGS, CHROMIUM_PATH, readIndex, serveStatic, type IndexEntry } from './server.js';

const STATIC_DIR = resolve(import.meta.dirname, '../../storybook-static');
/** Bound of one page: only a hang reaches it. */
const STORY_TIMEOUT = 180_000;
const CONCURRENCY = Math.max(1, Number(process.env['STORYBOOK_CONCURRENCY'] ?? 4));

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Outcome {
  readonly entry: IndexEntry;
  readonly problems: string[];
  readonly ms: number;
}

/** In the page: switches the story's frame to the dark theme and runs axe as the a11y addon does. */
async function darkViolations(page: Page): Promise<string[]> {
  // The addon's own axe run (after a re-render) must be over: axe runs one check at a time.
  await page.evaluate(() => (window as unknown as { __sseKitSettled: () => Promise<void> }).__sseKitSettled());
  // Our own axe instance, beside the addon's (axe runs one check at a time per instance).
  if (!(await page.evaluate(() => '__sseKitAxe' in window))) {
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      w['__sseKitAddonAxe'] = w['axe'];
      delete w['axe'];
    });
    await page.addScriptTag({ path: AXE_PATH });
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      w['__sseKitAxe'] = w['axe'];
      if (w['__sseKitAddonAxe'] === undefined) delete w['axe'];
      else w['axe'] = w['__sseKitAddonAxe'];
    });
  }
  return page.evaluate(async () => {
    const frame = document.querySelector('.sb-frame');
    if (!frame) return ['no .sb-frame to switch to the dark theme'];
    frame.setAttribute('data-theme', 'dark');
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const axe = (window as unknown as { __sseKitAxe: typeof import('axe-core') }).__sseKitAxe;
    const result = await axe.run(
      { include: [document.body], exclude: [['.sb-wrapper'], ['#storybook-docs'], ['#storybook-highlights-root']] },
      { rules: { region: { enabled: false } }, resultTypes: ['violations'] },
    );
    return result.violations.map((v) => `axe (dark) ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** One worker's page, and the problems it reports for the entry being played. */
interface Worker {
  page: Page | undefined;
  problems: string[];
  /** The entry played before the current one in this page. */
  last?: string;
  /** Fails the wait for the current entry (the page navigated away). */
  abort?: ((error: Error) => void) | undefined;
}

async function openPage(context: BrowserContext, worker: Worker): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') worker.problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => worker.problems.push(`page error: ${error.message}`));
  // A story must not navigate its page away (a native form submission, a link): report where it went.
  // (Storybook itself only rewrites the URL in place, which loads no new document.)
  let navigations = 0;
  page.on('request', (request) => {
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    if (++navigations > 1) worker.abort?.(new Error(`the page navigated away: ${request.method()} ${request.url()} (previous entry: ${worker.last ?? 'none'})`));
  });
  return page;
}

async function visit(context: BrowserContext, worker: Worker, base: string, entry: IndexEntry): Promise<Outcome> {
  const started = Date.now();
  const problems: string[] = [];
  worker.problems = problems;
  const viewMode = entry.type === 'docs' ? 'docs' : 'story';
  try {
    if (worker.page) {
      await worker.page.evaluate(([id, mode]) => (window as unknown as { __sseKitShow: (id: string, mode: string) => Promise<void> }).__sseKitShow(id, mode), [entry.id, viewMode] as const);
    } else {
      worker.page = await openPage(context, worker);
      await worker.page.goto(new URL(`iframe.html?id=${encodeURIComponent(entry.id)}&viewMode=${viewMode}`, base).toString(), { waitUntil: 'domcontentloaded' });
    }
    const page = worker.page;
    const navigated = new Promise<never>((_resolve, reject) => {
      worker.abort = reject;
    });
    const finished = page.waitForFunction(
      () => {
        const result = (window as unknown as { __sseKitStory?: { status: string; messages: string[] } }).__sseKitStory;
        return result && result.status !== 'pending' ? result : false;
      },
      undefined,
      { timeout: STORY_TIMEOUT, polling: 50 },
    );
    // The losing side of the race rejects when the page closes: that is expected, not unhandled.
    finished.catch(() => undefined);
    const handle = await Promise.race([finished, navigated]);
    const result = (await handle.jsonValue()) as { status: string; messages: string[] };
    problems.push(...result.messages);
    if (entry.type === 'story' && result.status === 'success') problems.push(...(await darkViolations(page)));
    // Effects of the last render (and their errors) run before the next frame is painted.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  } catch (error) {
    problems.push(`did not finish: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  } finally {
    worker.abort = undefined;
  }
  if (problems.length > 0) {
    // What failed may leave the page in any state (Storybook reloads it after a broken render): the next
    // entry starts on a fresh page, so that no failure is blamed on it.
    await worker.page?.close();
    worker.page = undefined;
  }
  worker.last = entry.id;
  return { entry, problems: [...problems], ms: Date.now() - started };
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
  const started = Date.now();
  const server = await serveStatic(STATIC_DIR, { cacheAssets: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const filter = process.argv[2];
  try {
    const entries = (await readIndex(server.url)).filter((e) => !filter || e.id.includes(filter));
    const queue = [...entries];
    const outcomes: Outcome[] = [];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        // Reduced motion turns the kit's fades and colour transitions off (styles.css), so axe never
        // measures contrast on a row that is still fading in or a background still changing theme.
        const context = await browser.newContext({ colorScheme: 'light', reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } });
        await context.addInitScript(CHANNEL_PROBE);
        const worker: Worker = { page: undefined, problems: [] };
        try {
          for (let entry = queue.shift(); entry; entry = queue.shift()) {
            const outcome = await visit(context, worker, server.url, entry);
            outcomes.push(outcome);
            const mark = outcome.problems.length === 0 ? 'ok  ' : 'FAIL';
            console.log(`${mark} ${entry.type === 'docs' ? 'docs ' : 'story'} ${entry.id} (${outcome.ms} ms)`);
            for (const problem of outcome.problems) console.log(`       ${problem}`);
          }
        } finally {
          await context.close();
        }
      }),
    );
    const failed = outcomes.filter((o) => o.problems.length > 0).length;
    console.log(`\n${outcomes.length - failed} passed, ${failed} failed (${CONCURRENCY} pages at a time, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return failed === 0 && outcomes.length > 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

process.exitCode = await main();
