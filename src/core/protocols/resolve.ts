import { SseError } from '../errors.js';
import type { ProtocolOption } from '../types.js';
import { channels } from './channels.js';
import { mercure } from './mercure.js';
import { sse } from './sse.js';
import { tokenStream } from './tokenStream.js';
import type { ProtocolAdapter, ServerOption } from './types.js';

/**
 * The adapter of the `server` option: a fresh one for a name (adapters may remember what their
 * server answered), the object itself for an adapter object.
 * @throws {SseError} `misuse` for an unknown name.
 */
export function resolveAdapter(server: ServerOption | undefined, mercureOptions: { readonly protocol: ProtocolOption; readonly maxUrlLength: number }): ProtocolAdapter {
  switch (server) {
    case undefined:
    case 'mercure':
      return mercure(mercureOptions);
    case 'sse':
      return sse();
    case 'channels':
      return channels();
    case 'token-stream':
      return tokenStream();
    default:
      if (typeof server === 'object' && server !== null && typeof server.subscribeRequest === 'function') return server;
      throw new SseError('misuse', `Unknown server ${JSON.stringify(server)}.`, { hint: "Pass 'mercure', 'sse', 'channels', 'token-stream' or an adapter object." });
  }
}
