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
 * Storybook reloads its page when it must tear down a story whose render has not settled. When a page
 * reloads its own URL with nothing else wrong, the entry is played once more on a fresh page and the
 * output says so, with what was torn down (the entry before, when the reload came before Storybook's
 * `storyChanged` event) and the page's last render phases; a second reload, or any other navigation,
 * fails the entry. Every step is bounded: an entry that hangs fails after
 * {@link ENTRY_TIMEOUT}, and a page that cannot even be closed takes its worker's browser down with it
 * (each worker has a browser of its own, started again at once), so one stuck renderer never holds up
 * the run. The whole run is bounded by {@link RUN_TIMEOUT}.
 *
 * `npm run test:storybook -- <filter>` runs the entries whose id contains `<filter>`;
 * `STORYBOOK_CONCURRENCY` sets the number of parallel pages (default 4).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';
import { CHANNEL_PROBE, CHROMIUM_ARGS, CHROMIUM_PATH, PROBE_PREFIX, readIndex, serveStatic, type IndexEntry } from './server.js';

const STATIC_DIR = resolve(import.meta.dirname, '../../storybook-static');
/** Bound of one entry, from the switch to its last check: only a hang reaches it. */
const ENTRY_TIMEOUT = 180_000;
/** Bound of closing a page or a browser. */
const CLOSE_TIMEOUT = 20_000;
/** Bound of the whole run. */
const RUN_TIMEOUT = 30 * 60_000;
const CONCURRENCY = Math.max(1, Number(process.env['STORYBOOK_CONCURRENCY'] ?? 4));
/** Render phases kept per page, to say what a page was doing when it reloaded. */
const PHASES_KEPT = 8;

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Outcome {
  readonly entry: IndexEntry;
  readonly problems: string[];
  readonly ms: number;
  /** What the runner had to do besides playing the entry (play it again, start a browser again). */
  readonly notes: string[];
  readonly replayed: boolean;
}

/** Rejects with `what … did not finish within …` if `work` takes longer than `ms`. */
async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  // The losing side of the race may reject later (its page closed): that is expected, not unhandled.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
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

/** A browser of one worker's own, and the context its pages open in. */
interface Session {
  readonly server: BrowserServer;
  readonly browser: Browser;
  readonly context: BrowserContext;
}

async function startSession(): Promise<Session> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    // Reduced motion turns the kit's fades and colour transitions off (styles.css), so axe never
    // measures contrast on a row that is still fading in or a background still changing theme.
    const context = await browser.newContext({ colorScheme: 'light', reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } });
    await context.addInitScript(CHANNEL_PROBE);
    return { server, browser, context };
  } catch (error) {
    await server.kill();
    throw error;
  }
}

/** Closes the browser, or kills it when it does not close in time. */
async function stopSession(session: Session): Promise<void> {
  try {
    await bounded(session.browser.close().then(() => session.server.close()), CLOSE_TIMEOUT, 'closing the browser');
  } catch {
    await session.server.kill();
  }
}

/** One worker: its browser, its page, and what the page reports for the entry being played. */
interface Worker {
  session: Session;
  page: Page | undefined;
  problems: string[];
  /** The entry played before the current one in this page. */
  last?: string | undefined;
  /** Fails the wait for the current entry (the page navigated away). */
  abort?: ((error: Error) => void) | undefined;
  /** The last entry Storybook moved to in this page (its `storyChanged` event). */
  changed?: string | undefined;
  /** The page's last render phases (`<story id> <phase>`). */
  phases: string[];
}

async function openPage(worker: Worker): Promise<Page> {
  const page = await worker.session.context.newPage();
  worker.changed = undefined;
  worker.phases = [];
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'debug' && text.startsWith(PROBE_PREFIX)) {
      const [kind, ...rest] = text.slice(PROBE_PREFIX.length).split(' ');
      if (kind === 'changed') worker.changed = rest[0];
      else worker.phases = [...worker.phases, rest.join(' ')].slice(-PHASES_KEPT);
    } else if (message.type() === 'error') worker.problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (error) => worker.problems.push(`page error: ${error.message}`));
  // A story must not navigate its page away (a native form submission, a link): report where it went.
  // (Storybook itself only rewrites the URL in place, which loads no new document.)
  let navigations = 0;
  page.on('request', (request) => {
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    if (++navigations === 1) return;
    // Storybook's own reload loads the page's document again, with an entry id (a form sent by GET would
    // replace the query).
    const to = new URL(request.url());
    const reload = request.method() === 'GET' && to.pathname === new URL(page.url()).pathname && to.searchParams.has('id');
    worker.abort?.(new Navigated(`the page ${reload ? 'reloaded' : 'navigated away'}: ${request.method()} ${request.url()} (previous entry: ${worker.last ?? 'none'})`, reload));
  });
  return page;
}

/** Set once the run is over (or out of time): workers start nothing more. */
let stopping = false;

/** The page of the entry being played loaded another document. */
class Navigated extends Error {
  constructor(
    message: string,
    /** Whether it loaded its own URL again (as Storybook does to tear down a render that did not settle). */
    readonly reload: boolean,
  ) {
    super(message);
  }
}

/**
 * Leaves the worker without a page. A page that does not close in time takes the browser with it:
 * returns a note saying so.
 */
async function dropPage(worker: Worker): Promise<string | undefined> {
  const page = worker.page;
  worker.page = undefined;
  worker.last = undefined;
  if (!page) return undefined;
  try {
    await bounded(page.close(), CLOSE_TIMEOUT, 'closing the page');
    return undefined;
  } catch (error) {
    await stopSession(worker.session);
    if (!stopping) worker.session = await startSession();
    return `${error instanceof Error ? error.message : String(error)}: its browser was started again`;
  }
}

