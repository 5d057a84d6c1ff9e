import type { SseDriver } from '../core/SseDriver.js';
import type { ConnectionStatus, DriverState, PublishOptions, SseDriverOptions, SseUpdate } from '../core/types.js';
import type { SseError } from '../core/errors.js';
import type { ReactNode } from 'react';

/** Props of {@link SseProvider} given a ready driver, which the provider never destroys. */
export interface SseProviderDriverProps {
  /** The driver the hooks below use. Its owner destroys it; the provider never does. */
  driver: SseDriver;
  /** The tree that uses the driver. */
  children?: ReactNode | undefined;
}

/**
 * Props of {@link SseProvider} given driver options: the provider creates one driver (which opens
 * nothing until a hook subscribes, so nothing connects during server rendering) and destroys it
 * when it unmounts. The options are read once; change the provider's `key` to connect elsewhere (in
 * development, a changed option is reported with `console.warn`). A changed `headers` object (by
 * value) is passed to {@link SseDriver.setHeaders}, which retries a connection stopped by 401/403; a
 * `headers` function is called at each request, the one rendered last; a new (inline) one is
 * compared by what it gives with what the last request sent, and told to the driver (retrying a
 * 401/403 stop) only when that differs.
 * `onError` is called as last rendered.
 */
export interface SseProviderOptionsProps extends SseDriverOptions {
  /** Not allowed together with options. */
  driver?: undefined;
  /** The tree that uses the driver. */
  children?: ReactNode | undefined;
}

/** Props of {@link SseProvider}: a ready `driver`, or the options to create one. */
export type SseProviderProps = SseProviderDriverProps | SseProviderOptionsProps;

/**
 * A `parse` function of {@link useTopic}: receives the payload (the raw string for raw updates) and
 * the whole update, returns the value stored in `events` (`T` is inferred from it), or throws.
 */
export type TopicParseFunction<T> = (data: unknown, update: SseUpdate<unknown>) => T;

/**
 * How {@link useTopic} turns a payload into the value stored in `events`:
 * `'json'` (default) keeps enveloped values as they are and parses raw strings as JSON — the
 * result is typed `T` unchecked (a cast);
 * `'text'` keeps raw strings and serialises enveloped values that are not strings;
 * a function receives the payload and the whole update, and its return type is `T`.
 */
export type TopicParser<T> = 'json' | 'text' | TopicParseFunction<T>;

/** Options of {@link useTopic}. */
export interface UseTopicOptions<T = unknown> {
  /** Only receive updates of this SSE event type. Changing it resubscribes. */
  type?: string | undefined;
  /** How many updates `events` keeps (default 50); older ones are counted in `dropped`. */
  buffer?: number | undefined;
  /** How payloads are parsed (default `'json'`). A failure is an `SseParseError` in `error`; the update is skipped. */
  parse?: TopicParser<T> | undefined;
  /** Replay from this event id, or `'earliest'` for everything the hub keeps. Changing it resubscribes. */
  since?: string | undefined;
  /** Receive updates not published through sse-kit (raw `data` strings). Changing it resubscribes. */
  raw?: boolean | undefined;
  /** `false` holds no subscription (status `idle`). Default `true`. Changing it resubscribes. */
  enabled?: boolean | undefined;
  /**
   * Skip updates published by this client: the same driver, or one its provider replaced (shown again
   * after `<Activity>` hid it, the provider's new driver resumes the old one's stream, its echoes included).
   */
  ignoreSelf?: boolean | undefined;
  /** Called once for every update, in order, as it arrives. A new function never resubscribes. */
  onEvent?: ((update: SseUpdate<T>) => void) | undefined;
}

