/**
 * React benchmark (`npm run bench`): sse-kit's `useTopic` against react-use-websocket's
 * `useEventSource` with `share: true`, in the same run, under jsdom.
 *
 * Both clients read the same bytes from the same in-memory network ({@link Wire}): sse-kit through
 * its default fetch transport, useEventSource through the `eventsource` package (the EventSource
 * global, given the same fetch). Bytes arrive in 16 KiB chunks, one chunk per macrotask. Every
 * update is an sse-kit envelope with an SSE id; the useEventSource components parse the JSON and
 * filter by topic themselves, since an EventSource knows no topics.
 *
 * 1. Render isolation: 100 components, each showing the last update of its own topic; 100 updates,
 *    one per topic, each in its own chunk. Reported: component renders per update. The peer runs
 *    twice: plain (`lastEvent`) and with its `filter` option (the best it offers).
 * 2. Burst into many readers: 1,000 updates round-robin to 100 topics, one reader per topic,
 *    arriving through the fetch transport in network-sized groups (64 updates per macrotask).
 *    Reported: React commits (counted at the root), reader renders, CPU time, and time from the
 *    first chunk to the last commit; one warm-up run per client is not counted. The peer
 *    runs with its `filter` option on a shared stream of every topic (the best it offers).
 * 3. Burst: 10,000 updates to one topic written at once; one component keeps the last 50 and a
 *    count. Reported: React commits, time from the first chunk to the last commit, and how many
 *    updates the rendered state accounts for (10,000 means nothing was lost). The peer runs with
 *    `onMessage` + a state updater (correct) and with `lastEvent` + an effect (the hook's return value).
 *
 * Caveat: the `eventsource` package dispatches all events of a chunk in one task; browsers queue a
 * task per event, which would give the peer one commit per update.
 */
import type { Root } from 'react-dom/client';
import { formatTable, median } from './util.js';
import { Wire, envelopeFrame, macrotask } from './react/wire.js';

const CELLS = 100;
const BURST = 10_000;
const READER_BURST = 1_000;
/** Updates per network chunk in the readers case (about 16 KiB of frames). */
const CHUNK = 64;
const RUNS = 3;
/** Measured runs of the readers case, after one warm-up run per client (not counted). */
const READER_RUNS = 5;
/** The readers case's target for sse-kit: first chunk to last commit (issue 16). */
const READERS_TARGET_MS = 30;

type Apps = typeof import('./react/apps.js');

interface Env {
  apps: Apps;
  createRoot: (container: Element) => Root;
  createElement: typeof import('react').createElement;
  SseDriver: typeof import('../src/core/SseDriver.js').SseDriver;
  wire: Wire;
  /** React root commits so far (counted through the DevTools hook, which production builds call). */
  rootCommits: () => number;
  document: Document;
}

/** Sets up jsdom globals and the EventSource global, then loads React DOM and the clients. */
async function setup(): Promise<Env> {
  // Production builds of React, as users ship (React reads this when first loaded, below).
  process.env.NODE_ENV = 'production';
  // jsdom ships no type declarations; the benchmark only needs its window.
  const jsdomModule = 'jsdom';
  const { JSDOM } = (await import(jsdomModule)) as { JSDOM: new (html: string, options: { url: string }) => { window: Window & typeof globalThis } };
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'https://bench.local/' });
  const g = globalThis as Record<string, unknown>;
  const define = (name: string, value: unknown) => Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  define('window', dom.window);
  define('document', dom.window.document);
  define('navigator', dom.window.navigator);
  define('HTMLElement', dom.window.HTMLElement);
  define('HTMLIFrameElement', dom.window.HTMLIFrameElement);
  g.IS_REACT_ACT_ENVIRONMENT = false;
  // react-use-websocket tests `instanceof WebSocket`; Node 20 has no WebSocket global.
  if (typeof g.WebSocket === 'undefined') define('WebSocket', class WebSocketUnavailable {});

  // Counts root commits: React DOM (production too) reports each one to a DevTools hook present at load.
  let rootCommits = 0;
  define('__REACT_DEVTOOLS_GLOBAL_HOOK__', {
    isDisabled: false,
    supportsFiber: true,
    inject: () => 1,
    onCommitFiberRoot: () => {
      rootCommits++;
    },
    onCommitFiberUnmount: () => undefined,
    onPostCommitFiberRoot: () => undefined,
    checkDCE: () => undefined,
  });

  const wire = new Wire();
  const { EventSource } = await import('eventsource');
  // The EventSource global reads the wire.
  class WireEventSource extends EventSource {
    constructor(url: string | URL, init?: { withCredentials?: boolean }) {
      super(url, { ...init, fetch: wire.fetch });
    }
  }
  define('EventSource', WireEventSource);

  const [{ createRoot }, react, apps, core] = await Promise.all([
    import('react-dom/client'),
    import('react'),
    import('./react/apps.js'),
    import('../src/core/SseDriver.js'),
  ]);
  return {
    apps,
    createRoot,
    createElement: react.createElement,
    SseDriver: core.SseDriver,
    wire,
    rootCommits: () => rootCommits,
    document: dom.window.document,
  };
}

