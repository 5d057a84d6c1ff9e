import { createHub } from '../../src/hub/index.js';
import { serveStats } from './serverStats.js';

/** The sse-kit hub as the benchmark runs it: verified JWTs, history, heartbeats off; in memory, or on `BENCH_TRANSPORT`. */
const transport = process.env['BENCH_TRANSPORT'];
const hub = await createHub({
  ...(transport === undefined ? {} : { transport }),
  port: 0,
  log: false,
  publisherKey: process.env['BENCH_KEY'] ?? 'bench-key',
  history: 1000,
  heartbeat: 0,
  limits: { connectionsPerClient: 100_000 },
});
// Publishers keep their sockets across the idle waits between phases: no keep-alive race.
hub.server.keepAliveTimeout = 600_000;
serveStats(hub.port, () => hub.close());
