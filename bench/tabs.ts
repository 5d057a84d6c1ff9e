/**
 * `npm run bench -- tabs`: what sharing one stream across tabs saves the hub, in real Chromium tabs of
 * one profile. For 1, 5 and 10 tabs, shared and not: streams at the hub, and the hub's CPU time to publish
 * 500 updates of 4 KiB (server-side, no HTTP) and write them to its streams until every live tab has them; then the leader failover time (median of 10) beside the same tabs without sharing.
 *
 * The hub runs in a child process (this file with `--tabs-hub`) so its CPU is its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { encodeEnvelope } from '../src/core/envelope.js';
import { createHub } from '../src/hub/index.js';
import { TABS_HUB_OPTIONS, openTabsBrowser, type TabsBrowser } from '../test/browser/tabs/harness.js';
import { formatTable, median } from './util.js';

type HubRequest = { readonly type: 'mark' } | { readonly type: 'publish'; readonly count: number } | { readonly type: 'stats' } | { readonly type: 'stop' };
interface HubStats {
  readonly cpuMicros: number;
  readonly connections: number;
}

const UPDATES = 500;
/** Each update carries 4 KiB, so that the hub's per-stream work (framing, writing) shows beside its per-publish work. */
const PAYLOAD = 'x'.repeat(4096);
/** How long a tab may wait for its stream before it counts as stalled (the browser's per-host socket limit). */
const STALL_MS = 5000;

if (process.argv.includes('--tabs-hub')) {
  const hub = await createHub(TABS_HUB_OPTIONS);
  let mark = process.cpuUsage();
  process.send?.({ type: 'ready', url: hub.url });
  process.on('message', (message: HubRequest) => {
    if (message.type === 'mark') {
      mark = process.cpuUsage();
      process.send?.({ type: 'marked' });
    } else if (message.type === 'publish') {
      // Published inside the hub process (no HTTP), so its CPU is the fan-out to the streams.
      for (let i = 0; i < message.count; i++) {
        const id = `urn:uuid:bench-${Date.now()}-${i}`;
        hub.engine.publish({ topic: '/feed', id, data: encodeEnvelope(id, ['/feed'], 'bench', { i, pad: PAYLOAD }) });
      }
      process.send?.({ type: 'published' });
    } else if (message.type === 'stats') {
      const used = process.cpuUsage(mark);
      const stats: HubStats = { cpuMicros: used.user + used.system, connections: hub.engine.connections.length };
      process.send?.({ type: 'stats', stats });
    } else {
      void hub.close().finally(() => process.exit(0));
    }
  });
}

/** The hub child and a request/answer helper. */
async function startHub(): Promise<{ url: string; ask(request: HubRequest): Promise<unknown>; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ['--tabs-hub'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
  return {
    url,
    child,
    ask: (request) =>
      new Promise((resolve) => {
        child.once('message', (m: { stats?: HubStats }) => resolve(m.stats));
        child.send(request);
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => Promise<boolean>, timeout: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return false;
}

/** Opens `count` tabs subscribed to `/feed`; returns them and how many got a live stream. */
async function openSubscribed(browser: TabsBrowser, count: number, share: boolean): Promise<{ pages: Page[]; live: number }> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) pages.push(await browser.openTab({ share }));
  const live = await Promise.all(
    pages.map((p) =>
      p.evaluate((ms) => Promise.race([window.tabsTest.subscribe().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]), STALL_MS),
    ),
  );
  return { pages, live: live.filter(Boolean).length };
}

export async function runTabsBench(): Promise<void> {
  const hub = await startHub();
  const browser = await openTabsBrowser(hub.url);
  try {
    const rows: string[][] = [];
    const cpu = new Map<string, number>();
    for (const count of [1, 5, 10]) {
      for (const share of [true, false]) {
        const { pages, live } = await openSubscribed(browser, count, share);
        await hub.ask({ type: 'mark' });
        await hub.ask({ type: 'publish', count: UPDATES });
        await waitUntil(async () => (await Promise.all(pages.map((p) => p.evaluate(() => window.tabsTest.feed.length)))).filter((n) => n >= UPDATES).length >= live, 20_000);
        const stats = (await hub.ask({ type: 'stats' })) as HubStats;
        const complete = (await Promise.all(pages.map((p) => p.evaluate((n) => window.tabsTest.feed.length >= n, UPDATES)))).filter(Boolean).length;
        cpu.set(`${count}:${share}`, stats.cpuMicros);
        rows.push([`${count} tab${count > 1 ? 's' : ''}, ${share ? 'shared' : 'not shared'}`, String(stats.connections), `${live}/${count}`, `${complete}/${count}`, (stats.cpuMicros / 1000).toFixed(1)]);
        for (const p of pages) await p.close();
        await sleep(300);
      }
    }
    console.log(`Hub streams, and hub CPU to publish ${UPDATES} updates of 4 KiB and write them to its streams (real Chromium tabs of one profile):\n`);
    console.log(formatTable(['tabs', 'hub streams', 'tabs live', 'tabs got all', 'hub CPU ms'], rows));
    for (const count of [5, 10]) {
      const ratio = (cpu.get(`${count}:false`) ?? 0) / Math.max(1, cpu.get(`${count}:true`) ?? 0);
      console.log(`hub CPU, ${count} tabs: not shared / shared = ${ratio.toFixed(2)}x`);
    }

    // Failover: 5 shared tabs; the leader closes; time until another tab leads, and until its stream is open.
    const elected: number[] = [];
    const reopened: number[] = [];
    for (let run = 0; run < 10; run++) {
      const { pages } = await openSubscribed(browser, 5, true);
      const roles = await Promise.all(pages.map((p) => p.evaluate(() => window.tabsTest.role())));
      const leader = pages[roles.indexOf('leader')];
      if (!leader) throw new Error('no leader among the tabs');
      const rest = pages.filter((p) => p !== leader);
      const closedAt = Date.now();
      await leader.close();
      let next: Page | undefined;
      await waitUntil(async () => {
        for (const p of rest) if ((await p.evaluate(() => window.tabsTest.role())) === 'leader') next = p;
        return next !== undefined && (await next.evaluate(() => window.tabsTest.status())) === 'open';
      }, 10_000);
      if (next) {
        const times = await next.evaluate(() => ({
          lead: window.tabsTest.roles.findLast((r) => r.role === 'leader')?.at ?? 0,
          open: window.tabsTest.statuses.findLast((s) => s.status === 'open')?.at ?? 0,
        }));
        elected.push(times.lead - closedAt);
        reopened.push(times.open - closedAt);
      }
      for (const p of rest) await p.close();
      await sleep(200);
    }
    console.log(`\nLeader failover, 5 shared tabs, ${elected.length} runs (ms after the leader tab closed):`);
    console.log(formatTable(['', 'median', 'max'], [
      ['new leader elected', median(elected).toFixed(0), Math.max(...elected).toFixed(0)],
      ['its stream open', median(reopened).toFixed(0), Math.max(...reopened).toFixed(0)],
    ]));
    console.log('Not shared: no failover (every tab holds its own stream; a closing tab affects no other), at the cost of one hub stream per tab.');
  } finally {
    await browser.close();
    const exited = new Promise((r) => hub.child.once('exit', r));
    hub.child.send({ type: 'stop' } satisfies HubRequest);
    await Promise.race([exited, sleep(5000)]);
    hub.child.kill();
  }
}
