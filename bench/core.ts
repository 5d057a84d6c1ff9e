/**
 * Ingest benchmark: bytes from an in-memory `fetch` → listener calls, for SseDriver and, on the
 * same bytes in the same run, `eventsource` 5.x and `@microsoft/fetch-event-source`.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { EventSource } from 'eventsource';
import { SseDriver } from '../src/index.js';
import { MockHub } from '../src/mock/index.js';
import { formatTable, median } from './util.js';

const N = 100_000;
const CHUNK = 16 * 1024;
const RUNS = 9;

function uuid(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `urn:uuid:5e94c686-2c0b-4f9b-958c-${hex}`;
}

/** `id` + short `data`. */
function smallEvents(): string {
  let out = '';
  for (let i = 0; i < N; i++) out += `id: ${i}\ndata: hello ${i}\n\n`;
  return out;
}

/** Mercure-like: uuid ids, ~200 B JSON (an sse-kit envelope), a keep-alive comment every 100 events. */
function mercureEvents(): string {
  let out = '';
  for (let i = 0; i < N; i++) {
    const payload = { '@id': `/books/${i}`, title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', stock: i % 17, price: 12.5 };
    const data = JSON.stringify({ 'sse-kit': 1, id: uuid(i), topic: 'https://example.com/books', sender: 'bench', payload });
    out += `id: ${uuid(i)}\ndata: ${data}\n\n`;
    if (i % 100 === 99) out += ':\n\n';
  }
  return out;
}

function chunks(text: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.slice(i, i + CHUNK));
  return out;
}

function streamResponse(parts: Uint8Array[]): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[i++];
      if (part) controller.enqueue(part);
      // Keep the stream open after the last chunk, as a live hub would.
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

type Runner = (parts: Uint8Array[]) => Promise<number>;

/** SseDriver with one subscription: raw (wire data on a dedicated stream) or enveloped (decoded and routed). */
const sseKit =
  (raw: boolean): Runner =>
  (parts) =>
    new Promise((resolve) => {
      let count = 0;
      const start = performance.now();
      const driver = new SseDriver({
        url: 'https://bench.local/.well-known/mercure',
        fetch: async () => streamResponse(parts),
        protocol: 'v1',
        coalesceMs: 0,
        heartbeatTimeout: 0,
        platform: { events: undefined },
      });
      driver.subscribe(
        'https://example.com/books',
        () => {
          if (++count === N) {
            driver.destroy();
            resolve(performance.now() - start);
          }
        },
        { raw },
      );
    });

/** `eventsource` 5.x; with `parse`, the listener also parses the JSON as an app would. */
const eventsource =
  (parse: boolean): Runner =>
  (parts) =>
    new Promise((resolve) => {
      let count = 0;
      const start = performance.now();
      const source = new EventSource('https://bench.local/.well-known/mercure', { fetch: async () => streamResponse(parts) });
      source.onmessage = (event) => {
        if (parse) JSON.parse(event.data as string);
        if (++count === N) {
          source.close();
          resolve(performance.now() - start);
        }
      };
    });

const microsoft: Runner = (parts) =>
  new Promise((resolve) => {
    let count = 0;
    const start = performance.now();
    const abort = new AbortController();
    void fetchEventSource('https://bench.local/.well-known/mercure', {
      fetch: async () => streamResponse(parts),
      openWhenHidden: true,
      signal: abort.signal,
      onmessage: () => {
        if (++count === N) {
          abort.abort();
          resolve(performance.now() - start);
        }
      },
    });
  });

