import { SseDriver, channels, sse } from '../../../src/index.js';
import type { SseDriverOptions } from '../../../src/index.js';

/** What one page records, read by the test through `page.evaluate`. */
interface AdapterPage {
  readonly received: { topic: string; type: string; data: unknown }[];
  readonly errors: string[];
  /** `server` names the adapter the page imports (a page option must be serialisable). */
  start(options: { url: string; server: 'sse' | 'channels'; transport: 'fetch' | 'eventsource'; topics: string[]; raw: boolean }): void;
  status(): string;
  publish(topic: string, data: unknown): Promise<string>;
}

declare global {
  interface Window {
    adapterPage: AdapterPage;
  }
}

let driver: SseDriver | undefined;
const received: AdapterPage['received'] = [];
const errors: string[] = [];

window.adapterPage = {
  received,
  errors,
  start({ url, server, transport, topics, raw }) {
    const options: SseDriverOptions = { url, server: server === 'sse' ? sse() : channels(), transport, onError: (e) => errors.push(`${e.code}: ${e.message}`) };
    driver = new SseDriver(options);
    for (const topic of topics) driver.subscribe(topic, (u) => received.push({ topic: u.topic, type: u.type, data: u.data }), { raw });
  },
  status: () => driver?.getSnapshot().status ?? 'none',
  publish: (topic, data) => (driver as SseDriver).publish(topic, data),
};
document.getElementById('status')!.textContent = 'ready';
