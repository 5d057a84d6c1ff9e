import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static file server on loopback. */
export interface StaticServer {
  /** Base URL, ending with `/`. */
  readonly url: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Options of {@link serveStatic}. */
export interface ServeStaticOptions {
  /**
   * Let the browser cache everything but HTML and JSON for the server's lifetime (default `false`:
   * `no-store`). Storybook's scripts are content-hashed, so pages of one browser context then share
   * one download and one compilation of the bundle.
   */
  readonly cacheAssets?: boolean;
}

/**
 * Serves `dir` on 127.0.0.1 at a free port. Paths outside `dir` are refused, a malformed one answers 400;
 * a missing `favicon.ico` answers 204 so that browsers log nothing.
 */
export async function serveStatic(dir: string, options: ServeStaticOptions = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    void (async () => {
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        // A malformed escape (`%E0%A4%A`) is the client's error, not the server's end.
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad request');
        return;
      }
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        let info = await stat(file);
        if (info.isDirectory()) {
          file = join(file, 'index.html');
          info = await stat(file);
        }
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Length': info.size,
          'Cache-Control': options.cacheAssets && !/\.(html|json)$/.test(file) ? 'max-age=3600' : 'no-store',
        });
        if (req.method === 'HEAD') res.end();
        // A file that cannot be read after all (removed meanwhile) cuts the response, not the server.
        else createReadStream(file).on('error', () => res.destroy()).pipe(res);
      } catch {
        if (path === '/favicon.ico') res.writeHead(204).end();
        else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      }
    })();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** Chromium flags for headless runs on CI machines. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** One entry of Storybook's `index.json`. */
export interface IndexEntry {
  readonly id: string;
  readonly title: string;
  readonly name: string;
  readonly type: 'story' | 'docs';
  readonly tags?: readonly string[];
}

/** Reads the entries of a served Storybook's `index.json`. */
export async function readIndex(base: string): Promise<IndexEntry[]> {
  const response = await fetch(new URL('index.json', base));
  if (!response.ok) throw new Error(`index.json answered ${response.status}`);
  const index = (await response.json()) as { entries: Record<string, IndexEntry> };
  return Object.values(index.entries);
}

/** Start of the `console.debug` messages of {@link CHANNEL_PROBE}. */
export const PROBE_PREFIX = '[sse-kit probe] ';

/**
 * Installed in each page before Storybook's scripts: records the preview channel's render outcome in
 * `window.__sseKitStory` (`pending`, then `success` / `error` with a message), for the entry whose id it
 * names (`id`: `undefined` takes the first render). `window.__sseKitShow(id, viewMode)` resets it and
 * renders another entry in the same page, as the Storybook manager does, so one page plays many stories
 * without loading the bundle again. It first waits until the page's renders have settled:
 * `window.__sseKitSettled()` resolves once every render the page started has finished (or was torn down),
 * and so no accessibility check of the addon is running.
 *
 * Two things make this more than "no render in a pending phase", and both made Storybook reload its page
 * on slow machines. A render between two pending phases (`played`, `completing`, `completed`: the addon's
 * axe run in `afterEach` is still to come) is not settled: switching then lets Storybook find it in
 * `afterEach` when it tears it down, and reload. And a story's outcome is that of its own render in story
 * mode (the one that announces `preparing`): a docs page renders its stories inline (`viewMode: 'docs'`,
 * no play function, no axe), and such a render torn down when the runner moves from the docs page to the
 * story goes on in the background and announces `storyFinished` for the same story id while the story's
 * own play function is still running.
 *
 * It also reports through `console.debug` messages that start with {@link PROBE_PREFIX}: `phase <story id>
 * <phase>` for every render phase, and `changed <id>` once Storybook has torn the previous entry down and
 * moved to the entry `<id>` (its `storyChanged` event), so that the runner knows what a page was doing
 * when it reloaded.
 */
export const CHANNEL_PROBE = `(() => {
  const PROBE = ${JSON.stringify(PROBE_PREFIX)};
  window.__sseKitStory = { id: undefined, status: 'pending', messages: [] };
  let channel;
  /** Renders not settled yet (storyId + renderId), with their last phase. */
  const phases = new Map();
  /** Renders of a story in story mode (they announce 'preparing'; a docs page's inline ones do not). */
  const main = new Set();
  const aborted = new Set();
  /** The render whose 'finished' phase came last: Storybook sends its storyFinished right after it. */
  let finishing;
  let settle = [];
  const busy = () => phases.size > 0;
  const current = () => window.__sseKitStory;
  const fail = (message) => { const result = current(); result.status = 'error'; result.messages.push(message); };
  const mine = (id) => current().id === undefined || id === undefined || id === current().id;
  const hook = (value) => {
    channel = value;
    // Keyed by render: a render torn down goes on in the background (its phases then alternate with
    // 'aborted') while the same story may be rendering again. Storybook never tears a render down twice,
    // so an aborted render no longer counts. A render 'preparing' (loading its story file) is not torn
    // down by a reload and goes on to 'loading' at once.
    value.on('storyRenderPhaseChanged', ({ storyId, renderId, newPhase }) => {
      console.debug(PROBE + 'phase ' + storyId + ' ' + newPhase);
      const key = storyId + ' ' + renderId;
      if (newPhase === 'preparing') main.add(key);
      if (newPhase === 'aborted') aborted.add(key);
      if (newPhase === 'finished') finishing = key;
      if (newPhase === 'finished' || newPhase === 'preparing' || aborted.has(key)) phases.delete(key);
      else phases.set(key, newPhase);
      if (!busy()) for (const resolve of settle.splice(0)) resolve();
    });
    value.on('storyFinished', (event) => {
      const result = current();
      if (result.status === 'error' || !mine(event && event.storyId) || !main.has(finishing)) return;
      if (event && event.status === 'error') {
        const reports = (event.reporters || []).filter((r) => r.status === 'failed' || r.status === 'error');
        fail('story finished with errors ' + JSON.stringify(reports.map((r) => ({ type: r.type, result: r.result && r.result.violations ? r.result.violations.map((v) => v.id + ': ' + v.nodes.length + ' nodes') : r.result }))));
      } else result.status = 'success';
    });
    value.on('storyChanged', (id) => console.debug(PROBE + 'changed ' + id));
    value.on('docsRendered', (id) => { if (current().status === 'pending' && mine(id)) current().status = 'success'; });
    value.on('storyThrewException', (error) => fail('story threw: ' + (error && error.message)));
    value.on('playFunctionThrewException', (error) => fail('play function threw: ' + (error && error.message)));
    value.on('storyErrored', (error) => fail('story errored: ' + (error && (error.title || '') + ' ' + (error.description || ''))));
    value.on('storyMissing', (id) => fail('story missing: ' + id));
  };
  window.__sseKitSettled = () => (busy() ? new Promise((resolve) => settle.push(resolve)) : Promise.resolve());
  window.__sseKitShow = async (id, viewMode) => {
    await window.__sseKitSettled();
    window.__sseKitStory = { id, status: 'pending', messages: [] };
    channel.emit('setCurrentStory', { storyId: id, viewMode });
  };
  Object.defineProperty(window, '__STORYBOOK_ADDONS_CHANNEL__', {
    configurable: true,
    get: () => channel,
    set: (value) => hook(value),
  });
})();`;
