import type { RawEvent } from '../types.js';
import { fixedStream, type FixedStreamOptions, type PublishFunction } from './fixedStream.js';
import type { ProtocolAdapter } from './types.js';

/** Options of {@link sse}. */
export interface SseServerOptions {
  /** A URL taking JSON `{topic, type, id, data}` by `POST` (`data` is the serialised update). */
  readonly publishUrl?: string | undefined;
  /** Publishes one update your own way; resolves with its id (or nothing: the update's id is used). */
  readonly publish?: PublishFunction | undefined;
}

/**
 * The adapter for plain SSE endpoints (`server: sse`): `GET <url>` with no header that would make a
 * cross-origin request need a preflight; any event names (an event's topic is its type unless the
 * driver's `topicOf` option says otherwise); ids are not trusted for resuming (a plain endpoint keeps no history),
 * no heartbeats are expected. Publishing works with `publishUrl` or `publish`, else `publish()` is
 * refused at once with `unsupported`.
 */
export function sse(options: SseServerOptions = {}): ProtocolAdapter {
  const config: FixedStreamOptions = {
    name: 'sse',
    settings: options,
    lateHeaders: false,
    topicOf: (event: RawEvent) => event.type,
    publishHint: 'This plain SSE endpoint takes no publishes: give the sse adapter a publishUrl or a publish function.',
    ...(options.publishUrl === undefined ? {} : { publishUrl: options.publishUrl }),
    ...(options.publish === undefined ? {} : { publish: options.publish }),
  };
  return fixedStream(config);
}
