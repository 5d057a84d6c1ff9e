import type { ConnectionContext } from './connection.js';
import type { SseDriverOptions } from './types.js';

/** What the driver itself provides to its connections (the rest comes from its options). */
export type ConnectionSeams = Pick<ConnectionContext, 'hubUrl' | 'fetch' | 'platform' | 'adapter' | 'clientId' | 'resolveHeaders' | 'eventTypes' | 'timeline'>;

/**
 * The driver options every stream runs on, with their defaults: backoff from 500 ms doubling up to
 * 30 s, a stream silent for 45 s is dead, events up to 8 MiB, the fetch transport.
 */
export function connectionContext(options: SseDriverOptions, seams: ConnectionSeams): ConnectionContext {
  const retry = options.retry ?? {};
  return {
    ...seams,
    retry: { initialDelay: retry.initialDelay ?? 500, maxDelay: retry.maxDelay ?? 30_000, factor: retry.factor ?? 2 },
    heartbeatTimeout: options.heartbeatTimeout ?? 45_000,
    server: {},
    maxEventSize: options.maxEventSize ?? 8 * 1024 * 1024,
    transport: options.transport ?? 'fetch',
    EventSource: options.EventSource,
    withCredentials: options.subscriber?.withCredentials ?? false,
  };
}
