import type { RawEvent } from '../types.js';
import { fixedStream, type FixedStreamOptions } from './fixedStream.js';
import type { ProtocolAdapter } from './types.js';

/** Options of {@link tokenStream}. */
export interface TokenStreamOptions {
  /**
   * The topic of the stream's events, e.g. the channel the token grants (default: each event's
   * type, so `useTopic('message')` receives `message` events).
   */
  readonly topic?: string | undefined;
}

/**
 * The adapter for JWT channel streams (`server: tokenStream`): `GET <url>` with the token in the
 * `headers` option (`Authorization: Bearer …`; a `headers` function is re-read at every reconnect,
 * which refreshes an expiring token). The token chooses the channel, so matchers never change the
 * request. The server sends its headers with its first event (the status turns `open` once the
 * request stands unanswered and unrefused), keeps no ids, no history, sends no heartbeats, and takes
 * publishes on its back end only: `publish()` is refused at once with `unsupported`.
 */
export function tokenStream(options: TokenStreamOptions = {}): ProtocolAdapter {
  const topic = options.topic;
  const config: FixedStreamOptions = {
    name: 'token-stream',
    settings: options,
    lateHeaders: true,
    topicOf: (event: RawEvent) => topic ?? event.type,
    publishHint:
      'A token stream server publishes from its back end (its control port), not from clients: publish there, or use a server shape that takes client publishes.',
  };
  return fixedStream(config);
}
