import { SseNetworkError, type SseError } from '../errors.js';
import type { EventSourceConstructor, RawEvent } from '../types.js';

/** Where the EventSource transport reports to (see `StreamSink` of the fetch transport). */
export interface EventSourceSink {
  current(): boolean;
  /** The stream opened (no response headers are readable). */
  open(): void;
  event(event: RawEvent): void;
  /** The browser gave up for good (HTTP error, wrong content type): retry with the driver's backoff. */
  end(error: SseError): void;
  /** The browser is reconnecting by itself. */
  reconnecting(): void;
}

/**
 * The native `EventSource` transport (cookie auth only). It only delivers the event types it
 * listens for, so the driver passes every type its subscriptions ask for.
 * @returns a function that closes the stream.
 */
export function openEventSource(Ctor: EventSourceConstructor, url: string, withCredentials: boolean, types: Iterable<string>, sink: EventSourceSink): () => void {
  const source = new Ctor(url, { withCredentials });
  source.addEventListener('open', () => {
    if (sink.current()) sink.open();
  });
  const onMessage = (event: Event) => {
    if (!sink.current()) return;
    const message = event as MessageEvent<string>;
    sink.event({ id: message.lastEventId, type: message.type, data: message.data });
  };
  for (const type of new Set(['message', 'mercure', ...types])) source.addEventListener(type, onMessage);
  source.addEventListener('error', () => {
    if (!sink.current()) return;
    // CLOSED (2): the browser gave up; otherwise it retries by itself.
    if (source.readyState === 2) sink.end(new SseNetworkError('The EventSource connection failed.'));
    else sink.reconnecting();
  });
  return () => source.close();
}
