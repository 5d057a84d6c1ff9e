/**
 * Ingest benchmark: bytes from an in-memory `fetch` → listener calls, for SseDriver and, on the
 * same bytes in the same run, `eventsource` 5.x, `@microsoft/fetch-event-source` and the floor
 * (`eventsource-parser` + stream decoding + `JSON.parse`); the enveloped path with 1, 10 and 1,000
 * subscriptions. Figures time the events only, from the first byte to the last listener call: what a
 * client does once per connection before that (constructing, subscribing 1,000 topics) is measured apart
 * and printed beside the verdicts. The event builders and runners are exported for profiling, e.g. a
 * script that runs `sseKit(false, 1000)` a few times under `node --cpu-prof --import tsx`.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';
import { SseDriver } from '../src/index.js';
import { MockHub } from '../src/mock/index.js';
import { formatTable, median } from './util.js';

const N = 100_000;
const CHUNK = 16 * 1024;
const RUNS = 9;
/** The enveloped table is the one with targets: more rounds. */
const ENVELOPED_RUNS = 25;
/** Untimed rounds first, so every client runs code the engine has finished optimising. */
const WARM_UP = 3;

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

/**
 * Mercure-like: uuid ids, ~200 B JSON (an sse-kit envelope), a keep-alive comment every 100 events.
 * Event `i` goes to topic `https://example.com/books/${i % topics}` (one topic: `https://example.com/books`).
 */
export function mercureEvents(topics = 1): string {
  let out = '';
  for (let i = 0; i < N; i++) {
    const payload = { '@id': `/books/${i}`, title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', stock: i % 17, price: 12.5 };
    const data = JSON.stringify({ 'sse-kit': 1, id: uuid(i), topic: topicOf(i, topics), sender: 'bench', payload });
    out += `id: ${uuid(i)}\ndata: ${data}\n\n`;
    if (i % 100 === 99) out += ':\n\n';
  }
  return out;
}

function topicOf(i: number, topics: number): string {
  return topics === 1 ? 'https://example.com/books' : `https://example.com/books/${i % topics}`;
}

export function chunks(text: string): Uint8Array[] {
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

/**
 * A client under test. The runner does what a client does once per connection before events flow
 * (construct itself, subscribe, ask for the stream), untimed, and returns the timed part: it lets the
 * events flow and resolves with the wall time in ms once the listener has seen them all.
 */
type Runner = (parts: Uint8Array[]) => Promise<() => Promise<number>>;

/** A runner with nothing to set up apart: all of it is timed. */
const whole =
  (run: (parts: Uint8Array[]) => Promise<number>): Runner =>
  async (parts) =>
  () =>
    run(parts);

/**
 * SseDriver: raw (wire data on a dedicated stream, one subscription) or enveloped (decoded,
 * de-duplicated and routed), with `topics` exact subscriptions on the shared stream, one per topic.
 * Set-up ends when the driver asks for its stream; the events flow once the run starts. `Driver`: the
 * driver class to run (another source tree's, for `bench/compare.ts`).
 */
export const sseKit =
  (raw: boolean, topics = 1, Driver: typeof SseDriver = SseDriver): Runner =>
  async (parts) => {
    let release = (): void => undefined;
    const started = new Promise<void>((resolve) => (release = resolve));
    let requested = (): void => undefined;
    const asked = new Promise<void>((resolve) => (requested = resolve));
    let finish = (_ms: number): void => undefined;
    const finished = new Promise<number>((resolve) => (finish = resolve));
    let count = 0;
    let start = 0;
    const driver = new Driver({
      url: 'https://bench.local/.well-known/mercure',
      fetch: async () => {
        requested();
        await started;
        return streamResponse(parts);
      },
      protocol: 'v1',
      coalesceMs: 0,
      heartbeatTimeout: 0,
      maxUrlLength: Number.MAX_SAFE_INTEGER,
      platform: { events: undefined },
    });
    const listener = () => {
      if (++count === N) {
        driver.destroy();
        finish(performance.now() - start);
      }
    };
    if (raw) driver.subscribe('https://example.com/books', listener, { raw });
    else for (let t = 0; t < topics; t++) driver.subscribe(topicOf(t, topics), listener);
    await asked;
    return () => {
      start = performance.now();
      release();
      return finished;
    };
  };

/** The floor: `eventsource-parser` fed by streaming UTF-8 decoding, `JSON.parse` of every event. */
export const floor: Runner = whole(async (parts) => {
  let count = 0;
  const start = performance.now();
  const reader = streamResponse(parts).body!.getReader();
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (message) => {
      JSON.parse(message.data);
      count++;
    },
  });
  while (count < N) {
    const { value } = await reader.read();
    if (value) parser.feed(decoder.decode(value, { stream: true }));
  }
  void reader.cancel();
  return performance.now() - start;
});

/** `eventsource` 5.x; with `parse`, the listener also parses the JSON as an app would. */
const eventsource = (parse: boolean): Runner =>
  whole(
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
      }),
  );

const microsoft: Runner = whole(
  (parts) =>
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
    }),
);

interface Figures {
  readonly wall: number;
  readonly cpu: number;
  /** CPU time of each round, in round order. */
  readonly rounds: readonly number[];
  /** Median CPU time of the untimed set-up (constructing, subscribing). */
  readonly setup: number;
}

/**
 * Median wall time and median CPU time (user + system) of `runs` runs of each runner after a warm-up.
 * The runners take turns within each round, so a load change on the machine hits them alike.
 */
