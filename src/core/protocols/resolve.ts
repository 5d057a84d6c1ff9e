import { SseError } from '../errors.js';
import type { ProtocolOption } from '../types.js';
import { mercure } from './mercure.js';
import type { ProtocolAdapter, ServerOption } from './types.js';

/** Adapter objects some driver already uses. */
const claimed = new WeakSet<ProtocolAdapter>();

/** The factory exported from `sse-kit` for each server name older versions took as a string. */
const FACTORY: Record<string, string> = { sse: 'sse', channels: 'channels', 'token-stream': 'tokenStream' };

/**
 * The adapter of the `server` option: Mercure (built in, the default), the adapter object given, or
 * the one its factory makes (an adapter object another driver already uses: its fork, when it has
 * one). Other server shapes are imported adapters (`server: channels`), so an
 * app bundles only its own.
 * @throws {SseError} `misuse` for anything else (an old server name gets the import to use).
 */
export function resolveAdapter(server: ServerOption | undefined, mercureOptions: { readonly protocol: ProtocolOption; readonly maxUrlLength: number }): ProtocolAdapter {
  // `server: mercure` (the factory itself) is the built-in default too, with the driver's options.
  if (server === undefined || server === 'mercure' || server === mercure) return mercure(mercureOptions);
  const adapter = typeof server === 'function' ? server() : server;
  if (typeof adapter === 'object' && adapter !== null && typeof adapter.subscribeRequest === 'function') {
    // An adapter instance belongs to one driver: a driver given one already in use gets a fork.
    if (claimed.has(adapter) && adapter.fork) return adapter.fork();
    claimed.add(adapter);
    return adapter;
  }
  const factory = typeof server === 'string' ? FACTORY[server] : undefined;
  throw new SseError('misuse', `Unknown server ${JSON.stringify(server)}.`, {
    hint: factory ? `Use server: ${factory}, imported from 'sse-kit'.` : "Use 'mercure' or an adapter from 'sse-kit' (sse, channels, tokenStream).",
  });
}
