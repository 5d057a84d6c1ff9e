/**
 * Opens every story and docs page of the static Storybook (`storybook-static/`, from
 * `npm run build-storybook`) in Debian Chromium and fails on any console error, page error, failing
 * play function or accessibility violation. Storybook's a11y addon checks each story in the light theme
 * once its play function is done; the story's frame is then switched to the dark theme in place and axe
 * runs again (same rules as the addon), so both themes are checked without playing the story twice.
 * Prints `N passed, N failed`.
 *
 * Workers run in parallel, each in a browser of its own. Each keeps one page and renders entry after
 * entry in it, as the Storybook manager does when you click through the sidebar (`setCurrentStory` on the
 * preview channel), so the bundle is loaded, parsed and compiled once per worker, not once per story;
 * after an entry that failed, the next one starts on a fresh page. Nothing waits for a fixed time: an
 * entry is done when Storybook reports that its story (play function and axe included) or docs page
 * finished. An error the page reports before Storybook moved to the entry (while it tore the entry before
 * down) fails the entry and names the one left.
 *
 * Storybook reloads its page when it must tear down a story whose render has not settled. When a page
 * reloads its own URL with nothing else wrong, the entry is played once more on a fresh page, after the
 * entry that was being torn down (when the reload came before Storybook's `storyChanged` event), and the
 * output says so with the page's last render phases. A second reload fails the entry, naming the entry
 * that does not settle; any other navigation fails it at once.
 *
 * Every step is bounded and nothing outlives the run: an entry that hangs fails after
 * {@link ENTRY_TIMEOUT} and its worker's browser is started again (the renderer or the browser may be
 * what hangs); a page that cannot be closed takes its worker's browser down with it; a browser that died
 * is started again before the worker's next entry; the whole run is bounded by {@link RUN_TIMEOUT}, after
 * which every browser (even one still starting) is killed and the process exits.
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
/** Bound of starting a browser. */
const START_TIMEOUT = 60_000;
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

/** Something the runner bounds did not finish in time. */
class TimedOut extends Error {}

/** Rejects with {@link TimedOut} (`what … did not finish within …`) if `work` takes longer than `ms`. */
async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  // The losing side of the race may reject later (its page closed): that is expected, not unhandled.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of a thrown value, first line only. */
const reasonOf = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));

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

/** Set once the run is over (or out of time): workers start nothing more. */
let stopping = false;

/** Every browser started and not stopped yet: none may outlive the run. */
const browsers = new Set<BrowserServer>();

async function startSession(): Promise<Session> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: START_TIMEOUT });
  browsers.add(server);
  try {
    if (stopping) throw new Error('the run is over');
    const browser = await bounded(chromium.connect(server.wsEndpoint(), { timeout: START_TIMEOUT }), START_TIMEOUT, 'connecting to the browser');
    const opened = async (): Promise<BrowserContext> => {
      // Reduced motion turns the kit's fades and colour transitions off (styles.css), so axe never
      // measures contrast on a row that is still fading in or a background still changing theme.
      const context = await browser.newContext({ colorScheme: 'light', reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } });
      // Only ENTRY_TIMEOUT bounds an entry: a first load on a busy machine may take longer than
      // Playwright's 30 s default.
      context.setDefaultNavigationTimeout(0);
      context.setDefaultTimeout(0);
      await context.addInitScript(CHANNEL_PROBE);
      return context;
    };
    const context = await bounded(opened(), START_TIMEOUT, 'opening a browser context');
    return { server, browser, context };
  } catch (error) {
    await killBrowser(server);
    throw error;
  }
}

/**
 * Whether the session's browser is gone: its process ended (crashed, killed) or the connection closed.
 * (The connection learns of a crash last: a page's calls fail at once with "Browser closed" while
 * `isConnected()` is still true.)
 */
function gone(session: Session): boolean {
  const child = session.server.process();
  return child.exitCode !== null || child.signalCode !== null || !session.browser.isConnected();
}

async function killBrowser(server: BrowserServer): Promise<void> {
  browsers.delete(server);
  await server.kill();
}

/** Closes the browser, or kills it when it does not close in time. */
async function stopSession(session: Session): Promise<void> {
  try {
    await bounded(session.browser.close().then(() => session.server.close()), CLOSE_TIMEOUT, 'closing the browser');
    browsers.delete(session.server);
  } catch {
    await killBrowser(session.server);
  }
}

