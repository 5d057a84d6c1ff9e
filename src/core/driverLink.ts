import type { SseError, SseGapError } from './errors.js';
import type { AdapterRequest, ProtocolAdapter } from './protocols/types.js';
import type { ConnectionStatus, PublishOptions, SseListener, SubscribeOptions, TopicMatcher } from './types.js';

/**
 * What a driver's companions (a presence watch) reach besides its public API: the adapter in use
 * and requests sent with the driver's fetch and credentials. Kept out of the public API.
 */
export interface DriverLink {
  readonly adapter: ProtocolAdapter;
  /** Sends `request` with the driver's fetch, headers and subscriber credentials. */
  request(request: AdapterRequest): Promise<Response>;
  /**
   * `SseDriver.subscribe` for a subscription that needs only events whose topic the wire tells
   * (presence: the hub's subscription events; see `Subscription.knownTopicsOnly`): with `raw` too,
   * it rides the shared stream.
   */
  subscribeShared(matchers: readonly TopicMatcher[], listener: SseListener, options: SubscribeOptions): () => void;
  /**
   * A gap of unknown extent after event `requested`, which nothing replayed (a `useTopic` catch-up
   * that gave up): made here, so that the React layer does not bundle the error class for it.
   */
  gap(requested: string): SseGapError;
  /**
   * The typed error `SseDriver.publish` would reject these arguments with before sending them
   * (`misuse`, `unsupported`, `aborted`), if any, whatever the connection's state: what a queue
   * holds for later is refused when it is made. A destroyed driver is not refused for being destroyed:
   * the queue of a provider hidden by `<Activity>` is checked against it while it waits for the next
   * driver; where none can come, the caller answers `closed` first (as `SseDriver.publish` does).
   */
  checkPublish(topic: string | readonly string[], data: unknown, options: PublishOptions): SseError | undefined;
  /**
   * The status of the shared (`main`) stream, which carries the topic subscriptions (signaling's),
   * while it has any: the driver's status is the worst of all its streams, a dedicated one too.
   */
  mainStatus(): ConnectionStatus | undefined;
}

const links = new WeakMap<object, DriverLink>();

/** Registers the link of a new driver. */
export function setDriverLink(driver: object, link: DriverLink): void {
  links.set(driver, link);
}

/** The link of `driver`, if it is an `SseDriver`. */
export function driverLink(driver: object): DriverLink | undefined {
  return links.get(driver);
}