function newDriver(env: Env) {
  return new env.SseDriver({
    url: 'https://bench.local/.well-known/mercure',
    fetch: env.wire.fetch,
    protocol: 'v1',
    heartbeatTimeout: 0,
    platform: { events: undefined },
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `ready()` holds (polling every macrotask), at most `limit` ms. */
async function until(ready: () => boolean, limit = 10_000): Promise<void> {
  const start = performance.now();
  while (!ready()) {
    if (performance.now() - start > limit) throw new Error(`benchmark condition not reached: ${ready.toString()}`);
    await macrotask();
  }
}

/**
 * Waits until `ready()` holds, checking after each commit and idling (1 ms timers) in between, so
 * the wait itself costs no CPU and the CPU figure is the client's.
 */
async function untilCommitted(meter: { commits: number }, ready: () => boolean, limit = 10_000): Promise<void> {
  const start = performance.now();
  let checked = -1;
  for (;;) {
    if (meter.commits !== checked) {
      checked = meter.commits;
      if (ready()) return;
    }
    if (performance.now() - start > limit) throw new Error(`benchmark condition not reached: ${ready.toString()}`);
    await sleep(1);
  }
}

/** Waits until no commit happened for `quiet` ms. */
async function settle(meter: { commits: number }, quiet = 50): Promise<void> {
  for (;;) {
    const before = meter.commits;
    await sleep(quiet);
    if (meter.commits === before) return;
  }
}

interface Mounted {
  root: Root;
  container: Element;
  destroy?: () => void;
}

function mount(env: Env, element: import('react').ReactElement): Mounted {
  const container = env.document.createElement('div');
  env.document.body.append(container);
  const root = env.createRoot(container);
  root.render(element);
  return { root, container };
}

async function unmount(env: Env, mounted: Mounted): Promise<void> {
  mounted.root.unmount();
  mounted.container.remove();
  mounted.destroy?.();
  await sleep(30);
  await until(() => env.wire.connections === 0);
}

type Client = 'sse-kit useTopic' | 'useEventSource share' | 'useEventSource share + filter';

async function isolation(env: Env, client: Client): Promise<{ perUpdate: number; others: number; ms: number; cpuMs: number }> {
  const meter = env.apps.newMeter(CELLS);
  const { createElement: h, apps } = env;
  let mounted: Mounted;
  if (client === 'sse-kit useTopic') {
    const driver = newDriver(env);
    mounted = mount(env, h(apps.KitIsolation, { driver, meter, count: CELLS }));
    mounted.destroy = () => driver.destroy();
  } else {
    mounted = mount(env, h(apps.PeerIsolation, { meter, count: CELLS, filter: client.endsWith('filter') }));
  }
  await until(() => env.wire.connections === 1);
  await settle(meter);
  const before = [...meter.renders];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < CELLS; i++) await env.wire.send(envelopeFrame(i, env.apps.topicOf(i)));
  await untilCommitted(meter, () => mounted.container.querySelectorAll('span').length === CELLS && [...mounted.container.querySelectorAll('span')].every((s) => s.textContent !== '-'));
  const ms = meter.lastCommitAt - start;
  const used = process.cpuUsage(cpu);
  await settle(meter);
  const delta = meter.renders.map((n, i) => n - (before[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  // Renders of components whose topic did not get the update, per update.
  const others = (total - CELLS) / CELLS;
  await unmount(env, mounted);
  return { perUpdate: total / CELLS, others, ms, cpuMs: (used.user + used.system) / 1000 };
}

type ReadersClient = 'sse-kit useTopic' | 'useEventSource share + filter';

interface ReadersResult {
  commits: number;
  renders: number;
  ms: number;
  cpuMs: number;
}

/**
 * 1,000 updates round-robin into 100 readers (one topic each), arriving from the wire in groups of
 * 64 (one network chunk per macrotask). The frames are encoded before the clock starts: what is
 * timed is the client's work only (stream decoding, routing, React), not a publisher's or a hub's.
 */
async function readers(env: Env, client: ReadersClient): Promise<ReadersResult> {
  const meter = env.apps.newMeter(CELLS);
  const { createElement: h, apps } = env;
  let mounted: Mounted;
  if (client === 'sse-kit useTopic') {
    const driver = newDriver(env);
    mounted = mount(env, h(apps.KitIsolation, { driver, meter, count: CELLS }));
    mounted.destroy = () => driver.destroy();
  } else {
    mounted = mount(env, h(apps.PeerIsolation, { meter, count: CELLS, filter: true }));
  }
  await until(() => env.wire.connections === 1);
  await settle(meter);
  const spans = () => [...mounted.container.querySelectorAll('span')];
  // Topic i's last update is number READER_BURST - CELLS + i.
  const done = () => spans().every((span, i) => span.textContent === String(READER_BURST - CELLS + i));
  const chunks: string[] = [];
  for (let n = 0; n < READER_BURST; n += CHUNK) {
    let chunk = '';
    for (let k = n; k < Math.min(n + CHUNK, READER_BURST); k++) chunk += envelopeFrame(k, apps.topicOf(k % CELLS));
    chunks.push(chunk);
  }
  const before = [...meter.renders];
  const commitsBefore = env.rootCommits();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const chunk of chunks) await env.wire.send(chunk, Number.POSITIVE_INFINITY);
  await untilCommitted(meter, done);
  const ms = meter.lastCommitAt - start;
  const used = process.cpuUsage(cpu);
  await settle(meter);
  const renders = meter.renders.reduce((sum, n, i) => sum + n - (before[i] ?? 0), 0);
  const result = { commits: env.rootCommits() - commitsBefore, renders, ms, cpuMs: (used.user + used.system) / 1000 };
  await unmount(env, mounted);
  return result;
}

type BurstClient = 'sse-kit useTopic' | 'useEventSource onMessage' | 'useEventSource lastEvent';

interface BurstResult {
  commits: number;
  ms: number;
  cpuMs: number;
  seen: number;
  ordered: boolean;
  /** What React threw, when the client made it throw. */
  crash: string | undefined;
}

async function burst(env: Env, client: BurstClient): Promise<BurstResult> {
  const meter = env.apps.newMeter(1);
  const { createElement: h, apps } = env;
  let mounted: Mounted;
  if (client === 'sse-kit useTopic') {
    const driver = newDriver(env);
    mounted = mount(env, h(apps.KitBurst, { driver, meter }));
    mounted.destroy = () => driver.destroy();
  } else {
    mounted = mount(env, h(apps.PeerBurst, { meter, mode: client.endsWith('onMessage') ? 'onMessage' : 'lastEvent' }));
  }
  await until(() => env.wire.connections === 1);
  await settle(meter);
  let text = '';
  for (let n = 0; n < BURST; n++) text += envelopeFrame(n, apps.topicOf('burst'));
  const commitsBefore = meter.commits;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  process.on('uncaughtException', onCrash);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await env.wire.send(text);
  await settle(meter);
  const used = process.cpuUsage(cpu);
  process.off('uncaughtException', onCrash);
  const ms = meter.lastCommitAt - start;
  const expectedWindow = Array.from({ length: 50 }, (_, i) => BURST - 50 + i);
  const ordered = meter.window.length === 50 && meter.window.every((n, i) => n === expectedWindow[i]);
  const crash = crashes.length === 0 ? undefined : describeCrash(crashes[0]);
  const result = { commits: meter.commits - commitsBefore, ms, cpuMs: (used.user + used.system) / 1000, seen: meter.seen, ordered, crash };
  await unmount(env, mounted);
  return result;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function describeCrash(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /#185|Maximum update depth/.test(message) ? 'React error #185 (maximum update depth exceeded)' : message.slice(0, 80);
}

/** Runs both cases for every client, `RUNS` times each, and prints medians and ratios. */
export async function runReactBench(): Promise<void> {
  const env = await setup();

  const isoClients: Client[] = ['sse-kit useTopic', 'useEventSource share', 'useEventSource share + filter'];
  const iso = new Map<Client, { perUpdate: number[]; others: number[]; ms: number[]; cpuMs: number[] }>();
  for (const c of isoClients) iso.set(c, { perUpdate: [], others: [], ms: [], cpuMs: [] });
  for (let run = 0; run < RUNS; run++) {
    for (const c of isoClients) {
      const r = await isolation(env, c);
      const acc = iso.get(c)!;
      acc.perUpdate.push(r.perUpdate);
      acc.others.push(r.others);
      acc.ms.push(r.ms);
      acc.cpuMs.push(r.cpuMs);
    }
  }
  const kitIso = iso.get('sse-kit useTopic')!;
  console.log(`\nRender isolation: ${CELLS} components, one topic each, ${CELLS} updates (one per topic); median of ${RUNS}`);
  console.log(
    formatTable(
      ['client', 'renders/update', 'other comps/update', 'CPU ms', 'CPU vs sse-kit', 'wall ms'],
      isoClients.map((c) => {
        const a = iso.get(c)!;
        return [
          c,
          fmt(median(a.perUpdate), 2),
          fmt(median(a.others), 2),
          fmt(median(a.cpuMs)),
          `${fmt(median(a.cpuMs) / median(kitIso.cpuMs), 2)}x`,
          fmt(median(a.ms)),
        ];
      }),
    ),
  );

  const readerClients: ReadersClient[] = ['sse-kit useTopic', 'useEventSource share + filter'];
  const rd = new Map<ReadersClient, ReadersResult[]>();
  for (const c of readerClients) rd.set(c, []);
  // Run 0 warms both clients up and is not counted.
  for (let run = 0; run <= READER_RUNS; run++) {
    for (const c of readerClients) {
      const result = await readers(env, c);
      if (run > 0) rd.get(c)!.push(result);
    }
  }
  const kitReaders = rd.get('sse-kit useTopic')!;
  const kitReadersMs = median(kitReaders.map((r) => r.ms));
  const kitReadersCpu = median(kitReaders.map((r) => r.cpuMs));
  console.log(
    `\nBurst into readers: ${READER_BURST.toLocaleString('en')} updates round-robin to ${CELLS} topics, one reader each, fetch transport, ${CHUNK} updates per network chunk (one per macrotask); median of ${READER_RUNS} after a warm-up run`,
  );
  console.log(
    formatTable(
      ['client', 'React commits', 'reader renders', 'CPU ms', 'CPU vs sse-kit', 'wall ms', 'wall vs sse-kit'],
      readerClients.map((c) => {
        const runs = rd.get(c)!;
        const m = (pick: (r: ReadersResult) => number) => median(runs.map(pick));
        return [
          c,
          fmt(m((r) => r.commits), 0),
          fmt(m((r) => r.renders), 0),
          fmt(m((r) => r.cpuMs)),
          `${fmt(m((r) => r.cpuMs) / kitReadersCpu, 2)}x`,
          fmt(m((r) => r.ms)),
          `${fmt(m((r) => r.ms) / kitReadersMs, 2)}x`,
        ];
      }),
    ),
  );
  console.log(`  sse-kit target: first chunk to last commit <= ${READERS_TARGET_MS} ms: ${kitReadersMs <= READERS_TARGET_MS ? 'met' : 'NOT met'} (${fmt(kitReadersMs)} ms wall, ${fmt(kitReadersCpu)} ms CPU)`);

  const burstClients: BurstClient[] = ['sse-kit useTopic', 'useEventSource onMessage', 'useEventSource lastEvent'];
  const bu = new Map<BurstClient, BurstResult[]>();
  for (const c of burstClients) bu.set(c, []);
  for (let run = 0; run < RUNS; run++) {
    for (const c of burstClients) {
      bu.get(c)!.push(await burst(env, c));
    }
  }
  const kitBurst = bu.get('sse-kit useTopic')!;
  const crashes = burstClients.flatMap((c) => bu.get(c)!.filter((r) => r.crash !== undefined).map((r) => `${c}: ${r.crash}`));
  console.log(`\nBurst: ${BURST.toLocaleString('en')} updates to one topic, one component keeping the last 50; median of ${RUNS}`);
  console.log(
    formatTable(
      ['client', 'commits', 'CPU ms', 'CPU vs sse-kit', 'wall ms', 'updates accounted', 'last 50 in order'],
      burstClients.map((c) => {
        const runs = bu.get(c)!;
        const m = (pick: (r: BurstResult) => number) => median(runs.map(pick));
        return [
          c,
          fmt(m((r) => r.commits), 0),
          fmt(m((r) => r.cpuMs)),
          `${fmt(m((r) => r.cpuMs) / median(kitBurst.map((r) => r.cpuMs)), 2)}x`,
          fmt(m((r) => r.ms)),
          fmt(Math.min(...runs.map((r) => r.seen)), 0),
          runs.every((r) => r.ordered) ? 'yes' : 'no',
        ];
      }),
    ),
  );
  for (const line of new Set(crashes)) console.log(`  threw during the burst: ${line}`);
}