/** Median wall time and median CPU time (user + system) of RUNS runs after a warm-up. */
async function measure(runner: Runner, parts: Uint8Array[]): Promise<{ wall: number; cpu: number }> {
  await runner(parts);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = process.cpuUsage();
    wall.push(await runner(parts));
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Runs the ingest benchmark and prints events/s and ratios. */
export async function runCoreBench(): Promise<void> {
  // fetch-event-source reaches for window.setTimeout/clearTimeout; give it a minimal one.
  (globalThis as { window?: unknown }).window ??= { setTimeout, clearTimeout, fetch: globalThis.fetch };
  (globalThis as { document?: unknown }).document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
  for (const [name, text] of [
    ['100k small events', smallEvents()],
    ['100k Mercure-like events (uuid ids, ~200 B JSON, keep-alives)', mercureEvents()],
  ] as const) {
    const parts = chunks(text);
    const rows: [string, { wall: number; cpu: number }][] = [
      ['sse-kit SseDriver (raw listener)', await measure(sseKit(true), parts)],
      ...(name.startsWith('100k Mercure') ? [['sse-kit SseDriver (envelope decoded + routed)', await measure(sseKit(false), parts)] as [string, { wall: number; cpu: number }]] : []),
      ['eventsource 5.x', await measure(eventsource(false), parts)],
      ...(name.startsWith('100k Mercure') ? [['eventsource 5.x + JSON.parse in the listener', await measure(eventsource(true), parts)] as [string, { wall: number; cpu: number }]] : []),
      ['@microsoft/fetch-event-source', await measure(microsoft, parts)],
    ];
    const reference = rows.find(([n]) => n === 'eventsource 5.x')?.[1].cpu ?? 1;
    console.log(`\n${name} — ${(text.length / 1e6).toFixed(1)} MB, median of ${RUNS} runs (events/s and ratio by CPU time)`);
    console.log(
      formatTable(
        ['client', 'wall ms', 'CPU ms', 'events/s', '× eventsource'],
        rows.map(([client, { wall, cpu }]) => [client, wall.toFixed(1), cpu.toFixed(1), Math.round((N / cpu) * 1000).toLocaleString('en-US'), (reference / cpu).toFixed(2)]),
      ),
    );
  }
  await runChurnBench();
}

// ---------------------------------------------------------------- matcher churn (virtual time)

/** Timers and a clock that only move when told to: the churn figures are virtual time, not this machine's speed. */
class VirtualClock {
  #now = 1_700_000_000_000;
  #seq = 0;
  readonly #timers = new Map<number, { due: number; fn: () => void; every: number | undefined }>();
  readonly now = (): number => this.#now;
  readonly setTimeout = (fn: () => void, ms: number): unknown => this.#add(fn, ms, undefined);
  readonly setInterval = (fn: () => void, ms: number): unknown => this.#add(fn, ms, ms);
  readonly clearTimeout = (handle: unknown): void => void this.#timers.delete(handle as number);
  readonly clearInterval = (handle: unknown): void => void this.#timers.delete(handle as number);

  #add(fn: () => void, ms: number, every: number | undefined): number {
    const id = ++this.#seq;
    this.#timers.set(id, { due: this.#now + Math.max(0, ms), fn, every });
    return id;
  }

  /** Runs every timer due within `ms`, in order, letting promise chains (streams) settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      let next: [number, { due: number; fn: () => void; every: number | undefined }] | undefined;
      for (const entry of this.#timers) if (entry[1].due <= end && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.#now = Math.max(this.#now, timer.due);
      if (timer.every === undefined) this.#timers.delete(id);
      else timer.due += Math.max(1, timer.every);
      timer.fn();
    }
    this.#now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function envelope(topic: string, id: string, payload: number): string {
  return JSON.stringify({ 'sse-kit': 1, id, topic, sender: 'bench', payload });
}

async function churnSetup(latency: number) {
  const clock = new VirtualClock();
  const hub = new MockHub({ latency, timers: clock, now: clock.now, heartbeat: 0 });
  let streams = 0;
  hub.on('request', (r) => {
    if (r.method !== 'POST') streams++;
  });
  const driver = new SseDriver({
    url: hub.url,
    fetch: hub.fetch,
    protocol: 'v1',
    heartbeatTimeout: 0,
    platform: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, events: undefined },
  });
  return { clock, hub, driver, streams: () => streams };
}

/** Streams opened per second while subscriptions change 20 times a second; updates lost for a subscription that stays. */
async function churnFigure(seconds: number): Promise<{ perSecond: number; lost: number; duplicated: number }> {
  const { clock, hub, driver, streams } = await churnSetup(20);
  const got: string[] = [];
  driver.subscribe('https://example.com/stay', (u) => got.push(u.id));
  await clock.advance(1000);
  const before = streams();
  const offs: (() => void)[] = [];
  let published = 0;
  for (let step = 0; step < seconds * 20; step++) {
    if (step % 2 === 0) offs.push(driver.subscribe(`https://example.com/t/${step}`, () => undefined));
    else offs.shift()?.();
    const id = `urn:stay:${++published}`;
    hub.publish({ topic: 'https://example.com/stay', id, data: envelope('https://example.com/stay', id, published) });
    await clock.advance(50);
  }
  const perSecond = (streams() - before) / seconds;
  await clock.advance(3000);
  driver.destroy();
  hub.close();
  const unique = new Set(got);
  return { perSecond, lost: published - unique.size, duplicated: got.length - unique.size };
}

/** Time from subscribe() to the first update of a newly added topic, without churn (a publisher writes every 10 ms). */
async function firstUpdateFigure(trials: number): Promise<number[]> {
  const { clock, hub, driver } = await churnSetup(20);
  driver.subscribe('https://example.com/base', () => undefined);
  await clock.advance(1000);
  const times: number[] = [];
  for (let i = 0; i < trials; i++) {
    await clock.advance(6000); // calm: no churn
    const topic = `https://example.com/new/${i}`;
    const start = clock.now();
    let first: number | undefined;
    driver.subscribe(topic, () => (first ??= clock.now()));
    for (let n = 0; first === undefined && n < 300; n++) {
      const id = `urn:new:${i}:${n}`;
      hub.publish({ topic, id, data: envelope(topic, id, n) });
      await clock.advance(10);
    }
    times.push((first ?? Number.NaN) - start);
  }
  driver.destroy();
  hub.close();
  return times;
}

/** Runs the churn figures (virtual time on MockHub, 20 ms latency) and prints them against their targets. */
export async function runChurnBench(): Promise<void> {
  const seconds = 30;
  const churn = await churnFigure(seconds);
  const first = await firstUpdateFigure(25);
  const sorted = [...first].sort((a, b) => a - b);
  console.log(`\nMatcher churn on MockHub (virtual clock, 20 ms latency, ${seconds} s at 20 subscription changes/s)`);
  console.log(
    formatTable(
      ['figure', 'measured', 'target'],
      [
        ['streams opened per second under churn', churn.perSecond.toFixed(2), '≤ 2'],
        ['updates lost / duplicated for a subscription that stays', `${churn.lost} / ${churn.duplicated}`, '0 / 0'],
        ['first update of a new topic, p50 (no churn)', `${median(first).toFixed(0)} ms`, '≤ 300 ms'],
        ['first update of a new topic, max (no churn)', `${(sorted.at(-1) ?? 0).toFixed(0)} ms`, ''],
      ],
    ),
  );
}
