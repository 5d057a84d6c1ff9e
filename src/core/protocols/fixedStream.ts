import { SseError } from '../errors.js';
import type { CompiledMatcher } from '../matcher.js';
import type { RawEvent } from '../types.js';
import type { AdapterRequest, ForeignEvent, ProtocolAdapter, ProtocolCapabilities, PublishInput, SubscribeInput } from './types.js';

/** One update handed to a user-supplied publish function. */
export interface PublishCall {
  /** The topics, canonical first. */
  readonly topics: readonly string[];
  /** The serialised update (the sse-kit envelope, or the raw string). */
  readonly data: string;
  /** The message id. */
  readonly id: string;
  /** The SSE event type asked for, if any. */
  readonly type: string | undefined;
  /** Aborts when the publish is aborted or times out. */
  readonly signal: AbortSignal;
}

/** Publishes one update; resolves with its id (or nothing: the update's own id is used). */
export type PublishFunction = (update: PublishCall) => Promise<string | void>;

/** What distinguishes the servers of one fixed stream. */
export interface FixedStreamOptions {
  readonly name: string;
  /** The options the user gave the adapter's factory (see {@link ProtocolAdapter.settings}). */
  readonly settings: unknown;
  /** The server sends its response headers with its first event. */
  readonly lateHeaders: boolean;
  /** The topic of an event (the driver's `topicOf` option, when given, wins). */
  readonly topicOf: (event: RawEvent) => string | undefined;
  /** Why `publish()` is refused, when it is. */
  readonly publishHint: string;
  readonly publishUrl?: string | undefined;
  readonly publish?: PublishFunction | undefined;
}

/**
 * Servers with one stream at one URL whatever the matchers (a plain SSE endpoint, a token stream):
 * the request never changes with the subscriptions, so a matcher change opens no stream at all; ids
 * resume nothing (no `Last-Event-ID` is sent); events are routed by `topicOf`.
 */
export function fixedStream(options: FixedStreamOptions): ProtocolAdapter {
  const canPublish = options.publishUrl !== undefined || options.publish !== undefined;
  const capabilities: ProtocolCapabilities = {
    ids: false,
    history: false,
    heartbeats: false,
    publish: canPublish,
    subscriptionEvents: false,
    topics: true,
    lateHeaders: options.lateHeaders,
  };
  const send = options.publish;
  return {
    name: options.name,
    settings: options.settings,
    variant: undefined,
    capabilities,
    publishHint: options.publishHint,
    subscribeRequest: (input: SubscribeInput): AdapterRequest => ({ url: input.hubUrl, method: 'GET', headers: { Accept: 'text/event-stream' }, body: undefined }),
    streamKey: () => '',
    eventTypes: (matchers: readonly CompiledMatcher[]) => matchers.filter((m) => m.kind === 'exact' && m.source !== '*').map((m) => m.source),
    fallback: () => undefined,
    accepted: () => undefined,
    openCursor: () => undefined,
    readEvent: (event: RawEvent): ForeignEvent => ({ kind: 'update', topic: options.topicOf(event), id: '', unsolicited: true }),
    publishRequest: (hubUrl: string, update: PublishInput): AdapterRequest => {
      if (options.publishUrl === undefined) throw new SseError('unsupported', `The ${options.name} server cannot publish.`, { hint: options.publishHint });
      return {
        url: new URL(options.publishUrl, hubUrl).toString(),
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ topic: update.topics[0], type: update.type, id: update.id, data: update.data }),
      };
    },
    publishedId: (_body: string, update: PublishInput) => update.id,
    ...(send === undefined
      ? {}
      : {
          publish: async (update: PublishInput, signal: AbortSignal) =>
            (await send({ topics: update.topics, data: update.data, id: update.id, type: update.type, signal })) ?? update.id,
        }),
  };
}
