import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseUpdate } from '../../src/index.js';

/**
 * A server written the way simple custom SSE servers are: `GET ?topic=…` streams, a form `POST`
 * relays `data` to every client of that topic. No ids, no history, no `match`.
 */
function startLegacyServer() {
  const topics = new Map<string, Set<ServerResponse>>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET') {
      const wanted = url.searchParams.getAll('topic');
      if (wanted.length === 0) return void res.writeHead(400).end();
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.flushHeaders();
      for (const t of wanted) topics.set(t, (topics.get(t) ?? new Set()).add(res));
      req.on('close', () => {
        for (const t of wanted) topics.get(t)?.delete(res);
      });
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const data = form.get('data') ?? '';
      for (const t of form.getAll('topic')) for (const client of topics.get(t) ?? []) client.write(`data: ${data}\n\n`);
      res.writeHead(200).end();
    });
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/.well-known/mercure`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a legacy custom server (seed style)', () => {
  let server: Awaited<ReturnType<typeof startLegacyServer>>;
  beforeAll(async () => {
    server = await startLegacyServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('subscribes (auto falls back to topic=), publishes and receives, enveloped and raw', async () => {
    const alice = new SseDriver({ url: server.url });
    const bob = new SseDriver({ url: server.url });
    const got: SseUpdate[] = [];
    const raw: SseUpdate[] = [];
    bob.subscribe('room', (u) => got.push(u));
    bob.subscribe('plain', (u) => raw.push(u), { raw: true });
    await until(() => bob.getSnapshot().status === 'open' && bob.getSnapshot().protocol === 'legacy');
    await new Promise((r) => setTimeout(r, 50));

    const id = await alice.publish('room', { hello: 'bob' });
    await alice.publish('plain', 'just text', { raw: true });
    await until(() => got.length === 1 && raw.length === 1);
    expect(got[0]).toEqual({ topic: 'room', data: { hello: 'bob' }, id, type: 'message', sender: alice.clientId });
    expect(raw[0]).toMatchObject({ topic: 'plain', data: 'just text', type: 'message' });
    alice.destroy();
    bob.destroy();
  });
});
