/**
 * Ingest benchmark: bytes from an in-memory `fetch` → listener calls, for SseDriver and, on the
 * same bytes in the same run, `eventsource` 5.x and `@microsoft/fetch-event-source`.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { EventSource } from 'eventsource';
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
}
