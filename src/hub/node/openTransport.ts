import type { HubTransport } from '../engine/index.js';
import type { HubLogger } from '../engine/types.js';
import { RedisTransport } from '../engine/transport/RedisTransport.js';

/**
 * Turns the `transport` option into a transport: `undefined` or `'memory'` keep the engine's
 * default (in memory), `redis://…` / `rediss://…` connect to Redis (the `redis` client is loaded only then).
 * @throws Error for an unknown transport; HubTransportError when Redis cannot be reached.
 */
export async function openTransport(
  spec: HubTransport | string | undefined,
  options: { readonly history: number | undefined; readonly log: HubLogger | false },
): Promise<HubTransport | undefined> {
  if (spec === undefined || spec === 'memory') return undefined;
  if (typeof spec !== 'string') return spec;
  if (!isRedisUrl(spec)) throw new Error(`Unknown transport "${spec}": use memory or redis://host:port/db.`);
  return RedisTransport.connect({ url: spec, log: options.log, ...(options.history === undefined ? {} : { history: options.history }) });
}

/** Whether a transport value names a Redis server. */
export function isRedisUrl(value: string): boolean {
  return /^rediss?:\/\//i.test(value);
}
