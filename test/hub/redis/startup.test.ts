import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubTransportError, RedisTransport } from '../../../src/hub/index.js';
import { runCli } from './cluster.js';
import { startRedis } from './redisServer.js';
import type { TestRedis } from './redisServer.js';

describe('starting on a Redis that refuses this hub', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.configSet('requirepass', 'only-with-this');
    await admin.close();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('fails with HubTransportError when Redis accepts the connection but refuses its commands (authentication required)', async () => {
    const failure = await RedisTransport.connect({ url: redis.url, connectTimeout: 2000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HubTransportError);
    expect(failure).toMatchObject({ code: 'transport_unavailable', url: redis.url });
  });

  it('exits with code 3 (not hanging on open Redis connections)', async () => {
    const { code, stderr } = await runCli(['--port', '0', '--transport', redis.url], 15_000);
    expect(code).toBe(3);
    expect(stderr).toContain(`Cannot reach Redis at ${redis.url}`);
  }, 30_000);
});