/** Plays one entry in the worker's page (a fresh page when it has none). */
async function play(worker: Worker, base: string, entry: IndexEntry): Promise<{ problems: string[]; reloaded?: string }> {
  const problems: string[] = [];
  worker.problems = problems;
  const viewMode = entry.type === 'docs' ? 'docs' : 'story';
  const navigated = new Promise<never>((_resolve, reject) => {
    worker.abort = reject;
  });
  navigated.catch(() => undefined);
  let reloaded: string | undefined;
  const steps = async (): Promise<void> => {
    if (worker.page) {
      const page = worker.page;
      await Promise.race([
        page.evaluate(([id, mode]) => (window as unknown as { __sseKitShow: (id: string, mode: string) => Promise<void> }).__sseKitShow(id, mode), [entry.id, viewMode] as const),
        navigated,
      ]);
    } else {
      worker.page = await openPage(worker);
      await worker.page.goto(new URL(`iframe.html?id=${encodeURIComponent(entry.id)}&viewMode=${viewMode}`, base).toString(), { waitUntil: 'domcontentloaded' });
    }
    const page = worker.page;
    const finished = page.waitForFunction(
      () => {
        const result = (window as unknown as { __sseKitStory?: { status: string; messages: string[] } }).__sseKitStory;
        return result && result.status !== 'pending' ? result : false;
      },
      undefined,
      { timeout: 0, polling: 50 },
    );
    const handle = await Promise.race([finished, navigated]);
    const result = (await handle.jsonValue()) as { status: string; messages: string[] };
    problems.push(...result.messages);
    if (entry.type === 'story' && result.status === 'success') problems.push(...(await Promise.race([darkViolations(page), navigated])));
    // Effects of the last render (and their errors) run before the next frame is painted.
    await Promise.race([page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))), navigated]);
  };
  try {
    await bounded(steps(), ENTRY_TIMEOUT, 'the entry');
  } catch (error) {
    if (error instanceof Navigated && error.reload && problems.length === 0) {
      reloaded =
        worker.last !== undefined && worker.changed !== entry.id
          ? `Storybook reloaded the page while tearing down ${worker.last}`
          : 'Storybook reloaded the page while rendering it';
      reloaded += ` (last phases: ${worker.phases.join(', ') || 'none'})`;
    }
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    problems.push(`did not finish: ${reason} (last phases: ${worker.phases.join(', ') || 'none'})`);
  } finally {
    worker.abort = undefined;
  }
  return { problems: [...problems], ...(reloaded ? { reloaded } : {}) };
}

async function visit(worker: Worker, base: string, entry: IndexEntry): Promise<Outcome> {
  const started = Date.now();
  const notes: string[] = [];
  const note = (text: string | undefined): void => {
    if (text) notes.push(text);
  };
  const first = await play(worker, base, entry);
  let problems = first.problems;
  const replayed = first.reloaded !== undefined && !stopping;
  if (replayed) {
    // Storybook reloads its page to tear down a render that has not settled (the entry before, or one of
    // a docs page's stories): play the entry once more on a fresh page, where nothing is torn down first.
    note(`${first.reloaded}; played again on a fresh page`);
    note(await dropPage(worker));
    ({ problems } = await play(worker, base, entry));
  }
  if (problems.length > 0) {
    // What failed may leave the page in any state (Storybook reloads it after a broken render): the next
    // entry starts on a fresh page, so that no failure is blamed on it.
    note(await dropPage(worker));
  } else worker.last = entry.id;
  return { entry, problems, notes, replayed, ms: Date.now() - started };
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
  const filter = process.argv[2];
  const workers: Worker[] = [];
  const playing = new Map<Worker, IndexEntry>();
  try {
    const entries = (await readIndex(server.url)).filter((e) => !filter || e.id.includes(filter));
    const queue = [...entries];
    const outcomes: Outcome[] = [];
    const run = Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        const worker: Worker = { session: await startSession(), page: undefined, problems: [], phases: [] };
        workers.push(worker);
        for (let entry = queue.shift(); entry && !stopping; entry = queue.shift()) {
          playing.set(worker, entry);
          const outcome = await visit(worker, server.url, entry);
          playing.delete(worker);
          outcomes.push(outcome);
          const mark = outcome.problems.length === 0 ? 'ok  ' : 'FAIL';
          console.log(`${mark} ${entry.type === 'docs' ? 'docs ' : 'story'} ${entry.id} (${outcome.ms} ms)`);
          for (const text of outcome.notes) console.log(`       note: ${text}`);
          for (const problem of outcome.problems) console.log(`       ${problem}`);
        }
      }),
    );
    try {
      await bounded(run, RUN_TIMEOUT, 'the run');
    } catch (error) {
      const stuck = [...playing.values()].map((e) => e.id).join(', ') || 'none';
      console.log(`\n${error instanceof Error ? error.message : String(error)}: entries still playing: ${stuck}; not played: ${queue.length}`);
      return 1;
    }
    const failed = outcomes.filter((o) => o.problems.length > 0).length;
    const replayed = outcomes.filter((o) => o.replayed).length;
    console.log(
      `\n${outcomes.length - failed} passed, ${failed} failed${replayed ? `, ${replayed} played again after a reload` : ''} (${CONCURRENCY} pages at a time, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    return failed === 0 && outcomes.length === entries.length && outcomes.length > 0 ? 0 : 1;
  } finally {
    stopping = true;
    await Promise.all(workers.map((w) => stopSession(w.session)));
    await server.close();
  }
}

process.exitCode = await main();