/** What {@link useTopic} returns. */
export interface UseTopicResult<T = unknown> {
  /** The latest updates, oldest first, at most `buffer` of them. */
  readonly events: readonly SseUpdate<T>[];
  /** The most recent update, or `undefined` before the first one (or after `clear()`). */
  readonly last: SseUpdate<T> | undefined;
  /**
   * Status of the driver's connection; `idle` while `enabled` is `false`. A component that never
   * reads it (nor `connectionError`) does not re-render when the connection changes.
   */
  readonly status: ConnectionStatus;
  /**
   * This subscription's last error until `clear()`: `parse`, `unroutable`, or `gap` when, shown again
   * after `<Activity>` hid it, it could not catch up on everything published meanwhile.
   */
  readonly error: SseError | undefined;
  /**
   * The connection's error (`unauthorized`, `network`, `gap`, …), cleared by a healthy open;
   * `undefined` while `enabled` is `false`. Read it, or `status`, to re-render on connection changes.
   */
  readonly connectionError: SseError | undefined;
  /** How many updates fell off the front of `events` because of `buffer`. */
  readonly dropped: number;
  /** Empties `events`, resets `last`, `dropped` and the subscription's own error. Stable. */
  readonly clear: () => void;
}

/** Status of the publishes made through one {@link usePublish}. */
export type PublishStatus = 'idle' | 'queued' | 'pending' | 'success' | 'error';

/** Options of {@link usePublish} (defaults for every publish) and of one publish call. */
export interface UsePublishOptions extends Omit<PublishOptions, 'signal'> {
  /**
   * While the driver is offline (reconnecting, or still connecting), hold publishes and send them
   * once the connection is open, in order, each with an id fixed when it was made so that a retry
   * cannot duplicate it; a publish sent while online whose request fails on the network as the
   * connection drops is held too. Default `false`: a publish while the driver is reconnecting fails
   * at once with a `network` error.
   */
  queue?: boolean | undefined;
  /** Most publishes held by the queue (default 100); one more fails at once with `network`. */
  queueLimit?: number | undefined;
  /** Aborts the publish (or removes it from the queue) with an `aborted` error. */
  signal?: AbortSignal | undefined;
}

/** Options of one publish call: the hook's defaults, overridden field by field (a field given as `undefined` keeps the default). */
export type PublishCallOptions = Omit<UsePublishOptions, 'queue' | 'queueLimit'>;

/** What {@link usePublish} returns. */
export interface UsePublishResult<T = unknown> {
  /** Publishes `data`; never throws, the outcome lands in `status`, `error` and `lastId`. Stable. */
  readonly publish: (data: T, options?: PublishCallOptions) => void;
  /** Publishes `data` and resolves with the update id; rejects with an `SseError`. Stable. */
  readonly publishAsync: (data: T, options?: PublishCallOptions) => Promise<string>;
  /** `pending` while a publish is in flight, `queued` while publishes wait for the connection, else the last outcome. */
  readonly status: PublishStatus;
  /** Error of the last failed publish, until the next success or `reset()`. */
  readonly error: SseError | undefined;
  /** Id of the last successful publish. */
  readonly lastId: string | undefined;
  /** Back to `idle` with no error and no id (queued and in-flight publishes continue). Stable. */
  readonly reset: () => void;
}

/** What a {@link useConnectionStatus} selector receives: the driver's state and `reconnect`. */
export interface ConnectionState extends DriverState {
  /** Reconnects now, resetting the backoff and lifting a stop caused by 401/403. Stable. */
  readonly reconnect: () => void;
}

/**
 * What {@link useConnectionStatus} returns without a selector. The component re-renders only when
 * a field it read changes.
 */
export interface UseConnectionStatusResult {
  /** Status of the driver's connections. */
  readonly status: ConnectionStatus;
  /** Id of the last event received on the shared connection: reading it re-renders per event. */
  readonly lastEventId: string | undefined;
  /** Consecutive failed attempts since the last healthy open. */
  readonly retries: number;
  /** The last connection error, cleared by a healthy open. */
  readonly error: SseError | undefined;
  /** Reconnects now, resetting the backoff and lifting a stop caused by 401/403. Stable. */
  readonly reconnect: () => void;
}
