import { afterAll, beforeAll } from 'vitest';
import { RedisTransport, createHub } from '../../../src/hub/index.js';
import { describeHubProtocol } from '../hubSuite.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';

let redis: TestRedis;
let hubs = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.dispose();
});

// Each hub gets its own key prefix: tests share the server, not the history.
describeHubProtocol('Node hub on Redis', async (options) => {
  const transport = await RedisTransport.connect({ url: redis.url, prefix: `test:${++hubs}`, ...(options.history === undefined ? {} : { history: options.history }) });
  const hub = await createHub({ ...options, transport, port: 0, log: false });
  return { url: hub.url, fetch: (input, init) => fetch(input, init), engine: hub.engine, close: () => hub.close() };
});
