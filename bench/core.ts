/**
 * Ingest benchmark: bytes from an in-memory `fetch` → listener calls, for SseDriver and, on the
 * same bytes in the same run, `eventsource` 5.x and `@microsoft/fetch-event-source`.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';
import { SseDriver } from '../src/index.js';
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

type Runner = (parts: Uint8Array[]) => Promise<number>;

/**
 * SseDriver: raw (wire data on a dedicated stream, one subscription) or enveloped (decoded,
 * de-duplicated and routed), with `topics` exact subscriptions on the shared stream, one per topic.
 */
export const sseKit =
  (raw: boolean, topics = 1): Runner =>
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
        maxUrlLength: Number.MAX_SAFE_INTEGER,
        platform: { events: undefined },
      });
      const listener = () => {
        if (++count === N) {
          driver.destroy();
          resolve(performance.now() - start);
        }
      };
      if (raw) driver.subscribe('https://example.com/books', listener, { raw });
      else for (let t = 0; t < topics; t++) driver.subscribe(topicOf(t, topics), listener);
    });

/** The floor: `eventsource-parser` fed by streaming UTF-8 decoding, `JSON.parse` of every event. */
export const floor: Runner = async (parts) => {
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
};

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

interface Figures {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Median wall time and median CPU time (user + system) of RUNS runs of each runner after a warm-up.
 * The runners take turns within each round, so a load change on the machine hits them alike.
 */
async function measure(runners: readonly Runner[], parts: Uint8Array[]): Promise<Figures[]> {
  for (const runner of runners) await runner(parts);
  const wall = runners.map((): number[] => []);
  const cpu = runners.map((): number[] => []);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, runner] of runners.entries()) {
      const before = process.cpuUsage();
      wall[i]?.push(await runner(parts));
      const used = process.cpuUsage(before);
      cpu[i]?.push((used.user + used.system) / 1000);
    }
  }
  return runners.map((_, i) => ({ wall: median(wall[i] ?? []), cpu: median(cpu[i] ?? []) }));
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
      ` N exact subscriptions on the shared stream; median of ${RUNS} runs, events/s by CPU time`,
  );
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const topics of [1, 10, 1000]) {
    const parts = chunks(mercureEvents(topics));
    const names = ['floor: eventsource-parser + stream decoding + JSON.parse', 'eventsource 5.x + JSON.parse in the listener', 'sse-kit SseDriver (envelope decoded, de-duplicated, routed)'];
    const [floorFig, esFig, kitFig] = await measure([floor, eventsource(true), sseKit(false, topics)], parts);
    if (!floorFig || !esFig || !kitFig) continue;
    for (const [i, fig] of [floorFig, esFig, kitFig].entries()) {
      rows.push([names[i] ?? '', String(topics), fig.wall.toFixed(1), fig.cpu.toFixed(1), eventsPerSecond(fig.cpu), (esFig.cpu / fig.cpu).toFixed(2), (fig.cpu / floorFig.cpu).toFixed(2)]);
    }
    const speed = esFig.cpu / kitFig.cpu;
    const cost = kitFig.cpu / floorFig.cpu;
    verdicts.push(`${topics} subscription(s): ${speed.toFixed(2)}× eventsource + JSON.parse (goal ≥ 1.2: ${speed >= 1.2 ? 'met' : 'NOT met'}), ${cost.toFixed(2)}× the floor's cost (goal ≤ 1.3: ${cost <= 1.3 ? 'met' : 'NOT met'})`);
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
}