async function measure(runners: readonly Runner[], parts: Uint8Array[], runs = RUNS): Promise<Figures[]> {
  for (let round = 0; round < WARM_UP; round++) for (const runner of runners) await (await runner(parts))();
  const wall = runners.map((): number[] => []);
  const cpu = runners.map((): number[] => []);
  const setup = runners.map((): number[] => []);
  const cpuSince = (before: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  for (let round = 0; round < runs; round++) {
    for (const [i, runner] of runners.entries()) {
      const prepared = process.cpuUsage();
      const run = await runner(parts);
      setup[i]?.push(cpuSince(prepared));
      const before = process.cpuUsage();
      wall[i]?.push(await run());
      cpu[i]?.push(cpuSince(before));
    }
  }
  return runners.map((_, i) => ({ wall: median(wall[i] ?? []), cpu: median(cpu[i] ?? []), rounds: cpu[i] ?? [], setup: median(setup[i] ?? []) }));
}

/** Median over the rounds of `a`'s CPU time divided by `b`'s in the same round (steadier than a ratio of medians on a busy machine). */
function roundRatio(a: Figures, b: Figures): number {
  return median(a.rounds.map((cpu, i) => cpu / (b.rounds[i] ?? Number.NaN)));
}

const eventsPerSecond = (cpu: number) => Math.round((N / cpu) * 1000).toLocaleString('en-US');

/** Runs the ingest benchmark and prints events/s and ratios. */
export async function runCoreBench(): Promise<void> {
  // fetch-event-source reaches for window.setTimeout/clearTimeout; give it a minimal one.
  (globalThis as { window?: unknown }).window ??= { setTimeout, clearTimeout, fetch: globalThis.fetch };
  (globalThis as { document?: unknown }).document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };

  const small = smallEvents();
  const clients: [string, Runner][] = [
    ['sse-kit SseDriver (raw listener)', sseKit(true)],
    ['eventsource 5.x', eventsource(false)],
    ['@microsoft/fetch-event-source', microsoft],
  ];
  const smallFigures = await measure(
    clients.map(([, runner]) => runner),
    chunks(small),
  );
  const reference = smallFigures[1]?.cpu ?? 1;
  console.log(`\n${N / 1000}k small events — ${(small.length / 1e6).toFixed(1)} MB, median of ${RUNS} runs (events/s and ratio by CPU time)`);
  console.log(
    formatTable(
      ['client', 'wall ms', 'CPU ms', 'events/s', '× eventsource'],
      clients.map(([client], i) => {
        const { wall, cpu } = smallFigures[i] ?? { wall: 0, cpu: 0 };
        return [client, wall.toFixed(1), cpu.toFixed(1), eventsPerSecond(cpu), (reference / cpu).toFixed(2)];
      }),
    ),
  );

  console.log(
    `\n${N / 1000}k Mercure-like events (uuid ids, ~200 B JSON enveloped by sse-kit, keep-alives), spread over the topics of` +
      ` N exact subscriptions on the shared stream; median of ${ENVELOPED_RUNS} runs, events/s by CPU time; ratios are medians of the` +
      ` ratios within each round`,
  );
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const topics of [1, 10, 1000]) {
    const parts = chunks(mercureEvents(topics));
    const names = ['floor: eventsource-parser + stream decoding + JSON.parse', 'eventsource 5.x + JSON.parse in the listener', 'sse-kit SseDriver (envelope decoded, de-duplicated, routed)'];
    const [floorFig, esFig, kitFig] = await measure([floor, eventsource(true), sseKit(false, topics)], parts, ENVELOPED_RUNS);
    if (!floorFig || !esFig || !kitFig) continue;
    for (const [i, fig] of [floorFig, esFig, kitFig].entries()) {
      rows.push([names[i] ?? '', String(topics), fig.wall.toFixed(1), fig.cpu.toFixed(1), eventsPerSecond(fig.cpu), roundRatio(esFig, fig).toFixed(2), roundRatio(fig, floorFig).toFixed(2)]);
    }
    const speed = roundRatio(esFig, kitFig);
    const cost = roundRatio(kitFig, floorFig);
    verdicts.push(
      `${topics} subscription(s): ${speed.toFixed(3)}× eventsource + JSON.parse (goal ≥ 1.2: ${speed >= 1.2 ? 'met' : 'NOT met'}), ` +
        `${cost.toFixed(3)}× the floor's cost (goal ≤ 1.3: ${cost <= 1.3 ? 'met' : 'NOT met'}); ` +
        `subscribing and opening the stream, once per connection and not in these figures: ${kitFig.setup.toFixed(1)} ms CPU`,
    );
  }
  console.log(formatTable(['client', 'subs', 'wall ms', 'CPU ms', 'events/s', '× eventsource+JSON', 'cost × floor'], rows));
  console.log(verdicts.join('\n'));

  const parts = chunks(mercureEvents(1));
  const others: [string, Runner][] = [
    ['sse-kit SseDriver (raw listener)', sseKit(true)],
    ['eventsource 5.x', eventsource(false)],
    ['@microsoft/fetch-event-source', microsoft],
  ];
  const otherFigures = await measure(
    others.map(([, runner]) => runner),
    parts,
  );
  const esRaw = otherFigures[1]?.cpu ?? 1;
  console.log(`\nSame Mercure-like events, listeners that do not parse; median of ${RUNS} runs`);
  console.log(
    formatTable(
      ['client', 'wall ms', 'CPU ms', 'events/s', '× eventsource'],
      others.map(([client], i) => {
        const { wall, cpu } = otherFigures[i] ?? { wall: 0, cpu: 0 };
        return [client, wall.toFixed(1), cpu.toFixed(1), eventsPerSecond(cpu), (esRaw / cpu).toFixed(2)];
      }),
    ),
  );
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