/** One worker: its browser, its page, and what the page reports for the entry being played. */
interface Worker {
  session: Session;
  page: Page | undefined;
  problems: string[];
  /** The entry being played. */
  entry?: IndexEntry | undefined;
  /** The entry played (and passed) before the current one in this page. */
  last?: IndexEntry | undefined;
  /** Fails the wait for the current entry (the page navigated away). */
  abort?: ((error: Error) => void) | undefined;
  /** The last entry Storybook moved to in this page (its `storyChanged` event). */
  changed?: string | undefined;
  /** The page's last render phases (`<story id> <phase>`). */
  phases: string[];
}

/** Leaves the worker with a browser of its own started again; returns a note saying why. */
async function restartSession(worker: Worker, why: string): Promise<string> {
  worker.page = undefined;
  worker.last = undefined;
  await stopSession(worker.session);
  if (!stopping) worker.session = await startSession();
  return `${why}: the worker's browser was started again`;
}

async function openPage(worker: Worker): Promise<Page> {
  const page = await worker.session.context.newPage();
  worker.changed = undefined;
  worker.phases = [];
  // What the page reports before Storybook moved to the current entry (its `storyChanged` event) comes
  // from tearing down the entry before: say so rather than blame the entry being played.
  const during = (): string => (worker.last && worker.changed !== worker.entry?.id ? ` (while leaving ${worker.last.id})` : '');
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'debug' && text.startsWith(PROBE_PREFIX)) {
      const [kind, ...rest] = text.slice(PROBE_PREFIX.length).split(' ');
      if (kind === 'changed') worker.changed = rest[0];
      else worker.phases = [...worker.phases, rest.join(' ')].slice(-PHASES_KEPT);
    } else if (message.type() === 'error') worker.problems.push(`console error${during()}: ${text}`);
  });
  page.on('pageerror', (error) => worker.problems.push(`page error${during()}: ${error.message}`));
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
    worker.abort?.(new Navigated(`the page ${reload ? 'reloaded' : 'navigated away'}: ${request.method()} ${request.url()} (previous entry: ${worker.last?.id ?? 'none'})`, reload));
  });
  return page;
}

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
    return restartSession(worker, reasonOf(error));
  }
}

/** How one play of an entry went. */
interface Played {
  readonly problems: string[];
  /** Storybook reloaded the page (and nothing else went wrong): what it was tearing down, when known. */
  readonly reloaded?: { readonly tornDown: IndexEntry | undefined; readonly text: string };
  /** The entry hit {@link ENTRY_TIMEOUT}. */
  readonly timedOut?: true;
}

/** Plays one entry in the worker's page (a fresh page when it has none). */
async function play(worker: Worker, base: string, entry: IndexEntry): Promise<Played> {
  const problems: string[] = [];
  worker.problems = problems;
  worker.entry = entry;
  const viewMode = entry.type === 'docs' ? 'docs' : 'story';
  const navigated = new Promise<never>((_resolve, reject) => {
    worker.abort = reject;
  });
  navigated.catch(() => undefined);
  /** `work`, unless the page navigates first (`work` may then reject later: that is expected). */
  const unlessNavigated = <T,>(work: Promise<T>): Promise<T> => {
    work.catch(() => undefined);
    return Promise.race([work, navigated]);
  };
  /** Set when the entry is over: steps still running in the background (it timed out) open nothing. */
  let over = false;
  const steps = async (): Promise<void> => {
    let page = worker.page;
    if (page) {
      await unlessNavigated(
        page.evaluate(([id, mode]) => (window as unknown as { __sseKitShow: (id: string, mode: string) => Promise<void> }).__sseKitShow(id, mode), [entry.id, viewMode] as const),
      );
    } else {
      page = await openPage(worker);
      if (over) {
        await page.close();
        return;
      }
      worker.page = page;
      await unlessNavigated(page.goto(new URL(`iframe.html?id=${encodeURIComponent(entry.id)}&viewMode=${viewMode}`, base).toString(), { waitUntil: 'domcontentloaded' }));
    }
    const finished = page.waitForFunction(
      () => {
        const result = (window as unknown as { __sseKitStory?: { status: string; messages: string[] } }).__sseKitStory;
        return result && result.status !== 'pending' ? result : false;
      },
      undefined,
      { timeout: 0, polling: 50 },
    );
    const handle = await unlessNavigated(finished);
    const result = (await unlessNavigated(handle.jsonValue())) as { status: string; messages: string[] };
    problems.push(...result.messages);
    if (entry.type === 'story' && result.status === 'success') problems.push(...(await unlessNavigated(darkViolations(page))));
    // Effects of the last render (and their errors) run before the next frame is painted; a docs page's
    // stories start rendering in those effects, and count for the docs page until they have finished.
    await unlessNavigated(page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))));
    await unlessNavigated(page.evaluate(() => (window as unknown as { __sseKitSettled: () => Promise<void> }).__sseKitSettled()));
  };
  const phases = (): string => `last phases: ${worker.phases.join(', ') || 'none'}`;
  let played: Played;
  try {
    await bounded(steps(), ENTRY_TIMEOUT, 'the entry');
    played = { problems: [...problems] };
  } catch (error) {
    problems.push(`did not finish: ${reasonOf(error)} (${phases()})`);
    played = { problems: [...problems] };
    if (error instanceof TimedOut) played = { ...played, timedOut: true };
    else if (error instanceof Navigated && error.reload && problems.length === 1) {
      // Before Storybook's `storyChanged`, it was still tearing down the entry before.
      const tornDown = worker.last !== undefined && worker.changed !== entry.id ? worker.last : undefined;
      const text = `Storybook reloaded the page while ${tornDown ? `tearing down ${tornDown.id}` : 'rendering it'} (${phases()})`;
      played = { ...played, reloaded: { tornDown, text } };
    }
  } finally {
    over = true;
    worker.abort = undefined;
  }
  if (played.problems.length === 0) worker.last = entry;
  return played;
}

