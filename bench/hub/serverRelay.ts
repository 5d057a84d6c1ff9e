import express from 'express';
import type { Response } from 'express';
import type { AddressInfo } from 'node:net';
import { serveStats } from './serverStats.js';

/**
 * The kind of relay users write by hand (the seed's example): a topic → clients map, `GET`
 * streams, a form `POST` writes `data:` to every client of the topic.
 */
const app = express();
app.use(express.urlencoded({ extended: true }));
const namespaces = new Map<string, Set<Response>>();

app.get('/.well-known/mercure', (req, res) => {
  const { topic } = req.query;
  if (!topic) {
    res.status(400).end();
    return;
  }
  const topics = (Array.isArray(topic) ? topic : [topic]).map(String);
  for (const t of topics) {
    const clients = namespaces.get(t) ?? new Set();
    namespaces.set(t, clients);
    clients.add(res);
  }
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.flushHeaders();
  req.on('close', () => {
    for (const t of topics) {
      const clients = namespaces.get(t);
      if (clients) {
        clients.delete(res);
        if (!clients.size) namespaces.delete(t);
      }
    }
    res.end();
  });
});

app.post('/.well-known/mercure', (req, res) => {
  const { topic, data = '' } = (req.body ?? {}) as { topic?: string | string[]; data?: string };
  if (topic) {
    for (const t of Array.isArray(topic) ? topic : [topic]) {
      const clients = namespaces.get(t);
      if (clients) for (const client of clients) client.write(`data: ${data}\n\n`);
    }
  }
  res.status(200).end();
});

const server = app.listen(0, '127.0.0.1', () => {
  // As for the hub: publishers keep their sockets across the idle waits between phases.
  server.keepAliveTimeout = 600_000;
  serveStats((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
});