async function visit(worker: Worker, base: string, entry: IndexEntry): Promise<Outcome> {
  const started = Date.now();
  const notes: string[] = [];
  const note = (text: string | undefined): void => {
    if (text) notes.push(text);
  };
  const first = await play(worker, base, entry);
  let problems = first.problems;
  let timedOut = first.timedOut === true;
  const replayed = first.reloaded !== undefined && !stopping;
  if (first.reloaded && replayed) {
    // Storybook reloads its page to tear down a render that has not settled: on a busy machine, a render
    // that was about to settle. Play it again on a fresh page, with the entry it tore down before it (if
    // any): a second reload is no accident, but an entry that does not settle.
    const { tornDown, text } = first.reloaded;
    note(`${text}; played again on a fresh page${tornDown ? `, after ${tornDown.id}` : ''}`);
    note(await dropPage(worker));
    const before = tornDown ? await play(worker, base, tornDown) : undefined;
    if (before && before.problems.length > 0) {
      problems = before.problems.map((p) => `${tornDown?.id} (played again before this entry): ${p}`);
      timedOut = before.timedOut === true;
    } else {
      const again = await play(worker, base, entry);
      problems = again.problems;
      timedOut = again.timedOut === true;
      if (again.reloaded) problems.push(`Storybook reloaded the page twice, ${again.reloaded.tornDown ? `each time tearing down ${again.reloaded.tornDown.id}: it leaves a render that does not settle` : 'each time rendering this entry'}`);
    }
  }
  if (timedOut && !stopping) {
    // A page that hangs may be a renderer or a browser that hangs (or one still opening the page).
    note(await restartSession(worker, 'the entry did not finish in time'));
  } else if (problems.length > 0) {
    // What failed may leave the page in any state (Storybook reloads it after a broken render): the next
    // entry starts on a fresh page, so that no failure is blamed on it.
    note(await dropPage(worker));
  }
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
        while (!stopping) {
          const entry = queue.shift();
          if (!entry) break;
          playing.set(worker, entry);
          const notes: string[] = [];
          // A browser that died (crashed, killed) would fail every entry left to this worker at once.
          if (gone(worker.session)) notes.push(await restartSession(worker, 'the browser had gone'));
          const outcome = await visit(worker, server.url, entry);
          playing.delete(worker);
          // Out of time: the run's result is printed already.
          if (stopping) break;
          outcomes.push(outcome);
          const mark = outcome.problems.length === 0 ? 'ok  ' : 'FAIL';
          console.log(`${mark} ${entry.type === 'docs' ? 'docs ' : 'story'} ${entry.id} (${outcome.ms} ms)`);
          for (const text of [...notes, ...outcome.notes]) console.log(`       note: ${text}`);
          for (const problem of outcome.problems) console.log(`       ${problem}`);
        }
      }),
    );
    try {
      await bounded(run, RUN_TIMEOUT, 'the run');
    } catch (error) {
      stopping = true;
      const stuck = [...playing.values()].map((e) => e.id);
      console.log(`\n${reasonOf(error)}: entries still playing: ${stuck.join(', ') || 'none'}; not played: ${queue.length}`);
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
    // A browser still starting when the run ended (out of time) has no worker yet.
    await Promise.all([...browsers].map((b) => killBrowser(b)));
    await server.close();
  }
}

// Exits even if something the run started is still pending (a worker still waiting on a browser that
// was killed under it): the result is known and every browser is down.
process.exit(await main());
